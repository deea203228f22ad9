/**
 * How often each token was used recently, approximately: the admission
 * filter of the token cache (TinyLFU, Einziger, Friedman & Manes 2017, as
 * in Caffeine's `FrequencySketch`).
 *
 * - A count-min sketch: four counters per item, picked by hashing, each
 *   saturating at 15; the estimate is the smallest of the four, so
 *   collisions can only over-count.
 * - A doorkeeper in front of it: the first sighting of an item only sets
 *   its doorkeeper bits, so a flood of tokens each seen once leaves the
 *   counters of the tokens in use as they were.
 * - Aging: estimates must follow a changing popularity, so every counter
 *   is halved (and every doorkeeper bit cleared) once per sample period of
 *   ten times the cache's capacity. Caffeine halves the whole table at
 *   once; here a cursor ages a fixed number of cells per increment, so no
 *   single request pays for a sweep of the table.
 *
 * Items are 32-bit hashes the caller computes; the sketch stores nothing
 * that could identify a token.
 */
export class FrequencySketch {
  private readonly counters: Uint8Array;
  private readonly doorkeeper: Uint8Array;
  private readonly mask: number;
  /** Increments between two cells aged: a full sweep of the table takes one sample period. */
  private readonly agingStride: number;
  private sinceAging = 0;
  private agingCursor = 0;
  /** Cells aged so far (the work the aging did), for tests that count it. */
  agedCells = 0;

  constructor(capacity: number) {
    // Four cells per cached entry, a power of two so an index is a mask.
    const cells = 2 ** Math.ceil(Math.log2(Math.max(16, capacity * 4)));
    this.counters = new Uint8Array(cells);
    this.doorkeeper = new Uint8Array(cells);
    this.mask = cells - 1;
    this.agingStride = Math.max(1, Math.floor((10 * Math.max(1, capacity)) / cells));
  }

  /** The estimated recent uses of `hash`: up to 15 from the counters, plus one if the doorkeeper has seen it. */
  frequency(hash: number): number {
    const step = spread(hash);
    let least = 15;
    let door = 1;
    for (let i = 0; i < 4; i++) {
      const cell = (hash + i * step) & this.mask;
      least = Math.min(least, this.counters[cell] ?? 0);
      if (i < 2 && this.doorkeeper[cell] === 0) door = 0;
    }
    return door === 0 ? 0 : least + 1;
  }

  /** Records one use of `hash`; ages at most one cell. */
  increment(hash: number): void {
    const step = spread(hash);
    const first = hash & this.mask;
    const second = (hash + step) & this.mask;
    if (this.doorkeeper[first] === 0 || this.doorkeeper[second] === 0) {
      this.doorkeeper[first] = 1;
      this.doorkeeper[second] = 1;
    } else {
      for (let i = 0; i < 4; i++) {
        const cell = (hash + i * step) & this.mask;
        const count = this.counters[cell] ?? 0;
        if (count < 15) this.counters[cell] = count + 1;
      }
    }
    if (++this.sinceAging >= this.agingStride) {
      this.sinceAging = 0;
      const cell = this.agingCursor;
      this.counters[cell] = (this.counters[cell] ?? 0) >> 1;
      this.doorkeeper[cell] = 0;
      this.agingCursor = (cell + 1) & this.mask;
      this.agedCells += 1;
    }
  }
}

/** An odd step derived from the hash (double hashing): the four cells of an item differ. */
function spread(hash: number): number {
  let h = Math.imul(hash ^ (hash >>> 16), 0x45d9f3b);
  h = Math.imul(h ^ (h >>> 16), 0x45d9f3b);
  return (h ^ (h >>> 16)) | 1;
}

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
  private readonly counterMask: number;
  /** One bit per slot, sized for a sample period's sightings at about 5 % false positives. */
  private readonly doorkeeper: Uint32Array;
  private readonly doorMask: number;
  /** Increments between two counter cells aged, and between two doorkeeper words cleared: a full sweep of each takes one sample period. */
  private readonly counterStride: number;
  private readonly doorStride: number;
  private increments = 0;
  private counterCursor = 0;
  private doorCursor = 0;
  /** Cells and words aged so far (the work the aging did), for tests that count it. */
  agedCells = 0;

  constructor(capacity: number) {
    const samplePeriod = 10 * Math.max(1, capacity);
    // Eight counters per cached entry and eight doorkeeper bits per sighting of a period, powers of two so an index is a mask.
    const cells = 2 ** Math.ceil(Math.log2(Math.max(64, capacity * 8)));
    const bits = 2 ** Math.ceil(Math.log2(Math.max(1024, samplePeriod * 8)));
    this.counters = new Uint8Array(cells);
    this.counterMask = cells - 1;
    this.doorkeeper = new Uint32Array(bits / 32);
    this.doorMask = bits - 1;
    this.counterStride = Math.max(1, Math.floor(samplePeriod / cells));
    this.doorStride = Math.max(1, Math.floor(samplePeriod / (bits / 32)));
  }

  /** The estimated recent uses of `hash`: up to 15 from the counters, plus one if the doorkeeper has seen it. */
  frequency(hash: number): number {
    const step = spread(hash);
    let least = 15;
    for (let i = 0; i < 4; i++) least = Math.min(least, this.counters[(hash + i * step) & this.counterMask] ?? 0);
    return this.seen(hash, step) ? least + 1 : least;
  }

  /** Records one use of `hash`; ages at most one counter and one doorkeeper word. */
  increment(hash: number): void {
    const step = spread(hash);
    if (!this.seen(hash, step)) {
      this.setBit(hash);
      this.setBit(hash + step);
    } else {
      for (let i = 0; i < 4; i++) {
        const cell = (hash + i * step) & this.counterMask;
        const count = this.counters[cell] ?? 0;
        if (count < 15) this.counters[cell] = count + 1;
      }
    }
    this.increments += 1;
    if (this.increments % this.counterStride === 0) {
      const cell = this.counterCursor;
      this.counters[cell] = (this.counters[cell] ?? 0) >> 1;
      this.counterCursor = (cell + 1) & this.counterMask;
      this.agedCells += 1;
    }
    if (this.increments % this.doorStride === 0) {
      this.doorkeeper[this.doorCursor] = 0;
      this.doorCursor = (this.doorCursor + 1) % this.doorkeeper.length;
      this.agedCells += 1;
    }
  }

  private seen(hash: number, step: number): boolean {
    return this.hasBit(hash) && this.hasBit(hash + step);
  }

  private hasBit(position: number): boolean {
    const bit = position & this.doorMask;
    return ((this.doorkeeper[bit >>> 5] ?? 0) & (1 << (bit & 31))) !== 0;
  }

  private setBit(position: number): void {
    const bit = position & this.doorMask;
    this.doorkeeper[bit >>> 5] = (this.doorkeeper[bit >>> 5] ?? 0) | (1 << (bit & 31));
  }
}

/** An odd step derived from the hash (double hashing): the four cells of an item differ. */
function spread(hash: number): number {
  let h = Math.imul(hash ^ (hash >>> 16), 0x45d9f3b);
  h = Math.imul(h ^ (h >>> 16), 0x45d9f3b);
  return (h ^ (h >>> 16)) | 1;
}

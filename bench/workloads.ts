/**
 * Token sequences for the cache workloads, and the offline reference the
 * cache's hit ratio is compared with: an exact LRU of the same size fed
 * the very sequence the bench sent.
 */

/** A seeded PRNG (mulberry32): the same seed gives the same sequence on every run. */
export function seededRandom(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Indices drawn uniformly from `[0, population)`. */
export function uniform(population: number, seed: number): () => number {
  const random = seededRandom(seed);
  return () => Math.floor(random() * population);
}

/** Indices drawn with Zipf(`s`) popularity over `[0, population)`: index i with weight 1 / (i + 1)^s. */
export function zipf(population: number, seed: number, s = 1): () => number {
  const cumulative = new Float64Array(population);
  let total = 0;
  for (let i = 0; i < population; i++) cumulative[i] = total += 1 / (i + 1) ** s;
  const random = seededRandom(seed);
  return () => {
    const target = random() * total;
    let low = 0;
    let high = population - 1;
    while (low < high) {
      const mid = (low + high) >> 1;
      if ((cumulative[mid] ?? 0) < target) low = mid + 1;
      else high = mid;
    }
    return low;
  };
}

/** An exact LRU of `capacity` keys, counting hits: the reference policy, run offline on a recorded sequence. */
export class LruSimulator {
  private readonly keys = new Map<number, true>();
  hits = 0;
  lookups = 0;

  constructor(private readonly capacity: number) {}

  access(key: number): void {
    this.lookups += 1;
    if (this.keys.delete(key)) this.hits += 1;
    this.keys.set(key, true);
    if (this.keys.size > this.capacity) this.keys.delete(this.keys.keys().next().value as number);
  }
}

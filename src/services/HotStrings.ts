/**
 * A small direct-mapped table of exact strings: remembers, for the strings
 * seen most recently, something worked out from them, and recognises a
 * string again by comparing it whole (no hashing of the whole string, no
 * false match). Each slot holds the last string that landed in it, so the
 * table's memory is bounded by `slots × maxLength` whatever comes in.
 *
 * Used where a long string (a ~1 KB token) comes back request after
 * request: comparing two equal strings costs a memory compare, where
 * hashing or scanning one costs a pass over its characters in JavaScript
 * or a regular expression.
 */
export class HotStrings<V> {
  private readonly keys: (string | undefined)[];
  private readonly values: (V | undefined)[];
  private readonly mask: number;

  /** `slots` is rounded up to a power of two; strings longer than `maxLength` are never kept. */
  constructor(
    slots: number,
    private readonly maxLength: number,
  ) {
    const size = 2 ** Math.ceil(Math.log2(Math.max(1, slots)));
    this.keys = new Array<string | undefined>(size).fill(undefined);
    this.values = new Array<V | undefined>(size).fill(undefined);
    this.mask = size - 1;
  }

  /** What was remembered for exactly `key` (whose `tailHash` is `hash`), if its slot still holds it. */
  get(key: string, hash: number): V | undefined {
    const slot = hash & this.mask;
    return this.keys[slot] === key ? this.values[slot] : undefined;
  }

  set(key: string, hash: number, value: V): void {
    if (key.length > this.maxLength) return;
    const slot = hash & this.mask;
    this.keys[slot] = key;
    this.values[slot] = value;
  }
}

/**
 * 32 bits from the last 16 characters of a string and its length. For a
 * JWS these are signature characters, which differ between tokens and
 * which no client can choose for a valid token. Only ever used to spread
 * strings over slots: a match is always decided by comparing whole strings.
 */
export function tailHash(value: string): number {
  let h = 0x811c9dc5 ^ value.length;
  for (let i = Math.max(0, value.length - 16); i < value.length; i++) h = Math.imul(h ^ value.charCodeAt(i), 0x01000193);
  h = Math.imul(h ^ (h >>> 15), 0x2c1b3c6d);
  return (h ^ (h >>> 13)) >>> 0;
}

import { generateKeyPairSync, type KeyObject } from "node:crypto";
import { describe, expect, test } from "@jest/globals";
import fc from "fast-check";
import { resolveOidcConfig, type ResolvedOidcConfig } from "../../../src/config.js";
import type { RemoteKeySet, KeysRemovedListener } from "../../../src/services/keys/RemoteKeySet.js";
import { ManualClock } from "../../../src/testing/ManualClock.js";
import { BoundedVerifiedTokenCache } from "../../../src/services/verification/VerifiedTokenCache.js";
import type { VerifiedClaims } from "../../../src/types.js";

// Unit tests of the cache alone: a manual clock and a key set reduced to the
// one method the cache calls. The verifier's use of it, with a real JWKS, is
// in JwksVerifier.cache.test.ts.

const T0 = 1_700_000_000_000;
const clock = new ManualClock(T0);
const config = (overrides: Partial<ResolvedOidcConfig> = {}): ResolvedOidcConfig =>
  resolveOidcConfig({ authServiceUrl: "https://auth.example.com", appSlug: "app", ...overrides });

class KeySetStub {
  listeners: KeysRemovedListener[] = [];
  onKeysRemoved(listener: KeysRemovedListener): void {
    this.listeners.push(listener);
  }
  drop(...keys: KeyObject[]): void {
    for (const listener of this.listeners) listener(new Set(keys));
  }
}

const newKey = (): KeyObject => generateKeyPairSync("ed25519").publicKey;
const keyA = newKey();
const keyB = newKey();

function setup(settings: Partial<ResolvedOidcConfig> = {}) {
  clock.set(T0);
  const cache = new BoundedVerifiedTokenCache(clock);
  const keySet = new KeySetStub();
  const cfg = config(settings);
  const claims = (sub: string): VerifiedClaims => Object.freeze({ sub, iss: "https://auth.example.com", exp: T0 / 1000 + 3600 });
  const store = (token: string, options: { key?: KeyObject; until?: number; sub?: string; cfg?: ResolvedOidcConfig } = {}) =>
    cache.set(token, options.cfg ?? cfg, {
      claims: claims(options.sub ?? token),
      keySet: keySet as unknown as RemoteKeySet,
      key: options.key ?? keyA,
      acceptedUntilMs: options.until ?? T0 + 3_600_000,
    });
  return { cache, keySet, cfg, store };
}

describe("BoundedVerifiedTokenCache", () => {
  test("answers only for exactly the stored token: a token one character off is a miss", () => {
    const { cache, cfg, store } = setup();
    const token = "aaaa.bbbb.cccc";
    store(token, { sub: "alice" });
    store("aaaa.bbbb.dddd", { sub: "bob" });
    expect(cache.get(token, cfg)?.sub).toBe("alice");
    expect(cache.get("aaaa.bbbb.dddd", cfg)?.sub).toBe("bob");
    expect(cache.get("aaaa.bbbb.cccd", cfg)).toBeUndefined();
    expect(cache.get("aaaa.bbbb.ccc", cfg)).toBeUndefined();
    expect(cache.get(`${token}.`, cfg)).toBeUndefined();
  });

  test("an entry stops answering at the claims' deadline, on the injected clock", () => {
    const { cache, cfg, store } = setup();
    store("t", { until: T0 + 10_000 });
    clock.set(T0 + 9_999);
    expect(cache.get("t", cfg)).toBeDefined();
    clock.set(T0 + 10_000);
    expect(cache.get("t", cfg)).toBeUndefined();
    expect(cache.size).toBe(0);
  });

  test("an entry stops answering after the TTL even when the token lives longer", () => {
    const { cache, cfg, store } = setup({ tokenCacheTtlSeconds: 60 });
    store("t", { until: T0 + 3_600_000 });
    clock.set(T0 + 59_999);
    expect(cache.get("t", cfg)).toBeDefined();
    clock.set(T0 + 60_000);
    expect(cache.get("t", cfg)).toBeUndefined();
  });

  test("answers under equal settings only: another audience never sees the entry", () => {
    const { cache, cfg, store } = setup();
    store("t");
    expect(cache.get("t", config())).toBeDefined();
    expect(cache.get("t", config({ audience: "other-app" }))).toBeUndefined();
    expect(cache.get("t", config({ issuer: "https://evil.example.com" }))).toBeUndefined();
    expect(cache.get("t", cfg)).toBeDefined();
  });

  test("size 0 stores nothing", () => {
    const { cache, cfg, store } = setup({ tokenCacheSize: 0 });
    store("t");
    expect(cache.size).toBe(0);
    expect(cache.get("t", cfg)).toBeUndefined();
  });

  test("stays within its bound under a flood of 20,000 distinct tokens", () => {
    const { cache, store } = setup({ tokenCacheSize: 1000 });
    let largest = 0;
    for (let i = 0; i < 20_000; i++) {
      store(`flood-${i}`);
      largest = Math.max(largest, cache.size);
    }
    expect(largest).toBe(1000);
    expect(cache.size).toBe(1000);
  });

  test("a token in use survives a flood of one-off tokens; unused old entries go first", () => {
    const { cache, cfg, store } = setup({ tokenCacheSize: 1000 });
    store("in-use");
    store("idle");
    for (let i = 0; i < 20_000; i++) {
      if (i % 500 === 0) expect(cache.get("in-use", cfg)).toBeDefined();
      store(`flood-${i}`);
    }
    expect(cache.get("in-use", cfg)).toBeDefined();
    expect(cache.get("idle", cfg)).toBeUndefined();
    expect(cache.get("flood-0", cfg)).toBeUndefined();
    expect(cache.get("flood-19999", cfg)).toBeDefined();
    expect(cache.size).toBe(1000);
  });

  test("when the key set drops a key, exactly the entries it verified go", () => {
    const { cache, keySet, cfg, store } = setup();
    store("by-a-1", { key: keyA });
    store("by-a-2", { key: keyA });
    store("by-b", { key: keyB });
    keySet.drop(keyA);
    expect(cache.size).toBe(1);
    expect(cache.get("by-a-1", cfg)).toBeUndefined();
    expect(cache.get("by-a-2", cfg)).toBeUndefined();
    expect(cache.get("by-b", cfg)).toBeDefined();
  });

  test("listens to each key set once, however many entries it stores", () => {
    const { keySet, store } = setup();
    for (let i = 0; i < 10; i++) store(`t-${i}`);
    expect(keySet.listeners).toHaveLength(1);
  });

  test("storing the same token again replaces its entry", () => {
    const { cache, cfg, store } = setup();
    store("t", { sub: "first", until: T0 + 1000 });
    store("t", { sub: "second", until: T0 + 5000 });
    expect(cache.size).toBe(1);
    clock.set(T0 + 2000);
    expect(cache.get("t", cfg)?.sub).toBe("second");
  });
});

describe("BoundedVerifiedTokenCache admission and eviction (W-TinyLFU)", () => {
  test("a flood of one-off tokens does not evict a working set in use, even one as large as most of the cache", () => {
    const { cache, cfg, store } = setup({ tokenCacheSize: 1000 });
    const inUse = Array.from({ length: 500 }, (_, i) => `user-${i}`);
    for (const token of inUse) store(token);
    for (const token of inUse) cache.get(token, cfg);
    for (let i = 0; i < 50_000; i++) {
      store(`one-off-${i}`);
      const token = inUse[i % inUse.length] as string;
      // What the verifier does: a miss is verified again and offered to the cache.
      if (cache.get(token, cfg) === undefined) store(token);
    }
    expect(inUse.filter((token) => cache.get(token, cfg) === undefined)).toEqual([]);
    expect(cache.size).toBe(1000);
  });

  test("a working set larger than the cache, walked in a loop, keeps being served in part (LRU would miss every time)", () => {
    const { cache, cfg, store } = setup({ tokenCacheSize: 100 });
    let hits = 0;
    for (let lap = 0; lap < 20; lap++) {
      for (let i = 0; i < 300; i++) {
        const token = `loop-${i}`;
        if (cache.get(token, cfg) !== undefined) hits += 1;
        else store(token);
      }
    }
    expect(hits).toBeGreaterThan(20 * 300 * 0.2);
  });

  test("an expired entry is the first to make room, whatever its past use", () => {
    const { cache, cfg, store } = setup({ tokenCacheSize: 100 });
    store("short-lived", { until: T0 + 1000 });
    for (let i = 0; i < 10; i++) cache.get("short-lived", cfg);
    for (let i = 0; i < 99; i++) store(`t-${i}`);
    clock.set(T0 + 2000);
    for (let i = 0; i < 200; i++) store(`new-${i}`);
    expect(cache.get("short-lived", cfg)).toBeUndefined();
    expect(cache.size).toBe(100);
  });

  test("eviction does a bounded amount of work per insert and per hit, whatever the sequence", () => {
    const { cache, cfg, store } = setup({ tokenCacheSize: 500 });
    let worstMoves = 0;
    let worstAging = 0;
    const step = (operation: () => void) => {
      const moves = cache.moves;
      const aged = cache.agedCells;
      operation();
      worstMoves = Math.max(worstMoves, cache.moves - moves);
      worstAging = Math.max(worstAging, cache.agedCells - aged);
    };
    for (let i = 0; i < 30_000; i++) {
      const token = i % 3 === 0 ? `hot-${i % 97}` : `cold-${i}`;
      step(() => (cache.get(token, cfg) === undefined ? store(token) : undefined));
      if (i % 1000 === 0) clock.advance(10_000);
    }
    // An insert: the candidate leaves the window, one victim leaves the cache, plus a replaced or expired entry.
    expect(worstMoves).toBeLessThanOrEqual(4);
    expect(worstAging).toBeLessThanOrEqual(2);
    expect(cache.agedCells).toBeGreaterThan(0);
  });

  test("the bound holds and only valid acceptances answer, under any sequence of stores, lookups, clock moves and key removals", () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 40 }),
        fc.array(
          fc.oneof(
            fc.record({ op: fc.constant("set" as const), token: fc.integer({ min: 0, max: 60 }), life: fc.integer({ min: 1, max: 5000 }), byB: fc.boolean() }),
            fc.record({ op: fc.constant("get" as const), token: fc.integer({ min: 0, max: 60 }) }),
            fc.record({ op: fc.constant("tick" as const), ms: fc.integer({ min: 0, max: 3000 }) }),
            fc.record({ op: fc.constant("drop" as const) }),
          ),
          { maxLength: 400 },
        ),
        (capacity, operations) => {
          const { cache, keySet, cfg, store } = setup({ tokenCacheSize: capacity });
          // What the cache may still answer for: the last acceptance stored for each token, until its deadline or its key goes.
          const valid = new Map<string, { until: number; byB: boolean }>();
          for (const operation of operations) {
            if (operation.op === "set") {
              const token = `t${operation.token}`;
              const until = clock.now() + operation.life;
              store(token, { until, key: operation.byB ? keyB : keyA });
              valid.set(token, { until, byB: operation.byB });
            } else if (operation.op === "get") {
              const token = `t${operation.token}`;
              const claims = cache.get(token, cfg);
              if (claims !== undefined) {
                expect(claims.sub).toBe(token);
                const known = valid.get(token);
                expect(known !== undefined && clock.now() < known.until).toBe(true);
              }
            } else if (operation.op === "tick") {
              clock.advance(operation.ms);
            } else {
              keySet.drop(keyB);
              for (const [token, known] of valid) if (known.byB) valid.delete(token);
            }
            expect(cache.size).toBeLessThanOrEqual(capacity);
          }
        },
      ),
      { numRuns: 300 },
    );
  });

  test("counts hits and misses", () => {
    const { cache, cfg, store } = setup();
    store("t");
    cache.get("t", cfg);
    cache.get("t", cfg);
    cache.get("u", cfg);
    expect(cache.stats).toMatchObject({ hits: 2, misses: 1 });
  });
});

describe("BoundedVerifiedTokenCache hot-token table", () => {
  test("a token differing only before its last 16 characters is a miss, even right after the other one hit", () => {
    const { cache, cfg, store } = setup();
    const tail = ".signature-tail-0123456789abcdef";
    store(`header.payload-a${tail}`, { sub: "alice" });
    expect(cache.get(`header.payload-a${tail}`, cfg)?.sub).toBe("alice");
    expect(cache.get(`header.payload-b${tail}`, cfg)).toBeUndefined();
    expect(cache.get(`header.payload-a${tail}`, cfg)?.sub).toBe("alice");
  });

  test("a token is hashed once per verification, even with 50 other requests' lookups between its miss and its store", () => {
    const { cache, cfg, store } = setup();
    store("first");
    const tokens = Array.from({ length: 50 }, (_, i) => `header.payload-${i}.signature-${i}`);
    const before = cache.hashed;
    for (const token of tokens) expect(cache.get(token, cfg)).toBeUndefined();
    for (const token of tokens) store(token);
    expect(cache.hashed - before).toBe(50);
    for (const token of tokens) expect(cache.get(token, cfg)?.sub).toBe(token);
  });

  test("an entry found through the hot table still goes with its key, its deadline and its settings", () => {
    const { cache, keySet, cfg, store } = setup();
    store("by-a", { key: keyA });
    store("short", { key: keyB, until: T0 + 1000 });
    expect(cache.get("by-a", cfg)).toBeDefined();
    expect(cache.get("short", cfg)).toBeDefined();
    expect(cache.get("by-a", config({ audience: "other-app" }))).toBeUndefined();
    keySet.drop(keyA);
    expect(cache.get("by-a", cfg)).toBeUndefined();
    clock.set(T0 + 1000);
    expect(cache.get("short", cfg)).toBeUndefined();
  });
});

import { generateKeyPairSync, type KeyObject } from "node:crypto";
import { describe, expect, test } from "@jest/globals";
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

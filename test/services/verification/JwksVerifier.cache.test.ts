import { subscribe, unsubscribe } from "node:diagnostics_channel";
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, jest, test } from "@jest/globals";
import type { DependencyContainer } from "tsyringe";
import { createOidcContainer, ERR_AUTH_TOKEN_INVALID, ERR_AUTH_UNAVAILABLE, TOKENS, verifyOidcToken } from "../../../src/index.js";
import type { RemoteKeySet } from "../../../src/services/keys/RemoteKeySet.js";
import { createOidcLogger } from "../../../src/services/logger.js";
import { OIDC_CHANNELS, type TokenCacheMessage } from "../../../src/services/diagnostics.js";
import { ManualClock } from "../../../src/testing/ManualClock.js";
import { TestIssuer } from "../../../src/testing/TestIssuer.js";
import { refusal } from "../../fixtures/refusal.js";

// The verifier with its cache, against a real JWKS served over HTTP. A
// cache hit is recognised by the key set not being asked for a key: every
// full verification asks for one before checking the signature.

const clock = new ManualClock();
const nowSeconds = () => Math.floor(clock.now() / 1000);
let issuer: TestIssuer;

beforeAll(async () => {
  issuer = await TestIssuer.start({ alg: "ES256" });
});
afterAll(async () => {
  await issuer.close();
});
beforeEach(() => {
  clock.set(Date.now());
});

function setup(env: Record<string, string> = {}) {
  const container: DependencyContainer = createOidcContainer();
  container.register(TOKENS.Environment, { useValue: issuer.env(env) });
  container.register(TOKENS.Clock, { useValue: clock });
  container.register(TOKENS.Logger, { useValue: createOidcLogger(undefined, "silent") });
  const verifier = container.resolve(TOKENS.JwksVerifier);
  const cache = container.resolve(TOKENS.VerifiedTokenCache);
  const keySet: RemoteKeySet = container.resolve(TOKENS.KeySetRegistry).get(container.resolve(TOKENS.ConfigService).get());
  const getKey = jest.spyOn(keySet, "getKey");
  return { container, verifier, cache, keySet, getKey };
}

const mint = (claims: Record<string, unknown> = {}, options: Parameters<TestIssuer["mint"]>[1] = {}) =>
  issuer.mint({ sub: "alice", ...claims }, { now: nowSeconds(), ...options });


/** Flips one base64url character of the segment `part` (0 header, 1 payload, 2 signature). */
function tamper(token: string, part: number): string {
  const parts = token.split(".");
  const segment = parts[part] ?? "";
  const at = segment.length - 2;
  parts[part] = segment.slice(0, at) + (segment[at] === "A" ? "B" : "A") + segment.slice(at + 1);
  return parts.join(".");
}

describe("JwksVerifier with the verified-token cache", () => {
  test("a repeated token is served from the cache: no key lookup, no signature check", async () => {
    const { verifier, getKey, cache } = setup();
    const token = await mint();
    const first = await verifier.verify(token);
    expect(getKey).toHaveBeenCalledTimes(1);
    for (let i = 0; i < 5; i++) expect(await verifier.verify(token)).toBe(first);
    expect(getKey).toHaveBeenCalledTimes(1);
    expect(cache.size).toBe(1);
  });

  test("a cached token is refused once its exp (plus clock tolerance) has passed on the clock", async () => {
    const { verifier, getKey } = setup({ AUTH_SERVICE_CLOCK_TOLERANCE: "5" });
    const token = await mint({}, { expiresIn: 60 });
    const issuedAt = nowSeconds() * 1000;
    await verifier.verify(token);
    clock.set(issuedAt + 64_999);
    await verifier.verify(token);
    expect(getKey).toHaveBeenCalledTimes(1);
    clock.set(issuedAt + 65_000);
    const error = await refusal(verifier.verify(token));
    expect(error.code).toBe(ERR_AUTH_TOKEN_INVALID);
    expect(error.reason).toContain("ERR_JWT_EXPIRED");
  });

  test("a cached token is checked again after the cache TTL", async () => {
    const { verifier, getKey } = setup({ AUTH_SERVICE_TOKEN_CACHE_TTL: "30" });
    const token = await mint({}, { expiresIn: 3600 });
    const start = clock.now();
    await verifier.verify(token);
    clock.set(start + 29_999);
    await verifier.verify(token);
    expect(getKey).toHaveBeenCalledTimes(1);
    clock.set(start + 30_000);
    await verifier.verify(token);
    expect(getKey).toHaveBeenCalledTimes(2);
  });

  test("a cached token stops being accepted as soon as a refresh drops its key", async () => {
    const { verifier, cache, keySet } = setup();
    const oldKid = issuer.kids[issuer.kids.length - 1] ?? "";
    const token = await mint({}, { kid: oldKid });
    await verifier.verify(token);
    expect(cache.size).toBe(1);
    await issuer.rotate({ retireOld: true });
    try {
      await keySet.reload();
      expect(cache.size).toBe(0);
      const error = await refusal(verifier.verify(token));
      expect(error.code).toBe(ERR_AUTH_TOKEN_INVALID);
    } finally {
      await issuer.addKey();
    }
  });

  test("a warm token does not outlive the JWKS max age: the refresh that drops its key refuses it", async () => {
    const { verifier, getKey } = setup({ AUTH_SERVICE_JWKS_MAX_AGE: "60", AUTH_SERVICE_TOKEN_CACHE_TTL: "3600" });
    const oldKid = issuer.kids[issuer.kids.length - 1] ?? "";
    const token = await mint({}, { kid: oldKid, expiresIn: 3600 });
    await verifier.verify(token);
    await issuer.rotate({ retireOld: true });
    try {
      clock.advance(30_000);
      await verifier.verify(token); // keys still fresh: the cache answers
      expect(getKey).toHaveBeenCalledTimes(1);
      clock.advance(31_000);
      const error = await refusal(verifier.verify(token));
      expect(error.code).toBe(ERR_AUTH_TOKEN_INVALID);
    } finally {
      await issuer.addKey();
    }
  });

  test("while the JWKS is down, cached tokens keep working within the stale period and are refused (503) after it", async () => {
    const { verifier, getKey } = setup({ AUTH_SERVICE_JWKS_MAX_AGE: "60", AUTH_SERVICE_JWKS_STALE: "120", AUTH_SERVICE_TOKEN_CACHE_TTL: "3600" });
    const token = await mint({}, { expiresIn: 3600 });
    const fetchedAt = clock.now();
    await verifier.verify(token);
    await issuer.pause();
    try {
      clock.set(fetchedAt + 61_000);
      expect((await verifier.verify(token)).sub).toBe("alice");
      clock.set(fetchedAt + 179_000);
      expect((await verifier.verify(token)).sub).toBe("alice");
      expect(getKey).toHaveBeenCalledTimes(1);
      clock.set(fetchedAt + 181_000);
      const error = await refusal(verifier.verify(token));
      expect(error.code).toBe(ERR_AUTH_UNAVAILABLE);
    } finally {
      await issuer.resume();
    }
  });

  test("two different tokens never share an entry: tampered copies of a cached token are refused", async () => {
    const { verifier } = setup();
    const token = await mint({ sub: "alice" });
    await verifier.verify(token);
    for (const part of [0, 1, 2]) {
      const error = await refusal(verifier.verify(tamper(token, part)));
      expect(error.code).toBe(ERR_AUTH_TOKEN_INVALID);
    }
    const other = await mint({ sub: "bob" });
    expect((await verifier.verify(other)).sub).toBe("bob");
    expect((await verifier.verify(token)).sub).toBe("alice");
  });

  test("refusals are not cached: a refused token is verified, and refused, every time", async () => {
    const { verifier, getKey, cache } = setup();
    const wrongAudience = await mint({ aud: "another-app" });
    for (let i = 1; i <= 3; i++) {
      expect((await refusal(verifier.verify(wrongAudience))).code).toBe(ERR_AUTH_TOKEN_INVALID);
      expect(getKey).toHaveBeenCalledTimes(i);
    }
    expect(cache.size).toBe(0);
  });

  test("AUTH_SERVICE_TOKEN_CACHE_SIZE=0 turns the cache off", async () => {
    const { verifier, getKey, cache } = setup({ AUTH_SERVICE_TOKEN_CACHE_SIZE: "0" });
    const token = await mint();
    for (let i = 1; i <= 3; i++) {
      await verifier.verify(token);
      expect(getKey).toHaveBeenCalledTimes(i);
    }
    expect(cache.size).toBe(0);
  });

  test("stays within its bound under a flood of distinct valid tokens", async () => {
    const { verifier, cache } = setup({ AUTH_SERVICE_TOKEN_CACHE_SIZE: "100" });
    for (let i = 0; i < 300; i++) {
      await verifier.verify(await mint({ jti: `flood-${i}` }));
      expect(cache.size).toBeLessThanOrEqual(100);
    }
    expect(cache.size).toBe(100);
  });

  test("cached claims are frozen, so no caller can change what the next request gets", async () => {
    const { verifier } = setup();
    const token = await mint({ roles: ["user"], features: { beta: { on: true } } });
    const claims = await verifier.verify(token);
    expect(Object.isFrozen(claims)).toBe(true);
    expect(Object.isFrozen(claims.roles)).toBe(true);
    expect(Object.isFrozen((claims.features as { beta: object }).beta)).toBe(true);
  });

  test("verifyOidcToken shares the cache only with equal settings: another audience still refuses", async () => {
    const { container, verifier, cache, getKey } = setup();
    const token = await mint();
    await verifier.verify(token);
    expect(cache.size).toBe(1);
    const settings = { authServiceUrl: issuer.url, appSlug: issuer.audience, jwksUri: issuer.jwksUri, issuer: issuer.issuer };
    await expect(verifyOidcToken(token, { ...settings, audience: "another-app" }, container)).rejects.toMatchObject({ code: "ERR_JWT_CLAIM_VALIDATION_FAILED", claim: "aud" });
    expect(getKey).toHaveBeenCalledTimes(2);
    expect((await verifyOidcToken(token, settings, container)).sub).toBe("alice");
    expect(getKey).toHaveBeenCalledTimes(2);
  });

  describe("concurrent requests presenting a token being verified", () => {
    const lookups: TokenCacheMessage[] = [];
    const listen = (message: unknown) => void lookups.push(message as TokenCacheMessage);
    beforeEach(() => {
      lookups.length = 0;
      subscribe(OIDC_CHANNELS.tokenCache, listen);
    });
    afterEach(() => {
      unsubscribe(OIDC_CHANNELS.tokenCache, listen);
    });

    test("share one verification: one signature check for 20 requests, the same frozen claims for each", async () => {
      const { verifier, getKey } = setup();
      const token = await mint({ jti: "parallel" });
      const results = await Promise.all(Array.from({ length: 20 }, () => verifier.verify(token)));
      expect(getKey).toHaveBeenCalledTimes(1);
      expect(new Set(results).size).toBe(1);
      expect(results[0]).toMatchObject({ sub: "alice", jti: "parallel" });
      expect(lookups.filter((m) => !m.hit && m.shared !== true)).toHaveLength(1);
      expect(lookups.filter((m) => m.shared === true)).toHaveLength(19);
      // Once settled, the next request is an ordinary hit.
      await verifier.verify(token);
      expect(lookups.at(-1)).toEqual({ hit: true });
      expect(getKey).toHaveBeenCalledTimes(1);
    });

    test("share a refusal too, and do not keep it: the next request verifies (and refuses) again, with no unhandled rejection", async () => {
      const { verifier, getKey } = setup();
      const forged = tamper(await mint({ jti: "forged" }), 2);
      const outcomes = await Promise.all(Array.from({ length: 5 }, () => refusal(verifier.verify(forged))));
      expect(outcomes.map((e) => e.code)).toEqual(Array(5).fill(ERR_AUTH_TOKEN_INVALID));
      expect(getKey).toHaveBeenCalledTimes(1);
      expect((await refusal(verifier.verify(forged))).code).toBe(ERR_AUTH_TOKEN_INVALID);
      expect(getKey).toHaveBeenCalledTimes(2);
    });

    test("with the cache off, each request verifies on its own", async () => {
      const { verifier, getKey } = setup({ AUTH_SERVICE_TOKEN_CACHE_SIZE: "0" });
      const token = await mint({ jti: "uncached" });
      await Promise.all(Array.from({ length: 4 }, () => verifier.verify(token)));
      expect(getKey).toHaveBeenCalledTimes(4);
      expect(lookups.some((m) => m.shared === true)).toBe(false);
    });

    test("distinct tokens are never shared, even issued for the same subject at the same second", async () => {
      const { verifier, getKey } = setup();
      const [a, b] = [await mint({ jti: "a" }), await mint({ jti: "b" })];
      const [claimsA, claimsB] = await Promise.all([verifier.verify(a), verifier.verify(b)]);
      expect([claimsA.jti, claimsB.jti]).toEqual(["a", "b"]);
      expect(getKey).toHaveBeenCalledTimes(2);
    });
  });
});

import { afterEach, beforeEach, describe, expect, test } from "@jest/globals";
import { ERR_AUTH_TOKEN_INVALID, ERR_AUTH_UNAVAILABLE, OidcError } from "../../../src/errors.js";
import { RemoteKeySet } from "../../../src/services/keys/RemoteKeySet.js";
import { TestIssuer } from "../../../src/testing/TestIssuer.js";
import { captureLogger, manualClock, type CapturedLogs, type ManualClock } from "../../fixtures/doubles.js";

const COOLDOWN_MS = 30_000;
const MAX_AGE_MS = 600_000;
const STALE_MS = 3_600_000;

let issuer: TestIssuer;
let clock: ManualClock;
let logs: CapturedLogs;
let keySet: RemoteKeySet;

beforeEach(async () => {
  issuer = await TestIssuer.start({ alg: "ES256" });
  clock = manualClock();
  logs = captureLogger();
  keySet = new RemoteKeySet({ uri: issuer.jwksUri, timeoutMs: 2000, cooldownMs: COOLDOWN_MS, maxAgeMs: MAX_AGE_MS, staleMs: STALE_MS, clock, logger: logs.logger });
});
afterEach(() => issuer.close());

const firstKid = (): string => issuer.kids[0] as string;

async function rejection(promise: Promise<unknown>): Promise<OidcError> {
  const error = await promise.then(
    () => {
      throw new Error("expected a rejection");
    },
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(OidcError);
  return error as OidcError;
}

describe("fetch coalescing", () => {
  test("concurrent callers on a cold start share exactly one fetch", async () => {
    const keys = await Promise.all(Array.from({ length: 25 }, () => keySet.getKey("ES256", firstKid())));
    expect(issuer.jwksRequests).toBe(1);
    expect(keySet.fetchCount).toBe(1);
    // The imported key is shared too.
    expect(new Set(keys).size).toBe(1);
  });

  test("reload() joins a fetch already in flight", async () => {
    const pending = keySet.getKey("ES256", firstKid());
    expect(keySet.reloading).toBe(true);
    await Promise.all([keySet.reload(), pending]);
    expect(issuer.jwksRequests).toBe(1);
    expect(keySet.reloading).toBe(false);
    expect(keySet.fresh).toBe(true);
  });

  test("known keys are served from the cache without further requests", async () => {
    await keySet.getKey("ES256", firstKid());
    clock.advance(MAX_AGE_MS - 1);
    await keySet.getKey("ES256", firstKid());
    expect(issuer.jwksRequests).toBe(1);
  });
});

describe("key rotation and cooldown", () => {
  test("an unknown kid right after a routine fetch triggers one refetch that finds the rotated key", async () => {
    await keySet.getKey("ES256", firstKid());
    expect(keySet.coolingDown).toBe(false);
    const rotated = await issuer.rotate({ retireOld: true });
    await expect(keySet.getKey("ES256", rotated)).resolves.toBeDefined();
    expect(issuer.jwksRequests).toBe(2);
  });

  test("within the cooldown of an unknown-kid refetch, another unknown kid is refused without contacting the JWKS", async () => {
    await keySet.getKey("ES256", firstKid());
    await rejection(keySet.getKey("ES256", "bogus"));
    expect(issuer.jwksRequests).toBe(2);
    const rotated = await issuer.rotate();
    clock.advance(COOLDOWN_MS - 1);
    expect(keySet.coolingDown).toBe(true);
    const error = await rejection(keySet.getKey("ES256", rotated));
    expect(error.code).toBe(ERR_AUTH_TOKEN_INVALID);
    expect(issuer.jwksRequests).toBe(2);
  });

  test("a flood of unknown kids costs one refetch per cooldown period", async () => {
    await keySet.getKey("ES256", firstKid());
    const bogus = Array.from({ length: 20 }, (_, i) => keySet.getKey("ES256", `bogus-${i}`).catch((e: unknown) => e));
    const outcomes = await Promise.all(bogus);
    for (const outcome of outcomes) expect((outcome as OidcError).code).toBe(ERR_AUTH_TOKEN_INVALID);
    expect(issuer.jwksRequests).toBe(2);
    await rejection(keySet.getKey("ES256", "bogus-again"));
    expect(issuer.jwksRequests).toBe(2);
    clock.advance(COOLDOWN_MS);
    expect(keySet.coolingDown).toBe(false);
    await rejection(keySet.getKey("ES256", "bogus-later"));
    expect(issuer.jwksRequests).toBe(3);
  });

  test("keys older than the max age are refetched", async () => {
    await keySet.getKey("ES256", firstKid());
    clock.advance(MAX_AGE_MS);
    expect(keySet.fresh).toBe(false);
    await keySet.getKey("ES256", firstKid());
    expect(issuer.jwksRequests).toBe(2);
  });
});

describe("key selection", () => {
  test("a key is only used for the algorithm its type fits", async () => {
    const error = await rejection(keySet.getKey("RS256", firstKid()));
    expect(error.code).toBe(ERR_AUTH_TOKEN_INVALID);
  });

  test("without a kid, a single matching key is used; an ambiguous choice is refused", async () => {
    await expect(keySet.getKey("ES256", undefined)).resolves.toBeDefined();
    await issuer.addKey("ES256");
    clock.advance(MAX_AGE_MS);
    await rejection(keySet.getKey("ES256", undefined));
  });
});

describe("outages", () => {
  test("a JWKS that cannot be reached on a cold start gives ERR_AUTH_UNAVAILABLE with a Retry-After, logged once", async () => {
    await issuer.pause();
    const error = await rejection(keySet.getKey("ES256", "any"));
    expect(error.code).toBe(ERR_AUTH_UNAVAILABLE);
    expect(error.statusCode).toBe(503);
    expect(error.retryAfter).toBeGreaterThanOrEqual(1);
    expect(error.reason).toContain(issuer.jwksUri);
    await rejection(keySet.getKey("ES256", "any"));
    expect(logs.records().filter((r) => r.msg === "JWKS unavailable")).toHaveLength(1);
  });

  test.each([
    ["an HTTP 500", { kind: "status", status: 500 } as const],
    ["a redirect", { kind: "redirect", location: "http://127.0.0.1:9/jwks" } as const],
    ["a non-JSON body", { kind: "body", body: "<html>", contentType: "text/html" } as const],
    ["a body without keys", { kind: "body", body: '{"keys":[]}' } as const],
  ])("%s on a cold start gives ERR_AUTH_UNAVAILABLE", async (_kind, behaviour) => {
    issuer.setBehaviour(behaviour);
    expect((await rejection(keySet.getKey("ES256", firstKid()))).code).toBe(ERR_AUTH_UNAVAILABLE);
  });

  test("after a failure, requests do not hammer the endpoint: the next attempt waits", async () => {
    issuer.setBehaviour({ kind: "status", status: 502 });
    await rejection(keySet.getKey("ES256", firstKid()));
    await rejection(keySet.getKey("ES256", firstKid()));
    expect(issuer.jwksRequests).toBe(1);
    issuer.setBehaviour({ kind: "ok" });
    clock.advance(5_000);
    await expect(keySet.getKey("ES256", firstKid())).resolves.toBeDefined();
    expect(issuer.jwksRequests).toBe(2);
  });

  test("aged keys keep serving during an outage for the stale period, then ERR_AUTH_UNAVAILABLE", async () => {
    await keySet.getKey("ES256", firstKid());
    await issuer.pause();
    clock.advance(MAX_AGE_MS + 1);
    await expect(keySet.getKey("ES256", firstKid())).resolves.toBeDefined();
    clock.advance(STALE_MS);
    expect((await rejection(keySet.getKey("ES256", firstKid()))).code).toBe(ERR_AUTH_UNAVAILABLE);
  });

  test("reload() rejects with an error naming the JWKS URL and the reason", async () => {
    issuer.setBehaviour({ kind: "status", status: 404 });
    await expect(keySet.reload()).rejects.toThrow(`JWKS ${issuer.jwksUri} could not be loaded: HTTP 404`);
  });
});

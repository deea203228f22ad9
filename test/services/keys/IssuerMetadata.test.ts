import { afterAll, beforeAll, beforeEach, describe, expect, test } from "@jest/globals";
import { ERR_AUTH_UNAVAILABLE, OidcError } from "../../../src/errors.js";
import { IssuerMetadata } from "../../../src/services/keys/IssuerMetadata.js";
import { captureLogger, manualClock, type CapturedLogs, type ManualClock } from "../../fixtures/doubles.js";
import { MetadataServer } from "../../fixtures/metadataServer.js";

const MAX_AGE_MS = 600_000;
const JWKS = "https://keys.example.com/jwks";

let host: MetadataServer;
let clock: ManualClock;
let logs: CapturedLogs;
let metadata: IssuerMetadata;

beforeAll(async () => {
  host = await MetadataServer.start();
});
afterAll(() => host.close());
beforeEach(() => {
  host.requests.clear();
  host.serve(JWKS);
  clock = manualClock();
  logs = captureLogger();
  metadata = new IssuerMetadata({ issuer: host.issuer, timeoutMs: 2000, maxAgeMs: MAX_AGE_MS, allowInsecureHttp: false, clock, logger: logs.logger });
});

async function unavailable(): Promise<OidcError> {
  const error = await metadata.jwksUri().then(
    () => new Error("expected a rejection"),
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(OidcError);
  expect((error as OidcError).code).toBe(ERR_AUTH_UNAVAILABLE);
  return error as OidcError;
}

test("concurrent first callers share one discovery; later ones are served from memory until the max age", async () => {
  expect(metadata.current()).toBeUndefined();
  const uris = await Promise.all(Array.from({ length: 10 }, () => metadata.jwksUri()));
  expect(new Set(uris)).toEqual(new Set([JWKS]));
  expect(host.discoveryRequests).toBe(1);
  clock.advance(MAX_AGE_MS - 1);
  expect(metadata.current()).toBe(JWKS);
  await metadata.jwksUri();
  expect(host.discoveryRequests).toBe(1);
});

test("the document is fetched again once older than the JWKS max age, and a new jwks_uri takes over", async () => {
  await metadata.jwksUri();
  host.serve("https://keys.example.com/rotated");
  clock.advance(MAX_AGE_MS);
  expect(metadata.current()).toBeUndefined();
  await expect(metadata.jwksUri()).resolves.toBe("https://keys.example.com/rotated");
  expect(host.discoveryRequests).toBe(2);
});

describe("a failed discovery is never cached as a success", () => {
  beforeEach(() => host.set(host.openIdPath, { kind: "document", document: host.documentFor(JWKS, { issuer: "https://evil.example" }) }));

  test("callers get 503 ERR_AUTH_UNAVAILABLE naming why, and the failure is logged once", async () => {
    const error = await unavailable();
    expect(error.reason).toContain(`discovery of issuer ${host.issuer} failed`);
    expect(error.reason).toContain('names issuer "https://evil.example"');
    await unavailable();
    expect(logs.records().filter((r) => r.msg === "issuer discovery failed")).toHaveLength(1);
  });

  test("retries back off exponentially (1 s, 2 s, 4 s …, at most 60 s); meanwhile no request goes out", async () => {
    const waits: number[] = [];
    for (let attempt = 1; attempt <= 9; attempt++) {
      const error = await unavailable();
      expect(host.discoveryRequests).toBe(attempt);
      waits.push(error.retryAfter as number);
      // Just before the next attempt is due: refused without a request.
      clock.advance((error.retryAfter as number) * 1000 - 1);
      await unavailable();
      expect(host.discoveryRequests).toBe(attempt);
      clock.advance(1);
    }
    expect(waits).toEqual([1, 2, 4, 8, 16, 32, 60, 60, 60]);
  });

  test("once the document is right, the next attempt succeeds and the backoff is forgotten", async () => {
    await unavailable();
    host.serve(JWKS);
    clock.advance(1000);
    await expect(metadata.jwksUri()).resolves.toBe(JWKS);
    expect(logs.records().some((r) => r.msg === "issuer discovery succeeded again")).toBe(true);
  });
});

test("after a success, a failed refresh keeps the last good document and backs off", async () => {
  await metadata.jwksUri();
  host.set(host.openIdPath, { kind: "status", status: 500 });
  clock.advance(MAX_AGE_MS);
  await expect(metadata.jwksUri()).resolves.toBe(JWKS);
  expect(host.discoveryRequests).toBe(2);
  await expect(metadata.jwksUri()).resolves.toBe(JWKS);
  expect(host.discoveryRequests).toBe(2);
  expect(metadata.fetchCount).toBe(2);
});

test("the backoff runs from when an attempt failed, not from when it began: a slow failure is not retried at once", async () => {
  host.set(host.openIdPath, { kind: "delay", ms: 500, document: host.documentFor(JWKS) });
  const slow = new IssuerMetadata({ issuer: host.issuer, timeoutMs: 50, maxAgeMs: MAX_AGE_MS, allowInsecureHttp: false, clock, logger: logs.logger });
  const first = slow.jwksUri().then(
    () => undefined,
    (e: unknown) => e as OidcError,
  );
  // The attempt takes longer than the first backoff step (a timeout, as seen by the clock).
  clock.advance(5_000);
  const error = await first;
  expect(error?.code).toBe(ERR_AUTH_UNAVAILABLE);
  expect(error?.retryAfter).toBe(1);
  // Right after the failure, within its 1 s backoff: refused without a request.
  await expect(slow.jwksUri()).rejects.toMatchObject({ code: ERR_AUTH_UNAVAILABLE });
  expect(slow.fetchCount).toBe(1);
});

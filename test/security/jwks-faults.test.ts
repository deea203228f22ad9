/**
 * The JWKS endpoint misbehaving under a real IOServer: a real loopback
 * issuer that is stopped, slowed, broken and rotated, time moved by a
 * manual clock. Every assertion counts the fetches the issuer saw.
 */
import { afterEach, describe, expect, test } from "@jest/globals";
import { randomUUID } from "node:crypto";
import { ERR_AUTH_TOKEN_INVALID, ERR_AUTH_UNAVAILABLE } from "../../src/index.js";
import { TestIssuer, type JwksBehaviour } from "../../src/testing/TestIssuer.js";
import { calls } from "../fixtures/app.js";
import { httpGet, ManualClock, PINO_LEVEL, socketProbe, startProtectedApp, TrapServer, type ProtectedApp, seconds, advanceSeconds } from "./harness.js";

/** Short fetch timeout so a slowed endpoint costs a fifth of a second; the other timings are the defaults. */
const ENV = { AUTH_SERVICE_JWKS_TIMEOUT: "0.2" };
const COOLDOWN = 30;
const MAX_AGE = 600;
const STALE = 3600;
/** After a failed fetch the next attempt waits this long (RemoteKeySet's retry delay). */
const RETRY = 5;

let issuer: TestIssuer;
let app: ProtectedApp;
const cleanups: (() => Promise<void>)[] = [];

async function setUp(options: { manager?: boolean } = {}): Promise<void> {
  issuer = await TestIssuer.start({ alg: "ES256" });
  app = await startProtectedApp(issuer, { env: ENV, clock: new ManualClock(), manager: options.manager ?? false });
  cleanups.push(() => app.stop(), () => issuer.close());
  calls.length = 0;
}

afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

const mint = (options: { kid?: string } = {}): Promise<string> => issuer.mint({}, { now: seconds(app.clock), ...options });

interface BothOutcomes {
  http: { status: number; code: unknown; retryAfter: string | undefined };
  socket: { code: string | undefined };
}

/** The same token over HTTP and Socket.IO, one after the other. */
async function present(token: string): Promise<BothOutcomes> {
  const res = await httpGet(`${app.url}/profile`, { authorization: `Bearer ${token}` });
  const probe = await socketProbe(app.url, "/chat", { auth: { token } });
  return {
    http: { status: res.status, code: res.body?.code, retryAfter: res.headers["retry-after"] },
    socket: { code: probe.connected ? undefined : probe.error?.message },
  };
}

const ACCEPTED: BothOutcomes = { http: { status: 200, code: undefined, retryAfter: undefined }, socket: { code: undefined } };
const INVALID: BothOutcomes = {
  http: { status: 401, code: ERR_AUTH_TOKEN_INVALID, retryAfter: undefined },
  socket: { code: ERR_AUTH_TOKEN_INVALID },
};
const unavailable = (retryAfter: number): BothOutcomes => ({
  http: { status: 503, code: ERR_AUTH_UNAVAILABLE, retryAfter: String(retryAfter) },
  socket: { code: ERR_AUTH_UNAVAILABLE },
});

const warnings = (): string[] =>
  app.log
    .records()
    .filter((r) => r.level === PINO_LEVEL.warn)
    .map((r) => `${r.msg}: ${String(r.reason)}`);

describe("fetch scheduling", () => {
  test("concurrent cold start: 20 simultaneous first requests on both transports cause exactly one fetch", async () => {
    await setUp();
    const token = await mint();
    const outcomes = await Promise.all([
      ...Array.from({ length: 10 }, () => httpGet(`${app.url}/profile`, { authorization: `Bearer ${token}` }).then((r) => r.status)),
      ...Array.from({ length: 10 }, () => socketProbe(app.url, "/chat", { auth: { token } }).then((p) => (p.connected ? 200 : p.error?.message))),
    ]);
    expect(outcomes).toEqual(Array(20).fill(200));
    expect(issuer.jwksRequests).toBe(1);
  });

  test("warm-up: oidcReady() resolves after one fetch and requests then cause none", async () => {
    await setUp({ manager: true });
    await app.ready();
    expect(issuer.jwksRequests).toBe(1);
    expect(await present(await mint())).toEqual(ACCEPTED);
    expect(issuer.jwksRequests).toBe(1);
  });

  test("rotation: a key published right after the warm-up is accepted at once, after exactly one refetch", async () => {
    await setUp({ manager: true });
    await app.ready();
    const newKid = await issuer.rotate();
    // Routine fetches (the warm-up) start no cooldown: the rotated key is looked up at once.
    expect(await present(await mint({ kid: newKid }))).toEqual(ACCEPTED);
    expect(issuer.jwksRequests).toBe(2);
    expect(await present(await mint({ kid: newKid }))).toEqual(ACCEPTED);
    expect(issuer.jwksRequests).toBe(2);
  });

  test("rotation: within the cooldown of an unknown-kid refetch, a key published since is not looked up until it ends", async () => {
    await setUp({ manager: true });
    await app.ready();
    expect(await present(await issuer.mint({}, { now: seconds(app.clock), header: { kid: randomUUID() } }))).toEqual(INVALID);
    expect(issuer.jwksRequests).toBe(2);
    const newKid = await issuer.rotate();
    advanceSeconds(app.clock, COOLDOWN - 1);
    expect(await present(await mint({ kid: newKid }))).toEqual(INVALID);
    expect(issuer.jwksRequests).toBe(2);
    advanceSeconds(app.clock, 1);
    expect(await present(await mint({ kid: newKid }))).toEqual(ACCEPTED);
    expect(issuer.jwksRequests).toBe(3);
  });

  test("a removed key keeps verifying until the cache ages out, then stops", async () => {
    await setUp({ manager: true });
    await app.ready();
    const oldToken = await issuer.mint({}, { now: seconds(app.clock), expiresIn: 3600 });
    await issuer.rotate({ retireOld: true });
    advanceSeconds(app.clock, MAX_AGE - 1);
    expect(await present(oldToken)).toEqual(ACCEPTED);
    expect(issuer.jwksRequests).toBe(1);
    advanceSeconds(app.clock, 1);
    expect(await present(oldToken)).toEqual(INVALID);
    // One refresh because the cache aged out, then one refetch for the now unknown kid, which starts the cooldown.
    expect(issuer.jwksRequests).toBe(3);
    expect(await present(oldToken)).toEqual(INVALID);
    expect(issuer.jwksRequests).toBe(3);
  });

  test("unknown-kid flood: at most one fetch per cooldown", async () => {
    await setUp({ manager: true });
    await app.ready();
    const flood = async (n: number): Promise<void> => {
      const tokens = await Promise.all(Array.from({ length: n }, () => issuer.mint({}, { now: seconds(app.clock), header: { kid: randomUUID() } })));
      const statuses = await Promise.all(tokens.map((t) => httpGet(`${app.url}/profile`, { authorization: `Bearer ${t}` }).then((r) => r.status)));
      expect(statuses).toEqual(Array(n).fill(401));
    };
    // The first unknown kid after the warm-up causes one refetch; the other 39 share it or fall in its cooldown.
    await flood(40);
    expect(issuer.jwksRequests).toBe(2);
    expect(await present(await issuer.mint({}, { now: seconds(app.clock), header: { kid: randomUUID() } }))).toEqual(INVALID);
    expect(issuer.jwksRequests).toBe(2);
    advanceSeconds(app.clock, COOLDOWN - 1);
    await flood(40);
    expect(issuer.jwksRequests).toBe(2);
    advanceSeconds(app.clock, 1);
    await flood(40);
    expect(issuer.jwksRequests).toBe(3);
    advanceSeconds(app.clock, COOLDOWN - 1);
    await flood(40);
    expect(issuer.jwksRequests).toBe(3);
    expect(calls).toEqual([]);
  });
});

describe("outages: 503 ERR_AUTH_UNAVAILABLE with Retry-After, warned once", () => {
  test("connection refused at cold start, then recovery when the endpoint returns", async () => {
    await setUp();
    await issuer.pause();
    const token = await mint();
    expect(await present(token)).toEqual(unavailable(RETRY));
    expect(await present(token)).toEqual(unavailable(RETRY));
    advanceSeconds(app.clock, RETRY);
    expect(await present(token)).toEqual(unavailable(RETRY));
    expect(issuer.jwksRequests).toBe(0);
    expect(app.keySet().fetchCount).toBe(2);
    expect(warnings()).toEqual(["JWKS unavailable: request failed: ECONNREFUSED"]);
    expect(calls).toEqual([]);

    await issuer.resume();
    advanceSeconds(app.clock, RETRY);
    expect(await present(token)).toEqual(ACCEPTED);
    expect(issuer.jwksRequests).toBe(1);
    expect(app.log.records().filter((r) => r.msg === "JWKS reachable again")).toHaveLength(1);
    expect(warnings()).toHaveLength(1);
  });

  test("Retry-After counts down to the next fetch attempt", async () => {
    await setUp();
    await issuer.pause();
    const token = await mint();
    expect((await present(token)).http.retryAfter).toBe("5");
    advanceSeconds(app.clock, 3);
    expect(await present(token)).toEqual(unavailable(2));
    expect(app.keySet().fetchCount).toBe(1);
  });

  test("slowed past the timeout (1 s delay, 0.2 s timeout)", async () => {
    await setUp();
    issuer.setBehaviour({ kind: "delay", ms: 1000 });
    const token = await mint();
    const res = await httpGet(`${app.url}/profile`, { authorization: `Bearer ${token}` });
    expect([res.status, res.body?.code, res.headers["retry-after"]]).toEqual([503, ERR_AUTH_UNAVAILABLE, "5"]);
    expect((await socketProbe(app.url, "/chat", { auth: { token } })).error?.message).toBe(ERR_AUTH_UNAVAILABLE);
    expect(issuer.jwksRequests).toBe(1);
    expect(warnings()).toEqual(["JWKS unavailable: timed out after 200 ms"]);

    issuer.setBehaviour({ kind: "ok" });
    advanceSeconds(app.clock, RETRY);
    expect(await present(token)).toEqual(ACCEPTED);
    expect(issuer.jwksRequests).toBe(2);
  });

  const broken: [string, (trapUrl: string) => JwksBehaviour, RegExp][] = [
    ["HTTP 500", () => ({ kind: "status", status: 500 }), /: HTTP 500$/],
    ["HTTP 404", () => ({ kind: "status", status: 404 }), /: HTTP 404$/],
    ["a redirect (to another host)", (trapUrl) => ({ kind: "redirect", location: `${trapUrl}/jwks` }), /: HTTP 302 \(redirects are not followed\)$/],
    ["a body that is not JSON", () => ({ kind: "body", body: "<html>maintenance</html>", contentType: "text/html" }), /: body is not JSON$/],
    ["JSON without a keys array", () => ({ kind: "body", body: '{"keys":"none"}' }), /no "keys" array/],
    ["an empty keys array", () => ({ kind: "body", body: '{"keys":[]}' }), /no usable public signature key/],
    ["only private or encryption keys", () => ({ kind: "body", body: '{"keys":[{"kty":"EC","crv":"P-256","x":"a","y":"b","d":"c"},{"kty":"RSA","n":"a","e":"AQAB","use":"enc"}]}' }), /no usable public signature key/],
    ["an oversized body (600 KiB)", () => ({ kind: "body", body: `{"keys":[],"pad":"${"x".repeat(600 * 1024)}"}` }), /body larger than 524288 bytes/],
  ];

  test.each(broken)("endpoint answering %s", async (_name, behaviour, reason) => {
    await setUp();
    const trap = await TrapServer.start("{}");
    cleanups.push(() => trap.close());
    issuer.setBehaviour(behaviour(trap.url));
    const token = await mint();
    expect(await present(token)).toEqual(unavailable(RETRY));
    expect(issuer.jwksRequests).toBe(1);
    expect(trap.hits).toBe(0);
    expect(warnings()).toEqual([expect.stringMatching(reason)]);
    expect(calls).toEqual([]);

    issuer.setBehaviour({ kind: "ok" });
    advanceSeconds(app.clock, RETRY);
    expect(await present(token)).toEqual(ACCEPTED);
    expect(issuer.jwksRequests).toBe(2);
  });

  test("cached keys keep serving through an outage for the stale period, then 503, then recovery", async () => {
    await setUp({ manager: true });
    await app.ready();
    issuer.setBehaviour({ kind: "status", status: 502 });
    advanceSeconds(app.clock, MAX_AGE);
    expect(await present(await mint())).toEqual(ACCEPTED);
    expect(issuer.jwksRequests).toBe(2);
    // Within the retry delay no new attempt; the stale keys still serve.
    expect(await present(await mint())).toEqual(ACCEPTED);
    expect(issuer.jwksRequests).toBe(2);

    advanceSeconds(app.clock, STALE - 1);
    expect(await present(await mint())).toEqual(ACCEPTED);
    expect(issuer.jwksRequests).toBe(3);

    // Stale period over; the last attempt was 1 s ago, so the next one is due in 4 s.
    advanceSeconds(app.clock, 1);
    expect(await present(await mint())).toEqual(unavailable(RETRY - 1));
    expect(issuer.jwksRequests).toBe(3);
    expect(warnings()).toEqual(["JWKS unavailable: HTTP 502"]);

    issuer.setBehaviour({ kind: "ok" });
    advanceSeconds(app.clock, RETRY - 1);
    expect(await present(await mint())).toEqual(ACCEPTED);
    expect(issuer.jwksRequests).toBe(4);
    advanceSeconds(app.clock, 1);
    expect(await present(await mint())).toEqual(ACCEPTED);
    expect(issuer.jwksRequests).toBe(4);
  });

  test("an unknown kid during an outage is 503, not 401: a new key cannot be told from a forged one", async () => {
    await setUp({ manager: true });
    await app.ready();
    await issuer.pause();
    advanceSeconds(app.clock, COOLDOWN);
    const token = await issuer.mint({}, { now: seconds(app.clock), header: { kid: randomUUID() } });
    // The failed refetch started the unknown-kid cooldown: no kid is looked up again before it ends.
    expect(await present(token)).toEqual(unavailable(COOLDOWN));
    expect(app.keySet().fetchCount).toBe(2);
    // A token whose key is cached is still accepted meanwhile.
    expect(await present(await mint())).toEqual(ACCEPTED);
    // Later, within that cooldown: Retry-After counts to its end, not to the 5 s failure retry.
    advanceSeconds(app.clock, 10);
    const another = await issuer.mint({}, { now: seconds(app.clock), header: { kid: randomUUID() } });
    expect(await present(another)).toEqual(unavailable(COOLDOWN - 10));
    expect(app.keySet().fetchCount).toBe(2);
  });

  test("refusals during an outage are logged at debug; the warning is written once", async () => {
    await setUp();
    await issuer.pause();
    const token = await mint();
    for (let i = 0; i < 5; i += 1) {
      await present(token);
      advanceSeconds(app.clock, RETRY);
    }
    const refusals = app.log.refusals();
    expect(refusals).toHaveLength(10);
    expect(refusals.every((r) => r.level === PINO_LEVEL.debug && r.code === ERR_AUTH_UNAVAILABLE && /ECONNREFUSED/.test(String(r.reason)))).toBe(true);
    expect(app.keySet().fetchCount).toBe(5);
    expect(warnings()).toHaveLength(1);
    expect(app.log.text).not.toContain(token);
  });
});

import { afterEach, beforeEach, expect, jest, test } from "@jest/globals";
import { decodeProtectedHeader } from "jose";
import { ERR_AUTH_TOKEN_INVALID } from "../../src/index.js";
import { startBetterAuthServer, type BetterAuthServer } from "./betterAuthServer.js";
import { contextEverywhere, expectRefusedEverywhere, startProtectedApp, type ProtectedApp } from "./protectedApp.js";

// BetterAuth rotates lazily: the first token signed after a key's rotationInterval gets a new key. Its clock is
// `Date`, so only Date is faked and moved forward; sockets, timers and fetch keep real time. The verifier reads
// the same Date (systemClock), which is what a deployed app would see a minute later.
const ROTATION_INTERVAL = 60;
// 61 s later: past the rotation interval and the verifier's 30 s refetch cooldown, within its 600 s JWKS max age,
// so any refetch the verifier makes is caused by the new kid, not by the age of its cache.
const PAST_ROTATION_MS = (ROTATION_INTERVAL + 1) * 1000;
const ALL_BUT_DATE = ["hrtime", "nextTick", "performance", "queueMicrotask", "requestAnimationFrame", "cancelAnimationFrame",
  "requestIdleCallback", "cancelIdleCallback", "setImmediate", "clearImmediate", "setInterval", "clearInterval",
  "setTimeout", "clearTimeout", "Temporal"] as const;

let authServer: BetterAuthServer | undefined;
let app: ProtectedApp | undefined;

beforeEach(() => {
  jest.useFakeTimers({ doNotFake: [...ALL_BUT_DATE], now: Date.now() });
});
afterEach(async () => {
  jest.useRealTimers();
  await app?.stop();
  await authServer?.close();
});

/** Starts BetterAuth and the app (which loads the JWKS once) and signs a user in: the session cookie. */
async function setUp(gracePeriod: number): Promise<{ cookie: string; userId: string }> {
  authServer = await startBetterAuthServer({ audience: "interop-app", rotationInterval: ROTATION_INTERVAL, gracePeriod });
  app = await startProtectedApp({ AUTH_SERVICE_URL: authServer.baseURL, AUTH_SERVICE_APP_SLUG: "interop-app" });
  expect(authServer.jwksRequests).toBe(1);
  return authServer.signUp("rita@example.com", "correct-horse-battery", "Rita");
}

async function publishedKids(server: BetterAuthServer): Promise<string[]> {
  const { keys } = (await (await fetch(server.jwksUrl)).json()) as { keys: { kid: string }[] };
  return keys.map((k) => k.kid).sort();
}

test("tokens signed before and after a key rotation are both accepted while the old key is published, after one JWKS refetch", async () => {
  const { cookie, userId } = await setUp(300);
  const before = await authServer!.sessionJwt(cookie);
  expect(await contextEverywhere(app!.url, before)).toMatchObject({ sub: userId });

  jest.setSystemTime(Date.now() + PAST_ROTATION_MS);
  const after = await authServer!.sessionJwt(cookie);
  const oldKid = decodeProtectedHeader(before).kid!;
  const newKid = decodeProtectedHeader(after).kid!;
  expect(newKid).not.toBe(oldKid);

  expect(await contextEverywhere(app!.url, after)).toMatchObject({ sub: userId });
  expect(await contextEverywhere(app!.url, before)).toMatchObject({ sub: userId });
  expect(await contextEverywhere(app!.url, after)).toMatchObject({ sub: userId });
  // The startup load, then exactly one refetch for the unknown kid; everything else came from the cache.
  expect(authServer!.jwksRequests).toBe(2);
  // And BetterAuth was indeed publishing both keys (this request is the test's own).
  expect(await publishedKids(authServer!)).toEqual([oldKid, newKid].sort());
});

test("with gracePeriod 0 the old key leaves the JWKS at rotation, and after the refetch its tokens are refused", async () => {
  const { cookie, userId } = await setUp(0);
  const before = await authServer!.sessionJwt(cookie);
  expect(await contextEverywhere(app!.url, before)).toMatchObject({ sub: userId });

  jest.setSystemTime(Date.now() + PAST_ROTATION_MS);
  const after = await authServer!.sessionJwt(cookie);

  expect(await contextEverywhere(app!.url, after)).toMatchObject({ sub: userId });
  await expectRefusedEverywhere(app!.url, before, ERR_AUTH_TOKEN_INVALID, 401);
  expect(authServer!.jwksRequests).toBe(2);
  expect(await publishedKids(authServer!)).toEqual([decodeProtectedHeader(after).kid]);
});

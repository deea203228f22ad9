import { afterAll, afterEach, beforeAll, describe, expect, test } from "@jest/globals";
import { decodeJwt } from "jose";
import { ERR_AUTH_TOKEN_INVALID } from "../../src/index.js";
import { startBetterAuthServer, type BetterAuthServer } from "./betterAuthServer.js";
import { contextEverywhere, expectRefusedEverywhere, startProtectedApp, type AuthServiceEnv, type ProtectedApp } from "./protectedApp.js";

// Each refusal is paired with its control: the same BetterAuth token is accepted by an app whose only difference
// is the setting (or the clock, or the bytes) under test.
let authServer: BetterAuthServer;
let token: string;
let userId: string;
let rightEnv: AuthServiceEnv;
let app: ProtectedApp;
const others: ProtectedApp[] = [];

/** The verifier's clock (TOKENS.Clock): real time unless a test sets `at` (ms). */
const clock = { at: undefined as number | undefined, now: () => clock.at ?? Date.now() };

beforeAll(async () => {
  authServer = await startBetterAuthServer({ audience: "interop-app", claims: () => ({ roles: ["user"] }) });
  rightEnv = { AUTH_SERVICE_URL: authServer.baseURL, AUTH_SERVICE_APP_SLUG: "interop-app" };
  app = await startProtectedApp(rightEnv, { clock });
  const signedUp = await authServer.signUp("mallory@example.com", "correct-horse-battery", "Mallory");
  userId = signedUp.userId;
  token = await authServer.sessionJwt(signedUp.cookie);
});
afterEach(() => {
  clock.at = undefined;
});
afterAll(async () => {
  for (const other of [app, ...others]) await other.stop();
  await authServer.close();
});

async function appWith(overrides: AuthServiceEnv): Promise<ProtectedApp> {
  const other = await startProtectedApp({ ...rightEnv, ...overrides });
  others.push(other);
  return other;
}

test("control: the token is accepted by the app configured for this BetterAuth server", async () => {
  expect(await contextEverywhere(app.url, token)).toMatchObject({ sub: userId, roles: ["user"] });
});

test("wrong audience: an app with another slug refuses the token with ERR_AUTH_TOKEN_INVALID", async () => {
  const otherApp = await appWith({ AUTH_SERVICE_APP_SLUG: "billing-app" });
  await expectRefusedEverywhere(otherApp.url, token, ERR_AUTH_TOKEN_INVALID, 401);
});

test("wrong issuer: an app expecting another iss refuses the token with ERR_AUTH_TOKEN_INVALID", async () => {
  // <baseURL>/api/auth is the iss of BetterAuth's OAuth access tokens, not of its session JWTs.
  const otherApp = await appWith({ AUTH_SERVICE_ISSUER: `${authServer.baseURL}/api/auth` });
  await expectRefusedEverywhere(otherApp.url, token, ERR_AUTH_TOKEN_INVALID, 401);
});

describe("tampered tokens are refused with ERR_AUTH_TOKEN_INVALID", () => {
  test("a payload edited to grant the admin role", async () => {
    const [header, , signature] = token.split(".");
    const escalated = Buffer.from(JSON.stringify({ ...decodeJwt(token), roles: ["admin"] })).toString("base64url");
    await expectRefusedEverywhere(app.url, `${header}.${escalated}.${signature}`, ERR_AUTH_TOKEN_INVALID, 401);
  });

  test("a signature with one character changed", async () => {
    const [header, payload, signature] = token.split(".") as [string, string, string];
    // A middle character: the last one may only carry padding bits.
    const middle = signature.length >> 1;
    const flipped = signature.slice(0, middle) + (signature[middle] === "A" ? "B" : "A") + signature.slice(middle + 1);
    await expectRefusedEverywhere(app.url, `${header}.${payload}.${flipped}`, ERR_AUTH_TOKEN_INVALID, 401);
  });
});

test("expired: accepted a second before exp, refused with ERR_AUTH_TOKEN_INVALID once exp and the 5 s tolerance have passed", async () => {
  const { exp } = decodeJwt(token);
  clock.at = (exp! - 1) * 1000;
  expect(await contextEverywhere(app.url, token)).toMatchObject({ sub: userId });
  clock.at = (exp! + 5 + 1) * 1000;
  await expectRefusedEverywhere(app.url, token, ERR_AUTH_TOKEN_INVALID, 401);
});

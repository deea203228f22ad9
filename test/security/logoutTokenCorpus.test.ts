/**
 * Malformed and hostile back-channel logout requests, each with the exact
 * answer the receiver gives and proof that it revoked nothing: the store
 * heard of no revocation, and the access token of the session every token
 * here names still works over HTTP.
 */
import { afterAll, beforeAll, describe, expect, test } from "@jest/globals";
import { TestIssuer } from "../../src/testing/TestIssuer.js";
import { BACKCHANNEL_EVENT, logoutClaims, logoutToken, startLogoutApp, type LogoutApp } from "../fixtures/logoutApp.js";

let issuer: TestIssuer;
let app: LogoutApp;
let victim: string;

beforeAll(async () => {
  issuer = await TestIssuer.start({ alg: "ES256" });
  app = await startLogoutApp(issuer);
  victim = await issuer.mint({ sub: "user-1", sid: "session-1", jti: "access-1" });
});
afterAll(async () => {
  await app.stop();
  await issuer.close();
});

const b64 = (value: unknown): string => Buffer.from(typeof value === "string" ? value : JSON.stringify(value)).toString("base64url");
const now = (): number => Math.floor(Date.now() / 1000);
const form = (token: string): string => new URLSearchParams({ logout_token: token }).toString();
const signed = (claims: Record<string, unknown>, header: Record<string, unknown> = { typ: "logout+jwt" }): Promise<string> => logoutToken(issuer, claims, header);
const invalid = (why: string): string => `invalid logout token: ${why}`;

interface Case {
  /** The request: a form with this logout token, or a raw body with its content type. */
  body: () => Promise<string | { body: string; type: string }>;
  /** The exact error_description of the 400. */
  description: string;
}

const CASES: Record<string, Case> = {
  "typ at+jwt (an access token's type)": { body: async () => form(await signed({}, { typ: "at+jwt" })), description: invalid('header "typ" "at+jwt" is not a logout token\'s') },
  "typ id_token+jwt": { body: async () => form(await signed({}, { typ: "application/id_token+jwt" })), description: invalid('header "typ" "application/id_token+jwt" is not a logout token\'s') },
  "nonce present": { body: async () => form(await signed({ nonce: "n-0S6_WzA2Mj" })), description: invalid('a logout token must not contain "nonce"') },
  "events missing": { body: async () => form(await signed({ events: undefined })), description: invalid('a logout token needs an "events" claim') },
  "events a string": { body: async () => form(await signed({ events: BACKCHANNEL_EVENT })), description: invalid('"events" must be a JSON object') },
  "events an array": { body: async () => form(await signed({ events: [BACKCHANNEL_EVENT] })), description: invalid('"events" must be a JSON object') },
  "events without the back-channel member": { body: async () => form(await signed({ events: { "http://schemas.openid.net/event/frontchannel-logout": {} } })), description: invalid(`"events" has no member ${BACKCHANNEL_EVENT}`) },
  "event value true": { body: async () => form(await signed({ events: { [BACKCHANNEL_EVENT]: true } })), description: invalid(`"events" member ${BACKCHANNEL_EVENT} must be a JSON object`) },
  "event value null": { body: async () => form(await signed({ events: { [BACKCHANNEL_EVENT]: null } })), description: invalid(`"events" member ${BACKCHANNEL_EVENT} must be a JSON object`) },
  "event value an array": { body: async () => form(await signed({ events: { [BACKCHANNEL_EVENT]: [] } })), description: invalid(`"events" member ${BACKCHANNEL_EVENT} must be a JSON object`) },
  "neither sub nor sid": { body: async () => form(await signed({ sub: undefined, sid: undefined })), description: invalid('a logout token needs "sub", "sid" or both') },
  "sid empty": { body: async () => form(await signed({ sid: "" })), description: invalid('"sid" must be a non-empty string') },
  "sub a number": { body: async () => form(await signed({ sub: 42, sid: undefined })), description: invalid('"sub" must be a non-empty string') },
  "an access token posted as a logout token": { body: async () => form(await issuer.mint({ sub: "user-1", sid: "session-1", jti: "access-2" })), description: invalid('a logout token needs an "events" claim') },
  expired: { body: async () => form(await signed({ iat: now() - 600, exp: now() - 300 })), description: invalid('ERR_JWT_EXPIRED: "exp" claim timestamp check failed') },
  "another audience": { body: async () => form(await signed({ aud: "another-app" })), description: invalid('ERR_JWT_CLAIM_VALIDATION_FAILED: unexpected "aud" claim value') },
  "another issuer (iss)": { body: async () => form(await signed({ iss: "https://evil.example.com" })), description: invalid('ERR_JWT_CLAIM_VALIDATION_FAILED: unexpected "iss" claim value') },
  "another issuer's key under the published kid": {
    body: async () => form(await TestIssuer.forge(logoutClaims(issuer), "ES256", { typ: "logout+jwt", kid: JSON.parse(Buffer.from(victim.split(".")[0] as string, "base64url").toString()).kid })),
    description: invalid("ERR_JWS_SIGNATURE_VERIFICATION_FAILED: signature verification failed"),
  },
  "another issuer's key under an unknown kid": { body: async () => form(await TestIssuer.forge(logoutClaims(issuer), "ES256", { typ: "logout+jwt" })), description: invalid("no JWKS key matches kid and alg ES256") },
  "alg none": { body: async () => form(`${b64({ alg: "none", typ: "logout+jwt" })}.${b64(logoutClaims(issuer))}.`), description: invalid("not a compact JWS (three base64url parts)") },
  "alg none with a dummy signature": { body: async () => form(`${b64({ alg: "none", typ: "logout+jwt" })}.${b64(logoutClaims(issuer))}.AAAA`), description: invalid('ERR_JOSE_ALG_NOT_ALLOWED: "alg" (Algorithm) Header Parameter value not allowed') },
  "alg HS256": { body: async () => form(`${b64({ alg: "HS256", typ: "logout+jwt" })}.${b64(logoutClaims(issuer))}.AAAA`), description: invalid('ERR_JOSE_ALG_NOT_ALLOWED: "alg" (Algorithm) Header Parameter value not allowed') },
  "an encrypted token (JWE)": { body: async () => form("eyJhbGciOiJSU0EtT0FFUCIsImVuYyI6IkEyNTZHQ00ifQ.AAAA.AAAA.AAAA.AAAA"), description: invalid("a JWE (five parts), not a compact JWS: only signed JWTs are accepted") },
  "not a JWT": { body: async () => form("hello"), description: invalid("not a compact JWS (three base64url parts)") },
  "a header that is not JSON": { body: async () => form(`${b64("{not json")}.${b64(logoutClaims(issuer))}.AAAA`), description: invalid("ERR_JWS_INVALID: JWS Protected Header is invalid") },
  "an unknown critical header": { body: async () => form(await signed({}, { typ: "logout+jwt", crit: ["exp"], exp: 1 })), description: invalid('ERR_JOSE_NOT_SUPPORTED: "crit" (Critical) Header Parameter lists an extension that is not supported') },
  "no iat": { body: async () => form(await signed({ iat: undefined })), description: invalid('ERR_JWT_CLAIM_VALIDATION_FAILED: missing required "iat" claim') },
  "no exp": { body: async () => form(await signed({ exp: undefined })), description: invalid('ERR_JWT_CLAIM_VALIDATION_FAILED: missing required "exp" claim') },
  "no jti": { body: async () => form(await signed({ jti: undefined })), description: invalid('ERR_JWT_CLAIM_VALIDATION_FAILED: missing required "jti" claim') },
  "iat in the future": { body: async () => form(await signed({ iat: now() + 600, exp: now() + 700 })), description: invalid('"iat" is in the future') },
  "nbf in the future": { body: async () => form(await signed({ nbf: now() + 600 })), description: invalid('ERR_JWT_CLAIM_VALIDATION_FAILED: "nbf" claim timestamp check failed') },
  "living longer than any token may": { body: async () => form(await signed({ exp: now() + 2 * 86_400 })), description: invalid("lifetime longer than 86400 s (AUTH_SERVICE_MAX_TOKEN_LIFETIME)") },
  "an oversized token (past AUTH_SERVICE_MAX_TOKEN_BYTES)": { body: async () => form(await signed({ padding: "x".repeat(9000) })), description: invalid("token longer than 8192 bytes") },
  "an oversized body (past the route's 64 KiB)": { body: async () => `logout_token=${"a".repeat(70_000)}`, description: "the body is too large" },
  "no logout_token": { body: async () => "state=abc", description: "logout_token is required" },
  "an empty logout_token": { body: async () => "logout_token=", description: "logout_token is required" },
  "logout_token twice": { body: async () => `${form(await signed({}))}&${form(await signed({}))}`, description: "logout_token must be sent once" },
  "a JSON body": { body: async () => ({ body: JSON.stringify({ logout_token: await signed({}) }), type: "application/json" }), description: "the body must be application/x-www-form-urlencoded" },
  "a text/plain body": { body: async () => ({ body: form(await signed({})), type: "text/plain" }), description: "the body must be application/x-www-form-urlencoded" },
  "a multipart body": { body: async () => ({ body: "--x\r\n\r\n--x--", type: "multipart/form-data; boundary=x" }), description: "the body must be application/x-www-form-urlencoded" },
};

describe("each is a 400 invalid_request with its exact description and no-store, and revokes nothing", () => {
  test.each(Object.entries(CASES))("%s", async (_name, { body, description }) => {
    const request = await body();
    const res = typeof request === "string" ? await app.post(request) : await app.post(request.body, request.type);
    expect(res.status).toBe(400);
    expect(res.headers.get("cache-control")).toBe("no-store");
    expect(res.headers.get("content-type")).toMatch(/^application\/json/);
    expect(await res.json()).toEqual({ error: "invalid_request", error_description: description });
    expect(app.revocations).toEqual([]);
    expect((await fetch(`${app.url}/profile`, { headers: { authorization: `Bearer ${victim}` } })).status).toBe(200);
  });

  test("there are at least 25 of them", () => {
    expect(Object.keys(CASES).length).toBeGreaterThanOrEqual(25);
  });
});

describe("replay", () => {
  test("the same logout token twice: the first revokes, the second is refused and revokes nothing more", async () => {
    const token = await signed({ sid: "replayed-session" });
    expect((await app.post(form(token))).status).toBe(200);
    const res = await app.post(form(token));
    expect(res.status).toBe(400);
    expect(await res.json()).toEqual({ error: "invalid_request", error_description: invalid('logout token replayed ("jti" seen before)') });
    expect(app.revocations).toEqual([expect.objectContaining({ kind: "sid", sid: "replayed-session" })]);
  });
});

/**
 * Refusals caused by the server's settings, not by the token: the operator
 * is told, at warn, which rule refused, the variable, the expected and the
 * received value, once, then a count per interval, however many requests.
 */
import { afterAll, beforeAll, expect, test } from "@jest/globals";
import { ERR_AUTH_TOKEN_INVALID } from "../../src/index.js";
import { REFUSAL_LOG_INTERVAL_MS } from "../../src/services/logger.js";
import { TestIssuer } from "../../src/testing/TestIssuer.js";
import { httpGet, PINO_LEVEL, socketProbe, startProtectedApp, seconds } from "./harness.js";

let issuer: TestIssuer;
beforeAll(async () => {
  issuer = await TestIssuer.start({ alg: "ES256", audience: "test-app" });
});
afterAll(async () => issuer.close());

const bearer = (token: string) => ({ authorization: `Bearer ${token}` });

test("a wrong audience: the first refusal at warn with expected and received, the rest counted once per interval", async () => {
  const app = await startProtectedApp(issuer, { logLevel: "info", env: { AUTH_SERVICE_AUDIENCE: "other-app" } });
  try {
    await app.ready();
    const token = await issuer.mint({}, { now: seconds(app.clock) });
    app.log.clear();
    const statuses = await Promise.all(Array.from({ length: 20 }, () => httpGet(`${app.url}/profile`, bearer(token)).then((r) => r.status)));
    expect(statuses).toEqual(Array(20).fill(401));
    expect((await socketProbe(app.url, "/chat", { auth: { token } })).error?.message).toBe(ERR_AUTH_TOKEN_INVALID);

    const first = {
      level: PINO_LEVEL.warn,
      msg: "authentication refused",
      code: ERR_AUTH_TOKEN_INVALID,
      rule: "audience",
      setting: "AUTH_SERVICE_AUDIENCE",
      expected: "other-app",
      received: "test-app",
      reason: 'ERR_JWT_CLAIM_VALIDATION_FAILED: unexpected "aud" claim value',
    };
    expect(app.log.records()).toEqual([expect.objectContaining({ ...first, transport: "http" })]);

    // One interval later the next refusal brings the count of the 20 suppressed ones (19 HTTP, 1 socket).
    app.clock.advance(REFUSAL_LOG_INTERVAL_MS);
    const later = await issuer.mint({}, { now: seconds(app.clock) });
    expect((await httpGet(`${app.url}/profile`, bearer(later))).status).toBe(401);
    expect(app.log.records()).toEqual([
      expect.objectContaining({ ...first, transport: "http" }),
      expect.objectContaining({ level: PINO_LEVEL.warn, msg: "authentication refusals repeated", rule: "audience", expected: "other-app", received: "test-app", count: 20, intervalSeconds: 60 }),
    ]);
    expect(app.log.text).not.toContain(token.split(".")[2]);
    expect(app.log.text).not.toContain(later.split(".")[2]);
  } finally {
    await app.stop();
  }
});

test("issuer, token type, authorized party and a left-out algorithm each get their own first warning", async () => {
  const app = await startProtectedApp(issuer, {
    logLevel: "warn",
    env: { AUTH_SERVICE_ISSUER: `${issuer.issuer}/`, AUTH_SERVICE_ALGORITHMS: "ES256,RS256" },
  });
  const typed = await startProtectedApp(issuer, { logLevel: "warn", env: { AUTH_SERVICE_TOKEN_TYPES: "at+jwt", AUTH_SERVICE_AUTHORIZED_PARTIES: "web" } });
  try {
    const now = seconds(app.clock);
    expect((await httpGet(`${app.url}/profile`, bearer(await issuer.mint({}, { now })))).status).toBe(401);
    // An ES384 header the settings leave out (unsigned: the algorithm is refused before any key is looked up).
    const es384 = `${Buffer.from(JSON.stringify({ alg: "ES384", kid: "k" })).toString("base64url")}.e30.AAAA`;
    expect((await httpGet(`${app.url}/profile`, bearer(es384))).status).toBe(401);
    // "none" is never allowed, whatever the settings: the token's fault, logged at debug (so not here).
    const none = `${Buffer.from(JSON.stringify({ alg: "none" })).toString("base64url")}.e30.AAAA`;
    expect((await httpGet(`${app.url}/profile`, bearer(none))).status).toBe(401);
    expect(app.log.records().map((r) => [r.rule, r.setting, r.expected, r.received])).toEqual([
      ["issuer", "AUTH_SERVICE_ISSUER", `${issuer.issuer}/`, issuer.issuer],
      ["algorithm", "AUTH_SERVICE_ALGORITHMS", ["ES256", "RS256"], "ES384"],
    ]);

    const tnow = seconds(typed.clock);
    expect((await httpGet(`${typed.url}/profile`, bearer(await issuer.mint({ azp: "web" }, { now: tnow })))).status).toBe(401);
    expect((await httpGet(`${typed.url}/profile`, bearer(await issuer.mint({ azp: "mobile" }, { now: tnow, header: { typ: "at+jwt" } })))).status).toBe(401);
    expect(typed.log.records().map((r) => [r.level, r.rule, r.expected, r.received])).toEqual([
      [PINO_LEVEL.warn, "token-type", ["at+jwt"], "JWT"],
      [PINO_LEVEL.warn, "authorized-party", ["web"], "mobile"],
    ]);
  } finally {
    await app.stop();
    await typed.stop();
  }
});

test("an expired token is told apart: the message and error_description say so, the socket error's data has reason \"expired\"", async () => {
  const app = await startProtectedApp(issuer);
  try {
    const expired = await issuer.mint({}, { now: seconds(app.clock) - 3600 });
    const http = await httpGet(`${app.url}/profile`, bearer(expired));
    expect(http.status).toBe(401);
    // The HTTP body keeps 0.1.x's shape exactly.
    expect(http.body).toEqual({ statusCode: 401, error: "Unauthorized", code: ERR_AUTH_TOKEN_INVALID, message: "The access token has expired" });
    // The error is on the Bearer challenge the client used; DPoP (allowed by default) is only offered beside it.
    expect(http.headers["www-authenticate"]).toMatch(/^Bearer realm="api", error="invalid_token", error_description="The access token has expired", DPoP algs="[^"]+"$/);
    const socket = await socketProbe(app.url, "/chat", { auth: { token: expired } });
    expect(socket.error).toEqual({ message: ERR_AUTH_TOKEN_INVALID, data: { code: ERR_AUTH_TOKEN_INVALID, statusCode: 401, message: "The access token has expired", reason: "expired" } });

    // A forged token keeps the generic answer, without a reason.
    const forged = await TestIssuer.forge({ iss: issuer.issuer, aud: issuer.audience, sub: "x", exp: seconds(app.clock) + 60 }, "ES256");
    expect((await httpGet(`${app.url}/profile`, bearer(forged))).body).toEqual({
      statusCode: 401,
      error: "Unauthorized",
      code: ERR_AUTH_TOKEN_INVALID,
      message: "The access token is invalid or expired",
    });
  } finally {
    await app.stop();
  }
});

/**
 * What the package writes to its pino log about refusals: once per
 * refusal, with code and reason, at a level a token flood cannot abuse,
 * and never a token or an Authorization header.
 */
import { afterAll, beforeAll, expect, test } from "@jest/globals";
import { createOidcLogger, ERR_AUTH_TOKEN_INVALID, ERR_AUTH_TOKEN_REQUIRED, ERR_AUTH_UNAVAILABLE, ERR_USER_DISABLED, ERR_USER_PROVISION_FAILED, TOKENS } from "../../src/index.js";
import { TestIssuer } from "../../src/testing/TestIssuer.js";
import { httpGet, LogCapture, PINO_LEVEL, socketProbe, startProtectedApp, seconds, advanceSeconds } from "./harness.js";

let issuer: TestIssuer;
beforeAll(async () => {
  issuer = await TestIssuer.start({ alg: "ES256" });
});
afterAll(async () => issuer.close());

const bearer = (token: string) => ({ authorization: `Bearer ${token}` });

test("at the default level (info) a flood of bad or missing tokens writes nothing", async () => {
  const app = await startProtectedApp(issuer, { logLevel: "info" });
  try {
    await app.ready();
    app.log.clear();
    const forged = await TestIssuer.forge({ iss: issuer.issuer, aud: issuer.audience, sub: "x", exp: seconds(app.clock) + 60 }, "ES256");
    const statuses = await Promise.all([
      ...Array.from({ length: 30 }, () => httpGet(`${app.url}/profile`, bearer(forged)).then((r) => r.status)),
      ...Array.from({ length: 10 }, () => httpGet(`${app.url}/profile`).then((r) => r.status)),
      ...Array.from({ length: 10 }, () => socketProbe(app.url, "/chat", { auth: { token: "garbage" } }).then((p) => p.error?.message)),
    ]);
    expect(statuses).toEqual([...Array(40).fill(401), ...Array(10).fill(ERR_AUTH_TOKEN_INVALID)]);
    expect(app.log.lines).toEqual([]);
  } finally {
    await app.stop();
  }
});

test("each refusal is one record with code and reason, at debug for client errors and outages, info for accounts, warn for server faults", async () => {
  let provisionerFault = false;
  const app = await startProtectedApp(issuer, {
    configure: (c) =>
      c.register(TOKENS.UserProvisioner, {
        useValue: {
          findOrCreate: (sub: string) => {
            if (provisionerFault) throw new Error("users table unreachable");
            return { id: 7, isDisabled: sub === "disabled-user" };
          },
        },
      }),
  });
  try {
    await app.ready();
    const disabled = await issuer.mint({ sub: "disabled-user" }, { now: seconds(app.clock) });
    const expired = await issuer.mint({}, { now: seconds(app.clock) - 3600 });
    const valid = await issuer.mint({}, { now: seconds(app.clock) });
    app.log.clear();

    expect((await httpGet(`${app.url}/profile`)).status).toBe(401);
    expect((await httpGet(`${app.url}/profile`, bearer(expired))).status).toBe(401);
    expect((await httpGet(`${app.url}/profile`, bearer(disabled))).status).toBe(403);
    expect((await socketProbe(app.url, "/chat", { auth: { token: disabled } })).error?.message).toBe(ERR_USER_DISABLED);
    provisionerFault = true;
    expect((await httpGet(`${app.url}/profile`, bearer(valid))).status).toBe(500);
    provisionerFault = false;
    // The JWKS goes down: stale keys serve past the max age, then the stale period ends.
    await issuer.pause();
    advanceSeconds(app.clock, 600);
    const later = await issuer.mint({}, { now: seconds(app.clock) });
    expect((await httpGet(`${app.url}/profile`, bearer(later))).status).toBe(200);
    advanceSeconds(app.clock, 3600);
    const muchLater = await issuer.mint({}, { now: seconds(app.clock) });
    expect((await httpGet(`${app.url}/profile`, bearer(muchLater))).status).toBe(503);
    await issuer.resume();

    const refusals = app.log.refusals().map((r) => ({ level: r.level, code: r.code, transport: r.transport, reason: r.reason }));
    expect(refusals).toEqual([
      { level: PINO_LEVEL.debug, code: ERR_AUTH_TOKEN_REQUIRED, transport: "http", reason: expect.stringContaining("Authentication required") },
      { level: PINO_LEVEL.debug, code: ERR_AUTH_TOKEN_INVALID, transport: "http", reason: expect.stringMatching(/^ERR_JWT_EXPIRED: "exp" claim timestamp check failed$/) },
      { level: PINO_LEVEL.info, code: ERR_USER_DISABLED, transport: "http", reason: "provisioner reports the account disabled" },
      { level: PINO_LEVEL.info, code: ERR_USER_DISABLED, transport: "socket", reason: "provisioner reports the account disabled" },
      { level: PINO_LEVEL.warn, code: ERR_USER_PROVISION_FAILED, transport: "http", reason: "users table unreachable" },
      { level: PINO_LEVEL.debug, code: ERR_AUTH_UNAVAILABLE, transport: "http", reason: expect.stringContaining("ECONNREFUSED") },
    ]);
    // The outage itself: one warning, naming the URL and why.
    expect(app.log.records().filter((r) => r.level === PINO_LEVEL.warn && r.msg === "JWKS unavailable")).toEqual([
      expect.objectContaining({ jwksUri: issuer.jwksUri, reason: "request failed: ECONNREFUSED" }),
    ]);
    for (const token of [disabled, expired, valid, later, muchLater]) expect(app.log.text).not.toContain(token.split(".")[2]);
  } finally {
    await app.stop();
  }
});

test("redaction: token and Authorization values passed to the logger by anyone are censored", () => {
  const log = new LogCapture();
  const logger = createOidcLogger(log.stream, "debug");
  const secret = "eyJhbGciOiJFUzI1NiJ9.eyJzdWIiOiJ4In0.c2VjcmV0LXNpZ25hdHVyZQ";
  logger.info({ token: secret, authorization: `Bearer ${secret}` }, "top level");
  logger.info({ req: { headers: { authorization: `Bearer ${secret}` } } }, "request");
  logger.info({ headers: { authorization: `Bearer ${secret}` } }, "headers");
  logger.info({ handshake: { auth: { token: secret } } }, "handshake");
  logger.info({ socket: { handshake: { auth: { token: secret } } } }, "nested handshake");
  logger.info({ details: { token: secret, authorization: secret } }, "one level down");
  expect(log.lines).toHaveLength(6);
  expect(log.text).not.toContain(secret);
  expect(log.text).not.toContain("c2VjcmV0LXNpZ25hdHVyZQ");
  expect(log.text.match(/\[redacted\]/g)?.length).toBe(8);
});

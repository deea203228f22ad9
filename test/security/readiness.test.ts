/**
 * oidcReady() / OidcConfigManager#ready(): what a host awaits to know the
 * package can verify tokens (IOServer itself never awaits the manager's start()).
 */
import { afterEach, expect, test } from "@jest/globals";
import { ERR_AUTH_MISCONFIGURED } from "../../src/index.js";
import { TestIssuer } from "../../src/testing/TestIssuer.js";
import { PINO_LEVEL, startProtectedApp, type ProtectedApp } from "./harness.js";

let issuer: TestIssuer;
let app: ProtectedApp | undefined;

afterEach(async () => {
  await app?.stop();
  app = undefined;
  await issuer.close();
});

test("resolves once the JWKS is loaded; later calls reuse the loaded keys", async () => {
  issuer = await TestIssuer.start({ alg: "ES256" });
  app = await startProtectedApp(issuer);
  await app.ready();
  expect(issuer.jwksRequests).toBe(1);
  expect(app.keySet().fresh).toBe(true);
  // A manager instance (as appHandle.oidcConfig holds) and oidcReady() again: no second fetch.
  await new app.classes.OidcConfigManager().ready();
  await app.ready();
  expect(issuer.jwksRequests).toBe(1);
});

test("a failed warm-up names the JWKS URL and the reason, is warned about once, and is retried by the next call", async () => {
  issuer = await TestIssuer.start({ alg: "ES256" });
  await issuer.pause();
  app = await startProtectedApp(issuer, { manager: false });
  await expect(app.ready()).rejects.toThrow(`JWKS ${issuer.jwksUri} could not be loaded: request failed: ECONNREFUSED`);
  await expect(app.ready()).rejects.toThrow(`JWKS ${issuer.jwksUri} could not be loaded: request failed: ECONNREFUSED`);
  const warnings = app.log.records().filter((r) => r.level === PINO_LEVEL.warn);
  expect(warnings).toEqual([expect.objectContaining({ msg: "JWKS unavailable", jwksUri: issuer.jwksUri, reason: "request failed: ECONNREFUSED" })]);

  await issuer.resume();
  await expect(app.ready()).resolves.toBeUndefined();
  expect(app.keySet().fresh).toBe(true);
  expect(issuer.jwksRequests).toBe(1);
});

test("an endpoint that answers badly is named with the HTTP status", async () => {
  issuer = await TestIssuer.start({ alg: "ES256" });
  issuer.setBehaviour({ kind: "status", status: 500 });
  app = await startProtectedApp(issuer, { manager: false });
  await expect(app.ready()).rejects.toThrow(`JWKS ${issuer.jwksUri} could not be loaded: HTTP 500`);
  expect(issuer.jwksRequests).toBe(1);
});

test("an invalid configuration is named by its variable, before any fetch", async () => {
  issuer = await TestIssuer.start({ alg: "ES256" });
  app = await startProtectedApp(issuer, { env: { AUTH_SERVICE_APP_SLUG: "" }, manager: false });
  const failure = app.ready();
  await expect(failure).rejects.toMatchObject({ code: ERR_AUTH_MISCONFIGURED, message: "Invalid OIDC configuration: AUTH_SERVICE_APP_SLUG is required" });
  expect(issuer.jwksRequests).toBe(0);
});

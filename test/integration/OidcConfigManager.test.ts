import { afterEach, expect, test } from "@jest/globals";
import { TestIssuer } from "../../src/testing/TestIssuer.js";
import { calls } from "../fixtures/app.js";
import { captureManagerStartErrors } from "../fixtures/managerErrors.js";
import { startOidcApp, type OidcApp } from "../fixtures/oidcApp.js";

// These tests start the manager against broken settings or a JWKS that is down, on purpose.
const managerErrors = captureManagerStartErrors();

const cleanup: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const close of cleanup.splice(0).reverse()) await close();
  calls.length = 0;
});

async function issuerFor(options: Parameters<typeof TestIssuer.start>[0] = {}): Promise<TestIssuer> {
  const issuer = await TestIssuer.start({ alg: "EdDSA", audience: "chat-app", ...options });
  cleanup.push(() => issuer.close());
  return issuer;
}

async function appFor(options: Parameters<typeof startOidcApp>[0]): Promise<OidcApp> {
  const app = await startOidcApp(options);
  cleanup.push(() => app.stop());
  return app;
}

test("IOServer stores the manager at appHandle.oidcConfig; getConfig() gives the validated configuration", async () => {
  const issuer = await issuerFor();
  const app = await appFor({ env: issuer.env({ AUTH_SERVICE_JWKS_COOLDOWN: "12" }) });
  await app.oidcConfig.ready();
  expect(app.oidcConfig.getConfig()).toMatchObject({
    authServiceUrl: issuer.url,
    appSlug: "chat-app",
    audience: "chat-app",
    issuer: issuer.issuer,
    jwksUri: issuer.jwksUri,
    jwksCooldownSeconds: 12,
  });
});

test("ready() resolves once the JWKS has been fetched, exactly once, and is the same promise on every call", async () => {
  const issuer = await issuerFor();
  const app = await appFor({ env: issuer.env() });
  await app.oidcConfig.ready();
  expect(app.oidcConfig.getConfig().jwksUri).toBe(issuer.jwksUri);
  expect(issuer.jwksRequests).toBe(1);
  expect(app.oidcConfig.ready()).toBe(app.oidcConfig.ready());
  // The warmed key set serves the first request: no second fetch.
  const response = await fetch(`${app.url}/profile`, { headers: { authorization: `Bearer ${await issuer.mint()}` } });
  expect(response.status).toBe(200);
  expect(issuer.jwksRequests).toBe(1);
});

test("ready() rejects naming the JWKS URL and why, when the JWKS is down", async () => {
  const issuer = await issuerFor();
  await issuer.pause();
  const app = await appFor({ env: issuer.env() });
  await expect(app.oidcConfig.ready()).rejects.toThrow(new RegExp(`JWKS ${issuer.jwksUri.replace(/[.]/g, "\\.")} could not be loaded: request failed: ECONNREFUSED`));
});

test("a failed ready() is not kept: once the JWKS is back, the next call retries and resolves, and that success is kept", async () => {
  const issuer = await issuerFor();
  await issuer.pause();
  const app = await appFor({ env: issuer.env() });
  await expect(app.oidcConfig.ready()).rejects.toThrow("ECONNREFUSED");
  await expect(app.oidcConfig.ready()).rejects.toThrow("ECONNREFUSED");
  await issuer.resume();
  await expect(app.oidcConfig.ready()).resolves.toBeUndefined();
  const fetches = issuer.jwksRequests;
  expect(app.oidcConfig.ready()).toBe(app.oidcConfig.ready());
  await app.oidcConfig.ready();
  expect(issuer.jwksRequests).toBe(fetches);
});

test("ready() rejects naming the status when the JWKS answers an error", async () => {
  const issuer = await issuerFor();
  issuer.setBehaviour({ kind: "status", status: 503 });
  const app = await appFor({ env: issuer.env() });
  await expect(app.oidcConfig.ready()).rejects.toThrow(`JWKS ${issuer.jwksUri} could not be loaded: HTTP 503`);
});

test("IOServer does not await start(): a request arriving while the warm-up is still running works and shares its fetch", async () => {
  const issuer = await issuerFor({ alg: "ES256" });
  // The JWKS answers slowly, so start() is still running when the server is up.
  issuer.setBehaviour({ kind: "delay", ms: 400 });
  const app = await appFor({ env: issuer.env() });
  let warmedUp = false;
  void app.oidcConfig.ready().then(() => (warmedUp = true));
  const token = await issuer.mint({ sub: "early" });
  expect(warmedUp).toBe(false);

  const [http] = await Promise.all([fetch(`${app.url}/profile`, { headers: { authorization: `Bearer ${token}` } }), app.oidcConfig.ready()]);
  expect(http.status).toBe(200);
  expect(await http.json()).toMatchObject({ sub: "early" });
  expect(warmedUp).toBe(true);
  expect(issuer.jwksRequests).toBe(1);
});

test("a start() that failed does not stop later requests once the JWKS is reachable", async () => {
  const issuer = await issuerFor();
  issuer.setBehaviour({ kind: "status", status: 500 });
  const app = await appFor({ env: issuer.env({ AUTH_SERVICE_JWKS_COOLDOWN: "0" }) });
  await expect(app.oidcConfig.ready()).rejects.toThrow(/HTTP 500/);
  issuer.setBehaviour({ kind: "ok" });
  const response = await fetch(`${app.url}/profile`, { headers: { authorization: `Bearer ${await issuer.mint()}` } });
  expect(response.status).toBe(200);
});

test("without the manager, the configuration is read and the JWKS fetched on first use", async () => {
  const issuer = await issuerFor();
  const app = await appFor({ env: issuer.env(), manager: false });
  expect(app.oidcConfig).toBeUndefined();
  expect(issuer.jwksRequests).toBe(0);
  const response = await fetch(`${app.url}/profile`, { headers: { authorization: `Bearer ${await issuer.mint()}` } });
  expect(response.status).toBe(200);
  expect(issuer.jwksRequests).toBe(1);
});

test("IOServer printed each warm-up that failed above (it does not await start()), naming the JWKS and why", () => {
  expect(managerErrors.lines.length).toBeGreaterThan(0);
  for (const line of managerErrors.lines) expect(line).toMatch(/JWKS http:\/\/127\.0\.0\.1:\d+\/api\/auth\/jwks could not be loaded: /);
});

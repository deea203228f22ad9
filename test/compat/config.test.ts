import { afterAll, afterEach, expect, test } from "@jest/globals";
import { bindOidcMiddlewares, createOidcContainer, OidcConfigManager, OidcHttpMiddleware, OidcSocketMiddleware, type BoundOidcClasses } from "../../src/index.js";
import { TestIssuer, type TestIssuerOptions } from "../../src/testing/index.js";
import { captureManagerStartErrors } from "../fixtures/managerErrors.js";
import { connectSocket, httpWhoami, setEnv, startHost, WhoamiController, WhoamiService, type Host } from "./harness.js";

// 0.1.4's "Environment variables" table, and its tests' idiom: `process.env = { ...OLD_ENV, ... }` after the package was imported.
const OLD_ENV = process.env;
// The manager is started against a missing variable on purpose below; IOServer prints that (captured, asserted).
const managerErrors = captureManagerStartErrors();
const cleanup: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const close of cleanup.splice(0).reverse()) await close();
  process.env = OLD_ENV;
});
afterAll(() => {
  process.env = OLD_ENV;
});

async function issuerWith(options: TestIssuerOptions = {}): Promise<TestIssuer> {
  const issuer = await TestIssuer.start({ alg: "EdDSA", audience: "compat-app", ...options });
  cleanup.push(() => issuer.close());
  return issuer;
}

/** A host app on its own container (so each test reads its own environment), registered as the README says. */
async function hostWith(classes: Pick<BoundOidcClasses, "OidcConfigManager" | "OidcHttpMiddleware" | "OidcSocketMiddleware">, manager = true): Promise<Host> {
  const host = await startHost((server) => {
    if (manager) server.addManager({ name: "oidcConfig", manager: classes.OidcConfigManager });
    server.addController({ name: "whoami", controller: WhoamiController, middlewares: [classes.OidcHttpMiddleware], prefix: "/whoami" });
    server.addService({ name: "chat", service: WhoamiService, middlewares: [classes.OidcSocketMiddleware] });
  });
  cleanup.push(() => host.stop());
  return host;
}
const freshHost = (manager = true) => hostWith(bindOidcMiddlewares(createOidcContainer()), manager);

test("process.env replaced after import: the default classes read the new variables, requests and sockets succeed", async () => {
  const issuer = await issuerWith();
  setEnv({ AUTH_SERVICE_URL: issuer.url, AUTH_SERVICE_APP_SLUG: "compat-app" });
  const host = await hostWith({ OidcConfigManager, OidcHttpMiddleware, OidcSocketMiddleware });
  const token = await issuer.mint({ sub: "env-user" });
  expect((await httpWhoami(host.url, { authorization: `Bearer ${token}` })).status).toBe(200);
  const socket = await connectSocket(host.url, "/chat", { auth: { token } });
  socket.socket?.close();
  expect(socket).toMatchObject({ connected: true });
});

test("defaults: JWKS at <AUTH_SERVICE_URL>/api/auth/jwks and iss = AUTH_SERVICE_URL without its trailing slash", async () => {
  const issuer = await issuerWith();
  setEnv({ AUTH_SERVICE_URL: `${issuer.url}/`, AUTH_SERVICE_APP_SLUG: "compat-app", AUTH_SERVICE_JWKS_URI: undefined, AUTH_SERVICE_ISSUER: undefined });
  const host = await freshHost();
  expect((await httpWhoami(host.url, { authorization: `Bearer ${await issuer.mint()}` })).status).toBe(200);
  expect(issuer.jwksRequests).toBe(1);
});

test("AUTH_SERVICE_JWKS_URI overrides the JWKS endpoint", async () => {
  const issuer = await issuerWith({ jwksPath: "/.well-known/jwks.json" });
  setEnv({ AUTH_SERVICE_URL: issuer.url, AUTH_SERVICE_APP_SLUG: "compat-app", AUTH_SERVICE_JWKS_URI: issuer.jwksUri });
  const host = await freshHost();
  expect((await httpWhoami(host.url, { authorization: `Bearer ${await issuer.mint()}` })).status).toBe(200);
});

test("AUTH_SERVICE_ISSUER overrides the expected iss; without it such a token is refused", async () => {
  const issuer = await issuerWith({ issuer: "https://issuer.example.com" });
  const token = await issuer.mint();
  setEnv({ AUTH_SERVICE_URL: issuer.url, AUTH_SERVICE_APP_SLUG: "compat-app" });
  expect((await httpWhoami((await freshHost()).url, { authorization: `Bearer ${token}` })).body.code).toBe("ERR_AUTH_TOKEN_INVALID");
  setEnv({ AUTH_SERVICE_ISSUER: "https://issuer.example.com" });
  expect((await httpWhoami((await freshHost()).url, { authorization: `Bearer ${token}` })).status).toBe(200);
});

test("AUTH_SERVICE_AUDIENCE (0.1.4's code, RFC 8707 resource) replaces appSlug as the expected aud", async () => {
  const issuer = await issuerWith({ audience: "https://api.example.com" });
  const token = await issuer.mint();
  setEnv({ AUTH_SERVICE_URL: issuer.url, AUTH_SERVICE_APP_SLUG: "compat-app" });
  expect((await httpWhoami((await freshHost()).url, { authorization: `Bearer ${token}` })).status).toBe(401);
  setEnv({ AUTH_SERVICE_AUDIENCE: "https://api.example.com" });
  expect((await httpWhoami((await freshHost()).url, { authorization: `Bearer ${token}` })).status).toBe(200);
});

test("without the manager, a configuration that failed to load is read again on a later request; a valid one is then kept", async () => {
  const issuer = await issuerWith();
  setEnv({ AUTH_SERVICE_URL: issuer.url, AUTH_SERVICE_APP_SLUG: undefined });
  const host = await freshHost(false);
  const headers = { authorization: `Bearer ${await issuer.mint()}` };
  expect(await httpWhoami(host.url, headers)).toMatchObject({ status: 500, body: { code: "ERR_AUTH_MISCONFIGURED" } });

  setEnv({ AUTH_SERVICE_APP_SLUG: "compat-app" });
  expect((await httpWhoami(host.url, headers)).status).toBe(200);
  // Not re-read per request: a later change of the environment does not reach the running server.
  setEnv({ AUTH_SERVICE_APP_SLUG: "another-app" });
  expect((await httpWhoami(host.url, headers)).status).toBe(200);
});

test("with the manager registered, a missing variable answers 500 ERR_AUTH_MISCONFIGURED until the environment is fixed", async () => {
  const issuer = await issuerWith();
  setEnv({ AUTH_SERVICE_URL: undefined, AUTH_SERVICE_APP_SLUG: "compat-app" });
  const host = await freshHost();
  const headers = { authorization: `Bearer ${await issuer.mint()}` };
  expect(await httpWhoami(host.url, headers)).toMatchObject({ status: 500, body: { code: "ERR_AUTH_MISCONFIGURED" } });
  expect(managerErrors.lines).toContainEqual(expect.stringContaining("AUTH_SERVICE_URL is required"));
  setEnv({ AUTH_SERVICE_URL: issuer.url });
  expect((await httpWhoami(host.url, headers)).status).toBe(200);
});

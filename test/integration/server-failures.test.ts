/**
 * The two refusals that are not the client's fault: the package's own
 * settings are invalid (ERR_AUTH_MISCONFIGURED, 500) and the JWKS cannot be
 * had (ERR_AUTH_UNAVAILABLE, 503), on both transports. Jest 30 fails the
 * running test on any unhandled rejection, so these tests also prove none
 * escapes; a later request being answered proves the process lives on.
 */
import { afterAll, beforeAll, beforeEach, describe, expect, test } from "@jest/globals";
import { ERR_AUTH_MISCONFIGURED, ERR_AUTH_TOKEN_REQUIRED, ERR_AUTH_UNAVAILABLE } from "../../src/errors.js";
import { TestIssuer } from "../../src/testing/TestIssuer.js";
import { TOKENS } from "../../src/tokens.js";
import { bindOidcMiddlewares, createOidcContainer } from "../../src/index.js";
import { calls, ChatService, connectSocket, ProfileController, startServer } from "../fixtures/app.js";
import { captureManagerStartErrors } from "../fixtures/managerErrors.js";
import { manualClock } from "../fixtures/doubles.js";
import { startOidcApp, type OidcApp } from "../fixtures/oidcApp.js";

// These tests start the manager against broken settings or a JWKS that is down, on purpose.
const managerErrors = captureManagerStartErrors();

let issuer: TestIssuer;
beforeAll(async () => {
  issuer = await TestIssuer.start({ alg: "ES256", audience: "chat-app" });
});
afterAll(() => issuer.close());
beforeEach(() => {
  calls.length = 0;
});

describe("ERR_AUTH_MISCONFIGURED (500) while the configuration is invalid", () => {
  let app: OidcApp;
  beforeAll(async () => {
    // AUTH_SERVICE_APP_SLUG is missing.
    app = await startOidcApp({ env: { AUTH_SERVICE_URL: issuer.url }, users: () => ({ id: 1 }) });
  });
  afterAll(() => app.stop());

  test("HTTP: 500 with the documented body, no challenge, the handler and the provisioner never run", async () => {
    const response = await fetch(`${app.url}/profile`, { headers: { authorization: `Bearer ${await issuer.mint()}` } });
    expect(response.status).toBe(500);
    expect(response.headers.get("www-authenticate")).toBeNull();
    const body = (await response.json()) as Record<string, unknown>;
    expect(body).toEqual({ statusCode: 500, error: "Internal Server Error", code: ERR_AUTH_MISCONFIGURED, message: expect.any(String) });
    expect(calls).toEqual([]);
    expect(app.userCalls).toEqual([]);
  });

  test("the client is not told the server's settings; the log names the variable", async () => {
    const response = await fetch(`${app.url}/profile`, { headers: { authorization: `Bearer ${await issuer.mint()}` } });
    expect(await response.text()).not.toContain("AUTH_SERVICE_");
    expect(app.logs.records()).toContainEqual(
      expect.objectContaining({ level: 40, code: ERR_AUTH_MISCONFIGURED, reason: expect.stringContaining("AUTH_SERVICE_APP_SLUG") }),
    );
  });

  test("Socket.IO: connect_error ERR_AUTH_MISCONFIGURED with statusCode 500", async () => {
    const outcome = await connectSocket(app.url, "/chat", { auth: { token: await issuer.mint() } });
    expect(outcome.connected).toBe(false);
    expect(outcome.error?.message).toBe(ERR_AUTH_MISCONFIGURED);
    expect(outcome.error?.data).toEqual({ code: ERR_AUTH_MISCONFIGURED, statusCode: 500, message: expect.any(String) });
    expect(JSON.stringify(outcome.error?.data)).not.toContain("AUTH_SERVICE_");
    expect(app.connectedSockets("/chat")).toBe(0);
  });

  test("the process lives on: later requests are still answered, every one the same way", async () => {
    for (let i = 0; i < 3; i += 1) {
      const response = await fetch(`${app.url}/profile`, { headers: { authorization: `Bearer ${await issuer.mint()}` } });
      expect(response.status).toBe(500);
    }
    // A request without a token is still told it needs one.
    expect(((await (await fetch(`${app.url}/profile`)).json()) as { code: string }).code).toBe(ERR_AUTH_TOKEN_REQUIRED);
  });

  test("the manager reports the misconfiguration, naming the variable", async () => {
    await expect(app.oidcConfig.ready()).rejects.toThrow(/AUTH_SERVICE_APP_SLUG/);
    expect(() => app.oidcConfig.getConfig()).toThrow(/AUTH_SERVICE_APP_SLUG/);
    // IOServer, which does not await start(), printed the failure too.
    expect(managerErrors.lines).toContainEqual(expect.stringContaining("AUTH_SERVICE_APP_SLUG is required"));
  });
});

describe("ERR_AUTH_UNAVAILABLE (503) while the JWKS is down", () => {
  let down: TestIssuer;
  let app: OidcApp;
  const clock = manualClock(Math.floor(Date.now() / 1000) * 1000);
  const mint = (claims: Record<string, unknown> = {}) => down.mint(claims, { now: clock.now() / 1000 });

  beforeAll(async () => {
    down = await TestIssuer.start({ alg: "EdDSA", audience: "chat-app" });
    await down.pause();
    app = await startOidcApp({
      env: down.env(),
      users: () => ({ id: 1 }),
      configure: (container) => container.register(TOKENS.Clock, { useValue: clock }),
    });
  });
  afterAll(async () => {
    await app.stop();
    await down.close();
  });

  test("HTTP: 503 with Retry-After and the documented body, no challenge, nothing reached", async () => {
    const response = await fetch(`${app.url}/profile`, { headers: { authorization: `Bearer ${await mint()}` } });
    expect(response.status).toBe(503);
    expect(Number(response.headers.get("retry-after"))).toBeGreaterThanOrEqual(1);
    expect(response.headers.get("www-authenticate")).toBeNull();
    expect(await response.json()).toEqual({ statusCode: 503, error: "Service Unavailable", code: ERR_AUTH_UNAVAILABLE, message: expect.any(String) });
    expect(calls).toEqual([]);
    expect(app.userCalls).toEqual([]);
  });

  test("Socket.IO: connect_error ERR_AUTH_UNAVAILABLE with statusCode 503", async () => {
    const outcome = await connectSocket(app.url, "/chat", { auth: { token: await mint() } });
    expect(outcome.connected).toBe(false);
    expect(outcome.error?.message).toBe(ERR_AUTH_UNAVAILABLE);
    expect(outcome.error?.data).toEqual({ code: ERR_AUTH_UNAVAILABLE, statusCode: 503, message: expect.any(String) });
    expect(app.connectedSockets("/chat")).toBe(0);
  });

  test("once the JWKS is back and the retry delay has passed, the same app authenticates", async () => {
    await down.resume();
    clock.advance(5_000);
    const response = await fetch(`${app.url}/profile`, { headers: { authorization: `Bearer ${await mint({ sub: "back" })}` } });
    expect(response.status).toBe(200);
    expect(await response.json()).toMatchObject({ sub: "back", userId: "1" });
    expect(calls).toEqual(["http:getProfile"]);
  });
});

describe("an invalid AUTH_SERVICE_LOG_LEVEL", () => {
  test('does not stop IOServer from starting: the package logs at info (with one warning) and protects routes and namespaces', async () => {
    const container = createOidcContainer();
    container.register(TOKENS.Environment, { useValue: issuer.env({ AUTH_SERVICE_LOG_LEVEL: "verbose" }) });
    const { OidcHttpMiddleware, OidcSocketMiddleware } = bindOidcMiddlewares(container);
    const app = await startServer((server) => {
      server.addController({ name: "profile", controller: ProfileController, middlewares: [OidcHttpMiddleware], prefix: "/profile" });
      server.addService({ name: "chat", service: ChatService, middlewares: [OidcSocketMiddleware] });
    });
    try {
      expect(container.resolve(TOKENS.Logger).level).toBe("info");
      expect((await fetch(`${app.url}/profile`)).status).toBe(401);
      expect((await fetch(`${app.url}/profile`, { headers: { authorization: `Bearer ${await issuer.mint()}` } })).status).toBe(200);
      expect((await connectSocket(app.url, "/chat")).error?.message).toBe(ERR_AUTH_TOKEN_REQUIRED);
    } finally {
      await app.stop();
    }
  });
});

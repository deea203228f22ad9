import { afterAll, beforeAll, beforeEach, describe, expect, test } from "@jest/globals";
import { io, type Socket as ClientSocket } from "socket.io-client";
import { TestIssuer } from "../../src/testing/TestIssuer.js";
import { ChatService, calls, connectSocket, emitWithAck } from "../fixtures/app.js";
import { nextEvent, pause, recordEvents, startLiveApp, type LiveApp } from "../fixtures/live.js";

// Expiry is driven by the injectable clock: tokens expire at a fixed instant
// `exp` far from the wall clock, and the clock is set so that only a few
// hundred milliseconds of the token's life remain when the socket connects.

let issuer: TestIssuer;
let app: LiveApp;
let ignoring: LiveApp;
const open: ClientSocket[] = [];

/** A token that expires at `exp` (seconds), issued a second before `target`'s clock says "now". */
function tokenExpiringAt(exp: number, claims: Record<string, unknown> = {}, target: LiveApp = app): Promise<string> {
  const iat = Math.floor(target.clock.now() / 1000) - 1;
  return issuer.mint({ sub: "alice", ...claims }, { now: iat, expiresIn: exp - iat });
}

/** An `exp` an hour from the wall clock: the clock is then moved next to it. */
const farExp = (): number => Math.floor(Date.now() / 1000) + 3600;

async function connected(target: LiveApp, namespace: string, token: string): Promise<ClientSocket> {
  const outcome = await connectSocket(target.url, namespace, { auth: { token } });
  if (!outcome.socket) throw new Error(`connection refused: ${outcome.error?.message}`);
  open.push(outcome.socket);
  return outcome.socket;
}

beforeAll(async () => {
  issuer = await TestIssuer.start({ alg: "ES256" });
  app = await startLiveApp(issuer, { AUTH_SERVICE_CLOCK_TOLERANCE: "0" }, (server, oidc) => {
    server.addService({ name: "chat", service: ChatService, middlewares: [oidc.OidcSocketMiddleware] });
    server.addService({ name: "admin", service: ChatService, middlewares: [oidc.OidcSocketMiddleware, oidc.OidcSocketAdminMiddleware] });
  });
  ignoring = await startLiveApp(issuer, { AUTH_SERVICE_CLOCK_TOLERANCE: "0", AUTH_SERVICE_SOCKET_EXPIRY: "ignore" }, (server, oidc) => {
    server.addService({ name: "chat", service: ChatService, middlewares: [oidc.OidcSocketMiddleware] });
  });
});

beforeEach(() => {
  calls.length = 0;
  app.users.disabled.clear();
});

afterAll(async () => {
  for (const socket of open) socket.close();
  await app.stop();
  await ignoring.stop();
  await issuer.close();
});

describe("expiry", () => {
  test("a socket is told auth:expired with the time, then disconnected by the server at exp", async () => {
    const exp = farExp();
    app.clock.setRemaining(exp, 400);
    const token = await tokenExpiringAt(exp);
    const socket = await connected(app, "/chat", token);
    const order = recordEvents(socket, ["auth:expired", "disconnect"]);
    const expired = nextEvent<{ exp: number; at: number }>(socket, "auth:expired");
    const reason = nextEvent<string>(socket, "disconnect");

    expect(await expired).toEqual({ exp, at: expect.any(Number) });
    expect((await expired).at).toBeGreaterThanOrEqual(exp - 1);
    expect(await reason).toBe("io server disconnect");
    expect(order).toEqual(["auth:expired", "disconnect"]);
    await pause(20);
    expect([...app.registrar.live.keys()]).not.toContain(socket.id);
  });

  test("a socket whose token is still valid stays connected", async () => {
    const exp = farExp();
    app.clock.setRemaining(exp, 60_000);
    const socket = await connected(app, "/chat", await tokenExpiringAt(exp));
    await expect(nextEvent(socket, "auth:expired", 600)).rejects.toThrow("no \"auth:expired\"");
    expect(socket.connected).toBe(true);
  });

  test('with AUTH_SERVICE_SOCKET_EXPIRY=ignore the socket outlives its token', async () => {
    const exp = farExp();
    ignoring.clock.setRemaining(exp, 200);
    const socket = await connected(ignoring, "/chat", await tokenExpiringAt(exp, {}, ignoring));
    await expect(nextEvent(socket, "auth:expired", 700)).rejects.toThrow("no \"auth:expired\"");
    expect(socket.connected).toBe(true);
    expect(await emitWithAck(socket, "whoami")).toMatchObject({ sub: "alice" });
  });
});

describe("auth:refresh", () => {
  test("a new token moves the expiry and the context; the socket outlives the old exp", async () => {
    const exp = farExp();
    app.clock.setRemaining(exp, 400);
    const socket = await connected(app, "/chat", await tokenExpiringAt(exp, { permissions: ["old"] }));
    const answer = await emitWithAck(socket, "auth:refresh", await tokenExpiringAt(exp + 600, { permissions: ["new"] }));

    expect(answer).toEqual({ ok: true, exp: exp + 600 });
    await expect(nextEvent(socket, "auth:expired", 800)).rejects.toThrow("no \"auth:expired\"");
    expect(socket.connected).toBe(true);
    expect(await emitWithAck(socket, "whoami")).toMatchObject({ sub: "alice", permissions: ["new"] });
  });

  test("the listener is in place when the client connects, and the service never sees the event", async () => {
    const exp = farExp();
    app.clock.setRemaining(exp, 60_000);
    const [token, refreshed] = await Promise.all([tokenExpiringAt(exp), tokenExpiringAt(exp + 60)]);
    const client = io(`${app.url}/chat`, { transports: ["websocket"], auth: { token }, reconnection: false, forceNew: true });
    open.push(client);
    const answer = await new Promise<unknown>((resolve) => {
      // Emitted from the client's "connect" handler: the first packet the server receives on this socket.
      client.once("connect", () => client.timeout(3000).emit("auth:refresh", `Bearer ${refreshed}`, (err: Error | null, ack: unknown) => resolve(err ?? ack)));
    });
    expect(answer).toEqual({ ok: true, exp: exp + 60 });
    expect(calls).toEqual([]);
  });

  test.each([
    ["garbage", async () => "not-a-jwt", "ERR_AUTH_TOKEN_INVALID"],
    ["another subject's token", async (exp: number) => tokenExpiringAt(exp + 600, { sub: "mallory" }), "ERR_AUTH_TOKEN_INVALID"],
    ["an expired token", async (exp: number) => tokenExpiringAt(exp - 5), "ERR_AUTH_TOKEN_INVALID"],
    ["no token", async () => undefined, "ERR_AUTH_TOKEN_REQUIRED"],
    ["a non-string token", async () => ({ token: 42 }), "ERR_AUTH_TOKEN_INVALID"],
  ])("a refused refresh (%s) keeps the old expiry", async (_label, makeToken, code) => {
    const exp = farExp();
    app.clock.setRemaining(exp, 500);
    const socket = await connected(app, "/chat", await tokenExpiringAt(exp));
    const expired = nextEvent<{ exp: number }>(socket, "auth:expired");
    const reason = nextEvent<string>(socket, "disconnect");

    const answer = await emitWithAck(socket, "auth:refresh", await makeToken(exp));
    expect(answer).toMatchObject({ ok: false, code });
    expect((await expired).exp).toBe(exp);
    expect(await reason).toBe("io server disconnect");
  });

  test("the disabled-account check runs on refresh: the refresh is refused and the socket cut", async () => {
    const exp = farExp();
    app.clock.setRemaining(exp, 60_000);
    const socket = await connected(app, "/chat", await tokenExpiringAt(exp));
    app.users.disabled.add("alice");
    const order = recordEvents(socket, ["auth:revoked", "disconnect"]);
    const reason = nextEvent<string>(socket, "disconnect");

    const answer = await emitWithAck(socket, "auth:refresh", await tokenExpiringAt(exp + 600));
    expect(answer).toMatchObject({ ok: false, code: "ERR_USER_DISABLED" });
    expect(await reason).toBe("io server disconnect");
    expect(order).toEqual(["auth:revoked", "disconnect"]);
  });

  test("a refresh must still meet the guards that admitted the socket", async () => {
    const exp = farExp();
    app.clock.setRemaining(exp, 60_000);
    const socket = await connected(app, "/admin", await tokenExpiringAt(exp, { roles: ["admin"] }));
    const answer = await emitWithAck(socket, "auth:refresh", await tokenExpiringAt(exp + 600, { roles: ["user"] }));
    expect(answer).toMatchObject({ ok: false, code: "ERR_FORBIDDEN", message: 'The role "admin" is required' });
    expect(await emitWithAck(socket, "whoami")).toMatchObject({ roles: ["admin"] });
  });

  test("a malformed refresh credential is refused like a malformed handshake: one refusal record, through the pipeline", async () => {
    const exp = farExp();
    app.clock.setRemaining(exp, 60_000);
    const socket = await connected(app, "/chat", await tokenExpiringAt(exp));
    app.logs.length = 0;
    const answer = await emitWithAck(socket, "auth:refresh", { token: 42 });
    expect(answer).toEqual({ ok: false, code: "ERR_AUTH_TOKEN_INVALID", statusCode: 401, message: "The access token is invalid or expired" });
    expect(app.logs.filter((r) => r.msg === "authentication refused")).toEqual([
      expect.objectContaining({ level: 20, transport: "socket", code: "ERR_AUTH_TOKEN_INVALID", reason: "auth:refresh token is not a string" }),
    ]);
    expect(socket.connected).toBe(true);
  });

  test("a refresh without an acknowledgement is applied all the same", async () => {
    const exp = farExp();
    app.clock.setRemaining(exp, 60_000);
    const socket = await connected(app, "/chat", await tokenExpiringAt(exp));
    socket.emit("auth:refresh", { token: await tokenExpiringAt(exp + 600, { permissions: ["late"] }) });
    await pause(150);
    expect(await emitWithAck(socket, "whoami")).toMatchObject({ permissions: ["late"] });
  });
});

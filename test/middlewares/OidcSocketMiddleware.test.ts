import { EventEmitter } from "node:events";
import { describe, expect, jest, test } from "@jest/globals";
import type { Socket } from "socket.io";
import { bindOidcMiddlewares } from "../../src/bindOidcMiddlewares.js";
import { createOidcContainer } from "../../src/container.js";
import { ERR_AUTH_TOKEN_INVALID, ERR_AUTH_TOKEN_REQUIRED, OidcError } from "../../src/errors.js";
import type { TokenVerifier } from "../../src/services/verification/JwksVerifier.js";
import type { SocketSessionRegistrar } from "../../src/services/sessions/SocketSessionRegistrar.js";
import { TOKENS } from "../../src/tokens.js";
import { readAuth } from "../../src/transport/authState.js";
import type { VerifiedClaims } from "../../src/types.js";
import { captureLogger, waitFor } from "../fixtures/doubles.js";

const CLAIMS: VerifiedClaims = { sub: "alice", iss: "https://auth.example.com", exp: 2_000_000_000, roles: ["admin"] };

/** The socket middleware of a container whose verifier accepts only "good.token.here". */
function middleware() {
  const verifier = { verify: jest.fn<TokenVerifier["verify"]>(async (token) => (token === "good.token.here" ? CLAIMS : Promise.reject(new OidcError(ERR_AUTH_TOKEN_INVALID)))) };
  const registrar = { register: jest.fn<SocketSessionRegistrar["register"]>(), unregister: jest.fn<SocketSessionRegistrar["unregister"]>() };
  const logs = captureLogger();
  const container = createOidcContainer();
  container.register(TOKENS.JwksVerifier, { useValue: verifier });
  container.register(TOKENS.SocketSessionRegistrar, { useValue: registrar });
  container.register(TOKENS.Logger, { useValue: logs.logger });
  const { OidcSocketMiddleware } = bindOidcMiddlewares(container);
  const nsp = Object.assign(new EventEmitter(), { name: "/chat" });
  return { handle: new OidcSocketMiddleware().handle({}), verifier, registrar, logs, nsp };
}

function fakeSocket(nsp: EventEmitter, handshake: { auth?: unknown; headers?: Record<string, string> }): Socket {
  return Object.assign(new EventEmitter(), { id: "sock-1", nsp, handshake: { auth: handshake.auth ?? {}, headers: handshake.headers ?? {} } }) as unknown as Socket;
}

/** Runs the middleware and resolves with every argument list `next` got, once it got one. */
async function run(handle: ReturnType<typeof middleware>["handle"], socket: Socket): Promise<unknown[][]> {
  const nextCalls: unknown[][] = [];
  handle(socket, (...args: unknown[]) => void nextCalls.push(args));
  await waitFor(() => nextCalls.length > 0, 1000, "next()");
  // Give a second, buggy call the chance to happen before counting.
  await new Promise((resolve) => setImmediate(resolve));
  return nextCalls;
}

describe("next is called exactly once on every path", () => {
  test.each([
    ["auth.token", { auth: { token: "good.token.here" } }],
    ['auth.token with "Bearer "', { auth: { token: "Bearer good.token.here" } }],
    ["the Authorization header", { headers: { authorization: "Bearer good.token.here" } }],
    ["the header when auth is null", { auth: null, headers: { authorization: "Bearer good.token.here" } }],
  ])("success from %s: next() without error, context on the socket", async (_kind, handshake) => {
    const { handle, nsp } = middleware();
    const socket = fakeSocket(nsp, handshake);
    expect(await run(handle, socket)).toEqual([[]]);
    expect(socket).toMatchObject({ sub: "alice", userId: "alice", userRole: "admin", roles: ["admin"] });
    expect(readAuth(socket)?.claims).toBe(CLAIMS);
  });

  test.each([
    ["no token", {}, ERR_AUTH_TOKEN_REQUIRED],
    ["a non-string auth.token", { auth: { token: 42 } }, ERR_AUTH_TOKEN_INVALID],
    ["a malformed header", { headers: { authorization: "Bearer a b" } }, ERR_AUTH_TOKEN_INVALID],
    ["a token the verifier refuses", { auth: { token: "bad.token.here" } }, ERR_AUTH_TOKEN_INVALID],
  ])("refusal for %s: next(err) with the code as message", async (_kind, handshake, code) => {
    const { handle, nsp } = middleware();
    const calls = await run(handle, fakeSocket(nsp, handshake));
    expect(calls).toHaveLength(1);
    const [error] = calls[0] as [Error & { data: unknown }];
    expect(error.message).toBe(code);
    expect(error.data).toMatchObject({ code });
  });

  test("a non-string auth.token is refused before the verifier is asked", async () => {
    const { handle, nsp, verifier } = middleware();
    await run(handle, fakeSocket(nsp, { auth: { token: { nested: "good.token.here" } } }));
    expect(verifier.verify).not.toHaveBeenCalled();
  });

  test("a next() that throws is logged, not called again, and does not become an unhandled rejection", async () => {
    const { handle, nsp, logs } = middleware();
    const next = jest.fn(() => {
      throw new Error("socket.io internals blew up");
    });
    handle(fakeSocket(nsp, { auth: { token: "good.token.here" } }), next);
    await waitFor(() => logs.records().some((r) => r.msg === "Socket.IO next() threw"), 1000, "the log");
    expect(next).toHaveBeenCalledTimes(1);
  });
});

describe("session tracking", () => {
  test("registers on the namespace's connection event and unregisters on disconnect", async () => {
    const { handle, nsp, registrar } = middleware();
    const socket = fakeSocket(nsp, { auth: { token: "good.token.here" } });
    await run(handle, socket);
    expect(registrar.register).not.toHaveBeenCalled();
    nsp.emit("connection", socket);
    await waitFor(() => registrar.register.mock.calls.length === 1, 1000, "register");
    expect(registrar.register).toHaveBeenCalledWith("alice", "sock-1", "alice");
    (socket as unknown as EventEmitter).emit("disconnect");
    await waitFor(() => registrar.unregister.mock.calls.length === 1, 1000, "unregister");
    expect(registrar.unregister).toHaveBeenCalledWith("alice", "sock-1");
  });

  test("a connection without authentication result (another namespace middleware let it in) is not registered", async () => {
    const { handle, nsp, registrar } = middleware();
    await run(handle, fakeSocket(nsp, { auth: { token: "good.token.here" } }));
    nsp.emit("connection", fakeSocket(nsp, {}));
    await new Promise((resolve) => setImmediate(resolve));
    expect(registrar.register).not.toHaveBeenCalled();
  });

  test("the connection listener is installed once per namespace, however many sockets authenticate", async () => {
    const { handle, nsp } = middleware();
    for (let i = 0; i < 3; i += 1) await run(handle, fakeSocket(nsp, { auth: { token: "good.token.here" } }));
    expect(nsp.listenerCount("connection")).toBe(1);
  });
});

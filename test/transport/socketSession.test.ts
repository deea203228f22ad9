import { afterEach, beforeEach, describe, expect, jest, test } from "@jest/globals";
import { createOidcLogger, ERR_AUTH_TOKEN_INVALID, OidcError, resolveOidcConfig, type AuthResult, type OidcConfig } from "../../src/index.js";
import type { AuthPipeline } from "../../src/services/AuthPipeline.js";
import { permissionRequirement } from "../../src/services/AccessRequirement.js";
import { attachAuth, readAuth, recordAdmission } from "../../src/transport/authState.js";
import { LiveSocketSessions, type SessionDependencies } from "../../src/transport/socketSession.js";
import { FakeSocket } from "../fixtures/fakeSocket.js";

const T0 = Date.UTC(2030, 0, 1) / 1000; // seconds

function result(sub: string, exp: number | undefined, extra: { userId?: string; permissions?: string[] } = {}): AuthResult {
  return {
    context: { sub, iss: "https://auth.example", userId: extra.userId ?? sub, userRole: "user", roles: [], permissions: extra.permissions ?? [], scopes: [], features: {}, email: null, name: null },
    claims: { sub, iss: "https://auth.example", exp: exp as number },
    localRole: undefined,
  };
}

/** A pipeline answering from a table of tokens; unknown tokens are invalid, as are credentials the extraction refuses. */
function pipelineOf(table: Record<string, AuthResult | Promise<AuthResult>>): AuthPipeline {
  return {
    authenticateRequest: async (extract: () => string | { token: string | undefined } | undefined) => {
      const credential = extract();
      const token = typeof credential === "string" ? credential : credential?.token;
      const answer = token === undefined ? undefined : table[token];
      if (!answer) throw new OidcError(ERR_AUTH_TOKEN_INVALID);
      return answer;
    },
  } as unknown as AuthPipeline;
}

interface Harness {
  sessions: LiveSocketSessions;
  log: string[];
  servers: unknown[];
}

function harness(table: Record<string, AuthResult | Promise<AuthResult>>, config: Partial<OidcConfig> = {}, registrar?: SessionDependencies["registrar"]): Harness {
  const log: string[] = [];
  const servers: unknown[] = [];
  const deps: SessionDependencies = {
    pipeline: pipelineOf(table),
    registrar: registrar ?? {
      register: (userId, socketId) => void log.push(`register ${userId} ${socketId}`),
      unregister: (userId, socketId) => void log.push(`unregister ${userId} ${socketId}`),
    },
    config: { get: () => resolveOidcConfig({ authServiceUrl: "https://auth.example", appSlug: "app", clockToleranceSeconds: 5, ...config }) },
    clock: { now: () => Date.now() },
    logger: createOidcLogger({ write: (line: string) => void log.push(`log ${JSON.parse(line).msg}`) }, "warn"),
    servers: { add: (server) => void servers.push(server) },
    revocations: { isRevoked: () => false },
  };
  return { sessions: new LiveSocketSessions(deps), log, servers };
}

const flush = async (): Promise<void> => {
  for (let i = 0; i < 10; i++) await Promise.resolve();
};

beforeEach(() => {
  jest.useFakeTimers({ now: T0 * 1000 });
});
afterEach(() => {
  jest.useRealTimers();
});

describe("opening a session", () => {
  test("joins the subject's and the user's rooms and registers the socket", async () => {
    const { sessions, log } = harness({});
    const socket = new FakeSocket();
    sessions.open(socket, result("alice", T0 + 60, { userId: "42" }));
    await flush();
    expect([...socket.rooms]).toEqual(["ioserver-oidc:sub:alice", "ioserver-oidc:user:42"]);
    expect(log).toEqual([`register 42 ${socket.id}`]);
  });

  test("watch() hooks a namespace once, learns its server, and opens only authenticated sockets", () => {
    const { sessions, servers } = harness({});
    const connection: ((socket: FakeSocket) => void)[] = [];
    const namespace = { name: "/chat", server: { _nsps: new Map() }, on: (_e: "connection", fn: (s: FakeSocket) => void) => connection.push(fn) };
    sessions.watch(namespace);
    sessions.watch(namespace);
    expect(connection).toHaveLength(1);
    expect(servers).toEqual([namespace.server]);

    const anonymous = new FakeSocket();
    connection[0]!(anonymous);
    expect(anonymous.rooms.size).toBe(0);
  });
});

describe("expiry", () => {
  test("fires at exp + clock tolerance: auth:expired with the time, then a namespace-level disconnect", () => {
    const { sessions } = harness({});
    const socket = new FakeSocket();
    sessions.open(socket, result("alice", T0 + 60));

    jest.advanceTimersByTime(64_999);
    expect(socket.sent).toEqual([]);
    jest.advanceTimersByTime(1);
    expect(socket.sent).toEqual([["auth:expired", { exp: T0 + 60, at: T0 + 65 }]]);
    expect(socket.disconnects).toEqual([undefined]);
    expect(jest.getTimerCount()).toBe(0);
  });

  test('policy "ignore" arms no timer', () => {
    const { sessions } = harness({}, { socketExpiry: "ignore" });
    sessions.open(new FakeSocket(), result("alice", T0 + 60));
    expect(jest.getTimerCount()).toBe(0);
  });

  test("a token without exp (custom verifier) arms no timer", () => {
    const { sessions } = harness({});
    sessions.open(new FakeSocket(), result("alice", undefined));
    expect(jest.getTimerCount()).toBe(0);
  });

  test("a deadline beyond setTimeout's range is reached in hops", () => {
    const { sessions } = harness({}, { clockToleranceSeconds: 0 });
    const socket = new FakeSocket();
    const exp = T0 + 40 * 24 * 3600; // 40 days: more than 2^31-1 ms
    sessions.open(socket, result("alice", exp));
    jest.advanceTimersByTime(2 ** 31 - 1);
    expect(socket.sent).toEqual([]);
    expect(jest.getTimerCount()).toBe(1);
    jest.advanceTimersByTime(exp * 1000 - Date.now());
    expect(socket.sent.map(([e]) => e)).toEqual(["auth:expired"]);
  });

  test("an already passed deadline expires on the next tick", () => {
    const { sessions } = harness({}, { clockToleranceSeconds: 0 });
    const socket = new FakeSocket();
    sessions.open(socket, result("alice", T0 - 1));
    jest.advanceTimersByTime(0);
    expect(socket.sent.map(([e]) => e)).toEqual(["auth:expired"]);
  });
});

describe("disconnect", () => {
  test("clears the timer and unregisters after the registration", async () => {
    let finishRegister: () => void = () => undefined;
    const order: string[] = [];
    const { sessions } = harness({}, {}, {
      register: () => new Promise<void>((resolve) => (finishRegister = () => (order.push("register"), resolve()))),
      unregister: () => void order.push("unregister"),
    });
    const socket = new FakeSocket();
    sessions.open(socket, result("alice", T0 + 60));
    socket.drop();
    expect(jest.getTimerCount()).toBe(0);
    await flush();
    expect(order).toEqual([]);
    finishRegister();
    await flush();
    expect(order).toEqual(["register", "unregister"]);
  });

  test("a refresh that completes after the disconnect re-arms nothing and is not acknowledged", async () => {
    let release: (r: AuthResult) => void = () => undefined;
    const pending = new Promise<AuthResult>((resolve) => (release = resolve));
    const { sessions } = harness({ slow: pending });
    const socket = new FakeSocket();
    sessions.open(socket, result("alice", T0 + 60));
    const ack = jest.fn();
    socket.receive("auth:refresh", "slow", ack);
    await flush();
    socket.drop();
    release(result("alice", T0 + 600));
    await flush();
    expect(jest.getTimerCount()).toBe(0);
    expect(ack).not.toHaveBeenCalled();
  });
});

describe("auth:refresh", () => {
  test("moves the expiry and the context on the socket", async () => {
    const { sessions } = harness({ fresh: result("alice", T0 + 600, { permissions: ["p"] }) }, { clockToleranceSeconds: 0 });
    const socket = new FakeSocket();
    sessions.open(socket, result("alice", T0 + 60));
    const ack = jest.fn();
    socket.receive("auth:refresh", { token: "Bearer fresh" }, ack);
    await flush();
    expect(ack).toHaveBeenCalledWith({ ok: true, exp: T0 + 600 });
    expect((socket as unknown as { permissions: string[] }).permissions).toEqual(["p"]);
    expect(readAuth(socket)?.claims.exp).toBe(T0 + 600);
    jest.advanceTimersByTime(60_000);
    expect(socket.sent).toEqual([]);
    jest.advanceTimersByTime(540_000);
    expect(socket.sent).toEqual([["auth:expired", { exp: T0 + 600, at: T0 + 600 }]]);
  });

  test("refreshes apply in the order sent, even when the first one is slower", async () => {
    let releaseFirst: (r: AuthResult) => void = () => undefined;
    const first = new Promise<AuthResult>((resolve) => (releaseFirst = resolve));
    const { sessions } = harness({ first, second: result("alice", T0 + 900) });
    const socket = new FakeSocket();
    sessions.open(socket, result("alice", T0 + 60));
    const acks: unknown[] = [];
    socket.receive("auth:refresh", "first", (a: unknown) => acks.push(a));
    socket.receive("auth:refresh", "second", (a: unknown) => acks.push(a));
    await flush();
    expect(acks).toEqual([]);
    releaseFirst(result("alice", T0 + 300));
    await flush();
    expect(acks).toEqual([{ ok: true, exp: T0 + 300 }, { ok: true, exp: T0 + 900 }]);
    expect(readAuth(socket)?.claims.exp).toBe(T0 + 900);
  });

  test("one refresh may wait behind the running one; more are answered at once, and the queue frees up as they finish", async () => {
    let releaseFirst: (r: AuthResult) => void = () => undefined;
    const first = new Promise<AuthResult>((resolve) => (releaseFirst = resolve));
    const { sessions, log } = harness({ first, second: result("alice", T0 + 900), third: result("alice", T0 + 1200) });
    const socket = new FakeSocket();
    sessions.open(socket, result("alice", T0 + 60));
    const acks: [string, unknown][] = [];
    for (const token of ["first", "second", "third", "third"]) socket.receive("auth:refresh", token, (a: unknown) => acks.push([token, a]));
    const busy = { ok: false, code: "ERR_AUTH_TOKEN_INVALID", statusCode: 401, message: "A refresh is already in progress on this socket: wait for its answer before sending another" };
    expect(acks).toEqual([["third", busy], ["third", busy]]);
    releaseFirst(result("alice", T0 + 300));
    await flush();
    expect(acks.slice(2)).toEqual([["first", { ok: true, exp: T0 + 300 }], ["second", { ok: true, exp: T0 + 900 }]]);
    socket.receive("auth:refresh", "third", (a: unknown) => acks.push(["third", a]));
    await flush();
    expect(acks.at(-1)).toEqual(["third", { ok: true, exp: T0 + 1200 }]);
    expect(log).toEqual([`register alice ${socket.id}`]);
  });

  test("a refresh whose handling throws is logged and does not stop the next one (no unhandled rejection)", async () => {
    const { sessions, log } = harness({ fresh: result("alice", T0 + 600), fresher: result("alice", T0 + 900) });
    const socket = new FakeSocket();
    sessions.open(socket, result("alice", T0 + 60));
    socket.receive("auth:refresh", "fresh", () => {
      throw new Error("acknowledgement failed");
    });
    const ack = jest.fn();
    socket.receive("auth:refresh", "fresher", ack);
    await flush();
    expect(log).toContain("log socket re-authentication failed");
    expect(ack).toHaveBeenCalledWith({ ok: true, exp: T0 + 900 });
  });

  test("a new local user id moves the socket to the new user's room and registration", async () => {
    const { sessions, log } = harness({ moved: result("alice", T0 + 600, { userId: "new" }) });
    const socket = new FakeSocket();
    sessions.open(socket, result("alice", T0 + 60, { userId: "old" }));
    socket.receive("auth:refresh", "moved", () => undefined);
    await flush();
    expect([...socket.rooms].sort()).toEqual(["ioserver-oidc:sub:alice", "ioserver-oidc:user:new"]);
    expect(log).toEqual([`register old ${socket.id}`, `unregister old ${socket.id}`, `register new ${socket.id}`]);
    socket.drop();
    await flush();
    expect(log.at(-1)).toBe(`unregister new ${socket.id}`);
  });

  test("a refresh that no longer meets an admitting guard is refused with ERR_FORBIDDEN", async () => {
    const { sessions } = harness({ weaker: result("alice", T0 + 600, { permissions: [] }) });
    const socket = new FakeSocket();
    const admitted = result("alice", T0 + 60, { permissions: ["chat:read"] });
    attachAuth(socket, admitted); // as the authentication middleware does before the guard
    recordAdmission(socket, permissionRequirement(["chat:read"]));
    sessions.open(socket, admitted);
    const ack = jest.fn();
    socket.receive("auth:refresh", "weaker", ack);
    await flush();
    expect(ack).toHaveBeenCalledWith({ ok: false, code: "ERR_FORBIDDEN", statusCode: 403, message: 'Missing permission: "chat:read"' });
    expect(readAuth(socket)?.claims.exp).toBe(T0 + 60);
  });

  test("a failing room join or registrar is logged, never thrown at Socket.IO", async () => {
    const { sessions, log } = harness({}, {}, {
      register: async () => {
        throw new Error("db down");
      },
      unregister: () => undefined,
    });
    const socket = new FakeSocket();
    socket.join = () => {
      throw new Error("adapter down");
    };
    expect(() => sessions.open(socket, result("alice", T0 + 60))).not.toThrow();
    await flush();
    expect(log).toEqual(["log socket room join failed", "log socket room join failed", "log socket registration failed"]);
  });
});

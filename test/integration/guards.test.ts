import { afterAll, beforeAll, beforeEach, describe, expect, test } from "@jest/globals";
import type { FastifyRequest } from "fastify";
import { BaseService } from "ioserver";
import type { Socket } from "socket.io";
import type { Socket as ClientSocket } from "socket.io-client";
import { getAuth } from "../../src/index.js";
import { TestIssuer } from "../../src/testing/TestIssuer.js";
import { ChatService, ProfileController, calls, connectSocket, emitWithAck } from "../fixtures/app.js";
import { pause, startLiveApp, type LiveApp } from "../fixtures/live.js";

/** A service whose every method records that it ran. */
class UserAdminService extends BaseService {
  async deleteUser(_socket: Socket, data: unknown, callback?: (value: unknown) => void) {
    calls.push(`socket:deleteUser:${JSON.stringify(data)}`);
    callback?.({ ok: true });
  }
  async banUser(_socket: Socket, _data: unknown, callback?: (value: unknown) => void) {
    calls.push("socket:banUser");
    callback?.({ ok: true });
  }
  async listUsers(_socket: Socket, _data: unknown, callback?: (value: unknown) => void) {
    calls.push("socket:listUsers");
    callback?.({ ok: true });
  }
  /** A handler trying to grant its own socket more rights by editing the public fields. */
  async escalate(socket: Socket, _data: unknown, callback?: (value: unknown) => void) {
    socket.permissions?.push("users:delete");
    socket.roles?.push("moderator");
    callback?.({ ok: true, permissions: socket.permissions, recorded: getAuth(socket).permissions });
  }
}

/** A host middleware between authentication and a guard that edits the request's public fields. */
class EscalatingMiddleware {
  handle() {
    return async (request: FastifyRequest) => {
      request.permissions?.push("reports:read");
      request.roles?.push("admin");
    };
  }
}

let issuer: TestIssuer;
let app: LiveApp;
const open: ClientSocket[] = [];

const bearer = async (claims: Record<string, unknown>) => ({ authorization: `Bearer ${await issuer.mint({ sub: "ivan", ...claims })}` });
const get = async (path: string, claims: Record<string, unknown>) => fetch(`${app.url}${path}`, { headers: await bearer(claims) });

async function socketFor(namespace: string, claims: Record<string, unknown>) {
  const outcome = await connectSocket(app.url, namespace, { auth: { token: await issuer.mint({ sub: "ivan", ...claims }) } });
  if (outcome.socket) open.push(outcome.socket);
  return outcome;
}

beforeAll(async () => {
  issuer = await TestIssuer.start({ alg: "RS256" });
  app = await startLiveApp(issuer, {}, (server, oidc) => {
    const { OidcHttpMiddleware, OidcSocketMiddleware, requireRoles, requirePermissions, requireEventPermissions } = oidc;
    server.addController({ name: "adminonly", prefix: "/adminonly", controller: ProfileController, middlewares: [OidcHttpMiddleware, oidc.OidcHttpAdminMiddleware] });
    server.addController({ name: "staff", prefix: "/staff", controller: ProfileController, middlewares: [OidcHttpMiddleware, requireRoles("editor", "admin").http] });
    server.addController({ name: "reports", prefix: "/reports", controller: ProfileController, middlewares: [OidcHttpMiddleware, requirePermissions(["reports:read", "reports:export"]).http] });
    server.addController({ name: "exports", prefix: "/exports", controller: ProfileController, middlewares: [OidcHttpMiddleware, requirePermissions(["a", "b"], { mode: "any" }).http] });
    server.addController({ name: "localized", prefix: "/localized", controller: ProfileController, middlewares: [OidcHttpMiddleware, requireRoles("管理者").http] });
    server.addController({
      name: "escalated",
      prefix: "/escalated",
      controller: ProfileController,
      middlewares: [OidcHttpMiddleware, EscalatingMiddleware, requirePermissions(["reports:read"]).http, requireRoles("admin").http],
    });
    server.addController({ name: "unauthenticated", prefix: "/unauthenticated", controller: ProfileController, middlewares: [requireRoles("admin").http] });

    server.addService({ name: "admin", service: ChatService, middlewares: [OidcSocketMiddleware, oidc.OidcSocketAdminMiddleware] });
    server.addService({ name: "chat", service: ChatService, middlewares: [OidcSocketMiddleware, requirePermissions(["chat:read", "chat:write"], { mode: "any" }).socket] });
    server.addService({ name: "lonely", service: ChatService, middlewares: [requireRoles("admin").socket] });
    server.addService({
      name: "users",
      service: UserAdminService,
      middlewares: [OidcSocketMiddleware, requireEventPermissions({ deleteUser: ["users:delete"], banUser: requireRoles("moderator") })],
    });
    server.addService({ name: "lonelyevents", service: UserAdminService, middlewares: [requireEventPermissions({ deleteUser: "users:delete" })] });
  });
});

beforeEach(() => {
  calls.length = 0;
  app.users.roles.clear();
  app.logs.length = 0;
});

afterAll(async () => {
  for (const socket of open) socket.close();
  await app.stop();
  await issuer.close();
});

describe("HTTP guards", () => {
  test("OidcHttpAdminMiddleware: 403 ERR_FORBIDDEN with an insufficient_scope challenge, naming the role; the handler never runs", async () => {
    const refused = await get("/adminonly", { roles: ["user"] });
    expect(refused.status).toBe(403);
    expect(await refused.json()).toEqual({ statusCode: 403, error: "Forbidden", code: "ERR_FORBIDDEN", message: 'The role "admin" is required' });
    expect(refused.headers.get("www-authenticate")).toBe('Bearer realm="api", error="insufficient_scope", error_description="The role admin is required"');
    expect(calls).toEqual([]);

    const admitted = await get("/adminonly", { roles: ["admin"] });
    expect(admitted.status).toBe(200);
    expect(calls).toEqual(["http:getProfile"]);
  });

  test("by default the token's roles decide, whatever the provisioner's role (0.1.x's rule)", async () => {
    app.users.roles.set("ivan", "admin");
    expect((await get("/adminonly", { roles: [] })).status).toBe(403);
    app.users.roles.set("ivan", "user");
    expect((await get("/adminonly", { roles: ["admin"] })).status).toBe(200);
  });

  test("requireRoles(a, b) admits a holder of either role", async () => {
    expect((await get("/staff", { roles: ["editor"] })).status).toBe(200);
    const refused = await get("/staff", { roles: ["user"] });
    expect(refused.status).toBe(403);
    expect(await refused.json()).toMatchObject({ code: "ERR_FORBIDDEN", message: 'One of the roles "editor", "admin" is required' });
  });

  test('requirePermissions (mode "all") names exactly the missing permissions', async () => {
    const none = await get("/reports", { permissions: [] });
    expect(await none.json()).toMatchObject({ code: "ERR_FORBIDDEN", message: 'Missing permissions: "reports:read", "reports:export"' });
    const one = await get("/reports", { permissions: ["reports:read"] });
    expect(one.status).toBe(403);
    expect(await one.json()).toMatchObject({ message: 'Missing permission: "reports:export"' });
    expect((await get("/reports", { permissions: ["reports:export", "reports:read"] })).status).toBe(200);
  });

  test('requirePermissions (mode "any") admits a holder of one of them', async () => {
    const refused = await get("/exports", { permissions: ["c"] });
    expect(refused.status).toBe(403);
    expect(await refused.json()).toMatchObject({ message: 'One of the permissions "a", "b" is required' });
    expect((await get("/exports", { permissions: ["b"] })).status).toBe(200);
  });

  test("a role name outside Latin-1 still gets a documented 403: the challenge drops what RFC 6750 does not allow, the body keeps the name", async () => {
    const refused = await get("/localized", { roles: ["user"] });
    expect(refused.status).toBe(403);
    expect(await refused.json()).toEqual({ statusCode: 403, error: "Forbidden", code: "ERR_FORBIDDEN", message: 'The role "管理者" is required' });
    expect(refused.headers.get("www-authenticate")).toBe('Bearer realm="api", error="insufficient_scope", error_description="The role  is required"');
    expect(calls).toEqual([]);
    expect((await get("/localized", { roles: ["管理者"] })).status).toBe(200);
  });

  test("a refusal logs the route pattern, never the query string: a token in ?access_token= stays out of the log", async () => {
    const token = await issuer.mint({ sub: "ivan", roles: ["user"] });
    const refused = await fetch(`${app.url}/adminonly/?access_token=${token}&x=1`, { headers: { authorization: `Bearer ${token}` } });
    expect(refused.status).toBe(403);
    const text = JSON.stringify(app.logs);
    expect(app.logs).toContainEqual(expect.objectContaining({ code: "ERR_FORBIDDEN", transport: "http", route: "/adminonly/" }));
    expect(text).not.toContain("access_token");
    expect(text).not.toContain(token.split(".")[2]);
  });

  test("a middleware editing request.permissions/roles before a guard does not pass it: guards read the recorded identity", async () => {
    const refused = await get("/escalated", { permissions: [], roles: ["user"] });
    expect(refused.status).toBe(403);
    expect(await refused.json()).toMatchObject({ code: "ERR_FORBIDDEN", message: 'Missing permission: "reports:read"' });
    expect(calls).toEqual([]);
    expect((await get("/escalated", { permissions: ["reports:read"], roles: ["admin"] })).status).toBe(200);
  });

  test("a guard without an authentication middleware before it refuses everyone, and logs why", async () => {
    const refused = await get("/unauthenticated", { roles: ["admin"] });
    expect(refused.status).toBe(403);
    expect(await refused.json()).toMatchObject({ code: "ERR_FORBIDDEN" });
    expect(calls).toEqual([]);
    expect(app.logs).toContainEqual(expect.objectContaining({ level: 40, transport: "http", reason: expect.stringContaining("no authentication middleware ran") }));
  });
});

describe("socket guards", () => {
  test("OidcSocketAdminMiddleware refuses a non-admin handshake with ERR_FORBIDDEN and never registers it", async () => {
    const refused = await socketFor("/admin", { roles: ["user"] });
    expect(refused).toMatchObject({
      connected: false,
      error: { message: "ERR_FORBIDDEN", data: { code: "ERR_FORBIDDEN", statusCode: 403, message: 'The role "admin" is required' } },
    });
    await pause(20);
    expect(app.registrar.live.size).toBe(0);
    expect((await socketFor("/admin", { roles: ["admin"] })).connected).toBe(true);
  });

  test('requirePermissions(..., { mode: "any" }).socket', async () => {
    expect(await socketFor("/chat", { permissions: ["chat:delete"] })).toMatchObject({
      connected: false,
      error: { data: { message: 'One of the permissions "chat:read", "chat:write" is required' } },
    });
    expect((await socketFor("/chat", { permissions: ["chat:write"] })).connected).toBe(true);
  });

  test("a socket guard without an authentication middleware before it refuses everyone, and logs why", async () => {
    expect(await socketFor("/lonely", { roles: ["admin"] })).toMatchObject({ connected: false, error: { message: "ERR_FORBIDDEN" } });
    expect(app.logs).toContainEqual(expect.objectContaining({ level: 40, transport: "socket", namespace: "/lonely" }));
  });
});

describe("per-event checks", () => {
  test("a forbidden event never reaches the service method; its acknowledgement gets ERR_FORBIDDEN naming what is missing", async () => {
    const { socket } = await socketFor("/users", { permissions: [] });
    expect(await emitWithAck(socket!, "deleteUser", { id: 7 })).toEqual({
      ok: false,
      code: "ERR_FORBIDDEN",
      statusCode: 403,
      message: 'Missing permission: "users:delete"',
    });
    expect(await emitWithAck(socket!, "banUser")).toMatchObject({ ok: false, code: "ERR_FORBIDDEN", message: 'The role "moderator" is required' });
    expect(calls).toEqual([]);
    // Events not in the map pass; the socket stays usable after a refusal.
    expect(await emitWithAck(socket!, "listUsers")).toEqual({ ok: true });
    expect(calls).toEqual(["socket:listUsers"]);
  });

  test("refusals are logged as \"authorization refused\": per event at debug (a client can repeat them at will), handshakes and routes at info", async () => {
    const { socket } = await socketFor("/users", { permissions: [] });
    await get("/adminonly", { roles: ["user"] });
    await socketFor("/admin", { roles: ["user"] });
    app.logs.length = 0;
    for (let i = 0; i < 3; i++) await emitWithAck(socket!, "deleteUser", { id: i });
    await get("/adminonly", { roles: ["user"] });
    await socketFor("/admin", { roles: ["user"] });
    const forbidden = app.logs.filter((r) => r.code === "ERR_FORBIDDEN").map((r) => ({ level: r.level, msg: r.msg, event: r.event, transport: r.transport }));
    expect(forbidden).toEqual([
      ...Array(3).fill({ level: 20, msg: "authorization refused", event: "deleteUser", transport: "socket" }),
      { level: 30, msg: "authorization refused", event: undefined, transport: "http" },
      { level: 30, msg: "authorization refused", event: undefined, transport: "socket" },
    ]);
  });

  test("a forbidden event sent without an acknowledgement is dropped", async () => {
    const { socket } = await socketFor("/users", { permissions: [] });
    socket!.emit("deleteUser", { id: 8 });
    expect(await emitWithAck(socket!, "listUsers")).toEqual({ ok: true });
    expect(calls).toEqual(["socket:listUsers"]);
    expect(socket!.connected).toBe(true);
  });

  test("an allowed event reaches the method with its data", async () => {
    const { socket } = await socketFor("/users", { permissions: ["users:delete"], roles: ["moderator"] });
    expect(await emitWithAck(socket!, "deleteUser", { id: 9 })).toEqual({ ok: true });
    expect(await emitWithAck(socket!, "banUser")).toEqual({ ok: true });
    expect(calls).toEqual(['socket:deleteUser:{"id":9}', "socket:banUser"]);
  });

  test("a handler editing socket.permissions/roles grants nothing: later events are judged by the recorded identity", async () => {
    const { socket } = await socketFor("/users", { permissions: [], roles: ["user"] });
    expect(await emitWithAck(socket!, "escalate")).toEqual({ ok: true, permissions: ["users:delete"], recorded: [] });
    expect(await emitWithAck(socket!, "deleteUser", { id: 3 })).toMatchObject({ ok: false, code: "ERR_FORBIDDEN", message: 'Missing permission: "users:delete"' });
    expect(await emitWithAck(socket!, "banUser")).toMatchObject({ ok: false, code: "ERR_FORBIDDEN" });
    expect(calls).toEqual([]);
  });

  test("events are judged by the socket's current token: a refresh that adds the permission opens the event", async () => {
    const { socket } = await socketFor("/users", { permissions: [] });
    expect(await emitWithAck(socket!, "deleteUser", { id: 1 })).toMatchObject({ ok: false });
    const refreshed = await emitWithAck(socket!, "auth:refresh", await issuer.mint({ sub: "ivan", permissions: ["users:delete"] }));
    expect(refreshed).toMatchObject({ ok: true });
    expect(await emitWithAck(socket!, "deleteUser", { id: 1 })).toEqual({ ok: true });
  });

  test("without an authentication middleware before it, the event guard refuses the handshake", async () => {
    expect(await socketFor("/lonelyevents", { permissions: ["users:delete"] })).toMatchObject({ connected: false, error: { message: "ERR_FORBIDDEN" } });
  });
});

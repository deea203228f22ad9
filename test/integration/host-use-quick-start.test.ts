/**
 * Host use 1 (DESIGN.md): the 0.1.x quick start, verbatim. Environment
 * variables only, no container code: the exported classes use the default
 * `oidcContainer` (fresh for this file: jest gives each test file its own
 * module registry and its own copy of process.env).
 */
import { afterAll, afterEach, beforeAll, beforeEach, expect, test } from "@jest/globals";
import { BaseService } from "ioserver";
import type { Socket } from "socket.io";
import type { Socket as ClientSocket } from "socket.io-client";
import {
  ERR_AUTH_TOKEN_INVALID,
  ERR_AUTH_TOKEN_REQUIRED,
  ERR_FORBIDDEN,
  OidcConfigManager,
  OidcHttpMiddleware,
  OidcSocketAdminMiddleware,
  OidcSocketMiddleware,
} from "../../src/index.js";
import { TestIssuer } from "../../src/testing/TestIssuer.js";
import { calls, ChatService, connectSocket, emitWithAck, pickContext, ProfileController, startServer } from "../fixtures/app.js";

/** The host's admin-only service from the quick start. */
class UserService extends BaseService {
  async listUsers(socket: Socket, _data: unknown, callback?: (value: unknown) => void) {
    calls.push("socket:listUsers");
    callback?.({ users: [], askedBy: pickContext(socket) });
  }
}

let issuer: TestIssuer;
let app: Awaited<ReturnType<typeof startServer>>;
const open: ClientSocket[] = [];

beforeAll(async () => {
  issuer = await TestIssuer.start({ alg: "EdDSA", audience: "quick-start-app" });
  Object.assign(process.env, issuer.env(), { AUTH_SERVICE_LOG_LEVEL: "silent" });
  app = await startServer((server) => {
    server.addManager({ name: "oidcConfig", manager: OidcConfigManager });
    server.addController({ name: "profile", controller: ProfileController, middlewares: [OidcHttpMiddleware], prefix: "/profile" });
    server.addService({ name: "chat", service: ChatService, middlewares: [OidcSocketMiddleware] });
    server.addService({ name: "users", service: UserService, middlewares: [OidcSocketMiddleware, OidcSocketAdminMiddleware] });
  });
});
afterAll(async () => {
  await app.stop();
  await issuer.close();
});
beforeEach(() => {
  calls.length = 0;
});
afterEach(() => {
  for (const socket of open.splice(0)) socket.close();
});

async function socketTo(namespace: string, token?: string) {
  const outcome = await connectSocket(app.url, namespace, token === undefined ? {} : { auth: { token } });
  if (outcome.socket) open.push(outcome.socket);
  return outcome;
}

test("the manager read the environment and warmed the JWKS (one fetch)", async () => {
  const server = app.server as unknown as { appHandle: { oidcConfig: OidcConfigManager } };
  await server.appHandle.oidcConfig.ready();
  expect(server.appHandle.oidcConfig.getConfig()).toMatchObject({ authServiceUrl: issuer.url, appSlug: "quick-start-app", jwksUri: issuer.jwksUri });
  expect(issuer.jwksRequests).toBe(1);
});

test("HTTP: a valid token reaches the controller with the context; none gets 401", async () => {
  const token = await issuer.mint({ sub: "alice", roles: ["editor"], permissions: ["posts:write"], features: { beta: true } });
  const ok = await fetch(`${app.url}/profile`, { headers: { authorization: `Bearer ${token}` } });
  expect(ok.status).toBe(200);
  expect(await ok.json()).toEqual({ sub: "alice", userId: "alice", userRole: "editor", roles: ["editor"], permissions: ["posts:write"], features: { beta: true } });

  const refused = await fetch(`${app.url}/profile`);
  expect(refused.status).toBe(401);
  expect(((await refused.json()) as { code: string }).code).toBe(ERR_AUTH_TOKEN_REQUIRED);
  expect(calls).toEqual(["http:getProfile"]);
});

test("HTTP: a token for another audience is refused", async () => {
  const response = await fetch(`${app.url}/profile`, { headers: { authorization: `Bearer ${await issuer.mint({ aud: "another-app" })}` } });
  expect(response.status).toBe(401);
  expect(((await response.json()) as { code: string }).code).toBe(ERR_AUTH_TOKEN_INVALID);
  expect(calls).toEqual([]);
});

test("Socket.IO /chat: authenticated sockets get the context, others connect_error", async () => {
  const outcome = await socketTo("/chat", await issuer.mint({ sub: "bob" }));
  expect(await emitWithAck(outcome.socket as ClientSocket, "whoami")).toMatchObject({ sub: "bob", userId: "bob", userRole: "user" });
  const refused = await socketTo("/chat");
  expect(refused.error?.message).toBe(ERR_AUTH_TOKEN_REQUIRED);
});

test("Socket.IO /users: admins only", async () => {
  const admin = await socketTo("/users", await issuer.mint({ sub: "root", roles: ["admin"] }));
  expect(await emitWithAck(admin.socket as ClientSocket, "listUsers")).toMatchObject({ askedBy: { sub: "root", userRole: "admin" } });

  const user = await socketTo("/users", await issuer.mint({ sub: "bob", roles: ["user"] }));
  expect(user.connected).toBe(false);
  expect(user.error?.message).toBe(ERR_FORBIDDEN);
  expect(user.error?.data).toMatchObject({ code: ERR_FORBIDDEN, statusCode: 403 });
  expect(calls).toEqual(["socket:listUsers"]);
  // Every middleware instance IOServer built shares the key set the manager warmed.
  expect(issuer.jwksRequests).toBe(1);
});

import { afterAll, beforeAll, expect, test } from "@jest/globals";
import type { FastifyReply, FastifyRequest } from "fastify";
import type { Socket } from "socket.io";
import { BaseController, BaseService } from "ioserver";
import { getAuth } from "../src/typedContext.js";
import { attachAuth } from "../src/transport/authState.js";
import { createTestContainer, fakeVerifier, InMemoryUserProvisioner } from "../src/testing/index.js";
import { connectSocket, emitWithAck, startServer } from "./fixtures/app.js";

const context = { sub: "alice", iss: "https://issuer.test", userId: "1", userRole: "admin", roles: ["admin"], permissions: ["p"], scopes: ["notes:read"], features: { beta: true }, email: "alice@example.com", name: null };
const result = { context, claims: { sub: "alice", iss: "https://issuer.test", exp: 1 }, localRole: "admin" };

test("returns the context the middleware attached", () => {
  const request = {} as FastifyRequest;
  attachAuth(request, result);
  expect(getAuth(request)).toEqual(context);
});

test("reads the middleware's record, not the public fields a handler may have overwritten", () => {
  const socket = {} as Socket;
  attachAuth(socket, result);
  socket.userId = "someone-else";
  expect(getAuth(socket).userId).toBe("1");
});

test("hands out copies: editing what getAuth() returned changes neither the record nor a later getAuth()", () => {
  const request = {} as FastifyRequest;
  attachAuth(request, result);
  const first = getAuth(request);
  first.roles.push("root");
  first.permissions.push("everything");
  (first.features as Record<string, unknown>).beta = false;
  expect(getAuth(request)).toEqual(context);
  expect(result.context.roles).toEqual(["admin"]);
});

test("public fields alone (no middleware ran) do not count as authentication", () => {
  const forged = { sub: "alice", userId: "1", userRole: "admin", roles: ["admin"], permissions: [], features: {} } as unknown as FastifyRequest;
  expect(() => getAuth(forged)).toThrow(expect.objectContaining({ name: "OidcError", code: "ERR_AUTH_MISCONFIGURED", statusCode: 500 }));
  expect(() => getAuth(forged)).toThrow(/no ioserver-oidc authentication ran .* OidcHttpMiddleware/);
});

// A route wired without the middleware: the handler stops at getAuth() instead of serving an anonymous caller.
class WhoamiController extends BaseController {
  async whoami(request: FastifyRequest, reply: FastifyReply) {
    const { userId } = getAuth(request);
    return reply.send({ userId });
  }
}

class WhoamiService extends BaseService {
  async whoami(socket: Socket, _data: unknown, callback?: (reply: unknown) => void) {
    callback?.({ userId: getAuth(socket).userId });
  }
}

let app: Awaited<ReturnType<typeof startServer>>;
beforeAll(async () => {
  const oidc = createTestContainer({ verifier: fakeVerifier({ t: { sub: "alice" } }), users: new InMemoryUserProvisioner([{ sub: "alice", id: 9 }]) });
  app = await startServer((server) => {
    server.addController({ name: "whoami", controller: WhoamiController, middlewares: [oidc.OidcHttpMiddleware], prefix: "/protected" });
    server.addController({ name: "unguarded", controller: WhoamiController, middlewares: [], prefix: "/forgotten" });
    server.addService({ name: "guarded", service: WhoamiService, middlewares: [oidc.OidcSocketMiddleware] });
    server.addService({ name: "open", service: WhoamiService, middlewares: [] });
  });
});
afterAll(() => app.stop());

test("in a real route: the context with the middleware, a 500 naming the missing middleware without it", async () => {
  const headers = { authorization: "Bearer t" };
  const protectedRoute = await fetch(`${app.url}/protected`, { headers });
  expect(protectedRoute.status).toBe(200);
  expect(await protectedRoute.json()).toEqual({ userId: "9" });

  const forgotten = await fetch(`${app.url}/forgotten`, { headers });
  expect(forgotten.status).toBe(500);
  expect(((await forgotten.json()) as { message: string }).message).toMatch(/^getAuth\(\): no ioserver-oidc authentication ran/);
});

test("in a real namespace: the context with the middleware, an error answer naming the missing middleware without it", async () => {
  const guarded = await connectSocket(app.url, "/guarded", { auth: { token: "t" } });
  expect(await emitWithAck(guarded.socket!, "whoami")).toEqual({ userId: "9" });
  guarded.socket!.close();

  const open = await connectSocket(app.url, "/open", { auth: { token: "t" } });
  expect(open.connected).toBe(true);
  expect(await emitWithAck(open.socket!, "whoami")).toMatchObject({ status: "error", type: "OidcError", statusCode: 500, message: expect.stringMatching(/^getAuth\(\): no ioserver-oidc authentication ran/) });
  open.socket!.close();
});

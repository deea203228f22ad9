import { afterAll, beforeAll, beforeEach, describe, expect, test } from "@jest/globals";
import type { FastifyReply, FastifyRequest } from "fastify";
import { BaseController, BaseService } from "ioserver";
import type { Socket } from "socket.io";
import type { Socket as ClientSocket } from "socket.io-client";
import { getAuth } from "../../src/index.js";
import { TestIssuer } from "../../src/testing/TestIssuer.js";
import { calls, connectSocket, emitWithAck } from "../fixtures/app.js";
import { startLiveApp, type LiveApp } from "../fixtures/live.js";
import { dpopClient } from "../fixtures/dpopProofs.js";

/** The DPoP challenge's `algs` under the default settings. */
const DPOP_ALGS = 'algs="RS256 RS384 RS512 PS256 PS384 PS512 ES256 ES384 ES512 EdDSA Ed25519"';

class ScopedController extends BaseController {
  async getProfile(request: FastifyRequest, reply: FastifyReply) {
    calls.push("http:getProfile");
    return reply.send(getAuth(request));
  }
}

class NotesService extends BaseService {
  async whoami(socket: Socket, _data: unknown, callback?: (value: unknown) => void) {
    calls.push("socket:whoami");
    callback?.(getAuth(socket));
  }
  async deleteNote(_socket: Socket, _data: unknown, callback?: (value: unknown) => void) {
    calls.push("socket:deleteNote");
    callback?.({ ok: true });
  }
}

let issuer: TestIssuer;
let app: LiveApp;
const open: ClientSocket[] = [];

const get = async (path: string, claims: Record<string, unknown>) =>
  fetch(`${app.url}${path}`, { headers: { authorization: `Bearer ${await issuer.mint({ sub: "sam", ...claims })}` }, signal: AbortSignal.timeout(5000) });

async function socketFor(namespace: string, claims: Record<string, unknown>) {
  const outcome = await connectSocket(app.url, namespace, { auth: { token: await issuer.mint({ sub: "sam", ...claims }) } });
  if (outcome.socket) open.push(outcome.socket);
  return outcome;
}

beforeAll(async () => {
  issuer = await TestIssuer.start({ alg: "ES256" });
  app = await startLiveApp(issuer, {}, (server, oidc) => {
    const { OidcHttpMiddleware, OidcSocketMiddleware, requireScopes, requireEventPermissions } = oidc;
    server.addController({ name: "scoped", prefix: "/scoped", controller: ScopedController, middlewares: [OidcHttpMiddleware, requireScopes(["notes:read", "notes:list"]).http] });
    server.addController({
      name: "scopedany",
      prefix: "/scopedany",
      controller: ScopedController,
      middlewares: [OidcHttpMiddleware, requireScopes(["notes:read", "notes:admin"], { mode: "any" }).http],
    });
    server.addService({ name: "notes", service: NotesService, middlewares: [OidcSocketMiddleware, requireScopes("notes:read").socket] });
    server.addService({ name: "editor", service: NotesService, middlewares: [OidcSocketMiddleware, requireEventPermissions({ deleteNote: requireScopes("notes:write") })] });
  });
});
afterAll(async () => {
  for (const socket of open) socket.close();
  await app.stop();
  await issuer.close();
});
beforeEach(() => {
  calls.length = 0;
});

describe("the context carries the scopes and the issuer on every transport", () => {
  test.each([
    ["a scope string (RFC 9068)", { scope: "notes:read notes:list  openid" }, ["notes:read", "notes:list", "openid"]],
    ["an scp array (Okta)", { scp: ["notes:read", "notes:list"] }, ["notes:read", "notes:list"]],
    ["an scp string (Azure)", { scp: "notes:read notes:list" }, ["notes:read", "notes:list"]],
  ])("%s", async (_name, claims, scopes) => {
    const res = await get("/scoped", claims);
    expect(res.status).toBe(200);
    expect(await res.json()).toMatchObject({ iss: issuer.issuer, scopes });
    const { socket } = await socketFor("/notes", claims);
    expect(await emitWithAck(socket as ClientSocket, "whoami")).toMatchObject({ iss: issuer.issuer, scopes });
  });
});

describe("requireScopes on an HTTP route", () => {
  test("mode all: a missing scope is 403 insufficient_scope naming the required scopes (RFC 6750 §3.1)", async () => {
    const res = await get("/scoped", { scope: "notes:read" });
    expect(res.status).toBe(403);
    expect(res.headers.get("www-authenticate")).toBe('Bearer realm="api", error="insufficient_scope", error_description="Missing scope: notes:list", scope="notes:read notes:list"');
    expect(await res.json()).toEqual({ statusCode: 403, error: "Forbidden", code: "ERR_FORBIDDEN", message: 'Missing scope: "notes:list"' });
    expect(calls).toEqual([]);
  });

  test("a DPoP-bound token without the scope gets the error on the DPoP challenge, the scheme it was sent with (RFC 9449 §7.1)", async () => {
    const client = await dpopClient("ES256");
    const token = await issuer.mint({ sub: "sam", scope: "notes:read", cnf: { jkt: client.jkt } });
    const res = await fetch(`${app.url}/scoped`, { headers: { authorization: `DPoP ${token}`, dpop: await client.proof("GET", `${app.url}/scoped`, token) } });
    expect(res.status).toBe(403);
    expect(res.headers.get("www-authenticate")).toBe(`Bearer realm="api", DPoP error="insufficient_scope", error_description="Missing scope: notes:list", scope="notes:read notes:list", ${DPOP_ALGS}`);
    expect(calls).toEqual([]);
    const allowed = await issuer.mint({ sub: "sam", scope: "notes:read notes:list", cnf: { jkt: client.jkt } });
    expect((await fetch(`${app.url}/scoped`, { headers: { authorization: `DPoP ${allowed}`, dpop: await client.proof("GET", `${app.url}/scoped`, allowed) } })).status).toBe(200);
  });

  test("mode any: one of them is enough; none is 403 listing them", async () => {
    expect((await get("/scopedany", { scp: ["notes:admin"] })).status).toBe(200);
    const res = await get("/scopedany", { scope: "other" });
    expect(res.status).toBe(403);
    expect(res.headers.get("www-authenticate")).toContain('scope="notes:read notes:admin"');
  });

  test("a scope claim of the wrong type grants nothing", async () => {
    for (const claims of [{ scope: ["notes:read", "notes:list"] }, { scope: 7 }, { scp: ["notes:read", 1, "notes:list"] }, { scp: { "notes:read": true } }]) {
      expect((await get("/scoped", claims)).status).toBe(403);
    }
    expect(calls).toEqual([]);
  });
});

describe("requireScopes on a namespace and per event", () => {
  test("a handshake without the scope gets connect_error ERR_FORBIDDEN naming it", async () => {
    const outcome = await socketFor("/notes", { scope: "notes:list" });
    expect(outcome.connected).toBe(false);
    expect(outcome.error).toEqual({ message: "ERR_FORBIDDEN", data: { code: "ERR_FORBIDDEN", statusCode: 403, message: 'Missing scope: "notes:read"' } });
  });

  test("a per-event check refuses the event, names the scope in the ack, and never reaches the handler", async () => {
    const { socket } = await socketFor("/editor", { scope: "notes:read" });
    expect(await emitWithAck(socket as ClientSocket, "deleteNote", {})).toEqual({ ok: false, code: "ERR_FORBIDDEN", statusCode: 403, message: 'Missing scope: "notes:write"' });
    expect(calls).toEqual([]);
    const { socket: writer } = await socketFor("/editor", { scope: "notes:write" });
    expect(await emitWithAck(writer as ClientSocket, "deleteNote", {})).toEqual({ ok: true });
  });
});

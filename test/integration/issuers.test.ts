import { afterAll, beforeAll, beforeEach, expect, test } from "@jest/globals";
import type { FastifyReply, FastifyRequest } from "fastify";
import { BaseController, BaseService } from "ioserver";
import type { Socket } from "socket.io";
import type { Socket as ClientSocket } from "socket.io-client";
import { getAuth } from "../../src/index.js";
import { createTestContainer, TestIssuer } from "../../src/testing/index.js";
import { connectSocket, emitWithAck, startServer } from "../fixtures/app.js";
import { MetadataServer } from "../fixtures/metadataServer.js";

/** What the default provisioner hands `appHandle.users.findOrCreate`, and a store keyed by (iss, sub). */
const provisioned: { sub: string; profile: Record<string, unknown> }[] = [];
class UsersManager {
  private readonly ids = new Map<string, number>();
  findOrCreate(sub: string, profile: { email?: string | null; name?: string | null; iss?: string }) {
    provisioned.push({ sub, profile });
    const key = `${profile.iss ?? ""}\n${sub}`;
    if (!this.ids.has(key)) this.ids.set(key, this.ids.size + 1);
    return { id: this.ids.get(key) };
  }
}

/** A 0.1.x-style store that only knows findOrCreate(sub, { email, name }). */
class LegacyUsersManager {
  findOrCreate(sub: string, { email, name }: { email?: string | null; name?: string | null }) {
    return { id: `legacy-${sub}-${email ?? "none"}-${name ?? "none"}` };
  }
}

class WhoController extends BaseController {
  async getProfile(request: FastifyRequest, reply: FastifyReply) {
    return reply.send(getAuth(request));
  }
}
class WhoService extends BaseService {
  async whoami(socket: Socket, _data: unknown, callback?: (value: unknown) => void) {
    callback?.(getAuth(socket));
  }
}

let primary: TestIssuer;
let partner: TestIssuer;
let host: MetadataServer;
let discovered: TestIssuer;
const apps: Awaited<ReturnType<typeof startServer>>[] = [];
const open: ClientSocket[] = [];

async function startApp(users: new () => unknown) {
  const { OidcHttpMiddleware, OidcSocketMiddleware, OidcConfigManager } = createTestContainer({
    env: primary.env({
      AUTH_SERVICE_ISSUERS: JSON.stringify([
        { issuer: partner.issuer, jwksUri: partner.jwksUri },
        { issuer: host.issuer, discovery: true },
      ]),
    }),
  });
  const app = await startServer((server) => {
    server.addManager({ name: "oidcConfig", manager: OidcConfigManager });
    server.addManager({ name: "users", manager: users as never });
    server.addController({ name: "whoisit", controller: WhoController, middlewares: [OidcHttpMiddleware], prefix: "/whoisit" });
    server.addService({ name: "who", service: WhoService, middlewares: [OidcSocketMiddleware] });
  });
  apps.push(app);
  return app;
}

async function contexts(url: string, token: string): Promise<Record<string, unknown>[]> {
  const res = await fetch(`${url}/whoisit`, { headers: { authorization: `Bearer ${token}` }, signal: AbortSignal.timeout(5000) });
  expect(res.status).toBe(200);
  const { socket } = await connectSocket(url, "/who", { auth: { token } });
  expect(socket).toBeDefined();
  open.push(socket as ClientSocket);
  return [(await res.json()) as Record<string, unknown>, await emitWithAck<Record<string, unknown>>(socket as ClientSocket, "whoami")];
}

beforeAll(async () => {
  primary = await TestIssuer.start({ alg: "ES256", audience: "notes" });
  partner = await TestIssuer.start({ alg: "RS256", audience: "notes" });
  host = await MetadataServer.start("/tenant");
  discovered = await TestIssuer.start({ alg: "EdDSA", audience: "notes", issuer: host.issuer });
  host.serve(discovered.jwksUri);
});
afterAll(async () => {
  for (const socket of open) socket.close();
  for (const app of apps) await app.stop();
  for (const server of [primary, partner, discovered, host]) await server.close();
});
beforeEach(() => {
  provisioned.length = 0;
});

test("the same sub at three issuers is three users: the context carries iss, the provisioner gets it", async () => {
  const app = await startApp(UsersManager);
  const seen = new Map<string, unknown>();
  for (const issuer of [primary, partner, discovered]) {
    const token = await issuer.mint({ sub: "alice", email: "alice@example.com", name: "Alice" });
    for (const context of await contexts(app.url, token)) {
      expect(context).toMatchObject({ sub: "alice", iss: issuer.issuer });
      seen.set(issuer.issuer, context.userId);
    }
  }
  expect(new Set(seen.values()).size).toBe(3);
  expect(provisioned.map(({ sub, profile }) => [sub, profile.iss, profile.email, profile.name])).toEqual(
    [primary, partner, discovered].flatMap((issuer) => [
      ["alice", issuer.issuer, "alice@example.com", "Alice"],
      ["alice", issuer.issuer, "alice@example.com", "Alice"],
    ]),
  );
  // Discovered once, at warm-up or on first use.
  expect(host.discoveryRequests).toBe(1);
});

test("a 0.1.x provisioner written as findOrCreate(sub, { email, name }) keeps working", async () => {
  const app = await startApp(LegacyUsersManager);
  const token = await partner.mint({ sub: "bob", email: "bob@example.com", name: "Bob" });
  for (const context of await contexts(app.url, token)) expect(context).toMatchObject({ userId: "legacy-bob-bob@example.com-Bob", iss: partner.issuer });
});

test("auth:refresh keeps the identity: the same sub from another trusted issuer is refused", async () => {
  const app = await startApp(UsersManager);
  const { socket } = await connectSocket(app.url, "/who", { auth: { token: await primary.mint({ sub: "alice" }) } });
  open.push(socket as ClientSocket);
  expect(await emitWithAck(socket as ClientSocket, "auth:refresh", await partner.mint({ sub: "alice" }))).toMatchObject({ ok: false, code: "ERR_AUTH_TOKEN_INVALID" });
  expect(await emitWithAck(socket as ClientSocket, "whoami")).toMatchObject({ iss: primary.issuer });
  expect(await emitWithAck(socket as ClientSocket, "auth:refresh", await primary.mint({ sub: "alice" }, { expiresIn: 900 }))).toMatchObject({ ok: true });
});

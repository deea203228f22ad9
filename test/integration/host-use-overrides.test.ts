/**
 * Host use 2 (DESIGN.md): the provisioner and the verifier replaced through
 * bindings on the default `oidcContainer`, in a few lines, before the server
 * is built. IOServer constructs the middlewares itself (`new Middleware()`),
 * and they still pick up the host's bindings.
 */
import "reflect-metadata";
import { afterAll, afterEach, beforeAll, beforeEach, expect, jest, test } from "@jest/globals";
import { inject, injectable } from "tsyringe";
import type { Socket as ClientSocket } from "socket.io-client";
import {
  ERR_AUTH_TOKEN_INVALID,
  ERR_FORBIDDEN,
  ERR_USER_DISABLED,
  JwksVerifier,
  OidcError,
  OidcConfigManager,
  OidcHttpMiddleware,
  OidcSocketAdminMiddleware,
  OidcSocketMiddleware,
  oidcContainer,
  TOKENS,
  type LocalUser,
  type TokenVerifier,
  type UserProfile,
  type VerifiedClaims,
} from "../../src/index.js";
import { TestIssuer } from "../../src/testing/TestIssuer.js";
import { calls, ChatService, connectSocket, emitWithAck, ProfileController, startServer } from "../fixtures/app.js";

/** The host's verifier: the package's JWKS checks, plus its own rule (tokens must belong to the "acme" tenant). */
@injectable()
class TenantVerifier implements TokenVerifier {
  constructor(@inject(JwksVerifier) private readonly jwks: JwksVerifier) {}

  /** Delegating readiness lets OidcConfigManager warm the package's key set for this verifier too. */
  ready(): Promise<void> {
    return this.jwks.ready();
  }

  async verify(token: string): Promise<VerifiedClaims> {
    const claims = await this.jwks.verify(token);
    if (claims.tenant !== "acme") throw new OidcError(ERR_AUTH_TOKEN_INVALID, { reason: "foreign tenant" });
    return claims;
  }
}

/** The host's user store, replacing the appHandle.users adapter. */
const accounts = {
  findOrCreate: jest.fn(async (sub: string, _profile: UserProfile): Promise<LocalUser> => ({ id: `acme:${sub}`, role: sub === "boss" ? "admin" : "member", isDisabled: sub === "fired" })),
};

/** An appHandle.users manager the default adapter would have used: it must stay untouched. */
const defaultUsersCalls: string[] = [];
class UsersManager {
  findOrCreate(sub: string) {
    defaultUsersCalls.push(sub);
    return { id: "from-appHandle" };
  }
}

let issuer: TestIssuer;
let app: Awaited<ReturnType<typeof startServer>>;
const open: ClientSocket[] = [];

beforeAll(async () => {
  issuer = await TestIssuer.start({ alg: "ES256", audience: "acme-app" });
  // This host's store decides roles, the token's roles only count for users it gives none.
  Object.assign(process.env, issuer.env(), { AUTH_SERVICE_LOG_LEVEL: "silent", AUTH_SERVICE_ROLE_SOURCE: "local-first" });

  oidcContainer.register(TOKENS.JwksVerifier, { useClass: TenantVerifier });
  oidcContainer.register(TOKENS.UserProvisioner, { useValue: accounts });

  app = await startServer((server) => {
    server.addManager({ name: "oidcConfig", manager: OidcConfigManager });
    server.addManager({ name: "users", manager: UsersManager });
    server.addController({ name: "profile", controller: ProfileController, middlewares: [OidcHttpMiddleware], prefix: "/profile" });
    server.addService({ name: "chat", service: ChatService, middlewares: [OidcSocketMiddleware] });
    server.addService({ name: "admin", service: ChatService, middlewares: [OidcSocketMiddleware, OidcSocketAdminMiddleware] });
  });
});
afterAll(async () => {
  await app.stop();
  await issuer.close();
});
beforeEach(() => {
  calls.length = 0;
  accounts.findOrCreate.mockClear();
});
afterEach(() => {
  for (const socket of open.splice(0)) socket.close();
});

const get = async (token: string) => fetch(`${app.url}/profile`, { headers: { authorization: `Bearer ${token}` } });

async function socketTo(namespace: string, token: string) {
  const outcome = await connectSocket(app.url, namespace, { auth: { token } });
  if (outcome.socket) open.push(outcome.socket);
  return outcome;
}

test("the host's verifier rule applies on HTTP: a genuine token of another tenant is refused", async () => {
  const response = await get(await issuer.mint({ sub: "alice", tenant: "globex" }));
  expect(response.status).toBe(401);
  expect(((await response.json()) as { code: string }).code).toBe(ERR_AUTH_TOKEN_INVALID);
  expect(calls).toEqual([]);
  expect(accounts.findOrCreate).not.toHaveBeenCalled();
});

test("the host's verifier rule applies on Socket.IO", async () => {
  const outcome = await socketTo("/chat", await issuer.mint({ sub: "alice", tenant: "globex" }));
  expect(outcome.error?.message).toBe(ERR_AUTH_TOKEN_INVALID);
});

test("the wrapped JWKS verification still applies: a forged acme token is refused", async () => {
  const forged = await TestIssuer.forge({ iss: issuer.issuer, aud: "acme-app", sub: "boss", tenant: "acme", exp: Math.floor(Date.now() / 1000) + 60 }, "ES256");
  expect((await get(forged)).status).toBe(401);
});

test("the host's provisioner is used, with (sub, { email, name, iss }); the appHandle.users adapter is not", async () => {
  const response = await get(await issuer.mint({ sub: "alice", tenant: "acme", email: "alice@acme.test", name: "Alice" }));
  expect(response.status).toBe(200);
  expect(await response.json()).toMatchObject({ sub: "alice", userId: "acme:alice", userRole: "member" });
  expect(accounts.findOrCreate).toHaveBeenCalledWith("alice", { email: "alice@acme.test", name: "Alice", iss: issuer.issuer });
  expect(defaultUsersCalls).toEqual([]);
});

test("the host's verifier shares the key set the manager warmed: its requests cause no fetch", async () => {
  await (app.server as unknown as { appHandle: { oidcConfig: OidcConfigManager } }).appHandle.oidcConfig.ready();
  const fetches = issuer.jwksRequests;
  expect(fetches).toBeGreaterThanOrEqual(1);
  expect((await get(await issuer.mint({ sub: "alice", tenant: "acme" }))).status).toBe(200);
  expect(issuer.jwksRequests).toBe(fetches);
});

test("the host's provisioner decides disabled accounts and roles on Socket.IO too", async () => {
  const fired = await socketTo("/chat", await issuer.mint({ sub: "fired", tenant: "acme" }));
  expect(fired.error?.message).toBe(ERR_USER_DISABLED);

  const boss = await socketTo("/admin", await issuer.mint({ sub: "boss", tenant: "acme" }));
  expect(await emitWithAck(boss.socket as ClientSocket, "whoami")).toMatchObject({ userId: "acme:boss", userRole: "admin" });

  // With AUTH_SERVICE_ROLE_SOURCE=local-first the local role ("member") outranks the token's admin claim.
  const member = await socketTo("/admin", await issuer.mint({ sub: "alice", tenant: "acme", roles: ["admin"] }));
  expect(member.error?.message).toBe(ERR_FORBIDDEN);
  expect(defaultUsersCalls).toEqual([]);
});

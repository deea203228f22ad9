/**
 * 0.1.4's `OidcSocketAdminMiddleware` page: a namespace behind
 * `[OidcSocketMiddleware, OidcSocketAdminMiddleware]` admits a user when
 * "admin" appears in the token's `roles`, whatever the local user record
 * says (0.1.4 checked `socket.roles`, the token's roles). The same rule for
 * `OidcHttpAdminMiddleware` and `requireRoles`; the local role's precedence
 * is the opt-in `AUTH_SERVICE_ROLE_SOURCE=local-first`. Black-box: public
 * exports, a real IOServer on 127.0.0.1, a real JWKS, socket.io-client.
 */
import { afterAll, afterEach, beforeAll, describe, expect, test } from "@jest/globals";
import { BaseManager, type IOServer } from "ioserver";
import type { Socket as ClientSocket } from "socket.io-client";
import {
  bindOidcMiddlewares,
  createOidcContainer,
  ERR_FORBIDDEN,
  OidcConfigManager,
  OidcHttpAdminMiddleware,
  OidcHttpMiddleware,
  OidcSocketAdminMiddleware,
  OidcSocketMiddleware,
  requireRoles,
  TOKENS,
  type BoundOidcClasses,
} from "../../src/index.js";
import { TestIssuer } from "../../src/testing/index.js";
import { ChatService, connectSocket, ProfileController, startServer } from "../fixtures/app.js";

/** Local roles as a host's database holds them: "user" is the column default. */
const LOCAL_ROLES: Record<string, string> = { "token-admin": "user", "local-admin": "admin", "plain-user": "user" };

class UsersManager extends BaseManager {
  async findOrCreate(sub: string) {
    return { id: `local-${sub}`, role: LOCAL_ROLES[sub] ?? "user", isDisabled: false };
  }
}

type Classes = Pick<BoundOidcClasses, "OidcConfigManager" | "OidcHttpMiddleware" | "OidcSocketMiddleware" | "OidcHttpAdminMiddleware" | "OidcSocketAdminMiddleware" | "requireRoles">;

function setup(oidc: Classes) {
  return (server: IOServer): void => {
    server.addManager({ name: "oidcConfig", manager: oidc.OidcConfigManager });
    server.addManager({ name: "users", manager: UsersManager });
    server.addController({ name: "adminonly", prefix: "/adminonly", controller: ProfileController, middlewares: [oidc.OidcHttpMiddleware, oidc.OidcHttpAdminMiddleware] });
    server.addController({ name: "staff", prefix: "/staff", controller: ProfileController, middlewares: [oidc.OidcHttpMiddleware, oidc.requireRoles("admin").http] });
    server.addService({ name: "users", service: ChatService, middlewares: [oidc.OidcSocketMiddleware, oidc.OidcSocketAdminMiddleware] });
  };
}

let issuer: TestIssuer;
const open: ClientSocket[] = [];

beforeAll(async () => {
  issuer = await TestIssuer.start({ audience: "admin-app" });
});
afterAll(() => issuer.close());
afterEach(() => {
  for (const socket of open.splice(0)) socket.close();
});

async function outcomes(url: string, sub: string, roles: string[]) {
  const token = await issuer.mint({ sub, roles });
  const status = async (path: string) => (await fetch(`${url}${path}`, { headers: { authorization: `Bearer ${token}` } })).status;
  const socket = await connectSocket(url, "/users", { auth: { token } });
  if (socket.socket) open.push(socket.socket);
  return { http: await status("/adminonly"), requireRoles: await status("/staff"), socket: socket.connected ? "connected" : socket.error?.message };
}

const admitted = { http: 200, requireRoles: 200, socket: "connected" };
const refused = { http: 403, requireRoles: 403, socket: ERR_FORBIDDEN };

describe("default registration: the token's roles decide, as in 0.1.x", () => {
  let app: Awaited<ReturnType<typeof startServer>>;

  beforeAll(async () => {
    Object.assign(process.env, issuer.env(), { AUTH_SERVICE_LOG_LEVEL: "silent" });
    app = await startServer(
      setup({ OidcConfigManager, OidcHttpMiddleware, OidcSocketMiddleware, OidcHttpAdminMiddleware, OidcSocketAdminMiddleware, requireRoles }),
    );
  });
  afterAll(() => app.stop());

  test("a token admin whose database row says `user` is admitted everywhere", async () => {
    expect(await outcomes(app.url, "token-admin", ["admin"])).toEqual(admitted);
  });

  test("admin anywhere in the token's roles is enough", async () => {
    expect(await outcomes(app.url, "plain-user", ["user", "admin"])).toEqual(admitted);
  });

  test("a local admin whose token has no admin role is refused everywhere with ERR_FORBIDDEN", async () => {
    expect(await outcomes(app.url, "local-admin", ["user"])).toEqual(refused);
  });

  test("a token without roles is refused", async () => {
    expect(await outcomes(app.url, "plain-user", [])).toEqual(refused);
  });
});

describe("AUTH_SERVICE_ROLE_SOURCE=local-first: the provisioner's role, when it gave one, decides", () => {
  let app: Awaited<ReturnType<typeof startServer>>;

  beforeAll(async () => {
    const container = createOidcContainer();
    container.register(TOKENS.Environment, { useValue: issuer.env({ AUTH_SERVICE_LOG_LEVEL: "silent", AUTH_SERVICE_ROLE_SOURCE: "local-first" }) });
    app = await startServer(setup(bindOidcMiddlewares(container)));
  });
  afterAll(() => app.stop());

  test("a local admin is admitted without admin in the token", async () => {
    expect(await outcomes(app.url, "local-admin", [])).toEqual(admitted);
  });

  test("a token admin whose local role is `user` is refused", async () => {
    expect(await outcomes(app.url, "token-admin", ["admin"])).toEqual(refused);
  });
});

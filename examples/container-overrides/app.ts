/**
 * Example 2: overriding the provisioner and the verifier through container
 * bindings. The middleware classes IOServer constructs are bound to this
 * app's container, so the overrides apply to every route and namespace of
 * this server and to nothing else in the process. The store's roles decide
 * the admin guard when the app runs with `AUTH_SERVICE_ROLE_SOURCE=local-first`
 * (by default role checks read the token's `roles`, as in 0.1.x).
 */
import { fileURLToPath } from "node:url";
import { BaseController, BaseService, IOServer } from "ioserver";
import type { FastifyReply, FastifyRequest } from "fastify";
import type { Socket } from "socket.io";
import { bindOidcMiddlewares, createOidcContainer, getAuth, JwksVerifier, TOKENS } from "ioserver-oidc";
import { TenantVerifier } from "./TenantVerifier.js";
import type { UserStore } from "./UserStore.js";

export class AccountController extends BaseController {
  async getAccount(request: FastifyRequest, reply: FastifyReply) {
    const { userId, userRole } = getAuth(request);
    return reply.send({ userId, userRole });
  }
}

export class AdminService extends BaseService {
  async whoami(socket: Socket, _data: unknown, callback?: (reply: unknown) => void) {
    callback?.({ userId: getAuth(socket).userId });
  }
}

export async function start(port: number, users: UserStore): Promise<IOServer> {
  // #region overrides
  const container = createOidcContainer();
  container.register(TOKENS.UserProvisioner, { useValue: users });
  container.register(TOKENS.JwksVerifier, { useValue: new TenantVerifier(container.resolve(JwksVerifier), "acme") });
  const oidc = bindOidcMiddlewares(container);
  // #endregion overrides

  const server = new IOServer({ host: "127.0.0.1", port, routes: fileURLToPath(new URL("./routes", import.meta.url)), verbose: "ERROR" });
  server.addManager({ name: "oidcConfig", manager: oidc.OidcConfigManager });
  server.addController({ name: "account", controller: AccountController, middlewares: [oidc.OidcHttpMiddleware], prefix: "/account" });
  server.addService({ name: "admin", service: AdminService, middlewares: [oidc.OidcSocketMiddleware, oidc.OidcSocketAdminMiddleware] });
  await server.start();
  return server;
}

/**
 * Example 1: default registration. The package's classes go to IOServer as
 * they are; configuration comes from the AUTH_SERVICE_* variables. No
 * container code.
 */
import { fileURLToPath } from "node:url";
import { BaseController, BaseService, IOServer } from "ioserver";
import type { FastifyReply, FastifyRequest } from "fastify";
import type { Socket } from "socket.io";
import { getAuth, OidcConfigManager, OidcHttpMiddleware, OidcSocketAdminMiddleware, OidcSocketMiddleware } from "ioserver-oidc";

// #region typed-context
export class ProfileController extends BaseController {
  async getProfile(request: FastifyRequest, reply: FastifyReply) {
    // Typed, and throws ERR_AUTH_MISCONFIGURED if this route lacks OidcHttpMiddleware.
    const { userId, userRole, roles } = getAuth(request);
    return reply.send({ userId, userRole, roles });
  }
}

export class ChatService extends BaseService {
  async whoami(socket: Socket, _data: unknown, callback?: (reply: unknown) => void) {
    const { userId, permissions } = getAuth(socket);
    callback?.({ userId, permissions });
  }
}
// #endregion typed-context

export async function start(port: number): Promise<IOServer> {
  const server = new IOServer({
    host: "127.0.0.1",
    port,
    routes: fileURLToPath(new URL("./routes", import.meta.url)),
    verbose: "ERROR",
  });
  // #region registration
  server.addManager({ name: "oidcConfig", manager: OidcConfigManager });
  server.addController({ name: "profile", controller: ProfileController, middlewares: [OidcHttpMiddleware], prefix: "/profile" });
  server.addService({ name: "chat", service: ChatService, middlewares: [OidcSocketMiddleware] });
  server.addService({ name: "users", service: ChatService, middlewares: [OidcSocketMiddleware, OidcSocketAdminMiddleware] });
  // #endregion registration
  await server.start();
  return server;
}

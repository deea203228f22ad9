import type { Socket } from "socket.io";
import type { DependencyContainer } from "tsyringe";
import { oidcContainer } from "../container.js";
import { ERR_FORBIDDEN, OidcError } from "../errors.js";
import { logRefusal } from "../services/AuthPipeline.js";
import { TOKENS } from "../tokens.js";
import { holdsRole, readAuth } from "../transport/authState.js";
import { toSocketError } from "../transport/reportError.js";
import type { SocketNext } from "./OidcSocketMiddleware.js";

/**
 * IOServer service middleware placed after `OidcSocketMiddleware`: lets
 * through only users holding the "admin" role (the provisioner's role,
 * else the token's roles). Without an authentication middleware before it,
 * it refuses everyone.
 */
export class OidcSocketAdminMiddleware {
  static container: DependencyContainer = oidcContainer;

  handle(): (socket: Socket, next: SocketNext) => void {
    const logger = (this.constructor as typeof OidcSocketAdminMiddleware).container.resolve(TOKENS.Logger);
    return function oidcSocketAdminGuard(socket, next) {
      const auth = readAuth(socket);
      if (auth && holdsRole(auth, "admin")) {
        next();
        return;
      }
      const reason = auth ? 'user does not hold the "admin" role' : "no authentication middleware ran before OidcSocketAdminMiddleware";
      const refusal = new OidcError(ERR_FORBIDDEN, { message: 'The "admin" role is required', reason });
      if (auth) logRefusal(logger, refusal, { transport: "socket", sub: auth.context.sub });
      else logger.warn({ code: ERR_FORBIDDEN, reason, namespace: socket.nsp.name }, "authentication refused");
      next(toSocketError(refusal));
    };
  }
}

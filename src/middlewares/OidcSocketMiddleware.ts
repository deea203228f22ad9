import type { Socket } from "socket.io";
import type { DependencyContainer } from "tsyringe";
import { oidcContainer, scopeFor } from "../container.js";
import { ERR_AUTH_TOKEN_INVALID, toOidcError } from "../errors.js";
import { TOKENS, type AppHandle } from "../tokens.js";
import { attachAuth } from "../transport/authState.js";
import { handshakeCredential } from "../transport/credentials.js";
import { handshakeTarget } from "../transport/dpopTarget.js";
import { toSocketError } from "../transport/reportError.js";
import { LiveSocketSessions } from "../transport/socketSession.js";
import { enforceRevocations } from "../transport/revocationEnforcement.js";

export type SocketNext = (err?: Error) => void;

/**
 * IOServer service middleware: authenticates the Socket.IO handshake
 * (`auth: { token }`, a leading "Bearer " accepted, or a DPoP-bound
 * `auth: { token, dpop }`, else the `Authorization` header) and puts the context on the socket. A refusal
 * reaches the client as `connect_error` with `message` = the error code.
 *
 * Once connected, the socket is live (see `LiveSocketSessions`): it joins
 * its user's rooms, is disconnected when its token expires, and can
 * re-authenticate with `auth:refresh`, and is cut with `auth:revoked` as
 * soon as a revocation (`revoke()`, a back-channel logout) refuses its token.
 */
export class OidcSocketMiddleware {
  static container: DependencyContainer = oidcContainer;

  handle(appHandle?: AppHandle): (socket: Socket, next: SocketNext) => void {
    const scope = scopeFor((this.constructor as typeof OidcSocketMiddleware).container, appHandle);
    const pipeline = scope.resolve(TOKENS.AuthPipeline);
    const logger = scope.resolve(TOKENS.Logger);
    const clock = scope.resolve(TOKENS.Clock);
    const revocations = scope.resolve(TOKENS.RevocationStore);
    enforceRevocations(revocations, scope.resolve(TOKENS.SessionRevoker), clock, logger);
    const sessions = new LiveSocketSessions({
      pipeline,
      registrar: scope.resolve(TOKENS.SocketSessionRegistrar),
      config: scope.resolve(TOKENS.ConfigService),
      clock,
      logger,
      servers: scope.resolve(TOKENS.SocketServerRegistry),
      revocations,
    });
    return function oidcSocketAuthentication(socket, next) {
      pipeline
        .authenticateRequest(
          () => handshakeCredential(socket.handshake.auth, { headers: socket.handshake.headers, rawHeaders: socket.request?.rawHeaders }, () => handshakeTarget(socket)),
          "socket",
        )
        .then((result) => {
          attachAuth(socket, result);
          sessions.watch(socket.nsp);
        })
        .then(
          () => next(),
          (error: unknown) => next(toSocketError(toOidcError(error, ERR_AUTH_TOKEN_INVALID))),
        )
        .catch((error: unknown) => logger.error({ reason: (error as Error)?.message }, "Socket.IO next() threw"));
    };
  }
}

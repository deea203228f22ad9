import type { Logger } from "pino";
import type { Namespace, Socket } from "socket.io";
import type { DependencyContainer } from "tsyringe";
import { oidcContainer, scopeFor } from "../container.js";
import { ERR_AUTH_TOKEN_INVALID, OidcError, toOidcError } from "../errors.js";
import type { SocketSessionRegistrar } from "../services/SocketSessionRegistrar.js";
import { TOKENS, type AppHandle } from "../tokens.js";
import { attachAuth, readAuth } from "../transport/authState.js";
import { bearerToken } from "../transport/bearer.js";
import { toSocketError } from "../transport/reportError.js";

export type SocketNext = (err?: Error) => void;

/**
 * IOServer service middleware: authenticates the Socket.IO handshake
 * (`auth: { token }`, a leading "Bearer " accepted, else the
 * `Authorization` header) and puts the context on the socket. A refusal
 * reaches the client as `connect_error` with `message` = the error code.
 */
export class OidcSocketMiddleware {
  static container: DependencyContainer = oidcContainer;

  handle(appHandle?: AppHandle): (socket: Socket, next: SocketNext) => void {
    const scope = scopeFor((this.constructor as typeof OidcSocketMiddleware).container, appHandle);
    const pipeline = scope.resolve(TOKENS.AuthPipeline);
    const registrar = scope.resolve(TOKENS.SocketSessionRegistrar);
    const logger = scope.resolve(TOKENS.Logger);
    return function oidcSocketAuthentication(socket, next) {
      let token: string | undefined;
      try {
        token = handshakeToken(socket.handshake);
      } catch (error) {
        next(toSocketError(toOidcError(error, ERR_AUTH_TOKEN_INVALID)));
        return;
      }
      pipeline
        .authenticate(token, "socket")
        .then((result) => {
          attachAuth(socket, result);
          trackSessions(socket.nsp, registrar, logger);
        })
        .then(
          () => next(),
          (error: unknown) => next(toSocketError(toOidcError(error, ERR_AUTH_TOKEN_INVALID))),
        )
        .catch((error: unknown) => logger.error({ reason: (error as Error)?.message }, "Socket.IO next() threw"));
    };
  }
}

/** The handshake's token: `auth.token` first (with or without "Bearer "), else the Authorization header. */
function handshakeToken(handshake: Socket["handshake"]): string | undefined {
  const auth: unknown = handshake.auth;
  const fromAuth = auth !== null && typeof auth === "object" ? (auth as Record<string, unknown>).token : undefined;
  if (fromAuth === undefined || fromAuth === null) return bearerToken(handshake.headers.authorization);
  if (typeof fromAuth !== "string") throw new OidcError(ERR_AUTH_TOKEN_INVALID, { reason: "auth.token is not a string" });
  return /^bearer /i.test(fromAuth) ? bearerToken(fromAuth) : bearerToken(`Bearer ${fromAuth}`);
}

const SESSIONS_TRACKED = Symbol("ioserver-oidc.sessionsTracked");

/**
 * Registers authenticated sockets once they are connected, i.e. after every
 * middleware of the namespace accepted them: a socket a later guard refuses
 * is never registered. Installed once per namespace.
 */
function trackSessions(nsp: Namespace, registrar: SocketSessionRegistrar, logger: Logger): void {
  const marked = nsp as Namespace & { [SESSIONS_TRACKED]?: true };
  if (marked[SESSIONS_TRACKED]) return;
  marked[SESSIONS_TRACKED] = true;
  const settle = (work: () => void | Promise<void>, action: string): Promise<void> =>
    Promise.resolve()
      .then(work)
      .catch((error: unknown) => logger.warn({ reason: (error as Error)?.message ?? String(error), namespace: nsp.name }, `socket ${action} failed`));
  nsp.on("connection", (socket: Socket) => {
    const auth = readAuth(socket);
    if (!auth) return;
    const { userId, sub } = auth.context;
    const registered = settle(() => registrar.register(userId, socket.id, sub), "registration");
    // A socket that leaves while a slow registration is still running is unregistered after it, never before.
    socket.once("disconnect", () => void registered.then(() => settle(() => registrar.unregister(userId, socket.id), "unregistration")));
  });
}

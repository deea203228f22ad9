import type { FastifyRequest } from "fastify";
import type { Socket } from "socket.io";
import { ERR_AUTH_MISCONFIGURED, OidcError } from "./errors.js";
import { copyContext, readAuth } from "./transport/authState.js";
import type { AuthenticatedUserContext, OidcUserContext } from "./types.js";

/**
 * The fields the authentication middlewares put on the Fastify request and
 * the Socket.IO socket. Optional on purpose: they are only there after
 * `OidcHttpMiddleware`/`OidcSocketMiddleware` accepted the caller, and the
 * types cannot know which routes or namespaces are protected. Read them
 * through {@link getAuth} to get them non-optional, with a clear error where
 * no middleware ran.
 */
declare module "fastify" {
  // Declaration merging needs an interface; the fields and their docs are OidcUserContext's.
  // eslint-disable-next-line @typescript-eslint/no-empty-object-type
  interface FastifyRequest extends Partial<OidcUserContext> {}
}

declare module "socket.io" {
  // eslint-disable-next-line @typescript-eslint/no-empty-object-type
  interface Socket extends Partial<OidcUserContext> {}
}

/**
 * The authenticated caller of a request or socket, fully typed.
 *
 * Reads what the authentication middleware recorded under a private
 * symbol, not the public fields, so nothing a handler or a client wrote on
 * the request can pass for an identity. Throws an `OidcError` with code
 * `ERR_AUTH_MISCONFIGURED` (status 500) where no ioserver-oidc
 * authentication middleware accepted the caller: that is a wiring mistake
 * of the server (a route or namespace left without the middleware), never
 * a reason to run the handler anonymously.
 *
 * @example
 * ```ts
 * async getProfile(request: FastifyRequest, reply: FastifyReply) {
 *   const { userId, roles } = getAuth(request);
 *   return reply.send({ userId, roles });
 * }
 * ```
 */
export function getAuth(target: FastifyRequest | Socket): AuthenticatedUserContext {
  const auth = readAuth(target);
  if (auth === undefined) {
    throw new OidcError(ERR_AUTH_MISCONFIGURED, {
      message:
        "getAuth(): no ioserver-oidc authentication ran for this request/socket; " +
        "add OidcHttpMiddleware (controllers) or OidcSocketMiddleware (services) to its middlewares",
      reason: "getAuth() called where no authentication middleware ran",
    });
  }
  return copyContext(auth.context);
}

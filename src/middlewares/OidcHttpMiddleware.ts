import type { FastifyReply, FastifyRequest } from "fastify";
import type { DependencyContainer } from "tsyringe";
import { oidcContainer, scopeFor } from "../container.js";
import { ERR_AUTH_TOKEN_INVALID, toOidcError } from "../errors.js";
import { TOKENS, type AppHandle } from "../tokens.js";
import { attachAuth } from "../transport/authState.js";
import { httpCredential } from "../transport/credentials.js";
import { httpTarget } from "../transport/dpopTarget.js";
import { sendDpopNonce, sendHttpError } from "../transport/reportError.js";

/**
 * IOServer controller middleware: authenticates `Authorization: Bearer`
 * requests (and `Authorization: DPoP` ones with their `DPoP` proof) and puts
 * `sub, userId, userRole, roles, permissions, features, email, name` (and
 * `org_id` when the token has it)
 * on the request. A refused request never reaches the route handler.
 *
 * @example
 * ```ts
 * server.addController({ name: "profile", controller: ProfileController,
 *   middlewares: [OidcHttpMiddleware], prefix: "/profile" });
 * ```
 */
export class OidcHttpMiddleware {
  /** The container collaborators are resolved from; `bindOidcMiddlewares` makes subclasses with another. */
  static container: DependencyContainer = oidcContainer;

  handle(appHandle?: AppHandle): (request: FastifyRequest, reply: FastifyReply) => Promise<FastifyReply | undefined> {
    const pipeline = scopeFor((this.constructor as typeof OidcHttpMiddleware).container, appHandle).resolve(TOKENS.AuthPipeline);
    return async function oidcHttpAuthentication(request, reply) {
      try {
        const result = await pipeline.authenticateRequest(() => httpCredential({ headers: request.headers, rawHeaders: request.raw?.rawHeaders }, () => httpTarget(request)), "http");
        attachAuth(request, result);
        sendDpopNonce(reply, result.dpopNonce);
        return undefined;
      } catch (error) {
        return sendHttpError(reply, toOidcError(error, ERR_AUTH_TOKEN_INVALID));
      }
    };
  }
}

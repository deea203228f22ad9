import type { FastifyReply, FastifyRequest } from "fastify";
import type { Logger } from "pino";
import type { Socket } from "socket.io";
import type { DependencyContainer } from "tsyringe";
import { oidcContainer, scopeFor } from "../container.js";
import { ERR_FORBIDDEN, OidcError } from "../errors.js";
import type { AccessRequirement } from "../services/AccessRequirement.js";
import { logRefusal, offeredUnder } from "../services/AuthPipeline.js";
import { publishRefused } from "../services/diagnostics.js";
import { TOKENS, type AppHandle } from "../tokens.js";
import { readAuth, recordAdmission } from "../transport/authState.js";
import { sendHttpError, toSocketError } from "../transport/reportError.js";
import type { SocketNext } from "./OidcSocketMiddleware.js";

/** Used when a guard class was made without a requirement: nobody passes. */
const NOBODY: AccessRequirement = Object.freeze({
  description: "a requirement (guard class made without one)",
  unmet: () => "You are not allowed to access this resource",
});

/**
 * Why `auth` may not pass `requirement`, as the `ERR_FORBIDDEN` to send, or
 * `undefined` when it may. Without an authentication middleware before the
 * guard there is no `auth`: the guard refuses and logs the misconfiguration.
 * `atWill`: the caller can repeat the refused act at will (a per-event
 * check), so the refusal is logged at debug (see `logRefusal`).
 */
export function refusalFor(
  requirement: AccessRequirement,
  auth: ReturnType<typeof readAuth>,
  logger: Logger,
  where: { readonly transport: string } & Record<string, unknown>,
  atWill = false,
): OidcError | undefined {
  if (!auth) {
    const reason = "no authentication middleware ran before this guard: put OidcHttpMiddleware/OidcSocketMiddleware first";
    logger.warn({ ...where, code: ERR_FORBIDDEN, required: requirement.description, reason }, "authorization refused");
    const refusal = new OidcError(ERR_FORBIDDEN, { reason });
    publishRefused(where.transport, refusal);
    return refusal;
  }
  const unmet = requirement.unmet(auth);
  if (unmet === undefined) return undefined;
  // The error goes on the challenge of the scheme the client authenticated with (RFC 9449 §7.1).
  const refusal = new OidcError(ERR_FORBIDDEN, { message: unmet, reason: `requires ${requirement.description}`, scope: requirement.scope, scheme: auth.scheme });
  logRefusal(logger, refusal, { ...where, sub: auth.context.sub }, atWill);
  publishRefused(where.transport, refusal);
  return refusal;
}

/**
 * IOServer controller middleware made by `requireRoles(...).http`,
 * `requirePermissions(...).http` or `requireScopes(...).http`; place it
 * after `OidcHttpMiddleware`. Refuses with 403 `ERR_FORBIDDEN` and
 * `WWW-Authenticate: Bearer … error="insufficient_scope"` (RFC 6750 §3.1),
 * with `scope="<the required scopes>"` for a scope guard; a request that
 * authenticated with DPoP gets the error on the `DPoP` challenge instead
 * (RFC 9449 §7.1).
 */
export class OidcHttpGuard {
  static container: DependencyContainer = oidcContainer;
  static requirement: AccessRequirement = NOBODY;

  handle(appHandle?: AppHandle): (request: FastifyRequest, reply: FastifyReply) => Promise<FastifyReply | undefined> {
    const { container, requirement } = this.constructor as typeof OidcHttpGuard;
    const logger = container.resolve(TOKENS.Logger);
    // The settings the authentication middleware of this app reads (a host's own appHandle.oidcConfig included).
    const config = scopeFor(container, appHandle).resolve(TOKENS.ConfigService);
    return async function oidcHttpGuard(request, reply) {
      // The route pattern, never request.url: its query string may carry a token (?access_token=…) or other secrets.
      const refusal = refusalFor(requirement, readAuth(request), logger, { transport: "http", route: request.routeOptions.url });
      if (refusal === undefined) return undefined;
      // To a DPoP client, the challenge offers what the authentication middleware accepts, as its own 401s do (DPoP with its algs).
      return sendHttpError(reply, refusal.scheme === "DPoP" ? refusal.offer(offeredUnder(config)) : refusal);
    };
  }
}

/**
 * IOServer service middleware made by `requireRoles(...).socket` /
 * `requirePermissions(...).socket`; place it after `OidcSocketMiddleware`.
 * A refused handshake gets `connect_error` `ERR_FORBIDDEN`. An admitted
 * socket must keep meeting the requirement when it re-authenticates.
 */
export class OidcSocketGuard {
  static container: DependencyContainer = oidcContainer;
  static requirement: AccessRequirement = NOBODY;

  handle(): (socket: Socket, next: SocketNext) => void {
    const { container, requirement } = this.constructor as typeof OidcSocketGuard;
    const logger = container.resolve(TOKENS.Logger);
    return function oidcSocketGuard(socket, next) {
      const refusal = refusalFor(requirement, readAuth(socket), logger, { transport: "socket", namespace: socket.nsp.name });
      if (refusal) {
        next(toSocketError(refusal));
        return;
      }
      recordAdmission(socket, requirement);
      next();
    };
  }
}

/** A requirement and the IOServer middleware classes that enforce it on each transport. */
export interface OidcGuard {
  readonly requirement: AccessRequirement;
  /** For `addController({ middlewares: [OidcHttpMiddleware, guard.http] })`. */
  readonly http: typeof OidcHttpGuard;
  /** For `addService({ middlewares: [OidcSocketMiddleware, guard.socket] })`. */
  readonly socket: typeof OidcSocketGuard;
}

/** Makes the guard classes for `requirement`, resolving their logger from `container`. */
export function guardFor(requirement: AccessRequirement, container: DependencyContainer): OidcGuard {
  return Object.freeze({
    requirement,
    http: class extends OidcHttpGuard {
      static override container = container;
      static override requirement = requirement;
    },
    socket: class extends OidcSocketGuard {
      static override container = container;
      static override requirement = requirement;
    },
  });
}

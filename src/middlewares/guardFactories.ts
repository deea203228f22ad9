import type { DependencyContainer } from "tsyringe";
import { oidcContainer } from "../container.js";
import { permissionRequirement, roleRequirement, scopeRequirement, type PermissionMode } from "../services/AccessRequirement.js";
import { eventGuardFor, type EventRequirements, type OidcSocketEventGuard } from "./eventGuard.js";
import { guardFor, type OidcGuard } from "./guards.js";

export interface PermissionOptions {
  /** `"all"` (default): every listed permission; `"any"`: at least one. */
  mode?: PermissionMode;
}

/** The guard factories, making guard classes whose logger comes from one container. */
export interface OidcGuardFactories {
  /** Guards letting through users holding at least one of `roles` (see the exported `requireRoles`). */
  requireRoles(...roles: string[]): OidcGuard;
  /** Guards checking the token's `permissions` claim (see the exported `requirePermissions`). */
  requirePermissions(permissions: string | string[], options?: PermissionOptions): OidcGuard;
  /** Guards checking the token's scopes, `scope` or `scp` (see the exported `requireScopes`). */
  requireScopes(scopes: string | string[], options?: PermissionOptions): OidcGuard;
  /** Per-event authorization on a socket namespace (see the exported `requireEventPermissions`). */
  requireEventPermissions(map: EventRequirements): typeof OidcSocketEventGuard;
}

/**
 * The guard factories bound to `container`: the exported ones use
 * `oidcContainer`, `bindOidcMiddlewares(container)` hands out these.
 */
export function guardFactories(container: DependencyContainer): OidcGuardFactories {
  return {
    requireRoles: (...roles) => guardFor(roleRequirement(roles), container),
    requirePermissions: (permissions, options = {}) => guardFor(permissionRequirement(permissions, options.mode), container),
    requireScopes: (scopes, options = {}) => guardFor(scopeRequirement(scopes, options.mode), container),
    requireEventPermissions: (map) => eventGuardFor(map, container),
  };
}

const onDefaultContainer = guardFactories(oidcContainer);

/**
 * Guards letting through users holding at least one of `roles`: by
 * default in the token's `roles` claim (with `AUTH_SERVICE_ROLE_SOURCE=local-first`,
 * the provisioner's role when it gave one). Chain two guards to require two roles.
 *
 * @example
 * ```ts
 * server.addController({ name: "reports", controller: ReportsController,
 *   middlewares: [OidcHttpMiddleware, requireRoles("admin", "auditor").http] });
 * server.addService({ name: "moderation", service: ModerationService,
 *   middlewares: [OidcSocketMiddleware, requireRoles("moderator").socket] });
 * ```
 */
export const requireRoles: OidcGuardFactories["requireRoles"] = onDefaultContainer.requireRoles;

/**
 * Guards checking the token's `permissions` claim.
 *
 * @example
 * ```ts
 * middlewares: [OidcHttpMiddleware, requirePermissions(["reports:read", "reports:export"]).http]
 * middlewares: [OidcSocketMiddleware, requirePermissions(["chat:read", "chat:admin"], { mode: "any" }).socket]
 * ```
 */
export const requirePermissions: OidcGuardFactories["requirePermissions"] = onDefaultContainer.requirePermissions;

/**
 * Guards checking the OAuth scopes the token grants (its `scope` string or
 * `scp` array/string; see docs/scopes.md): all of them by default, or one
 * of them with `{ mode: "any" }`. An HTTP refusal is 403 `ERR_FORBIDDEN`
 * with `WWW-Authenticate: Bearer error="insufficient_scope", scope="…"`
 * (RFC 6750 §3.1); a socket gets `ERR_FORBIDDEN` naming the missing scopes.
 * For one event, put the guard in `requireEventPermissions`.
 *
 * @example
 * ```ts
 * middlewares: [OidcHttpMiddleware, requireScopes("notes:read").http]
 * middlewares: [OidcSocketMiddleware, requireScopes(["chat:read", "chat:admin"], { mode: "any" }).socket]
 * requireEventPermissions({ deleteNote: requireScopes("notes:write") })
 * ```
 */
export const requireScopes: OidcGuardFactories["requireScopes"] = onDefaultContainer.requireScopes;

/**
 * Per-event authorization on a socket namespace.
 *
 * @example
 * ```ts
 * server.addService({ name: "users", service: UserService, middlewares: [
 *   OidcSocketMiddleware,
 *   requireEventPermissions({ deleteUser: ["users:delete"], banUser: requireRoles("moderator", "admin") }),
 * ] });
 * // client: socket.emit("deleteUser", { id }, (answer) => answer.ok === false && answer.code === "ERR_FORBIDDEN")
 * ```
 */
export const requireEventPermissions: OidcGuardFactories["requireEventPermissions"] = onDefaultContainer.requireEventPermissions;

import type { DependencyContainer } from "tsyringe";
import { oidcContainer } from "../container.js";
import { permissionRequirement, roleRequirement, type PermissionMode } from "../services/AccessRequirement.js";
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

import { requireRoles } from "./guardFactories.js";
import type { OidcSocketGuard } from "./guards.js";

/**
 * IOServer service middleware placed after `OidcSocketMiddleware`: lets
 * through only users holding the "admin" role: by default the token's
 * `roles` claim, as in 0.1.x (see `holdsRole` and `AUTH_SERVICE_ROLE_SOURCE`). Without an authentication middleware before it,
 * it refuses everyone. The same as `requireRoles("admin").socket`.
 */
export const OidcSocketAdminMiddleware = requireRoles("admin").socket;
/** Instances of the class (kept so the name still works as a type). */
export type OidcSocketAdminMiddleware = OidcSocketGuard;

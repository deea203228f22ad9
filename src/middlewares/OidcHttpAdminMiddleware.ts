import { requireRoles } from "./guardFactories.js";
import type { OidcHttpGuard } from "./guards.js";

/**
 * IOServer controller middleware placed after `OidcHttpMiddleware`: lets
 * through only users holding the "admin" role (by default the token's
 * `roles` claim; see `holdsRole` and `AUTH_SERVICE_ROLE_SOURCE`), else 403 `ERR_FORBIDDEN`. Without an
 * authentication middleware before it, it refuses everyone. The same as
 * `requireRoles("admin").http`.
 */
export const OidcHttpAdminMiddleware = requireRoles("admin").http;
/** Instances of the class (kept so the name still works as a type). */
export type OidcHttpAdminMiddleware = OidcHttpGuard;

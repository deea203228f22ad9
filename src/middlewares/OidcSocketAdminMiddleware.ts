import { requireRoles } from "./guardFactories.js";
import type { OidcSocketGuard } from "./guards.js";

/**
 * IOServer service middleware placed after `OidcSocketMiddleware`: lets
 * through only users holding the "admin" role (the provisioner's role,
 * else the token's roles). Without an authentication middleware before it,
 * it refuses everyone. The same as `requireRoles("admin").socket`.
 */
export const OidcSocketAdminMiddleware = requireRoles("admin").socket;
/** Instances of the class (kept so the name still works as a type). */
export type OidcSocketAdminMiddleware = OidcSocketGuard;

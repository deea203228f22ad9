import type { AuthenticatedUserContext, LocalUser, OidcFeatures, UserProfile, VerifiedClaims } from "../../types.js";
import { scopesFromClaims } from "./scopes.js";

/** Keys that must never be copied from a token into an object (prototype pollution). */
const FORBIDDEN_KEYS = new Set(["__proto__", "constructor", "prototype"]);

/** String elements only; an empty string names no role or permission. */
function stringArray(value: unknown): string[] {
  const strings: string[] = [];
  if (!Array.isArray(value)) return strings;
  // An index loop: Array.prototype.filter takes a slow path on frozen arrays, and verified claims are frozen.
  for (let i = 0; i < value.length; i++) {
    const item: unknown = value[i];
    if (typeof item === "string" && item !== "") strings.push(item);
  }
  return strings;
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  if (value === null || typeof value !== "object" || Array.isArray(value)) return false;
  const proto: unknown = Object.getPrototypeOf(value);
  return proto === Object.prototype || proto === null;
}

/**
 * A deep copy of JSON data: arrays and plain objects at any depth are
 * copied, prototype-polluting keys dropped wherever they appear.
 */
export function safeCopy(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(safeCopy);
  if (!isPlainObject(value)) return value;
  const copy: OidcFeatures = {};
  for (const [key, inner] of Object.entries(value)) {
    if (!FORBIDDEN_KEYS.has(key)) copy[key] = safeCopy(inner);
  }
  return copy;
}

/** What the provisioner learns from the claims. */
export function profileFromClaims(claims: VerifiedClaims): UserProfile {
  return {
    email: typeof claims.email === "string" ? claims.email : null,
    name: typeof claims.name === "string" ? claims.name : null,
    iss: claims.iss,
  };
}

/** The role the provisioner gave the user, if a non-empty one: the context's `userRole` (see `holdsRole` for role checks). */
export function localRoleOf(user: LocalUser | null | undefined): string | undefined {
  return typeof user?.role === "string" && user.role !== "" ? user.role : undefined;
}

type ClaimedAccess = Pick<AuthenticatedUserContext, "roles" | "permissions" | "scopes" | "features">;

function claimedAccess(claims: VerifiedClaims): ClaimedAccess {
  return {
    roles: stringArray(claims.roles),
    permissions: stringArray(claims.permissions),
    scopes: scopesFromClaims(claims),
    features: isPlainObject(claims.features) ? (safeCopy(claims.features) as OidcFeatures) : {},
  };
}

function contextOf(claims: VerifiedClaims, user: LocalUser | null | undefined, access: ClaimedAccess): AuthenticatedUserContext {
  const context: AuthenticatedUserContext = {
    sub: claims.sub,
    iss: claims.iss,
    userId: user?.id !== undefined && user.id !== null && user.id !== "" ? String(user.id) : claims.sub,
    userRole: localRoleOf(user) ?? access.roles[0] ?? "user",
    roles: access.roles,
    permissions: access.permissions,
    scopes: access.scopes,
    features: access.features,
    email: typeof claims.email === "string" ? claims.email : null,
    name: typeof claims.name === "string" ? claims.name : null,
  };
  // As in 0.1.x: the field exists only when the token has the claim.
  if (typeof claims.org_id === "string") context.org_id = claims.org_id;
  return context;
}

/**
 * Builds the context put on the request/socket. Claims of the wrong shape
 * degrade to empty values instead of failing. The caller owns the result.
 */
export function buildUserContext(claims: VerifiedClaims, user: LocalUser | null | undefined): AuthenticatedUserContext {
  return contextOf(claims, user, claimedAccess(claims));
}

/**
 * The roles, permissions and features of frozen (verified, possibly cached)
 * claims, worked out once per claims object and frozen: a token served from
 * the cache does not copy them again on every request.
 */
const frozenAccess = new WeakMap<VerifiedClaims, ClaimedAccess>();

/**
 * The same context as `buildUserContext`, for the pipeline's recorded
 * identity, which nobody may change: its arrays and features are frozen,
 * and shared between the requests presenting the same frozen claims. The
 * transports hand out copies of it (see `copyContext`).
 */
export function recordedUserContext(claims: VerifiedClaims, user: LocalUser | null | undefined): AuthenticatedUserContext {
  if (!Object.isFrozen(claims)) return contextOf(claims, user, deepFreeze(claimedAccess(claims)));
  let access = frozenAccess.get(claims);
  if (access === undefined) frozenAccess.set(claims, (access = deepFreeze(claimedAccess(claims))));
  return contextOf(claims, user, access);
}

function deepFreeze<T>(value: T): T {
  if (value !== null && typeof value === "object" && !Object.isFrozen(value)) {
    Object.freeze(value);
    for (const inner of Object.values(value)) deepFreeze(inner);
  }
  return value;
}

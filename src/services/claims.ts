import type { LocalUser, OidcFeatures, OidcUserContext, UserProfile, VerifiedClaims } from "../types.js";

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

/** A deep copy of a plain JSON object without prototype-polluting keys. */
function safeCopy(value: Record<string, unknown>): OidcFeatures {
  const copy: OidcFeatures = {};
  for (const [key, inner] of Object.entries(value)) {
    if (FORBIDDEN_KEYS.has(key)) continue;
    copy[key] = isPlainObject(inner) ? safeCopy(inner) : Array.isArray(inner) ? inner.map((v) => (isPlainObject(v) ? safeCopy(v) : v)) : inner;
  }
  return copy;
}

/** What the provisioner learns from the claims. */
export function profileFromClaims(claims: VerifiedClaims): UserProfile {
  const profile: UserProfile = { iss: claims.iss };
  if (typeof claims.email === "string") profile.email = claims.email;
  if (typeof claims.name === "string") profile.name = claims.name;
  return profile;
}

/**
 * Builds the context put on the request/socket. Claims of the wrong shape
 * degrade to empty values instead of failing.
 */
export function buildUserContext(claims: VerifiedClaims, user: LocalUser | null | undefined): OidcUserContext {
  const roles = stringArray(claims.roles);
  const localRole = typeof user?.role === "string" && user.role !== "" ? user.role : undefined;
  return {
    sub: claims.sub,
    userId: user?.id !== undefined && user.id !== null && user.id !== "" ? String(user.id) : claims.sub,
    userRole: localRole ?? roles[0] ?? "user",
    roles,
    permissions: stringArray(claims.permissions),
    features: isPlainObject(claims.features) ? safeCopy(claims.features) : {},
  };
}

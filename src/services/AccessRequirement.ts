import type { AuthResult } from "./AuthPipeline.js";

/** How a list of permissions is matched: the user needs every one, or at least one. */
export type PermissionMode = "all" | "any";

/**
 * What a guard demands of an authenticated user. Knows nothing of the
 * transport: the HTTP guard, the socket guard and the per-event check all
 * ask the same question.
 */
export interface AccessRequirement {
  /** What is required, for logs (e.g. `role "admin"`). */
  readonly description: string;
  /** `undefined` when `auth` meets the requirement, else a client-safe sentence naming what is missing. */
  unmet(auth: AuthResult): string | undefined;
  /** For scope requirements: the `scope` attribute of the 403 challenge (RFC 6750 §3), the required scopes space-delimited. */
  readonly scope?: string;
}

/**
 * Whether the authenticated user holds a role: the one rule of every role
 * check. By default (`AUTH_SERVICE_ROLE_SOURCE=token`, 0.1.x's rule) the
 * token's `roles` claim decides, whatever the provisioner's role; with
 * `local-first` the provisioner's role, when it gave one, decides alone
 * and the token's `roles` count only for users without one.
 */
export function holdsRole(auth: AuthResult, role: string): boolean {
  if (auth.roleSource === "local-first" && auth.localRole !== undefined) return auth.localRole === role;
  return auth.context.roles.includes(role);
}

const quoted = (values: readonly string[]): string => values.map((v) => `"${v}"`).join(", ");

function checkNames(values: readonly unknown[], what: string): readonly string[] {
  if (!Array.isArray(values) || values.length === 0) throw new TypeError(`${what} must list at least one name`);
  for (const value of values) {
    if (typeof value !== "string" || value === "") throw new TypeError(`${what} must be non-empty strings (got ${JSON.stringify(value)})`);
  }
  return Object.freeze([...values] as string[]);
}

/** The user holds at least one of `roles` (see `holdsRole` for which roles count). */
export function roleRequirement(roles: readonly string[]): AccessRequirement {
  const names = checkNames(roles, "roles");
  const sentence = names.length === 1 ? `The role ${quoted(names)} is required` : `One of the roles ${quoted(names)} is required`;
  return Object.freeze({
    description: names.length === 1 ? `role ${quoted(names)}` : `one of the roles ${quoted(names)}`,
    unmet: (auth: AuthResult) => (names.some((role) => holdsRole(auth, role)) ? undefined : sentence),
  });
}

/** The token's `permissions` claim holds all of `permissions` (mode "all") or one of them (mode "any"). */
export function permissionRequirement(permissions: string | readonly string[], mode: PermissionMode = "all"): AccessRequirement {
  const names = checkNames(typeof permissions === "string" ? [permissions] : permissions, "permissions");
  if (mode !== "all" && mode !== "any") throw new TypeError(`mode must be "all" or "any" (got ${JSON.stringify(mode)})`);
  if (mode === "any") {
    return Object.freeze({
      description: `one of the permissions ${quoted(names)}`,
      unmet: (auth: AuthResult) =>
        names.some((p) => auth.context.permissions.includes(p)) ? undefined : `One of the permissions ${quoted(names)} is required`,
    });
  }
  return Object.freeze({
    description: `the permissions ${quoted(names)}`,
    unmet: (auth: AuthResult) => {
      // Checked on every event by requireEventPermissions: no array is built unless something is missing.
      if (names.every((p) => auth.context.permissions.includes(p))) return undefined;
      const missing = names.filter((p) => !auth.context.permissions.includes(p));
      return missing.length === 0 ? undefined : `Missing ${missing.length === 1 ? "permission" : "permissions"}: ${quoted(missing)}`;
    },
  });
}

/** RFC 6749 §3.3 scope-token characters (NQCHAR): they also fit the challenge's quoted `scope` attribute as they are. */
const SCOPE_TOKEN = /^[\x21\x23-\x5B\x5D-\x7E]+$/;

/**
 * The token grants all of `scopes` (mode "all") or one of them (mode "any"),
 * read from its `scope` or `scp` claim (see `scopesFromClaims`). A refusal
 * names what is missing and carries the required scopes for the
 * `WWW-Authenticate` challenge.
 */
export function scopeRequirement(scopes: string | readonly string[], mode: PermissionMode = "all"): AccessRequirement {
  const names = checkNames(typeof scopes === "string" ? [scopes] : scopes, "scopes");
  for (const name of names) if (!SCOPE_TOKEN.test(name)) throw new TypeError(`scopes must be RFC 6749 scope tokens: no spaces, quotes or backslashes (got ${JSON.stringify(name)})`);
  if (mode !== "all" && mode !== "any") throw new TypeError(`mode must be "all" or "any" (got ${JSON.stringify(mode)})`);
  const scope = names.join(" ");
  if (mode === "any") {
    return Object.freeze({
      description: `one of the scopes ${quoted(names)}`,
      scope,
      unmet: (auth: AuthResult) => (names.some((s) => auth.context.scopes.includes(s)) ? undefined : `One of the scopes ${quoted(names)} is required`),
    });
  }
  return Object.freeze({
    description: `the scopes ${quoted(names)}`,
    scope,
    unmet: (auth: AuthResult) => {
      const missing = names.filter((s) => !auth.context.scopes.includes(s));
      return missing.length === 0 ? undefined : `Missing ${missing.length === 1 ? "scope" : "scopes"}: ${quoted(missing)}`;
    },
  });
}

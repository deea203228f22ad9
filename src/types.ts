/** Free-form feature flags carried in the token's `features` claim (a plain object). */
export type OidcFeatures = Record<string, unknown>;

/**
 * The caller's identity, put on the Fastify request and the Socket.IO socket
 * after a successful authentication.
 */
export interface OidcUserContext {
  /** The token's `sub`. */
  sub: string;
  /**
   * The token's `iss`: which trusted issuer vouched for `sub` (a subject is
   * only unique per issuer). Always set by the package; optional in this
   * type only so that 0.1.x code building an `OidcUserContext` still
   * compiles (`getAuth()` returns it non-optional).
   */
  iss?: string;
  /** The local user id from the provisioner, else `sub`. */
  userId: string;
  /** The local role from the provisioner, else `roles[0]`, else `"user"`. */
  userRole: string;
  /** The token's `roles` claim, string elements only. */
  roles: string[];
  /** The token's `permissions` claim, string elements only. */
  permissions: string[];
  /**
   * The scopes the token grants (`scope` string, or `scp` array/string); see
   * docs/scopes.md. Always set by the package, optional in this type as `iss` is.
   */
  scopes?: string[];
  /** The token's `features` claim when it is a plain object, else `{}`. */
  features: OidcFeatures;
  /** The token's `email` claim when it is a string, else `null`. */
  email: string | null;
  /** The token's `name` claim when it is a string, else `null`. */
  name: string | null;
  /** The token's `org_id` claim (the active organization), present only when the token carries it as a string. */
  org_id?: string;
}

/** The context as the package builds it: `iss` and `scopes` always there (what `getAuth()` and `verifyOidcToken` return). */
export interface AuthenticatedUserContext extends OidcUserContext {
  iss: string;
  scopes: string[];
}

/** What a provisioner learns about the subject from the token. The package always sets `email` and `name`: `null` where the token has no such string claim, as 0.1.x did. */
export interface UserProfile {
  email?: string | null;
  name?: string | null;
  /** The issuer that vouched for `sub` (a subject is only unique per issuer). */
  iss: string;
}

/** The local user record a provisioner returns. */
export interface LocalUser {
  id: string | number;
  role?: string;
  isDisabled?: boolean;
}

/** Claims of a verified token, as the verifier returns them. */
export interface VerifiedClaims {
  readonly sub: string;
  readonly iss: string;
  readonly exp: number;
  readonly [claim: string]: unknown;
}

/** Free-form feature flags carried in the token's `features` claim (a plain object). */
export type OidcFeatures = Record<string, unknown>;

/**
 * The caller's identity, put on the Fastify request and the Socket.IO socket
 * after a successful authentication.
 */
export interface OidcUserContext {
  /** The token's `sub`. */
  sub: string;
  /** The token's `iss`: which trusted issuer vouched for `sub` (a subject is only unique per issuer). */
  iss: string;
  /** The local user id from the provisioner, else `sub`. */
  userId: string;
  /** The local role from the provisioner, else `roles[0]`, else `"user"`. */
  userRole: string;
  /** The token's `roles` claim, string elements only. */
  roles: string[];
  /** The token's `permissions` claim, string elements only. */
  permissions: string[];
  /** The scopes the token grants (`scope` string, or `scp` array/string); see docs/scopes.md. */
  scopes: string[];
  /** The token's `features` claim when it is a plain object, else `{}`. */
  features: OidcFeatures;
}

/** What a provisioner learns about the subject from the token. */
export interface UserProfile {
  email?: string;
  name?: string;
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

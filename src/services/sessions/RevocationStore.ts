/**
 * What a revocation names. Every entry is scoped to one issuer (`iss`): a
 * subject, session or token id is only unique per issuer.
 *
 * - `jti`: one token.
 * - `sid`: every token of one session.
 * - `sub` + `before`: every token of the subject issued (`iat`) before
 *   `before` (epoch seconds); a token issued later is accepted again, so
 *   signing in again works.
 *
 * `expiresAt` (epoch ms) is when the entry can be forgotten: once no token
 * it could match can still be valid.
 */
export type Revocation =
  | { readonly kind: "jti"; readonly iss: string; readonly jti: string; readonly expiresAt: number }
  | { readonly kind: "sid"; readonly iss: string; readonly sid: string; readonly expiresAt: number }
  | { readonly kind: "sub"; readonly iss: string; readonly sub: string; readonly before: number; readonly expiresAt: number };

/** The claims a revocation check reads from a verified token. */
export interface RevocableClaims {
  readonly iss: string;
  readonly sub: string;
  readonly jti?: unknown;
  readonly sid?: unknown;
  readonly iat?: unknown;
}

/**
 * Where revocations and single-use ids live (`TOKENS.RevocationStore`). The
 * default keeps them in this process; the Redis store (`ioserver-oidc/redis`)
 * shares them between nodes and keeps a local mirror, so `isRevoked` never
 * waits on the network.
 */
export interface RevocationStore {
  /** Records a revocation; resolves once every node sharing the store will see it. */
  add(revocation: Revocation): Promise<void>;
  /**
   * In-process check on the hot path (every request, cache hits too). Throws
   * an `OidcError` `ERR_AUTH_UNAVAILABLE` when the store cannot vouch for its
   * state and its policy says to refuse.
   */
  isRevoked(claims: RevocableClaims, nowMs: number): boolean;
  /** Calls `listener` for every revocation added on any node; returns the unsubscribe function. */
  onRevoked(listener: (revocation: Revocation) => void): () => void;
  /**
   * Marks a single-use id (a DPoP proof's or a logout token's `jti`) as seen
   * until `expiresAt` (epoch ms). Resolves `true` the first time, `false` for
   * a replay. `scope` separates kinds of ids ("dpop", "logout").
   */
  claimOnce(scope: string, id: string, expiresAt: number): Promise<boolean>;
}

/**
 * The refusal of a revoked token (`ERR_AUTH_TOKEN_INVALID` with these
 * options): RFC 6750's `invalid_token` covers "expired, revoked, malformed,
 * or invalid for other reasons", and the description says which, so a
 * client knows that refreshing the same session will not help. Here, with
 * no import, so the diagnostics can name it without loading the pipeline.
 */
export const REVOKED = Object.freeze({ message: "The access token has been revoked", reason: "token revoked (jti, sid or subject)" });

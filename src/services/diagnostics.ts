import { channel } from "node:diagnostics_channel";
import { performance } from "node:perf_hooks";
import { errors as joseErrors } from "jose";
import {
  ERR_AUTH_MISCONFIGURED,
  ERR_AUTH_TOKEN_INVALID,
  ERR_AUTH_TOKEN_REQUIRED,
  ERR_AUTH_UNAVAILABLE,
  ERR_FORBIDDEN,
  ERR_USER_DISABLED,
  ERR_USER_PROVISION_FAILED,
  type OidcError,
  type OidcErrorCode,
} from "../errors.js";
import type { VerifiedClaims } from "../types.js";
import { REVOKED, type Revocation } from "./sessions/RevocationStore.js";

/**
 * The names of the package's `node:diagnostics_channel` channels. Subscribe
 * with `diagnostics_channel.subscribe(OIDC_CHANNELS.refused, onMessage)`;
 * `ioserver-oidc/opentelemetry` turns them into OpenTelemetry metrics.
 * Nothing is built or published while a channel has no subscriber.
 * Messages never carry a token or key material. See docs/metrics.md.
 */
export const OIDC_CHANNELS = Object.freeze({
  /** {@link AuthenticatedMessage}: a request or socket was authenticated (handshake or `auth:refresh`). */
  authenticated: "ioserver-oidc:auth:authenticated",
  /** {@link RefusedMessage}: a request, handshake, event or `auth:refresh` was refused. */
  refused: "ioserver-oidc:auth:refused",
  /** {@link JwksFetchMessage}: one HTTP fetch of a JWKS ended. */
  jwksFetch: "ioserver-oidc:jwks:fetch",
  /** {@link TokenCacheMessage}: the verifier looked a token up in its verified-token cache. */
  tokenCache: "ioserver-oidc:token-cache:lookup",
  /**
   * {@link RevocationMessage}: the revocation store (in-memory or Redis) recorded a revocation on this node:
   * `revoke()`, a back-channel logout, or, with the Redis store, one made on another node.
   */
  revocation: "ioserver-oidc:revocation",
});

/**
 * Why a request was refused, in a few stable words (a metric attribute):
 * a small fixed set derived from the refusal's code and, for a refused
 * token, from the jose error the verifier records as its `cause` (jose's
 * stable codes), so it is safe to use as a label.
 *
 * - `missing`: no token (`ERR_AUTH_TOKEN_REQUIRED`).
 * - `malformed`: not a well-formed signed JWT (size, shape, header, payload).
 * - `signature`: no accepted key verifies it (unknown `kid`, algorithm not allowed, bad signature).
 * - `expired`: past its `exp`, or its `iat` older than the maximum age: get a new one.
 * - `claim`: a claim the settings do not accept (`iss`, `aud`, `sub`, `nbf`, `iat`, `typ`, `azp`).
 * - `revoked`: a valid token the revocation store reports revoked.
 * - `invalid`: refused for another reason (a malformed `Authorization` header, a host verifier's refusal,
 *   an `auth:refresh` for another subject).
 * - `disabled`: the account is disabled (`ERR_USER_DISABLED`).
 * - `provision`: the provisioner failed (`ERR_USER_PROVISION_FAILED`).
 * - `forbidden`: authenticated, but not allowed (`ERR_FORBIDDEN`).
 * - `misconfigured`: the package's own settings are invalid (`ERR_AUTH_MISCONFIGURED`).
 * - `unavailable`: the JWKS cannot be had (`ERR_AUTH_UNAVAILABLE`).
 */
export const REFUSAL_KINDS = Object.freeze([
  "missing",
  "malformed",
  "signature",
  "expired",
  "claim",
  "revoked",
  "invalid",
  "disabled",
  "provision",
  "forbidden",
  "misconfigured",
  "unavailable",
] as const);
export type RefusalKind = (typeof REFUSAL_KINDS)[number];

const KIND_OF_CODE: Readonly<Record<OidcErrorCode, RefusalKind>> = Object.freeze({
  [ERR_AUTH_TOKEN_REQUIRED]: "missing",
  [ERR_AUTH_TOKEN_INVALID]: "invalid",
  [ERR_USER_DISABLED]: "disabled",
  [ERR_USER_PROVISION_FAILED]: "provision",
  [ERR_FORBIDDEN]: "forbidden",
  [ERR_AUTH_MISCONFIGURED]: "misconfigured",
  [ERR_AUTH_UNAVAILABLE]: "unavailable",
});

/** The kind of a refused token, by the code of the jose error behind it (see `tokenFault.ts`). */
const KIND_OF_JOSE_CODE: Readonly<Record<string, RefusalKind>> = Object.freeze({
  ERR_JWT_INVALID: "malformed",
  ERR_JWS_INVALID: "malformed",
  ERR_JOSE_NOT_SUPPORTED: "malformed",
  ERR_JOSE_ALG_NOT_ALLOWED: "signature",
  ERR_JWKS_NO_MATCHING_KEY: "signature",
  ERR_JWKS_MULTIPLE_MATCHING_KEYS: "signature",
  ERR_JWK_INVALID: "signature",
  ERR_JWS_SIGNATURE_VERIFICATION_FAILED: "signature",
  ERR_JWT_EXPIRED: "expired",
  ERR_JWT_CLAIM_VALIDATION_FAILED: "claim",
});

/** The {@link RefusalKind} of a refusal. */
export function refusalKind(error: OidcError): RefusalKind {
  if (error.code === ERR_AUTH_TOKEN_INVALID) {
    if (error.cause instanceof joseErrors.JOSEError) return KIND_OF_JOSE_CODE[error.cause.code] ?? "invalid";
    if (error.reason === REVOKED.reason) return "revoked";
  }
  return KIND_OF_CODE[error.code];
}

/** On {@link OIDC_CHANNELS}.authenticated. */
export interface AuthenticatedMessage {
  /** `"http"` or `"socket"` (a handshake or an `auth:refresh`). */
  readonly transport: string;
  /** True when the verifier answered from its verified-token cache (no signature check). */
  readonly cached: boolean;
  /** The token's issuer and subject (claims, not secrets; mind their cardinality before using them as labels). */
  readonly iss: string;
  readonly sub: string;
}

/** On {@link OIDC_CHANNELS}.refused. */
export interface RefusedMessage {
  /** `"http"` or `"socket"`. */
  readonly transport: string;
  readonly code: OidcErrorCode;
  readonly statusCode: number;
  readonly kind: RefusalKind;
}

/** On {@link OIDC_CHANNELS}.jwksFetch. */
export interface JwksFetchMessage {
  readonly uri: string;
  readonly outcome: "success" | "failure";
  /** Wall-clock time of the fetch, in milliseconds (`performance.now()`, not the injected `Clock`). */
  readonly durationMs: number;
  /** Usable keys received, on success. */
  readonly keys?: number;
  /** Why it failed (`HTTP 404`, `timed out after 5000 ms`, …), on failure: free text, not a label. */
  readonly reason?: string;
}

/** On {@link OIDC_CHANNELS}.tokenCache. */
export interface TokenCacheMessage {
  readonly hit: boolean;
  /** On a miss: the token was being verified already, and this lookup waits for that verification instead of running its own. */
  readonly shared?: boolean;
}

/** On {@link OIDC_CHANNELS}.revocation. */
export interface RevocationMessage {
  /** What the revocation names: one token (`jti`), one session (`sid`) or a subject's earlier tokens (`sub`). */
  readonly kind: Revocation["kind"];
  readonly iss: string;
}

// Module-level references: a channel with subscribers is held by Node too, but a publisher should not depend on that.
const authenticated = channel(OIDC_CHANNELS.authenticated);
const refused = channel(OIDC_CHANNELS.refused);
const jwksFetch = channel(OIDC_CHANNELS.jwksFetch);
const tokenCache = channel(OIDC_CHANNELS.tokenCache);
const revocation = channel(OIDC_CHANNELS.revocation);

/**
 * Claims the verifier served from its cache. Cache hits hand out the very
 * object stored on the first verification, so "this object was served from
 * the cache" is "this request was a hit". Filled only while someone listens
 * to `authenticated`.
 */
const servedFromCache = new WeakSet<VerifiedClaims>();

export function publishAuthenticated(transport: string, claims: VerifiedClaims): void {
  if (!authenticated.hasSubscribers) return;
  const message: AuthenticatedMessage = { transport, cached: servedFromCache.has(claims), iss: claims.iss, sub: claims.sub };
  authenticated.publish(message);
}

export function publishRefused(transport: string, error: OidcError): void {
  if (!refused.hasSubscribers) return;
  const message: RefusedMessage = { transport, code: error.code, statusCode: error.statusCode, kind: refusalKind(error) };
  refused.publish(message);
}

/** A verified-token cache lookup; `claims` is what a hit returned. */
export function publishTokenCacheLookup(claims: VerifiedClaims | undefined, shared = false): void {
  if (claims !== undefined && authenticated.hasSubscribers) servedFromCache.add(claims);
  if (!tokenCache.hasSubscribers) return;
  const message: TokenCacheMessage = shared ? { hit: false, shared } : { hit: claims !== undefined };
  tokenCache.publish(message);
}

/** The start of a JWKS fetch, to pass to {@link publishJwksFetch}: `undefined` (no clock read) while nobody listens. */
export function jwksFetchStarted(): number | undefined {
  return jwksFetch.hasSubscribers ? performance.now() : undefined;
}

/** The end of a JWKS fetch: the usable keys it gave, or why it failed. */
export function publishJwksFetch(uri: string, startedAt: number | undefined, outcome: { keys: number } | { reason: string }): void {
  if (startedAt === undefined || !jwksFetch.hasSubscribers) return;
  const durationMs = performance.now() - startedAt;
  const message: JwksFetchMessage = "keys" in outcome ? { uri, outcome: "success", durationMs, keys: outcome.keys } : { uri, outcome: "failure", durationMs, reason: outcome.reason };
  jwksFetch.publish(message);
}

/** A revocation the store recorded: what it names and the issuer, never the id itself. */
export function publishRevocation(recorded: Revocation): void {
  if (!revocation.hasSubscribers) return;
  const message: RevocationMessage = { kind: recorded.kind, iss: recorded.iss };
  revocation.publish(message);
}

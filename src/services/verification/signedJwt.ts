import type { KeyObject } from "node:crypto";
import { decodeProtectedHeader, errors, UnsecuredJWT, type JWTPayload, type ProtectedHeaderParameters } from "jose";
import type { ResolvedOidcConfig } from "../../config.js";
import type { OidcError } from "../../errors.js";
import type { RemoteKeySet } from "../keys/RemoteKeySet.js";
import { issuerView, unverifiedIssuer } from "../keys/trustedIssuers.js";
import { verifyJwsSignature } from "./jwsSignature.js";
import { checkNumericDates } from "./numericDate.js";
import { claimFault, tokenFault } from "./tokenFault.js";

/** Three base64url segments: a JWS in compact form. A JWE (five parts) or anything else fails here. */
const COMPACT_JWS = /^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+$/;

/** Five dot-separated parts: an encrypted JWT (RFC 7516), named apart in the log. */
const JWE_SHAPE = /^[^.]*\.[^.]*\.[^.]*\.[^.]*\.[^.]*$/;

/** base64url of `{"alg":"none"}`: see `validateClaims`. */
const UNSECURED_HEADER = "eyJhbGciOiJub25lIn0";

/** A token fault jose would report as `Fault` (default `JWTInvalid`); see `tokenFault`. */
export const invalid = (reason: string, Fault: new (message: string) => errors.JOSEError = errors.JWTInvalid): OidcError => tokenFault(new Fault(reason), reason);

export type Header = ProtectedHeaderParameters & { alg: string; kid: string | undefined };

/** What a kind of JWT (access token, logout token) requires beyond the shared rules. */
export interface JwtRules {
  /** The `aud` it must be addressed to. */
  readonly audience: string;
  /** Claims that must be present. */
  readonly requiredClaims: readonly string[];
  /** Refuse it when `iat` is older than this (seconds). */
  readonly maxTokenAgeSeconds?: number;
}

export interface SignedJwt {
  readonly header: Header;
  readonly payload: JWTPayload;
  /** The key that verified the signature, and the key set it came from. */
  readonly key: KeyObject;
  readonly keySet: RemoteKeySet;
}

/**
 * The checks every signed JWT of the issuer gets, whatever it is for: a
 * compact JWS, its protected header (an allowed `alg`, no unsupported
 * `crit`), an `iss` naming the issuer before any key is looked up (which
 * could fetch the JWKS), the signature with the issuer's key for that
 * `alg` and `kid`, then the registered claims (`iss`, `aud`, `exp`, `nbf`,
 * `iat`) and the JWT rules of RFC 7797 and RFC 8725. The verifier of each
 * kind of token adds its own rules to what this returns. `issuerSelected`:
 * the caller already checked the shape and picked `config` by the token's
 * `iss` (several trusted issuers).
 */
export async function verifySignedJwt(
  config: ResolvedOidcConfig,
  keySetOf: () => RemoteKeySet | Promise<RemoteKeySet>,
  token: string,
  nowMs: number,
  rules: JwtRules,
  issuerSelected = false,
): Promise<SignedJwt> {
  if (!issuerSelected) checkShape(token);
  const [encodedHeader = "", encodedPayload = "", encodedSignature = ""] = token.split(".");
  const header = parseHeader(config, token);
  // A token naming another issuer is refused before any key or metadata is fetched.
  if (!issuerSelected) checkUnverifiedIssuer(config, encodedPayload);
  const keySet = await keySetOf();
  const key = await keySet.getKey(header.alg, header.kid);
  const signingInput = Buffer.from(`${encodedHeader}.${encodedPayload}`, "latin1");
  if (!(await verifyJwsSignature(header.alg, key, signingInput, Buffer.from(encodedSignature, "base64url")))) {
    throw tokenFault(new errors.JWSSignatureVerificationFailed());
  }
  const payload = validateClaims(config, encodedPayload, nowMs, rules);
  checkNumericDates(payload);
  // jose honours b64 only when listed in crit; an unencoded payload never makes a JWT (RFC 7797 §7), listed or not.
  if ("b64" in header && header.b64 !== true) throw invalid('header "b64" other than true is refused', errors.JWSInvalid);
  // A signed JWT wrapping another JWT is not a token of ours (RFC 8725 §2.8).
  if (typeof header.cty === "string" && normalizeMediaType(header.cty) === "jwt") throw invalid("nested JWTs are refused");
  if (typeof payload.iat === "number" && payload.iat > nowMs / 1000 + config.clockToleranceSeconds) throw claimFault('"iat" is in the future', payload, "iat");
  return { header, payload, key, keySet };
}

export function checkShape(token: string): void {
  if (!COMPACT_JWS.test(token)) {
    throw invalid(JWE_SHAPE.test(token) ? "a JWE (five parts), not a compact JWS: only signed JWTs are accepted" : "not a compact JWS (three base64url parts)", errors.JWSInvalid);
  }
}

/** The refusal of an unverified `iss`, as jose's claim rules would word it (`verifyOidcToken` throws the jose error). */
export function issuerFault(payload: Record<string, unknown>, iss: unknown, detail = ""): OidcError {
  const missing = iss === undefined;
  const message = missing ? 'missing required "iss" claim' : 'unexpected "iss" claim value';
  return tokenFault(new errors.JWTClaimValidationFailed(message, payload, "iss", missing ? "missing" : "check_failed"), `ERR_JWT_CLAIM_VALIDATION_FAILED: ${message}${detail}`);
}

/**
 * With several trusted issuers: the view of the one the token's unverified
 * `iss` names exactly. Any other token is refused here, before any network
 * I/O, and no URL is ever taken from it.
 */
export function selectIssuer(settings: ResolvedOidcConfig, token: string): ResolvedOidcConfig {
  checkShape(token);
  const { payload, iss } = unverifiedIssuer(token.slice(token.indexOf(".") + 1, token.lastIndexOf(".")));
  if (payload === undefined) throw invalid("JWT Claims Set must be a top-level JSON object");
  const view = issuerView(settings, iss);
  if (view === undefined) throw issuerFault(payload, iss, iss === undefined ? "" : `: ${JSON.stringify(iss).slice(0, 200)} is not a trusted issuer`);
  return view;
}

/**
 * With one trusted issuer: a payload naming another `iss` (or none) is
 * refused before the key lookup, which could fetch the JWKS. A payload
 * that is not a JSON object is left to the claim rules after the signature.
 */
function checkUnverifiedIssuer(config: ResolvedOidcConfig, encodedPayload: string): void {
  const { payload, iss } = unverifiedIssuer(encodedPayload);
  if (payload !== undefined && iss !== config.issuer) throw issuerFault(payload, iss);
}

/** The protected header, with the JWS rules jose's `jwtVerify` applies before looking for a key. */
function parseHeader(config: ResolvedOidcConfig, token: string): Header {
  let header: ProtectedHeaderParameters;
  try {
    header = decodeProtectedHeader(token);
  } catch {
    throw tokenFault(new errors.JWSInvalid("JWS Protected Header is invalid"));
  }
  const { alg, kid, crit } = header;
  if (typeof alg !== "string" || alg === "") throw tokenFault(new errors.JWSInvalid('JWS "alg" (Algorithm) Header Parameter missing or invalid'));
  if (!(config.algorithms as string[]).includes(alg)) throw tokenFault(new errors.JOSEAlgNotAllowed('"alg" (Algorithm) Header Parameter value not allowed'));
  // The only extension a JWS may mark critical is "b64" (RFC 7797), and a JWT must keep its payload encoded.
  if (crit !== undefined && !(Array.isArray(crit) && crit.length > 0 && crit.every((name) => name === "b64") && header.b64 === true)) {
    throw tokenFault(new errors.JOSENotSupported('"crit" (Critical) Header Parameter lists an extension that is not supported'));
  }
  if (kid !== undefined && typeof kid !== "string") throw invalid('"kid" must be a string', errors.JWSInvalid);
  return { ...header, alg, kid };
}

/**
 * The registered-claim rules (`iss`, `aud`, `exp`, `nbf`, `iat`, max age,
 * required claims), applied by jose's own claims-set validation. jose only
 * exposes it through `jwtVerify` (which would check the signature again,
 * with WebCrypto) and `UnsecuredJWT.decode`, so the payload whose signature
 * was just verified is wrapped in an unsecured JWT for it. Nothing else of
 * that JWT is trusted: its header is our constant.
 */
function validateClaims(config: ResolvedOidcConfig, encodedPayload: string, nowMs: number, rules: JwtRules): JWTPayload {
  try {
    return UnsecuredJWT.decode(`${UNSECURED_HEADER}.${encodedPayload}.`, {
      issuer: config.issuer,
      audience: rules.audience,
      clockTolerance: config.clockToleranceSeconds,
      maxTokenAge: rules.maxTokenAgeSeconds,
      requiredClaims: [...rules.requiredClaims],
      currentDate: new Date(nowMs),
    }).payload;
  } catch (error) {
    // jose's own error (JWTExpired, JWTClaimValidationFailed with its claim, ...) is the one verifyOidcToken throws.
    throw error instanceof errors.JOSEError ? tokenFault(error) : invalid(String(error));
  }
}

/**
 * Revocations are forgotten `maxTokenLifetimeSeconds` (plus the clock
 * tolerance) after they were made, so a token living longer could come back
 * to life once its revocation is gone: it is refused. Without `iat` the
 * lifetime is unknown; the part still ahead must fit at least.
 */
export function checkLifetime(config: ResolvedOidcConfig, payload: JWTPayload, nowMs: number): void {
  const max = config.maxTokenLifetimeSeconds;
  const exp = payload.exp as number;
  if (typeof payload.iat === "number" ? exp - payload.iat > max : exp - nowMs / 1000 > max + config.clockToleranceSeconds) {
    throw claimFault(`lifetime longer than ${max} s (AUTH_SERVICE_MAX_TOKEN_LIFETIME)`, payload, "exp");
  }
}

/** RFC 7515 §4.1.9: media types compare case-insensitively and "application/" may be omitted. */
export function normalizeMediaType(value: string): string {
  const lower = value.toLowerCase();
  return lower.startsWith("application/") ? lower.slice("application/".length) : lower;
}

/** The member of `events` that makes a JWT a back-channel logout token (OpenID Connect Back-Channel Logout 1.0 §2.4). */
export const BACKCHANNEL_LOGOUT_EVENT = "http://schemas.openid.net/event/backchannel-logout";

/** Typed `logout+jwt`, or carrying the back-channel logout event. */
export function isLogoutToken(header: Header, payload: JWTPayload): boolean {
  if (typeof header.typ === "string" && normalizeMediaType(header.typ) === "logout+jwt") return true;
  const events = payload.events;
  return events !== null && typeof events === "object" && Object.prototype.hasOwnProperty.call(events, BACKCHANNEL_LOGOUT_EVENT);
}

import type { KeyObject } from "node:crypto";
import { decodeProtectedHeader, errors as joseErrors, UnsecuredJWT, type JWTPayload, type ProtectedHeaderParameters } from "jose";
import type { ResolvedOidcConfig } from "../../config.js";
import { ERR_AUTH_TOKEN_INVALID, OidcError } from "../../errors.js";
import type { RemoteKeySet } from "../keys/RemoteKeySet.js";
import { verifyJwsSignature } from "./jwsSignature.js";

/** Three base64url segments: a JWS in compact form. A JWE (five parts) or anything else fails here. */
const COMPACT_JWS = /^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+$/;

/** Five dot-separated parts: an encrypted JWT (RFC 7516), named apart in the log. */
const JWE_SHAPE = /^[^.]*\.[^.]*\.[^.]*\.[^.]*\.[^.]*$/;

/** base64url of `{"alg":"none"}`: see `validateClaims`. */
const UNSECURED_HEADER = "eyJhbGciOiJub25lIn0";

export const invalid = (reason: string): OidcError => new OidcError(ERR_AUTH_TOKEN_INVALID, { reason });

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
  /** The key that verified the signature. */
  readonly key: KeyObject;
}

/**
 * The checks every signed JWT of the issuer gets, whatever it is for: a
 * compact JWS, its protected header (an allowed `alg`, no unsupported
 * `crit`), the signature with the issuer's key for that `alg` and `kid`,
 * then the registered claims (`iss`, `aud`, `exp`, `nbf`, `iat`) and the
 * JWT rules of RFC 7797 and RFC 8725. The verifier of each kind of token
 * adds its own rules to what this returns.
 */
export async function verifySignedJwt(config: ResolvedOidcConfig, keySet: RemoteKeySet, token: string, nowMs: number, rules: JwtRules): Promise<SignedJwt> {
  if (!COMPACT_JWS.test(token)) throw invalid(JWE_SHAPE.test(token) ? "a JWE (five parts), not a compact JWS: only signed JWTs are accepted" : "not a compact JWS (three base64url parts)");
  const [encodedHeader = "", encodedPayload = "", encodedSignature = ""] = token.split(".");
  const header = parseHeader(config, token);
  const key = await keySet.getKey(header.alg, header.kid);
  const signingInput = Buffer.from(`${encodedHeader}.${encodedPayload}`, "latin1");
  if (!(await verifyJwsSignature(header.alg, key, signingInput, Buffer.from(encodedSignature, "base64url")))) {
    throw invalid("ERR_JWS_SIGNATURE_VERIFICATION_FAILED: signature verification failed");
  }
  const payload = validateClaims(config, encodedPayload, nowMs, rules);
  // jose honours b64 only when listed in crit; an unencoded payload never makes a JWT (RFC 7797 §7), listed or not.
  if ("b64" in header && header.b64 !== true) throw invalid('header "b64" other than true is refused');
  // A signed JWT wrapping another JWT is not a token of ours (RFC 8725 §2.8).
  if (typeof header.cty === "string" && normalizeMediaType(header.cty) === "jwt") throw invalid("nested JWTs are refused");
  if (typeof payload.iat === "number" && payload.iat > nowMs / 1000 + config.clockToleranceSeconds) throw invalid('"iat" is in the future');
  return { header, payload, key };
}

/** The protected header, with the JWS rules jose's `jwtVerify` applies before looking for a key. */
function parseHeader(config: ResolvedOidcConfig, token: string): Header {
  let header: ProtectedHeaderParameters;
  try {
    header = decodeProtectedHeader(token);
  } catch {
    throw invalid("ERR_JWS_INVALID: JWS Protected Header is invalid");
  }
  const { alg, kid, crit } = header;
  if (typeof alg !== "string" || alg === "") throw invalid('ERR_JWS_INVALID: JWS "alg" (Algorithm) Header Parameter missing or invalid');
  if (!(config.algorithms as string[]).includes(alg)) throw invalid('ERR_JOSE_ALG_NOT_ALLOWED: "alg" (Algorithm) Header Parameter value not allowed');
  // The only extension a JWS may mark critical is "b64" (RFC 7797), and a JWT must keep its payload encoded.
  if (crit !== undefined && !(Array.isArray(crit) && crit.length > 0 && crit.every((name) => name === "b64") && header.b64 === true)) {
    throw invalid('ERR_JOSE_NOT_SUPPORTED: "crit" (Critical) Header Parameter lists an extension that is not supported');
  }
  if (kid !== undefined && typeof kid !== "string") throw invalid('"kid" must be a string');
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
    throw invalid(error instanceof joseErrors.JOSEError ? `${error.code}: ${error.message}` : String(error));
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
    throw invalid(`lifetime longer than ${max} s (AUTH_SERVICE_MAX_TOKEN_LIFETIME)`);
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

import { inject, injectable } from "tsyringe";
import { decodeProtectedHeader, errors, UnsecuredJWT, type JWTHeaderParameters, type JWTPayload, type ProtectedHeaderParameters } from "jose";
import type { ResolvedOidcConfig } from "../../config.js";
import type { OidcError } from "../../errors.js";
import { TOKENS } from "../../tokens.js";
import type { VerifiedClaims } from "../../types.js";
import type { Clock } from "../Clock.js";
import type { ConfigService } from "../ConfigService.js";
import { verifyJwsSignature } from "./jwsSignature.js";
import { shareRecurringStrings } from "./sharedStrings.js";
import { checkNumericDates } from "./numericDate.js";
import { claimFault, tokenFault } from "./tokenFault.js";
import type { KeySetRegistry } from "../keys/KeySetRegistry.js";
import { issuerView, trustedIssuers, unverifiedIssuer } from "../keys/trustedIssuers.js";
import type { VerifiedTokenCache } from "./VerifiedTokenCache.js";

/** Verifies a raw JWT and returns its claims, or throws an `OidcError`. */
export interface TokenVerifier {
  verify(token: string): Promise<VerifiedClaims>;
  /** Optional warm-up (`OidcConfigManager.start()`, `oidcReady()`); rejects with why verification cannot work. */
  ready?(): Promise<void>;
}

/** Three base64url segments: a JWS in compact form. A JWE (five parts) or anything else fails here. */
const COMPACT_JWS = /^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+$/;

/** Five dot-separated parts: an encrypted JWT (RFC 7516), named apart in the log. */
const JWE_SHAPE = /^[^.]*\.[^.]*\.[^.]*\.[^.]*\.[^.]*$/;

/** base64url of `{"alg":"none"}`: see `validateClaims`. */
const UNSECURED_HEADER = "eyJhbGciOiJub25lIn0";

/** A token fault jose would report as `Fault` (default `JWTInvalid`); see `tokenFault`. */
const invalid = (reason: string, Fault: new (message: string) => errors.JOSEError = errors.JWTInvalid): OidcError => tokenFault(new Fault(reason), reason);

/**
 * The default verifier: signature against the configured JWKS, then the
 * claim rules of RFC 7519, RFC 8725 and, when configured, RFC 9068.
 * jose parses the header and applies the registered-claim rules; the
 * signature is checked with `node:crypto` (see `jwsSignature.ts`).
 * Successful verifications are remembered in the `VerifiedTokenCache`, so
 * a token presented again costs a lookup instead of a signature check.
 */
@injectable()
export class JwksVerifier implements TokenVerifier {
  constructor(
    @inject(TOKENS.ConfigService) private readonly configService: ConfigService,
    @inject(TOKENS.KeySetRegistry) private readonly keySets: KeySetRegistry,
    @inject(TOKENS.Clock) private readonly clock: Clock,
    @inject(TOKENS.VerifiedTokenCache) private readonly cache: VerifiedTokenCache,
  ) {}

  /** Validates the configuration and loads the JWKS of every trusted issuer (discovering it first where configured). */
  async ready(): Promise<void> {
    const issuers = trustedIssuers(this.configService.get());
    await Promise.all(issuers.map(async (issuer) => (await this.keySets.keySetFor(issuer)).ready()));
  }

  async verify(token: string): Promise<VerifiedClaims> {
    const settings = this.configService.get();
    // Size is checked before anything else, even the cache lookup.
    if (typeof token !== "string" || token.length > settings.maxTokenBytes) throw invalid(`token longer than ${settings.maxTokenBytes} bytes`, errors.JWSInvalid);
    // The issuer whose keys and rules apply: the only one, or the one the unverified iss names.
    const several = trustedIssuers(settings).length > 1;
    const config = several ? selectIssuer(settings, token) : settings;
    let keySet = this.keySets.current(config);

    let cached = keySet && this.cache.get(token, config);
    if (cached !== undefined && keySet !== undefined && !keySet.fresh) {
      // Aged keys are refreshed as on a full verification; the refresh may drop the key and with it this entry.
      await keySet.refreshIfAged();
      cached = this.cache.get(token, config);
    }
    if (cached !== undefined) return cached;

    if (!several) checkShape(token);
    const [encodedHeader = "", encodedPayload = "", encodedSignature = ""] = token.split(".");
    const header = parseHeader(config, token);
    // A token naming another issuer is refused before any key or metadata is fetched.
    if (!several) checkUnverifiedIssuer(config, encodedPayload);
    keySet ??= await this.keySets.keySetFor(config);
    const key = await keySet.getKey(header.alg, header.kid);
    const signingInput = Buffer.from(`${encodedHeader}.${encodedPayload}`, "latin1");
    if (!(await verifyJwsSignature(header.alg, key, signingInput, Buffer.from(encodedSignature, "base64url")))) {
      throw tokenFault(new errors.JWSSignatureVerificationFailed());
    }
    const nowMs = this.clock.now();
    const payload = validateClaims(config, encodedPayload, nowMs);
    checkNumericDates(payload);
    checkClaims(config, header, payload, nowMs / 1000);
    // Claims the cache keeps share their recurring names with the other entries.
    if (config.tokenCacheSize > 0) shareRecurringStrings(payload);
    const claims = deepFreeze(payload) as VerifiedClaims;
    this.cache.set(token, config, { claims, keySet, key, acceptedUntilMs: acceptedUntilMs(config, claims) });
    return claims;
  }
}

function checkShape(token: string): void {
  if (!COMPACT_JWS.test(token)) {
    throw invalid(JWE_SHAPE.test(token) ? "a JWE (five parts), not a compact JWS: only signed JWTs are accepted" : "not a compact JWS (three base64url parts)", errors.JWSInvalid);
  }
}

/** The refusal of an unverified `iss`, as jose's claim rules would word it (`verifyOidcToken` throws the jose error). */
function issuerFault(payload: Record<string, unknown>, iss: unknown, detail = ""): OidcError {
  const missing = iss === undefined;
  const message = missing ? 'missing required "iss" claim' : 'unexpected "iss" claim value';
  return tokenFault(new errors.JWTClaimValidationFailed(message, payload, "iss", missing ? "missing" : "check_failed"), `ERR_JWT_CLAIM_VALIDATION_FAILED: ${message}${detail}`);
}

/**
 * With several trusted issuers: the view of the one the token's unverified
 * `iss` names exactly. Any other token is refused here, before any network
 * I/O, and no URL is ever taken from it.
 */
function selectIssuer(settings: ResolvedOidcConfig, token: string): ResolvedOidcConfig {
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

type Header = ProtectedHeaderParameters & { alg: string; kid: string | undefined };

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
function validateClaims(config: ResolvedOidcConfig, encodedPayload: string, nowMs: number): JWTPayload {
  try {
    return UnsecuredJWT.decode(`${UNSECURED_HEADER}.${encodedPayload}.`, {
      issuer: config.issuer,
      audience: config.audience,
      clockTolerance: config.clockToleranceSeconds,
      maxTokenAge: config.maxTokenAgeSeconds,
      requiredClaims: ["exp", "sub", "iss"],
      currentDate: new Date(nowMs),
    }).payload;
  } catch (error) {
    // jose's own error (JWTExpired, JWTClaimValidationFailed with its claim, ...) is the one verifyOidcToken throws.
    throw error instanceof errors.JOSEError ? tokenFault(error) : invalid(String(error));
  }
}

/** The rules jose does not apply itself. */
function checkClaims(config: ResolvedOidcConfig, header: JWTHeaderParameters, payload: JWTPayload, now: number): void {
  if (typeof payload.sub !== "string" || payload.sub === "") throw claimFault('"sub" must be a non-empty string', payload, "sub", "invalid");
  // jose honours b64 only when listed in crit; an unencoded payload never makes a JWT (RFC 7797 §7), listed or not.
  if ("b64" in header && header.b64 !== true) throw invalid('header "b64" other than true is refused', errors.JWSInvalid);
  // A signed JWT wrapping another JWT is not an access token (RFC 8725 §2.8).
  if (typeof header.cty === "string" && normalizeMediaType(header.cty) === "jwt") throw invalid("nested JWTs are refused");
  if (typeof payload.iat === "number" && payload.iat > now + config.clockToleranceSeconds) {
    throw claimFault('"iat" is in the future', payload, "iat");
  }
  if (config.tokenTypes.length > 0) {
    const typ = typeof header.typ === "string" ? normalizeMediaType(header.typ) : undefined;
    if (typ === undefined || !config.tokenTypes.some((t) => normalizeMediaType(t) === typ)) {
      throw claimFault(`header "typ" must be one of ${config.tokenTypes.join(", ")}`, payload, "typ");
    }
  }
  if (config.authorizedParties.length > 0) {
    const party = typeof payload.azp === "string" ? payload.azp : payload.client_id;
    if (typeof party !== "string" || !config.authorizedParties.includes(party)) {
      throw claimFault('"azp"/"client_id" is not an authorized party', payload, typeof payload.azp === "string" ? "azp" : "client_id");
    }
  }
}

/**
 * The instant (ms) from which the verification above would refuse these
 * claims: `exp`, or `iat` + max age, plus the clock tolerance. A cached
 * acceptance must not outlive it.
 */
function acceptedUntilMs(config: ResolvedOidcConfig, claims: VerifiedClaims): number {
  const tolerance = config.clockToleranceSeconds;
  let until = (claims.exp + tolerance) * 1000;
  if (config.maxTokenAgeSeconds !== undefined && typeof claims.iat === "number") {
    until = Math.min(until, (claims.iat + config.maxTokenAgeSeconds + tolerance) * 1000);
  }
  return until;
}

/** RFC 7515 §4.1.9: media types compare case-insensitively and "application/" may be omitted. */
function normalizeMediaType(value: string): string {
  const lower = value.toLowerCase();
  return lower.startsWith("application/") ? lower.slice("application/".length) : lower;
}

/** Claims may be handed to many requests from the cache: nobody may change them. */
function deepFreeze<T>(value: T): T {
  if (value !== null && typeof value === "object" && !Object.isFrozen(value)) {
    Object.freeze(value);
    for (const inner of Object.values(value)) deepFreeze(inner);
  }
  return value;
}

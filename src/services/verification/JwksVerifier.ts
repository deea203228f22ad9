import { inject, injectable } from "tsyringe";
import { errors, type JWTPayload } from "jose";
import type { ResolvedOidcConfig } from "../../config.js";
import { TOKENS } from "../../tokens.js";
import type { VerifiedClaims } from "../../types.js";
import type { Clock } from "../Clock.js";
import type { ConfigService } from "../ConfigService.js";
import { checkLifetime, invalid, isLogoutToken, normalizeMediaType, selectIssuer, verifySignedJwt, type Header } from "./signedJwt.js";
import { claimFault } from "./tokenFault.js";
import type { KeySetRegistry } from "../keys/KeySetRegistry.js";
import { trustedIssuers } from "../keys/trustedIssuers.js";
import type { VerifiedTokenCache } from "./VerifiedTokenCache.js";
import { publishTokenCacheLookup } from "../diagnostics.js";

/** Verifies a raw JWT and returns its claims, or throws an `OidcError`. */
export interface TokenVerifier {
  verify(token: string): Promise<VerifiedClaims>;
  /** Optional warm-up (`OidcConfigManager.start()`, `oidcReady()`); rejects with why verification cannot work. */
  ready?(): Promise<void>;
}

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
    publishTokenCacheLookup(cached);
    if (cached !== undefined) return cached;

    const nowMs = this.clock.now();
    const verified = await verifySignedJwt(config, async () => keySet ?? this.keySets.keySetFor(config), token, nowMs, {
      audience: config.audience,
      requiredClaims: ["exp", "sub", "iss"],
      maxTokenAgeSeconds: config.maxTokenAgeSeconds,
    }, several);
    const { header, payload, key } = verified;
    keySet = verified.keySet;
    checkAccessTokenClaims(config, header, payload, nowMs);
    const claims = deepFreeze(payload) as VerifiedClaims;
    this.cache.set(token, config, { claims, keySet, key, acceptedUntilMs: acceptedUntilMs(config, claims) });
    return claims;
  }
}


/** The rules of access tokens, beyond those every signed JWT of the issuer gets (`verifySignedJwt`). */
function checkAccessTokenClaims(config: ResolvedOidcConfig, header: Header, payload: JWTPayload, nowMs: number): void {
  if (typeof payload.sub !== "string" || payload.sub === "") throw claimFault('"sub" must be a non-empty string', payload, "sub", "invalid");
  // Same issuer, same keys and often the same audience: a logout token must never pass for an access token (cross-JWT confusion).
  if (isLogoutToken(header, payload)) throw invalid("a back-channel logout token is not an access token");
  checkLifetime(config, payload, nowMs);
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

/** Claims may be handed to many requests from the cache: nobody may change them. */
function deepFreeze<T>(value: T): T {
  if (value !== null && typeof value === "object" && !Object.isFrozen(value)) {
    Object.freeze(value);
    for (const inner of Object.values(value)) deepFreeze(inner);
  }
  return value;
}

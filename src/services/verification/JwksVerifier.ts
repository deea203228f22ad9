import { inject, injectable } from "tsyringe";
import { errors } from "jose";
import type { ResolvedOidcConfig } from "../../config.js";
import { ERR_AUTH_TOKEN_INVALID, OidcError } from "../../errors.js";
import { TOKENS } from "../../tokens.js";
import type { VerifiedClaims } from "../../types.js";
import type { Clock } from "../Clock.js";
import type { ConfigService } from "../ConfigService.js";
import {
  CLAIM_RULES,
  decodeHeader,
  decodePayload,
  HEADER_RULES,
  isRuleFailure,
  SIGNATURE_RULE,
  ISSUER_RULE,
  PAYLOAD_DECODE_RULE,
  SHAPE_RULE,
  SIZE_RULE,
  untrustedIssuer,
  type ClaimsUnderTest,
  type RuleFailure,
  tokenFailure,
  type TokenHeader,
} from "./rules.js";
import { shareRecurringStrings } from "./sharedStrings.js";
import type { KeySetRegistry } from "../keys/KeySetRegistry.js";
import type { RemoteKeySet } from "../keys/RemoteKeySet.js";
import { issuerView, trustedIssuers, unverifiedIssuer } from "../keys/trustedIssuers.js";
import type { VerifiedTokenCache } from "./VerifiedTokenCache.js";
import { publishTokenCacheLookup } from "../diagnostics.js";

/** Verifies a raw JWT and returns its claims, or throws an `OidcError`. */
export interface TokenVerifier {
  verify(token: string): Promise<VerifiedClaims>;
  /** Optional warm-up (`OidcConfigManager.start()`, `oidcReady()`); rejects with why verification cannot work. */
  ready?(): Promise<void>;
}

/** The refusal for a failed rule: its reason goes to the log, its expected/received values with it; its cause is jose's error for the same fault. */
const refusal = (failure: RuleFailure): OidcError => {
  const { reason, jose, ...detail } = failure;
  return new OidcError(ERR_AUTH_TOKEN_INVALID, { reason, detail, cause: jose });
};

/**
 * The default verifier: the named rules of `rules.ts` in order (the raw
 * token, the header, the key and signature against the configured JWKS,
 * then the claims of RFC 7519, RFC 8725 and, when configured, RFC 9068),
 * stopping at the first that fails. jose decodes header and payload; the
 * signature is checked with `node:crypto` (see `jwsSignature.ts`).
 * Successful verifications are remembered in the `VerifiedTokenCache`, so
 * a token presented again costs a lookup instead of a signature check.
 */
@injectable()
export class JwksVerifier implements TokenVerifier {
  /**
   * Full verifications in progress (cache on), by token: a request
   * presenting a token whose verification is already running waits for
   * that one instead of checking the signature again. A page's parallel
   * calls with a new token, or a cold start under load, cost one check.
   */
  private readonly running = new Map<string, { config: ResolvedOidcConfig; claims: Promise<VerifiedClaims> }>();

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
    if (typeof token !== "string") throw refusal(tokenFailure(SIZE_RULE.name, new errors.JWSInvalid("token is not a string"), { reason: "token is not a string" }));
    refuseOn(SIZE_RULE.check(token, settings));
    // The issuer whose keys and rules apply: the only one, or the one the unverified iss names.
    const several = trustedIssuers(settings).length > 1;
    const config = several ? selectIssuer(settings, token) : settings;
    const keySet = this.keySets.current(config);

    let cached = keySet && this.cache.get(token, config);
    if (cached !== undefined && keySet !== undefined && !keySet.fresh) {
      // Aged keys are refreshed as on a full verification; the refresh may drop the key and with it this entry.
      await keySet.refreshIfAged();
      cached = this.cache.get(token, config);
    }
    if (cached !== undefined) {
      publishTokenCacheLookup(cached);
      return cached;
    }
    // Shared only with the cache on, and under the same settings: a verification under others could accept what these refuse.
    const running = config.tokenCacheSize > 0 ? this.running.get(token) : undefined;
    if (running !== undefined && running.config === config) {
      publishTokenCacheLookup(undefined, true);
      return running.claims;
    }
    publishTokenCacheLookup(undefined);
    const claims = this.verifyFully(token, config, several, keySet);
    if (config.tokenCacheSize <= 0) return claims;
    const entry = { config, claims };
    this.running.set(token, entry);
    // Both outcomes clear it (a refusal is not remembered: the next request verifies again); the handler's own promise never rejects.
    const done = (): void => {
      if (this.running.get(token) === entry) this.running.delete(token);
    };
    entry.claims.then(done, done);
    return entry.claims;
  }

  /** Every rule, for a token the cache did not answer for; an acceptance is remembered in the cache. */
  private async verifyFully(token: string, config: ResolvedOidcConfig, several: boolean, known: RemoteKeySet | undefined): Promise<VerifiedClaims> {
    let keySet = known;
    if (!several) refuseOn(SHAPE_RULE.check(token, config));
    const decoded = decodeHeader(token);
    if (isRuleFailure(decoded)) throw refusal(decoded);
    for (const rule of HEADER_RULES) refuseOn(rule.check(decoded, config));
    const header = decoded as TokenHeader;
    const nowMs = this.clock.now();
    // Decoded once, before the key lookup: a payload naming another issuer (or none) is refused before any key or
    // metadata is fetched, by the issuer rule the claims run; one that is no JSON object is refused after the signature.
    const payload = decodePayload(token);
    if (!several && !isRuleFailure(payload)) refuseOn(ISSUER_RULE.check({ header, payload, nowMs }, config));
    keySet ??= await this.keySets.keySetFor(config);
    const key = await keySet.getKey(header.alg, header.kid);
    refuseOn(await SIGNATURE_RULE.check(token, header.alg, key));
    if (isRuleFailure(payload)) throw refusal(payload);
    const subject: ClaimsUnderTest = { header, payload, nowMs };
    for (const rule of CLAIM_RULES) refuseOn(rule.check(subject, config));
    // Claims the cache keeps share their recurring names with the other entries.
    if (config.tokenCacheSize > 0) shareRecurringStrings(payload);
    const claims = deepFreeze(payload) as VerifiedClaims;
    this.cache.set(token, config, { claims, keySet, key, acceptedUntilMs: acceptedUntilMs(config, claims) });
    return claims;
  }
}

/**
 * With several trusted issuers: the view of the one the token's unverified
 * `iss` names exactly. Any other token is refused here, before any network
 * I/O, and no URL is ever taken from it.
 */
function selectIssuer(settings: ResolvedOidcConfig, token: string): ResolvedOidcConfig {
  refuseOn(SHAPE_RULE.check(token, settings));
  const { payload, iss } = unverifiedIssuer(token.slice(token.indexOf(".") + 1, token.lastIndexOf(".")));
  if (payload === undefined) throw refusal(tokenFailure(PAYLOAD_DECODE_RULE.name, new errors.JWTInvalid("JWT Claims Set must be a top-level JSON object")));
  const view = issuerView(settings, iss);
  if (view === undefined) throw refusal(untrustedIssuer(settings, payload, iss));
  return view;
}

function refuseOn(failure: RuleFailure | undefined): void {
  if (failure !== undefined) throw refusal(failure);
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

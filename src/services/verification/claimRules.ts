import { errors, type JWTPayload } from "jose";
import { OIDC_ENV_VARS, type ResolvedOidcConfig } from "../../config.js";
import { trustedIssuers } from "../keys/trustedIssuers.js";
import { OidcError } from "../../errors.js";
import { checkNumericDates } from "./numericDate.js";
import { checkLifetime, isLogoutToken, normalizeMediaType } from "./signedJwt.js";
import { tokenFailure, type Rule, type RuleFailure, type TokenHeader } from "./rule.js";

/** What the claim rules look at: the header and payload of a token whose signature verified, and the time. */
export interface ClaimsUnderTest {
  readonly header: TokenHeader;
  readonly payload: JWTPayload;
  readonly nowMs: number;
}

type Why = "missing" | "invalid" | "check_failed";

/** A claim fault as jose reports it (`JWTClaimValidationFailed` naming the claim), logged as `ERR_JWT_CLAIM_VALIDATION_FAILED: ...` unless `reason` is given. */
const claimFailure = (rule: string, message: string, payload: JWTPayload, claim: string, why: Why, extra: Partial<Omit<RuleFailure, "rule" | "jose">> = {}): RuleFailure =>
  tokenFailure(rule, new errors.JWTClaimValidationFailed(message, payload, claim, why), extra);

const missing = (rule: string, payload: JWTPayload, claim: string, extra: Partial<Omit<RuleFailure, "rule" | "jose">> = {}): RuleFailure =>
  claimFailure(rule, `missing required "${claim}" claim`, payload, claim, "missing", extra);

/** jose's NumericDate rule: absent is fine unless required, present must be a number. */
function numericDate(rule: string, payload: JWTPayload, claim: "exp" | "nbf" | "iat", required: boolean): number | RuleFailure | undefined {
  const value = payload[claim];
  if (value === undefined) return required ? missing(rule, payload, claim) : undefined;
  return typeof value === "number" ? value : claimFailure(rule, `"${claim}" claim must be a number`, payload, claim, "invalid", { received: value });
}

const isFailure = (value: unknown): value is RuleFailure => typeof value === "object" && value !== null;
const epochSeconds = (nowMs: number): number => Math.floor(nowMs / 1000);

/** `iss` is exactly the issuer's (RFC 8725 §3.8). Also run on the unverified payload before any key is fetched. */
export const ISSUER_RULE: Rule<ClaimsUnderTest> = Object.freeze<Rule<ClaimsUnderTest>>({
  name: "issuer",
  requires: "iss equals AUTH_SERVICE_ISSUER",
  check: ({ payload }, config) => {
    const setting = OIDC_ENV_VARS.issuer;
    if (!Object.hasOwn(payload, "iss")) return missing("issuer", payload, "iss", { setting, expected: config.issuer });
    if (payload.iss === config.issuer) return undefined;
    return claimFailure("issuer", 'unexpected "iss" claim value', payload, "iss", "check_failed", { kind: "settings", setting, expected: config.issuer, received: payload.iss });
  },
});

/**
 * With several trusted issuers (`AUTH_SERVICE_ISSUERS`): the unverified
 * `iss` names none of them. Reported like the issuer rule, with every
 * trusted issuer as the expected value.
 */
export function untrustedIssuer(settings: ResolvedOidcConfig, payload: JWTPayload, iss: unknown): RuleFailure {
  const expected = trustedIssuers(settings).map((view) => view.issuer);
  if (iss === undefined) return missing("issuer", payload, "iss", { setting: OIDC_ENV_VARS.issuers, expected });
  const reason = `ERR_JWT_CLAIM_VALIDATION_FAILED: unexpected "iss" claim value: ${JSON.stringify(iss).slice(0, 200)} is not a trusted issuer`;
  return claimFailure("issuer", 'unexpected "iss" claim value', payload, "iss", "check_failed", { reason, kind: "settings", setting: OIDC_ENV_VARS.issuers, expected, received: iss });
}

/**
 * The claim rules of RFC 7519, RFC 8725 and, when configured, RFC 9068,
 * with jose's semantics (`iss` compared exactly, `aud` string or array,
 * NumericDates with the clock tolerance) and its error classes, in the
 * order jose's claims-set validation applies them, run on a token whose
 * signature verified. A genuine token refused by a setting
 * (issuer, audience, `typ`, authorized party) is of kind `"settings"`.
 */
export const CLAIM_RULES: readonly Rule<ClaimsUnderTest>[] = Object.freeze([
  ISSUER_RULE,
  {
    name: "audience",
    requires: "aud contains AUTH_SERVICE_AUDIENCE",
    check: ({ payload }, config) => {
      const { aud } = payload;
      const setting = OIDC_ENV_VARS.audience;
      if (!Object.hasOwn(payload, "aud")) return missing("audience", payload, "aud", { setting, expected: config.audience });
      if (aud === config.audience || (Array.isArray(aud) && aud.includes(config.audience))) return undefined;
      return claimFailure("audience", 'unexpected "aud" claim value', payload, "aud", "check_failed", { kind: "settings", setting, expected: config.audience, received: aud });
    },
  },
  {
    name: "subject",
    requires: "sub a non-empty string",
    check: ({ payload }) => {
      if (!Object.hasOwn(payload, "sub")) return missing("subject", payload, "sub");
      if (typeof payload.sub === "string" && payload.sub !== "") return undefined;
      const reason = '"sub" must be a non-empty string';
      return claimFailure("subject", reason, payload, "sub", "invalid", { reason, received: payload.sub });
    },
  },
  {
    name: "expiry",
    requires: "exp after now - AUTH_SERVICE_CLOCK_TOLERANCE",
    check: ({ payload, nowMs }, config) => {
      const exp = numericDate("expiry", payload, "exp", true);
      if (exp === undefined || isFailure(exp)) return exp;
      if (exp > epochSeconds(nowMs) - config.clockToleranceSeconds) return undefined;
      return { ...tokenFailure("expiry", new errors.JWTExpired('"exp" claim timestamp check failed', payload, "exp", "check_failed")), kind: "expired", received: exp };
    },
  },
  {
    name: "not-before",
    requires: "nbf, if present, before now + AUTH_SERVICE_CLOCK_TOLERANCE",
    check: ({ payload, nowMs }, config) => {
      const nbf = numericDate("not-before", payload, "nbf", false);
      if (nbf === undefined || isFailure(nbf)) return nbf;
      if (nbf <= epochSeconds(nowMs) + config.clockToleranceSeconds) return undefined;
      return claimFailure("not-before", '"nbf" claim timestamp check failed', payload, "nbf", "check_failed", { received: nbf });
    },
  },
  {
    name: "max-token-age",
    requires: "iat within AUTH_SERVICE_MAX_TOKEN_AGE, when set",
    check: ({ payload, nowMs }, config) => {
      const max = config.maxTokenAgeSeconds;
      if (max === undefined || typeof payload.iat !== "number") return undefined;
      if (epochSeconds(nowMs) - payload.iat - config.clockToleranceSeconds <= max) return undefined;
      const jose = new errors.JWTExpired('"iat" claim timestamp check failed (too far in the past)', payload, "iat", "check_failed");
      return { ...tokenFailure("max-token-age", jose), kind: "expired", setting: OIDC_ENV_VARS.maxTokenAgeSeconds, expected: max, received: payload.iat };
    },
  },
  {
    name: "numeric-dates",
    requires: "exp, nbf, iat finite numbers within a Date's range",
    check: ({ payload }) => {
      try {
        checkNumericDates(payload);
        return undefined;
      } catch (error) {
        const fault = error as OidcError;
        const jose = fault.cause instanceof errors.JOSEError ? fault.cause : new errors.JWTInvalid(fault.reason ?? fault.message);
        return tokenFailure("numeric-dates", jose, { reason: fault.reason ?? fault.message });
      }
    },
  },
  {
    name: "issued-at",
    requires: "iat, if present, a number not in the future",
    check: ({ payload, nowMs }, config) => {
      const iat = numericDate("issued-at", payload, "iat", config.maxTokenAgeSeconds !== undefined);
      if (iat === undefined || isFailure(iat)) return iat;
      if (iat <= nowMs / 1000 + config.clockToleranceSeconds) return undefined;
      const reason = '"iat" is in the future';
      return claimFailure("issued-at", reason, payload, "iat", "check_failed", { reason, received: iat });
    },
  },
  {
    name: "unencoded-payload",
    requires: 'no "b64" header other than true',
    // jose honours b64 only when listed in crit; an unencoded payload never makes a JWT (RFC 7797 §7), listed or not.
    check: ({ header }) => {
      if (!("b64" in header) || header.b64 === true) return undefined;
      const reason = 'header "b64" other than true is refused';
      return tokenFailure("unencoded-payload", new errors.JWSInvalid(reason), { reason });
    },
  },
  {
    name: "nested-jwt",
    requires: "cty not JWT",
    // A signed JWT wrapping another JWT is not an access token (RFC 8725 §2.8).
    check: ({ header }) => {
      if (typeof header.cty !== "string" || normalizeMediaType(header.cty) !== "jwt") return undefined;
      const reason = "nested JWTs are refused";
      return tokenFailure("nested-jwt", new errors.JWTInvalid(reason), { reason });
    },
  },
  {
    name: "logout-token",
    requires: "not a back-channel logout token",
    // Same issuer, same keys and often the same audience: a logout token must never pass for an access token (cross-JWT confusion).
    check: ({ header, payload }) => {
      if (!isLogoutToken(header, payload)) return undefined;
      const reason = "a back-channel logout token is not an access token";
      return tokenFailure("logout-token", new errors.JWTInvalid(reason), { reason });
    },
  },
  {
    name: "lifetime",
    requires: "exp - iat within AUTH_SERVICE_MAX_TOKEN_LIFETIME",
    check: ({ payload, nowMs }, config) => {
      try {
        checkLifetime(config, payload, nowMs);
        return undefined;
      } catch (error) {
        const fault = error as OidcError;
        const jose = fault.cause instanceof errors.JOSEError ? fault.cause : new errors.JWTInvalid(fault.reason ?? fault.message);
        return tokenFailure("lifetime", jose, { reason: fault.reason ?? fault.message, setting: OIDC_ENV_VARS.maxTokenLifetimeSeconds, expected: config.maxTokenLifetimeSeconds });
      }
    },
  },
  {
    name: "token-type",
    requires: "typ in AUTH_SERVICE_TOKEN_TYPES, when set",
    check: ({ header, payload }, config) => {
      if (config.tokenTypes.length === 0) return undefined;
      const typ = typeof header.typ === "string" ? normalizeMediaType(header.typ) : undefined;
      if (typ !== undefined && config.tokenTypes.some((t) => normalizeMediaType(t) === typ)) return undefined;
      const reason = `header "typ" must be one of ${config.tokenTypes.join(", ")}`;
      return claimFailure("token-type", reason, payload, "typ", "check_failed", { reason, kind: "settings", setting: OIDC_ENV_VARS.tokenTypes, expected: config.tokenTypes, received: header.typ });
    },
  },
  {
    name: "authorized-party",
    requires: "azp (else client_id) in AUTH_SERVICE_AUTHORIZED_PARTIES, when set",
    check: ({ payload }, config) => {
      if (config.authorizedParties.length === 0) return undefined;
      const party = typeof payload.azp === "string" ? payload.azp : payload.client_id;
      if (typeof party === "string" && config.authorizedParties.includes(party)) return undefined;
      const reason = '"azp"/"client_id" is not an authorized party';
      return claimFailure("authorized-party", reason, payload, typeof payload.azp === "string" ? "azp" : "client_id", "check_failed", {
        reason,
        kind: "settings",
        setting: OIDC_ENV_VARS.authorizedParties,
        expected: config.authorizedParties,
        received: party,
      });
    },
  },
]);

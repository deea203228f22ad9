import { decodeJwt, decodeProtectedHeader, type JWTPayload, type ProtectedHeaderParameters } from "jose";
import type { KeyObject } from "node:crypto";
import type { RefusalDetail } from "../../errors.js";
import { verifyJwsSignature } from "./jwsSignature.js";
import { OIDC_ENV_VARS, SUPPORTED_ALGORITHMS, type ResolvedOidcConfig } from "../../config.js";

/**
 * What a failed rule says about the refusal: the token is bad (forged,
 * malformed), it has expired (the client should get a new one), or it is
 * genuine and the server's settings refuse it (an operator should look).
 */
export type RefusalCause = RefusalDetail["cause"];

/** Why one rule refused a token. Claims and header values are not secrets; the token never appears here. */
export interface RuleFailure extends RefusalDetail {
  /** For the server log, e.g. `ERR_JWT_EXPIRED: "exp" claim timestamp check failed`. */
  readonly reason: string;
}

/**
 * One named check of the verifier. `JwksVerifier` runs the rules in order
 * and stops at the first failure; `ioserver-oidc explain` runs every one
 * of them on a token to show which fail and why.
 */
export interface Rule<S> {
  readonly name: string;
  /** What the rule requires, in a few words (for explain's table). */
  readonly requires: string;
  check(subject: S, config: ResolvedOidcConfig): RuleFailure | undefined;
}

/** The protected header once the header rules passed. */
export type TokenHeader = ProtectedHeaderParameters & { alg: string; kid: string | undefined };

/** What the claim rules look at: the header and payload of a token whose signature verified, and the time. */
export interface ClaimsUnderTest {
  readonly header: TokenHeader;
  readonly payload: JWTPayload;
  readonly nowMs: number;
}

/** Three base64url segments: a JWS in compact form. */
const COMPACT_JWS = /^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+$/;
/** Five dot-separated parts: an encrypted JWT (RFC 7516), named apart in the log. */
const JWE_SHAPE = /^[^.]*\.[^.]*\.[^.]*\.[^.]*\.[^.]*$/;

/** BetterAuth 1.7 session tokens: `generateId(32)`, 32 characters of [A-Za-z0-9] (its sign-in answer's `token`). */
export const BETTER_AUTH_SESSION_TOKEN = /^[A-Za-z0-9]{32}$/;
/**
 * Its session cookie's value (`better-auth.session_token`): `<token>.<signature>`, the signature a
 * base64 HMAC-SHA256 (44 characters), URL-encoded in a cookie header.
 */
export const BETTER_AUTH_SESSION_COOKIE = /^[A-Za-z0-9]{32}\.(?:[A-Za-z0-9+/]{43}=|(?:[A-Za-z0-9]|%2B|%2F){43}%3D)$/i;

/** The log reason for something that is no compact JWS, naming the likely mix-up. */
function notCompact(raw: string): string {
  if (JWE_SHAPE.test(raw)) return "a JWE (five parts), not a compact JWS: only signed JWTs are accepted";
  const sessionToken = BETTER_AUTH_SESSION_TOKEN.test(raw) || BETTER_AUTH_SESSION_COOKIE.test(raw);
  return `not a compact JWS (three base64url parts)${sessionToken ? "; it looks like a BetterAuth session token: the JWT comes from GET /api/auth/token" : ""}`;
}

const token = (rule: string, reason: string, extra: Partial<RuleFailure> = {}): RuleFailure => ({ rule, reason, cause: "token", ...extra });
const claimFailed = (message: string): string => `ERR_JWT_CLAIM_VALIDATION_FAILED: ${message}`;

/** The first rule, applied even before a cache lookup. */
export const SIZE_RULE: Rule<string> = Object.freeze<Rule<string>>({
  name: "size",
  requires: "at most AUTH_SERVICE_MAX_TOKEN_BYTES bytes",
  check: (raw, config) =>
    raw.length > config.maxTokenBytes
      ? token("size", `token longer than ${config.maxTokenBytes} bytes`, { setting: OIDC_ENV_VARS.maxTokenBytes, expected: config.maxTokenBytes, received: raw.length })
      : undefined,
});

/** The raw string is a compact JWS. */
export const SHAPE_RULE: Rule<string> = Object.freeze<Rule<string>>({
  name: "compact-jws",
  requires: "a signed JWT: three base64url parts",
  check: (raw) =>
    COMPACT_JWS.test(raw)
      ? undefined
      : token("compact-jws", notCompact(raw)),
});

export const HEADER_DECODE_RULE = Object.freeze({ name: "header", requires: "a JSON object as protected header" });

/** Decodes the protected header (a rule of its own: `HEADER_DECODE_RULE`). */
export function decodeHeader(raw: string): ProtectedHeaderParameters | RuleFailure {
  try {
    return decodeProtectedHeader(raw);
  } catch {
    return token("header", "ERR_JWS_INVALID: JWS Protected Header is invalid");
  }
}

/** The JWS rules jose's `jwtVerify` applies to the header before it looks for a key. */
export const HEADER_RULES: readonly Rule<ProtectedHeaderParameters>[] = Object.freeze([
  {
    name: "algorithm",
    requires: "alg in AUTH_SERVICE_ALGORITHMS",
    check: ({ alg }, config) => {
      if (typeof alg !== "string" || alg === "") return token("algorithm", 'ERR_JWS_INVALID: JWS "alg" (Algorithm) Header Parameter missing or invalid');
      if ((config.algorithms as string[]).includes(alg)) return undefined;
      // "none" and HS* are never allowed, whatever the settings say: that is the token's fault, not the server's.
      const cause = (SUPPORTED_ALGORITHMS as readonly string[]).includes(alg) ? "settings" : "token";
      return {
        rule: "algorithm",
        reason: 'ERR_JOSE_ALG_NOT_ALLOWED: "alg" (Algorithm) Header Parameter value not allowed',
        cause,
        setting: OIDC_ENV_VARS.algorithms,
        expected: config.algorithms,
        received: alg,
      };
    },
  },
  {
    name: "crit",
    requires: 'no critical extension but "b64": true',
    // The only extension a JWS may mark critical is "b64" (RFC 7797), and a JWT must keep its payload encoded.
    check: (header) =>
      header.crit === undefined || (Array.isArray(header.crit) && header.crit.length > 0 && header.crit.every((name) => name === "b64") && header.b64 === true)
        ? undefined
        : token("crit", 'ERR_JOSE_NOT_SUPPORTED: "crit" (Critical) Header Parameter lists an extension that is not supported'),
  },
  {
    name: "kid",
    requires: "kid, if present, a string",
    check: ({ kid }) => (kid === undefined || typeof kid === "string" ? undefined : token("kid", '"kid" must be a string')),
  },
]);

export const PAYLOAD_DECODE_RULE = Object.freeze({ name: "payload", requires: "a JSON object as claims set" });

/** Decodes the payload of a token whose signature verified (a rule of its own: `PAYLOAD_DECODE_RULE`). */
export function decodePayload(raw: string): JWTPayload | RuleFailure {
  try {
    return decodeJwt(raw);
  } catch {
    return token("payload", "ERR_JWT_INVALID: JWT Claims Set must be a top-level JSON object");
  }
}

/** jose's NumericDate rule: absent is fine unless required, present must be a number. */
function numericDate(rule: string, payload: JWTPayload, claim: "exp" | "nbf" | "iat", required: boolean): number | RuleFailure | undefined {
  const value = payload[claim];
  if (value === undefined) return required ? token(rule, claimFailed(`missing required "${claim}" claim`)) : undefined;
  return typeof value === "number" ? value : token(rule, claimFailed(`"${claim}" claim must be a number`), { received: value });
}

const isFailure = (value: unknown): value is RuleFailure => typeof value === "object" && value !== null && "cause" in value;
const epochSeconds = (nowMs: number): number => Math.floor(nowMs / 1000);

/** RFC 7515 §4.1.9: media types compare case-insensitively and "application/" may be omitted. */
export function normalizeMediaType(value: string): string {
  const lower = value.toLowerCase();
  return lower.startsWith("application/") ? lower.slice("application/".length) : lower;
}

/**
 * The claim rules of RFC 7519, RFC 8725 and, when configured, RFC 9068,
 * with jose's semantics (`iss` compared exactly, `aud` string or array,
 * NumericDates with the clock tolerance), run on a token whose signature
 * verified.
 */
export const CLAIM_RULES: readonly Rule<ClaimsUnderTest>[] = Object.freeze([
  {
    name: "issuer",
    requires: "iss equals AUTH_SERVICE_ISSUER",
    check: ({ payload }, config) => {
      if (!Object.hasOwn(payload, "iss")) return token("issuer", claimFailed('missing required "iss" claim'), { setting: OIDC_ENV_VARS.issuer, expected: config.issuer });
      if (payload.iss === config.issuer) return undefined;
      return { rule: "issuer", reason: claimFailed('unexpected "iss" claim value'), cause: "settings", setting: OIDC_ENV_VARS.issuer, expected: config.issuer, received: payload.iss };
    },
  },
  {
    name: "audience",
    requires: "aud contains AUTH_SERVICE_AUDIENCE",
    check: ({ payload }, config) => {
      const { aud } = payload;
      if (!Object.hasOwn(payload, "aud")) return token("audience", claimFailed('missing required "aud" claim'), { setting: OIDC_ENV_VARS.audience, expected: config.audience });
      if (aud === config.audience || (Array.isArray(aud) && aud.includes(config.audience))) return undefined;
      return { rule: "audience", reason: claimFailed('unexpected "aud" claim value'), cause: "settings", setting: OIDC_ENV_VARS.audience, expected: config.audience, received: aud };
    },
  },
  {
    name: "subject",
    requires: "sub a non-empty string",
    check: ({ payload }) => {
      if (!Object.hasOwn(payload, "sub")) return token("subject", claimFailed('missing required "sub" claim'));
      return typeof payload.sub === "string" && payload.sub !== "" ? undefined : token("subject", '"sub" must be a non-empty string', { received: payload.sub });
    },
  },
  {
    name: "expiry",
    requires: "exp after now - AUTH_SERVICE_CLOCK_TOLERANCE",
    check: ({ payload, nowMs }, config) => {
      const exp = numericDate("expiry", payload, "exp", true);
      if (exp === undefined || isFailure(exp)) return exp;
      if (exp > epochSeconds(nowMs) - config.clockToleranceSeconds) return undefined;
      return { rule: "expiry", reason: 'ERR_JWT_EXPIRED: "exp" claim timestamp check failed', cause: "expired", received: exp };
    },
  },
  {
    name: "not-before",
    requires: "nbf, if present, before now + AUTH_SERVICE_CLOCK_TOLERANCE",
    check: ({ payload, nowMs }, config) => {
      const nbf = numericDate("not-before", payload, "nbf", false);
      if (nbf === undefined || isFailure(nbf)) return nbf;
      return nbf > epochSeconds(nowMs) + config.clockToleranceSeconds ? token("not-before", claimFailed('"nbf" claim timestamp check failed'), { received: nbf }) : undefined;
    },
  },
  {
    name: "issued-at",
    requires: "iat, if present, a number not in the future",
    check: ({ payload, nowMs }, config) => {
      const iat = numericDate("issued-at", payload, "iat", config.maxTokenAgeSeconds !== undefined);
      if (iat === undefined || isFailure(iat)) return iat;
      return iat > nowMs / 1000 + config.clockToleranceSeconds ? token("issued-at", '"iat" is in the future', { received: iat }) : undefined;
    },
  },
  {
    name: "max-token-age",
    requires: "iat within AUTH_SERVICE_MAX_TOKEN_AGE, when set",
    check: ({ payload, nowMs }, config) => {
      const max = config.maxTokenAgeSeconds;
      if (max === undefined || typeof payload.iat !== "number") return undefined;
      if (epochSeconds(nowMs) - payload.iat - config.clockToleranceSeconds <= max) return undefined;
      return { rule: "max-token-age", reason: 'ERR_JWT_EXPIRED: "iat" claim timestamp check failed (too far in the past)', cause: "expired", setting: OIDC_ENV_VARS.maxTokenAgeSeconds, expected: max, received: payload.iat };
    },
  },
  {
    name: "unencoded-payload",
    requires: 'no "b64" header other than true',
    // jose honours b64 only when listed in crit; an unencoded payload never makes a JWT (RFC 7797 §7), listed or not.
    check: ({ header }) => ("b64" in header && header.b64 !== true ? token("unencoded-payload", 'header "b64" other than true is refused') : undefined),
  },
  {
    name: "nested-jwt",
    requires: "cty not JWT",
    // A signed JWT wrapping another JWT is not an access token (RFC 8725 §2.8).
    check: ({ header }) => (typeof header.cty === "string" && normalizeMediaType(header.cty) === "jwt" ? token("nested-jwt", "nested JWTs are refused") : undefined),
  },
  {
    name: "token-type",
    requires: "typ in AUTH_SERVICE_TOKEN_TYPES, when set",
    check: ({ header }, config) => {
      if (config.tokenTypes.length === 0) return undefined;
      const typ = typeof header.typ === "string" ? normalizeMediaType(header.typ) : undefined;
      if (typ !== undefined && config.tokenTypes.some((t) => normalizeMediaType(t) === typ)) return undefined;
      return { rule: "token-type", reason: `header "typ" must be one of ${config.tokenTypes.join(", ")}`, cause: "settings", setting: OIDC_ENV_VARS.tokenTypes, expected: config.tokenTypes, received: header.typ };
    },
  },
  {
    name: "authorized-party",
    requires: "azp (else client_id) in AUTH_SERVICE_AUTHORIZED_PARTIES, when set",
    check: ({ payload }, config) => {
      if (config.authorizedParties.length === 0) return undefined;
      const party = typeof payload.azp === "string" ? payload.azp : payload.client_id;
      if (typeof party === "string" && config.authorizedParties.includes(party)) return undefined;
      return {
        rule: "authorized-party",
        reason: '"azp"/"client_id" is not an authorized party',
        cause: "settings",
        setting: OIDC_ENV_VARS.authorizedParties,
        expected: config.authorizedParties,
        received: party,
      };
    },
  },
]);

/** Between the header and the claims: a key of the configured JWKS (`RemoteKeySet.getKey`), then the signature with it. */
export const KEY_RULE = Object.freeze({ name: "key", requires: "a key of AUTH_SERVICE_JWKS_URI matches kid and alg" });

export const SIGNATURE_RULE = Object.freeze({
  name: "signature",
  requires: "the signature verifies with that key",
  async check(raw: string, alg: string, key: KeyObject): Promise<RuleFailure | undefined> {
    const [encodedHeader = "", encodedPayload = "", encodedSignature = ""] = raw.split(".");
    const signingInput = Buffer.from(`${encodedHeader}.${encodedPayload}`, "latin1");
    if (await verifyJwsSignature(alg, key, signingInput, Buffer.from(encodedSignature, "base64url"))) return undefined;
    return token("signature", "ERR_JWS_SIGNATURE_VERIFICATION_FAILED: signature verification failed");
  },
});

/** Every rule name, in the order the verifier applies them. */
export const RULE_NAMES: readonly string[] = Object.freeze([
  SIZE_RULE.name,
  SHAPE_RULE.name,
  HEADER_DECODE_RULE.name,
  ...HEADER_RULES.map((r) => r.name),
  KEY_RULE.name,
  SIGNATURE_RULE.name,
  PAYLOAD_DECODE_RULE.name,
  ...CLAIM_RULES.map((r) => r.name),
]);

export { isFailure as isRuleFailure };

import type { KeyObject } from "node:crypto";
import { decodeJwt, decodeProtectedHeader, errors, type JWTPayload, type ProtectedHeaderParameters } from "jose";
import { OIDC_ENV_VARS, SUPPORTED_ALGORITHMS } from "../../config.js";
import { CLAIM_RULES } from "./claimRules.js";
import { verifyJwsSignature } from "./jwsSignature.js";
import { tokenFailure, type Rule, type RuleFailure } from "./rule.js";

export { isRuleFailure, tokenFailure, type RefusalKind, type Rule, type RuleFailure, type TokenHeader } from "./rule.js";

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

/** The first rule, applied even before a cache lookup. */
export const SIZE_RULE: Rule<string> = Object.freeze<Rule<string>>({
  name: "size",
  requires: "at most AUTH_SERVICE_MAX_TOKEN_BYTES bytes",
  check: (raw, config) => {
    if (raw.length <= config.maxTokenBytes) return undefined;
    const reason = `token longer than ${config.maxTokenBytes} bytes`;
    return tokenFailure("size", new errors.JWSInvalid(reason), { reason, setting: OIDC_ENV_VARS.maxTokenBytes, expected: config.maxTokenBytes, received: raw.length });
  },
});

/** The raw string is a compact JWS. */
export const SHAPE_RULE: Rule<string> = Object.freeze<Rule<string>>({
  name: "compact-jws",
  requires: "a signed JWT: three base64url parts",
  check: (raw) => {
    if (COMPACT_JWS.test(raw)) return undefined;
    const reason = notCompact(raw);
    return tokenFailure("compact-jws", new errors.JWSInvalid(reason), { reason });
  },
});

export const HEADER_DECODE_RULE = Object.freeze({ name: "header", requires: "a JSON object as protected header" });

/** Decodes the protected header (a rule of its own: `HEADER_DECODE_RULE`). */
export function decodeHeader(raw: string): ProtectedHeaderParameters | RuleFailure {
  try {
    return decodeProtectedHeader(raw);
  } catch {
    return tokenFailure("header", new errors.JWSInvalid("JWS Protected Header is invalid"));
  }
}

/** The JWS rules jose's `jwtVerify` applies to the header before it looks for a key. */
export const HEADER_RULES: readonly Rule<ProtectedHeaderParameters>[] = Object.freeze([
  {
    name: "algorithm",
    requires: "alg in AUTH_SERVICE_ALGORITHMS",
    check: ({ alg }, config) => {
      if (typeof alg !== "string" || alg === "") return tokenFailure("algorithm", new errors.JWSInvalid('JWS "alg" (Algorithm) Header Parameter missing or invalid'));
      if ((config.algorithms as string[]).includes(alg)) return undefined;
      // "none" and HS* are never allowed, whatever the settings say: that is the token's fault, not the server's.
      const kind = (SUPPORTED_ALGORITHMS as readonly string[]).includes(alg) ? "settings" : "token";
      const jose = new errors.JOSEAlgNotAllowed('"alg" (Algorithm) Header Parameter value not allowed');
      return { ...tokenFailure("algorithm", jose), kind, setting: OIDC_ENV_VARS.algorithms, expected: config.algorithms, received: alg };
    },
  },
  {
    name: "crit",
    requires: 'no critical extension but "b64": true',
    // The only extension a JWS may mark critical is "b64" (RFC 7797), and a JWT must keep its payload encoded.
    check: (header) =>
      header.crit === undefined || (Array.isArray(header.crit) && header.crit.length > 0 && header.crit.every((name) => name === "b64") && header.b64 === true)
        ? undefined
        : tokenFailure("crit", new errors.JOSENotSupported('"crit" (Critical) Header Parameter lists an extension that is not supported')),
  },
  {
    name: "kid",
    requires: "kid, if present, a string",
    check: ({ kid }) => {
      if (kid === undefined || typeof kid === "string") return undefined;
      const reason = '"kid" must be a string';
      return tokenFailure("kid", new errors.JWSInvalid(reason), { reason });
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
    return tokenFailure("signature", new errors.JWSSignatureVerificationFailed());
  },
});

export const PAYLOAD_DECODE_RULE = Object.freeze({ name: "payload", requires: "a JSON object as claims set" });

/** Decodes the payload (a rule of its own: `PAYLOAD_DECODE_RULE`); before the signature check only the issuer rule may read it. */
export function decodePayload(raw: string): JWTPayload | RuleFailure {
  try {
    return decodeJwt(raw);
  } catch {
    return tokenFailure("payload", new errors.JWTInvalid("JWT Claims Set must be a top-level JSON object"));
  }
}

export { CLAIM_RULES, ISSUER_RULE, untrustedIssuer, type ClaimsUnderTest } from "./claimRules.js";

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

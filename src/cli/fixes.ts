import type { JWTPayload } from "jose";
import { SUPPORTED_ALGORITHMS, type ResolvedOidcConfig } from "../config.js";
import type { RuleFailure } from "../services/verification/rules.js";
import type { CliEnvironment } from "./environment.js";
import { show, showTime } from "./format.js";
import { settingLabel } from "./settings.js";

export interface FixContext {
  readonly config: ResolvedOidcConfig;
  readonly environment: CliEnvironment;
  readonly payload: JWTPayload | undefined;
  readonly nowMs: number;
  /** The signature verified with a key of the configured JWKS: the claims are the issuer's own. */
  readonly genuine: boolean;
  /** The key lookup failed because the JWKS could not be fetched (503), not because no key matched. */
  readonly unavailable: boolean;
}

const LOOPBACK_ALIASES = new Set(["localhost", "127.0.0.1", "[::1]"]);

function hostOf(value: unknown): string | undefined {
  try {
    return typeof value === "string" ? new URL(value).hostname : undefined;
  } catch {
    return undefined;
  }
}

/** Why two issuer strings differ, when it is one of the usual reasons. */
function issuerHint(received: unknown, expected: string): string | undefined {
  if (typeof received !== "string") return undefined;
  if (received.replace(/\/+$/, "") === expected.replace(/\/+$/, "")) return "they differ only by a trailing slash, and iss is compared exactly";
  const [a, b] = [hostOf(received), hostOf(expected)];
  if (a && b && a !== b && LOOPBACK_ALIASES.has(a) && LOOPBACK_ALIASES.has(b)) {
    return `${a} and ${b} are the same machine but different strings: the issuer writes its own base URL (BetterAuth: its baseURL option), use the same one on both sides`;
  }
  if (/\/api\/auth\/?$/.test(received) !== /\/api\/auth\/?$/.test(expected)) return "one has /api/auth and the other not (BetterAuth's iss is its baseURL, without /api/auth)";
  return undefined;
}

/**
 * The line explain prints under a failed rule: what the token has, what
 * the setting says, and what to change. Values are claims and settings,
 * never the token.
 */
export function fixFor(failure: RuleFailure, context: FixContext): string {
  const { config, environment } = context;
  const label = (variable: string | undefined): string => (variable ? settingLabel(variable, config, environment) : "the setting");
  const set = `${label(failure.setting)} is ${show(failure.expected)}`;
  const trusted = context.genuine ? "" : " (the signature did not verify: fix that first, or this is not your issuer's token)";
  switch (failure.rule) {
    case "size":
      return `the token is ${String(failure.received)} bytes, ${set}: raise it if your issuer's tokens are this large`;
    case "compact-jws":
      return failure.reason.includes("JWE")
        ? "this is an encrypted token (JWE): configure the issuer to sign access tokens without encrypting them"
        : "this is not a JWT (three base64url parts separated by dots): check what is sent as the Bearer token";
    case "header":
      return "the first part does not decode to a JSON object: this is not a JWT";
    case "algorithm": {
      if (typeof failure.received !== "string") return "the header has no alg: this is not a signed JWT";
      if (!(SUPPORTED_ALGORITHMS as readonly string[]).includes(failure.received)) {
        return `alg is ${show(failure.received)}: never accepted (only asymmetric signatures: ${SUPPORTED_ALGORITHMS.join(", ")})`;
      }
      return `alg is ${show(failure.received)}, ${set}: add ${failure.received} to ${failure.setting ?? "the list"} if your issuer signs with it`;
    }
    case "crit":
      return "the header marks an extension critical that the verifier does not implement";
    case "kid":
      return "the header's kid is not a string";
    case "key":
      if (context.unavailable) return `the keys could not be had (${failure.reason}): run \`npx ioserver-oidc doctor\``;
      return `no key of ${config.jwksUri === undefined ? "the discovered JWKS" : `${label("AUTH_SERVICE_JWKS_URI")} = ${show(config.jwksUri)}`} has this kid and alg (${failure.reason}): the token comes from another issuer, or AUTH_SERVICE_JWKS_URI points at another key set`;
    case "signature":
      return "the signature does not verify with the published key of this kid: the token was altered, or signed by someone else";
    case "payload":
      return "the second part does not decode to a JSON object: this is not a JWT";
    case "issuer": {
      if (failure.received === undefined) return `the token has no iss; ${set}`;
      const hint = issuerHint(failure.received, config.issuer);
      return `iss is ${show(failure.received)}, ${set}${hint ? `: ${hint}` : ""}${trusted}`;
    }
    case "audience": {
      if (failure.received === undefined) return `the token has no aud; ${set}`;
      const aud = failure.received;
      const looksLikeBaseUrl = typeof context.payload?.iss === "string" && (aud === context.payload.iss || (Array.isArray(aud) && aud.includes(context.payload.iss)));
      const hint = looksLikeBaseUrl
        ? `: the token's aud is its issuer's URL, BetterAuth's default: set \`jwt: { audience: ${show(config.audience)} }\` in BetterAuth's jwt plugin, or AUTH_SERVICE_AUDIENCE to that URL`
        : "";
      return `aud is ${show(aud)}, ${set}${hint}${trusted}`;
    }
    case "subject":
      return `sub is ${show(failure.received)}: the token must name its subject`;
    case "expiry":
      if (typeof failure.received !== "number") return failure.reason.includes("missing") ? "the token has no exp: access tokens must expire" : "exp is not a number";
      return `exp is ${showTime(failure.received, context.nowMs)}, AUTH_SERVICE_CLOCK_TOLERANCE is ${config.clockToleranceSeconds} s: get a new token (BetterAuth: GET /api/auth/token)`;
    case "not-before":
      return `nbf is ${showTime(failure.received, context.nowMs)}: not valid yet; the issuer's clock may be ahead of this one (AUTH_SERVICE_CLOCK_TOLERANCE is ${config.clockToleranceSeconds} s)`;
    case "issued-at":
      return typeof failure.received === "number"
        ? `iat is ${showTime(failure.received, context.nowMs)}: issued in the future; the issuer's clock is ahead of this one (AUTH_SERVICE_CLOCK_TOLERANCE is ${config.clockToleranceSeconds} s)`
        : `iat is ${show(failure.received)}: ${failure.reason}`;
    case "max-token-age":
      return `iat is ${showTime(failure.received, context.nowMs)}, ${set} s: get a new token, or raise the maximum age`;
    case "unencoded-payload":
      return 'the header has "b64" other than true (an unencoded payload): never accepted in a JWT';
    case "nested-jwt":
      return "cty says the payload is another JWT: nested JWTs are not access tokens";
    case "token-type":
      return `typ is ${show(failure.received)}, ${set}: ask the issuer for access tokens of that type, or change the list${trusted}`;
    case "authorized-party":
      return `azp (else client_id) is ${show(failure.received)}, ${set}: add that client to the list if it may call this API${trusted}`;
    default:
      return failure.reason;
  }
}

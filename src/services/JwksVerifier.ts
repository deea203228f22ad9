import { inject, injectable } from "tsyringe";
import { errors as joseErrors, jwtVerify, type JWTHeaderParameters, type JWTPayload } from "jose";
import type { OidcConfig } from "../config.js";
import { ERR_AUTH_TOKEN_INVALID, OidcError } from "../errors.js";
import { TOKENS } from "../tokens.js";
import type { VerifiedClaims } from "../types.js";
import type { Clock } from "./Clock.js";
import type { ConfigService } from "./ConfigService.js";
import type { KeySetRegistry } from "./KeySetRegistry.js";

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

const invalid = (reason: string): OidcError => new OidcError(ERR_AUTH_TOKEN_INVALID, { reason });

/**
 * The default verifier: signature against the configured JWKS (via jose),
 * then the claim rules of RFC 7519, RFC 8725 and, when configured, RFC 9068.
 */
@injectable()
export class JwksVerifier implements TokenVerifier {
  constructor(
    @inject(TOKENS.ConfigService) private readonly configService: ConfigService,
    @inject(TOKENS.KeySetRegistry) private readonly keySets: KeySetRegistry,
    @inject(TOKENS.Clock) private readonly clock: Clock,
  ) {}

  /** Validates the configuration and loads the JWKS. */
  async ready(): Promise<void> {
    await this.keySets.get(this.configService.get()).ready();
  }

  async verify(token: string): Promise<VerifiedClaims> {
    const config = this.configService.get();
    // Size and shape are checked before any decoding or crypto.
    if (typeof token !== "string" || token.length > config.maxTokenBytes) throw invalid(`token longer than ${config.maxTokenBytes} bytes`);
    if (!COMPACT_JWS.test(token)) throw invalid(JWE_SHAPE.test(token) ? "a JWE (five parts), not a compact JWS: only signed JWTs are accepted" : "not a compact JWS (three base64url parts)");

    const keySet = this.keySets.get(config);
    const nowMs = this.clock.now();
    let payload: JWTPayload;
    let header: JWTHeaderParameters;
    try {
      ({ payload, protectedHeader: header } = await jwtVerify(token, (h) => keySet.getKey(h.alg, h.kid), {
        algorithms: config.algorithms,
        issuer: config.issuer,
        audience: config.audience,
        clockTolerance: config.clockToleranceSeconds,
        maxTokenAge: config.maxTokenAgeSeconds,
        requiredClaims: ["exp", "sub", "iss"],
        currentDate: new Date(nowMs),
      }));
    } catch (error) {
      if (error instanceof OidcError) throw error;
      throw invalid(error instanceof joseErrors.JOSEError ? `${error.code}: ${error.message}` : String(error));
    }
    checkClaims(config, header, payload, nowMs / 1000);
    return payload as VerifiedClaims;
  }
}

/** The rules jose does not apply itself. */
function checkClaims(config: OidcConfig, header: JWTHeaderParameters, payload: JWTPayload, now: number): void {
  if (typeof payload.sub !== "string" || payload.sub === "") throw invalid('"sub" must be a non-empty string');
  // jose honours b64 only when listed in crit; an unencoded payload never makes a JWT (RFC 7797 §7), listed or not.
  if ("b64" in header && header.b64 !== true) throw invalid('header "b64" other than true is refused');
  // A signed JWT wrapping another JWT is not an access token (RFC 8725 §2.8).
  if (typeof header.cty === "string" && normalizeMediaType(header.cty) === "jwt") throw invalid("nested JWTs are refused");
  if (typeof payload.iat === "number" && payload.iat > now + config.clockToleranceSeconds) throw invalid('"iat" is in the future');
  if (config.tokenTypes.length > 0) {
    const typ = typeof header.typ === "string" ? normalizeMediaType(header.typ) : undefined;
    if (typ === undefined || !config.tokenTypes.some((t) => normalizeMediaType(t) === typ)) {
      throw invalid(`header "typ" must be one of ${config.tokenTypes.join(", ")}`);
    }
  }
  if (config.authorizedParties.length > 0) {
    const party = typeof payload.azp === "string" ? payload.azp : payload.client_id;
    if (typeof party !== "string" || !config.authorizedParties.includes(party)) throw invalid('"azp"/"client_id" is not an authorized party');
  }
}

/** RFC 7515 §4.1.9: media types compare case-insensitively and "application/" may be omitted. */
function normalizeMediaType(value: string): string {
  const lower = value.toLowerCase();
  return lower.startsWith("application/") ? lower.slice("application/".length) : lower;
}

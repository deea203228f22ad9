import { inject, injectable } from "tsyringe";
import { errors, type JWTPayload } from "jose";
import { TOKENS } from "../../tokens.js";
import type { Clock } from "../Clock.js";
import type { ConfigService } from "../ConfigService.js";
import type { KeySetRegistry } from "../keys/KeySetRegistry.js";
import { trustedIssuers } from "../keys/trustedIssuers.js";
import { BACKCHANNEL_LOGOUT_EVENT, checkLifetime, invalid, normalizeMediaType, selectIssuer, verifySignedJwt, type Header } from "./signedJwt.js";

/** The claims of a valid logout token that the logout acts on. */
export interface LogoutClaims {
  readonly iss: string;
  readonly iat: number;
  readonly exp: number;
  readonly jti: string;
  /** At least one of `sub` and `sid` is present. */
  readonly sub?: string;
  readonly sid?: string;
}

const isObject = (value: unknown): value is Record<string, unknown> => value !== null && typeof value === "object" && !Array.isArray(value);

/**
 * Validates a back-channel logout token as OpenID Connect Back-Channel
 * Logout 1.0 §2.6 lists it, on the same signature and claim code as access
 * tokens (`verifySignedJwt`): the issuer's JWKS and algorithm allowlist, a
 * JWE refused (encrypted logout tokens are not supported); `iss`, `aud`
 * (`logoutAudience`), `iat`, `exp` required and checked as for ID tokens,
 * with `jti`, which §2.4 requires and replay detection needs; then the
 * logout token's own rules, each step in the order the spec gives it.
 * Replay (a `jti` seen before) is the caller's check: it needs the store.
 */
@injectable()
export class LogoutTokenVerifier {
  constructor(
    @inject(TOKENS.ConfigService) private readonly configService: ConfigService,
    @inject(TOKENS.KeySetRegistry) private readonly keySets: KeySetRegistry,
    @inject(TOKENS.Clock) private readonly clock: Clock,
  ) {}

  async verify(token: string): Promise<LogoutClaims> {
    const settings = this.configService.get();
    if (typeof token !== "string" || token.length > settings.maxTokenBytes) throw invalid(`token longer than ${settings.maxTokenBytes} bytes`, errors.JWSInvalid);
    // Any trusted issuer may log its sessions out; its own keys and rules apply, as for access tokens.
    const several = trustedIssuers(settings).length > 1;
    const config = several ? selectIssuer(settings, token) : settings;
    const nowMs = this.clock.now();
    const { header, payload } = await verifySignedJwt(config, () => this.keySets.keySetFor(config), token, nowMs, {
      audience: config.logoutAudience,
      requiredClaims: ["iss", "aud", "iat", "exp", "jti"],
    }, several);
    checkType(header, config.logoutRequireTyp);
    const { sub, sid, jti } = payload;
    if (sub === undefined && sid === undefined) throw invalid('a logout token needs "sub", "sid" or both');
    if (sub !== undefined && (typeof sub !== "string" || sub === "")) throw invalid('"sub" must be a non-empty string');
    if (sid !== undefined && (typeof sid !== "string" || sid === "")) throw invalid('"sid" must be a non-empty string');
    checkEvents(payload);
    // Forbidden so that a logout token can never pass for an ID token in an authentication response.
    if ("nonce" in payload) throw invalid('a logout token must not contain "nonce"');
    if (typeof jti !== "string" || jti === "") throw invalid('"jti" must be a non-empty string');
    // The jti is remembered until exp: a token claiming to live longer than any token is refused.
    checkLifetime(config, payload, nowMs);
    return Object.freeze({ iss: payload.iss as string, iat: payload.iat as number, exp: payload.exp as number, jti, sub, sid });
  }
}

/** `typ`: `logout+jwt` (§2.4, explicit typing); a plain `JWT` or none only when it is not required; anything else is another kind of token. */
function checkType(header: Header, required: boolean): void {
  const typ = typeof header.typ === "string" ? normalizeMediaType(header.typ) : header.typ;
  if (typ === "logout+jwt") return;
  if (required) throw invalid('header "typ" must be "logout+jwt"');
  if (typ !== undefined && typ !== "jwt") throw invalid(`header "typ" ${JSON.stringify(header.typ)} is not a logout token's`);
}

/** `events` must be a JSON object whose back-channel logout member is a JSON object. */
function checkEvents(payload: JWTPayload): void {
  const { events } = payload;
  if (events === undefined) throw invalid('a logout token needs an "events" claim');
  if (!isObject(events)) throw invalid('"events" must be a JSON object');
  if (!Object.prototype.hasOwnProperty.call(events, BACKCHANNEL_LOGOUT_EVENT)) throw invalid(`"events" has no member ${BACKCHANNEL_LOGOUT_EVENT}`);
  if (!isObject(events[BACKCHANNEL_LOGOUT_EVENT])) throw invalid(`"events" member ${BACKCHANNEL_LOGOUT_EVENT} must be a JSON object`);
}

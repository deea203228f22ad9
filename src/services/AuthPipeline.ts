import { inject, injectable } from "tsyringe";
import type { Logger } from "pino";
import {
  ERR_AUTH_MISCONFIGURED,
  ERR_AUTH_TOKEN_INVALID,
  ERR_AUTH_TOKEN_REQUIRED,
  ERR_AUTH_UNAVAILABLE,
  ERR_FORBIDDEN,
  ERR_USER_DISABLED,
  ERR_USER_PROVISION_FAILED,
  dpopRefusal,
  OidcError,
  toOidcError,
  type AuthScheme,
  type OfferedSchemes,
} from "../errors.js";
import { DPOP_DEFAULTS, type DpopSettings, type RoleSource } from "../config.js";
import type { DpopProofVerifier, DpopTarget } from "./verification/DpopProofVerifier.js";
import { TOKENS } from "../tokens.js";
import type { ConfigService } from "./ConfigService.js";
import type { AuthenticatedUserContext, VerifiedClaims } from "../types.js";
import { localRoleOf, profileFromClaims, recordedUserContext } from "./verification/claims.js";
import type { TokenVerifier } from "./verification/JwksVerifier.js";
import type { UserProvisioner } from "./UserProvisioner.js";
import type { Clock } from "./Clock.js";
import { settingRefusalLog } from "./logger.js";
import { REVOKED, type RevocationStore } from "./sessions/RevocationStore.js";
import { checkProvisionedUser } from "./provisionedUser.js";
import { publishAuthenticated, publishRefused } from "./diagnostics.js";

/** The outcome of a successful authentication. */
export interface AuthResult {
  readonly context: AuthenticatedUserContext;
  readonly claims: VerifiedClaims;
  /** The role the provisioner gave, if any (the context's `userRole`; what role checks read under `"local-first"`). */
  readonly localRole: string | undefined;
  /** The rule role checks apply to this user (`AUTH_SERVICE_ROLE_SOURCE`); absent means `"token"`. See `holdsRole`. */
  readonly roleSource?: RoleSource;
  /** A fresh DPoP nonce for the client (nonces on, and its proof did not carry the current one). */
  readonly dpopNonce?: string;
  /** The scheme the token was presented with; absent means Bearer. A guard's refusal puts its error on it (RFC 9449 §7.1). */
  readonly scheme?: AuthScheme;
}

/**
 * A credential as a transport read it: a bearer token, or a DPoP-bound
 * token with its proof and the request the proof must be for.
 */
export interface PresentedCredential {
  readonly scheme: AuthScheme;
  readonly token: string | undefined;
  /** The DPoP proof JWT (`DPoP` header, `auth.dpop`); DPoP scheme only. */
  readonly proof?: string | undefined;
  /** The request the proof must name in `htm`/`htu`; DPoP scheme only. */
  readonly target?: DpopTarget | undefined;
}

/**
 * The one authentication pipeline both transports share:
 * verify → refuse revoked tokens → provision → refuse disabled users →
 * build the context.
 * It knows nothing of HTTP or Socket.IO; the adapters only extract the
 * token and report the outcome.
 */
@injectable()
export class AuthPipeline {
  constructor(
    @inject(TOKENS.JwksVerifier) private readonly verifier: TokenVerifier,
    @inject(TOKENS.UserProvisioner) private readonly provisioner: UserProvisioner,
    @inject(TOKENS.Logger) private readonly logger: Logger,
    @inject(TOKENS.RevocationStore) private readonly revocations: RevocationStore,
    @inject(TOKENS.Clock) private readonly clock: Clock,
    @inject(TOKENS.DpopProofVerifier) private readonly dpop: DpopProofVerifier,
    @inject(TOKENS.ConfigService) private readonly config: ConfigService,
  ) {}

  /**
   * Authenticates the token `extract` reads (a transport's credential
   * extraction; `undefined` when the client sent none), so a malformed
   * credential is refused and logged the same way as a bad token. Always
   * settles with an `AuthResult` or an `OidcError`, logged once.
   *
   * @example
   * ```ts
   * const { context } = await pipeline.authenticateRequest(() => rawToken, "http");
   * ```
   */
  async authenticateRequest(extract: () => string | PresentedCredential | undefined, transport: string): Promise<AuthResult> {
    // Read only when needed: a failing configuration is then asked once per request, by the verifier.
    let settings: DpopSettings | undefined;
    const dpop = (): DpopSettings => (settings ??= dpopSettingsOf(this.config));
    try {
      const extracted = extract();
      let credential = typeof extracted === "string" ? { scheme: "Bearer" as const, token: extracted } : extracted;
      // With DPoP disabled the scheme is not recognised: as in 0.1.x, no token was presented.
      if (credential?.scheme === "DPoP" && dpop().dpop === "disabled") credential = undefined;
      const token = credential?.token;
      if (credential === undefined || token === undefined || token === "") throw new OidcError(ERR_AUTH_TOKEN_REQUIRED);
      const { claims, dpopNonce } = await this.verifyCredential(dpop, credential.scheme, token, credential);
      // After the verifier, so a token its cache answered for is checked too; in-process, no I/O.
      if (this.revocations.isRevoked(claims, this.clock.now())) throw new OidcError(ERR_AUTH_TOKEN_INVALID, REVOKED);
      let user;
      try {
        const answer = await this.provisioner.findOrCreate(claims.sub, profileFromClaims(claims));
        // An answer of another shape, or with a disabled flag under another name, refuses (fail closed);
        // one that throws while it is read (an entity's getter) is the provisioner's fault too, not the token's.
        user = checkProvisionedUser(answer);
      } catch (error) {
        throw toOidcError(error, ERR_USER_PROVISION_FAILED);
      }
      if (user?.isDisabled) throw new OidcError(ERR_USER_DISABLED, { reason: "provisioner reports the account disabled" });
      publishAuthenticated(transport, claims);
      // The recorded identity: the transports only hand out copies of it (attachAuth, getAuth), so no handler can change it.
      const result: AuthResult = { context: recordedUserContext(claims, user), claims, localRole: localRoleOf(user), roleSource: this.roleSource() };
      if (credential.scheme === "Bearer") return Object.freeze(result);
      return Object.freeze(dpopNonce === undefined ? { ...result, scheme: credential.scheme } : { ...result, scheme: credential.scheme, dpopNonce });
    } catch (error) {
      const refusal = clientSafe(toOidcError(error, ERR_AUTH_TOKEN_INVALID));
      // Server faults carry no challenge: nothing to offer.
      if (refusal.statusCode < 500) refusal.offer(offeredBy(dpop()));
      if (refusal.detail?.kind === "settings") logSettingRefusal(this.logger, this.clock, refusal, transport);
      else logRefusal(this.logger, refusal, { transport });
      publishRefused(transport, refusal);
      throw refusal;
    }
  }

  /**
   * The token's claims, and the binding of sender and token: under the
   * DPoP scheme the proof is checked on every request (the verifier's cache
   * may skip the token's own signature, never the proof), the token's
   * `cnf.jkt` must be the proof key's thumbprint and the proof is then used
   * up; under Bearer a DPoP-bound token is refused in every mode
   * (RFC 9449 §7.2), and any token in "required" mode.
   */
  private async verifyCredential(dpop: () => DpopSettings, scheme: AuthScheme, token: string, credential: PresentedCredential): Promise<{ claims: VerifiedClaims; dpopNonce?: string }> {
    if (scheme === "Bearer") {
      const claims = await this.verify(token, scheme);
      if (dpop().dpop === "required") {
        throw new OidcError(ERR_AUTH_TOKEN_INVALID, { message: "This resource requires a DPoP-bound token and proof (Authorization: DPoP)", reason: "Bearer token while AUTH_SERVICE_DPOP=required", scheme });
      }
      if (boundThumbprint(claims) !== undefined) {
        throw new OidcError(ERR_AUTH_TOKEN_INVALID, { message: "A DPoP-bound token must be sent with the DPoP scheme and a proof", reason: "DPoP-bound token (cnf.jkt) presented as Bearer", scheme });
      }
      return { claims };
    }
    const proof = await this.dpop.check(dpop(), credential.proof, credential.target, token);
    const claims = await this.verify(token, scheme);
    const jkt = boundThumbprint(claims);
    if (jkt === undefined) throw dpopRefusal("invalid_token", "The access token is not DPoP-bound (no cnf.jkt)", "DPoP scheme with a token without cnf.jkt");
    if (jkt !== proof.jkt) throw dpopRefusal("invalid_token", "Invalid DPoP key binding", "cnf.jkt is not the thumbprint of the proof's key");
    await this.dpop.claim(proof);
    return proof.nextNonce === undefined ? { claims } : { claims, dpopNonce: proof.nextNonce };
  }

  /**
   * A host's own verifier may run without any `AUTH_SERVICE_*` configuration:
   * the default rule (the token's roles) applies then.
   */
  private roleSource(): RoleSource {
    try {
      return this.config.get().roleSource;
    } catch {
      return "token";
    }
  }

  private async verify(token: string, scheme: AuthScheme): Promise<VerifiedClaims> {
    try {
      return await this.verifier.verify(token);
    } catch (error) {
      // A custom verifier may throw anything: unknown failures count as an invalid token (fail closed).
      const refusal = toOidcError(error, ERR_AUTH_TOKEN_INVALID);
      // Under DPoP the error belongs on the DPoP challenge (a Bearer one is where it goes by default).
      if (scheme === "Bearer" || refusal.scheme !== undefined || refusal.code !== ERR_AUTH_TOKEN_INVALID) throw refusal;
      const { message, reason, retryAfter, cause, authError, dpopNonce } = refusal;
      throw new OidcError(refusal.code, { message, reason, retryAfter, cause, authError, dpopNonce, scheme });
    }
  }

}

/** The DPoP settings; their defaults when no configuration can be read (a host's own verifier may need none). */
function dpopSettingsOf(config: ConfigService): DpopSettings {
  try {
    return config.get();
  } catch {
    return DPOP_DEFAULTS;
  }
}

/** What a refusal's challenge offers under `config`'s DPoP mode: for refusals made outside the pipeline (the guards). */
export function offeredUnder(config: ConfigService): OfferedSchemes {
  return offeredBy(dpopSettingsOf(config));
}

/** The `cnf.jkt` of a DPoP-bound token (RFC 9449 §6.1); other `cnf` members (Keycloak sends some) are ignored. */
function boundThumbprint(claims: VerifiedClaims): string | undefined {
  const cnf = claims.cnf;
  if (cnf === null || typeof cnf !== "object") return undefined;
  const jkt = (cnf as Record<string, unknown>).jkt;
  return jkt === undefined ? undefined : String(jkt);
}

const offers = new WeakMap<DpopSettings, OfferedSchemes>();
/** What a refusal's challenge offers under these settings: Bearer unless DPoP is required, DPoP unless disabled. */
function offeredBy(dpop: DpopSettings): OfferedSchemes {
  let offered = offers.get(dpop);
  if (offered === undefined) {
    offered = Object.freeze({ bearer: dpop.dpop !== "required", ...(dpop.dpop === "disabled" ? {} : { dpopAlgs: Object.freeze([...dpop.dpopAlgorithms]) }) });
    offers.set(dpop, offered);
  }
  return offered;
}

/**
 * A misconfiguration's message names the server's variables and their
 * values: the client gets the generic text, the log keeps the detail.
 */
function clientSafe(error: OidcError): OidcError {
  if (error.code !== ERR_AUTH_MISCONFIGURED) return error;
  return new OidcError(ERR_AUTH_MISCONFIGURED, { reason: error.reason ?? error.message, cause: error });
}

/**
 * A genuine token refused by the server's own settings (issuer, audience,
 * `typ`, authorized party, an algorithm left out of the list): the server
 * needs fixing, so it is logged at warn with the rule, the variable, the
 * expected and the received value, sampled per rule so a flood cannot
 * flood the log (see `settingRefusalLog`). Never the token.
 */
function logSettingRefusal(logger: Logger, clock: Clock, error: OidcError, transport: string): void {
  const { rule, setting, expected, received } = error.detail ?? {};
  settingRefusalLog(logger, () => clock.now()).record(String(rule), {
    transport,
    code: error.code,
    statusCode: error.statusCode,
    reason: error.reason ?? error.message,
    rule,
    setting,
    expected,
    received,
  });
}

/**
 * Logs a refusal once, with its code and reason, never the token:
 * "authorization refused" for `ERR_FORBIDDEN`, else "authentication refused".
 * Refusals a client can cause at will (no or bad token, and, with `atWill`,
 * a forbidden event an authenticated socket may emit as fast as it likes)
 * and JWKS outages (which `RemoteKeySet` already reported at warn, once per
 * outage) go to debug so a flood does not flood the logs; account and
 * access decisions go to info; the server's own faults (provisioning,
 * configuration) to warn.
 */
export function logRefusal(logger: Logger, error: OidcError, details: Record<string, unknown>, atWill = false): void {
  const record = { ...details, code: error.code, statusCode: error.statusCode, reason: error.reason ?? error.message };
  const message = error.code === ERR_FORBIDDEN ? "authorization refused" : "authentication refused";
  if (atWill || error.code === ERR_AUTH_TOKEN_REQUIRED || error.code === ERR_AUTH_TOKEN_INVALID || error.code === ERR_AUTH_UNAVAILABLE) {
    logger.debug(record, message);
  } else if (error.statusCode >= 500) logger.warn(record, message);
  else logger.info(record, message);
}

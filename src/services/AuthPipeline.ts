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
  OidcError,
  toOidcError,
} from "../errors.js";
import type { RoleSource } from "../config.js";
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
  async authenticateRequest(extract: () => string | undefined, transport: string): Promise<AuthResult> {
    try {
      const token = extract();
      if (token === undefined || token === "") throw new OidcError(ERR_AUTH_TOKEN_REQUIRED);
      const claims = await this.verify(token);
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
      return Object.freeze({ context: recordedUserContext(claims, user), claims, localRole: localRoleOf(user), roleSource: this.roleSource() });
    } catch (error) {
      const refusal = clientSafe(toOidcError(error, ERR_AUTH_TOKEN_INVALID));
      if (refusal.detail?.kind === "settings") logSettingRefusal(this.logger, this.clock, refusal, transport);
      else logRefusal(this.logger, refusal, { transport });
      publishRefused(transport, refusal);
      throw refusal;
    }
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

  private async verify(token: string): Promise<VerifiedClaims> {
    try {
      return await this.verifier.verify(token);
    } catch (error) {
      // A custom verifier may throw anything: unknown failures count as an invalid token (fail closed).
      throw toOidcError(error, ERR_AUTH_TOKEN_INVALID);
    }
  }
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

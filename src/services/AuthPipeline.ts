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
import { TOKENS } from "../tokens.js";
import type { OidcUserContext, VerifiedClaims } from "../types.js";
import { buildUserContext, localRoleOf, profileFromClaims } from "./verification/claims.js";
import type { TokenVerifier } from "./verification/JwksVerifier.js";
import type { UserProvisioner } from "./UserProvisioner.js";
import type { Clock } from "./Clock.js";
import type { RevocationStore } from "./sessions/RevocationStore.js";

/** The outcome of a successful authentication. */
export interface AuthResult {
  readonly context: OidcUserContext;
  readonly claims: VerifiedClaims;
  /** The role the provisioner gave, if any: it outranks the token's roles. */
  readonly localRole: string | undefined;
}

/**
 * The refusal of a revoked token: RFC 6750's `invalid_token` covers
 * "expired, revoked, malformed, or invalid for other reasons", and the
 * description says which, so a client knows that refreshing the same
 * session will not help.
 */
export const REVOKED = Object.freeze({ message: "The access token has been revoked", reason: "token revoked (jti, sid or subject)" });

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
        user = await this.provisioner.findOrCreate(claims.sub, profileFromClaims(claims));
      } catch (error) {
        throw toOidcError(error, ERR_USER_PROVISION_FAILED);
      }
      // Any truthy flag refuses (fail closed): JS hosts and SQLite-backed stores return 1, not true.
      if (user?.isDisabled) throw new OidcError(ERR_USER_DISABLED, { reason: "provisioner reports the account disabled" });
      // The recorded identity: the transports only hand out copies of it (attachAuth, getAuth), so no handler can change it.
      return Object.freeze({ context: buildUserContext(claims, user), claims, localRole: localRoleOf(user) });
    } catch (error) {
      const refusal = clientSafe(toOidcError(error, ERR_AUTH_TOKEN_INVALID));
      logRefusal(this.logger, refusal, { transport });
      throw refusal;
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

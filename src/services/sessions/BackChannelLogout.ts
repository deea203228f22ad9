import { inject, injectable } from "tsyringe";
import type { Logger } from "pino";
import { ERR_AUTH_TOKEN_INVALID, ERR_AUTH_UNAVAILABLE, OidcError, toOidcError } from "../../errors.js";
import { TOKENS } from "../../tokens.js";
import type { Clock } from "../Clock.js";
import type { ConfigService } from "../ConfigService.js";
import { LogoutTokenVerifier } from "../verification/LogoutTokenVerifier.js";
import { revocationFor } from "./revocationFor.js";
import type { Revocation, RevocationStore } from "./RevocationStore.js";

/** The `claimOnce` scope of logout token ids. */
export const LOGOUT_JTI_SCOPE = "logout";

/**
 * What a back-channel logout does (OpenID Connect Back-Channel Logout 1.0
 * §2.6, §2.7): validate the logout token, refuse a `jti` seen before
 * (through the store, so across nodes with a shared one), then revoke the
 * session it names, or, with no `sid`, every token of `iss` + `sub` issued
 * up to the logout token's `iat` (its whole second: the issuer's clock
 * counts in seconds). The revocation cuts live sockets on every node
 * through `RevocationStore.onRevoked`.
 *
 * Fails with an `OidcError`: `ERR_AUTH_TOKEN_INVALID` for anything wrong
 * with the token (the OP's fault), `ERR_AUTH_UNAVAILABLE` when the JWKS or
 * the store cannot be had (nobody's fault: retrying may work), and
 * `ERR_AUTH_MISCONFIGURED` for our own settings.
 */
@injectable()
export class BackChannelLogout {
  constructor(
    @inject(LogoutTokenVerifier) private readonly verifier: LogoutTokenVerifier,
    @inject(TOKENS.RevocationStore) private readonly store: RevocationStore,
    @inject(TOKENS.ConfigService) private readonly configService: ConfigService,
    @inject(TOKENS.Clock) private readonly clock: Clock,
    @inject(TOKENS.Logger) private readonly logger: Logger,
  ) {}

  async logout(token: string): Promise<Revocation> {
    let claims;
    try {
      claims = await this.verifier.verify(token);
    } catch (error) {
      throw toOidcError(error, ERR_AUTH_TOKEN_INVALID);
    }
    const config = this.configService.get();
    const { iss, sid, sub, jti, iat, exp } = claims;
    const revocation = revocationFor(sid !== undefined ? { sid } : { sub: sub as string, before: iat + 1 }, iss, this.clock.now(), config);
    const fresh = await this.stored(() => this.store.claimOnce(LOGOUT_JTI_SCOPE, JSON.stringify([iss, jti]), (exp + config.clockToleranceSeconds) * 1000));
    if (!fresh) throw new OidcError(ERR_AUTH_TOKEN_INVALID, { reason: 'logout token replayed ("jti" seen before)' });
    await this.stored(() => this.store.add(revocation));
    this.logger.info({ iss, ...(sid !== undefined ? { sid } : { sub }) }, "back-channel logout");
    return revocation;
  }

  /** A store failure is not the token's fault: unavailable, so the OP may retry. */
  private async stored<T>(work: () => Promise<T>): Promise<T> {
    try {
      return await work();
    } catch (error) {
      throw toOidcError(error, ERR_AUTH_UNAVAILABLE);
    }
  }
}

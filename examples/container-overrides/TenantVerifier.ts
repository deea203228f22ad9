import { ERR_AUTH_TOKEN_INVALID, OidcError, type TokenVerifier, type VerifiedClaims } from "ioserver-oidc";

/**
 * The host app's verifier: the package's JWKS verification, plus a rule of
 * its own (the token must be issued for this app's tenant).
 */
export class TenantVerifier implements TokenVerifier {
  constructor(
    private readonly jwks: TokenVerifier,
    private readonly tenant: string,
  ) {}

  async verify(token: string): Promise<VerifiedClaims> {
    const claims = await this.jwks.verify(token);
    if (claims.tenant !== this.tenant) throw new OidcError(ERR_AUTH_TOKEN_INVALID, { reason: `"tenant" is not ${this.tenant}` });
    return claims;
  }
}

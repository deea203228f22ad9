import type { DependencyContainer } from "tsyringe";
import type { OidcConfig } from "./config.js";
import { oidcContainer } from "./container.js";
import { buildUserContext } from "./services/verification/claims.js";
import { StaticConfigService } from "./services/ConfigService.js";
import { JwksVerifier } from "./services/verification/JwksVerifier.js";
import { joseErrorOf } from "./services/verification/tokenFault.js";
import { TOKENS } from "./tokens.js";
import { ERR_AUTH_TOKEN_INVALID, OidcError } from "./errors.js";
import { REVOKED } from "./services/sessions/RevocationStore.js";
import type { AuthenticatedUserContext } from "./types.js";

/**
 * Verifies a raw JWT outside IOServer (a worker, a CLI, a custom
 * transport) with the same rules as the middlewares, sharing their JWKS
 * cache and their verified-token cache (an entry only answers calls made
 * with equal settings) and their revocations. No provisioning happens: `userId` is `sub`, `userRole` comes from
 * the token.
 *
 * Errors, as in 0.1.x: a fault of the token rejects with jose's error class
 * for it (`errors.JWTExpired`, `errors.JWTClaimValidationFailed` with
 * `.claim`, `errors.JWSSignatureVerificationFailed`,
 * `errors.JWKSNoMatchingKey`, `errors.JWSInvalid`, `errors.JWTInvalid`,
 * `errors.JOSEAlgNotAllowed`, ...; all `errors.JOSEError`). A fault that is
 * not the token's rejects with an `OidcError`: `ERR_AUTH_UNAVAILABLE` (the
 * JWKS cannot be had) or `ERR_AUTH_MISCONFIGURED` (invalid `config`).
 * A token the container's `RevocationStore` reports revoked (something
 * 0.1.x did not have) rejects with an `OidcError` `ERR_AUTH_TOKEN_INVALID`
 * whose message is "The access token has been revoked".
 *
 * @example
 * ```ts
 * try {
 *   const ctx = await verifyOidcToken(rawJwt, { authServiceUrl: "https://auth.example.com", appSlug: "my-app" });
 * } catch (e) {
 *   if (e instanceof errors.JWTExpired) ...; // from "jose"
 *   else if (e instanceof OidcError && e.code === ERR_AUTH_UNAVAILABLE) ...; // retry later
 * }
 * ```
 */
export async function verifyOidcToken(
  rawJwt: string,
  config: OidcConfig,
  container: DependencyContainer = oidcContainer,
): Promise<AuthenticatedUserContext> {
  const verifier = new JwksVerifier(
    new StaticConfigService(config),
    container.resolve(TOKENS.KeySetRegistry),
    container.resolve(TOKENS.Clock),
    container.resolve(TOKENS.VerifiedTokenCache),
  );
  let claims;
  try {
    claims = await verifier.verify(rawJwt);
  } catch (error) {
    throw joseErrorOf(error);
  }
  if (container.resolve(TOKENS.RevocationStore).isRevoked(claims, container.resolve(TOKENS.Clock).now())) throw new OidcError(ERR_AUTH_TOKEN_INVALID, REVOKED);
  return buildUserContext(claims, undefined);
}

import type { DependencyContainer } from "tsyringe";
import type { OidcConfig } from "./config.js";
import { oidcContainer } from "./container.js";
import { buildUserContext } from "./services/verification/claims.js";
import { StaticConfigService } from "./services/ConfigService.js";
import { JwksVerifier } from "./services/verification/JwksVerifier.js";
import { TOKENS } from "./tokens.js";
import { ERR_AUTH_TOKEN_INVALID, OidcError } from "./errors.js";
import { REVOKED } from "./services/AuthPipeline.js";
import type { OidcUserContext } from "./types.js";

/**
 * Verifies a raw JWT outside IOServer (a worker, a CLI, a custom
 * transport) with the same rules as the middlewares, sharing their JWKS
 * cache and their verified-token cache (an entry only answers calls made
 * with equal settings) and their revocations. No provisioning happens: `userId` is `sub`, `userRole` comes from
 * the token. Rejects with an `OidcError` (`ERR_AUTH_TOKEN_INVALID`,
 * `ERR_AUTH_UNAVAILABLE`, `ERR_AUTH_MISCONFIGURED`).
 *
 * @example
 * ```ts
 * const ctx = await verifyOidcToken(rawJwt, { authServiceUrl: "https://auth.example.com", appSlug: "my-app" });
 * ```
 */
export async function verifyOidcToken(
  rawJwt: string,
  config: OidcConfig,
  container: DependencyContainer = oidcContainer,
): Promise<OidcUserContext> {
  const verifier = new JwksVerifier(
    new StaticConfigService(config),
    container.resolve(TOKENS.KeySetRegistry),
    container.resolve(TOKENS.Clock),
    container.resolve(TOKENS.VerifiedTokenCache),
  );
  const claims = await verifier.verify(rawJwt);
  if (container.resolve(TOKENS.RevocationStore).isRevoked(claims, container.resolve(TOKENS.Clock).now())) throw new OidcError(ERR_AUTH_TOKEN_INVALID, REVOKED);
  return buildUserContext(claims, undefined);
}

// tsyringe needs the Reflect metadata polyfill before any decorated class is evaluated.
import "reflect-metadata";

export { OidcConfigManager, oidcReady } from "./OidcConfigManager.js";
export { OidcHttpMiddleware } from "./middlewares/OidcHttpMiddleware.js";
export { OidcSocketMiddleware, type SocketNext } from "./middlewares/OidcSocketMiddleware.js";
export { OidcSocketAdminMiddleware } from "./middlewares/OidcSocketAdminMiddleware.js";
export { OidcHttpAdminMiddleware } from "./middlewares/OidcHttpAdminMiddleware.js";
export {
  OidcBackChannelLogoutController,
  backChannelLogoutController,
  BACKCHANNEL_LOGOUT_ROUTES,
  type BackChannelLogoutRegistration,
} from "./middlewares/OidcBackChannelLogoutController.js";
export { type OidcGuard, type OidcHttpGuard, type OidcSocketGuard } from "./middlewares/guards.js";
export { type EventRequirements, type OidcSocketEventGuard } from "./middlewares/eventGuard.js";
export {
  requireRoles,
  requirePermissions,
  requireScopes,
  requireEventPermissions,
  type OidcGuardFactories,
  type PermissionOptions,
} from "./middlewares/guardFactories.js";
export { bindOidcMiddlewares, type BoundOidcClasses } from "./bindOidcMiddlewares.js";
export { verifyOidcToken } from "./verifyOidcToken.js";
export { revoke, type RevokeOptions, type RevokeTarget } from "./revoke.js";
export { getAuth } from "./typedContext.js";
export { createOidcContainer, oidcContainer } from "./container.js";
export { TOKENS, type AppHandle } from "./tokens.js";
export {
  AUTH_EXPIRED_EVENT,
  AUTH_REFRESH_EVENT,
  AUTH_REVOKED_EVENT,
  subjectRoom,
  userRoom,
  type AuthExpiredNotice,
  type AuthRefreshAck,
  type AuthRefreshRequest,
  type AuthRevokedNotice,
  type RefusalAck,
} from "./socketProtocol.js";

export {
  DPOP_DEFAULTS,
  DPOP_MODES,
  OIDC_ENV_VARS,
  REVOCATION_STALE_POLICIES,
  ROLE_SOURCES,
  SOCKET_EXPIRY_POLICIES,
  SUPPORTED_ALGORITHMS,
  readOidcConfigFromEnv,
  resolveOidcConfig,
  type ResolvedOidcConfig,
  type OidcConfig,
  type DpopMode,
  type DpopSettings,
  type RevocationStalePolicy,
  type RoleSource,
  type SocketExpiryPolicy,
  type SupportedAlgorithm,
} from "./config.js";
export type { ResolvedTrustedIssuer, TrustedIssuerConfig } from "./issuerConfig.js";
export {
  ERR_AUTH_MISCONFIGURED,
  ERR_AUTH_TOKEN_INVALID,
  ERR_AUTH_TOKEN_REQUIRED,
  ERR_AUTH_UNAVAILABLE,
  ERR_FORBIDDEN,
  ERR_USER_DISABLED,
  ERR_USER_PROVISION_FAILED,
  OIDC_ERROR_STATUS,
  OidcError,
  type AuthErrorName,
  type AuthScheme,
  type OfferedSchemes,
  type OidcErrorCode,
} from "./errors.js";
export type { AuthenticatedUserContext, LocalUser, OidcFeatures, OidcUserContext, UserProfile, VerifiedClaims } from "./types.js";

export { AppHandleConfigService, EnvConfigService, StaticConfigService, type ConfigService } from "./services/ConfigService.js";
export { JwksVerifier, type TokenVerifier } from "./services/verification/JwksVerifier.js";
export { AppHandleUserProvisioner, type UserProvisioner } from "./services/UserProvisioner.js";
export { AppHandleSessionRegistrar, type SocketSessionRegistrar } from "./services/sessions/SocketSessionRegistrar.js";
export { AuthPipeline, type AuthResult, type PresentedCredential } from "./services/AuthPipeline.js";
export { DpopProofVerifier, DPOP_REPLAY_SCOPE, type CheckedProof, type DpopTarget } from "./services/verification/DpopProofVerifier.js";
export { KeySetRegistry } from "./services/keys/KeySetRegistry.js";
export { RoomSessionRevoker, type RevocationOptions, type RevocationTarget, type SessionRevoker } from "./services/sessions/SessionRevoker.js";
export { BackChannelLogout, LOGOUT_JTI_SCOPE } from "./services/sessions/BackChannelLogout.js";
export { LogoutTokenVerifier, type LogoutClaims } from "./services/verification/LogoutTokenVerifier.js";
export { MemoryRevocationStore, DEFAULT_MAX_REVOCATION_ENTRIES } from "./services/sessions/MemoryRevocationStore.js";
export type { RevocableClaims, Revocation, RevocationStore } from "./services/sessions/RevocationStore.js";
export { SocketServerRegistry, type NamespaceHost, type RoomBroadcaster } from "./services/sessions/SocketServerRegistry.js";
export { holdsRole, type AccessRequirement, type PermissionMode } from "./services/AccessRequirement.js";
export { RemoteKeySet, type KeysRemovedListener } from "./services/keys/RemoteKeySet.js";
export { IssuerMetadata } from "./services/keys/IssuerMetadata.js";
export { discoveryUrls } from "./services/keys/discovery.js";
export { trustedIssuers } from "./services/keys/trustedIssuers.js";
export { scopesFromClaims } from "./services/verification/scopes.js";
export { BoundedVerifiedTokenCache, type TokenCacheStats, type VerifiedTokenCache, type Verification } from "./services/verification/VerifiedTokenCache.js";
export { systemClock, type Clock } from "./services/Clock.js";
export { createOidcLogger } from "./services/logger.js";
export {
  OIDC_CHANNELS,
  REFUSAL_KINDS,
  type AuthenticatedMessage,
  type JwksFetchMessage,
  type RefusalKind,
  type RefusedMessage,
  type RevocationMessage,
  type TokenCacheMessage,
} from "./services/diagnostics.js";

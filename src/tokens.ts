import type { InjectionToken } from "tsyringe";
import type { Logger } from "pino";
import type { ConfigService } from "./services/ConfigService.js";
import type { TokenVerifier } from "./services/verification/JwksVerifier.js";
import type { UserProvisioner } from "./services/UserProvisioner.js";
import type { SocketSessionRegistrar } from "./services/sessions/SocketSessionRegistrar.js";
import type { Clock } from "./services/Clock.js";
import type { KeySetRegistry } from "./services/keys/KeySetRegistry.js";
import type { AuthPipeline } from "./services/AuthPipeline.js";
import type { SessionRevoker } from "./services/sessions/SessionRevoker.js";
import type { SocketServerRegistry } from "./services/sessions/SocketServerRegistry.js";
import type { VerifiedTokenCache } from "./services/verification/VerifiedTokenCache.js";
import type { RevocationStore } from "./services/sessions/RevocationStore.js";
import type { DpopProofVerifier } from "./services/verification/DpopProofVerifier.js";

/**
 * Every seam of the package. Bind any of these in an OIDC container
 * (see `createOidcContainer`) to replace the default implementation.
 */
export const TOKENS = Object.freeze({
  /** `ConfigService`: the validated `ResolvedOidcConfig`. */
  ConfigService: Symbol("ioserver-oidc.ConfigService") as InjectionToken<ConfigService>,
  /** The environment the default `ConfigService` reads (default: `process.env` as it is when read, even if replaced after import). */
  Environment: Symbol("ioserver-oidc.Environment") as InjectionToken<NodeJS.ProcessEnv>,
  /** `TokenVerifier`: signature and claim checks against the JWKS. */
  JwksVerifier: Symbol("ioserver-oidc.JwksVerifier") as InjectionToken<TokenVerifier>,
  /** `VerifiedTokenCache`: successful verifications, so a repeated token skips the signature check. */
  VerifiedTokenCache: Symbol("ioserver-oidc.VerifiedTokenCache") as InjectionToken<VerifiedTokenCache>,
  /** `DpopProofVerifier`: RFC 9449 proof checks, nonces, and single-use proofs through the `RevocationStore`. */
  DpopProofVerifier: Symbol("ioserver-oidc.DpopProofVerifier") as InjectionToken<DpopProofVerifier>,
  /** One remote key set per JWKS URI, shared by everything in the container. */
  KeySetRegistry: Symbol("ioserver-oidc.KeySetRegistry") as InjectionToken<KeySetRegistry>,
  /** `UserProvisioner`: `findOrCreate(sub, profile)` → local user. */
  UserProvisioner: Symbol("ioserver-oidc.UserProvisioner") as InjectionToken<UserProvisioner>,
  /** `SocketSessionRegistrar`: tracks which sockets belong to which user. */
  SocketSessionRegistrar: Symbol("ioserver-oidc.SocketSessionRegistrar") as InjectionToken<SocketSessionRegistrar>,
  /** `SessionRevoker`: disconnects every live socket of a user, on every node. */
  SessionRevoker: Symbol("ioserver-oidc.SessionRevoker") as InjectionToken<SessionRevoker>,
  /**
   * `RevocationStore`: revoked tokens, sessions and subjects, checked on every request, and single-use ids
   * (logout tokens, DPoP proofs). Default: `MemoryRevocationStore`, one process; `ioserver-oidc/redis` for several.
   */
  RevocationStore: Symbol("ioserver-oidc.RevocationStore") as InjectionToken<RevocationStore>,
  /** `SocketServerRegistry`: the Socket.IO servers this container's sockets live on (what the revoker reaches). */
  SocketServerRegistry: Symbol("ioserver-oidc.SocketServerRegistry") as InjectionToken<SocketServerRegistry>,
  /** The shared extract → verify → provision → context pipeline. */
  AuthPipeline: Symbol("ioserver-oidc.AuthPipeline") as InjectionToken<AuthPipeline>,
  /** pino `Logger`. */
  Logger: Symbol("ioserver-oidc.Logger") as InjectionToken<Logger>,
  /** `Clock`: the time the verifier and the key set use. */
  Clock: Symbol("ioserver-oidc.Clock") as InjectionToken<Clock>,
  /**
   * IOServer's `appHandle`, bound per middleware `handle()` call in a child
   * container (`{}` in the container itself); only the default adapters
   * depend on it.
   */
  AppHandle: Symbol("ioserver-oidc.AppHandle") as InjectionToken<AppHandle>,
});

/** The part of IOServer's appHandle the default adapters use. */
export interface AppHandle {
  /** A host's own config manager (0.1.x): honoured by the default `ConfigService` when it is not the package's `OidcConfigManager`. */
  oidcConfig?: unknown;
  users?: { findOrCreate?: (sub: string, profile: Record<string, unknown>) => unknown };
  /**
   * The host's session manager, as 0.1.x documented it: `registerSocket(userId, socketId, sub)`
   * when a socket is connected, `unregisterSocket(socketId, userId)` when it left (the socket id
   * first, so the guide's `unregisterSocket(socketId)` works; `userId` follows for stores keyed by user).
   */
  session?: {
    registerSocket?: (userId: string, socketId: string, sub: string) => unknown;
    unregisterSocket?: (socketId: string, userId: string) => unknown;
  };
  [key: string]: unknown;
}

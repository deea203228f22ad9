import "reflect-metadata";
import { container as tsyringeRoot, instanceCachingFactory, Lifecycle, type DependencyContainer } from "tsyringe";
import { TOKENS, type AppHandle } from "./tokens.js";
import { systemClock } from "./services/Clock.js";
import { createOidcLogger } from "./services/logger.js";
import { AppHandleConfigService, EnvConfigService } from "./services/ConfigService.js";
import { KeySetRegistry } from "./services/keys/KeySetRegistry.js";
import { JwksVerifier } from "./services/verification/JwksVerifier.js";
import { AppHandleUserProvisioner } from "./services/UserProvisioner.js";
import { AppHandleSessionRegistrar } from "./services/sessions/SocketSessionRegistrar.js";
import { AuthPipeline } from "./services/AuthPipeline.js";
import { SocketServerRegistry } from "./services/sessions/SocketServerRegistry.js";
import { RoomSessionRevoker } from "./services/sessions/SessionRevoker.js";
import { DpopProofVerifier } from "./services/verification/DpopProofVerifier.js";
import { MemoryRevocationStore } from "./services/sessions/MemoryRevocationStore.js";
import { BoundedVerifiedTokenCache } from "./services/verification/VerifiedTokenCache.js";

/**
 * `process.env` as it is at the moment it is read. Hosts and tests replace
 * the whole object (`process.env = { ...process.env, AUTH_SERVICE_URL }`)
 * after this module was imported; capturing the object at import would
 * keep reading the old one.
 */
const liveProcessEnv: NodeJS.ProcessEnv = new Proxy(
  {},
  {
    get: (_target, key) => (typeof key === "string" ? process.env[key] : undefined),
    has: (_target, key) => key in process.env,
    ownKeys: () => Reflect.ownKeys(process.env),
    getOwnPropertyDescriptor: (_target, key) => {
      const descriptor = Reflect.getOwnPropertyDescriptor(process.env, key);
      return descriptor && { ...descriptor, configurable: true };
    },
  },
);

/**
 * A new, isolated container with every default binding. Nothing resolved
 * from it is shared with other containers: use one per test, or one per
 * IOServer instance, and bind middleware classes to it with
 * `bindOidcMiddlewares(container)`.
 *
 * Shared collaborators (the environment's config, key sets, verified-token
 * cache, logger, the revocation store, the Socket.IO server registry and
 * the session revoker)
 * are singletons of this container; the appHandle adapters (config,
 * provisioner, session registrar) and the verifier that reads the config
 * are container-scoped, so each middleware `handle(appHandle)` gets its
 * own, bound to that IOServer's appHandle.
 *
 * @example
 * ```ts
 * const c = createOidcContainer();
 * c.register(TOKENS.UserProvisioner, { useValue: myProvisioner });
 * ```
 */
export function createOidcContainer(): DependencyContainer {
  const c = tsyringeRoot.createChildContainer();
  c.register(TOKENS.Environment, { useValue: liveProcessEnv });
  c.register(TOKENS.AppHandle, { useValue: {} });
  c.register(TOKENS.Clock, { useValue: systemClock });
  c.register(TOKENS.Logger, { useFactory: instanceCachingFactory((r) => createOidcLogger(undefined, r.resolve(TOKENS.Environment).AUTH_SERVICE_LOG_LEVEL)) });
  c.register(EnvConfigService, { useClass: EnvConfigService }, { lifecycle: Lifecycle.Singleton });
  c.register(TOKENS.ConfigService, { useClass: AppHandleConfigService }, { lifecycle: Lifecycle.ContainerScoped });
  c.register(TOKENS.KeySetRegistry, { useClass: KeySetRegistry }, { lifecycle: Lifecycle.Singleton });
  c.register(TOKENS.VerifiedTokenCache, { useClass: BoundedVerifiedTokenCache }, { lifecycle: Lifecycle.Singleton });
  c.register(TOKENS.JwksVerifier, { useClass: JwksVerifier }, { lifecycle: Lifecycle.ContainerScoped });
  c.register(TOKENS.UserProvisioner, { useClass: AppHandleUserProvisioner }, { lifecycle: Lifecycle.ContainerScoped });
  c.register(TOKENS.SocketSessionRegistrar, { useClass: AppHandleSessionRegistrar }, { lifecycle: Lifecycle.ContainerScoped });
  c.register(TOKENS.AuthPipeline, { useClass: AuthPipeline });
  c.register(TOKENS.SocketServerRegistry, { useFactory: instanceCachingFactory(() => new SocketServerRegistry()) });
  c.register(TOKENS.DpopProofVerifier, { useClass: DpopProofVerifier }, { lifecycle: Lifecycle.Singleton });
  c.register(TOKENS.RevocationStore, { useClass: MemoryRevocationStore }, { lifecycle: Lifecycle.Singleton });
  c.register(TOKENS.SessionRevoker, { useClass: RoomSessionRevoker }, { lifecycle: Lifecycle.Singleton });
  return c;
}

/**
 * The container the default exported middleware classes and
 * `verifyOidcToken` use. Override a collaborator for the whole app by
 * registering on it before `server.addController`/`server.start()`:
 *
 * ```ts
 * oidcContainer.register(TOKENS.UserProvisioner, { useClass: MyProvisioner });
 * ```
 */
export const oidcContainer: DependencyContainer = createOidcContainer();

/**
 * The scope one middleware `handle(appHandle)` call resolves from: a child
 * of `container` that knows this IOServer's appHandle.
 */
export function scopeFor(container: DependencyContainer, appHandle: AppHandle | undefined): DependencyContainer {
  const scope = container.createChildContainer();
  scope.register(TOKENS.AppHandle, { useValue: appHandle ?? {} });
  return scope;
}

import pino, { type Logger } from "pino";
import type { DependencyContainer } from "tsyringe";
import { bindOidcMiddlewares, type BoundOidcClasses } from "../bindOidcMiddlewares.js";
import { createOidcContainer } from "../container.js";
import type { Clock } from "../services/Clock.js";
import type { TokenVerifier } from "../services/verification/JwksVerifier.js";
import type { SocketSessionRegistrar } from "../services/sessions/SocketSessionRegistrar.js";
import type { UserProvisioner } from "../services/UserProvisioner.js";
import { TOKENS } from "../tokens.js";

/** The collaborators to replace; anything left out keeps its default implementation. */
export interface TestContainerOptions {
  /** Replaces the JWKS verifier, e.g. `fakeVerifier({...})`: no keys, no network. */
  verifier?: TokenVerifier;
  /** Replaces the `appHandle.users` adapter, e.g. an `InMemoryUserProvisioner`. */
  users?: UserProvisioner;
  /** Replaces the `appHandle.session` adapter, e.g. a `RecordingSessionRegistrar`. */
  sessions?: SocketSessionRegistrar;
  /**
   * The `AUTH_SERVICE_*` variables the default config service reads, e.g.
   * `issuer.env()` of a `TestIssuer`. Default: none at all, never
   * `process.env`, so a test does not depend on the machine it runs on.
   * With the default verifier and no env, requests get `ERR_AUTH_MISCONFIGURED`;
   * a replaced `verifier` needs none.
   */
  env?: Readonly<Record<string, string | undefined>>;
  /** Replaces the time source, e.g. a `ManualClock`. */
  clock?: Clock;
  /** Default: a silent pino logger, so refusals do not clutter test output. */
  logger?: Logger;
}

/** An isolated container and the IOServer classes bound to it. */
export interface TestContainer extends BoundOidcClasses {
  container: DependencyContainer;
}

/**
 * A fresh container for one test, with the given fakes bound, and the
 * manager/middleware classes to hand to that test's IOServer. Nothing is
 * shared with the default `oidcContainer` or with other test containers
 * (no key cache, no config, no provisioner), so tests can run in any order
 * or in parallel. Works under any test runner.
 *
 * @example
 * ```ts
 * const { OidcHttpMiddleware } = createTestContainer({
 *   verifier: fakeVerifier({ "alice-token": { sub: "alice", roles: ["admin"] } }),
 *   users: new InMemoryUserProvisioner([{ sub: "alice", id: 1 }]),
 * });
 * server.addController({ name: "profile", controller: ProfileController, middlewares: [OidcHttpMiddleware] });
 * ```
 */
export function createTestContainer(options: TestContainerOptions = {}): TestContainer {
  const container = createOidcContainer();
  container.register(TOKENS.Environment, { useValue: { ...options.env } });
  container.register(TOKENS.Logger, { useValue: options.logger ?? pino({ level: "silent" }) });
  if (options.verifier) container.register(TOKENS.JwksVerifier, { useValue: options.verifier });
  if (options.users) container.register(TOKENS.UserProvisioner, { useValue: options.users });
  if (options.sessions) container.register(TOKENS.SocketSessionRegistrar, { useValue: options.sessions });
  if (options.clock) container.register(TOKENS.Clock, { useValue: options.clock });
  return { container, ...bindOidcMiddlewares(container) };
}

import type { DependencyContainer } from "tsyringe";
import type { ResolvedOidcConfig } from "./config.js";
import { oidcContainer } from "./container.js";
import { TOKENS } from "./tokens.js";

/**
 * IOServer manager (register it as "oidcConfig"). `start()` warms the
 * verifier (the default one validates the configuration and loads the
 * JWKS), so the first request does not pay for it. IOServer does not await `start()`; nothing depends
 * on it having finished; a host that wants to wait calls `oidcReady()`.
 *
 * @example
 * ```ts
 * server.addManager({ name: "oidcConfig", manager: OidcConfigManager });
 * ```
 */
export class OidcConfigManager {
  static container: DependencyContainer = oidcContainer;
  private readiness: Promise<void> | undefined;

  /** IOServer passes its appHandle; the manager does not need it. */
  constructor(_appHandle?: unknown) {}

  /** Called by IOServer without awaiting it. */
  async start(): Promise<void> {
    await this.ready();
  }

  /**
   * Resolves once the verifier is ready (see `oidcReady`). Calls made while
   * a warm-up runs share it, and a success is kept: later calls get the same
   * resolved promise. A failure is not kept: the call after a rejection
   * tries again, so a health check turns green once the JWKS is back.
   */
  ready(): Promise<void> {
    if (!this.readiness) {
      const attempt = this.warmUp();
      this.readiness = attempt;
      // Callers may never await it: a failure must not become an unhandled rejection.
      attempt.catch(() => {
        if (this.readiness === attempt) this.readiness = undefined;
      });
    }
    return this.readiness;
  }

  /** The validated configuration; throws `ERR_AUTH_MISCONFIGURED` naming the bad variable. */
  getConfig(): ResolvedOidcConfig {
    return this.container.resolve(TOKENS.ConfigService).get();
  }

  private get container(): DependencyContainer {
    return (this.constructor as typeof OidcConfigManager).container;
  }

  private warmUp(): Promise<void> {
    return oidcReady(this.container);
  }
}

/**
 * Resolves once the container's verifier is ready to verify. The default
 * `JwksVerifier` validates the configuration and loads the JWKS (sharing
 * any fetch in flight, e.g. the one `OidcConfigManager.start()` began) and
 * rejects with an error naming the invalid variable, or the JWKS URL and the
 * reason. A verifier without a `ready()` method (a test fake) is ready at once.
 *
 * @example
 * ```ts
 * await server.start();
 * await oidcReady(); // before reporting the instance healthy
 * ```
 */
export async function oidcReady(container: DependencyContainer = oidcContainer): Promise<void> {
  await container.resolve(TOKENS.JwksVerifier).ready?.();
}

import type { DependencyContainer } from "tsyringe";
import type { ResolvedOidcConfig } from "./config.js";
import { oidcContainer } from "./container.js";
import { ERR_AUTH_MISCONFIGURED, OidcError } from "./errors.js";
import { markPackageConfigManager } from "./services/ConfigService.js";
import { TOKENS } from "./tokens.js";

/** The part of IOServer's appHandle the manager uses: its leveled log (6 = verbose). */
interface ManagerAppHandle {
  log?: (level: number, text: string) => unknown;
}

/**
 * IOServer manager (register it as "oidcConfig"). `start()` reads the
 * configuration, logs one line through `appHandle.log(6, …)` as 0.1.x did
 * (`[OidcConfigManager] Initialized — authServiceUrl=…, appSlug=…`), then
 * warms the verifier (the default one loads the JWKS), so the first request
 * does not pay for it. With an invalid configuration the warm-up, and so
 * `start()`, rejects with the reason (IOServer logs it) and the line is
 * not logged. IOServer does not await
 * `start()`; nothing depends on it having finished; a host that wants to
 * wait calls `oidcReady()`.
 *
 * @example
 * ```ts
 * server.addManager({ name: "oidcConfig", manager: OidcConfigManager });
 * ```
 */
export class OidcConfigManager {
  static container: DependencyContainer = oidcContainer;
  private readiness: Promise<void> | undefined;
  private started = false;

  /** IOServer passes its appHandle; the manager only uses its `log`. */
  constructor(private readonly appHandle?: ManagerAppHandle) {
    markPackageConfigManager(this);
  }

  /** Called by IOServer without awaiting it. */
  async start(): Promise<void> {
    this.started = true;
    let config: ResolvedOidcConfig | undefined;
    try {
      config = this.getConfig();
    } catch {
      // Not logged as initialized; the warm-up below rejects with the reason, unless the verifier needs no configuration (a test fake).
    }
    if (config) this.appHandle?.log?.(6, `[OidcConfigManager] Initialized — authServiceUrl=${config.authServiceUrl}, appSlug=${config.appSlug}`);
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

  /**
   * The validated configuration (frozen, the same object on every call).
   * Throws `ERR_AUTH_MISCONFIGURED` naming the bad variable, and, as in
   * 0.1.x, when called before `start()`.
   */
  getConfig(): ResolvedOidcConfig {
    if (!this.started) {
      throw new OidcError(ERR_AUTH_MISCONFIGURED, {
        message: "[OidcConfigManager] getConfig() called before start(). Ensure OidcConfigManager is registered and started.",
        reason: "OidcConfigManager.getConfig() called before start()",
      });
    }
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

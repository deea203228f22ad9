import type { DependencyContainer } from "tsyringe";
import type { OidcConfig } from "./config.js";
import { oidcContainer } from "./container.js";
import { TOKENS } from "./tokens.js";

/**
 * IOServer manager (register it as "oidcConfig"). `start()` reads and
 * validates the configuration and loads the JWKS once, so the first request
 * does not pay for it. IOServer does not await `start()`; nothing depends
 * on it having finished; a host that wants to wait calls `oidcReady()`.
 *
 * @example
 * ```ts
 * server.addManager({ name: "oidcConfig", manager: OidcConfigManager });
 * ```
 */
export class OidcConfigManager {
  static container: DependencyContainer = oidcContainer;
  private readiness: Promise<OidcConfig> | undefined;

  /** IOServer passes its appHandle; the manager does not need it. */
  constructor(_appHandle?: unknown) {}

  /** Called by IOServer without awaiting it. */
  async start(): Promise<void> {
    await this.ready();
  }

  /**
   * Resolves with the config once it is valid and the JWKS has been
   * fetched; rejects with an error naming the variable, or the JWKS URL and
   * why it could not be loaded. The same promise on every call.
   */
  ready(): Promise<OidcConfig> {
    if (!this.readiness) {
      this.readiness = this.warmUp();
      // Callers may never await it: a failure must not become an unhandled rejection.
      this.readiness.catch(() => undefined);
    }
    return this.readiness;
  }

  /** The validated configuration; throws `ERR_AUTH_MISCONFIGURED` naming the bad variable. */
  getConfig(): OidcConfig {
    return this.container.resolve(TOKENS.ConfigService).get();
  }

  private get container(): DependencyContainer {
    return (this.constructor as typeof OidcConfigManager).container;
  }

  private warmUp(): Promise<OidcConfig> {
    return oidcReady(this.container);
  }
}

/**
 * Validates the configuration and loads the JWKS (sharing any fetch in
 * flight, e.g. the one `OidcConfigManager.start()` began). Rejects with an
 * error naming the invalid variable, or the JWKS URL and the reason.
 *
 * @example
 * ```ts
 * await server.start();
 * await oidcReady(); // before reporting the instance healthy
 * ```
 */
export async function oidcReady(container: DependencyContainer = oidcContainer): Promise<OidcConfig> {
  const config = container.resolve(TOKENS.ConfigService).get();
  await container.resolve(TOKENS.KeySetRegistry).get(config).ready();
  return config;
}

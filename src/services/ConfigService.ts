import { inject, injectable } from "tsyringe";
import { readOidcConfigFromEnv, resolveOidcConfig, type ResolvedOidcConfig, type OidcConfig } from "../config.js";
import { ERR_AUTH_MISCONFIGURED, OidcError, toOidcError } from "../errors.js";
import { TOKENS, type AppHandle } from "../tokens.js";

/** Supplies the validated configuration; `get()` throws `ERR_AUTH_MISCONFIGURED` while it is invalid. */
export interface ConfigService {
  get(): ResolvedOidcConfig;
}

/**
 * Reads the `AUTH_SERVICE_*` variables on first use (or when
 * `OidcConfigManager.start()` asks), not at import. A valid configuration
 * is kept, so requests do not re-read it; an invalid one is not: each later
 * call reads the environment again, so fixing it heals the next request
 * without a restart, as in 0.1.x.
 */
@injectable()
export class EnvConfigService implements ConfigService {
  private config: ResolvedOidcConfig | undefined;

  constructor(@inject(TOKENS.Environment) private readonly env: NodeJS.ProcessEnv) {}

  get(): ResolvedOidcConfig {
    if (!this.config) {
      try {
        this.config = readOidcConfigFromEnv(this.env);
      } catch (error) {
        throw toOidcError(error, ERR_AUTH_MISCONFIGURED);
      }
    }
    return this.config;
  }
}

/** The package's own `OidcConfigManager`s: the default adapter reads the environment for them instead of calling them back. */
const packageManagers = new WeakSet<object>();

/** Marks `manager` as the package's own `OidcConfigManager` (see `AppHandleConfigService`). */
export function markPackageConfigManager(manager: object): void {
  packageManagers.add(manager);
}

type HostConfigManager = { getConfig(): unknown };

function isHostConfigManager(value: unknown): value is HostConfigManager {
  return typeof value === "object" && value !== null && typeof (value as Partial<HostConfigManager>).getConfig === "function" && !packageManagers.has(value);
}

/**
 * The default `ConfigService` (one per middleware `handle(appHandle)`). In
 * 0.1.x the middlewares took their settings from
 * `appHandle.oidcConfig.getConfig()`: a host that registers its own manager
 * under "oidcConfig" (settings from a vault, a test) still has it honoured.
 * Its answer is read on first use and kept once valid (a throw or an
 * invalid answer is retried on the next request), completed with the
 * defaults of `ResolvedOidcConfig`; `AUTH_SERVICE_*` variables do not apply
 * then. With the package's `OidcConfigManager`, or none, the environment
 * is read (`EnvConfigService`).
 */
@injectable()
export class AppHandleConfigService implements ConfigService {
  private hostConfig: ResolvedOidcConfig | undefined;

  constructor(
    @inject(TOKENS.AppHandle) private readonly appHandle: AppHandle,
    @inject(EnvConfigService) private readonly fromEnvironment: ConfigService,
  ) {}

  get(): ResolvedOidcConfig {
    const manager = this.appHandle.oidcConfig;
    if (!isHostConfigManager(manager)) return this.fromEnvironment.get();
    this.hostConfig ??= readHostConfig(manager);
    return this.hostConfig;
  }
}

function readHostConfig(manager: HostConfigManager): ResolvedOidcConfig {
  let input: unknown;
  try {
    input = manager.getConfig();
  } catch (error) {
    const why = error instanceof Error ? error.message : String(error);
    throw new OidcError(ERR_AUTH_MISCONFIGURED, { message: `Invalid OIDC configuration: appHandle.oidcConfig.getConfig() threw: ${why}`, reason: why, cause: error });
  }
  return resolveOidcConfig(input as OidcConfig);
}

/** A fixed configuration, validated at construction (for `verifyOidcToken` and host overrides). */
export class StaticConfigService implements ConfigService {
  private readonly config: ResolvedOidcConfig;

  constructor(input: OidcConfig) {
    this.config = resolveOidcConfig(input);
  }

  get(): ResolvedOidcConfig {
    return this.config;
  }
}

import { inject, injectable } from "tsyringe";
import { readOidcConfigFromEnv, resolveOidcConfig, type ResolvedOidcConfig, type OidcConfig } from "../config.js";
import { ERR_AUTH_MISCONFIGURED, toOidcError, type OidcError } from "../errors.js";
import { TOKENS } from "../tokens.js";

/** Supplies the validated configuration; `get()` throws `ERR_AUTH_MISCONFIGURED` while it is invalid. */
export interface ConfigService {
  get(): ResolvedOidcConfig;
}

/**
 * The default: reads the `AUTH_SERVICE_*` variables once, on first use (or
 * when `OidcConfigManager.start()` asks), and remembers the outcome, valid
 * or not, so every request sees the same answer.
 */
@injectable()
export class EnvConfigService implements ConfigService {
  private outcome: { config: ResolvedOidcConfig } | { error: OidcError } | undefined;

  constructor(@inject(TOKENS.Environment) private readonly env: NodeJS.ProcessEnv) {}

  get(): ResolvedOidcConfig {
    if (!this.outcome) {
      try {
        this.outcome = { config: readOidcConfigFromEnv(this.env) };
      } catch (error) {
        this.outcome = { error: toOidcError(error, ERR_AUTH_MISCONFIGURED) };
      }
    }
    if ("error" in this.outcome) throw this.outcome.error;
    return this.outcome.config;
  }
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

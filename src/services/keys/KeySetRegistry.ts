import { inject, injectable } from "tsyringe";
import type { Logger } from "pino";
import type { ResolvedOidcConfig } from "../../config.js";
import { TOKENS } from "../../tokens.js";
import type { Clock } from "../Clock.js";
import { RemoteKeySet } from "./RemoteKeySet.js";

/**
 * One `RemoteKeySet` per JWKS URI, so every middleware instance and
 * `verifyOidcToken` in a container share one cache and one fetch schedule.
 * The timings of the first config that names a URI apply to it.
 */
@injectable()
export class KeySetRegistry {
  private readonly sets = new Map<string, RemoteKeySet>();

  constructor(
    @inject(TOKENS.Clock) private readonly clock: Clock,
    @inject(TOKENS.Logger) private readonly logger: Logger,
  ) {}

  get(config: ResolvedOidcConfig): RemoteKeySet {
    let set = this.sets.get(config.jwksUri);
    if (!set) {
      set = new RemoteKeySet({
        uri: config.jwksUri,
        timeoutMs: config.jwksTimeoutSeconds * 1000,
        cooldownMs: config.jwksCooldownSeconds * 1000,
        maxAgeMs: config.jwksMaxAgeSeconds * 1000,
        staleMs: config.jwksStaleSeconds * 1000,
        clock: this.clock,
        logger: this.logger,
      });
      this.sets.set(config.jwksUri, set);
    }
    return set;
  }
}

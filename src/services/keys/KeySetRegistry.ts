import { inject, injectable } from "tsyringe";
import type { Logger } from "pino";
import type { ResolvedOidcConfig } from "../../config.js";
import { TOKENS } from "../../tokens.js";
import type { Clock } from "../Clock.js";
import { IssuerMetadata } from "./IssuerMetadata.js";
import { RemoteKeySet } from "./RemoteKeySet.js";

/**
 * One `RemoteKeySet` per issuer and JWKS URI, so every middleware instance
 * and `verifyOidcToken` in a container share one cache and one fetch
 * schedule, and one issuer's keys never verify another issuer's tokens,
 * even when both publish an equal `kid` (or the same URI). For an issuer
 * whose JWKS URI is discovered, one `IssuerMetadata` per issuer and
 * `allowInsecureHttp`. The timings of the first config that names an
 * issuer or URI apply to it.
 *
 * A `config` here is one trusted issuer's view (see `trustedIssuers`):
 * its `issuer`, and its `jwksUri` or `discovery`.
 */
@injectable()
export class KeySetRegistry {
  private readonly sets = new Map<string, RemoteKeySet>();
  private readonly metadata = new Map<string, IssuerMetadata>();
  /** The key set of each config with a configured URI: the per-request lookup is one WeakMap hit. */
  private readonly byConfig = new WeakMap<ResolvedOidcConfig, RemoteKeySet>();

  constructor(
    @inject(TOKENS.Clock) private readonly clock: Clock,
    @inject(TOKENS.Logger) private readonly logger: Logger,
  ) {}

  /** The key set of a configured JWKS URI. Throws when the URI is left to discovery: use `keySetFor`. */
  get(config: ResolvedOidcConfig): RemoteKeySet {
    if (config.jwksUri === undefined) throw new Error(`KeySetRegistry.get(): the JWKS URI of ${config.issuer} is discovered; use keySetFor()`);
    let set = this.byConfig.get(config);
    if (set === undefined) this.byConfig.set(config, (set = this.setAt(config, config.jwksUri)));
    return set;
  }

  /** The key set, if its URI is known now without I/O: configured, or discovered and not aged. */
  current(config: ResolvedOidcConfig): RemoteKeySet | undefined {
    if (config.jwksUri !== undefined) return this.get(config);
    const uri = this.metadataFor(config).current();
    return uri === undefined ? undefined : this.setAt(config, uri);
  }

  /** The key set, discovering its URI first when needed (rejects with `ERR_AUTH_UNAVAILABLE` while discovery fails). */
  async keySetFor(config: ResolvedOidcConfig): Promise<RemoteKeySet> {
    return this.current(config) ?? this.setAt(config, await this.metadataFor(config).jwksUri());
  }

  /** The discovery state of the issuer of `config`. */
  metadataFor(config: ResolvedOidcConfig): IssuerMetadata {
    // The https rule is a check, not a timing: configs that differ in it never share what was discovered under it.
    const key = `${config.issuer}\n${config.allowInsecureHttp}`;
    let metadata = this.metadata.get(key);
    if (!metadata) {
      metadata = new IssuerMetadata({
        issuer: config.issuer,
        timeoutMs: config.jwksTimeoutSeconds * 1000,
        maxAgeMs: config.jwksMaxAgeSeconds * 1000,
        allowInsecureHttp: config.allowInsecureHttp,
        clock: this.clock,
        logger: this.logger,
      });
      this.metadata.set(key, metadata);
    }
    return metadata;
  }

  private setAt(config: ResolvedOidcConfig, uri: string): RemoteKeySet {
    const key = `${config.issuer}\n${uri}`;
    let set = this.sets.get(key);
    if (!set) {
      set = new RemoteKeySet({
        uri,
        timeoutMs: config.jwksTimeoutSeconds * 1000,
        cooldownMs: config.jwksCooldownSeconds * 1000,
        maxAgeMs: config.jwksMaxAgeSeconds * 1000,
        staleMs: config.jwksStaleSeconds * 1000,
        clock: this.clock,
        logger: this.logger,
      });
      this.sets.set(key, set);
    }
    return set;
  }
}

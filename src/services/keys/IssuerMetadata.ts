import type { Logger } from "pino";
import { ERR_AUTH_UNAVAILABLE, OidcError } from "../../errors.js";
import type { Clock } from "../Clock.js";
import { discoverIssuer, type DiscoveredMetadata } from "./discovery.js";

export interface IssuerMetadataOptions {
  issuer: string;
  timeoutMs: number;
  /** Age after which the document is fetched again (the JWKS max age). */
  maxAgeMs: number;
  allowInsecureHttp: boolean;
  clock: Clock;
  logger: Logger;
}

/** After the n-th failure in a row, the next attempt waits FIRST_RETRY_MS · 2^(n-1), at most MAX_RETRY_MS. */
const FIRST_RETRY_MS = 1_000;
const MAX_RETRY_MS = 60_000;

/**
 * The discovered metadata of one issuer: fetched on first use, coalesced
 * (concurrent callers share one fetch), refreshed once older than the max
 * age. Only a checked document is ever kept: a failure is remembered as a
 * failure, never as a document (express-oauth2-jwt-bearer #93), and the next
 * attempt waits with exponential backoff. Until a first document is had,
 * callers get `ERR_AUTH_UNAVAILABLE` 503; once one is, a failed refresh
 * keeps the last good document (the key set's own stale rule still bounds
 * how long its keys are used).
 */
export class IssuerMetadata {
  private metadata: DiscoveredMetadata | undefined;
  private fetchedAt = Number.NEGATIVE_INFINITY;
  private failures = 0;
  private nextAttemptAt = Number.NEGATIVE_INFINITY;
  private lastFailure: string | undefined;
  private inflight: Promise<void> | undefined;
  private fetches = 0;

  constructor(private readonly options: IssuerMetadataOptions) {}

  /** How many discovery attempts this issuer has started (each tries one or two URLs). */
  get fetchCount(): number {
    return this.fetches;
  }

  /** The discovered `jwks_uri` while the document is younger than the max age, else `undefined`. */
  current(): string | undefined {
    return this.metadata !== undefined && this.options.clock.now() - this.fetchedAt < this.options.maxAgeMs ? this.metadata.jwksUri : undefined;
  }

  /**
   * The `jwks_uri`, discovering or refreshing first when the document is
   * missing or aged and the backoff allows. Rejects with
   * `ERR_AUTH_UNAVAILABLE` (and a `Retry-After` until the next attempt)
   * while no document has ever been had.
   */
  async jwksUri(): Promise<string> {
    const fresh = this.current();
    if (fresh !== undefined) return fresh;
    const now = this.options.clock.now();
    if (this.inflight === undefined && now >= this.nextAttemptAt) this.inflight = this.discover();
    if (this.inflight !== undefined) await this.inflight;
    if (this.metadata !== undefined) return this.metadata.jwksUri;
    const retryAfterMs = Math.max(0, this.nextAttemptAt - this.options.clock.now());
    throw new OidcError(ERR_AUTH_UNAVAILABLE, {
      reason: `discovery of issuer ${this.options.issuer} failed: ${this.lastFailure ?? "not attempted"}`,
      retryAfter: Math.max(1, Math.ceil(retryAfterMs / 1000)),
    });
  }

  private async discover(): Promise<void> {
    const { issuer, timeoutMs, allowInsecureHttp, logger, clock } = this.options;
    this.fetches += 1;
    try {
      const metadata = await discoverIssuer(issuer, { timeoutMs, allowInsecureHttp });
      if (this.lastFailure !== undefined) logger.info({ issuer, jwksUri: metadata.jwksUri }, "issuer discovery succeeded again");
      else if (this.metadata?.jwksUri !== metadata.jwksUri) logger.info({ issuer, jwksUri: metadata.jwksUri, document: metadata.documentUrl }, "issuer discovered");
      this.metadata = metadata;
      this.fetchedAt = clock.now();
      this.failures = 0;
      this.nextAttemptAt = Number.NEGATIVE_INFINITY;
      this.lastFailure = undefined;
    } catch (error) {
      const reason = error instanceof Error ? error.message : String(error);
      // Once per outage, not once per attempt.
      if (this.lastFailure === undefined) logger.warn({ issuer, reason }, "issuer discovery failed");
      this.lastFailure = reason;
      this.failures += 1;
      // From the failure, not the attempt's start: an attempt that timed out must not be retried at once.
      this.nextAttemptAt = clock.now() + Math.min(FIRST_RETRY_MS * 2 ** (this.failures - 1), MAX_RETRY_MS);
    } finally {
      this.inflight = undefined;
    }
  }
}

import type { KeyObject } from "node:crypto";
import { errors, type JWK } from "jose";
import type { Logger } from "pino";
import { ERR_AUTH_UNAVAILABLE, OidcError } from "../../errors.js";
import { tokenFault } from "../verification/tokenFault.js";
import type { Clock } from "../Clock.js";
import { downloadJwks } from "./downloadJwks.js";
import { importPublicKey } from "./importPublicKey.js";
import { jwkMatchesAlgorithm } from "./jwkAlgorithms.js";
import { jwksFetchStarted, publishJwksFetch } from "../diagnostics.js";

export interface RemoteKeySetOptions {
  uri: string;
  timeoutMs: number;
  /** Minimum time between two fetches caused by unknown `kid`s. */
  cooldownMs: number;
  /** Age after which the keys are refetched. */
  maxAgeMs: number;
  /** How long past `maxAgeMs` the last good keys keep serving while fetches fail. */
  staleMs: number;
  clock: Clock;
  logger: Logger;
}

/** After a failed fetch, the next attempt waits this long (or the cooldown, if shorter). */
const FAILURE_RETRY_MS = 5_000;

/** Told which verification keys a refresh dropped from the set (only keys that were ever used). */
export type KeysRemovedListener = (removed: ReadonlySet<KeyObject>) => void;

/**
 * One published JWK. The record, and so the `KeyObject` imported from it,
 * survives refreshes for as long as the JWKS lists the same key: the
 * `KeyObject` identifies "the key that verified a token" over time.
 */
interface PublishedKey {
  readonly jwk: JWK;
  /** kid, alg and public material: a key whose material changes under the same kid is another key. */
  readonly fingerprint: string;
  imported?: KeyObject | OidcError;
}

/**
 * The keys of one JWKS URI. Fetches are coalesced (any number of concurrent
 * callers share one request), refetches for unknown `kid`s are limited to
 * one per cooldown, and the last good keys keep serving for a bounded stale
 * period while the endpoint is down. Keys only ever come from this URI: no
 * header parameter (`jku`, `x5u`, `jwk`, `x5c`) is consulted.
 */
export class RemoteKeySet {
  private keys: PublishedKey[] | undefined;
  private fetchedAt = Number.NEGATIVE_INFINITY;
  private lastAttemptAt = Number.NEGATIVE_INFINITY;
  /**
   * When an unknown kid last caused a refetch. The cooldown runs from here,
   * not from routine fetches: a key rotated in just after a warm-up or a
   * max-age refresh is still found at once.
   */
  private lastKidRefetchAt = Number.NEGATIVE_INFINITY;
  private lastFailure: string | undefined;
  private inflight: Promise<void> | undefined;
  private readonly listeners: KeysRemovedListener[] = [];
  private fetches = 0;

  constructor(private readonly options: RemoteKeySetOptions) {}

  /** How many HTTP fetches this key set has started. */
  get fetchCount(): number {
    return this.fetches;
  }

  /** True while the keys are younger than the max age. */
  get fresh(): boolean {
    return !this.aged(this.options.clock.now());
  }

  /** True while an unknown `kid` would not cause a refetch. */
  get coolingDown(): boolean {
    return this.options.clock.now() - this.lastKidRefetchAt < this.options.cooldownMs;
  }

  /** True while a fetch is in flight. */
  get reloading(): boolean {
    return this.inflight !== undefined;
  }

  /**
   * Fetches the key set now (coalesced with any fetch in flight). Rejects
   * with an error naming the URI and the reason when the fetch fails.
   */
  async reload(): Promise<void> {
    try {
      await (this.inflight ?? this.startFetch(this.options.clock.now()));
    } catch {
      throw new Error(`JWKS ${this.options.uri} could not be loaded: ${this.lastFailure ?? "unknown error"}`);
    }
  }

  /** Resolves once fresh keys are loaded: at once when they already are, else like `reload()`. */
  async ready(): Promise<void> {
    if (!this.fresh) await this.reload();
  }

  /**
   * Calls `listener` after every refresh that drops keys, with the
   * `KeyObject`s of the dropped keys that `getKey` ever returned: whatever
   * they verified must stop being trusted.
   */
  onKeysRemoved(listener: KeysRemovedListener): void {
    this.listeners.push(listener);
  }

  /**
   * Refreshes the keys if they are older than the max age (coalesced with
   * any fetch in flight; after a failure, retried at most every few
   * seconds). Rejects with `ERR_AUTH_UNAVAILABLE` once the last good keys
   * are past the stale period.
   */
  async refreshIfAged(): Promise<void> {
    const now = this.options.clock.now();
    if (this.aged(now)) await this.refreshAged(now);
  }

  /** The verification key for a token header, fetching or refetching as the rules allow. */
  async getKey(alg: string, kid: string | undefined): Promise<KeyObject> {
    const now = this.options.clock.now();
    if (this.aged(now)) await this.refreshAged(now);

    let published = this.select(alg, kid);
    if (!published) {
      // An unknown kid may be a freshly rotated key: one refetch, then a cooldown.
      let pending = this.inflight;
      if (!pending && !this.coolingDown && this.mayRetry(now)) {
        this.lastKidRefetchAt = now;
        pending = this.startFetch(now);
      }
      if (pending) await pending.catch(() => undefined);
      published = this.select(alg, kid);
    }
    if (!published) {
      // While the endpoint is failing we cannot tell a new key from a forged one: not the client's fault.
      // This kid is looked up again only once the unknown-kid cooldown is over too.
      if (this.lastFailure !== undefined) throw this.unavailable(now, this.lastKidRefetchAt + this.options.cooldownMs);
      if (kid === undefined && this.candidates(alg, kid).length > 1) {
        throw tokenFault(new errors.JWKSMultipleMatchingKeys(), `no single JWKS key matches alg ${alg} without a kid`);
      }
      throw tokenFault(new errors.JWKSNoMatchingKey(), kid === undefined ? `no single JWKS key matches alg ${alg} without a kid` : `no JWKS key matches kid and alg ${alg}`);
    }
    return this.importKey(published);
  }

  private aged(now: number): boolean {
    return this.keys === undefined || now - this.fetchedAt >= this.options.maxAgeMs;
  }

  /** Refreshes aged (or missing) keys; serves stale keys within the stale period if that fails. */
  private async refreshAged(now: number): Promise<void> {
    const pending = this.inflight ?? (this.mayRetry(now) ? this.startFetch(now) : undefined);
    if (pending) await pending.catch(() => undefined);
    if (this.keys !== undefined && this.options.clock.now() - this.fetchedAt < this.options.maxAgeMs + this.options.staleMs) return;
    throw this.unavailable(now);
  }

  /** After a failed fetch, the next one waits a little: a down endpoint is not hammered. */
  private mayRetry(now: number): boolean {
    return this.lastFailure === undefined || now - this.lastAttemptAt >= Math.min(FAILURE_RETRY_MS, this.options.cooldownMs);
  }

  private startFetch(now: number): Promise<void> {
    const { uri, timeoutMs, logger } = this.options;
    this.lastAttemptAt = now;
    this.fetches += 1;
    const startedAt = jwksFetchStarted();
    const fetching = downloadJwks(uri, timeoutMs).then(
      (keys) => {
        publishJwksFetch(uri, startedAt, { keys: keys.length });
        if (this.lastFailure !== undefined) logger.info({ jwksUri: uri }, "JWKS reachable again");
        this.replaceKeys(keys);
        this.fetchedAt = this.options.clock.now();
        this.lastFailure = undefined;
      },
      (error: unknown) => {
        const reason = error instanceof Error ? error.message : String(error);
        publishJwksFetch(uri, startedAt, { reason });
        // Once per outage, not once per request.
        if (this.lastFailure === undefined) logger.warn({ jwksUri: uri, reason }, "JWKS unavailable");
        this.lastFailure = reason;
        throw error;
      },
    );
    this.inflight = fetching.finally(() => {
      this.inflight = undefined;
    });
    return this.inflight;
  }

  /** Installs a freshly fetched set, keeping the records of unchanged keys and reporting the dropped ones. */
  private replaceKeys(jwks: JWK[]): void {
    const previous = new Map((this.keys ?? []).map((key) => [key.fingerprint, key]));
    this.keys = jwks.map((jwk) => {
      const fingerprint = fingerprintOf(jwk);
      const kept = previous.get(fingerprint);
      previous.delete(fingerprint);
      return kept ?? { jwk, fingerprint };
    });
    const removed = new Set<KeyObject>();
    for (const key of previous.values()) if (key.imported !== undefined && !(key.imported instanceof OidcError)) removed.add(key.imported);
    if (removed.size === 0) return;
    for (const listener of this.listeners) {
      try {
        listener(removed);
      } catch (error) {
        this.options.logger.error({ jwksUri: this.options.uri, reason: (error as Error)?.message }, "JWKS key removal listener threw");
      }
    }
  }

  private candidates(alg: string, kid: string | undefined): PublishedKey[] {
    return (this.keys ?? []).filter(({ jwk }) => (kid === undefined || jwk.kid === kid) && jwkMatchesAlgorithm(jwk, alg));
  }

  private select(alg: string, kid: string | undefined): PublishedKey | undefined {
    const candidates = this.candidates(alg, kid);
    // Without a kid, only an unambiguous key may be used.
    if (kid === undefined && candidates.length !== 1) return undefined;
    return candidates[0];
  }

  /** Imports a published key once; the outcome, usable or not, is kept with it. */
  private importKey(key: PublishedKey): KeyObject {
    key.imported ??= importPublicKey(key.jwk, "JWKS key");
    if (key.imported instanceof OidcError) throw key.imported;
    return key.imported;
  }

  /** The 503 refusal; `Retry-After` is the time until the next fetch that could help, at least 1 s. */
  private unavailable(now: number, notBefore = Number.NEGATIVE_INFINITY): OidcError {
    const retryAt = Math.max(notBefore, this.lastAttemptAt + Math.min(FAILURE_RETRY_MS, this.options.cooldownMs));
    return new OidcError(ERR_AUTH_UNAVAILABLE, {
      reason: `JWKS ${this.options.uri} unavailable: ${this.lastFailure ?? "no keys"}`,
      retryAfter: Math.max(1, Math.ceil((retryAt - now) / 1000)),
    });
  }
}

function fingerprintOf(jwk: JWK): string {
  return JSON.stringify([jwk.kid, jwk.alg, jwk.kty, jwk.crv, jwk.n, jwk.e, jwk.x, jwk.y]);
}

import { hash as digestOf, type KeyObject } from "node:crypto";
import { inject, injectable } from "tsyringe";
import type { ResolvedOidcConfig } from "../../config.js";
import { TOKENS } from "../../tokens.js";
import type { VerifiedClaims } from "../../types.js";
import type { Clock } from "../Clock.js";
import type { RemoteKeySet } from "../keys/RemoteKeySet.js";
import { HotStrings, tailHash } from "../HotStrings.js";
import { FrequencySketch } from "./FrequencySketch.js";

/** A successful verification, as the verifier hands it to the cache. */
export interface Verification {
  readonly claims: VerifiedClaims;
  /** The key set the signing key came from: its refreshes may drop the key. */
  readonly keySet: RemoteKeySet;
  /** The key that verified the signature. */
  readonly key: KeyObject;
  /** When the claims stop being acceptable (`exp`, or `iat` + max age, plus the clock tolerance), in ms. */
  readonly acceptedUntilMs: number;
}

/** What a cache has done since it was made (`BoundedVerifiedTokenCache.stats`). */
export interface TokenCacheStats {
  /** Lookups answered with claims. */
  hits: number;
  /** Lookups that found nothing valid under the settings asked for. */
  misses: number;
  /** Verifications offered to the cache that it turned away (TinyLFU admission) or that pushed another entry out. */
  evictions: number;
}

/**
 * Remembers successful verifications so a token presented again skips the
 * signature check. Only acceptances are ever stored; the verifier still
 * checks size first and the key set's age on every hit.
 */
export interface VerifiedTokenCache {
  /** The claims verified earlier for exactly this token under an equal config, if the entry is still valid now. */
  get(token: string, config: ResolvedOidcConfig): VerifiedClaims | undefined;
  /** Remembers a verification for at most `config.tokenCacheTtlSeconds`; a no-op when `config.tokenCacheSize` is 0. */
  set(token: string, config: ResolvedOidcConfig, verification: Verification): void;
  /** Entries held (expired ones may linger until touched or evicted). */
  readonly size: number;
}

/** The three segments of W-TinyLFU; `NONE` marks an entry no longer in the cache. */
const WINDOW = 0;
const PROBATION = 1;
const PROTECTED = 2;
const NONE = 3;
type Segment = typeof WINDOW | typeof PROBATION | typeof PROTECTED | typeof NONE;

interface Entry {
  readonly digest: string;
  /** 32 bits of the token's signature, for the frequency sketch and the hot-token table. */
  readonly hash: number;
  readonly claims: VerifiedClaims;
  readonly scope: string;
  readonly key: KeyObject;
  readonly expiresAtMs: number;
  segment: Segment;
  /** Neighbours in the segment's list, most recently used first. */
  newer: Entry | undefined;
  older: Entry | undefined;
}

/** An intrusive doubly linked list of entries: O(1) push, move and removal, no allocation. */
class Lru {
  newest: Entry | undefined;
  oldest: Entry | undefined;
  size = 0;

  push(entry: Entry): void {
    entry.older = this.newest;
    entry.newer = undefined;
    if (this.newest) this.newest.newer = entry;
    else this.oldest = entry;
    this.newest = entry;
    this.size += 1;
  }

  remove(entry: Entry): void {
    if (entry.newer) entry.newer.older = entry.older;
    else this.newest = entry.older;
    if (entry.older) entry.older.newer = entry.newer;
    else this.oldest = entry.newer;
    entry.newer = entry.older = undefined;
    this.size -= 1;
  }
}

/**
 * The hot-token table: the presented token strings themselves, for the
 * last hits (at most this many, whatever the cache size), so a token used
 * again and again is recognised by comparing strings instead of hashing
 * it. Longer tokens are not kept, so its memory stays small (256 × 8 KiB
 * at most).
 */
const HOT_SLOTS = 256;
/** How many misses' digests are remembered for their `set`: far more than requests in flight. */
const MISS_DIGESTS = 1024;
const HOT_MAX_LENGTH = 8192;

/**
 * The settings an entry was verified under. Entries only answer a lookup
 * under equal settings, so verifiers with different audiences, issuers or
 * JWKS sharing one cache never accept each other's tokens.
 */
const scopes = new WeakMap<ResolvedOidcConfig, string>();
function scopeOf(config: ResolvedOidcConfig): string {
  let scope = scopes.get(config);
  if (scope === undefined) scopes.set(config, (scope = JSON.stringify(config)));
  return scope;
}

/**
 * The default cache, W-TinyLFU (the policy of Caffeine): at most
 * `tokenCacheSize` entries, split into a small window (1 %) kept in LRU
 * order, and a main part (99 %) split into probation and protected (80 %
 * of it) segments. A new verification enters the window; the one it
 * pushes out of the window only enters the main part if the frequency
 * sketch says it was used more recently than the entry it would replace.
 * So a flood of tokens seen once never pushes out the tokens in use, and a
 * working set larger than the cache keeps its most used tokens instead of
 * churning through all of them. Every operation is constant-time: an
 * insert moves at most two entries and removes at most one.
 *
 * Keys: the SHA-256 digest of the full token. Two different tokens share an
 * entry only if SHA-256 collides (which RS256 and ES256 signatures already
 * assume it never does), and an entry holds 32 bytes of key instead of the
 * whole token. A token presented often is found without hashing: the
 * hot-token table (`HOT_SLOTS` slots) keeps the exact strings of recent
 * hits and compares them whole.
 *
 * An entry expires at the earliest of the claims' own deadline (with the
 * clock tolerance) and the cache TTL, and goes as soon as a JWKS refresh
 * drops the key that verified it.
 */
@injectable()
export class BoundedVerifiedTokenCache implements VerifiedTokenCache {
  private readonly entries = new Map<string, Entry>();
  private readonly watched = new WeakSet<RemoteKeySet>();
  private readonly window = new Lru();
  private readonly probation = new Lru();
  private readonly protected = new Lru();
  private readonly hot = new HotStrings<Entry>(HOT_SLOTS, HOT_MAX_LENGTH);
  private capacity = 0;
  private windowMax = 0;
  private protectedMax = 0;
  private sketch: FrequencySketch | undefined;
  private readonly missDigests = new Map<string, string>();
  /** Lookups and admissions so far. */
  readonly stats: TokenCacheStats = { hits: 0, misses: 0, evictions: 0 };
  /** Entries moved between or removed from segments: the eviction work, for tests that count it. */
  moves = 0;
  /** Tokens hashed (SHA-256) so far, for tests that count the work. */
  hashed = 0;

  constructor(@inject(TOKENS.Clock) private readonly clock: Clock) {}

  get size(): number {
    return this.entries.size;
  }

  /** Work the frequency sketch's aging did, for tests that count it. */
  get agedCells(): number {
    return this.sketch?.agedCells ?? 0;
  }

  get(token: string, config: ResolvedOidcConfig): VerifiedClaims | undefined {
    // An empty cache (e.g. size 0) answers without hashing the token.
    if (this.entries.size === 0) return undefined;
    const hash = tailHash(token);
    let entry = this.hot.get(token, hash);
    if (entry === undefined || entry.segment === NONE) {
      const digest = this.digest(token);
      entry = this.entries.get(digest);
      if (entry === undefined) return this.miss(token, digest);
      this.hot.set(token, hash, entry);
    }
    if (this.clock.now() >= entry.expiresAtMs) {
      this.evict(entry);
      return this.miss(token, entry.digest);
    }
    if (entry.scope !== scopeOf(config)) return this.miss(token, entry.digest);
    this.stats.hits += 1;
    this.sketch?.increment(entry.hash);
    this.touch(entry);
    return entry.claims;
  }

  set(token: string, config: ResolvedOidcConfig, verification: Verification): void {
    const capacity = config.tokenCacheSize;
    if (capacity <= 0) return;
    if (capacity !== this.capacity) this.resize(capacity);
    this.watch(verification.keySet);
    const hash = tailHash(token);
    const digest = this.missDigests.get(token) ?? this.digest(token);
    this.missDigests.delete(token);
    const existing = this.entries.get(digest);
    if (existing !== undefined) this.evict(existing);
    this.sketch?.increment(hash);
    const expiresAtMs = Math.min(verification.acceptedUntilMs, this.clock.now() + config.tokenCacheTtlSeconds * 1000);
    const entry: Entry = {
      digest,
      hash,
      claims: verification.claims,
      scope: scopeOf(config),
      key: verification.key,
      expiresAtMs,
      segment: WINDOW,
      newer: undefined,
      older: undefined,
    };
    this.entries.set(digest, entry);
    this.window.push(entry);
    if (this.window.size > this.windowMax) this.leaveWindow(this.window.oldest as Entry);
  }

  private digest(token: string): string {
    this.hashed += 1;
    return digestOf("sha256", token, "base64");
  }

  /** A hit: most recently used in its segment; a second use in probation earns a protected place. */
  private touch(entry: Entry): void {
    if (entry.segment === WINDOW) {
      this.window.remove(entry);
      this.window.push(entry);
    } else if (entry.segment === PROTECTED) {
      this.protected.remove(entry);
      this.protected.push(entry);
    } else if (entry.segment === PROBATION) {
      this.probation.remove(entry);
      this.protected.push(entry);
      entry.segment = PROTECTED;
      this.moves += 1;
      if (this.protected.size > this.protectedMax) {
        // The protected segment's least recent entry goes back to probation: it must earn its place again.
        const demoted = this.protected.oldest as Entry;
        this.protected.remove(demoted);
        this.probation.push(demoted);
        demoted.segment = PROBATION;
        this.moves += 1;
      }
    }
  }

  /**
   * The window's oldest entry (the candidate) enters the main part if
   * there is room, or if the sketch rates it above the main part's next
   * victim (probation's least recent entry). The loser leaves the cache.
   */
  private leaveWindow(candidate: Entry): void {
    this.window.remove(candidate);
    this.moves += 1;
    if (this.probation.size + this.protected.size < this.capacity - this.windowMax) {
      this.probation.push(candidate);
      candidate.segment = PROBATION;
      return;
    }
    const victim = this.probation.oldest ?? this.protected.oldest;
    const now = this.clock.now();
    const admit =
      victim !== undefined &&
      now < candidate.expiresAtMs &&
      (now >= victim.expiresAtMs || (this.sketch as FrequencySketch).frequency(candidate.hash) > (this.sketch as FrequencySketch).frequency(victim.hash));
    if (!admit) {
      candidate.segment = NONE;
      this.forget(candidate);
      return;
    }
    this.evict(victim);
    this.probation.push(candidate);
    candidate.segment = PROBATION;
  }

  /** Takes an entry out of its segment and the cache. */
  private evict(entry: Entry): void {
    if (entry.segment === WINDOW) this.window.remove(entry);
    else if (entry.segment === PROBATION) this.probation.remove(entry);
    else if (entry.segment === PROTECTED) this.protected.remove(entry);
    entry.segment = NONE;
    this.moves += 1;
    this.forget(entry);
  }

  private forget(entry: Entry): void {
    this.entries.delete(entry.digest);
    this.stats.evictions += 1;
  }

  /**
   * A miss, whose digest is remembered for the `set` that follows once the
   * token is verified: other requests' lookups may come in between, and the
   * token need not be hashed twice. Misses of refused tokens are never
   * followed by a `set`: the memo is emptied when it reaches its bound.
   */
  private miss(token: string, digest: string): undefined {
    this.stats.misses += 1;
    if (this.missDigests.size >= MISS_DIGESTS) this.missDigests.clear();
    this.missDigests.set(token, digest);
    return undefined;
  }

  /**
   * Sizes the segments for `capacity` (the first insert, or settings with
   * another size). Shrinking drops the excess at once, oldest first: the
   * only operation whose work is not bounded, and settings rarely change.
   */
  private resize(capacity: number): void {
    this.capacity = capacity;
    this.windowMax = capacity === 1 ? 1 : Math.max(1, Math.round(capacity / 100));
    this.protectedMax = Math.floor((capacity - this.windowMax) * 0.8);
    this.sketch = new FrequencySketch(capacity);
    for (const segment of [this.window, this.probation, this.protected]) {
      while (this.entries.size > capacity && segment.oldest !== undefined) this.evict(segment.oldest);
    }
  }

  /** Subscribes once per key set: a refresh that drops keys drops what they verified. */
  private watch(keySet: RemoteKeySet): void {
    if (this.watched.has(keySet)) return;
    this.watched.add(keySet);
    keySet.onKeysRemoved((removed) => {
      // Rare (a key rotation), and at most `capacity` entries: a scan beats an index kept on every insert.
      for (const entry of [...this.entries.values()]) if (removed.has(entry.key)) this.evict(entry);
    });
  }
}

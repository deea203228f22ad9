import type { KeyObject } from "node:crypto";
import { inject, injectable } from "tsyringe";
import type { ResolvedOidcConfig } from "../../config.js";
import { TOKENS } from "../../tokens.js";
import type { VerifiedClaims } from "../../types.js";
import type { Clock } from "../Clock.js";
import type { RemoteKeySet } from "../keys/RemoteKeySet.js";

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

interface Entry {
  readonly claims: VerifiedClaims;
  readonly scope: string;
  readonly key: KeyObject;
  readonly expiresAtMs: number;
  /** Hit since it was stored or last spared from eviction (the "second chance" bit). */
  referenced: boolean;
}

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
 * The default cache: at most `tokenCacheSize` entries on one `Map`, evicted
 * in insertion order with a second chance (the CLOCK approximation of LRU):
 * the oldest entry goes unless it was hit since it was stored, in which
 * case it moves to the back, unmarked, and the next oldest is considered.
 * A hit only sets a flag, so it costs one `Map` lookup; a flood of distinct
 * tokens, each seen once, evicts itself before any token in active use.
 *
 * Keyed by the full token string: two different tokens can never share an
 * entry, and a lookup costs a string hash and compare (a SHA-256 digest of
 * the token would cost more per request than it saves in memory; see
 * bench/README.md).
 *
 * An entry expires at the earliest of the claims' own deadline (with the
 * clock tolerance) and the cache TTL, and goes as soon as a JWKS refresh
 * drops the key that verified it.
 */
@injectable()
export class BoundedVerifiedTokenCache implements VerifiedTokenCache {
  private readonly entries = new Map<string, Entry>();
  private readonly watched = new WeakSet<RemoteKeySet>();

  constructor(@inject(TOKENS.Clock) private readonly clock: Clock) {}

  get size(): number {
    return this.entries.size;
  }

  get(token: string, config: ResolvedOidcConfig): VerifiedClaims | undefined {
    // An empty cache (e.g. size 0) answers without hashing the token.
    if (this.entries.size === 0) return undefined;
    const entry = this.entries.get(token);
    if (entry === undefined) return undefined;
    if (this.clock.now() >= entry.expiresAtMs) {
      this.entries.delete(token);
      return undefined;
    }
    if (entry.scope !== scopeOf(config)) return undefined;
    entry.referenced = true;
    return entry.claims;
  }

  set(token: string, config: ResolvedOidcConfig, verification: Verification): void {
    const capacity = config.tokenCacheSize;
    if (capacity <= 0) return;
    this.watch(verification.keySet);
    const now = this.clock.now();
    const expiresAtMs = Math.min(verification.acceptedUntilMs, now + config.tokenCacheTtlSeconds * 1000);
    this.entries.delete(token);
    this.entries.set(token, { claims: verification.claims, scope: scopeOf(config), key: verification.key, expiresAtMs, referenced: false });
    // Ends: every pass evicts an entry or clears a flag, and nothing sets flags meanwhile.
    while (this.entries.size > capacity) {
      const [oldestToken, oldest] = this.entries.entries().next().value as [string, Entry];
      this.entries.delete(oldestToken);
      if (oldest.referenced && now < oldest.expiresAtMs) {
        oldest.referenced = false;
        this.entries.set(oldestToken, oldest);
      }
    }
  }
  /** Subscribes once per key set: a refresh that drops keys drops what they verified. */
  private watch(keySet: RemoteKeySet): void {
    if (this.watched.has(keySet)) return;
    this.watched.add(keySet);
    keySet.onKeysRemoved((removed) => {
      // Rare (a key rotation), and at most `capacity` entries: a scan beats an index kept on every insert.
      for (const [token, entry] of this.entries) if (removed.has(entry.key)) this.entries.delete(token);
    });
  }
}

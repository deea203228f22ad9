import { inject, injectable } from "tsyringe";
import type { Logger } from "pino";
import { TOKENS } from "../../tokens.js";
import type { Clock } from "../Clock.js";
import type { RevocableClaims, Revocation, RevocationStore } from "./RevocationStore.js";
import { publishRevocation } from "../diagnostics.js";

/** Most live entries (revocations plus single-use ids) the default store holds before it refuses new ones. */
export const DEFAULT_MAX_REVOCATION_ENTRIES = 100_000;

interface SubjectEntry {
  before: number;
  expiresAt: number;
}

/**
 * Entries by issuer (or scope), then by id. Two levels rather than one map
 * on `iss + id`: a lookup then hashes the claim strings the token already
 * holds (V8 caches a string's hash) instead of building and hashing a new
 * key string per check, which costs tens of times more once the store is
 * not empty.
 */
class TwoLevelMap<V> {
  private readonly outer = new Map<string, Map<string, V>>();
  size = 0;

  get(first: string, second: string): V | undefined {
    return this.outer.get(first)?.get(second);
  }

  set(first: string, second: string, value: V): void {
    let inner = this.outer.get(first);
    if (inner === undefined) this.outer.set(first, (inner = new Map()));
    if (!inner.has(second)) this.size += 1;
    inner.set(second, value);
  }

  delete(first: string, second: string): void {
    const inner = this.outer.get(first);
    if (inner === undefined || !inner.delete(second)) return;
    this.size -= 1;
    if (inner.size === 0) this.outer.delete(first);
  }

  /** Drops every entry `expired` says is over. */
  sweep(expired: (value: V) => boolean): void {
    for (const [first, inner] of this.outer) {
      for (const [second, value] of inner) if (expired(value)) this.delete(first, second);
    }
  }
}

/**
 * The default `RevocationStore`: every revocation and single-use id of
 * this process in `Map`s, so `isRevoked` costs a few lookups (and
 * none while the store is empty, the usual case).
 *
 * Bounded: an entry is forgotten at its `expiresAt` (dropped when a lookup
 * meets it, and swept on `add`/`claimOnce` once the maps doubled since the
 * last sweep); "sub before T" revocations of one subject collapse into
 * one entry with the latest T; and past `maxEntries` live entries `add`
 * and `claimOnce` reject instead of dropping anything, so a flood can cost
 * memory up to the cap but can never un-revoke a token (fail closed).
 *
 * One process only: with several nodes bind the Redis store
 * (`ioserver-oidc/redis`) instead.
 */
@injectable()
export class MemoryRevocationStore implements RevocationStore {
  private readonly jtis = new TwoLevelMap<number>();
  private readonly sids = new TwoLevelMap<number>();
  private readonly subjects = new TwoLevelMap<SubjectEntry>();
  private readonly claimed = new TwoLevelMap<number>();
  private readonly listeners = new Set<(revocation: Revocation) => void>();
  /** Entries after the last sweep: the next sweep waits until there are twice as many. */
  private sweptAt = 0;
  /** The cap on live entries; raise it on the resolved store if a process legitimately holds more. */
  maxEntries = DEFAULT_MAX_REVOCATION_ENTRIES;

  constructor(
    @inject(TOKENS.Clock) private readonly clock: Clock,
    @inject(TOKENS.Logger) private readonly logger: Logger,
  ) {}

  /** Live and not-yet-swept entries held, revocations and single-use ids together. */
  get size(): number {
    return this.jtis.size + this.sids.size + this.subjects.size + this.claimed.size;
  }

  async add(revocation: Revocation): Promise<void> {
    const entry = checked(revocation);
    this.makeRoom();
    if (entry.kind === "jti") extend(this.jtis, entry.iss, entry.jti, entry.expiresAt);
    else if (entry.kind === "sid") extend(this.sids, entry.iss, entry.sid, entry.expiresAt);
    else {
      const known = this.subjects.get(entry.iss, entry.sub);
      // One entry per subject: the later cut-off covers every token the earlier one did.
      this.subjects.set(entry.iss, entry.sub, {
        before: Math.max(known?.before ?? entry.before, entry.before),
        expiresAt: Math.max(known?.expiresAt ?? entry.expiresAt, entry.expiresAt),
      });
    }
    publishRevocation(entry);
    for (const listener of [...this.listeners]) {
      try {
        listener(entry);
      } catch (error) {
        this.logger.warn({ reason: (error as Error)?.message ?? String(error), kind: entry.kind }, "revocation listener threw");
      }
    }
  }

  isRevoked(claims: RevocableClaims, nowMs: number): boolean {
    if (this.jtis.size + this.sids.size + this.subjects.size === 0) return false;
    const { iss } = claims;
    if (typeof claims.jti === "string" && live(this.jtis, iss, claims.jti, nowMs)) return true;
    if (typeof claims.sid === "string" && live(this.sids, iss, claims.sid, nowMs)) return true;
    if (this.subjects.size === 0) return false;
    const subject = this.subjects.get(iss, claims.sub);
    if (subject === undefined) return false;
    if (nowMs >= subject.expiresAt) {
      this.subjects.delete(iss, claims.sub);
      return false;
    }
    // A token without a numeric iat cannot show it was issued after the cut-off: revoked (fail closed).
    return typeof claims.iat !== "number" || claims.iat < subject.before;
  }

  onRevoked(listener: (revocation: Revocation) => void): () => void {
    this.listeners.add(listener);
    return () => {
      this.listeners.delete(listener);
    };
  }

  async claimOnce(scope: string, id: string, expiresAt: number): Promise<boolean> {
    if (typeof scope !== "string" || typeof id !== "string" || id === "") throw new TypeError("claimOnce(): scope and id must be strings, id non-empty");
    if (!Number.isFinite(expiresAt)) throw new TypeError("claimOnce(): expiresAt must be a finite epoch in ms");
    if (live(this.claimed, scope, id, this.clock.now())) return false;
    this.makeRoom();
    this.claimed.set(scope, id, expiresAt);
    return true;
  }

  /** Sweeps expired entries when the maps doubled since the last sweep; rejects when still full. */
  private makeRoom(): void {
    if (this.size >= Math.max(1024, this.sweptAt * 2) || this.size >= this.maxEntries) {
      const now = this.clock.now();
      for (const map of [this.jtis, this.sids, this.claimed]) map.sweep((expiresAt) => now >= expiresAt);
      this.subjects.sweep((entry) => now >= entry.expiresAt);
      this.sweptAt = this.size;
    }
    if (this.size >= this.maxEntries) {
      throw new RangeError(`revocation store full: ${this.maxEntries} live entries (they expire with the longest token lifetime)`);
    }
  }
}

/** The entry exists and has not expired at `nowMs`; an expired entry is dropped on the way. */
function live(map: TwoLevelMap<number>, first: string, second: string, nowMs: number): boolean {
  const expiresAt = map.get(first, second);
  if (expiresAt === undefined) return false;
  if (nowMs < expiresAt) return true;
  map.delete(first, second);
  return false;
}

/** Sets the entry to the later of its current and the new expiry. */
function extend(map: TwoLevelMap<number>, first: string, second: string, expiresAt: number): void {
  map.set(first, second, Math.max(map.get(first, second) ?? expiresAt, expiresAt));
}

const nonEmpty = (value: unknown): value is string => typeof value === "string" && value !== "";

/** A revocation whose fields all hold what the type says (a host's JS may pass anything), frozen. */
export function checked(revocation: Revocation): Revocation {
  const r = revocation as unknown as Record<string, unknown> | null;
  if (r === null || typeof r !== "object") throw new TypeError("revocation must be an object");
  if (!nonEmpty(r.iss)) throw new TypeError("revocation.iss must be a non-empty string");
  if (typeof r.expiresAt !== "number" || !Number.isFinite(r.expiresAt)) throw new TypeError("revocation.expiresAt must be a finite epoch in ms");
  const { iss, expiresAt } = r as { iss: string; expiresAt: number };
  switch (r.kind) {
    case "jti":
      if (!nonEmpty(r.jti)) throw new TypeError("revocation.jti must be a non-empty string");
      return Object.freeze({ kind: "jti", iss, jti: r.jti, expiresAt });
    case "sid":
      if (!nonEmpty(r.sid)) throw new TypeError("revocation.sid must be a non-empty string");
      return Object.freeze({ kind: "sid", iss, sid: r.sid, expiresAt });
    case "sub":
      if (!nonEmpty(r.sub)) throw new TypeError("revocation.sub must be a non-empty string");
      if (typeof r.before !== "number" || !Number.isFinite(r.before)) throw new TypeError("revocation.before must be a finite epoch in seconds");
      return Object.freeze({ kind: "sub", iss, sub: r.sub, before: r.before, expiresAt });
    default:
      throw new TypeError('revocation.kind must be "jti", "sid" or "sub"');
  }
}

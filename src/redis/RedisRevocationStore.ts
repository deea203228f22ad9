import type { Logger } from "pino";
import { REVOCATION_STALE_POLICIES, type RevocationStalePolicy } from "../config.js";
import { ERR_AUTH_UNAVAILABLE, OidcError } from "../errors.js";
import { systemClock, type Clock } from "../services/Clock.js";
import { createOidcLogger } from "../services/logger.js";
import { publishRevocation } from "../services/diagnostics.js";
import { checked } from "../services/sessions/MemoryRevocationStore.js";
import type { RevocableClaims, Revocation, RevocationStore } from "../services/sessions/RevocationStore.js";
import { withTimeout, type RedisCommandClient, type RedisSubscriberClient } from "./redisClient.js";
import { RevocationMirror } from "./RevocationMirror.js";
import { messageOf, RevocationSync } from "./RevocationSync.js";
import { ADD_SCRIPT, parseScoredMembers } from "./script.js";
import { decodeMessage, encodeMessage, memberOf, revocationOf } from "./wire.js";


export interface RedisRevocationStoreOptions {
  /** The host's node-redis client (`createClient()`, v4 or v5), connected or connecting. The store never closes it. */
  client: RedisCommandClient;
  /**
   * A second connection for SUBSCRIBE. Default: `client.duplicate()`, which
   * the store connects and closes itself; one given here is the host's to close.
   */
  subscriber?: RedisSubscriberClient;
  /** Prefix of every key and channel (default `"ioserver-oidc:"`); nodes sharing revocations use the same. */
  keyPrefix?: string;
  /** How long a node cut off from Redis keeps answering from its mirror alone before `stalePolicy` applies (default 60 s). */
  maxStalenessSeconds?: number;
  /** `"refuse"` (default): `isRevoked` throws `ERR_AUTH_UNAVAILABLE` (503) once stale; `"serve"`: keep answering from the mirror. */
  stalePolicy?: RevocationStalePolicy;
  /** Longest wait for one Redis command of `add`, `claimOnce` or a resync (default 2000 ms). */
  commandTimeoutMs?: number;
  logger?: Logger;
  clock?: Clock;
}

const PRUNE_INTERVAL_MS = 60_000;
/** Revocations written back per script call after Redis lost its data. */
const REPAIR_BATCH = 500;

/**
 * Revocations shared by every node through Redis (`ioserver-oidc/redis`).
 *
 * - State: one sorted set `<prefix>revocations`, a member per revocation,
 *   scored by its `expiresAt`; expired members are dropped on every write
 *   and the key's own TTL is the latest `expiresAt`, so Redis holds only
 *   revocations that can still match a valid token.
 * - Propagation: each write publishes the revocation on `<prefix>revoked`;
 *   every node applies it to its in-process mirror, which is all
 *   `isRevoked` reads (no network on the hot path).
 * - Catching up: whenever the subscription is (re)established, the node
 *   reads the whole set (one `ZRANGE … BYSCORE`): anything published while
 *   it was cut off is in it. Entries the node knows and Redis lacks (Redis
 *   restarted without persistence, or an `add` made during the outage) are
 *   written back and published, so nothing is lost while one node holds it.
 * - Single-use ids: `SET <prefix>once:<scope>:<id> 1 NX PX <ttl>`, atomic
 *   across nodes.
 *
 * Redis unreachable: nothing throws out of an event handler and no promise
 * is left unhandled; the node keeps its last known revocations, warns once
 * per outage, resynchronises by itself when Redis is back, and applies
 * `stalePolicy` once out of sync for `maxStalenessSeconds`. `add` records
 * the revocation on this node at once, then rejects with
 * `ERR_AUTH_UNAVAILABLE` (the caller must know the other nodes did not get
 * it yet); the node writes it to Redis when it next synchronises.
 * `claimOnce` rejects with `ERR_AUTH_UNAVAILABLE`: without Redis a replay
 * on another node cannot be ruled out.
 *
 * @example
 * ```ts
 * const client = createClient({ url: process.env.REDIS_URL });
 * await client.connect();
 * const store = new RedisRevocationStore({ client });
 * void store.start();
 * ```
 */
export class RedisRevocationStore implements RevocationStore {
  readonly key: string;
  readonly channel: string;
  private readonly prefix: string;
  private readonly client: RedisCommandClient;
  private readonly maxStalenessMs: number;
  private readonly stalePolicy: RevocationStalePolicy;
  private readonly timeoutMs: number;
  private readonly logger: Logger;
  private readonly clock: Clock;
  private readonly mirror = new RevocationMirror();
  private readonly listeners = new Set<(revocation: Revocation) => void>();
  private readonly sync: RevocationSync;
  private pruner: NodeJS.Timeout | undefined;
  private closed = false;
  private malformedReported = false;

  constructor(options: RedisRevocationStoreOptions) {
    if (!options || typeof options.client?.sendCommand !== "function") throw new TypeError("RedisRevocationStore: options.client must be a node-redis client");
    const maxStaleness = options.maxStalenessSeconds ?? 60;
    if (typeof maxStaleness !== "number" || !Number.isFinite(maxStaleness) || maxStaleness < 0) throw new TypeError("RedisRevocationStore: maxStalenessSeconds must be a number ≥ 0");
    const policy = options.stalePolicy ?? "refuse";
    if (!(REVOCATION_STALE_POLICIES as readonly string[]).includes(policy)) throw new TypeError(`RedisRevocationStore: stalePolicy must be one of ${REVOCATION_STALE_POLICIES.join(", ")}`);
    const timeout = options.commandTimeoutMs ?? 2000;
    if (typeof timeout !== "number" || !Number.isFinite(timeout) || timeout <= 0) throw new TypeError("RedisRevocationStore: commandTimeoutMs must be a number > 0");
    this.prefix = options.keyPrefix ?? "ioserver-oidc:";
    this.key = `${this.prefix}revocations`;
    this.channel = `${this.prefix}revoked`;
    this.client = options.client;
    this.maxStalenessMs = maxStaleness * 1000;
    this.stalePolicy = policy;
    this.timeoutMs = timeout;
    this.logger = options.logger ?? createOidcLogger();
    this.clock = options.clock ?? systemClock;
    this.sync = new RevocationSync({
      client: options.client,
      subscriber: options.subscriber ?? options.client.duplicate(),
      ownsSubscriber: options.subscriber === undefined,
      channel: this.channel,
      timeoutMs: timeout,
      logger: this.logger,
      clock: this.clock,
      onMessage: this.onMessage,
      pull: () => this.pullAndRepair(),
      describeOutage: () => ({
        message:
          `revocations: Redis unreachable; serving the ${this.mirror.size} known revocation(s), ` +
          (this.stalePolicy === "refuse" ? `refusing with ERR_AUTH_UNAVAILABLE once out of sync for ${maxStaleness} s` : "and still serving when stale (policy serve)"),
        details: { revocations: this.mirror.size, maxStalenessSeconds: maxStaleness, stalePolicy: this.stalePolicy },
      }),
    });
  }

  /**
   * Subscribes and loads the shared revocations. Resolves once the mirror
   * is first in sync; never rejects (an unreachable Redis is retried, and
   * `stalePolicy` covers the wait). Idempotent.
   */
  start(): Promise<void> {
    if (!this.pruner && !this.closed) {
      this.pruner = setInterval(() => this.mirror.prune(this.clock.now()), PRUNE_INTERVAL_MS);
      this.pruner.unref();
    }
    return this.sync.start();
  }

  /** Unsubscribes and releases what the store opened; the host's clients stay open. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    clearInterval(this.pruner);
    await this.sync.close();
    this.listeners.clear();
  }

  /** Whether the mirror is known to hold every shared revocation right now. */
  get synchronized(): boolean {
    return this.sync.synchronized;
  }

  /** Live revocations in this node's mirror. */
  get size(): number {
    return this.mirror.size;
  }

  async add(input: Revocation): Promise<void> {
    const revocation = checked(input);
    const now = this.clock.now();
    // This node refuses at once, whatever happens to the write.
    if (this.mirror.apply(revocation, now)) this.notify(revocation);
    if (revocation.expiresAt <= now) return;
    if (this.closed) throw notPropagated("the store is closed");
    if (!this.client.isReady) throw notPropagated("Redis is unreachable");
    try {
      await this.write([revocation], now, "add");
    } catch (error) {
      this.sync.reportOutage(error);
      throw notPropagated(messageOf(error));
    }
  }

  isRevoked(claims: RevocableClaims, nowMs: number): boolean {
    if (this.mirror.isRevoked(claims, nowMs)) return true;
    if (this.stalePolicy === "refuse") {
      const staleMs = this.sync.staleForMs();
      if (staleMs > this.maxStalenessMs) {
        throw new OidcError(ERR_AUTH_UNAVAILABLE, {
          reason: `revocations out of sync with Redis for ${Math.round(staleMs / 1000)} s (AUTH_SERVICE_REVOCATION_MAX_STALENESS ${this.maxStalenessMs / 1000} s, policy refuse)`,
          retryAfter: 5,
        });
      }
    }
    return false;
  }

  onRevoked(listener: (revocation: Revocation) => void): () => void {
    this.listeners.add(listener);
    return () => void this.listeners.delete(listener);
  }

  async claimOnce(scope: string, id: string, expiresAt: number): Promise<boolean> {
    if (typeof scope !== "string" || !/^[a-z0-9_-]+$/i.test(scope)) throw new TypeError("claimOnce(): scope must be letters, digits, - or _");
    if (typeof id !== "string" || id === "") throw new TypeError("claimOnce(): id must be a non-empty string");
    if (typeof expiresAt !== "number" || !Number.isFinite(expiresAt)) throw new TypeError("claimOnce(): expiresAt must be a number (epoch ms)");
    if (this.closed || !this.client.isReady) throw unavailable("claimOnce", this.closed ? "the store is closed" : "Redis is unreachable");
    // A relative TTL: only this node's clock matters, not the agreement of its clock with Redis's.
    const ttlMs = Math.max(1, Math.ceil(expiresAt - this.clock.now()));
    try {
      const reply = await withTimeout(this.client.sendCommand(["SET", `${this.prefix}once:${scope}:${id}`, "1", "NX", "PX", String(ttlMs)]), this.timeoutMs, "claimOnce");
      return reply === "OK";
    } catch (error) {
      this.sync.reportOutage(error);
      throw unavailable("claimOnce", messageOf(error));
    }
  }

  private readonly onMessage = (payload: string): void => {
    const now = this.clock.now();
    const { revocations, malformed } = decodeMessage(payload);
    if (malformed > 0 && !this.malformedReported) {
      this.malformedReported = true;
      this.logger.warn({ channel: this.channel, malformed }, "revocations: ignored malformed entries on the Redis channel (reported once)");
    }
    for (const revocation of revocations) if (this.mirror.apply(revocation, now)) this.notify(revocation);
  };

  private async pullAndRepair(): Promise<{ learned: number; repaired: number }> {
    const now = this.clock.now();
    const reply = await withTimeout(this.client.sendCommand(["ZRANGE", this.key, String(now), "+inf", "BYSCORE", "WITHSCORES"]), this.timeoutMs, "resync");
    const remote = parseScoredMembers(reply);
    const learned: Revocation[] = [];
    for (const [member, score] of remote) {
      const revocation = revocationOf(member, score);
      if (revocation && this.mirror.apply(revocation, now)) learned.push(revocation);
    }
    const missing = [...this.mirror.entries(now)].filter((r) => (remote.get(memberOf(r)) ?? -Infinity) < r.expiresAt);
    for (let i = 0; i < missing.length; i += REPAIR_BATCH) await this.write(missing.slice(i, i + REPAIR_BATCH), now, "resync");
    this.mirror.prune(now);
    for (const revocation of learned) this.notify(revocation);
    return { learned: learned.length, repaired: missing.length };
  }

  /** Adds revocations to the set, drops expired members, extends the key's TTL and publishes, atomically. */
  private async write(revocations: readonly Revocation[], now: number, what: string): Promise<void> {
    const args = ["EVAL", ADD_SCRIPT, "1", this.key, String(now), this.channel, encodeMessage(revocations)];
    for (const r of revocations) args.push(String(Math.ceil(r.expiresAt)), memberOf(r));
    await withTimeout(this.client.sendCommand(args), this.timeoutMs, what);
  }

  private notify(revocation: Revocation): void {
    publishRevocation(revocation);
    for (const listener of this.listeners) {
      try {
        listener(revocation);
      } catch (error) {
        this.logger.warn({ err: messageOf(error), kind: revocation.kind }, "revocations: an onRevoked listener threw");
      }
    }
  }
}

function notPropagated(reason: string): OidcError {
  return new OidcError(ERR_AUTH_UNAVAILABLE, {
    message: "The revocation is in force on this node only: it could not be shared through Redis yet (this node shares it once Redis is back)",
    reason: `revocation not propagated: ${reason}`,
  });
}

function unavailable(what: string, reason: string): OidcError {
  return new OidcError(ERR_AUTH_UNAVAILABLE, { reason: `${what}: ${reason}` });
}

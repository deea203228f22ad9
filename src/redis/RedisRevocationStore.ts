import type { Logger } from "pino";
import { REVOCATION_STALE_POLICIES, type RevocationStalePolicy } from "../config.js";
import { ERR_AUTH_UNAVAILABLE, OidcError } from "../errors.js";
import { systemClock, type Clock } from "../services/Clock.js";
import { createOidcLogger } from "../services/logger.js";
import { checked } from "../services/sessions/MemoryRevocationStore.js";
import type { RevocableClaims, Revocation, RevocationStore } from "../services/sessions/RevocationStore.js";
import { dropClient, withTimeout, type RedisCommandClient, type RedisSubscriberClient } from "./redisClient.js";
import { RevocationMirror } from "./RevocationMirror.js";
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
const RETRY_MIN_MS = 100;
const RETRY_MAX_MS = 5_000;
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
  private readonly subscriber: RedisSubscriberClient;
  private readonly ownsSubscriber: boolean;
  private readonly maxStalenessMs: number;
  private readonly stalePolicy: RevocationStalePolicy;
  private readonly timeoutMs: number;
  private readonly logger: Logger;
  private readonly clock: Clock;
  private readonly mirror = new RevocationMirror();
  private readonly listeners = new Set<(revocation: Revocation) => void>();

  private started = false;
  private subscribed = false;
  private closed = false;
  private inSync = false;
  /** Since when the mirror may be missing revocations (construction, until the first sync). */
  private staleSince: number;
  /** Bumped at every loss of the subscription: a resync that straddles one does not count. */
  private epoch = 0;
  private syncing = false;
  private syncAgain = false;
  private outageReported = false;
  private malformedReported = false;
  private readonly timers = new Set<NodeJS.Timeout>();
  private resolveFirstSync!: () => void;
  private readonly firstSync = new Promise<void>((resolve) => (this.resolveFirstSync = resolve));

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
    this.ownsSubscriber = options.subscriber === undefined;
    this.subscriber = options.subscriber ?? options.client.duplicate();
    this.maxStalenessMs = maxStaleness * 1000;
    this.stalePolicy = policy;
    this.timeoutMs = timeout;
    this.logger = options.logger ?? createOidcLogger();
    this.clock = options.clock ?? systemClock;
    this.staleSince = this.clock.now();
  }

  /**
   * Subscribes and loads the shared revocations. Resolves once the mirror
   * is first in sync; never rejects (an unreachable Redis is retried, and
   * `stalePolicy` covers the wait). Idempotent.
   */
  start(): Promise<void> {
    if (this.started || this.closed) return this.firstSync;
    this.started = true;
    this.subscriber.on("error", this.onSubscriberLost);
    this.subscriber.on("reconnecting", this.onSubscriberLost);
    this.subscriber.on("end", this.onSubscriberLost);
    this.subscriber.on("ready", this.onSubscriberReady);
    // node-redis throws an 'error' event with no listener out of the process: the host's client gets one too.
    this.client.on("error", this.onClientError);
    if (!this.subscriber.isOpen) this.subscriber.connect().catch((error: unknown) => this.reportOutage(error));
    this.subscriber.subscribe(this.channel, this.onMessage).then(
      () => {
        this.subscribed = true;
        this.resync();
      },
      (error: unknown) => this.reportOutage(error),
    );
    const pruner = setInterval(() => this.mirror.prune(this.clock.now()), PRUNE_INTERVAL_MS);
    pruner.unref();
    this.timers.add(pruner);
    return this.firstSync;
  }

  /** Unsubscribes and releases what the store opened; the host's clients stay open. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    for (const timer of this.timers) clearTimeout(timer);
    this.timers.clear();
    this.subscriber.off("error", this.onSubscriberLost);
    this.subscriber.off("reconnecting", this.onSubscriberLost);
    this.subscriber.off("end", this.onSubscriberLost);
    this.subscriber.off("ready", this.onSubscriberReady);
    this.client.off("error", this.onClientError);
    if (this.ownsSubscriber) dropClient(this.subscriber);
    else if (this.subscriber.isReady) await withTimeout(this.subscriber.unsubscribe(this.channel, this.onMessage), this.timeoutMs, "unsubscribe").catch(() => undefined);
    this.listeners.clear();
  }

  /** Whether the mirror is known to hold every shared revocation right now. */
  get synchronized(): boolean {
    return this.inSync;
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
      this.reportOutage(error);
      throw notPropagated(messageOf(error));
    }
  }

  isRevoked(claims: RevocableClaims, nowMs: number): boolean {
    if (this.mirror.isRevoked(claims, nowMs)) return true;
    if (!this.inSync && this.stalePolicy === "refuse") {
      const staleMs = this.clock.now() - this.staleSince;
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
      this.reportOutage(error);
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

  private readonly onSubscriberLost = (error?: unknown): void => {
    this.epoch += 1;
    if (this.inSync) {
      this.inSync = false;
      this.staleSince = this.clock.now();
    }
    this.reportOutage(error ?? new Error("connection to Redis lost"));
  };

  private readonly onSubscriberReady = (): void => {
    // The first 'ready' may come before SUBSCRIBE is acknowledged; start() resyncs after that.
    if (this.subscribed) this.resync();
  };

  private readonly onClientError = (error: unknown): void => this.reportOutage(error);

  /** Reads the whole set into the mirror and writes back what Redis lacks; retried until in sync or the subscription drops. */
  private resync(): void {
    if (this.closed) return;
    if (this.syncing) {
      this.syncAgain = true;
      return;
    }
    this.syncing = true;
    void this.runResync().finally(() => (this.syncing = false));
  }

  private async runResync(): Promise<void> {
    let delay = RETRY_MIN_MS;
    this.syncAgain = true;
    while (this.syncAgain && !this.closed) {
      this.syncAgain = false;
      const epoch = this.epoch;
      try {
        const { learned, repaired } = await this.pullAndRepair();
        if (epoch !== this.epoch || !this.subscriber.isReady) {
          // The subscription dropped meanwhile: its next 'ready' resyncs; if it is back already, go again now.
          if (this.subscriber.isReady) this.syncAgain = true;
          continue;
        }
        this.markInSync(learned, repaired);
      } catch (error) {
        this.reportOutage(error);
        // Without a subscription the next 'ready' restarts the resync; with one, retry with backoff.
        if (!this.subscriber.isReady || this.closed) return;
        await this.sleep(delay);
        delay = Math.min(delay * 2, RETRY_MAX_MS);
        this.syncAgain = true;
      }
    }
  }

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

  private markInSync(learned: number, repaired: number): void {
    const wasOut = this.outageReported;
    const staleFor = this.clock.now() - this.staleSince;
    this.inSync = true;
    this.outageReported = false;
    this.resolveFirstSync();
    const details = { revocations: this.mirror.size, learned, repaired, outOfSyncMs: staleFor };
    if (wasOut) this.logger.info(details, "revocations: back in sync with Redis");
    else this.logger.debug(details, "revocations: in sync with Redis");
  }

  /** Warns once per outage, however many errors node-redis emits while it reconnects. */
  private reportOutage(error: unknown): void {
    if (this.outageReported || this.closed) return;
    this.outageReported = true;
    this.logger.warn(
      { err: messageOf(error), revocations: this.mirror.size, maxStalenessSeconds: this.maxStalenessMs / 1000, stalePolicy: this.stalePolicy },
      `revocations: Redis unreachable; serving the ${this.mirror.size} known revocation(s), ` +
        (this.stalePolicy === "refuse" ? `refusing with ERR_AUTH_UNAVAILABLE once out of sync for ${this.maxStalenessMs / 1000} s` : "and still serving when stale (policy serve)"),
    );
  }

  private notify(revocation: Revocation): void {
    for (const listener of this.listeners) {
      try {
        listener(revocation);
      } catch (error) {
        this.logger.warn({ err: messageOf(error), kind: revocation.kind }, "revocations: an onRevoked listener threw");
      }
    }
  }

  private sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        this.timers.delete(timer);
        resolve();
      }, ms);
      timer.unref();
      this.timers.add(timer);
    });
  }
}

const messageOf = (error: unknown): string => (error instanceof Error ? error.message : String(error));

function notPropagated(reason: string): OidcError {
  return new OidcError(ERR_AUTH_UNAVAILABLE, {
    message: "The revocation is in force on this node only: it could not be shared through Redis yet (this node shares it once Redis is back)",
    reason: `revocation not propagated: ${reason}`,
  });
}

function unavailable(what: string, reason: string): OidcError {
  return new OidcError(ERR_AUTH_UNAVAILABLE, { reason: `${what}: ${reason}` });
}

import type { Logger } from "pino";
import type { Clock } from "../services/Clock.js";
import { dropClient, withTimeout, type RedisCommandClient, type RedisSubscriberClient } from "./redisClient.js";

const RETRY_MIN_MS = 100;
const RETRY_MAX_MS = 5_000;

export interface RevocationSyncOptions {
  client: RedisCommandClient;
  subscriber: RedisSubscriberClient;
  /** Whether `subscriber` is the store's own duplicate (closed here) or the host's. */
  ownsSubscriber: boolean;
  channel: string;
  timeoutMs: number;
  logger: Logger;
  clock: Clock;
  /** Applies one pub/sub message. */
  onMessage(payload: string): void;
  /** Reads the whole shared state into the mirror and writes back what Redis lacks. */
  pull(): Promise<{ learned: number; repaired: number }>;
  /** The one warning of an outage: what the node keeps doing meanwhile. */
  describeOutage(): { message: string; details: Record<string, unknown> };
}

/**
 * Keeps one node's mirror in step with Redis: the subscription, a full
 * read (`pull`) each time the subscription is (re)established, and the
 * node's view of whether it is in sync and since when it is not. node-redis
 * resubscribes before it reports `ready`, so subscribe-then-read leaves no
 * gap. Errors never leave this class: they mark the node out of sync and
 * are logged once per outage.
 */
export class RevocationSync {
  private started = false;
  private subscribed = false;
  private closed = false;
  private inSync = false;
  /** Since when the mirror may be missing revocations (construction, until the first sync). */
  private staleSince: number;
  /** Bumped at every loss of the subscription: a read that straddles one does not count. */
  private epoch = 0;
  private syncing = false;
  private syncAgain = false;
  private outageReported = false;
  private readonly timers = new Set<NodeJS.Timeout>();
  private resolveFirstSync!: () => void;
  private readonly firstSync = new Promise<void>((resolve) => (this.resolveFirstSync = resolve));

  constructor(private readonly options: RevocationSyncOptions) {
    this.staleSince = options.clock.now();
  }

  /** Whether the mirror is known to hold every shared revocation right now. */
  get synchronized(): boolean {
    return this.inSync;
  }

  /** How long the mirror has been out of sync (ms), or 0 while in sync. */
  staleForMs(): number {
    return this.inSync ? 0 : this.options.clock.now() - this.staleSince;
  }

  /** Subscribes, then reads; resolves at the first sync, never rejects. Idempotent. */
  start(): Promise<void> {
    if (this.started || this.closed) return this.firstSync;
    this.started = true;
    const { client, subscriber, channel } = this.options;
    subscriber.on("error", this.onSubscriberLost);
    subscriber.on("reconnecting", this.onSubscriberLost);
    subscriber.on("end", this.onSubscriberLost);
    subscriber.on("ready", this.onSubscriberReady);
    // node-redis throws an 'error' event with no listener out of the process: the host's client gets one too.
    client.on("error", this.onClientError);
    client.on("ready", this.onClientReady);
    if (!subscriber.isOpen) subscriber.connect().catch((error: unknown) => this.reportOutage(error));
    subscriber.subscribe(channel, this.options.onMessage).then(
      () => {
        this.subscribed = true;
        this.resync();
      },
      (error: unknown) => this.reportOutage(error),
    );
    return this.firstSync;
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    for (const timer of this.timers) clearTimeout(timer);
    this.timers.clear();
    const { client, subscriber } = this.options;
    subscriber.off("error", this.onSubscriberLost);
    subscriber.off("reconnecting", this.onSubscriberLost);
    subscriber.off("end", this.onSubscriberLost);
    subscriber.off("ready", this.onSubscriberReady);
    client.off("error", this.onClientError);
    client.off("ready", this.onClientReady);
    if (this.options.ownsSubscriber) dropClient(subscriber);
    else if (subscriber.isReady) {
      await withTimeout(subscriber.unsubscribe(this.options.channel, this.options.onMessage), this.options.timeoutMs, "unsubscribe").catch(() => undefined);
    }
  }

  /** Warns once per outage, however many errors node-redis emits while it reconnects. */
  reportOutage(error: unknown): void {
    if (this.outageReported || this.closed) return;
    this.outageReported = true;
    const { message, details } = this.options.describeOutage();
    this.options.logger.warn({ err: messageOf(error), ...details }, message);
  }

  private readonly onSubscriberLost = (error?: unknown): void => {
    this.epoch += 1;
    if (this.inSync) {
      this.inSync = false;
      this.staleSince = this.options.clock.now();
    }
    this.reportOutage(error ?? new Error("connection to Redis lost"));
  };

  private readonly onSubscriberReady = (): void => {
    // The first 'ready' may come before SUBSCRIBE is acknowledged; start() reads after that.
    if (this.subscribed) this.resync();
  };

  private readonly onClientError = (error: unknown): void => this.reportOutage(error);

  /** The command connection is back: an outage it alone had is over (the next one warns again); a pending read can go on. */
  private readonly onClientReady = (): void => {
    if (!this.inSync) {
      if (this.subscribed && this.options.subscriber.isReady) this.resync();
      return;
    }
    if (this.outageReported) {
      this.outageReported = false;
      this.options.logger.info("revocations: Redis reachable again");
    }
  };

  private resync(): void {
    if (this.closed) return;
    if (this.syncing) {
      this.syncAgain = true;
      return;
    }
    this.syncing = true;
    void this.runResync().finally(() => (this.syncing = false));
  }

  /** Reads until in sync, retrying with back-off while subscribed; without a subscription the next 'ready' restarts it. */
  private async runResync(): Promise<void> {
    let delay = RETRY_MIN_MS;
    this.syncAgain = true;
    while (this.syncAgain && !this.closed) {
      this.syncAgain = false;
      const epoch = this.epoch;
      try {
        const { learned, repaired } = await this.options.pull();
        if (epoch !== this.epoch || !this.options.subscriber.isReady) {
          // The subscription dropped meanwhile: its next 'ready' resyncs; if it is back already, go again now.
          if (this.options.subscriber.isReady) this.syncAgain = true;
          continue;
        }
        this.markInSync(learned, repaired);
      } catch (error) {
        this.reportOutage(error);
        if (!this.options.subscriber.isReady || this.closed) return;
        await this.sleep(delay);
        delay = Math.min(delay * 2, RETRY_MAX_MS);
        this.syncAgain = true;
      }
    }
  }

  private markInSync(learned: number, repaired: number): void {
    const wasOut = this.outageReported;
    const outOfSyncMs = this.options.clock.now() - this.staleSince;
    this.inSync = true;
    this.outageReported = false;
    this.resolveFirstSync();
    const details = { learned, repaired, outOfSyncMs };
    if (wasOut) this.options.logger.info(details, "revocations: back in sync with Redis");
    else this.options.logger.debug(details, "revocations: in sync with Redis");
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

export const messageOf = (error: unknown): string => (error instanceof Error ? error.message : String(error));

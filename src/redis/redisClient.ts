/**
 * The part of a node-redis client (`redis` v4.6+, v5 or v6, `createClient()`) the
 * store uses. Commands go through `sendCommand`, whose shape both major
 * versions share, so the store works with either and never imports `redis`
 * itself: the host creates, configures and connects the client.
 */
export interface RedisCommandClient {
  readonly isReady: boolean;
  sendCommand(args: string[]): Promise<unknown>;
  /** A new client with the same options, not yet connected: the store's own subscriber when none is given. */
  duplicate(): RedisSubscriberClient;
  on(event: string, listener: (...args: unknown[]) => void): unknown;
  off(event: string, listener: (...args: unknown[]) => void): unknown;
}

/** A node-redis client in subscriber mode (a separate connection: node-redis requires one for SUBSCRIBE). */
export interface RedisSubscriberClient {
  readonly isOpen: boolean;
  readonly isReady: boolean;
  connect(): Promise<unknown>;
  subscribe(channel: string, listener: (message: string, channel: string) => void): Promise<unknown>;
  unsubscribe(channel: string, listener: (message: string, channel: string) => void): Promise<unknown>;
  on(event: string, listener: (...args: unknown[]) => void): unknown;
  off(event: string, listener: (...args: unknown[]) => void): unknown;
  /** v5: drops the connection at once. */
  destroy?(): void;
  /** v4: drops the connection at once. */
  disconnect?(): Promise<void>;
}

/** Settles with `promise`, or rejects after `ms`; the late outcome of `promise` is swallowed, never unhandled. */
export function withTimeout<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`${what}: no answer from Redis within ${ms} ms`)), ms);
    timer.unref?.();
    promise.then(
      (value) => {
        clearTimeout(timer);
        resolve(value);
      },
      (error: unknown) => {
        clearTimeout(timer);
        reject(error instanceof Error ? error : new Error(String(error)));
      },
    );
  });
}

/** Closes a client the store created itself, without waiting on a server that may be gone. */
export function dropClient(client: RedisSubscriberClient): void {
  try {
    if (client.destroy) client.destroy();
    else void client.disconnect?.().catch(() => undefined);
  } catch {
    // Already closed: nothing left to release.
  }
}

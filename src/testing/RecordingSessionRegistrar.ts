import type { SocketSessionRegistrar } from "../services/sessions/SocketSessionRegistrar.js";

/** One call the registrar received. */
export type SessionEvent =
  | { type: "register"; userId: string; socketId: string; sub: string }
  | { type: "unregister"; userId: string; socketId: string };

/**
 * A `SocketSessionRegistrar` that records every register/unregister and
 * keeps the live sockets per user. Registration happens once a socket is
 * connected and unregistration once the server saw it disconnect, both
 * after the client's own events: `waitFor` lets a test wait for them
 * without sleeping.
 *
 * @example
 * ```ts
 * const sessions = new RecordingSessionRegistrar();
 * // ... connect a client ...
 * await sessions.waitFor((s) => s.live === 1);
 * ```
 */
export class RecordingSessionRegistrar implements SocketSessionRegistrar {
  /** Every call, in order. */
  readonly events: SessionEvent[] = [];
  private readonly sockets = new Map<string, Set<string>>();
  private readonly waiters = new Set<() => void>();

  register(userId: string, socketId: string, sub: string): void {
    this.events.push({ type: "register", userId, socketId, sub });
    const sockets = this.sockets.get(userId) ?? new Set<string>();
    sockets.add(socketId);
    this.sockets.set(userId, sockets);
    this.notify();
  }

  unregister(userId: string, socketId: string): void {
    this.events.push({ type: "unregister", userId, socketId });
    const sockets = this.sockets.get(userId);
    sockets?.delete(socketId);
    if (sockets?.size === 0) this.sockets.delete(userId);
    this.notify();
  }

  /** Sockets registered and not yet unregistered, across all users. */
  get live(): number {
    let count = 0;
    for (const sockets of this.sockets.values()) count += sockets.size;
    return count;
  }

  /** The live socket ids of one user. */
  socketsOf(userId: string): string[] {
    return [...(this.sockets.get(userId) ?? [])];
  }

  /**
   * Resolves once `condition` holds (checked now and after every call the
   * registrar receives); rejects after `timeoutMs` (default 2000) with the
   * events seen so far.
   */
  waitFor(condition: (registrar: this) => boolean, timeoutMs = 2000): Promise<void> {
    if (condition(this)) return Promise.resolve();
    return new Promise((resolve, reject) => {
      const check = (): void => {
        if (!condition(this)) return;
        done();
        resolve();
      };
      const timer = setTimeout(() => {
        done();
        reject(new Error(`RecordingSessionRegistrar.waitFor: condition not met within ${timeoutMs} ms; events: ${JSON.stringify(this.events)}`));
      }, timeoutMs);
      const done = (): void => {
        clearTimeout(timer);
        this.waiters.delete(check);
      };
      this.waiters.add(check);
    });
  }

  private notify(): void {
    for (const waiter of [...this.waiters]) waiter();
  }
}

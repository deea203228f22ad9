import type { Clock } from "../services/Clock.js";

/**
 * A clock that only moves when told to: bind it as `TOKENS.Clock` (or pass
 * it as `createTestContainer({ clock })`) to test expiry, leeway and JWKS
 * cooldowns without sleeping.
 *
 * @example
 * ```ts
 * const clock = new ManualClock();
 * clock.advance(10 * 60_000); // ten minutes later, instantly
 * ```
 */
export class ManualClock implements Clock {
  private current: number;

  /** Starts at `start` (milliseconds since the epoch or a Date; default the wall clock at construction). */
  constructor(start: number | Date = Date.now()) {
    this.current = ManualClock.toMillis(start);
  }

  now(): number {
    return this.current;
  }

  /** Moves the clock forward (or back, with a negative value) by `ms` milliseconds. */
  advance(ms: number): void {
    this.current = ManualClock.toMillis(this.current + ms);
  }

  /** Sets the clock to an instant. */
  set(instant: number | Date): void {
    this.current = ManualClock.toMillis(instant);
  }

  private static toMillis(value: number | Date): number {
    const ms = value instanceof Date ? value.getTime() : value;
    if (!Number.isFinite(ms)) throw new TypeError(`ManualClock: ${String(value)} is not a valid instant`);
    return ms;
  }
}

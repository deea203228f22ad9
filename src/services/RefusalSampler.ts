/** What the sampler tells its caller to log. */
export type SampledRecord<T> =
  | { readonly kind: "first"; readonly details: T }
  | { readonly kind: "repeated"; readonly details: T; readonly count: number; readonly intervalMs: number };

interface Window<T> {
  startedAt: number;
  /** Occurrences since the window started that were not logged one by one. */
  suppressed: number;
  last: T;
}

/**
 * Keeps a flood of identical events out of the log: the first event of a
 * kind is logged in full, the following ones are only counted, and the
 * count is logged once per interval (with the details of the last one)
 * while they keep coming. A kind quiet for a whole interval starts over.
 * The number of kinds is the caller's to bound (here: the rule names).
 *
 * Time comes from `now` (the container's clock); a window is closed by the
 * next event of its kind, or by `flush()` (`sampledRefusals` in
 * `logger.ts` calls it from a timer), so a flood that stops still gets its
 * count logged.
 */
export class RefusalSampler<T> {
  private readonly windows = new Map<string, Window<T>>();

  constructor(
    private readonly intervalMs: number,
    private readonly write: (record: SampledRecord<T>) => void,
  ) {}

  /** True while some window is open (a flush may still have something to log). */
  get pending(): boolean {
    return this.windows.size > 0;
  }

  record(kind: string, details: T, now: number): void {
    const window = this.windows.get(kind);
    if (window !== undefined && now - window.startedAt < this.intervalMs) {
      window.suppressed += 1;
      window.last = details;
      return;
    }
    if (window !== undefined && window.suppressed > 0) {
      // The flood goes on: count the closed window, and this event opens the next one, counted too.
      this.write({ kind: "repeated", details: window.last, count: window.suppressed, intervalMs: this.intervalMs });
      this.windows.set(kind, { startedAt: now, suppressed: 1, last: details });
      return;
    }
    this.write({ kind: "first", details });
    this.windows.set(kind, { startedAt: now, suppressed: 0, last: details });
  }

  /** Logs the counts of windows that are over and forgets the kinds that went quiet. */
  flush(now: number): void {
    for (const [kind, window] of this.windows) {
      if (now - window.startedAt < this.intervalMs) continue;
      if (window.suppressed > 0) {
        this.write({ kind: "repeated", details: window.last, count: window.suppressed, intervalMs: this.intervalMs });
        this.windows.set(kind, { startedAt: now, suppressed: 0, last: window.last });
      } else {
        this.windows.delete(kind);
      }
    }
  }
}

/** Longest delay `setTimeout` honours; a later deadline is reached in several hops. */
const MAX_TIMER_DELAY_MS = 2 ** 31 - 1;

/** A scheduled call; pass it to `DeadlineTimers.cancel`. */
export interface Deadline {
  /** When it is due, on `performance.now()`'s monotonic clock. */
  readonly due: number;
  /** Its place in the heap, -1 once it ran or was cancelled. */
  index: number;
  readonly run: () => void;
}

/**
 * Many deadlines on one timer: a binary min-heap of due times and a single
 * `setTimeout` for the earliest. Each authenticated socket has a deadline
 * (its token's expiry); with one Node.js timer each, 10,000 sockets are
 * 10,000 `Timeout` objects and closures, where this keeps one entry per
 * socket and one timer per namespace. Adding and cancelling cost O(log n).
 */
export class DeadlineTimers {
  private readonly heap: Deadline[] = [];
  private timer: NodeJS.Timeout | undefined;
  /** The due time the armed timer was set for. */
  private armedFor = Number.POSITIVE_INFINITY;

  /** Calls `run` after `delayMs` (0 or more) milliseconds, unless cancelled first. */
  add(delayMs: number, run: () => void): Deadline {
    const deadline: Deadline = { due: performance.now() + Math.max(0, delayMs), index: this.heap.length, run };
    this.heap.push(deadline);
    this.up(deadline.index);
    this.arm();
    return deadline;
  }

  /** Cancels `deadline` if it has not run yet; stops the timer when nothing is left. */
  cancel(deadline: Deadline | undefined): void {
    if (deadline === undefined || deadline.index < 0) return;
    this.removeAt(deadline.index);
    if (this.heap.length === 0) this.disarm();
  }

  /** Deadlines waiting. */
  get size(): number {
    return this.heap.length;
  }

  private arm(): void {
    const first = this.heap[0];
    if (first === undefined) return this.disarm();
    if (this.timer !== undefined && this.armedFor <= first.due) return;
    clearTimeout(this.timer);
    this.armedFor = first.due;
    this.timer = setTimeout(() => this.fire(), Math.min(Math.max(0, first.due - performance.now()), MAX_TIMER_DELAY_MS));
  }

  private disarm(): void {
    clearTimeout(this.timer);
    this.timer = undefined;
    this.armedFor = Number.POSITIVE_INFINITY;
  }

  /** Runs every deadline now due, in due order, then arms the timer for the next one. */
  private fire(): void {
    this.timer = undefined;
    this.armedFor = Number.POSITIVE_INFINITY;
    const now = performance.now();
    let failure: { error: unknown } | undefined;
    for (let first = this.heap[0]; first !== undefined && first.due <= now; first = this.heap[0]) {
      this.removeAt(0);
      // A throwing callback must not strand the deadlines after it: they still run, then the first error surfaces.
      try {
        first.run();
      } catch (error) {
        failure ??= { error };
      }
    }
    this.arm();
    if (failure) throw failure.error;
  }

  private removeAt(index: number): void {
    const removed = this.heap[index] as Deadline;
    const last = this.heap.pop() as Deadline;
    removed.index = -1;
    if (last === removed) return;
    this.heap[index] = last;
    last.index = index;
    this.up(index);
    this.down(last.index);
  }

  private up(index: number): void {
    const item = this.heap[index] as Deadline;
    while (index > 0) {
      const parentIndex = (index - 1) >> 1;
      const parent = this.heap[parentIndex] as Deadline;
      if (parent.due <= item.due) break;
      this.place(parent, index);
      index = parentIndex;
    }
    this.place(item, index);
  }

  private down(index: number): void {
    const item = this.heap[index] as Deadline;
    for (;;) {
      const left = 2 * index + 1;
      if (left >= this.heap.length) break;
      const right = left + 1;
      const child = right < this.heap.length && (this.heap[right] as Deadline).due < (this.heap[left] as Deadline).due ? right : left;
      const smaller = this.heap[child] as Deadline;
      if (smaller.due >= item.due) break;
      this.place(smaller, index);
      index = child;
    }
    this.place(item, index);
  }

  private place(deadline: Deadline, index: number): void {
    this.heap[index] = deadline;
    deadline.index = index;
  }
}

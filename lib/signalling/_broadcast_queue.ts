/**
 * The event queue of the broadcast signalling loop: one async consumer
 * waits for the next event with a deadline and gives up when an abort
 * signal fires.
 *
 * @module
 */

/** Raised by {@linkcode DeadlineQueue.next} once the queue's signal has fired. */
export class QueueAbortedError extends Error {
  constructor() {
    super("Stopped");
    this.name = "QueueAbortedError";
  }
}

/** First-in, first-out events with an awaitable, deadline-bounded `next`. */
export class DeadlineQueue<T> {
  readonly #items: T[] = [];
  #waiter: (() => void) | null = null;

  /**
   * @param signal aborts any wait (now and later)
   * @param capacity events beyond this are dropped
   */
  constructor(readonly signal: AbortSignal, readonly capacity = 256) {
    signal.addEventListener("abort", () => this.#wake(), { once: true });
  }

  /** Number of queued events. */
  get length(): number {
    return this.#items.length;
  }

  /** Queues `item`; returns `false` (and drops it) when the queue is full. */
  push(item: T): boolean {
    if (this.#items.length >= this.capacity) return false;
    this.#items.push(item);
    this.#wake();
    return true;
  }

  /** Drops every queued event. */
  clear(): void {
    this.#items.length = 0;
  }

  /**
   * The next event, or `undefined` when none arrives before `deadline`
   * (a `performance.now()` time; `Infinity` waits for ever).
   * @throws {QueueAbortedError} once the signal has fired
   */
  async next(deadline: number): Promise<T | undefined> {
    while (true) {
      if (this.signal.aborted) throw new QueueAbortedError();
      if (this.#items.length > 0) return this.#items.shift();
      const remaining = deadline - performance.now();
      if (remaining <= 0) return undefined;
      await new Promise<void>((resolve) => {
        const timer = Number.isFinite(remaining)
          ? setTimeout(() => this.#wake(), Math.ceil(remaining))
          : undefined;
        this.#waiter = () => {
          clearTimeout(timer);
          resolve();
        };
      });
    }
  }

  #wake(): void {
    const waiter = this.#waiter;
    this.#waiter = null;
    waiter?.();
  }
}

/**
 * A first-in first-out queue (for the websocket signalling) that one consumer awaits, so events from
 * several sources (socket messages, peer connection state changes, timers)
 * are handled one at a time, in order.
 *
 * @module
 */

/** An unbounded queue with one awaiting consumer. */
export class EventQueue<T> {
  #items: T[] = [];
  #head = 0;
  #waiter: ((item: T) => void) | null = null;

  /** Adds `item`, waking the consumer if it waits. */
  push(item: T): void {
    if (this.#waiter !== null) {
      const waiter = this.#waiter;
      this.#waiter = null;
      waiter(item);
    } else {
      this.#items.push(item);
    }
  }

  /** The next item, waiting for one if the queue is empty. */
  next(): Promise<T> {
    if (this.#head < this.#items.length) {
      const item = this.#items[this.#head++];
      if (this.#head === this.#items.length) {
        this.#items = [];
        this.#head = 0;
      }
      return Promise.resolve(item);
    }
    return new Promise((resolve) => this.#waiter = resolve);
  }
}

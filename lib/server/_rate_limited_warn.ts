/**
 * Warnings that cannot flood the log: at most `burst` lines per `periodMs`,
 * then one line saying how many were left out.
 *
 * @module
 */

import type { Logger } from "../log/logger.ts";

/** A warn function limited to `burst` records per `periodMs`. */
export class RateLimitedWarn {
  #windowStart = -Infinity;
  #count = 0;
  #suppressed = 0;

  /**
   * Creates a limiter writing to `log`.
   * @param log where records go
   * @param burst records allowed per period
   * @param periodMs length of a period in milliseconds
   */
  constructor(
    readonly log: Logger,
    readonly burst = 20,
    readonly periodMs = 10_000,
  ) {}

  /** Logs `message` at warn level unless this period's allowance is used up. */
  warn(message: string): void {
    const now = performance.now();
    if (now - this.#windowStart >= this.periodMs) {
      if (this.#suppressed > 0) {
        this.log.warn(`${this.#suppressed} similar warnings were not shown`);
      }
      this.#windowStart = now;
      this.#count = 0;
      this.#suppressed = 0;
    }
    if (this.#count < this.burst) {
      this.#count++;
      this.log.warn(message);
    } else {
      this.#suppressed++;
    }
  }
}

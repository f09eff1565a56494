/**
 * "Warn once": the one way to report a problem that is met again every frame
 * (a bad attribute, an unusable signalling configuration) without repeating
 * it every frame.
 *
 * A {@linkcode LogOnce} remembers keys. A message is logged the first time
 * its key is seen and then held back until {@linkcode LogOnce.reset} (for
 * example when a node's configuration changes, so that a problem that comes
 * back is reported again). The key is the message itself unless one is
 * given: give the attribute name, say, to report one problem per attribute
 * however its value changes.
 *
 * @example
 * ```ts
 * import { getLogger } from "./logger.ts";
 * import { LogOnce } from "./log_once.ts";
 * const log = getLogger("scene");
 * const once = new LogOnce();
 * for (let frame = 0; frame < 3; frame++) {
 *   once.warn(log, "size=: expected 2 numbers"); // printed on the first frame only
 * }
 * once.reset(); // e.g. the configuration changed: it may be printed again
 * ```
 *
 * @module
 */

import { Logger, type LogLevel } from "./logger.ts";

/** The keys remembered before a {@linkcode LogOnce} starts afresh (by default). */
export const DEFAULT_LOG_ONCE_LIMIT = 1000;

/** Remembers which messages were logged, so that each is logged once. */
export class LogOnce {
  readonly #seen = new Set<string>();

  /**
   * @param limit how many keys to remember; reaching it forgets them all (so
   *   memory stays bounded where keys keep changing, at the price of
   *   repeating a message now and then)
   */
  constructor(readonly limit: number = DEFAULT_LOG_ONCE_LIMIT) {}

  /** Whether `key` is seen for the first time (since the last reset); remembers it. */
  first(key: string): boolean {
    if (this.#seen.has(key)) return false;
    if (this.#seen.size >= this.limit) this.#seen.clear();
    this.#seen.add(key);
    return true;
  }

  /**
   * Logs `message` at `level` to `logger` the first time `key` is seen.
   * Returns whether it was logged (whether or not the level is printed).
   */
  log(
    logger: Logger,
    level: LogLevel,
    message: string,
    key: string = message,
  ): boolean {
    if (!this.first(key)) return false;
    logger.log(level, message);
    return true;
  }

  /** {@linkcode LogOnce.log} at warn level. */
  warn(logger: Logger, message: string, key: string = message): boolean {
    return this.log(logger, "warn", message, key);
  }

  /** Forgets every key: each message may be logged once more. */
  reset(): void {
    this.#seen.clear();
  }

  /** How many keys are remembered. */
  get size(): number {
    return this.#seen.size;
  }

  /**
   * A logger with `target`'s name whose records all go through this: each
   * distinct record (its level and message; the details are not compared)
   * is printed once until {@linkcode LogOnce.reset}. Give it to code that
   * logs every frame, such as a signalling kind's `configure`.
   */
  logger(target: Logger): Logger {
    return new OnceLogger(target, this);
  }
}

class OnceLogger extends Logger {
  readonly #target: Logger;
  readonly #once: LogOnce;

  constructor(target: Logger, once: LogOnce) {
    super(target.name);
    this.#target = target;
    this.#once = once;
  }

  override log(level: LogLevel, message: string, ...details: unknown[]): void {
    if (this.#once.first(`${level} ${message}`)) {
      this.#target.log(level, message, ...details);
    }
  }
}

/**
 * The timers of the `!websocket` call protocol: at most one of each kind
 * pending, each firing through the server connection's event queue (see
 * `CallLink.later`); a timer cancelled or set again after it was queued is
 * recognised as stale by its generation.
 *
 * @module
 */

/** The protocol's timers. */
export type CallTimer = "reply" | "peer-check" | "peer-watch";

const TIMERS: readonly CallTimer[] = ["reply", "peer-check", "peer-watch"];

/** Where timers are queued (the call protocol's server link). */
export interface TimerLink {
  /** Queues `timer` (of `generation`) after `ms`; returns a function that cancels it. */
  later(ms: number, timer: CallTimer, generation: number): () => void;
}

/** One pending timer of each kind, at most. */
export class CallTimers {
  readonly #generations: Record<CallTimer, number> = {
    reply: 0,
    "peer-check": 0,
    "peer-watch": 0,
  };
  readonly #cancels: Partial<Record<CallTimer, () => void>> = {};

  /** Sets `timer` to fire after `ms` (replacing a pending one) through `link`, when there is one. */
  arm(timer: CallTimer, ms: number, link: TimerLink | null): void {
    this.cancel(timer);
    this.#cancels[timer] = link?.later(ms, timer, this.#generations[timer]);
  }

  /** Cancels `timer`; one already queued becomes stale. */
  cancel(timer: CallTimer): void {
    this.#cancels[timer]?.();
    this.#cancels[timer] = undefined;
    this.#generations[timer]++;
  }

  /** Cancels every timer. */
  cancelAll(): void {
    for (const timer of TIMERS) this.cancel(timer);
  }

  /** Whether a firing of `timer` with `generation` is the pending one (it is then no longer pending). */
  fired(timer: CallTimer, generation: number): boolean {
    if (generation !== this.#generations[timer]) return false;
    this.#cancels[timer] = undefined;
    return true;
  }
}

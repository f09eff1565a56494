/**
 * The real-time frame schedule: one frame every `1000 / fps` ms, whose
 * phase a node may move earlier (see {@linkcode FramePacer.advance}).
 *
 * @module
 */

/** When frames begin, in `performance.now()` milliseconds. */
export class FramePacer {
  /** Milliseconds between frame starts. */
  readonly frameMs: number;
  #next = 0;
  #advanceMs = 0;
  #owner: object | null = null;

  /** A schedule of `fps` frames a second. */
  constructor(fps: number) {
    if (!(fps > 0)) {
      throw new RangeError(`FramePacer: fps must be positive, got ${fps}`);
    }
    this.frameMs = 1000 / fps;
  }

  /** Starts the schedule: the first frame begins at `now`. */
  start(now: number): void {
    this.#next = now;
    this.#advanceMs = 0;
  }

  /**
   * When the next frame should begin, after a frame that ended at `ended`:
   * one frame period after the last start, less any advance asked for; a
   * loop more than a frame behind skips ahead instead of rushing.
   */
  nextStart(ended: number): number {
    this.#next += this.frameMs - this.#advanceMs;
    this.#advanceMs = 0;
    if (this.#next < ended - this.frameMs) this.#next = ended;
    return this.#next;
  }

  /**
   * Asks for the next frame to begin `ms` earlier than scheduled, moving
   * the phase of all later frames with it (the rate stays). At most half a
   * frame at once. Only one owner steers at a time: the first to ask, until
   * it calls {@linkcode release}; requests of others are ignored (two
   * steering nodes would fight). Returns whether the request was taken.
   */
  advance(owner: object, ms: number): boolean {
    if (this.#owner !== null && this.#owner !== owner) return false;
    this.#owner = owner;
    const bounded = Math.min(Math.max(ms, 0), this.frameMs / 2);
    this.#advanceMs = Math.max(this.#advanceMs, bounded);
    return true;
  }

  /** Lets another owner steer (`owner` stops steering or goes away). */
  release(owner: object): void {
    if (this.#owner === owner) this.#owner = null;
  }

  /** The owner steering the schedule now, if any. */
  get owner(): object | null {
    return this.#owner;
  }
}

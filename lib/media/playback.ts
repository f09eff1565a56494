/**
 * Which frame of a video file a playhead shows, and which runs of file
 * frames a decoder reads to follow it.
 *
 * A playhead position is a _tag_: a whole frame count on the playback
 * timeline, 0 at the first frame of the playing range (after trimming),
 * unbounded both ways. {@linkcode Playback} says how tags map to the
 * `length` file frames from `first` on:
 *
 * - `loop`: round and round (tag −1 is the last frame);
 * - `bounce`: forwards, then backwards, then forwards again (the end frames
 *   are shown once per turn);
 * - `clamp`: tags before the start show the first frame and tags after the
 *   end the last; a decoder following a clamped playhead stops at the ends.
 *
 * A decoder reads frames in runs: a run is consecutive tags (in the
 * direction of play) whose file frames step by one, forwards or backwards
 * ({@linkcode nextRun}).
 *
 * @example
 * ```ts
 * import { nextRun, sourceFrame } from "./playback.ts";
 * const playback = { first: 10, length: 5, mode: "bounce" } as const;
 * const shown = [0, 1, 2, 3, 4, 5, 6, 7, 8].map((tag) => sourceFrame(tag, playback));
 * console.assert(shown.join() === "10,11,12,13,14,13,12,11,10");
 * const run = nextRun(2, 1, playback)!; // tags 2, 3, 4: file frames 12, 13, 14
 * console.assert(run.from === 12 && run.count === 3 && run.step === 1);
 * ```
 *
 * @module
 */

/** How tags map onto the playing range of a file. */
export type PlaybackMode = "loop" | "bounce" | "clamp";

/** The playing range of a file and how a playhead moves through it. */
export interface Playback {
  /** File frame shown at tag 0 (frames trimmed off the start). */
  readonly first: number;
  /** Frames in the playing range (at least 1). */
  readonly length: number;
  /** What happens beyond the range. */
  readonly mode: PlaybackMode;
}

/** Consecutive tags whose file frames step by one (see {@linkcode nextRun}). */
export interface Run {
  /** The first tag of the run. */
  readonly tag: number;
  /** +1: the tags go up; −1: they go down. */
  readonly direction: 1 | -1;
  /** The file frame of the first tag. */
  readonly from: number;
  /** How many tags (and file frames) the run has. */
  readonly count: number;
  /** +1: the file frames go up; −1: they go down (read backwards). */
  readonly step: 1 | -1;
}

/** Most tags one run covers (a long loop is read in several runs). */
export const MAX_RUN = 1 << 17;

function modulo(value: number, divisor: number): number {
  return ((value % divisor) + divisor) % divisor;
}

/** Whether `a` and `b` describe the same playback. */
export function samePlayback(a: Playback, b: Playback): boolean {
  return a.first === b.first && a.length === b.length && a.mode === b.mode;
}

/** The tag a playhead at `tag` shows in `playback`: clamped into the range for `clamp`, else unchanged. */
export function clampTag(tag: number, playback: Playback): number {
  if (playback.mode !== "clamp") return tag;
  return Math.min(Math.max(tag, 0), playback.length - 1);
}

/** The file frame shown at `tag` (an integer). */
export function sourceFrame(tag: number, playback: Playback): number {
  const { first, length, mode } = playback;
  if (length <= 1) return first;
  if (mode === "clamp") return first + clampTag(tag, playback);
  if (mode === "loop") return first + modulo(tag, length);
  const phase = modulo(tag, 2 * (length - 1));
  return first + (phase < length ? phase : 2 * (length - 1) - phase);
}

/**
 * The run of tags starting at `tag` and going in `direction`, or `null`
 * when there is nothing to read there (a `clamp` playhead beyond the
 * range). Runs end where the file frames stop stepping by one the same
 * way (a loop's wrap, a bounce's turn), at the end of a `clamp` range, or
 * after {@linkcode MAX_RUN} tags.
 */
export function nextRun(
  tag: number,
  direction: 1 | -1,
  playback: Playback,
): Run | null {
  if (
    playback.mode === "clamp" && (tag < 0 || tag >= playback.length)
  ) return null;
  const from = sourceFrame(tag, playback);
  let step: 1 | -1 = 1;
  let count = 1;
  const second = sourceFrame(tag + direction, playback) - from;
  const inRange = (t: number) =>
    playback.mode !== "clamp" || (t >= 0 && t < playback.length);
  if ((second === 1 || second === -1) && inRange(tag + direction)) {
    step = second;
    count = 2;
    let previous = from + second;
    while (count < MAX_RUN) {
      const next = tag + direction * count;
      if (!inRange(next)) break;
      const frame = sourceFrame(next, playback);
      if (frame - previous !== step) break;
      previous = frame;
      count++;
    }
  }
  return { tag, direction, from, count, step };
}

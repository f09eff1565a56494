/**
 * The playhead of a `!video` node: where in the video it is at a scene
 * time, given `position=` and `speed=`, as a frame tag, how far it is
 * towards the next frame, and which way it moves.
 *
 * The playhead starts at 0 when the node appears and moves `speed`
 * seconds per second of scene time; a change of speed applies from the
 * frame it is seen on, so the playhead never jumps. `position` is added
 * to it. Times are kept as an anchor and a rate rather than summed frame
 * by frame, so that in lockstep the playhead lands exactly on frames.
 *
 * @example
 * ```ts
 * import { Playhead } from "./_video_playhead.ts";
 * const playhead = new Playhead();
 * playhead.move(0, 1);
 * playhead.move(2, 2); // twice as fast from time 2 on
 * const at = playhead.locate(3, 0.5, 10); // 2 s + 2 s + 0.5 s
 * console.assert(at.tag === 45 && at.direction === 1);
 * ```
 *
 * @module
 */

/** Slack for times that should fall exactly on a frame (lockstep clocks). */
const FRAME_EPSILON = 1e-6;

/** Where a playhead is, in frames. */
export interface PlayheadPlace {
  /** The frame tag (whole frames from the start of the playing range). */
  tag: number;
  /** How far towards the next frame, from 0 up to 1. */
  fraction: number;
  /** Which way the playhead moves: +1 forwards, −1 backwards. */
  direction: 1 | -1;
}

/** The playhead of one node. */
export class Playhead {
  #anchorTime: number | null = null;
  #anchorSeconds = 0;
  #speed = 1;
  #direction: 1 | -1 = 1;
  #lastTag: number | null = null;

  /** Takes this frame's scene `time` and `speed` (the first call starts the playhead). */
  move(time: number, speed: number): void {
    if (this.#anchorTime === null) {
      this.#anchorTime = time;
      this.#anchorSeconds = 0;
      this.#speed = speed;
    } else if (speed !== this.#speed) {
      this.#anchorSeconds = this.seconds(time);
      this.#anchorTime = time;
      this.#speed = speed;
    }
  }

  /** Seconds the playhead has moved by scene time `time`. */
  seconds(time: number): number {
    return this.#anchorSeconds +
      this.#speed * (time - (this.#anchorTime ?? time));
  }

  /**
   * Where the playhead is at scene time `time`, `position` seconds on, in
   * a video of `fps` frames a second. The direction follows the speed's
   * sign; with speed 0 it follows the way the tag last moved.
   */
  locate(time: number, position: number, fps: number): PlayheadPlace {
    const exact = (position + this.seconds(time)) * fps;
    const tag = Math.floor(exact + FRAME_EPSILON);
    if (this.#speed !== 0) this.#direction = this.#speed > 0 ? 1 : -1;
    else if (this.#lastTag !== null && tag !== this.#lastTag) {
      this.#direction = tag > this.#lastTag ? 1 : -1;
    }
    this.#lastTag = tag;
    return {
      tag,
      fraction: Math.min(1, Math.max(0, exact - tag)),
      direction: this.#direction,
    };
  }
}

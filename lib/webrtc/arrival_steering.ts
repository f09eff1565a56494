/**
 * Steering the frame schedule toward a peer's video.
 *
 * A received frame is shown when the next frame samples it, so it waits
 * from its arrival until then: anywhere up to a whole frame period, with two
 * endpoints at the same rate holding whatever phase they started with. One
 * side of a call moves its frame schedule earlier until the peer's frames
 * arrive just before they are sampled: the caller, or an answerer whose
 * caller does not steer (a browser, the original Python plugin: see
 * `STEERING_MARK` in `sdp.ts`). (Only one side steers: if both did, each would move
 * after the other and neither would settle. The two waits add up to a
 * constant for a given path, so one side steering to a short wait leaves
 * the other with the shortest possible too.)
 *
 * {@linkcode ArrivalSteering} looks at the waits of a window of shown
 * frames as points on a circle one frame period round. Where the peer sends
 * at our rate, the arrivals bunch up, leaving a large empty arc; frames
 * should start just after the bunch's latest arrival (plus a margin for
 * jitter), so it asks for an advance of (the wait of that latest arrival −
 * margin). That also recovers when arrivals straddle a frame start (some
 * just made it, some just missed). From a peer at another rate the arrivals
 * spread round the circle, no arc is large, and nothing moves. A peer at a
 * rate only slightly off ours (a browser page drawing every 33 ms sends
 * 30.3 frames a second) would still bunch its arrivals within a window, but
 * they slide along the circle from one window to the next, and steering
 * after them only moves our frames on for ever (measured: its frames waited
 * longer than with no steering). So the drift of the arrivals against our
 * frame starts is fitted over each window (when the arrival times are
 * given), and beyond {@linkcode ArrivalSteeringOptions.maxDrift} nothing
 * moves either.
 *
 * {@linkcode NodeSteering} is a `!webrtc` node's use of it: it measures the
 * waits in the node's frames and asks the engine to move the schedule
 * (`RenderContext.advanceFrames`).
 *
 * @module
 */

import { getLogger } from "../log/logger.ts";
import type { RenderContext } from "../scene/node.ts";

const log = getLogger("webrtc");

/** Tuning of {@linkcode ArrivalSteering}. */
export interface ArrivalSteeringOptions {
  /** Shown frames looked at per decision (default 30: a second at 30 fps). */
  window?: number;
  /** Wait kept in hand for arrivals earlier than any seen (ms, default 3). */
  marginMs?: number;
  /** Advances smaller than this are not worth asking for (ms, default 2). */
  minimumAdvanceMs?: number;
  /**
   * Largest drift of the arrivals against our frame starts at which frames
   * are steered, in ms per ms (default 0.005: 5 ms a second, a rate 0.5 %
   * off ours).
   */
  maxDrift?: number;
}

/** One shown frame, as {@linkcode arrivalDrift} takes it. */
export interface ArrivalSample {
  /** Its wait from arrival to the frame that showed it (ms, within a period). */
  wait: number;
  /** When it arrived (ms, any clock; NaN when unknown). */
  at: number;
}

/**
 * How fast the arrivals' phase moves against our frame starts (ms per ms)
 * over `samples` in arrival order: the least-squares slope of their waits,
 * unwrapped round the `periodMs` circle, against their arrival times.
 */
export function arrivalDrift(
  samples: readonly ArrivalSample[],
  periodMs: number,
): number {
  let unwrapped = samples[0].wait;
  let sumT = 0, sumU = 0, sumTT = 0, sumTU = 0;
  for (let i = 0; i < samples.length; i++) {
    if (i > 0) {
      const step = samples[i].wait - samples[i - 1].wait;
      unwrapped += step - periodMs * Math.round(step / periodMs);
    }
    const t = samples[i].at - samples[0].at;
    sumT += t;
    sumU += unwrapped;
    sumTT += t * t;
    sumTU += t * unwrapped;
  }
  const n = samples.length;
  const spread = n * sumTT - sumT * sumT;
  return spread > 0 ? (n * sumTU - sumT * sumU) / spread : 0;
}

/** Decides how much earlier frames should start, from the waits of shown frames. */
export class ArrivalSteering {
  readonly #window: number;
  readonly #marginMs: number;
  readonly #minimumAdvanceMs: number;
  readonly #maxDrift: number;
  #samples: ArrivalSample[] = [];

  /** A steering with the given tuning. */
  constructor(options: ArrivalSteeringOptions = {}) {
    this.#window = options.window ?? 30;
    this.#marginMs = options.marginMs ?? 3;
    this.#minimumAdvanceMs = options.minimumAdvanceMs ?? 2;
    this.#maxDrift = options.maxDrift ?? 0.005;
  }

  /**
   * Records that a newly received frame was shown by a frame that began
   * `waitMs` after it arrived (at `arrivedAt` ms, on any clock; without it
   * no drift is looked for), with frames `periodMs` apart; returns how many
   * ms earlier frames should start from now on (0: keep the schedule).
   */
  shown(waitMs: number, periodMs: number, arrivedAt = Number.NaN): number {
    if (!(waitMs >= 0 && periodMs > 0)) return 0;
    this.#samples.push({ wait: waitMs % periodMs, at: arrivedAt });
    if (this.#samples.length < this.#window) return 0;
    const samples = this.#samples;
    this.#samples = [];
    if (
      samples.every((sample) => Number.isFinite(sample.at)) &&
      Math.abs(arrivalDrift(samples, periodMs)) > this.#maxDrift
    ) return 0; // a peer at a rate slightly off ours
    const waits = samples.map((sample) => sample.wait).sort((a, b) => a - b);
    // The largest empty arc between neighbouring waits, round the circle.
    let gap = waits[0] + periodMs - waits[waits.length - 1];
    let latestArrival = waits[0];
    for (let i = 1; i < waits.length; i++) {
      if (waits[i] - waits[i - 1] > gap) {
        gap = waits[i] - waits[i - 1];
        latestArrival = waits[i];
      }
    }
    if (gap < periodMs / 3) return 0; // arrivals at every phase
    const advance = latestArrival - this.#marginMs;
    return advance >= this.#minimumAdvanceMs ? advance : 0;
  }

  /** Forgets the frames seen so far (after the call changed). */
  reset(): void {
    this.#samples = [];
  }
}

/**
 * Steers the engine's frame schedule for one `!webrtc` node (the `owner`
 * of the request): on the side of a call that steers, each newly shown peer
 * frame's wait goes to an {@linkcode ArrivalSteering}, and its advances to
 * `RenderContext.advanceFrames`.
 */
export class NodeSteering {
  readonly #owner: object;
  readonly #steering: ArrivalSteering;
  /** `performance.now()` when the node's `settle` last finished. */
  #settledAt = -Infinity;

  /**
   * @param owner the node asking for the advances
   * @param options tuning of the {@linkcode ArrivalSteering}
   */
  constructor(owner: object, options: ArrivalSteeringOptions = {}) {
    this.#owner = owner;
    this.#steering = new ArrivalSteering(options);
  }

  /** Notes that the node's `settle` finished now (frames were delivered meanwhile). */
  settled(): void {
    this.#settledAt = performance.now();
  }

  /**
   * A frame that arrived at `receivedAt` (`performance.now()`) is shown for
   * the first time in this frame; `steers`: this side of the call steers
   * (`WrtcPeerSession.steers`), else steering stops.
   */
  shown(ctx: RenderContext, receivedAt: number, steers: boolean): void {
    if (!steers) return this.stop(ctx);
    // Frames reach JS only while the thread is free: between frames, and
    // while this frame settled (see `settle`); what counts is the wait until
    // the last of those moments.
    const sampledAt = this.#settledAt >= ctx.frame.startedAt
      ? this.#settledAt
      : ctx.frame.startedAt;
    const advance = this.#steering.shown(
      sampledAt - receivedAt,
      1000 / ctx.frame.fps,
      receivedAt,
    );
    if (advance > 0 && ctx.advanceFrames(this.#owner, advance)) {
      log.trace(`frames start ${advance.toFixed(1)} ms earlier`);
    }
  }

  /** Gives the schedule back and forgets the frames seen (no call, or no frames). */
  stop(ctx: RenderContext): void {
    ctx.releaseFrames(this.#owner);
    this.#steering.reset();
  }
}

import assert from "node:assert/strict";
import {
  arrivalDrift,
  ArrivalSteering,
} from "../../lib/webrtc/arrival_steering.ts";

/** Waits of `count` frames that arrive at `arrival + jitter` before a frame starting every `period` ms at phase `phase`. */
function waits(
  count: number,
  period: number,
  phase: number,
  arrival: number,
  jitter: (i: number) => number,
): number[] {
  return Array.from({ length: count }, (_, i) => {
    const arrived = i * period + arrival + jitter(i);
    // The first frame start at or after the arrival.
    const start = Math.ceil((arrived - phase) / period) * period + phase;
    return start - arrived;
  });
}

Deno.test("a steady peer at the same rate is steered to arrive just before frames start", () => {
  const steering = new ArrivalSteering({ window: 30, marginMs: 3 });
  const period = 1000 / 30;
  let phase = 0;
  const jitter = (i: number) => (i * 7919 % 5) - 2; // −2 … +2 ms
  let advances = 0;
  for (let round = 0; round < 4; round++) {
    for (const wait of waits(30, period, phase, 10, jitter)) {
      const advance = steering.shown(wait, period);
      if (advance > 0) {
        phase -= advance;
        advances++;
      }
    }
  }
  const settled = waits(30, period, phase, 10, jitter);
  // Every frame still arrives before it is sampled, with a few ms in hand …
  assert.ok(Math.min(...settled) >= 0.5, `min ${Math.min(...settled)}`);
  // … and none waits long (without steering they waited ~23 ms).
  assert.ok(Math.max(...settled) <= 3 + 4 + 0.5, `max ${Math.max(...settled)}`);
  assert.equal(advances, 1, "one advance, then it holds still");
});

Deno.test("arrivals straddling the frame start are moved before it", () => {
  // Some frames just made it (waits 0–2 ms), some just missed (31–33 ms):
  // the latest arrivals are the ones that waited 31 ms.
  const steering = new ArrivalSteering({ window: 6, marginMs: 3 });
  const period = 1000 / 30;
  const asked = [1, 31, 0.5, 32, 2, 31.5].map((wait) =>
    steering.shown(wait, period)
  );
  assert.deepEqual(asked.slice(0, 5), [0, 0, 0, 0, 0]);
  assert.equal(asked[5], 31 - 3);
});

Deno.test("frames from a peer at another rate arrive at every phase: nothing moves", () => {
  const steering = new ArrivalSteering();
  const ours = 1000 / 30;
  let asked = 0;
  for (let i = 0; i < 300; i++) {
    const arrived = i * (1000 / 24) + 3;
    const start = Math.ceil(arrived / ours) * ours;
    asked += steering.shown(start - arrived, ours);
  }
  assert.equal(asked, 0);
});

Deno.test("no decision before a whole window; reset forgets what was seen", () => {
  const steering = new ArrivalSteering({ window: 4, marginMs: 1 });
  assert.equal(steering.shown(20, 40), 0);
  assert.equal(steering.shown(21, 40), 0);
  assert.equal(steering.shown(22, 40), 0);
  assert.equal(steering.shown(20, 40), 19); // shortest 20 − margin 1
  steering.shown(30, 40);
  steering.reset();
  for (const wait of [2, 2, 2]) assert.equal(steering.shown(wait, 40), 0);
  assert.equal(steering.shown(2, 40), 0); // 2 − 1 is below the 2 ms minimum
  assert.equal(steering.shown(Number.NaN, 40), 0);
});

/**
 * Frames every `peerPeriod` ms (with `jitter`) shown by frames every
 * `period` ms at `phase`, fed to `steering` with their arrival times (or
 * without, `withTimes` false); returns the advances it asked for, applying
 * each to our frame starts.
 */
function steer(
  steering: ArrivalSteering,
  frames: number,
  peerPeriod: number,
  period: number,
  jitter: (i: number) => number,
  withTimes = true,
): number[] {
  let phase = 0;
  const asked: number[] = [];
  for (let i = 0; i < frames; i++) {
    const arrived = i * peerPeriod + 5 + jitter(i);
    const start = Math.ceil((arrived - phase) / period) * period + phase;
    const advance = withTimes
      ? steering.shown(start - arrived, period, arrived)
      : steering.shown(start - arrived, period);
    if (advance > 0) {
      asked.push(advance);
      phase -= advance;
    }
  }
  return asked;
}

Deno.test("arrivalDrift: about 0 for a peer at our rate, however jittery; the rate difference for one slightly off", () => {
  const period = 1000 / 30;
  const samples = (peerPeriod: number, jitter: (i: number) => number) =>
    Array.from({ length: 30 }, (_, i) => {
      const at = i * peerPeriod + 20 + jitter(i);
      const start = Math.ceil(at / period) * period;
      return { wait: (start - at) % period, at };
    });
  const jitter = (i: number) => (i * 7919 % 9) - 4; // −4 … +4 ms
  assert.ok(Math.abs(arrivalDrift(samples(period, jitter), period)) < 0.002);
  // A browser page drawing every 33 ms: its frames come 1 % early each time
  // (the waits grow), and the same with the arrivals straddling frame starts.
  const fast = arrivalDrift(samples(33, () => 0), period);
  assert.ok(Math.abs(fast - (period - 33) / 33) < 0.0005, `drift ${fast}`);
  const slow = arrivalDrift(samples(33.7, jitter), period);
  assert.ok(slow < -0.007 && slow > -0.015, `drift ${slow}`);
});

Deno.test("a peer at a rate 1 % off ours bunches its arrivals in each window, but nothing moves: steering after it would move our frames on for ever", () => {
  const period = 1000 / 30;
  const jitter = (i: number) => (i * 7919 % 3) - 1;
  const drifting = steer(new ArrivalSteering(), 600, 33, period, jitter);
  assert.deepEqual(drifting, []);
  // Without the arrival times (no drift check) the same frames are chased:
  // an advance every window or two.
  const chased = steer(new ArrivalSteering(), 600, 33, period, jitter, false);
  assert.ok(chased.length >= 8, `${chased.length} advances`);
  // A peer at our rate is still steered, once, with the times given.
  const same = steer(new ArrivalSteering(), 600, period, period, jitter);
  assert.equal(same.length, 1, `advances ${same}`);
});

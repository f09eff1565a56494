import assert from "node:assert/strict";
import { ArrivalSteering } from "../../lib/webrtc/arrival_steering.ts";

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

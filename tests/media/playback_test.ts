import { assertEquals } from "../_assert.ts";
import {
  clampTag,
  nextRun,
  type Playback,
  sourceFrame,
} from "../../lib/media/playback.ts";

const frames = (playback: Playback, tags: number[]) =>
  tags.map((tag) => sourceFrame(tag, playback));

Deno.test("a looping playhead wraps round its range both ways", () => {
  const loop: Playback = { first: 2, length: 4, mode: "loop" };
  assertEquals(frames(loop, [0, 1, 3, 4, 5, 8]), [2, 3, 5, 2, 3, 2]);
  assertEquals(frames(loop, [-1, -4, -5]), [5, 2, 5]);
});

Deno.test("a back-and-forth playhead turns at each end, showing the end frames once", () => {
  const bounce: Playback = { first: 0, length: 4, mode: "bounce" };
  assertEquals(
    frames(bounce, [0, 1, 2, 3, 4, 5, 6, 7, 8, -1, -2]),
    [0, 1, 2, 3, 2, 1, 0, 1, 2, 1, 2],
  );
  const two: Playback = { first: 5, length: 2, mode: "bounce" };
  assertEquals(frames(two, [0, 1, 2, 3]), [5, 6, 5, 6]);
  const one: Playback = { first: 5, length: 1, mode: "bounce" };
  assertEquals(frames(one, [0, 1, -1]), [5, 5, 5]);
});

Deno.test("a clamped playhead holds the first and last frames", () => {
  const clamp: Playback = { first: 3, length: 5, mode: "clamp" };
  assertEquals(frames(clamp, [-3, 0, 4, 9]), [3, 3, 7, 7]);
  assertEquals([clampTag(-3, clamp), clampTag(9, clamp)], [0, 4]);
  assertEquals(clampTag(9, { ...clamp, mode: "loop" }), 9);
});

Deno.test("runs follow the playhead up to a wrap or a turn, in either direction", () => {
  const loop: Playback = { first: 10, length: 5, mode: "loop" };
  assertEquals(nextRun(2, 1, loop), {
    tag: 2,
    direction: 1,
    from: 12,
    count: 3,
    step: 1,
  });
  assertEquals(nextRun(5, 1, loop)?.count, 5);
  // Going down: file frames 12, 11, 10, then the wrap to 14.
  assertEquals(nextRun(2, -1, loop), {
    tag: 2,
    direction: -1,
    from: 12,
    count: 3,
    step: -1,
  });
  const bounce: Playback = { first: 0, length: 4, mode: "bounce" };
  assertEquals(nextRun(1, 1, bounce), {
    tag: 1,
    direction: 1,
    from: 1,
    count: 3,
    step: 1,
  });
  assertEquals(nextRun(4, 1, bounce), {
    tag: 4,
    direction: 1,
    from: 2,
    count: 3,
    step: -1,
  });
});

Deno.test("a clamped playhead's runs stop at the ends of the range", () => {
  const clamp: Playback = { first: 0, length: 5, mode: "clamp" };
  assertEquals(nextRun(3, 1, clamp)?.count, 2);
  assertEquals(nextRun(3, -1, clamp)?.count, 4);
  assertEquals(nextRun(5, 1, clamp), null);
  assertEquals(nextRun(-1, -1, clamp), null);
  const one: Playback = { first: 7, length: 1, mode: "loop" };
  assertEquals(nextRun(0, 1, one)?.count, 1);
});

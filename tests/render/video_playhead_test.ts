import { assertEquals } from "../_assert.ts";
import { Playhead } from "../../lib/render/nodes/_video_playhead.ts";

Deno.test("a playhead starts where the node appears and moves at its speed", () => {
  const playhead = new Playhead();
  playhead.move(10, 1);
  assertEquals(playhead.locate(10, 0, 25).tag, 0);
  assertEquals(playhead.locate(11, 0, 25).tag, 25);
  assertEquals(playhead.locate(11, 2, 25).tag, 75);
  const half = playhead.locate(11.02, 0, 25);
  assertEquals([half.tag, Math.round(half.fraction * 100)], [25, 50]);
});

Deno.test("a speed change applies from the frame it is seen on, without a jump", () => {
  const playhead = new Playhead();
  playhead.move(0, 1);
  playhead.move(1, 3);
  assertEquals(playhead.locate(1, 0, 10).tag, 10);
  playhead.move(2, 3);
  assertEquals(playhead.locate(2, 0, 10).tag, 40);
  playhead.move(2, -1);
  assertEquals(playhead.locate(3, 0, 10), {
    tag: 30,
    fraction: 0,
    direction: -1,
  });
});

Deno.test("lockstep times land exactly on frames, however they add up", () => {
  const playhead = new Playhead();
  const fps = 30;
  playhead.move(0, 1);
  for (let frame = 0; frame < 3000; frame++) {
    const time = frame / fps;
    playhead.move(time, 1);
    assertEquals(playhead.locate(time, 0.1, fps).tag, frame + 3);
  }
});

Deno.test("with speed 0 the direction follows the way the position moves", () => {
  const playhead = new Playhead();
  playhead.move(0, 0);
  assertEquals(playhead.locate(0, 1, 10).direction, 1);
  assertEquals(playhead.locate(1, 0.5, 10).direction, -1);
  assertEquals(playhead.locate(2, 0.5, 10).direction, -1);
  assertEquals(playhead.locate(3, 0.9, 10).direction, 1);
});

import assert from "node:assert/strict";
import { FramePacer } from "../../lib/engine/frame_pacer.ts";

Deno.test("frames start one period apart; an advance moves the phase once", () => {
  const pacer = new FramePacer(50); // 20 ms
  pacer.start(1000);
  assert.equal(pacer.nextStart(1005), 1020);
  assert.equal(pacer.nextStart(1025), 1040);
  const owner = {};
  assert.ok(pacer.advance(owner, 6));
  assert.equal(pacer.nextStart(1045), 1054); // 6 ms early …
  assert.equal(pacer.nextStart(1060), 1074); // … and the period stays 20 ms
});

Deno.test("an advance is at most half a frame, and requests in one frame do not add up", () => {
  const pacer = new FramePacer(50);
  pacer.start(0);
  const owner = {};
  pacer.advance(owner, 3);
  pacer.advance(owner, 50);
  pacer.advance(owner, 4);
  assert.equal(pacer.nextStart(5), 10); // 20 − 10
  pacer.advance(owner, -5);
  assert.equal(pacer.nextStart(15), 30);
});

Deno.test("one owner steers at a time until it lets go", () => {
  const pacer = new FramePacer(50);
  pacer.start(0);
  const first = {};
  const second = {};
  assert.ok(pacer.advance(first, 2));
  assert.equal(pacer.advance(second, 8), false);
  assert.equal(pacer.owner, first);
  assert.equal(pacer.nextStart(5), 18);
  pacer.release(second); // not the owner: nothing changes
  assert.equal(pacer.owner, first);
  pacer.release(first);
  assert.ok(pacer.advance(second, 8));
  assert.equal(pacer.nextStart(25), 30);
});

Deno.test("a loop more than a frame behind skips ahead instead of rushing", () => {
  const pacer = new FramePacer(50);
  pacer.start(0);
  assert.equal(pacer.nextStart(100), 100);
  assert.equal(pacer.nextStart(105), 120);
});

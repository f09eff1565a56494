/**
 * 3D transforms and the live tree by pixels on Mesa: nested `!transform`s
 * compose, a `!transform`'s attributes apply in the order written,
 * expressions move models frame by frame, `if=` adds and removes them, a
 * live edit keeps the nodes, and 1000 instanced boxes all draw.
 */

import {
  deepStrictEqual as assertEquals,
  ok as assert,
} from "node:assert/strict";
import type { Engine } from "../../lib/engine/engine.ts";
import { setLogLevel } from "../../lib/log/logger.ts";
import {
  assertNear,
  canvasScene,
  type Node3D,
  pixel,
  renderScene,
} from "./_scene3d.ts";

setLogLevel("error");

/** Orthographic, 1 unit per pixel, origin in the middle of 200x200. */
const ORTHO = { viewpoint: [0, 0, 500], orthographic: true, width: 200 };
const WHITE = [255, 255, 255, 255];
const NONE = [0, 0, 0, 0];

function marker(attrs: Record<string, unknown> = {}): Node3D {
  return { kind: "!box", attrs: { size: 10, emissive: 1, ...attrs } };
}

function check(engine: Engine, lit: number[][], dark: number[][]): void {
  try {
    for (const [x, y] of lit) {
      assertNear(pixel(engine, x, y), WHITE, 2, `${x},${y}`);
    }
    for (const [x, y] of dark) {
      assertNear(pixel(engine, x, y), NONE, 0, `${x},${y}`);
    }
  } finally {
    engine.close();
  }
}

Deno.test("nested transforms compose: translate, then scale inside it", () => {
  // The box (10 units) doubled to 20, centred at x=50: pixels 140…160.
  check(
    renderScene(canvasScene(ORTHO, [{
      kind: "!transform",
      attrs: { translate: [50, 0, 0] },
      children: [{
        kind: "!transform",
        attrs: { scale: 2 },
        children: [marker()],
      }],
    }])),
    [[150, 100], [142, 100], [158, 100]],
    [[137, 100], [163, 100], [100, 100]],
  );
});

Deno.test("a !transform applies its attributes in the order they are written", () => {
  // translate then rotate: the box rotates in place at x=60.
  check(
    renderScene(canvasScene(ORTHO, [{
      kind: "!transform",
      attrs: { translate: [60, 0, 0], rotate_z: 0.25 },
      children: [marker()],
    }])),
    [[160, 100]],
    [[100, 40]],
  );
  // rotate then translate: x=60 turned a quarter anticlockwise, to y=60.
  check(
    renderScene(canvasScene(ORTHO, [{
      kind: "!transform",
      attrs: { rotate_z: 0.25, translate: [60, 0, 0] },
      children: [marker()],
    }])),
    [[100, 40]],
    [[160, 100]],
  );
  // The same with the rotation an expression (filled in every frame).
  check(
    renderScene(canvasScene(ORTHO, [{
      kind: "!transform",
      attrs: { rotate_z: "=0.25 + time * 0", translate: [60, 0, 0] },
      children: [marker()],
    }])),
    [[100, 40]],
    [[160, 100]],
  );
});

Deno.test("position= rotation= size= place a model; start= end= radius= span it", () => {
  check(
    renderScene(canvasScene(ORTHO, [
      marker({
        position: [-50, 50, 0],
        size: [30, 10, 10],
        rotation: [0, 0, 0.25],
      }),
      // A cylinder from (20,-60) to (80,-60), 10 thick.
      {
        kind: "!cylinder",
        attrs: {
          start: [20, -60, 0],
          end: [80, -60, 0],
          radius: 5,
          emissive: 1,
        },
      },
    ])),
    // Turned upright: 10 wide, 30 tall at (50, 50) from the top-left.
    [[50, 50], [50, 37], [50, 63], [122, 160], [178, 160]],
    [[40, 50], [60, 50], [115, 160], [185, 160], [150, 150]],
  );
});

Deno.test("expressions move 3D models frame by frame; if= adds and removes them", () => {
  const engine = renderScene(canvasScene(ORTHO, [
    marker({ position: "=(time * 100 - 50);0;0" }),
    marker({ position: [0, 60, 0], if: "=time < 0.5" }),
  ]));
  try {
    engine.renderFrame(0);
    assertNear(pixel(engine, 50, 100), WHITE, 2, "at t=0");
    assertNear(pixel(engine, 100, 40), WHITE, 2, "present at t=0");
    engine.renderFrame(1);
    assertNear(pixel(engine, 150, 100), WHITE, 2, "at t=1");
    assertNear(pixel(engine, 50, 100), NONE, 0, "moved away");
    assertNear(pixel(engine, 100, 40), NONE, 0, "gone at t=1");
  } finally {
    engine.close();
  }
});

Deno.test("a live edit of a 3D scene keeps its nodes and shows the change", () => {
  const scene = (color: number[]) =>
    canvasScene({ ...ORTHO, id: "canvas" }, [
      { kind: "!light", attrs: { color: 1 } },
      { kind: "!box", attrs: { id: "box", size: 100, color } },
    ]);
  const engine = renderScene(scene([1, 0, 0]));
  try {
    assertNear(pixel(engine, 100, 100), [255, 0, 0, 255], 2, "before");
    const canvas = engine.node("canvas"), box = engine.node("box");
    assert(engine.replaceText(scene([0, 0, 1])));
    engine.renderFrame();
    assertNear(pixel(engine, 100, 100), [0, 0, 255, 255], 2, "after");
    assert(engine.node("canvas") === canvas && engine.node("box") === box);
  } finally {
    engine.close();
  }
});

Deno.test("1000 boxes, drawn as instances of one mesh, all show where they are placed", () => {
  // A 40 x 25 grid, one box every 10 units, in one instanced draw.
  const boxes: Node3D[] = [];
  for (let i = 0; i < 1000; i++) {
    const x = (i % 40) * 10 - 195, y = Math.floor(i / 40) * 10 - 120;
    boxes.push(marker({ position: [x, y, 0], size: 4 }));
  }
  const engine = renderScene(
    canvasScene({ ...ORTHO, width: 400 }, boxes, { size: [400, 250] }),
  );
  try {
    const image = engine.readImage("out");
    let lit = 0, gaps = 0;
    for (let i = 0; i < 1000; i++) {
      const px = (i % 40) * 10 + 5, py = 245 - Math.floor(i / 40) * 10;
      if (image.data[(py * 400 + px) * 4 + 3] === 255) lit++;
      if (image.data[(py * 400 + px + 5) * 4 + 3] !== 0) gaps++;
    }
    assertEquals([lit, gaps], [1000, 0]);
  } finally {
    engine.close();
  }
});

Deno.test("hidden= leaves a 3D node and everything inside it out", () => {
  check(
    renderScene(canvasScene(ORTHO, [
      marker({ position: [-50, 0, 0], hidden: true }),
      {
        kind: "!transform",
        attrs: { translate: [50, 0, 0], hidden: true },
        children: [marker()],
      },
      marker({ position: [0, 50, 0] }),
    ])),
    [[100, 50]],
    [[50, 100], [150, 100]],
  );
});

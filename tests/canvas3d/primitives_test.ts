/**
 * The primitive models by their silhouettes and shading on Mesa: a sphere
 * is a disc of its projected radius, a cone points along +z (a triangle
 * from the side), a cylinder seen end-on is a disc and from the side a
 * rectangle, and `flat=` shades facets evenly where smooth shading varies.
 */

import { ok as assert } from "node:assert/strict";
import type { Engine } from "../../lib/engine/engine.ts";
import { setLogLevel } from "../../lib/log/logger.ts";
import { canvasScene, type Node3D, renderScene } from "./_scene3d.ts";

setLogLevel("error");

/** An orthographic camera 1 unit per pixel (200 wide). */
const ORTHO = { viewpoint: [0, 0, 500], orthographic: true, width: 200 };

function glowing(kind: string, attrs: Record<string, unknown>): Node3D {
  return { kind, attrs: { emissive: 1, ...attrs } };
}

/** Count of drawn (alpha > 128) pixels in row `y`, and in all. */
function coverage(engine: Engine, y?: number): number {
  const image = engine.readImage("out");
  let count = 0;
  for (let row = 0; row < image.height; row++) {
    if (y !== undefined && row !== y) continue;
    for (let x = 0; x < image.width; x++) {
      if (image.data[(row * image.width + x) * 4 + 3] > 128) count++;
    }
  }
  return count;
}

function render(children: Node3D[], canvas = ORTHO): Engine {
  return renderScene(canvasScene(canvas, children));
}

Deno.test("a sphere of size 60 is a disc of radius 60", () => {
  const engine = render([glowing("!sphere", { size: 60 })]);
  try {
    const area = coverage(engine);
    // π·60² = 11310; 64 segments inscribe a little less.
    assert(Math.abs(area - 11310) < 200, `disc area ${area}`);
    assert(Math.abs(coverage(engine, 100) - 120) <= 2, "diameter 120");
  } finally {
    engine.close();
  }
});

Deno.test("a cone points along +z: turned to point up it is a triangle, narrow at the top", () => {
  // rotation x −0.25 turns carries +z to +y.
  const engine = render([
    glowing("!cone", { size: [50, 50, 100], rotation: [-0.25, 0, 0] }),
  ]);
  try {
    const top = coverage(engine, 60), middle = coverage(engine, 100);
    const bottom = coverage(engine, 140);
    // Width 100 at the base (y = −50 → row 150), 0 at the tip (row 50).
    assert(Math.abs(top - 10) <= 3, `near the tip: ${top}`);
    assert(Math.abs(middle - 50) <= 3, `half way: ${middle}`);
    assert(Math.abs(bottom - 90) <= 3, `near the base: ${bottom}`);
    assert(coverage(engine, 45) === 0, "nothing above the tip");
  } finally {
    engine.close();
  }
});

Deno.test("a cylinder is a disc end-on and a rectangle from the side", () => {
  const endOn = render([glowing("!cylinder", { size: [50, 50, 100] })]);
  const side = render([
    glowing("!cylinder", { size: [50, 50, 100], rotation: [0.25, 0, 0] }),
  ]);
  try {
    const disc = coverage(endOn);
    assert(Math.abs(disc - Math.PI * 2500) < 100, `end-on area ${disc}`);
    assert(Math.abs(coverage(side) - 100 * 100) < 150, "side: 100 x 100");
    assert(coverage(side, 52) === 100 && coverage(side, 148) === 100);
  } finally {
    endOn.close();
    side.close();
  }
});

/** Distinct red levels along the middle row of a lit sphere. */
function shades(flat: boolean): number {
  const engine = render([
    { kind: "!light", attrs: { color: 1, direction: [1, -1, -1] } },
    {
      kind: "!sphere",
      attrs: { size: 90, color: 1, flat, segments: 8 },
    },
  ]);
  try {
    const image = engine.readImage("out");
    const levels = new Set<number>();
    for (let x = 20; x < 180; x++) {
      const offset = (100 * image.width + x) * 4;
      if (image.data[offset + 3] === 255) levels.add(image.data[offset]);
    }
    return levels.size;
  } finally {
    engine.close();
  }
}

Deno.test("flat= shades each facet evenly; smooth shading varies across it", () => {
  const flat = shades(true), smooth = shades(false);
  assert(flat <= 10, `flat: ${flat} levels`);
  assert(smooth >= 30, `smooth: ${smooth} levels`);
});

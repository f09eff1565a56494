/**
 * `!canvas3d` cameras and lights, by pixels on Mesa: a lit box's faces
 * follow the light's direction, an inverted sphere fills the view from
 * inside, and `fov=`, `fov_ref=`, `viewpoint=`/`focus=` and
 * `orthographic=` put a box where the projection says.
 */

import { ok as assert } from "node:assert/strict";
import { setLogLevel } from "../../lib/log/logger.ts";
import {
  assertNear,
  canvasScene,
  type Node3D,
  pixel,
  RecordingLogger,
  renderScene,
} from "./_scene3d.ts";

setLogLevel("error");

/** A white box turned 1/8 turn about y: its left face looks to −x, its right to +x (both towards the camera). */
function litBox(direction: number[]): string {
  return canvasScene({ viewpoint: [0, 0, 400] }, [
    { kind: "!light", attrs: { color: 0.1 } },
    { kind: "!light", attrs: { color: 1, direction } },
    {
      kind: "!box",
      attrs: { size: 400, color: [1, 1, 1], rotation: [0, 0.125, 0] },
    },
  ]);
}

Deno.test("a directional light lights the box faces turned towards it, the others only by ambient light", () => {
  const fromRight = renderScene(litBox([-1, 0, 0]));
  const fromLeft = renderScene(litBox([1, 0, 0]));
  try {
    const [left1, right1] = [
      pixel(fromRight, 70, 100),
      pixel(fromRight, 130, 100),
    ];
    const [left2, right2] = [
      pixel(fromLeft, 70, 100),
      pixel(fromLeft, 130, 100),
    ];
    // Ambient 0.1 alone is sRGB ~89; with the light at 45° ~0.78 → ~228.
    assertNear(left1, [89, 89, 89, 255], 8, "unlit left face");
    assert(right1[0] > 200, `lit right face: ${right1}`);
    assertNear(right2, [89, 89, 89, 255], 8, "unlit right face");
    assert(left2[0] > 200, `lit left face: ${left2}`);
    // Outside the box nothing is drawn: transparent.
    assertNear(pixel(fromRight, 5, 5), [0, 0, 0, 0], 0, "background");
  } finally {
    fromRight.close();
    fromLeft.close();
  }
});

Deno.test("a point light falls off with the square of the distance", () => {
  // A wall facing the camera, lit head-on by a point light at distance d:
  // colour 100·d² gives 100 at any d, so d and 2d look the same.
  const wall = (distance: number) =>
    canvasScene({ viewpoint: [0, 0, 400] }, [
      {
        kind: "!light",
        attrs: {
          color: 0.5 * distance * distance,
          position: [0, 0, distance],
        },
      },
      { kind: "!box", attrs: { size: [800, 800, 1], color: 1 } },
    ]);
  const near = renderScene(wall(50));
  const far = renderScene(wall(100));
  try {
    // 0.5 × (1 − F) ≈ 0.48 linear → sRGB ~185.
    const a = pixel(near, 100, 100), b = pixel(far, 100, 100);
    assertNear(a, b, 3, "the same brightness at d and 2d");
    assert(a[0] > 170 && a[0] < 200, `inverse-square brightness: ${a}`);
  } finally {
    near.close();
    far.close();
  }
});

Deno.test("an inverted sphere seen from inside fills the view with its colour; without invert= nothing shows", () => {
  const sphere = (invert: boolean) =>
    canvasScene({}, [
      { kind: "!light", attrs: { color: 1 } },
      {
        kind: "!sphere",
        attrs: { size: 1000, color: [0, 0, 1], invert, segments: 32 },
      },
    ]);
  const inside = renderScene(sphere(true));
  const outside = renderScene(sphere(false));
  try {
    for (
      const [x, y] of [[0, 0], [100, 100], [199, 199], [0, 199], [150, 20]]
    ) {
      assertNear(
        pixel(inside, x, y),
        [0, 0, 255, 255],
        3,
        `inside at ${x},${y}`,
      );
      assertNear(pixel(outside, x, y), [0, 0, 0, 0], 0, `culled at ${x},${y}`);
    }
  } finally {
    inside.close();
    outside.close();
  }
});

/** A small glowing box at 100;60;0 seen by a camera with `canvas` attributes. */
function marker(
  canvas: Record<string, unknown>,
  size: [number, number] = [200, 200],
): string {
  const box: Node3D = {
    kind: "!box",
    attrs: { position: [100, 60, 0], size: 20, emissive: 1 },
  };
  return canvasScene(canvas, [box], { size });
}

/** The centre of the white pixels of the window. */
function whiteCentre(engine: ReturnType<typeof renderScene>): number[] {
  const image = engine.readImage("out");
  let sx = 0, sy = 0, n = 0;
  for (let y = 0; y < image.height; y++) {
    for (let x = 0; x < image.width; x++) {
      if (image.data[(y * image.width + x) * 4] > 128) {
        sx += x + 0.5;
        sy += y + 0.5;
        n++;
      }
    }
  }
  assert(n > 0, "the box is in view");
  return [sx / n, sy / n];
}

function assertCentre(
  engine: ReturnType<typeof renderScene>,
  expected: number[],
  what: string,
): void {
  try {
    const [x, y] = whiteCentre(engine);
    assert(
      Math.abs(x - expected[0]) < 1.5 && Math.abs(y - expected[1]) < 1.5,
      `${what}: box at ${x.toFixed(1)},${y.toFixed(1)}, expected ${expected}`,
    );
  } finally {
    engine.close();
  }
}

Deno.test("fov= and viewpoint= put a box where the perspective projection says", () => {
  // x' = x / d / tan(fov·π): at d = 500, fov 0.25 → 0.2, 0.12 → pixel 120, 88.
  assertCentre(
    renderScene(marker({ viewpoint: [0, 0, 500], fov: 0.25 })),
    [120, 88],
    "fov=0.25",
  );
  // fov 0.125: tan(22.5°) = 0.4142 → 0.4828, 0.2897 → pixel 148.3, 71.0.
  assertCentre(
    renderScene(marker({ viewpoint: [0, 0, 500], fov: 0.125 })),
    [148.3, 71.0],
    "fov=0.125",
  );
  // Looking straight at it from in front: the middle.
  assertCentre(
    renderScene(
      marker({ viewpoint: [100, 60, 500], focus: [100, 60, 0], fov: 0.25 }),
    ),
    [100, 100],
    "viewpoint and focus",
  );
});

Deno.test("fov_ref= chooses the dimension fov= spans; orthographic= projects without perspective", () => {
  // 300x150, vertical fov 0.25: y' = 0.12, x' = 0.2 × 150/300 = 0.1.
  assertCentre(
    renderScene(
      marker(
        { viewpoint: [0, 0, 500], fov: 0.25, fov_ref: ":vertical" },
        [300, 150],
      ),
      {},
    ),
    [165, 66],
    "fov_ref=:vertical",
  );
  // :narrow on a wide picture is the vertical; :wide the horizontal.
  assertCentre(
    renderScene(
      marker(
        { viewpoint: [0, 0, 500], fov: 0.25, fov_ref: ":narrow" },
        [300, 150],
      ),
    ),
    [165, 66],
    "fov_ref=:narrow",
  );
  // Horizontal on 300x150: x' = 0.2 → 180; y' = 0.12 × 2 = 0.24 → 57.
  assertCentre(
    renderScene(
      marker({ viewpoint: [0, 0, 500], fov: 0.25, fov_ref: ":wide" }, [
        300,
        150,
      ]),
    ),
    [180, 57],
    "fov_ref=:wide",
  );
  // Orthographic, 400 wide: 100 → 0.5 → 150, 60 → 0.3 → 70, at any distance.
  assertCentre(
    renderScene(
      marker({ viewpoint: [0, 0, 900], orthographic: true, width: 400 }),
    ),
    [150, 70],
    "orthographic",
  );
});

Deno.test("a light inside a !group lights only that group's models; lights outside reach into it", () => {
  const engine = renderScene(
    canvasScene({ viewpoint: [0, 0, 500] }, [
      { kind: "!light", attrs: { color: [0, 0, 0.5] } },
      {
        kind: "!group",
        children: [
          { kind: "!light", attrs: { color: [0.5, 0, 0] } },
          {
            kind: "!box",
            attrs: { position: [-150, 0, 0], size: 100, color: 1 },
          },
        ],
      },
      { kind: "!box", attrs: { position: [150, 0, 0], size: 100, color: 1 } },
    ]),
  );
  try {
    // sRGB of 0.5 is 188.
    assertNear(pixel(engine, 70, 100), [188, 0, 188, 255], 4, "in the group");
    assertNear(pixel(engine, 130, 100), [0, 0, 188, 255], 4, "outside");
  } finally {
    engine.close();
  }
});

Deno.test("a line light lights along its length; max_lights= leaves extra lights out with a warning", () => {
  // A line light along x above a floor, at height 100: the floor under
  // any point of the segment is lit alike; beyond its ends it dims.
  const log = new RecordingLogger();
  const engine = renderScene(
    canvasScene({
      viewpoint: [0, 600, 0],
      up: [0, 0, -1],
      orthographic: true,
      width: 400,
      max_lights: 1,
    }, [
      {
        kind: "!light",
        attrs: { color: 5000, start: [-100, 100, 0], end: [100, 100, 0] },
      },
      { kind: "!light", attrs: { color: 1 } },
      { kind: "!box", attrs: { size: [400, 1, 400], color: 1 } },
    ]),
    { log },
  );
  try {
    // 5000 / 100² = 0.5 under the segment → sRGB ~186 (less Fresnel).
    const middle = pixel(engine, 100, 100), end = pixel(engine, 145, 100);
    assertNear(middle, end, 3, "alike along the segment");
    assert(middle[0] > 170 && middle[0] < 195, `under the line: ${middle}`);
    const beyond = pixel(engine, 195, 100);
    assert(beyond[0] < middle[0] - 40, `beyond its end: ${beyond}`);
    // The ambient light (1) was the second: left out (it would have made
    // the middle white), with one warning.
    const warnings = log.at("warn").filter((w) => w.includes("max_lights=1"));
    assert(warnings.length === 1, `${log.records}`);
  } finally {
    engine.close();
  }
});

Deno.test("50 lights all count (the default max_lights=)", () => {
  // Point lights in front of a wall facing the camera, each giving 0.01 at
  // the middle (colour 0.01·d² at distance d, head-on): 50 of them match
  // one light giving 0.5, and 49 fall short.
  const light = (distance: number, amount: number): Node3D => ({
    kind: "!light",
    attrs: {
      color: amount * (distance - 0.5) ** 2,
      position: [0, 0, distance],
    },
  });
  const wall = (lights: Node3D[]) =>
    renderScene(
      canvasScene({ viewpoint: [0, 0, 400] }, [
        ...lights,
        { kind: "!box", attrs: { size: [800, 800, 1], color: 1 } },
      ]),
    );
  const many = (count: number) =>
    Array.from({ length: count }, (_, i) => light(100 + 4 * i, 0.01));
  const fifty = wall(many(50)), fortyNine = wall(many(49));
  const one = wall([light(100, 0.5)]);
  try {
    const expected = pixel(one, 100, 100);
    assertNear(pixel(fifty, 100, 100), expected, 1, "50 lights");
    assert(
      pixel(fortyNine, 100, 100)[0] < expected[0],
      `49 lights: ${pixel(fortyNine, 100, 100)} vs ${expected}`,
    );
  } finally {
    fifty.close();
    fortyNine.close();
    one.close();
  }
});

Deno.test("lights that come and go with if= light the scene while they are there", () => {
  const engine = renderScene(
    canvasScene({ viewpoint: [0, 0, 400] }, [
      { kind: "!light", attrs: { color: [0.5, 0, 0] } },
      {
        kind: "!light",
        attrs: { color: 0.3, direction: [0, 0, -1], if: "=time >= 1" },
      },
      {
        kind: "!light",
        attrs: { color: 20000, position: [0, 0, 200], if: "=time >= 2" },
      },
      { kind: "!box", attrs: { size: [400, 400, 1], color: [0, 1, 1] } },
    ]),
  );
  try {
    const green = (time: number) => {
      engine.renderFrame(time);
      return pixel(engine, 100, 100)[1];
    };
    const [g0, g1, g2, g0again] = [green(0), green(1), green(2), green(0)];
    assert(g0 === 0 && g0again === 0, `ambient red only: ${g0}, ${g0again}`);
    // 0.3 · (1 − F) → sRGB ~146; with the point light's 0.5 more, ~225.
    assert(g1 > 130 && g1 < 160, `with the directional light: ${g1}`);
    assert(g2 > g1 + 50, `with the point light too: ${g2}`);
  } finally {
    engine.close();
  }
});

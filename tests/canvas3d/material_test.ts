/**
 * `!canvas3d` materials by pixels on Mesa: transparent models blend back
 * to front whatever their order in the file, a texture from another node's
 * output shows on a box face the right way round, `!material` passes its
 * properties down, and a spot light lights only its cone.
 */

import { ok as assert } from "node:assert/strict";
import { setLogLevel } from "../../lib/log/logger.ts";
import {
  assertNear,
  canvasScene,
  type Node3D,
  pixel,
  renderScene,
} from "./_scene3d.ts";

setLogLevel("error");

const CAMERA = { viewpoint: [0, 0, 500], fov: 0.25 };
const AMBIENT: Node3D = { kind: "!light", attrs: { color: 1 } };

/** A square facing the camera at depth `z`. */
function square(
  kind: string,
  z: number,
  color: number[],
  transparency: number,
): Node3D {
  return {
    kind,
    attrs: { position: [0, 0, z], size: [200, 200, 10], color, transparency },
  };
}

Deno.test("transparent models blend back to front, whatever their order in the scene", () => {
  // Near green listed first, far red second. Back to front, each lit by
  // ambient 1 at transparency 0.5: red 0.5, then green 0.5 over it:
  // (0.25, 0.5, 0) with alpha 0.75; in file order it would be (0.5, 0.25, 0).
  for (const farKind of ["!box", "!sphere"]) {
    const engine = renderScene(
      canvasScene(CAMERA, [
        AMBIENT,
        square("!box", 100, [0, 1, 0], 0.5),
        farKind === "!box" ? square("!box", -100, [1, 0, 0], 0.5) : {
          kind: "!sphere",
          attrs: {
            position: [0, 0, -200],
            size: 150,
            color: [1, 0, 0],
            transparency: 0.5,
          },
        },
      ]),
    );
    try {
      // sRGB of 0.25 is 137, of 0.5 is 188 (premultiplied, as composited).
      assertNear(pixel(engine, 100, 100), [137, 188, 0, 191], 4, farKind);
    } finally {
      engine.close();
    }
  }
});

Deno.test("transparency lets diffuse light through but not emissive light", () => {
  const engine = renderScene(
    canvasScene(CAMERA, [
      AMBIENT,
      {
        kind: "!box",
        attrs: {
          size: [200, 200, 10],
          color: [1, 0, 0],
          emissive: [0, 0, 0.5],
          transparency: 1,
        },
      },
    ]),
  );
  try {
    // Diffuse red gone, emissive blue kept, alpha 0.
    assertNear(pixel(engine, 100, 100), [0, 0, 188, 0], 4);
  } finally {
    engine.close();
  }
});

const HALVES = `\${HEADER}
in vec2 coord;
out vec4 color;
void main() { color = coord.x < 0.5 ? vec4(1.0, 0.0, 0.0, 1.0) : vec4(0.0, 1.0, 0.0, 1.0); }
`;

Deno.test("texture_id= puts another node's output on a box face, the right way round", () => {
  const engine = renderScene(
    canvasScene(CAMERA, [
      AMBIENT,
      {
        kind: "!box",
        attrs: { size: 200, texture_id: "halves", uv_map: ":repeat" },
      },
    ], {
      before: [{
        kind: "!shader",
        attrs: { id: "halves", hidden: true, size: [64, 64], fragment: HALVES },
      }],
    }),
  );
  try {
    // The front face spans x 75…125 (100 units at distance 400).
    assertNear(pixel(engine, 85, 100), [255, 0, 0, 255], 4, "left of the face");
    assertNear(
      pixel(engine, 115, 100),
      [0, 255, 0, 255],
      4,
      "right of the face",
    );
  } finally {
    engine.close();
  }
});

Deno.test("!material passes its properties to the models inside it; a model's own win", () => {
  const engine = renderScene(
    canvasScene(CAMERA, [
      AMBIENT,
      {
        kind: "!material",
        attrs: { color: [0, 0, 1] },
        children: [
          { kind: "!box", attrs: { position: [-150, 0, 0], size: 100 } },
          {
            kind: "!box",
            attrs: { position: [150, 0, 0], size: 100, color: [1, 1, 0] },
          },
        ],
      },
    ]),
  );
  try {
    assertNear(pixel(engine, 70, 100), [0, 0, 255, 255], 4, "inherited");
    assertNear(pixel(engine, 130, 100), [255, 255, 0, 255], 4, "own");
  } finally {
    engine.close();
  }
});

Deno.test("a spot light lights its cone and nothing outside it", () => {
  // Spot at 0;0;200 shining at a wall at z=0: outer 0.25 turns (45° each
  // side) reaches radius 200 on the wall, 40 pixels here.
  const engine = renderScene(
    canvasScene(CAMERA, [
      {
        kind: "!light",
        attrs: {
          color: 40000,
          position: [0, 0, 200],
          direction: [0, 0, -1],
          outer: 0.25,
          inner: 0.2,
        },
      },
      { kind: "!box", attrs: { size: [1000, 1000, 1], color: 1 } },
    ]),
  );
  try {
    const centre = pixel(engine, 100, 100);
    assert(centre[0] > 150, `lit centre: ${centre}`);
    assert(pixel(engine, 115, 100)[0] > 120, "inside the inner cone");
    assertNear(pixel(engine, 150, 100), [0, 0, 0, 255], 2, "outside the cone");
    assertNear(pixel(engine, 100, 40), [0, 0, 0, 255], 2, "outside the cone");
  } finally {
    engine.close();
  }
});

Deno.test("material expressions are evaluated every frame", () => {
  const engine = renderScene(
    canvasScene(CAMERA, [
      AMBIENT,
      {
        kind: "!material",
        attrs: { color: "=(1 - time);0;time" },
        children: [{ kind: "!box", attrs: { size: 200, roughness: "=time" } }],
      },
    ]),
  );
  try {
    engine.renderFrame(0);
    assertNear(pixel(engine, 100, 100), [255, 0, 0, 255], 4, "t=0");
    engine.renderFrame(1);
    assertNear(pixel(engine, 100, 100), [0, 0, 255, 255], 4, "t=1");
  } finally {
    engine.close();
  }
});

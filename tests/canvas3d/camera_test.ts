/**
 * Several cameras on one 3D scene, by pixels on Mesa: a `!camera
 * secondary=true` renders its own picture (read by id, and through
 * `!reference`), `camera_id=` makes a `!camera` the canvas's, and the
 * camera settings fog, multisampling, monochrome and tint show.
 */

import { ok as assert } from "node:assert/strict";
import type { Engine } from "../../lib/engine/engine.ts";
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

const ORTHO = { viewpoint: [0, 0, 500], orthographic: true, width: 200 };
const WHITE = [255, 255, 255, 255];
const NONE = [0, 0, 0, 0];

/** Seen from +x: world z runs right to left. */
const SIDE: Node3D = {
  kind: "!camera",
  attrs: {
    id: "side",
    secondary: true,
    viewpoint: [500, 0, 0],
    focus: [0, 0, 0],
  },
};
/** A box at z=60: in the middle from the front, at x=40 from the side. */
const BOX: Node3D = {
  kind: "!box",
  attrs: { position: [0, 0, 60], size: 10, emissive: 1 },
};

function imagePixel(engine: Engine, id: string, x: number, y: number) {
  const image = engine.readImage(id);
  const offset = (y * image.width + x) * 4;
  return [...image.data.subarray(offset, offset + 4)];
}

Deno.test("a secondary !camera renders its own picture of the same scene, read by its id", () => {
  const engine = renderScene(canvasScene(ORTHO, [SIDE, BOX]));
  try {
    assertNear(pixel(engine, 100, 100), WHITE, 2, "front view");
    // The camera's picture is 16-bit float, read back as sRGB.
    assertNear(imagePixel(engine, "side", 40, 100), WHITE, 2, "side view");
    assertNear(imagePixel(engine, "side", 100, 100), NONE, 0, "side view");
  } finally {
    engine.close();
  }
});

Deno.test("camera_id= makes a !camera the canvas's picture; !reference shows a secondary camera", () => {
  const chosen = renderScene(
    canvasScene({ ...ORTHO, camera_id: "side" }, [
      { ...SIDE, attrs: { ...SIDE.attrs, secondary: false } },
      BOX,
    ]),
  );
  // The window shows only a !reference to the camera (the canvas hidden).
  const referenced = renderScene(
    canvasScene({ ...ORTHO, hidden: true }, [SIDE, BOX]).replace(
      /$/,
      `\n  [[nodes.children]]\n  kind = "!reference"\n  id = "side"\n`,
    ),
  );
  try {
    assertNear(pixel(chosen, 40, 100), WHITE, 2, "camera_id view");
    assertNear(pixel(chosen, 100, 100), NONE, 0, "camera_id view");
    assertNear(pixel(referenced, 40, 100), WHITE, 2, "referenced view");
    assertNear(pixel(referenced, 100, 100), NONE, 0, "referenced view");
  } finally {
    chosen.close();
    referenced.close();
  }
});

Deno.test("a camera_id= naming no camera warns once and keeps the canvas's own camera", () => {
  const log = new RecordingLogger();
  const engine = renderScene(
    canvasScene({ ...ORTHO, camera_id: "nope" }, [BOX]),
    { log },
  );
  try {
    engine.renderFrame();
    assertNear(pixel(engine, 100, 100), WHITE, 2);
    const warnings = log.at("warn").filter((line) => line.includes("nope"));
    assert(
      warnings.length === 1 &&
        warnings[0].includes("scene.toml: nodes[0].children[0].camera_id"),
      `${log.records}`,
    );
  } finally {
    engine.close();
  }
});

Deno.test("fog fills the picture with fog_color= and mixes models in by distance", () => {
  // Boxes at distances 50, 200 and 400 from the camera, seen at x' = −0.5,
  // 0 and 0.5 (pixels 50, 100, 150).
  const box = (distance: number, across: number): Node3D => ({
    kind: "!box",
    attrs: {
      position: [across * distance, 0, 500 - distance],
      size: [40, 40, 1],
      emissive: 1,
    },
  });
  const engine = renderScene(
    canvasScene({
      viewpoint: [0, 0, 500],
      fov: 0.25,
      fog_color: [0, 0, 1],
      fog_min: 100,
      fog_max: 300,
    }, [box(50, -0.5), box(200, 0), box(400, 0.5)]),
  );
  try {
    // Before fog_min: white; half way: (0.5, 0.5, 1); beyond fog_max: fog.
    assertNear(pixel(engine, 5, 5), [0, 0, 255, 255], 2, "background");
    assertNear(pixel(engine, 50, 100), WHITE, 3, "near");
    assertNear(pixel(engine, 100, 100), [188, 188, 255, 255], 4, "half");
    assertNear(pixel(engine, 150, 100), [0, 0, 255, 255], 3, "far");
  } finally {
    engine.close();
  }
});

/** How many pixels are partly covered (alpha strictly between 0 and 255). */
function partial(samples: number): number {
  const engine = renderScene(canvasScene({ ...ORTHO, samples }, [{
    kind: "!box",
    attrs: { size: 100, emissive: 1, rotation: [0, 0, 0.07] },
  }]));
  try {
    const image = engine.readImage("out");
    let count = 0;
    for (let i = 3; i < image.data.length; i += 4) {
      if (image.data[i] > 0 && image.data[i] < 255) count++;
    }
    return count;
  } finally {
    engine.close();
  }
}

Deno.test("samples= smooths edges: partly covered pixels appear only with multisampling", () => {
  assert(partial(0) === 0, "no multisampling: every pixel all or nothing");
  const smoothed = partial(4);
  assert(smoothed > 200, `4 samples: ${smoothed} edge pixels in between`);
});

Deno.test("monochrome= turns the picture grey by luminance, then tint= colours it", () => {
  const engine = renderScene(canvasScene({
    ...ORTHO,
    monochrome: true,
    tint: [1, 0, 0],
  }, [{ kind: "!box", attrs: { size: 100, emissive: [0, 1, 0] } }]));
  try {
    // Luminance of pure green is 0.7152 → sRGB 219, kept in red only.
    assertNear(pixel(engine, 100, 100), [219, 0, 0, 255], 3);
  } finally {
    engine.close();
  }
});

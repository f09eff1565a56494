/**
 * `!model filename=` by pixels on Mesa: OBJ (polygons, texture
 * coordinates, normals, negative indices) and STL (ASCII and binary) files
 * load and render where placed; a missing or malformed file gives one
 * error naming the scene file, the node's place and the file's problem,
 * the node draws nothing (or, after an edit breaks its file, its last good
 * mesh) and the rest of the scene renders.
 */

import {
  deepStrictEqual as assertEquals,
  ok as assert,
} from "node:assert/strict";
import { join } from "node:path";
import { Engine } from "../../lib/engine/engine.ts";
import { setLogLevel } from "../../lib/log/logger.ts";
import { parseObj } from "../../lib/canvas3d/obj_format.ts";
import { parseStl } from "../../lib/canvas3d/stl_format.ts";
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

/** A square from −50 to 50 in x and y, facing +z, as one quad. */
const SQUARE_OBJ = `# a square
o square
v -50 -50 0
v 50 -50 0
v 50 50 0
v -50 50 0
vt 0 0
vt 1 0
vt 1 1
vt 0 1
vn 0 0 1
f 1/1/1 2/2/1 3/3/1 4/4/1
`;

/** A triangle (−50,−50) (50,−50) (−50,50) facing +z. */
const TRIANGLE_STL = `solid t
facet normal 0 0 1
  outer loop
    vertex -50 -50 0
    vertex 50 -50 0
    vertex -50 50 0
  endloop
endfacet
endsolid t
`;

function binaryStl(corners: number[][]): Uint8Array {
  const bytes = new Uint8Array(84 + 50 * corners.length / 3);
  const view = new DataView(bytes.buffer);
  view.setUint32(80, corners.length / 3, true);
  corners.forEach((corner, i) => {
    const base = 84 + Math.floor(i / 3) * 50 + 12 + (i % 3) * 12;
    corner.forEach((value, k) => view.setFloat32(base + k * 4, value, true));
  });
  return bytes;
}

/** Writes `files` and a scene with `children` into a new folder; opens it. */
async function open(
  files: Record<string, string | Uint8Array>,
  children: Node3D[],
  log = new RecordingLogger(),
): Promise<{ engine: Engine; folder: string; log: RecordingLogger }> {
  const folder = await Deno.makeTempDir();
  for (const [name, content] of Object.entries(files)) {
    if (typeof content === "string") {
      await Deno.writeTextFile(join(folder, name), content);
    } else await Deno.writeFile(join(folder, name), content);
  }
  const scene = join(folder, "scene.toml");
  await Deno.writeTextFile(scene, canvasScene(ORTHO, children));
  const engine = await Engine.open(scene, { watch: false, log });
  engine.renderFrame();
  return { engine, folder, log };
}

function model(filename: string, attrs: Record<string, unknown> = {}): Node3D {
  return { kind: "!model", attrs: { filename, emissive: 1, ...attrs } };
}

Deno.test("an OBJ file loads and renders where the model is placed", async () => {
  const { engine, folder, log } = await open({ "square.obj": SQUARE_OBJ }, [
    model("square.obj", { position: [-40, 0, 0], size: 0.5 }),
  ]);
  try {
    // 50 x 50 centred at x=−40: pixels 35…85, rows 75…125.
    for (const [x, y] of [[37, 77], [83, 123], [60, 100]]) {
      assertNear(pixel(engine, x, y), WHITE, 2, `${x},${y}`);
    }
    for (const [x, y] of [[32, 100], [88, 100], [60, 72], [60, 128]]) {
      assertNear(pixel(engine, x, y), NONE, 0, `${x},${y}`);
    }
    assertEquals(log.at("error"), []);
  } finally {
    engine.close();
    await Deno.remove(folder, { recursive: true });
  }
});

Deno.test("OBJ parsing: fans of polygons, negative indices, shared corners, file normals", () => {
  const mesh = parseObj(
    "v 0 0 0\nv 1 0 0\nv 1 1 0\nv 0 1 0\nvn 0 0 -1\nf -4//1 -3//1 -2//1 -1//1\n",
    "quad",
  );
  assertEquals([...mesh.indices], [0, 1, 2, 0, 2, 3]);
  assertEquals(mesh.vertices.length, 4 * 8);
  assertEquals([...mesh.vertices.subarray(3, 6)], [0, 0, -1]);
  assertEquals(mesh.min, [0, 0, 0]);
  assertEquals(mesh.max, [1, 1, 0]);
});

Deno.test("ASCII and binary STL files load and render", async () => {
  const corners = [[-50, -50, 0], [50, -50, 0], [-50, 50, 0]];
  assertEquals(parseStl(binaryStl(corners), "t").indices.length, 3);
  const { engine, folder } = await open(
    { "ascii.stl": TRIANGLE_STL, "binary.stl": binaryStl(corners) },
    [
      model("ascii.stl", { position: [-50, 0, 0], size: 0.4 }),
      model("binary.stl", { position: [50, 0, 0], size: 0.4 }),
    ],
  );
  try {
    // Each triangle's lower-left corner region is drawn, its upper right not.
    assertNear(pixel(engine, 35, 115), WHITE, 2, "ascii");
    assertNear(pixel(engine, 65, 85), NONE, 0, "ascii");
    assertNear(pixel(engine, 135, 115), WHITE, 2, "binary");
    assertNear(pixel(engine, 165, 85), NONE, 0, "binary");
  } finally {
    engine.close();
    await Deno.remove(folder, { recursive: true });
  }
});

Deno.test("a malformed or missing model file gives one error naming scene, place and problem; the rest renders", async () => {
  const bad = SQUARE_OBJ.replace("f 1/1/1", "f 1/1/1 9/1/1");
  const { engine, folder, log } = await open({ "bad.obj": bad }, [
    model("bad.obj"),
    model("missing.obj"),
    { kind: "!box", attrs: { position: [80, 80, 0], size: 20, emissive: 1 } },
  ]);
  try {
    engine.renderFrame();
    engine.renderFrame();
    const scene = join(folder, "scene.toml");
    assertEquals(log.at("error"), [
      `error ${scene}: nodes[0].children[0].children[0] (!model): model file "bad.obj": line 12: vertex index 9 is out of range (4 so far)`,
      `error ${scene}: nodes[0].children[0].children[1] (!model): cannot read model file "missing.obj": no such file`,
    ]);
    assertNear(pixel(engine, 100, 100), NONE, 0, "the bad model draws nothing");
    assertNear(pixel(engine, 180, 20), WHITE, 2, "the box still renders");
  } finally {
    engine.close();
    await Deno.remove(folder, { recursive: true });
  }
});

Deno.test("an edit that breaks a model file keeps its last good mesh; fixing it shows the new one", async () => {
  const { engine, folder, log } = await open({ "square.obj": SQUARE_OBJ }, [
    model("square.obj"),
  ]);
  const file = join(folder, "square.obj");
  // The file is looked at again at most twice a second, by modification time.
  const edit = async (text: string) => {
    await new Promise((resolve) => setTimeout(resolve, 600));
    await Deno.writeTextFile(file, text);
    const later = new Date(Date.now() + 2000);
    await Deno.utime(file, later, later);
    engine.renderFrame();
    engine.renderFrame();
  };
  try {
    assertNear(pixel(engine, 100, 100), WHITE, 2, "loaded");
    await edit("v 0 0 0\nf 1 2 3\n");
    assertNear(pixel(engine, 100, 100), WHITE, 2, "last good mesh kept");
    const errors = log.at("error");
    assert(
      errors.length === 1 &&
        errors[0].includes(`(!model): model file "square.obj": line 2:`),
      `${errors}`,
    );
    await edit(SQUARE_OBJ.replaceAll("50", "20"));
    assertNear(pixel(engine, 100, 100), WHITE, 2, "new mesh");
    assertNear(pixel(engine, 140, 100), NONE, 0, "new mesh is smaller");
    assertEquals(log.at("error").length, 1);
  } finally {
    engine.close();
    await Deno.remove(folder, { recursive: true });
  }
});

Deno.test("!model vertices= faces= builds a mesh from vectors; bad faces= are an error naming the node", () => {
  const log = new RecordingLogger();
  const triangle = {
    vertices: [-50, -50, 0, 50, -50, 0, -50, 50, 0],
    emissive: 1,
  };
  const engine = renderScene(
    canvasScene(ORTHO, [
      { kind: "!model", attrs: { ...triangle, faces: [0, 1, 2] } },
      {
        kind: "!model",
        attrs: { ...triangle, faces: [0, 1, 7], position: [0, 0, 10] },
      },
    ]),
    { log },
  );
  try {
    assertNear(pixel(engine, 60, 140), WHITE, 2, "inside the triangle");
    assertNear(pixel(engine, 140, 60), NONE, 0, "outside the triangle");
    assertEquals(log.at("error"), [
      "error scene.toml: nodes[0].children[0].children[1] (!model): faces= needs 3 vertex numbers per face, each from 0 to 2",
    ]);
  } finally {
    engine.close();
  }
});

/**
 * The 3D call examples (the original plugin's caller and receiver ported):
 * they load without warnings, and the `!canvas3d` each sends renders a lit
 * box in its colour in the middle of a room of its own colour. The scene
 * is rendered without the call: the canvas node is taken out of the
 * example and put in a window of its own.
 */

import {
  deepStrictEqual as assertEquals,
  ok as assert,
} from "node:assert/strict";
import { Engine } from "../../lib/engine/engine.ts";
import { loadSceneFile } from "../../lib/scene/load_scene.ts";
import { parseSceneText } from "../../lib/scene/parse_text.ts";
import { setLogLevel } from "../../lib/log/logger.ts";

setLogLevel("error");

const EXAMPLES = new URL("../../examples/", import.meta.url).pathname;

type Table = Record<string, unknown>;

/** The first node of `kind` in a parsed scene. */
function findNode(nodes: unknown[], kind: string): Table | null {
  for (const node of nodes as Table[]) {
    if (node.kind === kind) return node;
    const inner = findNode((node.children as unknown[]) ?? [], kind);
    if (inner !== null) return inner;
  }
  return null;
}

/** The example's !canvas3d, alone in a 320x180 window; its picture. */
async function renderContent(
  name: string,
): Promise<(x: number, y: number) => number[]> {
  const path = `${EXAMPLES}${name}`;
  const data = parseSceneText(await Deno.readTextFile(path), path) as Table;
  const canvas = findNode(data.nodes as unknown[], "!canvas3d");
  assert(canvas !== null, `${name} has a !canvas3d`);
  const scene = {
    nodes: [{
      kind: "!window",
      id: "out",
      size: [320, 180],
      colorbits: 8,
      children: [canvas],
    }],
  };
  const engine = Engine.fromText(JSON.stringify(scene), "content.json");
  try {
    engine.renderFrame();
    const image = engine.readImage("out");
    return (
      x,
      y,
    ) => [...image.data.subarray((y * 320 + x) * 4, (y * 320 + x) * 4 + 4)];
  } finally {
    engine.close();
  }
}

Deno.test("the 3D call examples load without errors or warnings", async () => {
  for (const name of ["caller3d.toml", "receiver3d.toml"]) {
    const scene = await loadSceneFile(`${EXAMPLES}${name}`);
    assertEquals(scene.warnings, [], name);
  }
});

Deno.test("caller3d sends a lit cyan box in a red room; receiver3d a yellow box in a blue room", async () => {
  const caller = await renderContent("caller3d.toml");
  const receiver = await renderContent("receiver3d.toml");
  // The middle is always the box (it turns with the clock): the face seen
  // there faces the camera, and the light, by at least 1/√3.
  const [r1, g1, b1, a1] = caller(160, 90);
  assert(
    g1 > 150 && Math.abs(g1 - b1) < 3 && r1 < 40 && a1 === 255,
    `caller box ${caller(160, 90)}`,
  );
  const [r2, g2, b2] = receiver(160, 90);
  assert(
    r2 > 150 && Math.abs(r2 - g2) < 3 && b2 < 40,
    `receiver box ${receiver(160, 90)}`,
  );
  // The left and right edges, which the box never reaches, show the room
  // from its inside, lit at a low angle there (about 0.05).
  for (const [x, y] of [[3, 90], [316, 90]]) {
    const [r, g, b, a] = caller(x, y);
    assert(
      r > 30 && r < 120 && g < 20 && b < 20 && a === 255,
      `caller room ${caller(x, y)}`,
    );
    const [r3, g3, b3] = receiver(x, y);
    assert(
      b3 > 30 && b3 < 120 && r3 < 20 && g3 < 20,
      `receiver room ${receiver(x, y)}`,
    );
  }
});

Deno.test("the README's 3D example renders its textured floor and lit models", async () => {
  const engine = await Engine.open(`${EXAMPLES}canvas3d.toml`, {
    watch: false,
  });
  try {
    engine.renderFrame(0);
    const window = engine.roots[0].output;
    assert(window !== null);
    const rgba = engine.gl.readTarget(window);
    const at = (
      x: number,
      y: number,
    ) => [...rgba.subarray((y * 640 + x) * 4, (y * 640 + x) * 4 + 4)];
    // Near the bottom, the floor's chequers: light and dark grey cells.
    const row = Array.from({ length: 64 }, (_, i) => at(i * 10, 340)[0]);
    assert(Math.max(...row) - Math.min(...row) > 60, `floor row ${row}`);
    // Somewhere in the middle band, the red material of the box and cone.
    let red = 0;
    for (let y = 120; y < 260; y += 2) {
      for (let x = 0; x < 640; x += 2) {
        const [r, g, b] = at(x, y);
        if (r > 80 && r > 2 * g && r > 2 * b) red++;
      }
    }
    assert(red > 300, `red pixels: ${red}`);
  } finally {
    engine.close();
  }
});

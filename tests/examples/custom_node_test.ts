// The README's "writing a node kind" example: examples/custom_node.ts
// registers `!stripes` through mod.ts; scenes then use it like a built-in
// node, in the library and from the command line the script runs.
import assert from "node:assert/strict";
import { join } from "node:path";
import { Engine, setLogLevel } from "../../mod.ts";
import "../../examples/custom_node.ts";
import { readImageFile } from "../../lib/media/image_file.ts";
import { pixelAt } from "../_assert.ts";

setLogLevel("error");

const ROOT = new URL("../../", import.meta.url).pathname;
const RED = [255, 0, 0, 255];
const BLUE = [0, 0, 255, 255];

/** 40x8 pixels of four red stripes on blue, upright (angle 0): bands of 5 px. */
const STRIPES = `
[[nodes]]
kind = "!offscreen"
id = "out"
size = [40, 8]
colorbits = 8
  [[nodes.children]]
  kind = "!stripes"
  count = 4
  color = [1, 0, 0]
  background = [0, 0, 1]
`;

/** The colours at the middle of each 5-pixel band, left to right. */
function bands(data: Uint8Array, width: number): number[][] {
  return Array.from(
    { length: width / 5 },
    (_, band) => pixelAt(data, width, band * 5 + 2, 4),
  );
}

Deno.test("a !stripes node registered by the example draws its stripes inside a built-in window", () => {
  const engine = Engine.fromText(STRIPES, "stripes_test.toml");
  try {
    engine.renderFrame();
    const image = engine.readImage("out");
    assert.deepEqual(bands(image.data, image.width), [
      BLUE,
      RED,
      BLUE,
      RED,
      BLUE,
      RED,
      BLUE,
      RED,
    ]);
    // Attributes are re-read every frame: a quarter turn makes the stripes
    // horizontal, so a row is one colour.
    assert.ok(engine.replaceText(STRIPES.replace("count = 4", "angle = 0.25")));
    engine.renderFrame();
    const turned = engine.readImage("out");
    const row = bands(turned.data, turned.width);
    assert.ok(row.every((colour) => colour.join() === row[0].join()), `${row}`);
  } finally {
    engine.close();
  }
});

Deno.test("the example script runs the command line with !stripes available", async () => {
  const folder = await Deno.makeTempDir();
  try {
    const scene = join(folder, "stripes.toml");
    const png = join(folder, "stripes.png");
    await Deno.writeTextFile(
      scene,
      STRIPES.replace(
        'kind = "!stripes"',
        `kind = "!record"
  filename = "${png}"
    [[nodes.children.children]]
    kind = "!stripes"`,
      ).replace(
        /\n {2}(count|color|background) =/g,
        "\n    $1 =",
      ),
    );
    const run = await new Deno.Command(Deno.execPath(), {
      args: [
        "run",
        "-A",
        join(ROOT, "examples/custom_node.ts"),
        "run",
        scene,
        "--lockstep",
        "--fps",
        "10",
        "--runtime",
        "0.3",
      ],
      stdout: "piped",
      stderr: "piped",
    }).output();
    const output = new TextDecoder().decode(run.stdout) +
      new TextDecoder().decode(run.stderr);
    assert.equal(run.code, 0, output);
    assert.doesNotMatch(output, /\b(WARN|ERROR)\b/);
    const image = await readImageFile(png);
    assert.deepEqual(
      bands(image.data, image.width).map((colour) => colour.join()),
      [BLUE, RED, BLUE, RED, BLUE, RED, BLUE, RED].map((c) => c.join()),
    );
  } finally {
    await Deno.remove(folder, { recursive: true });
  }
});

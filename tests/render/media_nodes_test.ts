import { Buffer } from "node:buffer";
import pngjs from "npm:pngjs@7.0.0";
import jpeg from "npm:jpeg-js@0.4.4";
import { assert, assertEquals, assertNear, pixelAt } from "../_assert.ts";
import { Engine } from "../../lib/engine/engine.ts";
import { expectedBytes, FILL_SHADER, TestScene } from "./_harness.ts";

interface PngSync {
  read(buffer: Buffer): { width: number; height: number; data: Buffer };
  write(png: { width: number; height: number; data: Buffer }): Buffer;
}
const png = (pngjs as { PNG: { sync: PngSync } }).PNG.sync;

const RED = [255, 0, 0, 255];
const GREEN = [0, 255, 0, 255];
const BLUE = [0, 0, 255, 255];
const WHITE = [255, 255, 255, 255];

/** A 4x2 PNG: red, green, blue, white down the left column pair, top row first. */
function writeTestPng(path: string): void {
  const rows = [
    [RED, RED, GREEN, GREEN],
    [BLUE, BLUE, WHITE, [255, 255, 255, 0]],
  ];
  const data = Buffer.from(rows.flat(2));
  Deno.writeFileSync(path, png.write({ width: 4, height: 2, data }));
}

/** Upright top-down RGB of the first frame of a video, via Debian's ffmpeg. */
async function firstVideoFrame(
  path: string,
  width: number,
  height: number,
): Promise<Uint8Array> {
  const output = await new Deno.Command("ffmpeg", {
    args: [
      "-v",
      "error",
      "-i",
      path,
      "-frames:v",
      "1",
      "-f",
      "rawvideo",
      "-pix_fmt",
      "rgb24",
      "-",
    ],
    stdout: "piped",
    stderr: "piped",
  }).output();
  assert(output.success, new TextDecoder().decode(output.stderr));
  assertEquals(output.stdout.length, width * height * 3);
  return output.stdout;
}

Deno.test("an image node shows a PNG upright at its own size, and flips it", async () => {
  const folder = Deno.makeTempDirSync();
  writeTestPng(`${folder}/test.png`);
  const scene = new TestScene([
    {
      kind: "offscreen",
      attrs: { size: [4, 2] },
      children: [{ kind: "image", attrs: { filename: "test.png" } }],
    },
    {
      kind: "offscreen",
      attrs: { size: [4, 2] },
      children: [{
        kind: "image",
        attrs: { filename: "test.png", flip: "horizontal" },
      }],
    },
  ], folder);
  try {
    scene.render();
    assertEquals(scene.errors, []);
    const { data } = scene.read([0, 0], true);
    assertEquals(pixelAt(data, 4, 0, 0), RED);
    assertEquals(pixelAt(data, 4, 3, 0), GREEN);
    assertEquals(pixelAt(data, 4, 0, 1), BLUE);
    assertEquals(pixelAt(data, 4, 2, 1), WHITE);
    assertEquals(pixelAt(data, 4, 3, 1)[3], 0);
    const flipped = scene.read([1, 0], true).data;
    assertEquals(pixelAt(flipped, 4, 0, 0), GREEN);
    assertEquals(pixelAt(flipped, 4, 3, 1), BLUE);
  } finally {
    await scene.destroy();
    Deno.removeSync(folder, { recursive: true });
  }
});

Deno.test("an image node loads a JPEG, resizes it with size= and reports a missing file", async () => {
  const folder = Deno.makeTempDirSync();
  const width = 16, height = 16;
  const data = new Uint8Array(width * height * 4);
  for (let i = 0; i < width * height; i++) data.set([200, 100, 50, 255], i * 4);
  Deno.writeFileSync(
    `${folder}/test.jpg`,
    jpeg.encode({ width, height, data }, 95).data,
  );
  const scene = new TestScene([
    {
      kind: "offscreen",
      attrs: { size: [8, 8] },
      children: [{
        kind: "image",
        attrs: { filename: "test.jpg", size: [8, 4] },
      }],
    },
    {
      kind: "offscreen",
      attrs: { size: [8, 8] },
      children: [{ kind: "image", attrs: { filename: "missing.png" } }],
    },
  ], folder);
  try {
    scene.render();
    const image = scene.read([0, 0]);
    assertEquals([image.width, image.height], [8, 4]);
    assertNear(pixelAt(image.data, 8, 3, 2), [200, 100, 50, 255], 4);
    assertEquals(scene.errors.length, 1);
    assert(
      String(scene.errors[0]).includes("missing.png"),
      String(scene.errors[0]),
    );
  } finally {
    await scene.destroy();
    Deno.removeSync(folder, { recursive: true });
  }
});

const TOP_RED_BOTTOM_BLUE = `\${HEADER}
in vec2 coord;
out vec4 color;
void main() {
    color = coord.y > 0.5 ? vec4(1.0, 0.0, 0.0, 1.0) : vec4(0.0, 0.0, 1.0, 1.0);
}
`;

Deno.test("a record node writes a complete upright PNG and passes its image on", async () => {
  const folder = Deno.makeTempDirSync();
  const scene = new TestScene([
    {
      kind: "offscreen",
      attrs: { size: [8, 8], id: "main" },
      children: [{ kind: "shader", attrs: { fragment: TOP_RED_BOTTOM_BLUE } }],
    },
    {
      kind: "record",
      attrs: { filename: "still.png", size: [8, 8] },
      children: [{ kind: "reference", attrs: { id: "main" } }],
    },
  ], folder);
  try {
    scene.render();
    scene.render();
    assertEquals(scene.errors, []);
    assertEquals(pixelAt(scene.read([1]).data, 8, 0, 0), RED);
  } finally {
    await scene.destroy();
  }
  try {
    const image = png.read(
      Buffer.from(Deno.readFileSync(`${folder}/still.png`)),
    );
    assertEquals([image.width, image.height], [8, 8]);
    assertEquals(pixelAt(image.data, 8, 4, 1), RED);
    assertEquals(pixelAt(image.data, 8, 4, 6), BLUE);
    assertEquals([...Deno.readDirSync(folder)].map((entry) => entry.name), [
      "still.png",
    ]);
  } finally {
    Deno.removeSync(folder, { recursive: true });
  }
});

Deno.test("a record node writes H.264 and VP9 videos that decode to its frames", async () => {
  const folder = Deno.makeTempDirSync();
  const scene = new TestScene([
    {
      kind: "record",
      attrs: { filename: "clip.mp4", size: [32, 32], codec: "h264", crf: 18 },
      children: [{ kind: "shader", attrs: { fragment: TOP_RED_BOTTOM_BLUE } }],
    },
    {
      kind: "record",
      attrs: {
        filename: "eight.webm",
        size: [32, 32],
        colorbits: 8,
        limit: 0.2,
      },
      children: [{ kind: "shader", attrs: { fragment: TOP_RED_BOTTOM_BLUE } }],
    },
    {
      kind: "record",
      attrs: { filename: "flat.mkv", size: [32, 32] },
      children: [{
        kind: "shader",
        attrs: { fragment: FILL_SHADER, fill: [0.2, 0.5, 0.1, 1] },
      }],
    },
  ], folder);
  try {
    for (let i = 0; i < 10; i++) scene.render();
    assertEquals(scene.errors, []);
  } finally {
    await scene.destroy();
  }
  try {
    const frame = await firstVideoFrame(`${folder}/clip.mp4`, 32, 32);
    const rgb = (
      x: number,
      y: number,
    ) => [...frame.subarray((y * 32 + x) * 3, (y * 32 + x) * 3 + 3)];
    assertNear(rgb(16, 4), [255, 0, 0], 12);
    assertNear(rgb(16, 28), [0, 0, 255], 12);
    // 8-bit targets take the other read-back path (rows flipped by ffmpeg).
    const eight = await firstVideoFrame(`${folder}/eight.webm`, 32, 32);
    assertNear([...eight.subarray((4 * 32 + 16) * 3, (4 * 32 + 16) * 3 + 3)], [
      255,
      0,
      0,
    ], 12);
    assertNear(
      [...eight.subarray((28 * 32 + 16) * 3, (28 * 32 + 16) * 3 + 3)],
      [0, 0, 255],
      12,
    );
    const flat = await firstVideoFrame(`${folder}/flat.mkv`, 32, 32);
    assertNear(
      [...flat.subarray(0, 3)],
      expectedBytes([0.2, 0.5, 0.1, 1]).slice(0, 3),
      8,
    );
  } finally {
    Deno.removeSync(folder, { recursive: true });
  }
});

Deno.test("in lockstep a record node keeps every frame of its video", async () => {
  const folder = Deno.makeTempDirSync();
  const fragment = `\${HEADER}
in vec2 coord;
out vec4 color;
uniform float beat;
void main() {
    color = vec4(beat / 10.0, 0.0, 0.0, 1.0);
}
`;
  const scene = new TestScene(
    [
      {
        kind: "record",
        attrs: { filename: "every.mp4", size: [16, 16], colorbits: 8 },
        children: [{ kind: "shader", attrs: { fragment } }],
      },
    ],
    folder,
    true,
  );
  try {
    for (let i = 0; i < 10; i++) {
      scene.render();
      await scene.settle();
    }
    assertEquals(scene.errors, []);
  } finally {
    await scene.destroy();
  }
  try {
    const output = await new Deno.Command("ffmpeg", {
      args: [
        "-v",
        "error",
        "-i",
        `${folder}/every.mp4`,
        "-f",
        "rawvideo",
        "-pix_fmt",
        "rgb24",
        "-",
      ],
      stdout: "piped",
      stderr: "piped",
    }).output();
    assert(output.success, new TextDecoder().decode(output.stderr));
    const frameBytes = 16 * 16 * 3;
    assertEquals(output.stdout.length, 10 * frameBytes);
    // Red rises frame by frame (beat 0..9 → linear 0..0.9).
    const reds = Array.from(
      { length: 10 },
      (_, i) => output.stdout[i * frameBytes + (8 * 16 + 8) * 3],
    );
    assertNear(reds.slice(0, 1), [0], 6);
    assertNear(reds.slice(9), expectedBytes([0.9, 0, 0, 1]).slice(0, 1), 8);
    for (let i = 1; i < 10; i++) {
      assert(reds[i] > reds[i - 1], `frame ${i}: ${reds}`);
    }
  } finally {
    Deno.removeSync(folder, { recursive: true });
  }
});

Deno.test("a record node with a new filename each frame writes each frame to its own file", async () => {
  const folder = Deno.makeTempDirSync();
  const fragment = `\${HEADER}
in vec2 coord;
out vec4 color;
uniform float beat;
void main() {
    color = vec4(beat / 4.0, 0.0, 0.0, 1.0);
}
`;
  const scene = new TestScene([
    {
      kind: "record",
      attrs: { filename: "frame0.png", size: [4, 4] },
      children: [{ kind: "shader", attrs: { fragment } }],
    },
    {
      kind: "record",
      attrs: { filename: "bad.gif", size: [4, 4] },
      children: [{ kind: "shader", attrs: { fragment } }],
    },
  ], folder);
  try {
    for (let i = 0; i < 4; i++) {
      scene.set([0], "filename", `frame${i}.png`);
      scene.render();
      assertEquals(scene.errors.length, 1);
      assert(String(scene.errors[0]).includes(".gif"), String(scene.errors[0]));
    }
  } finally {
    await scene.destroy();
  }
  try {
    for (let i = 0; i < 4; i++) {
      const image = png.read(
        Buffer.from(Deno.readFileSync(`${folder}/frame${i}.png`)),
      );
      assertNear(
        pixelAt(image.data, 4, 1, 1),
        expectedBytes([i / 4, 0, 0, 1]),
        1,
        `frame ${i}`,
      );
    }
    assertEquals([...Deno.readDirSync(folder)].length, 4);
  } finally {
    Deno.removeSync(folder, { recursive: true });
  }
});

Deno.test("a record node's limit= ends its video after that many seconds of the engine's frames", async () => {
  const folder = Deno.makeTempDirSync();
  // Red rises with time: the frame at t seconds shows linear red t / 2.
  const scene = `
[[nodes]]
kind = "!record"
filename = "limited.mp4"
size = [16, 16]
colorbits = 8
limit = 0.5

  [[nodes.children]]
  kind = "!shader"
  fill = "=(time / 2;0;0;1)"
  fragment = """${FILL_SHADER}"""
`;
  // 12 frames at 10 fps, each written (lockstep); the run completes the files.
  await Engine.fromText(scene, `${folder}/scene.toml`, {
    fps: 10,
    lockstep: true,
    runtime: 1.2,
    watch: false,
  }).run();
  try {
    const output = await new Deno.Command("ffmpeg", {
      args: [
        ...["-v", "error", "-i", `${folder}/limited.mp4`],
        ...["-f", "rawvideo", "-pix_fmt", "rgb24", "-"],
      ],
      stdout: "piped",
      stderr: "piped",
    }).output();
    assert(output.success, new TextDecoder().decode(output.stderr));
    const frameBytes = 16 * 16 * 3;
    assertEquals(output.stdout.length, 5 * frameBytes, "0.5 s at 10 fps");
    // The first five frames: time 0 to 0.4 s.
    const reds = Array.from(
      { length: 5 },
      (_, i) => output.stdout[i * frameBytes + (8 * 16 + 8) * 3],
    );
    for (let i = 1; i < 5; i++) {
      assert(reds[i] > reds[i - 1], `frame ${i}: ${reds}`);
    }
    assertNear(reds.slice(4), expectedBytes([0.2, 0, 0, 1]).slice(0, 1), 8);
  } finally {
    Deno.removeSync(folder, { recursive: true });
  }
});

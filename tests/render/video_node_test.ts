import { assert, assertEquals, assertThrows } from "../_assert.ts";
import { Engine } from "../../lib/engine/engine.ts";
import { Logger, type LogLevel, setLogLevel } from "../../lib/log/logger.ts";
import {
  type VideoNode,
  videoNodeOptions,
} from "../../lib/render/nodes/video.ts";
import {
  eventually,
  ffmpegProcessesWith,
  frameColor,
  identifyFrame,
  makeTestVideo,
} from "../_video.ts";

setLogLevel("error");

/** A logger that keeps what it is given. */
class RecordingLogger extends Logger {
  readonly records: { level: LogLevel; message: string }[] = [];
  constructor() {
    super("engine");
  }
  override log(level: LogLevel, message: string): void {
    this.records.push({ level, message });
  }
  get errors(): string[] {
    return this.records.filter((r) => r.level === "error").map((r) =>
      r.message
    );
  }
}

/** A value in a JSON scene. */
type Json = string | number | boolean | null | Json[] | { [key: string]: Json };
type Node = { kind: string; [key: string]: Json };

/** A scene (JSON text) of `!video` nodes (and others) side by side. */
function scene(nodes: Node[]): string {
  return JSON.stringify({ nodes });
}

function video(id: string, attrs: Record<string, Json> = {}): Node {
  return { kind: "!video", id, filename: "clip.mp4", ...attrs };
}

/** The frame the node `id` shows (by the colour of its top-left quarter), or `null` with no output. */
function shown(engine: Engine, id: string): number | null {
  const node = engine.node(id);
  if (node?.output === null || node?.output === undefined) return null;
  const image = engine.readImage(id);
  const x = Math.floor(image.width / 8), y = Math.floor(image.height / 8);
  const at = (y * image.width + x) * 4;
  const { frame, distance } = identifyFrame(image.data.subarray(at, at + 3));
  assert(distance < 24, `${id}: colour ${distance} off the palette`);
  return frame;
}

async function withVideo(
  options: { frames: number; fps: number },
  body: (folder: string) => Promise<void>,
): Promise<void> {
  const folder = await Deno.makeTempDir({ prefix: "video_node_test_" });
  try {
    await makeTestVideo(`${folder}/clip.mp4`, options);
    await body(folder);
    assertEquals(ffmpegProcessesWith(folder), [], "ffmpeg left running");
  } finally {
    await Deno.remove(folder, { recursive: true });
  }
}

const mod = (value: number, n: number) => ((value % n) + n) % n;

for (const frameLayout of ["i420", "rgba"] as const) {
  Deno.test(`in lockstep a video node shows exactly the frame due at every frame, and loops (${frameLayout} frames)`, async () => {
    await withVideo({ frames: 20, fps: 10 }, async (folder) => {
      // 25 engine frames a second against 10 video frames: 2.5 per frame.
      const engine = Engine.fromText(
        scene([video("v")]),
        `${folder}/scene.json`,
        { lockstep: true, fps: 25, nodeOptions: { video: { frameLayout } } },
      );
      try {
        const seen: number[] = [];
        const expected: number[] = [];
        for (let n = 0; n < 60; n++) {
          engine.renderFrame();
          seen.push(shown(engine, "v")!);
          expected.push(mod(Math.floor(n * 10 / 25 + 1e-9), 20));
        }
        assertEquals(seen, expected);
        assert(seen.includes(19) && seen.lastIndexOf(0) > 50, "it wrapped");
        assertEquals(
          (engine.node("v") as VideoNode).decoder?.info.layout,
          frameLayout,
        );
        // Upright, at the video's own size: the white quarter is bottom right.
        const image = engine.readImage("v");
        assertEquals([image.width, image.height], [64, 48]);
        const at = (44 * 64 + 60) * 4;
        assertEquals([...image.data.subarray(at, at + 3)], [255, 255, 255]);
        // The colours themselves, within a few steps.
        const color = [...image.data.subarray(8 * 4, 8 * 4 + 3)];
        const want = frameColor(seen[seen.length - 1]);
        assert(
          color.every((c, i) => Math.abs(c - want[i]) <= 6),
          `colour ${color}, expected ${want}`,
        );
      } finally {
        await engine.dispose();
      }
    });
  });
}

Deno.test("speed=, position=, trim=, loop=false and back_and_forth= move the frame shown", async () => {
  await withVideo({ frames: 20, fps: 10 }, async (folder) => {
    const nodes = [
      video("speed2", { speed: 2 }),
      video("half", { speed: 0.5 }),
      video("position", { position: 1.5 }),
      video("trim", { trim: [0.5, 0.5] }),
      video("clamp", { loop: false }),
      video("bounce", { back_and_forth: true }),
      video("reverse", { speed: -1, position: 0.5 }),
      video("jump", { position: "=1.2 if frame >= 10 else 0" }),
      video("faster", { speed: "=3 if frame >= 10 else 1" }),
      video("still", { speed: 0, position: "=time * 0.5" }),
    ];
    const bounce = (tag: number) => {
      const phase = mod(tag, 38);
      return phase < 20 ? phase : 38 - phase;
    };
    const expect: Record<string, (n: number) => number> = {
      speed2: (n) => mod(2 * n, 20),
      half: (n) => mod(Math.floor(n / 2), 20),
      position: (n) => mod(15 + n, 20),
      trim: (n) => 5 + mod(n, 10),
      clamp: (n) => Math.min(n, 19),
      bounce: (n) => bounce(n),
      reverse: (n) => mod(5 - n, 20),
      jump: (n) => mod(n >= 10 ? 12 + n : n, 20),
      faster: (n) => mod(n < 10 ? n : 10 + 3 * (n - 10), 20),
      still: (n) => mod(Math.floor(n / 2), 20),
    };
    // As many engine frames a second as video frames: tag n at frame n.
    const engine = Engine.fromText(scene(nodes), `${folder}/scene.json`, {
      lockstep: true,
      fps: 10,
    });
    try {
      const wrong: string[] = [];
      for (let n = 0; n < 45; n++) {
        engine.renderFrame();
        for (const [id, frameAt] of Object.entries(expect)) {
          const got = shown(engine, id);
          if (got !== frameAt(n)) {
            wrong.push(`${id} at ${n}: ${got}, not ${frameAt(n)}`);
          }
        }
      }
      assertEquals(wrong, []);
    } finally {
      await engine.dispose();
    }
  });
});

Deno.test("in real time a video node shows the frame due, at most one frame late, and loops", async () => {
  await withVideo({ frames: 20, fps: 10 }, async (folder) => {
    const engine = Engine.fromText(
      scene([video("v")]),
      `${folder}/scene.json`,
      {
        fps: 30,
      },
    );
    try {
      const start = performance.now();
      const time = () => (performance.now() - start) / 1000;
      // Until the decoder has caught up with the clock (it starts with
      // the node), frames may be older; from then on at most one late.
      let caughtUp = false;
      const late: string[] = [];
      let checked = 0;
      let wrapsChecked = 0;
      let previousDue = -1;
      while (wrapsChecked < 1 || checked < 30) {
        assert(
          time() < 60,
          `no wrap checked within a minute (${checked} frames)`,
        );
        const t = time();
        engine.renderFrame(t);
        const got = shown(engine, "v");
        const due = mod(Math.floor(t * 10 + 1e-9), 20);
        if (got === due) caughtUp = true;
        if (caughtUp) {
          checked++;
          if (due < previousDue) wrapsChecked++;
          if (got !== due && got !== mod(due - 1, 20)) {
            late.push(`${t.toFixed(3)} s: frame ${got}, due ${due}`);
          }
        }
        previousDue = due;
        await new Promise((resolve) => setTimeout(resolve, 10));
      }
      assertEquals(late, []);
    } finally {
      await engine.dispose();
    }
  });
});

Deno.test("a missing or corrupt video gives one error naming the scene, the place and the file, and the rest renders", async () => {
  await withVideo({ frames: 10, fps: 10 }, async (folder) => {
    await Deno.writeTextFile(`${folder}/corrupt.mp4`, "garbage\n".repeat(100));
    const fill = `\${HEADER}
out vec4 color;
void main() { color = vec4(0.0, 1.0, 0.0, 1.0); }
`;
    const text = scene([{
      kind: "!offscreen",
      id: "out",
      size: [32, 32],
      colorbits: 8,
      children: [
        { kind: "!shader", fragment: fill },
        video("missing", { filename: "missing.mp4" }),
        video("corrupt", { filename: "corrupt.mp4" }),
      ],
    }, video("good")]);
    for (const lockstep of [true, false]) {
      const log = new RecordingLogger();
      const engine = Engine.fromText(text, `${folder}/scene.json`, {
        lockstep,
        log,
      });
      try {
        const frame = () => engine.renderFrame(engine.frame.frame / 30);
        frame();
        await eventually(
          () => {
            frame();
            return log.errors.length >= 2 && shown(engine, "good") !== null;
          },
          `both errors reported and the good video shown (lockstep ${lockstep}): ${
            log.errors.join(" | ")
          }`,
        );
        for (let n = 0; n < 10; n++) frame();
        const errors = log.errors;
        assertEquals(errors.length, 2, errors.join("\n"));
        assert(
          errors.some((e) =>
            e.startsWith(
              `${folder}/scene.json: nodes[0].children[1] (!video): ${folder}/missing.mp4: no such file`,
            )
          ),
          errors.join("\n"),
        );
        assert(
          errors.some((e) =>
            e.startsWith(
              `${folder}/scene.json: nodes[0].children[2] (!video): ${folder}/corrupt.mp4: not a video file ffmpeg can read`,
            )
          ),
          errors.join("\n"),
        );
        assertEquals(engine.node("missing")?.output, null);
        const image = engine.readImage("out");
        assertEquals([...image.data.subarray(0, 4)], [0, 255, 0, 255]);
        assert(shown(engine, "good") !== null);
      } finally {
        await engine.dispose();
      }
    }
  });
});

Deno.test("a live edit to a bad filename keeps the last good frame and ends the decoder; fixing it plays again", async () => {
  await withVideo({ frames: 10, fps: 10 }, async (folder) => {
    const log = new RecordingLogger();
    const good = scene([video("v")]);
    const engine = Engine.fromText(good, `${folder}/scene.json`, {
      lockstep: true,
      fps: 10,
      log,
    });
    try {
      for (let n = 0; n < 4; n++) engine.renderFrame();
      assertEquals(shown(engine, "v"), 3);
      const node = engine.node("v") as VideoNode;
      const decoder = node.decoder!;
      assert(engine.replaceText(scene([video("v", { filename: "gone.mp4" })])));
      engine.renderFrame();
      assert(decoder.closed, "the old decoder is closed");
      await engine.settled(); // its processes have exited
      assertEquals(ffmpegProcessesWith(`${folder}/clip.mp4`), []);
      assertEquals(shown(engine, "v"), 3, "the last good frame stays");
      assertEquals(log.errors.length, 1);
      assert(log.errors[0].includes("gone.mp4: no such file"), log.errors[0]);
      assert(engine.replaceText(good));
      engine.renderFrame();
      assertEquals(shown(engine, "v"), 5);
      assert(engine.node("v") === node, "the same node throughout");
    } finally {
      await engine.dispose();
    }
  });
});

Deno.test("a reload that keeps a video node keeps its decoder", async () => {
  await withVideo({ frames: 10, fps: 10 }, async (folder) => {
    const fill = (green: number) => ({
      kind: "!shader",
      fragment: `\${HEADER}
out vec4 color;
void main() { color = vec4(0.0, ${green.toFixed(1)}, 0.0, 1.0); }
`,
    });
    const engine = Engine.fromText(
      scene([fill(1), video("v")]),
      `${folder}/scene.json`,
      { lockstep: true, fps: 10 },
    );
    try {
      for (let n = 0; n < 3; n++) engine.renderFrame();
      const node = engine.node("v") as VideoNode;
      const decoder = node.decoder!;
      const restarts = decoder.restarts;
      assert(engine.replaceText(scene([fill(0.5), video("v")])));
      for (let n = 0; n < 3; n++) engine.renderFrame();
      assert(engine.node("v") === node && node.decoder === decoder);
      assertEquals(decoder.restarts, restarts, "no seek");
      assertEquals(shown(engine, "v"), 5);
    } finally {
      await engine.dispose();
    }
  });
});

Deno.test("nodeOptions.video is checked: an unknown option or layout is a TypeError", () => {
  assertEquals(videoNodeOptions(undefined), {});
  assertEquals(videoNodeOptions({ frameLayout: "rgba" }), {
    frameLayout: "rgba",
  });
  assertThrows(
    () => videoNodeOptions({ layout: "rgba" }),
    TypeError,
    "nodeOptions.video.layout",
  );
  assertThrows(
    () => videoNodeOptions({ frameLayout: "nv12" }),
    TypeError,
    '"nv12"',
  );
});

Deno.test("a video node's decoder processes end when it goes away and at engine shutdown", async () => {
  await withVideo({ frames: 30, fps: 10 }, async (folder) => {
    const engine = Engine.fromText(
      scene([
        video("kept"),
        video("toggled", { filename: "other.mp4", if: "=frame < 3" }),
      ]),
      `${folder}/scene.json`,
      { lockstep: true, fps: 10 },
    );
    await Deno.copyFile(`${folder}/clip.mp4`, `${folder}/other.mp4`);
    try {
      engine.renderFrame();
      assertEquals(shown(engine, "toggled"), 0);
      for (let n = 0; n < 3; n++) engine.renderFrame();
      assertEquals(engine.node("toggled"), undefined);
      await engine.settled();
      assertEquals(ffmpegProcessesWith(`${folder}/other.mp4`), []);
    } finally {
      await engine.dispose();
    }
    assertEquals(ffmpegProcessesWith(folder), []);
  });
});

for (const frameLayout of ["i420", "rgba"] as const) {
  Deno.test(`size=, flip=, aspect= and interpolate= shape the picture (${frameLayout} frames)`, async () => {
    await withVideo({ frames: 10, fps: 10 }, async (folder) => {
      const engine = Engine.fromText(
        scene([
          video("flipped", { flip: ":vertical", speed: 0 }),
          video("fit", { size: [128, 48], aspect: ":fit", speed: 0 }),
          video("fill", { size: [32, 48], aspect: ":fill", speed: 0 }),
          video("mixed", { interpolate: true, speed: 0, position: 0.15 }),
          video("plain", { speed: 0, position: 0.15 }),
        ]),
        `${folder}/scene.json`,
        { lockstep: true, nodeOptions: { video: { frameLayout } } },
      );
      const pixel = (id: string, x: number, y: number) => {
        const image = engine.readImage(id);
        const at = (y * image.width + x) * 4;
        return [...image.data.subarray(at, at + 4)];
      };
      try {
        engine.renderFrame();
        // Flipped upside down: the white quarter is top right.
        assertEquals(pixel("flipped", 60, 4), [255, 255, 255, 255]);
        assertEquals(pixel("flipped", 60, 44), [0, 0, 0, 255]);
        // Fitted into 128x48: bars of 32 on each side.
        assertEquals(engine.readImage("fit").width, 128);
        assertEquals(pixel("fit", 10, 24)[3], 0);
        assertEquals(pixel("fit", 40, 10), [0, 0, 0, 255]);
        assertEquals(pixel("fit", 90, 40), [255, 255, 255, 255]);
        // Filling 32x48: the middle half, so white on the right below the middle.
        assertEquals(pixel("fill", 4, 40), [0, 0, 0, 255]);
        assertEquals(pixel("fill", 28, 40), [255, 255, 255, 255]);
        // Halfway between frame 1 (85, 0, 0) and frame 2 (170, 0, 0).
        assertEquals(shown(engine, "plain"), 1);
        const red = pixel("mixed", 8, 8)[0];
        assert(
          red > frameColor(1)[0] + 20 && red < frameColor(2)[0] - 20,
          `red ${red}`,
        );
      } finally {
        await engine.dispose();
      }
    });
  });
}

Deno.test("a BT.709 full-range file shows its colours through the GPU conversion", async () => {
  await withVideo({ frames: 10, fps: 10 }, async (folder) => {
    await makeTestVideo(`${folder}/hd.mp4`, {
      frames: 13,
      fps: 10,
      codecArgs: [
        ...["-vf", "scale=out_color_matrix=bt709:out_range=full"],
        ...["-c:v", "libx264", "-crf", "4", "-pix_fmt", "yuv420p"],
        ...["-colorspace", "bt709", "-color_range", "pc"],
      ],
    });
    const engine = Engine.fromText(
      scene([video("v", { filename: "hd.mp4", speed: 0, position: 1.2 })]),
      `${folder}/scene.json`,
      { lockstep: true, nodeOptions: { video: { frameLayout: "i420" } } },
    );
    try {
      engine.renderFrame();
      const info = (engine.node("v") as VideoNode).decoder!.info;
      assertEquals([info.matrix, info.fullRange, info.layout], [
        "bt709",
        true,
        "i420",
      ]);
      const image = engine.readImage("v");
      const color = [...image.data.subarray(8 * 4, 8 * 4 + 3)];
      const want = frameColor(12); // pure green: the matrices differ most
      assert(
        color.every((c, i) => Math.abs(c - want[i]) <= 6),
        `colour ${color}, expected ${want}`,
      );
    } finally {
      await engine.dispose();
    }
  });
});

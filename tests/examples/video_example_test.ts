// examples/video.toml: plays the file named by --define VIDEO_FILE, and
// without it shows its background alone; both run cleanly from the CLI.
import { assert, assertEquals } from "../_assert.ts";
import { join } from "node:path";
import { Engine } from "../../lib/engine/engine.ts";
import { setLogLevel } from "../../lib/log/logger.ts";
import { frameColor, makeTestVideo } from "../_video.ts";

setLogLevel("error");

const ROOT = new URL("../../", import.meta.url).pathname;
const EXAMPLE = join(ROOT, "examples/video.toml");

Deno.test("examples/video.toml plays the file given with --define VIDEO_FILE, fitted in its window", async () => {
  const folder = await Deno.makeTempDir({ prefix: "video_example_test_" });
  try {
    const clip = `${folder}/clip.mp4`;
    await makeTestVideo(clip, { frames: 10, fps: 10 });
    const engine = await Engine.open(EXAMPLE, {
      defines: { VIDEO_FILE: clip },
      lockstep: true,
      watch: false,
    });
    try {
      // 0.1 s: the second frame.
      for (let n = 0; n <= 6; n++) engine.renderFrame();
      const image = engine.readImage("main");
      assertEquals([image.width, image.height], [640, 360]);
      const pixel = (
        x: number,
        y: number,
      ) => [...image.data.subarray((y * 640 + x) * 4, (y * 640 + x) * 4 + 3)];
      // A 4:3 picture in 16:9: from x = 80 to 560, the background beside it.
      const inside = pixel(200, 90);
      const want = frameColor(1);
      assert(
        inside.every((c, i) => Math.abs(c - want[i]) <= 6),
        `${inside}, expected ${want}`,
      );
      assertEquals(pixel(500, 300), [255, 255, 255]);
      assert(pixel(40, 90)[2] > 20, "background beside the picture");
    } finally {
      await engine.dispose();
    }
    const bare = await Engine.open(EXAMPLE, { lockstep: true, watch: false });
    try {
      bare.renderFrame();
      assertEquals(bare.node("video"), undefined);
      assert(bare.readImage("main").data[(90 * 640 + 200) * 4 + 2] > 20);
    } finally {
      await bare.dispose();
    }
  } finally {
    await Deno.remove(folder, { recursive: true });
  }
});

Deno.test("examples/video.toml runs from the command line with and without a file, without warnings", async () => {
  const folder = await Deno.makeTempDir({ prefix: "video_example_test_" });
  try {
    const clip = `${folder}/clip.mp4`;
    await makeTestVideo(clip, { frames: 10, fps: 10 });
    for (const defines of [["--define", `VIDEO_FILE=${clip}`], []]) {
      const output = await new Deno.Command(Deno.execPath(), {
        args: [
          ...["run", "-A", join(ROOT, "cli.ts"), "run", EXAMPLE],
          ...["--lockstep", "--fps", "30", "--runtime", "1", ...defines],
        ],
        stdout: "piped",
        stderr: "piped",
      }).output();
      const text = new TextDecoder().decode(output.stdout) +
        new TextDecoder().decode(output.stderr);
      assertEquals(output.code, 0, text);
      assertEquals(
        text.split("\n").filter((line) => /\b(WARN|ERROR)\b/.test(line)),
        [],
      );
    }
  } finally {
    await Deno.remove(folder, { recursive: true });
  }
});

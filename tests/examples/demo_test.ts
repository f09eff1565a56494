// deno-test-isolated: the demo makes a real WebRTC call (in its own process, like a user's `npm run demo`)
// The demo as a user runs it: `cli.ts demo FOLDER` makes a call between two
// rigs on this machine and records both sides. The recording must show each
// side the OTHER rig's picture (so the call really carried video both ways)
// and green call-state strips. Run inside the loopback network namespace
// (scripts/in_loopback_netns.sh; `deno task test` does).
import assert from "node:assert/strict";
import { join } from "node:path";
import { readImageFile } from "../../lib/media/image_file.ts";
import { holdUdpPort } from "../_udp_port.ts";

const ROOT = new URL("../../", import.meta.url).pathname;

type Rgb = [number, number, number];

/** Mean colour of a rectangle of an RGBA image. */
function meanColour(
  image: { width: number; data: Uint8Array },
  x0: number,
  y0: number,
  x1: number,
  y1: number,
): Rgb {
  const sum: Rgb = [0, 0, 0];
  let n = 0;
  for (let y = y0; y < y1; y++) {
    for (let x = x0; x < x1; x++) {
      const at = (y * image.width + x) * 4;
      for (let c = 0; c < 3; c++) sum[c] += image.data[at + c];
      n++;
    }
  }
  return sum.map((value) => Math.round(value / n)) as Rgb;
}

const warm = ([r, _g, b]: Rgb) => r > b + 60 && r > 90;
const cool = ([r, g, b]: Rgb) => b > r + 60 && b > 90 && g > r;
const green = ([r, g, b]: Rgb) => g > r + 60 && g > b + 60;

Deno.test("the demo calls between two rigs and records each side showing the other's picture", async () => {
  const folder = await Deno.makeTempDir();
  await using held = await holdUdpPort();
  try {
    const run = await new Deno.Command(Deno.execPath(), {
      args: [
        "run",
        "-A",
        join(ROOT, "cli.ts"),
        "demo",
        folder,
        "--runtime",
        "6",
        "--port",
        String(held.port),
      ],
      stdout: "piped",
      stderr: "piped",
    }).output();
    const output = new TextDecoder().decode(run.stdout) +
      new TextDecoder().decode(run.stderr);
    assert.equal(run.code, 0, output);
    assert.match(output, /Demo call connected after [\d.]+ s/);

    const still = await readImageFile(join(folder, "demo.png"));
    assert.deepEqual([still.width, still.height], [1280, 360]);
    // Rig A (left) shows B's cool rings; rig B (right) shows A's warm
    // stripes; each with its own picture small in the top-right corner.
    // Rows are top first: the strip is at the bottom, the corner at the top.
    const left = meanColour(still, 40, 120, 440, 320);
    const right = meanColour(still, 680, 120, 1080, 320);
    assert.ok(cool(left), `rig A shows ${left}, expected B's cool picture`);
    assert.ok(warm(right), `rig B shows ${right}, expected A's warm picture`);
    const leftCorner = meanColour(still, 500, 10, 630, 80);
    const rightCorner = meanColour(still, 1140, 10, 1270, 80);
    assert.ok(warm(leftCorner), `A's own corner is ${leftCorner}`);
    assert.ok(cool(rightCorner), `B's own corner is ${rightCorner}`);
    const strips = [
      meanColour(still, 10, 352, 630, 358),
      meanColour(still, 650, 352, 1270, 358),
    ];
    assert.ok(strips.every(green), `call-state strips ${strips}`);

    const probe = await new Deno.Command("ffprobe", {
      args: [
        "-v",
        "error",
        "-count_frames",
        "-select_streams",
        "v:0",
        "-show_entries",
        "stream=width,height,nb_read_frames",
        "-of",
        "csv=p=0",
        join(folder, "demo.mp4"),
      ],
      stdout: "piped",
      stderr: "piped",
    }).output();
    assert.equal(probe.code, 0, new TextDecoder().decode(probe.stderr));
    const [width, height, frames] = new TextDecoder().decode(probe.stdout)
      .trim().split(",").map(Number);
    assert.deepEqual([width, height], [1280, 360]);
    assert.ok(frames > 0, `the video has ${frames} frames`);
  } finally {
    await Deno.remove(folder, { recursive: true });
  }
});

Deno.test("demo arguments: bad ones are refused with the usage", async () => {
  const run = await new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", join(ROOT, "cli.ts"), "demo", "--port", "70000"],
    stdout: "piped",
    stderr: "piped",
  }).output();
  assert.equal(run.code, 2);
  assert.match(new TextDecoder().decode(run.stderr), /--port must be a port/);
});

// deno-test-isolated: starts its own Wayland compositor (headless Weston) and a `cli.ts run` process on it
// A `!window` on Wayland without X: GLFW's Wayland build (libglfw3-wayland,
// unpacked into .cache/glfw-wayland/ by `scripts/setup.sh --test`, as the
// package conflicts with libglfw3) under a headless Weston with a 2x
// (HiDPI) output; the compositor's own screenshot (weston-screenshooter)
// shows the scene filling the window's framebuffer, twice its size.
import assert from "node:assert/strict";
import { join } from "node:path";
import { readImageFileSync } from "../../lib/media/image_file.ts";
import { waitFor } from "./_x11.ts";

const ROOT = new URL("../../", import.meta.url).pathname;
const GLFW_WAYLAND = join(ROOT, ".cache/glfw-wayland/libglfw.so.3");

/** Pixels of `rgba` within 8 of `colour` per channel. */
function countNear(
  rgba: Uint8Array,
  colour: readonly number[],
): number {
  let count = 0;
  for (let i = 0; i < rgba.length; i += 4) {
    if (
      Math.abs(rgba[i] - colour[0]) <= 8 &&
      Math.abs(rgba[i + 1] - colour[1]) <= 8 &&
      Math.abs(rgba[i + 2] - colour[2]) <= 8
    ) count++;
  }
  return count;
}

Deno.test("on Wayland (headless Weston, GLFW's Wayland build, a 2x screen) a !window shows its scene across its HiDPI framebuffer", async () => {
  await Deno.stat(GLFW_WAYLAND).catch(() => {
    throw new Error(
      `${GLFW_WAYLAND} is missing: run scripts/setup.sh --test (it unpacks libglfw3-wayland there)`,
    );
  });
  const runtime = await Deno.makeTempDir({ prefix: "flitter_wayland_" });
  await Deno.chmod(runtime, 0o700);
  const env = { XDG_RUNTIME_DIR: runtime, WAYLAND_DISPLAY: "wayland-test" };
  const weston = new Deno.Command("weston", {
    args: [
      "--backend=headless-backend.so",
      "--use-pixman",
      "--socket=wayland-test",
      "--idle-time=0",
      "--debug", // enables the screenshooter protocol
      "--width=800",
      "--height=600",
      "--scale=2", // a HiDPI screen: windows get framebuffers twice their size
    ],
    env,
    stdin: "null",
    stdout: "null",
    stderr: "null",
  }).spawn();
  let scene: Deno.ChildProcess | null = null;
  let output = "";
  try {
    await waitFor(
      () => "Weston's socket",
      () =>
        Deno.stat(join(runtime, "wayland-test")).then(() => true, () => false),
    );
    const file = join(runtime, "magenta.toml");
    await Deno.writeTextFile(
      file,
      `
[[nodes]]
kind = "!window"
size = [320, 240]
  [[nodes.children]]
  kind = "!shader"
  fragment = "\${HEADER}\\nout vec4 color;\\nvoid main() { color = vec4(1.0, 0.0, 1.0, 1.0); }"
`,
    );
    const vars = Deno.env.toObject();
    delete vars.DISPLAY;
    scene = new Deno.Command(Deno.execPath(), {
      args: ["run", "-A", join(ROOT, "cli.ts"), "run", file, "--fps", "20"],
      env: {
        ...vars,
        ...env,
        FLITTER_GLFW_LIBRARY: GLFW_WAYLAND,
        NO_COLOR: "1",
      },
      clearEnv: true,
      stdin: "null",
      stdout: "piped",
      stderr: "piped",
    }).spawn();
    const child = scene;
    const pump = async (stream: ReadableStream<Uint8Array>) => {
      for await (const text of stream.pipeThrough(new TextDecoderStream())) {
        output += text;
      }
    };
    const pumps = Promise.all([pump(child.stdout), pump(child.stderr)]);
    // 320x240 in screen units: 640x480 pixels on the 2x screen.
    const expected = 640 * 480;
    let seen = 0;
    await waitFor(
      () =>
        `a 640x480-pixel magenta window on the screenshot (${seen} pixels)\n${output}`,
      async () => {
        for await (const entry of Deno.readDir(runtime)) {
          if (entry.name.endsWith(".png")) {
            await Deno.remove(join(runtime, entry.name));
          }
        }
        const shot = await new Deno.Command("weston-screenshooter", {
          cwd: runtime,
          env,
          stdout: "null",
          stderr: "null",
          signal: AbortSignal.timeout(5000),
        }).output();
        if (!shot.success) return false;
        for await (const entry of Deno.readDir(runtime)) {
          if (!entry.name.endsWith(".png")) continue;
          const image = readImageFileSync(join(runtime, entry.name));
          seen = countNear(image.data, [255, 0, 255]);
          return seen >= expected * 0.98 && seen <= expected * 1.02;
        }
        return false;
      },
      () => {
        if (/\b(WARN|ERROR)\b/.test(output)) throw new Error(output);
      },
      20_000,
    );
    assert.match(output, /Running .* on /);
    child.kill("SIGTERM");
    const status = await child.status;
    await pumps;
    scene = null;
    assert.equal(status.code, 0, output);
    assert.doesNotMatch(output, /\b(WARN|ERROR)\b/);
  } finally {
    if (scene !== null) {
      try {
        scene.kill("SIGKILL");
      } catch { /* gone */ }
      await scene.status;
    }
    try {
      weston.kill("SIGTERM");
    } catch { /* gone */ }
    await weston.status;
    await Deno.remove(runtime, { recursive: true }).catch(() => {});
  }
});

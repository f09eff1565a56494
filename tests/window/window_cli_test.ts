// deno-test-isolated: runs `cli.ts run` processes against its own Xvfb servers (and kills one)
// The command line with on-screen windows, under real X servers (Xvfb):
// closing a window (the window manager's WM_DELETE_WINDOW), or Ctrl-C, ends the run
// with the recording complete; so does an X server that goes away; a
// window destroyed by another client ends it too; no display, or
// --offscreen, renders offscreen with one info line; bad `screen=` and
// `!key name=` give one warning each, naming file and place.
import assert from "node:assert/strict";
import { join } from "node:path";
import { colourAt, near, waitFor, Xvfb } from "./_x11.ts";

const ROOT = new URL("../../", import.meta.url).pathname;
const CLI = join(ROOT, "cli.ts");

/** One `cli.ts run` process and its output. */
class Run {
  readonly #child: Deno.ChildProcess;
  output = "";
  readonly exited: Promise<Deno.CommandStatus>;
  #done = false;

  constructor(args: string[], env: Record<string, string | undefined>) {
    const clear = Object.entries(env).filter(([, v]) => v === undefined)
      .map(([name]) => name);
    const vars: Record<string, string> = { NO_COLOR: "1" };
    for (const [name, value] of Object.entries(Deno.env.toObject())) {
      if (!clear.includes(name)) vars[name] = value;
    }
    for (const [name, value] of Object.entries(env)) {
      if (value !== undefined) vars[name] = value;
    }
    this.#child = new Deno.Command(Deno.execPath(), {
      args: ["run", "-A", CLI, "run", ...args],
      cwd: ROOT,
      env: vars,
      clearEnv: true,
      stdin: "null",
      stdout: "piped",
      stderr: "piped",
    }).spawn();
    const pump = async (stream: ReadableStream<Uint8Array>) => {
      for await (const text of stream.pipeThrough(new TextDecoderStream())) {
        this.output += text;
      }
    };
    const pumps = Promise.all([
      pump(this.#child.stdout),
      pump(this.#child.stderr),
    ]);
    this.exited = this.#child.status.then(async (status) => {
      await pumps;
      this.#done = true;
      return status;
    });
  }

  /** Sends `signal` unless it ended. */
  signal(signal: Deno.Signal): void {
    if (this.#done) return;
    try {
      this.#child.kill(signal);
    } catch { /* gone */ }
  }

  /** SIGKILL unless it ended. */
  async kill(): Promise<void> {
    if (!this.#done) {
      try {
        this.#child.kill("SIGKILL");
      } catch { /* gone */ }
    }
    await this.exited;
  }

  /** Waits for the exit, at most `ms`; fails with the output otherwise. */
  async exit(ms = 15_000): Promise<Deno.CommandStatus> {
    let timer: ReturnType<typeof setTimeout> | undefined;
    const timeout = new Promise<null>((resolve) => {
      timer = setTimeout(() => resolve(null), ms);
    });
    const status = await Promise.race([this.exited, timeout]);
    clearTimeout(timer);
    if (status === null) {
      await this.kill();
      throw new Error(`The run did not end within ${ms} ms:\n${this.output}`);
    }
    return status;
  }

  lines(level: "WARN" | "ERROR" | "INFO"): string[] {
    return this.output.split("\n").filter((line) =>
      new RegExp(`\\b${level}\\b`).test(line)
    );
  }
}

/** A window with a solid orange picture, recorded to `video`. */
function recordedScene(video: string, extra = ""): string {
  return `
[[nodes]]
kind = "!window"
size = [160, 120]
title = "recorded"
${extra}
  [[nodes.children]]
  kind = "!record"
  filename = ${JSON.stringify(video)}

    [[nodes.children.children]]
    kind = "!shader"
    fragment = "\${HEADER}\\nout vec4 color;\\nvoid main() { color = vec4(1.0, 0.5, 0.0, 1.0); }"
`;
}

/** Frames in `video` (ffprobe decodes it all: an unfinished file fails). */
async function frameCount(video: string): Promise<number> {
  const output = await new Deno.Command("ffprobe", {
    args: [
      "-v",
      "error",
      "-count_frames",
      "-select_streams",
      "v:0",
      "-show_entries",
      "stream=nb_read_frames",
      "-of",
      "csv=p=0",
      video,
    ],
    stdout: "piped",
    stderr: "piped",
  }).output();
  const text = new TextDecoder().decode(output.stdout).trim();
  assert.equal(
    output.code,
    0,
    `ffprobe ${video}: ${new TextDecoder().decode(output.stderr)}`,
  );
  return Number(text);
}

async function withFolder(
  body: (folder: string) => Promise<void>,
): Promise<void> {
  const folder = await Deno.makeTempDir({ prefix: "flitter_window_" });
  try {
    await body(folder);
  } finally {
    await Deno.remove(folder, { recursive: true }).catch(() => {});
  }
}

/** Waits until exactly one window called `title` shows orange; returns its ID. */
async function waitForOrange(
  xvfb: Xvfb,
  run: Run,
  title: string,
): Promise<string> {
  return await waitFor(
    () => `an orange window "${title}"\n${run.output}`,
    async () => {
      const [id] = await xvfb.find(`^${title}$`);
      if (id === undefined) return null;
      const geometry = await xvfb.geometry(id);
      const shot = await xvfb.screenshot();
      const centre = colourAt(
        shot,
        geometry.x + geometry.width / 2,
        geometry.y + geometry.height / 2,
      );
      // Linear 0.5 green is sRGB 188.
      return near(centre, [255, 188, 0]) && id;
    },
    () => {
      if (/\bERROR\b/.test(run.output)) throw new Error(run.output);
    },
    20_000,
  );
}

Deno.test("closing the window ends the run with the recording complete; screen= beyond the monitors and an unknown !key name warn once each, naming file and place", async () => {
  await withFolder(async (folder) => {
    const xvfb = await Xvfb.start(640, 480);
    const scene = join(folder, "closing.toml");
    const video = join(folder, "closing.mp4");
    await Deno.writeTextFile(
      scene,
      recordedScene(video, "screen = 3") + `
  [[nodes.children]]
  kind = "!key"
  state = ":k"
  name = "spase"
`,
    );
    const run = new Run([scene, "--fps", "20"], xvfb.env);
    try {
      // The window opens all the same, on the primary screen.
      const id = await waitForOrange(xvfb, run, "recorded");
      await new Promise((resolve) => setTimeout(resolve, 500));
      await xvfb.close(id);
      const status = await run.exit();
      assert.equal(status.code, 0, run.output);
      assert.match(run.output, /The window "recorded" was closed: ending/);
      const warnings = run.lines("WARN");
      assert.equal(warnings.length, 2, run.output);
      assert.match(
        warnings.find((line) => line.includes("screen")) ?? "",
        /closing\.toml: nodes\[0\]\.screen: there is no screen 3 .*using the primary screen/,
      );
      assert.match(
        warnings.find((line) => line.includes("spase")) ?? "",
        /closing\.toml: nodes\[0\]\.children\[1\]\.name: unknown key "spase".*did you mean "space"\?/,
      );
      assert.deepEqual(run.lines("ERROR"), []);
      assert.ok(await frameCount(video) >= 5, "frames recorded");
      assert.deepEqual(await xvfb.find("^recorded$"), []);
    } finally {
      await run.kill();
      await xvfb.stop();
    }
  });
});

Deno.test("Ctrl-C ends a run with a window cleanly: window closed, recording complete", async () => {
  await withFolder(async (folder) => {
    const xvfb = await Xvfb.start(640, 480);
    const scene = join(folder, "interrupted.toml");
    const video = join(folder, "interrupted.mp4");
    await Deno.writeTextFile(scene, recordedScene(video));
    const run = new Run([scene, "--fps", "20"], xvfb.env);
    try {
      await waitForOrange(xvfb, run, "recorded");
      run.signal("SIGINT");
      const status = await run.exit();
      assert.equal(status.code, 0, run.output);
      assert.deepEqual(run.lines("WARN"), []);
      assert.deepEqual(run.lines("ERROR"), []);
      assert.ok(await frameCount(video) >= 1, "frames recorded");
      assert.deepEqual(await xvfb.find("^recorded$"), []);
    } finally {
      await run.kill();
      await xvfb.stop();
    }
  });
});

Deno.test("an X server that goes away ends the run cleanly, with the recording complete", async () => {
  await withFolder(async (folder) => {
    const xvfb = await Xvfb.start(640, 480);
    const scene = join(folder, "lost.toml");
    const video = join(folder, "lost.mp4");
    await Deno.writeTextFile(scene, recordedScene(video));
    const run = new Run([scene, "--fps", "20"], xvfb.env);
    try {
      await waitForOrange(xvfb, run, "recorded");
      await new Promise((resolve) => setTimeout(resolve, 500));
      await xvfb.stop("SIGKILL");
      const status = await run.exit();
      assert.equal(status.code, 0, run.output);
      assert.match(
        run.output,
        /WARN .*connection to the X server was lost: ending the run/,
      );
      assert.deepEqual(run.lines("ERROR"), []);
      assert.ok(await frameCount(video) >= 5, "frames recorded");
    } finally {
      await run.kill();
      await xvfb.stop();
    }
  });
});

Deno.test("a window destroyed by another client ends the run cleanly", async () => {
  await withFolder(async (folder) => {
    const xvfb = await Xvfb.start(640, 480);
    const scene = join(folder, "destroyed.toml");
    const video = join(folder, "destroyed.mp4");
    await Deno.writeTextFile(scene, recordedScene(video));
    const run = new Run([scene, "--fps", "20"], xvfb.env);
    try {
      const id = await waitForOrange(xvfb, run, "recorded");
      // Debian's xdotool destroys the window (XDestroyWindow).
      await xvfb.xdotool("windowclose", id);
      const status = await run.exit();
      assert.equal(status.code, 0, run.output);
      assert.match(run.output, /The window "recorded" was closed: ending/);
      assert.deepEqual(run.lines("ERROR"), []);
      assert.ok(await frameCount(video) >= 1, "frames recorded");
    } finally {
      await run.kill();
      await xvfb.stop();
    }
  });
});

Deno.test("no display, or --offscreen: the window renders offscreen, with one info line saying why", async () => {
  await withFolder(async (folder) => {
    const scene = join(folder, "headless.toml");
    const video = join(folder, "headless.mp4");
    await Deno.writeTextFile(scene, recordedScene(video));
    const headless = new Run(
      [scene, "--fps", "20", "--runtime", "0.5"],
      { DISPLAY: undefined, WAYLAND_DISPLAY: undefined },
    );
    const status = await headless.exit();
    assert.equal(status.code, 0, headless.output);
    const notes = headless.lines("INFO").filter((line) =>
      line.includes("offscreen")
    );
    assert.equal(notes.length, 1, headless.output);
    assert.match(
      notes[0],
      /!window renders offscreen: no display \(neither DISPLAY nor WAYLAND_DISPLAY is set\)/,
    );
    assert.deepEqual(headless.lines("WARN"), []);
    assert.ok(await frameCount(video) >= 1, "frames recorded");

    const xvfb = await Xvfb.start(320, 240);
    const offscreen = new Run(
      [scene, "--fps", "20", "--runtime", "0.5", "--offscreen"],
      xvfb.env,
    );
    try {
      const seen = new Set<string>();
      let ended = false;
      offscreen.exited.then(() => ended = true);
      while (!ended) {
        for (const id of await xvfb.find("^recorded$")) seen.add(id);
        await new Promise((resolve) => setTimeout(resolve, 50));
      }
      assert.deepEqual([...seen], [], "no window opened");
      assert.match(offscreen.output, /!window renders offscreen: --offscreen/);
      assert.equal((await offscreen.exited).code, 0);
    } finally {
      await offscreen.kill();
      await xvfb.stop();
    }
  });
});

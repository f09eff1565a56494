/**
 * SIGTERM and Ctrl-C reach the engine through the commands the README gives:
 * `node_modules/.bin/deno task serve …` and `node_modules/.bin/deno task run
 * SCENE …` run as real processes, are signalled, and must exit with nothing
 * left behind: the server's port free again, a recording a complete video.
 *
 * Two ways a process is signalled: SIGTERM to the process started (as `kill
 * PID` or a supervisor does), and SIGINT to its whole process group (as
 * Ctrl-C in a terminal does; the command runs in a session of its own, made
 * with util-linux `setsid`).
 *
 * @module
 */

import { assert, assertEquals } from "../_assert.ts";

const ROOT = new URL("../../", import.meta.url).pathname;
/** The launcher the README's commands use. */
const LAUNCHER = `${ROOT}node_modules/.bin/deno`;

type Delivery = "SIGTERM to the process" | "SIGINT to the group (Ctrl-C)";

/** A documented command running as a real process. */
class Documented {
  readonly child: Deno.ChildProcess;
  #text = "";
  #pumps: Promise<unknown>;
  #changed: () => void = () => {};
  #tree: number[] = [];
  #signalled: string[] = [];

  constructor(args: string[], ownGroup: boolean) {
    const command = ownGroup ? "setsid" : LAUNCHER;
    this.child = new Deno.Command(command, {
      args: ownGroup ? [LAUNCHER, ...args] : args,
      cwd: ROOT,
      stdin: "null",
      stdout: "piped",
      stderr: "piped",
    }).spawn();
    const decoder = new TextDecoder();
    const pump = async (stream: ReadableStream<Uint8Array>) => {
      for await (const chunk of stream) {
        this.#text += decoder.decode(chunk, { stream: true });
        this.#changed();
      }
    };
    this.#pumps = Promise.all([
      pump(this.child.stdout),
      pump(this.child.stderr),
    ]);
  }

  get output(): string {
    return this.#text;
  }

  /** The command's processes just before the signal, described (for failure messages). */
  get signalled(): string[] {
    return this.#signalled;
  }

  /** Resolves with the first match of `pattern` in the output; fails if the process ends first. */
  async waitFor(pattern: RegExp): Promise<RegExpMatchArray> {
    let ended = false;
    this.child.status.then(() => {
      ended = true;
      this.#changed();
    });
    while (true) {
      const found = this.#text.match(pattern);
      if (found) return found;
      if (ended) {
        throw new Error(`Exited before printing ${pattern}:\n${this.#text}`);
      }
      await new Promise<void>((resolve) => this.#changed = resolve);
    }
  }

  /**
   * Delivers the signal as `delivery` says and waits for the exit; asserts
   * that no process of the command (as they were just before the signal) is
   * left running. Returns the exit status and the whole output.
   */
  async signalAndWait(
    delivery: Delivery,
  ): Promise<{ code: number; output: string }> {
    this.#tree = processTree(this.child.pid);
    this.#signalled = this.#tree.map(describe);
    if (delivery === "SIGTERM to the process") {
      this.child.kill("SIGTERM");
    } else {
      // setsid made the started process the leader of a new process group.
      Deno.kill(-this.child.pid, "SIGINT");
    }
    const { code } = await this.child.status;
    const left = this.#tree.filter(isAlive).map(describe);
    assertEquals(left, [], "processes were left running after the exit");
    // Every writer of the output has gone: it ends now.
    await this.#pumps;
    return { code, output: this.#text };
  }

  /** Ends whatever is left of the command (after a failure) and its output. */
  async cleanUp(): Promise<void> {
    const tree = [...new Set([...this.#tree, ...processTree(this.child.pid)])];
    for (const pid of tree.filter(isAlive)) {
      try {
        Deno.kill(pid, "SIGKILL");
      } catch {
        // Gone meanwhile.
      }
    }
    await this.child.status;
    await this.#pumps;
  }
}

/** Parent of each process, from /proc. */
function parents(): Map<number, number> {
  const map = new Map<number, number>();
  for (const entry of Deno.readDirSync("/proc")) {
    if (!/^\d+$/.test(entry.name)) continue;
    try {
      const stat = Deno.readTextFileSync(`/proc/${entry.name}/stat`);
      // pid (comm) state ppid …; comm may hold spaces and parentheses.
      const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
      map.set(Number(entry.name), Number(fields[1]));
    } catch {
      // The process ended meanwhile.
    }
  }
  return map;
}

/** The process `pid` and all processes below it. */
function processTree(pid: number): number[] {
  const map = parents();
  const tree = [pid];
  for (let i = 0; i < tree.length; i++) {
    for (const [child, parent] of map) {
      if (parent === tree[i]) tree.push(child);
    }
  }
  return tree;
}

/** Whether `pid` is a live process (a zombie, already ended, is not). */
function isAlive(pid: number): boolean {
  try {
    const stat = Deno.readTextFileSync(`/proc/${pid}/stat`);
    return stat.slice(stat.lastIndexOf(")") + 2, stat.lastIndexOf(")") + 3) !==
      "Z";
  } catch {
    return false;
  }
}

function describe(pid: number): string {
  try {
    return `${pid} ${
      Deno.readTextFileSync(`/proc/${pid}/cmdline`).replaceAll("\0", " ")
    }`;
  } catch {
    return `${pid}`;
  }
}

/** Fails clearly when the launcher is npm's Node wrapper (see scripts/setup.sh). */
function assertNativeLauncher(): void {
  const head = new Uint8Array(2);
  const file = Deno.openSync(LAUNCHER);
  try {
    file.readSync(head);
  } finally {
    file.close();
  }
  assert(
    new TextDecoder().decode(head) !== "#!",
    `${LAUNCHER} is a script (npm's Node wrapper), which does not pass ` +
      "signals on: run scripts/setup.sh, which links it to the native binary",
  );
}

function portIsFree(port: number): boolean {
  try {
    Deno.listen({ hostname: "127.0.0.1", port }).close();
    return true;
  } catch (error) {
    if (error instanceof Deno.errors.AddrInUse) return false;
    throw error;
  }
}

/**
 * The program exits 0. After Ctrl-C, `deno task` itself, interrupted too,
 * may report 130 (128 + SIGINT) as shells do, whatever its child's status.
 */
function assertCleanExit(delivery: Delivery, code: number, output: string) {
  const allowed = delivery === "SIGTERM to the process" ? [0] : [0, 130];
  assert(allowed.includes(code), `exit status ${code}:\n${output}`);
}

const DELIVERIES: Delivery[] = [
  "SIGTERM to the process",
  "SIGINT to the group (Ctrl-C)",
];

for (const delivery of DELIVERIES) {
  Deno.test(`deno task serve: ${delivery} stops the server and frees its port`, async () => {
    assertNativeLauncher();
    const server = new Documented(
      ["task", "serve", "--host=127.0.0.1", "--port=0"],
      delivery !== "SIGTERM to the process",
    );
    try {
      const [, port] = await server.waitFor(
        /listening on ws:\/\/127\.0\.0\.1:(\d+)\//,
      );
      assert(!portIsFree(Number(port)), "the server does not hold its port");
      const { code, output } = await server.signalAndWait(delivery);
      assertCleanExit(delivery, code, output);
      assert(
        output.includes("Signalling server stopped"),
        `no clean stop (exit status ${code}; processes signalled: ${
          server.signalled.join("; ")
        }):\n${output}`,
      );
      assert(portIsFree(Number(port)), `port ${port} is still taken`);
    } finally {
      await server.cleanUp();
    }
  });
}

// Noise, so that encoded frames are large and the file grows at once
// (ffmpeg writes its output in 32 KiB blocks).
const SCENE = `
[[nodes]]
kind = "!window"
id = "main"
size = [256, 256]
colorbits = 8

  [[nodes.children]]
  kind = "!shader"
  fragment = """
\${HEADER}
in vec2 coord;
out vec4 color;
uniform float time;
float noise(vec2 p) { return fract(sin(dot(p, vec2(12.9898, 78.233))) * 43758.5453); }
void main() {
    vec2 p = coord * 256.0 + time * 7.0;
    color = vec4(noise(p), noise(p + 1.0), noise(p + 2.0), 1.0);
}
"""

[[nodes]]
kind = "!record"
filename = "=VIDEO"
size = [256, 256]

  [[nodes.children]]
  kind = "!reference"
  id = "main"
`;

/** Top-level MP4 box types of `bytes`, in order. */
function topLevelBoxes(bytes: Uint8Array): string[] {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const boxes: string[] = [];
  let offset = 0;
  while (offset + 8 <= bytes.length) {
    let size = view.getUint32(offset);
    const type = new TextDecoder().decode(
      bytes.subarray(offset + 4, offset + 8),
    );
    if (size === 1) size = Number(view.getBigUint64(offset + 8));
    else if (size === 0) size = bytes.length - offset;
    boxes.push(type);
    if (size < 8) break;
    offset += size;
  }
  return boxes;
}

async function probe(
  path: string,
): Promise<{ frames: number; duration: number }> {
  const result = await new Deno.Command("ffprobe", {
    args: [
      ...["-v", "error", "-count_frames", "-select_streams", "v:0"],
      ...["-show_entries", "stream=nb_read_frames:format=duration"],
      ...["-of", "json", path],
    ],
    stdout: "piped",
    stderr: "piped",
  }).output();
  const text = new TextDecoder().decode(result.stdout);
  assert(result.success, new TextDecoder().decode(result.stderr));
  const info = JSON.parse(text);
  return {
    frames: Number(info.streams?.[0]?.nb_read_frames ?? 0),
    duration: Number(info.format?.duration ?? 0),
  };
}

for (const delivery of DELIVERIES) {
  Deno.test(`deno task run: ${delivery} completes the scene's .mp4 recording`, async () => {
    assertNativeLauncher();
    const dir = await Deno.makeTempDir({ prefix: "flitter_signals_" });
    try {
      const scene = `${dir}/scene.toml`;
      const video = `${dir}/clip.mp4`;
      await Deno.writeTextFile(scene, SCENE);
      const run = new Documented(
        ["task", "run", scene, "--fps", "30", "--define", `VIDEO=${video}`],
        delivery !== "SIGTERM to the process",
      );
      let output = "";
      try {
        await run.waitFor(/Running .*scene\.toml/);
        // Encoded frames are arriving: the file grows past the header
        // ffmpeg writes first (ftyp, free and the start of mdat: 48 bytes).
        await waitForGrowth(video, 48, run);
        const result = await run.signalAndWait(delivery);
        output = result.output;
        assertCleanExit(delivery, result.code, output);
      } finally {
        await run.cleanUp();
      }
      const boxes = topLevelBoxes(await Deno.readFile(video));
      assert(boxes.includes("moov"), `no moov box (boxes: ${boxes})`);
      const { frames, duration } = await probe(video);
      assert(frames > 0, `no frames in the video:\n${output}`);
      assert(duration > 0, `no duration:\n${output}`);
    } finally {
      await Deno.remove(dir, { recursive: true });
    }
  });
}

/** Waits until `path` is larger than `bytes`, polling its size while `command` runs. */
async function waitForGrowth(
  path: string,
  bytes: number,
  command: Documented,
): Promise<void> {
  let ended = false;
  command.child.status.then(() => ended = true);
  while (true) {
    try {
      if ((await Deno.stat(path)).size > bytes) return;
    } catch (error) {
      if (!(error instanceof Deno.errors.NotFound)) throw error;
    }
    if (ended) {
      throw new Error(`Exited before ${path} grew:\n${command.output}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

/**
 * End-to-end helpers: run scenes as real `cli.ts run` processes and watch
 * them from outside through the files their scenes write.
 *
 * A test writes a scene (JSON, built with {@linkcode callScene}) into a
 * temporary folder and starts it with {@linkcode Endpoint.start}. The scene
 * records two PNG files that the test polls (the `!record` node rewrites an
 * image file at most once per `IMAGE_REWRITE_MS`, 1 s, atomically):
 *
 * - `OUT`: the `!webrtc` node's output (the peer's picture while a call is
 *   up, else the node's own children);
 * - `STATE`: a small square whose colour says the node's connection state
 *   (green `:connected`, yellow another state, red none): see
 *   {@linkcode readState}. Leaving `:connected` is visible, unlike a probe
 *   that only exists while connected (its file would keep its last frame).
 *
 * Run inside `scripts/in_loopback_netns.sh` (`deno task test` does).
 *
 * @module
 */

import { join } from "node:path";
import { readImageFileSync } from "../../lib/media/image_file.ts";
import { LoggedProcess } from "./_logged_process.ts";

/** The repository root. */
export const ROOT = new URL("../../", import.meta.url).pathname;
/** The command-line entry point. */
export const CLI = join(ROOT, "cli.ts");

/** An RGB colour, 0–255 per channel (8-bit sRGB, as in PNG files). */
export type Rgb = [number, number, number];

/** How far (per channel, 0–255) a received solid colour may be from the sent one (VP8, I420). */
export const TOLERANCE = 40;

/** Colours of the state probe, and what they mean. */
const STATE_COLOURS: ReadonlyArray<[ProbeState, Rgb]> = [
  ["connected", [0, 255, 0]],
  ["other", [255, 255, 0]],
  ["none", [255, 0, 0]],
];

/** What the state probe shows: `:connected`, any other state, or no connection. */
export type ProbeState = "connected" | "other" | "none";

/** How long a test waits for a call to come up and pictures to arrive, in ms. */
export const CONNECT_TIMEOUT_MS = 20_000;

// ---------------------------------------------------------------- scenes

/** A JSON scene node. */
export type SceneNodeJson = { kind: string; [attribute: string]: unknown };

/** A `!shader` filling its area with one colour (0–255 per channel; 0 and 255 survive sRGB exactly). */
export function solidShader(colour: Rgb): SceneNodeJson {
  return {
    kind: "!shader",
    fill: colour.map((channel) => channel / 255),
    fragment: "${HEADER}\nout vec4 color;\nuniform vec3 fill;\n" +
      "void main() { color = vec4(fill, 1.0); }\n",
  };
}

/**
 * The two recorders described in the module documentation: `OUT` (a
 * `!reference` to `webrtcId`, at `size`) and `STATE` (from the state key
 * `stateKey`). Both filenames come from defines, so a restarted process can
 * write new files.
 */
export function probeNodes(
  webrtcId: string,
  size: [number, number],
  stateKey = "webrtc",
): SceneNodeJson[] {
  const state = `$:${stateKey}`;
  return [
    {
      kind: "!record",
      filename: "=OUT",
      size,
      children: [{ kind: "!reference", id: webrtcId }],
    },
    {
      kind: "!record",
      filename: "=STATE",
      size: [8, 8],
      children: [{
        ...solidShader([0, 0, 0]),
        fill: `=(0;1;0) if ${state} == :connected else ` +
          `((1;1;0) if ${state} else (1;0;0))`,
      }],
    },
  ];
}

/** Options of {@linkcode callScene}. */
export interface CallSceneOptions {
  /** The colour this endpoint sends. */
  colour: Rgb;
  /** The signalling node(s) inside `!webrtc` (the first one counts). */
  signalling: SceneNodeJson | SceneNodeJson[];
  /** Picture size (default 160x120). */
  size?: [number, number];
}

/**
 * A scene with one `!webrtc` (id `call`, state key `:webrtc`) sending a
 * solid colour, and the `OUT`/`STATE` probes; as JSON text.
 */
export function callScene(options: CallSceneOptions): string {
  const size = options.size ?? [160, 120];
  const signalling = Array.isArray(options.signalling)
    ? options.signalling
    : [options.signalling];
  return JSON.stringify(
    {
      nodes: [
        {
          kind: "!webrtc",
          id: "call",
          size,
          state: ":webrtc",
          children: [...signalling, solidShader(options.colour)],
        },
        ...probeNodes("call", size),
      ],
    },
    null,
    2,
  );
}

/** Where offers go on loopback (the address `!broadcast` endpoints use in these tests). */
export const LOOPBACK_BROADCAST = "127.255.255.255";

/** A `!broadcast` node that calls or answers `id` on `port`, offers going to `broadcast`. */
export function broadcastNode(
  role: "call" | "answer",
  id: string,
  port: number,
  broadcast = LOOPBACK_BROADCAST,
): SceneNodeJson {
  return { kind: "!broadcast", [role]: id, port, broadcast };
}

/** A `!websocket` node: member `id` of room `e2e` (unless `extra` says another) through the server at `url`. */
export function websocketNode(
  url: string,
  id: string,
  extra: Record<string, unknown> = {},
): SceneNodeJson {
  return { kind: "!websocket", url, room: "e2e", id, ...extra };
}

/** Writes {@linkcode callScene}`(options)` to `NAME.json` in `folder`; returns its path. */
export async function writeCallScene(
  folder: string,
  name: string,
  options: CallSceneOptions,
): Promise<string> {
  const path = join(folder, `${name}.json`);
  await Deno.writeTextFile(path, callScene(options));
  return path;
}

/**
 * Appends the `OUT`/`STATE` probes for the node `webrtcId` (at `size`) to a
 * TOML scene whose nodes are a top-level `[[nodes]]` array, e.g. an
 * example file.
 */
export function withTomlProbes(
  toml: string,
  webrtcId: string,
  size: [number, number],
  stateKey = "webrtc",
): string {
  const blocks = probeNodes(webrtcId, size, stateKey).map((node) => {
    const { children, ...attributes } = node as SceneNodeJson & {
      children: SceneNodeJson[];
    };
    const lines = ["", "[[nodes]]", ...tomlPairs(attributes)];
    for (const child of children) {
      lines.push("  [[nodes.children]]", ...tomlPairs(child, "  "));
    }
    return lines.join("\n");
  });
  return `${toml}\n${blocks.join("\n")}\n`;
}

function tomlPairs(table: Record<string, unknown>, indent = ""): string[] {
  return Object.entries(table).map(([key, value]) =>
    `${indent}${key} = ${JSON.stringify(value)}`
  );
}

// ---------------------------------------------------------------- files

/** The files an endpoint's probes write (the `OUT` and `STATE` defines; a type, not an interface, so that it can be passed as defines). */
export type ProbeFiles = { OUT: string; STATE: string };

/**
 * The probe files of run `name` of an endpoint, in `folder`: each run gets
 * its own (a killed process leaves its last ones).
 */
export function probeFiles(folder: string, name: string): ProbeFiles {
  return {
    OUT: join(folder, `${name}_out.png`),
    STATE: join(folder, `${name}_state.png`),
  };
}

/**
 * Mean colour of the central quarter (middle half in both directions) of
 * the PNG at `path`; `null` while the file does not exist (or cannot be read).
 */
export function centreColour(path: string): Rgb | null {
  return regionColour(path, 0.25, 0.25, 0.75, 0.75);
}

/**
 * Mean colour of the region from (`x0`, `y0`) to (`x1`, `y1`) of the PNG at
 * `path`, in fractions of its size from the top-left corner; `null` while
 * the file does not exist (or cannot be read).
 */
export function regionColour(
  path: string,
  x0: number,
  y0: number,
  x1: number,
  y1: number,
): Rgb | null {
  let image;
  try {
    image = readImageFileSync(path);
  } catch {
    return null;
  }
  const { width, height, data } = image;
  const sum = [0, 0, 0];
  let count = 0;
  for (let y = Math.floor(y0 * height); y < Math.ceil(y1 * height); y++) {
    for (let x = Math.floor(x0 * width); x < Math.ceil(x1 * width); x++) {
      const i = (y * width + x) * 4;
      for (let c = 0; c < 3; c++) sum[c] += data[i + c];
      count++;
    }
  }
  if (count === 0) return null;
  return sum.map((value) => Math.round(value / count)) as Rgb;
}

/** Whether every channel of `actual` is within `tolerance` of `expected`. */
export function near(
  actual: readonly number[] | null,
  expected: readonly number[],
  tolerance = TOLERANCE,
): boolean {
  return actual !== null &&
    expected.every((value, i) => Math.abs(actual[i] - value) <= tolerance);
}

/** What the state probe PNG at `path` shows, or `null` while it does not exist. */
export function readState(path: string): ProbeState | null {
  const colour = regionColour(path, 0, 0, 1, 1);
  if (colour === null) return null;
  for (const [state, expected] of STATE_COLOURS) {
    if (near(colour, expected, 30)) return state;
  }
  throw new Error(`${path}: unexpected state probe colour ${colour}`);
}

// ---------------------------------------------------------------- processes

/** How an endpoint process is started. */
export interface EndpointOptions {
  /** For messages (`"A"`, `"caller"`). */
  name: string;
  /** The scene file. */
  scene: string;
  /** `--define NAME=VALUE` for each entry. */
  defines?: Record<string, string | number>;
  /** `--fps` (default 15: low CPU on small machines). */
  fps?: number;
  /** The script to run (default `cli.ts`); it gets `run SCENE …`. */
  entry?: string;
  /** `--runtime` seconds (default: run until stopped). */
  runtime?: number;
  /** A named network namespace to run it in (`ip netns exec NAME …`), as another machine. */
  netns?: string;
  /**
   * A command that runs the rest of the command line by `exec` (so signals
   * still reach Deno), e.g. `unshare --mount …`; it goes first.
   */
  wrap?: string[];
}

const OUTPUT_LIMIT = 200_000;

/** One running `deno run -A cli.ts run SCENE …` process and its output. */
export class Endpoint {
  readonly #process: LoggedProcess;

  private constructor(
    readonly name: string,
    readonly args: string[],
    netns?: string,
    wrap: string[] = [],
  ) {
    // `ip netns exec` execs the command itself, so signals reach Deno.
    const command = [
      ...wrap,
      ...(netns === undefined ? [] : ["ip", "netns", "exec", netns]),
      Deno.execPath(),
      ...args,
    ];
    this.#process = new LoggedProcess(command[0], command.slice(1), {
      cwd: ROOT,
      env: { NO_COLOR: "1" },
      outputLimit: OUTPUT_LIMIT,
    });
  }

  /** Starts `entry run SCENE --fps N --define …`. */
  static start(options: EndpointOptions): Endpoint {
    const args = [
      "run",
      "-A",
      options.entry ?? CLI,
      "run",
      options.scene,
      "--fps",
      String(options.fps ?? 15),
    ];
    if (options.runtime !== undefined) {
      args.push("--runtime", String(options.runtime));
    }
    for (const [name, value] of Object.entries(options.defines ?? {})) {
      args.push("--define", `${name}=${value}`);
    }
    return new Endpoint(options.name, args, options.netns, options.wrap);
  }

  /** The process id (Deno's own: `ip netns exec` and `wrap` commands exec). */
  get pid(): number {
    return this.#process.pid;
  }

  /** Everything printed so far (stdout and stderr, interleaved as read). */
  get output(): string {
    return this.#process.output;
  }

  /** The exit status once the process has ended, else `null`. */
  get status(): Deno.CommandStatus | null {
    return this.#process.status;
  }

  /** Resolves with the exit status once the process has ended and all its output is read. */
  get exited(): Promise<Deno.CommandStatus> {
    return this.#process.exited;
  }

  /** Ends the process with SIGKILL (a crash) and waits for it. */
  kill(): Promise<Deno.CommandStatus> {
    return this.#process.stop("SIGKILL");
  }

  /** SIGTERM (a clean stop), SIGKILL after `graceMs`; waits for the exit and all output. */
  stop(graceMs = 5000): Promise<Deno.CommandStatus> {
    return this.#process.stop("SIGTERM", graceMs);
  }

  /** The last lines of output, for failure messages. */
  describe(lines = 40): string {
    const tail = this.output.trimEnd().split("\n").slice(-lines);
    const status = this.status === null
      ? "running"
      : `exited with ${this.status.code}`;
    return `--- ${this.name} (${status}):\n  ${tail.join("\n  ")}`;
  }
}

/** Stops every endpoint (SIGTERM, then SIGKILL), whatever happens. */
export async function stopAll(
  endpoints: ReadonlyArray<Endpoint | undefined>,
): Promise<void> {
  await Promise.allSettled(
    endpoints.map((endpoint) => endpoint?.stop()),
  );
}

/**
 * Polls `probe` every 100 ms until it returns something other than `null`,
 * `undefined` or `false`, and returns that. Fails with `description` (or
 * what it returns at that time) and the
 * endpoints' recent output when `timeoutMs` passes or an endpoint exits.
 */
export async function waitUntil<T>(
  description: string | (() => string),
  probe: () => T | null | undefined | false,
  endpoints: readonly Endpoint[],
  timeoutMs = CONNECT_TIMEOUT_MS,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  while (true) {
    const value = probe();
    if (value !== null && value !== undefined && value !== false) return value;
    const ended = endpoints.find((endpoint) => endpoint.status !== null);
    if (ended || Date.now() > deadline) {
      const why = ended
        ? `${ended.name} exited first`
        : `not within ${timeoutMs} ms`;
      const what = typeof description === "string"
        ? description
        : description();
      throw new Error(
        `Waited for ${what}: ${why}\n` +
          endpoints.map((endpoint) => endpoint.describe()).join("\n"),
      );
    }
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

/** Waits until the `OUT` file at `path` shows `colour` in its centre; returns what it shows. */
export function waitForColour(
  who: string,
  path: string,
  colour: Rgb,
  endpoints: readonly Endpoint[],
  timeoutMs = CONNECT_TIMEOUT_MS,
): Promise<Rgb> {
  let last: Rgb | null = null;
  return waitUntil(
    () => `${who} to receive colour ${colour} (last seen: ${last})`,
    () => {
      last = centreColour(path);
      return near(last, colour) && last;
    },
    endpoints,
    timeoutMs,
  );
}

/** Waits until the `STATE` file at `path` shows `state`. */
export async function waitForState(
  who: string,
  path: string,
  state: ProbeState,
  endpoints: readonly Endpoint[],
  timeoutMs = CONNECT_TIMEOUT_MS,
): Promise<void> {
  await waitUntil(
    `${who} to be ${state}`,
    () => readState(path) === state,
    endpoints,
    timeoutMs,
  );
}

/** One side of a call, as {@linkcode waitForCall} watches it. */
export interface CallSide {
  /** For messages. */
  who: string;
  /** Its probe files. */
  files: ProbeFiles;
  /** The colour it should receive from the other side. */
  receives: Rgb;
}

/**
 * Waits until every side is `:connected` (in turn), then until each shows
 * the colour it receives (in turn).
 */
export async function waitForCall(
  sides: readonly CallSide[],
  endpoints: readonly Endpoint[],
): Promise<void> {
  for (const { who, files } of sides) {
    await waitForState(who, files.STATE, "connected", endpoints);
  }
  for (const { who, files, receives } of sides) {
    await waitForColour(who, files.OUT, receives, endpoints);
  }
}

/**
 * Runs `body` with a fresh temporary folder and a list for the endpoints it
 * starts; afterwards, whatever happened, stops every endpoint in the list
 * and removes the folder.
 */
export async function withEndpoints(
  body: (dir: string, endpoints: Endpoint[]) => Promise<void>,
): Promise<void> {
  const dir = await tempFolder();
  const endpoints: Endpoint[] = [];
  try {
    await body(dir.path, endpoints);
  } finally {
    await stopAll(endpoints);
    await dir.remove();
  }
}

/** A fresh temporary folder, removed by the returned function. */
export async function tempFolder(): Promise<
  { path: string; remove: () => Promise<void> }
> {
  const path = await Deno.makeTempDir({ prefix: "flitter_e2e_" });
  return {
    path,
    remove: () => Deno.remove(path, { recursive: true }).catch(() => {}),
  };
}

/**
 * `flitter_webrtc demo`: the main job in one command. Two rigs in one scene
 * (`examples/demo.toml`) call each other over `!broadcast` on this machine,
 * each sending its own animated picture; the window shows both sides with
 * the state of each call, and is recorded to a video and a still. The
 * command says when the call connected and where the files went, and fails
 * (exit status 1) when the call never connected.
 *
 * @module
 */

import { resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { Engine } from "../engine/engine.ts";
import { sym, type Value } from "../expr/values.ts";
import { getLogger } from "../log/logger.ts";
import { UsageError } from "./usage_error.ts";

/** The demo scene shipped with the project. */
export const DEMO_SCENE = fileURLToPath(
  new URL("../../examples/demo.toml", import.meta.url),
);

/** Usage of `demo`. */
export const DEMO_USAGE =
  `Usage: flitter_webrtc demo [FOLDER] [--runtime SECONDS] [--port PORT]

Two rigs on this machine call each other (examples/demo.toml) for SECONDS
(default 8) of real time; the picture of both sides goes to FOLDER/demo.mp4
and FOLDER/demo.png (FOLDER default: out). PORT is the UDP port their
!broadcast signalling uses (default 5111).`;

/** What `demo` was asked to do. */
export interface DemoOptions {
  /** Where demo.mp4 and demo.png go (default `out`). */
  folder: string;
  /** Seconds of real time to run (default 8). */
  runtime: number;
  /** UDP port of the `!broadcast` signalling (default 5111). */
  port: number;
}

/** Parses `demo`'s arguments; throws {@linkcode UsageError} on bad ones. */
export function parseDemoArgs(args: readonly string[]): DemoOptions {
  const options: DemoOptions = { folder: "out", runtime: 8, port: 5111 };
  let folderGiven = false;
  for (let i = 0; i < args.length; i++) {
    const arg = args[i];
    const [flag, inline] = arg.startsWith("--") && arg.includes("=")
      ? [arg.slice(0, arg.indexOf("=")), arg.slice(arg.indexOf("=") + 1)]
      : [arg, undefined];
    const value = () => {
      const text = inline ?? args[++i];
      if (text === undefined) throw new UsageError(`${flag} needs a value`);
      return text;
    };
    if (flag === "--runtime") {
      options.runtime = Number(value());
      if (!(options.runtime > 0)) {
        throw new UsageError("--runtime must be a positive number of seconds");
      }
    } else if (flag === "--port") {
      options.port = Number(value());
      if (
        !Number.isInteger(options.port) || options.port < 1 ||
        options.port > 65535
      ) throw new UsageError("--port must be a port number (1-65535)");
    } else if (!arg.startsWith("-") && !folderGiven) {
      options.folder = arg;
      folderGiven = true;
    } else throw new UsageError(`Unknown demo argument "${arg}"`);
  }
  return options;
}

/** Whether this process sees a network interface other than loopback. */
function hasOtherInterfaces(): boolean {
  try {
    return Deno.networkInterfaces().some((nic) =>
      !nic.address.startsWith("127.") && nic.address !== "::1"
    );
  } catch {
    return false;
  }
}

/** Runs the demo call; returns the exit status. */
export async function runDemo(options: DemoOptions): Promise<number> {
  const log = getLogger("demo");
  const folder = resolve(options.folder);
  await Deno.mkdir(folder, { recursive: true });
  const video = resolve(folder, "demo.mp4");
  const still = resolve(folder, "demo.png");
  if (hasOtherInterfaces()) {
    log.info(
      "this machine has network interfaces besides loopback, so libwebrtc " +
        "will address the demo call to this machine's own address (it stays " +
        "on this machine). To keep it on loopback, run `deno task demo` " +
        "(or `npm run demo`) as root: it runs the call in a network " +
        "namespace that holds only loopback.",
    );
  }
  const engine = await Engine.open(DEMO_SCENE, {
    fps: 30,
    runtime: options.runtime,
    watch: false,
    // With a display the window is on screen; without one, offscreen.
    windows: {},
    defines: new Map<string, Value>([
      ["VIDEO", video],
      ["STILL", still],
      ["PORT", options.port],
    ]),
  });
  log.info(
    `Two rigs call each other for ${options.runtime} s (${DEMO_SCENE}) on ${engine.gl.renderer}`,
  );
  const began = performance.now();
  let connectedAfter: number | null = null;
  const watch = setInterval(() => {
    const a = engine.state.get(sym("a"));
    const b = engine.state.get(sym("b"));
    if (
      connectedAfter === null && a === sym("connected") &&
      b === sym("connected")
    ) {
      connectedAfter = (performance.now() - began) / 1000;
      log.info(`the call is up both ways after ${connectedAfter.toFixed(2)} s`);
    }
  }, 20);
  // Ctrl-C or SIGTERM end the call early; the recording is still completed.
  try {
    await engine.runUntilSignalled();
  } finally {
    clearInterval(watch);
  }
  if (connectedAfter === null) {
    console.error(
      `The demo call did not connect within ${options.runtime} s; ` +
        `the recording of what was shown is in ${video}. Run with ` +
        "--verbose to see the signalling, and check that UDP port " +
        `${options.port} is free.`,
    );
    return 1;
  }
  console.log(
    `Demo call connected after ${
      (connectedAfter as number).toFixed(2)
    } s; both sides recorded:\n  video: ${video}\n  last frame: ${still}`,
  );
  return 0;
}

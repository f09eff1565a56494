/**
 * The `flitter_webrtc` command.
 *
 * - `flitter_webrtc run SCENE [options]` renders a scene (see `run --help`).
 * - `flitter_webrtc demo` runs the demo call and records it to `out/`.
 * - `flitter_webrtc serve [options]`, or `flitter_webrtc [options]` with no
 *   subcommand (as the original), runs the WebSocket signalling server.
 *
 * @module
 */

import { DEMO_USAGE, parseDemoArgs, runDemo } from "./lib/cli/demo_command.ts";
import { parseRunArgs, RUN_USAGE, runScene } from "./lib/cli/run_command.ts";
import { UsageError } from "./lib/cli/usage_error.ts";
import { main as serverMain } from "./lib/server/main.ts";

const USAGE = `Usage:
  flitter_webrtc run SCENE [options]     render a scene (run --help for options)
  flitter_webrtc demo [FOLDER]           two rigs call each other; recorded
                                         into out/ (demo --help for options)
  flitter_webrtc [serve] [options]       run the WebSocket signalling server
                                         (serve --help for options)`;

/** Runs the command line `args`; resolves to the exit status. */
export async function main(args: string[]): Promise<number> {
  const [command, ...rest] = args;
  try {
    switch (command) {
      case "run":
        if (rest.includes("--help") || rest.includes("-h")) {
          console.log(RUN_USAGE);
          return 0;
        }
        return await runScene(parseRunArgs(rest));
      case "demo":
        if (rest.includes("--help") || rest.includes("-h")) {
          console.log(DEMO_USAGE);
          return 0;
        }
        return await runDemo(parseDemoArgs(rest));
      case "help":
      case "--help":
      case "-h":
        console.log(USAGE);
        return 0;
      case "serve":
        return await serve(rest);
      default:
        if (command === undefined || command.startsWith("-")) {
          return await serve(args);
        }
        throw new UsageError(`Unknown command "${command}"`);
    }
  } catch (error) {
    if (error instanceof UsageError) {
      console.error(`flitter_webrtc: ${error.message}\n\n${USAGE}`);
      return error.exitCode;
    }
    throw error;
  }
}

async function serve(args: string[]): Promise<number> {
  return await serverMain(args);
}

if (import.meta.main) Deno.exit(await main(Deno.args));

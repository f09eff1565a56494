/**
 * Flitter's logging flags: `--quiet`, `--verbose`, `--debug`, `--trace`.
 *
 * @module
 */

import { setLogLevel, setVerbose } from "../log/logger.ts";

/** Which logging flags were given. */
export interface LogFlags {
  quiet?: boolean;
  verbose?: boolean;
  debug?: boolean;
  trace?: boolean;
}

/** Sets the process log level from the flags (the noisiest wins). */
export function applyLogFlags(flags: LogFlags): void {
  if (flags.trace) setLogLevel("trace");
  else if (flags.debug) setLogLevel("debug");
  else if (flags.quiet) setLogLevel("warn");
  else setLogLevel("info");
  setVerbose(Boolean(flags.verbose));
}

/** `parseArgs` option definitions for the logging flags. */
export const LOG_FLAG_OPTIONS = {
  quiet: { type: "boolean" },
  verbose: { type: "boolean" },
  debug: { type: "boolean" },
  trace: { type: "boolean" },
} as const;

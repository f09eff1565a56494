/**
 * Flitter's logging flags, `--quiet`, `--verbose`, `--debug` and `--trace`:
 * the one parser for them, used by every command (`run` and the signalling
 * server), so they all take the same flags with the same outcome.
 *
 * The rules:
 *
 * | flag        | prints                                               |
 * | ----------- | ---------------------------------------------------- |
 * | `--quiet`   | warnings and errors                                  |
 * | (none)      | information too                                      |
 * | `--verbose` | information, plus statistics (fps, frame times)      |
 * | `--debug`   | debug detail too (statistics included)               |
 * | `--trace`   | everything                                           |
 *
 * - Give one at most: two different ones (`--debug --quiet`) are a usage
 *   error, as in Flitter and the original server (an argparse mutually
 *   exclusive group); the same one repeated is allowed.
 * - A flag after `--` is an argument, not a flag.
 * - There are no short forms (Flitter has none): `-v` is an unknown option.
 *
 * A command spreads {@linkcode LOG_FLAG_OPTIONS} into its `node:util`
 * `parseArgs` options, parses with `tokens: true`, and reads the settings
 * with {@linkcode logSettingsFromTokens}; {@linkcode applyLogSettings} then
 * sets them for the process.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { parseLogFlags } from "./log_flags.ts";
 * assert.deepEqual(parseLogFlags(["--verbose"]), { level: "info", verbose: true });
 * assert.throws(() => parseLogFlags(["--debug", "--quiet"]), /Give only one of/);
 * ```
 *
 * @module
 */

import { parseArgs } from "node:util";
import { type LogLevel, setLogLevel, setVerbose } from "./logger.ts";

/** A logging flag's name (without `--`). */
export type LogFlag = "quiet" | "verbose" | "debug" | "trace";

/** The logging flags, from the quietest to the noisiest. */
export const LOG_FLAGS: readonly LogFlag[] = [
  "quiet",
  "verbose",
  "debug",
  "trace",
];

/** What the logging flags ask for. */
export interface LogSettings {
  /** The lowest level printed. */
  readonly level: LogLevel;
  /** Whether `--verbose` statistics are asked for (`--debug` and `--trace` imply them). */
  readonly verbose: boolean;
}

/** The settings without any logging flag. */
export const DEFAULT_LOG_SETTINGS: LogSettings = Object.freeze({
  level: "info",
  verbose: false,
});

const SETTINGS: Readonly<Record<LogFlag, LogSettings>> = Object.freeze({
  quiet: Object.freeze({ level: "warn", verbose: false }),
  verbose: Object.freeze({ level: "info", verbose: true }),
  debug: Object.freeze({ level: "debug", verbose: false }),
  trace: Object.freeze({ level: "trace", verbose: false }),
});

/** `node:util` `parseArgs` options for the logging flags, to spread into a command's options. */
export const LOG_FLAG_OPTIONS = {
  quiet: { type: "boolean" },
  verbose: { type: "boolean" },
  debug: { type: "boolean" },
  trace: { type: "boolean" },
} as const;

/**
 * Two different logging flags on one command line; the message is for the
 * user (commands turn it into their usage error).
 */
export class LogFlagsError extends Error {
  /** @param given the flags given, in order */
  constructor(readonly given: readonly LogFlag[]) {
    super(
      `Give only one of --quiet, --verbose, --debug, --trace (got ${
        given.map((flag) => `--${flag}`).join(", ")
      })`,
    );
    this.name = "LogFlagsError";
  }
}

/** The settings one flag gives (`null`: no flag). */
export function logSettingsOf(flag: LogFlag | null): LogSettings {
  return flag === null ? DEFAULT_LOG_SETTINGS : SETTINGS[flag];
}

/** One token of `parseArgs({ tokens: true })` (only what is read here). */
export interface ArgsToken {
  /** `"option"`, `"positional"` or `"option-terminator"`. */
  readonly kind: string;
  /** The option's long name, for options. */
  readonly name?: string;
}

/**
 * The settings that the logging flag among `tokens` (from `parseArgs` with
 * `tokens: true` and {@linkcode LOG_FLAG_OPTIONS}) asks for.
 *
 * @throws {LogFlagsError} when two different logging flags are given
 */
export function logSettingsFromTokens(
  tokens: readonly ArgsToken[] | undefined,
): LogSettings {
  const given: LogFlag[] = [];
  for (const token of tokens ?? []) {
    if (
      token.kind === "option" && isLogFlag(token.name) &&
      !given.includes(token.name)
    ) given.push(token.name);
  }
  if (given.length > 1) throw new LogFlagsError(given);
  return logSettingsOf(given[0] ?? null);
}

/**
 * Parses a command line of logging flags alone.
 *
 * @throws {LogFlagsError} when two different logging flags are given
 * @throws {TypeError} (from `parseArgs`) for anything else on it
 */
export function parseLogFlags(args: readonly string[]): LogSettings {
  const { tokens } = parseArgs({
    args: [...args],
    options: LOG_FLAG_OPTIONS,
    strict: true,
    allowPositionals: false,
    tokens: true,
  });
  return logSettingsFromTokens(tokens);
}

/** Sets the process's log level and statistics from `settings`. */
export function applyLogSettings(settings: LogSettings): void {
  setLogLevel(settings.level);
  setVerbose(settings.verbose);
}

function isLogFlag(name: string | undefined): name is LogFlag {
  return name !== undefined && (LOG_FLAGS as readonly string[]).includes(name);
}

import { deepStrictEqual as assertEquals, throws } from "node:assert/strict";
import { parseArgs } from "node:util";
import {
  applyLogSettings,
  DEFAULT_LOG_SETTINGS,
  LOG_FLAG_OPTIONS,
  LogFlagsError,
  type LogSettings,
  logSettingsFromTokens,
  parseLogFlags,
} from "../../lib/log/log_flags.ts";
import {
  getLogLevel,
  isVerbose,
  setLogLevel,
  setVerbose,
} from "../../lib/log/logger.ts";
import { parseRunArgs } from "../../lib/cli/run_command.ts";
import { UsageError } from "../../lib/cli/usage_error.ts";
import { parseServerArgs, ServerArgsError } from "../../lib/server/args.ts";

const QUIET: LogSettings = { level: "warn", verbose: false };
const VERBOSE: LogSettings = { level: "info", verbose: true };
const DEBUG: LogSettings = { level: "debug", verbose: false };
const TRACE: LogSettings = { level: "trace", verbose: false };

/** Command lines of logging flags and what they ask for. */
const CASES: [string[], LogSettings][] = [
  [[], DEFAULT_LOG_SETTINGS],
  [["--quiet"], QUIET],
  [["--verbose"], VERBOSE],
  [["--debug"], DEBUG],
  [["--trace"], TRACE],
  [["--debug", "--debug"], DEBUG],
];

/** Command lines with two different logging flags, and the error's message. */
const CONFLICTS: [string[], string][] = [
  [["--debug", "--quiet"], "(got --debug, --quiet)"],
  [["--quiet", "--verbose"], "(got --quiet, --verbose)"],
  [["--trace", "--trace", "--verbose"], "(got --trace, --verbose)"],
];

Deno.test("the logging flags: one level each; two different ones are an error, as in Flitter", () => {
  for (const [args, expected] of CASES) {
    assertEquals(parseLogFlags(args), expected, args.join(" "));
  }
  for (const [args, got] of CONFLICTS) {
    throws(
      () => parseLogFlags(args),
      (error) =>
        error instanceof LogFlagsError &&
        error.message ===
          `Give only one of --quiet, --verbose, --debug, --trace ${got}`,
    );
  }
});

Deno.test("run and the server take the same logging flags with the same outcome", () => {
  for (const [args, expected] of CASES) {
    const what = args.join(" ");
    assertEquals(parseRunArgs(["scene.toml", ...args]).log, expected, what);
    assertEquals(parseRunArgs([...args, "scene.toml"]).log, expected, what);
    assertEquals(parseServerArgs(args).log, expected, what);
  }
  // Mixed with the commands' other options, in any order.
  assertEquals(
    parseRunArgs(["--trace", "scene.toml", "--fps", "30", "--trace"]).log,
    TRACE,
  );
  assertEquals(parseServerArgs(["--quiet", "--port=0"]).log, QUIET);
  // Two different flags: each command's usage error, with the same message.
  for (const [args, got] of CONFLICTS) {
    const message =
      `Give only one of --quiet, --verbose, --debug, --trace ${got}`;
    throws(
      () => parseRunArgs(["scene.toml", ...args]),
      (error) => error instanceof UsageError && error.message === message,
    );
    throws(
      () => parseServerArgs(args),
      (error) => error instanceof ServerArgsError && error.message === message,
    );
  }
});

Deno.test("no command takes short forms or values for the logging flags", () => {
  for (const bad of [["-v"], ["-q"], ["--debug=1"], ["--verbose=yes"]]) {
    throws(() => parseLogFlags(bad), TypeError, bad.join(" "));
    throws(() => parseRunArgs(["scene.toml", ...bad]), UsageError);
    throws(() => parseServerArgs(bad), ServerArgsError);
  }
});

Deno.test("a flag after -- is an argument, not a logging flag", () => {
  const { tokens } = parseArgs({
    args: ["--debug", "--", "--quiet"],
    options: LOG_FLAG_OPTIONS,
    allowPositionals: true,
    tokens: true,
  });
  assertEquals(logSettingsFromTokens(tokens), DEBUG);
  assertEquals(logSettingsFromTokens(undefined), DEFAULT_LOG_SETTINGS);
});

Deno.test("applyLogSettings sets the process's level and statistics", () => {
  const level = getLogLevel();
  try {
    applyLogSettings(QUIET);
    assertEquals([getLogLevel(), isVerbose()], ["warn", false]);
    applyLogSettings(VERBOSE);
    assertEquals([getLogLevel(), isVerbose()], ["info", true]);
    applyLogSettings(DEBUG);
    assertEquals([getLogLevel(), isVerbose()], ["debug", true]);
  } finally {
    setLogLevel(level);
    setVerbose(false);
  }
});

import assert from "node:assert/strict";
import { parseRunArgs } from "../../lib/cli/run_command.ts";
import { UsageError } from "../../lib/cli/usage_error.ts";
import { getLogLevel } from "../../lib/log/logger.ts";

Deno.test("run: --field-trials is kept as given, absent means the built-in set", () => {
  assert.equal(parseRunArgs(["scene.toml"]).fieldTrials, null);
  assert.equal(
    parseRunArgs(["scene.toml", "--field-trials=WebRTC-Foo/Enabled/"])
      .fieldTrials,
    "WebRTC-Foo/Enabled/",
  );
  assert.equal(parseRunArgs(["scene.toml", "--field-trials="]).fieldTrials, "");
});

Deno.test("run: a malformed --field-trials is a usage error naming the option", () => {
  assert.throws(
    () => parseRunArgs(["scene.toml", "--field-trials=WebRTC-Foo/Enabled"]),
    (error) =>
      error instanceof UsageError && /--field-trials/.test(error.message),
  );
});

Deno.test("run: --fps, --runtime and --define are parsed and checked", () => {
  const options = parseRunArgs([
    "s.json",
    "--fps",
    "30",
    "--runtime=2.5",
    "-D",
    "URL=ws://127.0.0.1:8080",
  ]);
  assert.equal(options.fps, 30);
  assert.equal(options.runtime, 2.5);
  assert.equal(options.file, "s.json");
  assert.ok(options.defines.has("URL"));
  assert.throws(() => parseRunArgs(["s.json", "--fps=0"]), UsageError);
  assert.throws(() => parseRunArgs([]), UsageError);
});

Deno.test("run: the logging flags are parsed into the options, not applied while parsing", () => {
  const before = getLogLevel();
  const options = parseRunArgs(["s.toml", "--quiet"]);
  assert.deepEqual(options.log, { level: "warn", verbose: false });
  assert.equal(getLogLevel(), before);
});

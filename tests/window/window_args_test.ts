// `run`'s window options: --offscreen, --fullscreen, --screen N, --vsync.
import assert from "node:assert/strict";
import { parseRunArgs } from "../../lib/cli/run_command.ts";
import { UsageError } from "../../lib/cli/usage_error.ts";

Deno.test("run: window options default off (screen 0) and are parsed", () => {
  const plain = parseRunArgs(["scene.toml"]);
  assert.deepEqual(
    [plain.offscreen, plain.fullscreen, plain.screen, plain.vsync],
    [false, false, 0, false],
  );
  const given = parseRunArgs([
    "scene.toml",
    "--fullscreen",
    "--screen",
    "2",
    "--vsync",
    "--offscreen",
  ]);
  assert.deepEqual(
    [given.offscreen, given.fullscreen, given.screen, given.vsync],
    [true, true, 2, true],
  );
  assert.equal(parseRunArgs(["scene.toml", "--screen=1"]).screen, 1);
});

Deno.test("run: --screen must be a screen number", () => {
  for (const bad of ["-1", "1.5", "first"]) {
    assert.throws(
      () => parseRunArgs(["scene.toml", `--screen=${bad}`]),
      (error) => error instanceof UsageError && /--screen/.test(error.message),
    );
  }
});

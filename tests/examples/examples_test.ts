// Loads every example scene and checks it is clean: no errors, no warnings.
import assert from "node:assert/strict";
import "../../lib/kinds.ts";
import "../../examples/custom_signalling.ts";
import { loadSceneFile } from "../../lib/scene/load_scene.ts";

const EXAMPLES = new URL("../../examples/", import.meta.url).pathname;

/** Every scene file (.toml, .json) directly in examples/. */
async function exampleScenes(): Promise<string[]> {
  const found: string[] = [];
  for await (const entry of Deno.readDir(EXAMPLES)) {
    if (entry.isFile && /\.(toml|json)$/.test(entry.name)) {
      found.push(`${EXAMPLES}${entry.name}`);
    }
  }
  return found.sort();
}

Deno.test("the examples folder holds the call, relay and custom signalling scenes", async () => {
  const names = (await exampleScenes()).map((path) =>
    path.slice(EXAMPLES.length)
  );
  for (
    const expected of [
      "caller.toml",
      "demo.toml",
      "folder_answer.toml",
      "folder_call.toml",
      "receiver.toml",
      "tranceiver.toml",
    ]
  ) {
    assert.ok(
      names.includes(expected),
      `examples/${expected} is missing (found ${names.join(", ")})`,
    );
  }
});

Deno.test("every example scene loads without errors or warnings", async () => {
  const problems: string[] = [];
  for (const path of await exampleScenes()) {
    try {
      const scene = await loadSceneFile(path);
      problems.push(...scene.warnings);
      assert.ok(scene.nodes.length > 0, `${path} has no nodes`);
    } catch (error) {
      problems.push(`${path}: ${(error as Error).message}`);
    }
  }
  assert.deepEqual(problems, []);
});

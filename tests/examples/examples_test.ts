// Loads every example scene and checks it is clean: no errors, no warnings.
import assert from "node:assert/strict";
import "../../lib/kinds.ts";
import "../../examples/custom_signalling.ts";
import "../../examples/custom_node.ts";
import { loadSceneFile } from "../../lib/scene/load_scene.ts";
import { Attributes } from "../../lib/scene/attributes.ts";
import { getLogger } from "../../lib/log/logger.ts";
import {
  configureBroadcast,
  DEFAULT_BROADCAST_ADDRESS,
} from "../../lib/signalling/broadcast.ts";

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
      "plasma.toml",
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

Deno.test("a null broadcast= (no BROADCAST define in the call examples) means the default broadcast address", () => {
  const log = getLogger("test");
  const unset = configureBroadcast(
    new Attributes(
      "nodes[0]",
      new Map([["call", "receiver"], ["broadcast", null]]),
    ),
    log,
  );
  assert.equal(unset?.broadcast, DEFAULT_BROADCAST_ADDRESS);
  assert.equal(DEFAULT_BROADCAST_ADDRESS, "255.255.255.255");
  const set = configureBroadcast(
    new Attributes(
      "nodes[0]",
      new Map([["call", "receiver"], ["broadcast", "127.255.255.255"]]),
    ),
    log,
  );
  assert.equal(set?.broadcast, "127.255.255.255");
});

import {
  deepStrictEqual as assertEquals,
  ok as assert,
  throws as assertThrows,
} from "node:assert/strict";
import { loadSceneText } from "../../lib/scene/load_scene.ts";
import { SceneError } from "../../lib/scene/errors.ts";
import { FlitterSymbol } from "../../lib/expr/values.ts";
import {
  type AttributeSource,
  parseDefineValue,
} from "../../lib/scene/model.ts";
import "../../lib/kinds.ts";

function constantOf(source: AttributeSource | undefined) {
  if (source === undefined || !source.constant) {
    throw new Error("expected a constant attribute");
  }
  return source.value;
}

function sceneError(text: string, file = "scene.toml"): SceneError {
  try {
    loadSceneText(text, file);
  } catch (error) {
    if (error instanceof SceneError) return error;
    throw error;
  }
  throw new Error("expected a SceneError");
}

Deno.test("a TOML scene becomes a tree of nodes with constant and expression attributes", () => {
  const model = loadSceneText(
    `
[let]
SPEED = 2

[[nodes]]
kind = "!window"
size = [320, 240]

  [[nodes.children]]
  kind = "shader"
  if = "=SPEED > 1"
  mode = ":over"
  label = "==not an expression"
  speed = "=SPEED * time"
`,
    "scene.toml",
  );
  assertEquals(model.nodes.length, 1);
  const window = model.nodes[0];
  assertEquals(window.kind, "window");
  assertEquals(window.path, "nodes[0]");
  const size = window.attributes.get("size");
  assertEquals(constantOf(size), [320, 240]);
  const shader = window.children[0];
  assertEquals(shader.path, "nodes[0].children[0]");
  const mode = shader.attributes.get("mode");
  assertEquals(constantOf(mode), FlitterSymbol.for("over"));
  const label = shader.attributes.get("label");
  assertEquals(constantOf(label), "=not an expression");
  assertEquals(shader.dynamic, ["speed"]);
  assert(shader.condition !== null && !shader.condition.constant);
  assertEquals(model.lets.map(([name]) => name), ["SPEED"]);
});

Deno.test("a JSON scene may be a bare array of nodes", () => {
  const model = loadSceneText(
    `[{"kind": "!offscreen", "hidden": true, "children": [{"kind": "!shader"}]}]`,
    "scene.json",
  );
  assertEquals(model.nodes[0].kind, "offscreen");
  const hidden = model.nodes[0].attributes.get("hidden");
  assertEquals(constantOf(hidden), 1);
  assertEquals(model.nodes[0].children[0].kind, "shader");
});

Deno.test("constant expressions are folded when the scene loads", () => {
  const model = loadSceneText(
    `[[nodes]]\nkind = "!shader"\nalpha = "=1/2"\n`,
    "s.toml",
  );
  const alpha = model.nodes[0].attributes.get("alpha");
  assertEquals(constantOf(alpha), 0.5);
  assertEquals(model.nodes[0].dynamic, []);
});

Deno.test("a TOML syntax error names the file, line and column", () => {
  const error = sceneError(`[[nodes]]\nkind = "!window"\nsize = [1, 2\n`);
  assertEquals(error.file, "scene.toml");
  assertEquals(error.line, 3);
  assert(error.column !== undefined);
  assert(error.message.startsWith("scene.toml:3:"), error.message);
  assert(error.message.includes("Invalid TOML"), error.message);
});

Deno.test("a JSON syntax error names the file, line and column", () => {
  const error = sceneError(`[\n  {"kind": "!window",}\n]`, "scene.json");
  assertEquals(error.line, 2);
  assert(error.message.startsWith("scene.json:2:"), error.message);
});

Deno.test("an unknown node kind is an error with a did-you-mean hint", () => {
  const error = sceneError(
    `[[nodes]]\nkind = "!window"\n[[nodes.children]]\nkind = "!shadr"\n`,
  );
  assertEquals(error.path, "nodes[0].children[0].kind");
  assertEquals(
    error.message,
    `scene.toml: nodes[0].children[0].kind: Unknown node kind "!shadr"; did you mean "!shader"?`,
  );
});

Deno.test("a node without a kind is an error naming its place", () => {
  const error = sceneError(`[[nodes]]\nsize = 3\n`);
  assertEquals(error.path, "nodes[0].kind");
  assert(error.problem.startsWith('Missing "kind"'));
});

Deno.test("a bad expression is an error naming the attribute and column", () => {
  const error = sceneError(`[[nodes]]\nkind = "!shader"\nalpha = "=1 + * 2"\n`);
  assertEquals(error.path, "nodes[0].alpha");
  assert(error.column !== undefined && error.column > 1);
  assert(error.message.includes("nodes[0].alpha"), error.message);
  assert(error.message.includes("Bad expression"), error.message);
});

Deno.test("a table where a value is expected is an error naming the attribute", () => {
  const error = sceneError(
    `[[nodes]]\nkind = "!shader"\n[nodes.size]\nx = 1\n`,
  );
  assertEquals(error.path, "nodes[0].size");
  assert(error.problem.includes("got a table"), error.problem);
});

Deno.test("an unexpected top-level key is an error with a hint", () => {
  const error = sceneError(`[[node]]\nkind = "!window"\n`);
  assertEquals(error.path, "node");
  assert(error.problem.includes(`did you mean "nodes"?`), error.problem);
});

Deno.test("an unknown attribute is a warning with a did-you-mean hint, not an error", () => {
  const model = loadSceneText(
    `[[nodes]]\nkind = "!transform"\nscael = 3\n`,
    "scene.toml",
  );
  assertEquals(model.warnings, [
    `scene.toml: nodes[0].scael: unknown attribute "scael" of !transform; did you mean "scale"?`,
  ]);
});

Deno.test("--define values are numbers, symbols or text", () => {
  assertEquals(parseDefineValue("42"), 42);
  assertEquals(parseDefineValue("-1.5"), -1.5);
  assertEquals(parseDefineValue(":fast"), FlitterSymbol.for("fast"));
  assertEquals(parseDefineValue("ws://127.0.0.1:8080"), "ws://127.0.0.1:8080");
});

Deno.test("a vector holding a table is an error naming the element", () => {
  assertThrows(
    () =>
      loadSceneText(`[{"kind": "!shader", "size": [1, {"a": 2}]}]`, "s.json"),
    (error: unknown) =>
      error instanceof SceneError && error.path === "nodes[0].size[1]",
  );
});

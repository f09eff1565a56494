/**
 * `NodeKind.childKinds`: a kind whose subtree takes its kinds from a
 * registry of its own (as `!canvas` does with its drawing commands).
 */

import { assert, assertEquals, assertThrows } from "../_assert.ts";
import { loadSceneText } from "../../lib/scene/load_scene.ts";
import { SceneError } from "../../lib/scene/errors.ts";
import {
  type Inherited,
  KindRegistry,
  NODE_KINDS,
  registerNodeKind,
  SceneNode,
} from "../../lib/scene/node.ts";
import { CANVAS_KINDS } from "../../lib/canvas/command.ts";
import "../../lib/kinds.ts";

class Plain extends SceneNode {
  prepare(_ctx: unknown, _attrs: unknown, inherited: Inherited): Inherited {
    return inherited;
  }
  render(): void {}
}

const strict = new KindRegistry({ owner: "strict_parent" });
strict.register({ name: "step", attributes: [], create: () => new Plain() });
registerNodeKind({
  name: "strict_parent",
  attributes: [],
  childKinds: strict,
  create: () => new Plain(),
});

Deno.test("inside !canvas, !image is the drawing command; outside, the render node", () => {
  const model = loadSceneText(
    JSON.stringify([
      { kind: "!image", filename: "a.png" },
      {
        kind: "!canvas",
        children: [{
          kind: "!group",
          children: [{ kind: "!image", filename: "a.png" }],
        }],
      },
    ]),
    "scene.json",
  );
  assertEquals(model.warnings, []);
  assert(model.nodes[0].nodeKind === NODE_KINDS.get("image"));
  const nested = model.nodes[1].children[0].children[0];
  assert(nested.nodeKind === CANVAS_KINDS.get("image"), "grandchildren too");
  assert(nested.nodeKind !== NODE_KINDS.get("image"));
});

Deno.test("an unknown kind in a lenient registry is a warning and left out; in a strict one an error", () => {
  const model = loadSceneText(
    JSON.stringify([{
      kind: "!canvas",
      children: [{ kind: "!window" }, { kind: "!fill" }],
    }]),
    "scene.json",
  );
  assertEquals(model.warnings, [
    'scene.json: nodes[0].children[0].kind: Unknown node kind "!window" inside !canvas (left out)',
  ]);
  assertEquals(model.nodes[0].children.map((child) => child.kind), ["fill"]);
  assertEquals(model.nodes[0].children[0].path, "nodes[0].children[1]");

  const error = assertThrows(
    () =>
      loadSceneText(
        JSON.stringify([{
          kind: "!strict_parent",
          children: [{ kind: "!step" }, { kind: "!stop" }],
        }]),
        "scene.json",
      ),
    SceneError,
  );
  assertEquals(
    error.message,
    'scene.json: nodes[0].children[1].kind: Unknown node kind "!stop" inside !strict_parent; did you mean "!step"?',
  );
});

/**
 * The 3D kinds exist only inside `!canvas3d`, where `!transform` is the 3D
 * transform: scene files are checked against the kinds of the place each
 * node stands in (unknown kinds are errors, unknown attributes warnings).
 */

import {
  deepStrictEqual as assertEquals,
  ok as assert,
  throws as assertThrows,
} from "node:assert/strict";
import { loadSceneText } from "../../lib/scene/load_scene.ts";
import { SceneError } from "../../lib/scene/errors.ts";
import "../../lib/kinds.ts";
import { NODE_KINDS } from "../../lib/scene/node.ts";
import { CANVAS3D_KINDS } from "../../lib/canvas3d/mod.ts";

const CANVAS = `
[[nodes]]
kind = "!window"
  [[nodes.children]]
  kind = "!canvas3d"
`;

Deno.test("a 3D kind outside !canvas3d is an error that says where it belongs", () => {
  assertThrows(
    () => loadSceneText(`[[nodes]]\nkind = "!box"\n`, "scene.toml"),
    (error: unknown) =>
      error instanceof SceneError &&
      error.message ===
        `scene.toml: nodes[0].kind: Unknown node kind "!box" (it exists only inside !canvas3d)`,
  );
});

Deno.test("a render kind inside !canvas3d is an error naming the place", () => {
  assertThrows(
    () =>
      loadSceneText(
        `${CANVAS}\n    [[nodes.children.children]]\n    kind = "!shadr"\n`,
        "scene.toml",
      ),
    (error: unknown) =>
      error instanceof SceneError &&
      error.message.startsWith(
        `scene.toml: nodes[0].children[0].children[0].kind: Unknown node kind "!shadr" inside !canvas3d`,
      ),
  );
});

Deno.test("!transform means the 3D transform inside !canvas3d and the 2D one outside", () => {
  const inside = loadSceneText(
    `${CANVAS}
    [[nodes.children.children]]
    kind = "!transform"
    rotate_x = 0.25
    translate = [1, 2, 3]
      [[nodes.children.children.children]]
      kind = "!sphere"
      color = [1, 0, 0]
      segmnets = 3
`,
    "scene.toml",
  );
  assertEquals(inside.warnings, [
    `scene.toml: nodes[0].children[0].children[0].children[0].segmnets: unknown attribute "segmnets" of !sphere; did you mean "segments"?`,
  ]);
  const outside = loadSceneText(
    `[[nodes]]\nkind = "!transform"\nrotate_x = 0.25\n`,
    "scene.toml",
  );
  assert(
    outside.warnings.length === 1 &&
      outside.warnings[0].includes(
        `unknown attribute "rotate_x" of !transform`,
      ),
    `2D !transform warns about rotate_x: ${outside.warnings}`,
  );
  const transform3d = inside.nodes[0].children[0].children[0];
  assert(transform3d.nodeKind === CANVAS3D_KINDS.get("transform"));
  assert(outside.nodes[0].nodeKind === NODE_KINDS.get("transform"));
});

Deno.test("attributes of Flitter's we leave out are warned about, not silently ignored", () => {
  const scene = loadSceneText(
    `${CANVAS}
    [[nodes.children.children]]
    kind = "!box"
    translucency = 10
    snap_edges = 0.1
`,
    "scene.toml",
  );
  assertEquals(scene.warnings.length, 2);
  assert(
    scene.warnings[0].includes(`unknown attribute "translucency" of !box`),
  );
  assert(scene.warnings[1].includes(`unknown attribute "snap_edges" of !box`));
});

// Which attributes `!webrtc` warns about when a scene is loaded: unknown
// names get a warning with a did-you-mean hint, as on other nodes, unless
// the node has a custom shader (whose uniforms other attributes may set).
import assert from "node:assert/strict";
import { loadSceneText } from "../../lib/scene/load_scene.ts";
import "../../lib/kinds.ts";

function warnings(attributes: string): readonly string[] {
  return loadSceneText(
    `[[nodes]]\nkind = "!webrtc"\n${attributes}\n`,
    "call.toml",
  ).warnings;
}

Deno.test("!webrtc warns about an attribute it does not know, with a did-you-mean hint", () => {
  assert.deepEqual(warnings(`ice_polcy = ":relay"`), [
    `call.toml: nodes[0].ice_polcy: unknown attribute "ice_polcy" of !webrtc; did you mean "ice_policy"?`,
  ]);
  assert.deepEqual(warnings(`stat = ":call"`), [
    `call.toml: nodes[0].stat: unknown attribute "stat" of !webrtc; did you mean "state"?`,
  ]);
  assert.equal(warnings(`tint = [1, 0, 0]`).length, 1);
});

Deno.test("!webrtc's own attributes and those of every program node pass without warnings", () => {
  assert.deepEqual(
    warnings(
      [
        `id = "call"`,
        `size = [320, 240]`,
        `state = ":call"`,
        `stats = ":stats"`,
        `codec = ":vp9"`,
        `bitrate = 1000000`,
        `ice = "turn:rig:pw@turn.example"`,
        `ice_policy = ":relay"`,
        `colorbits = 16`,
        `composite = ":over"`,
        `alpha = 0.5`,
        `hidden = false`,
      ].join("\n"),
    ),
    [],
  );
});

Deno.test("with a custom fragment= shader, other attributes of !webrtc are its uniforms and are not warned about", () => {
  assert.deepEqual(
    warnings(
      `fragment = "\${HEADER}\\nuniform vec3 tint;\\nout vec4 color;\\nvoid main() { color = vec4(tint, 1.0); }"\ntint = [1, 0, 0]`,
    ),
    [],
  );
});

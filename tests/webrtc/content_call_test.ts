// deno-test-isolated: makes a real WebRTC call (libwebrtc may abort when Deno tears the runtime down)
// The new content nodes in a call: one !webrtc node sends a !canvas3d
// picture (an inverted sphere lit by an ambient light fills the view with
// its colour), the other a !canvas picture (a filled rectangle over the
// whole image); each side must show the OTHER's colour. Run inside the
// loopback network namespace (scripts/in_loopback_netns.sh; `deno task
// test` does).
import assert from "node:assert/strict";
import { Engine } from "../../lib/engine/engine.ts";
import { sym } from "../../lib/expr/values.ts";
import { setLogLevel } from "../../lib/log/logger.ts";
import type { WebrtcNode } from "../../lib/webrtc/webrtc_node.ts";
import { holdUdpPort } from "../_udp_port.ts";
import { meanOfRgba, near, type Rgb } from "./_helpers.ts";

setLogLevel("warn");

/** What the scene sends from each side (8-bit sRGB of the linear colours). */
const RED_3D: Rgb = [255, 0, 0];
const BLUE_2D: Rgb = [0, 0, 255];

function scene(port: number): string {
  const broadcast = (role: string) => `
  [[nodes.children]]
  kind = "!broadcast"
  ${role} = "content-test"
  secret = "content-test"
  port = ${port}
  broadcast = "127.255.255.255"
`;
  return `
[[nodes]]
kind = "!webrtc"
id = "three_d"
size = [160, 120]
state = ":three_d"
${broadcast("call")}
  [[nodes.children]]
  kind = "!canvas3d"
  viewpoint = [0, 0, 10]
    [[nodes.children.children]]
    kind = "!light"
    color = 1
    [[nodes.children.children]]
    kind = "!sphere"
    size = 1000
    invert = true
    color = [1, 0, 0]

[[nodes]]
kind = "!webrtc"
id = "two_d"
size = [160, 120]
state = ":two_d"
${broadcast("answer")}
  [[nodes.children]]
  kind = "!canvas"
    [[nodes.children.children]]
    kind = "!rect"
    point = [0, 0]
    size = [160, 120]
    [[nodes.children.children]]
    kind = "!fill"
    color = [0, 0, 1]
`;
}

/** Mean colour of the middle of a node's output. */
function shown(engine: Engine, id: string): Rgb {
  const output = (engine.node(id) as WebrtcNode).output!;
  const target = engine.gl.convert(output, { flip: true });
  const rgba = engine.gl.readPixels(0, 0, target.width, target.height);
  return meanOfRgba(rgba, target.width, target.height, 0.25, 0.75);
}

Deno.test("a !canvas3d picture and a !canvas picture cross in a call: each side shows the other's", async () => {
  await using held = await holdUdpPort();
  const engine = Engine.fromText(scene(held.port), "content_call.toml", {
    fps: 30,
  });
  try {
    const deadline = performance.now() + 20_000;
    const connected = (id: string) =>
      engine.state.get(sym(id)) === sym("connected");
    // Before the call each node shows its own children's picture.
    engine.renderFrame();
    let threeD = shown(engine, "three_d");
    let twoD = shown(engine, "two_d");
    while (
      !(connected("three_d") && connected("two_d") &&
        near(threeD, BLUE_2D, 40) && near(twoD, RED_3D, 40))
    ) {
      if (performance.now() > deadline) {
        throw new Error(
          `the pictures did not cross: !canvas3d side shows ${threeD}, !canvas side shows ${twoD}`,
        );
      }
      await new Promise((resolve) => setTimeout(resolve, 33));
      engine.renderFrame();
      threeD = shown(engine, "three_d");
      twoD = shown(engine, "two_d");
    }
    assert.ok(near(threeD, BLUE_2D, 40), `${threeD}`);
    assert.ok(near(twoD, RED_3D, 40), `${twoD}`);
  } finally {
    await engine.dispose();
  }
});

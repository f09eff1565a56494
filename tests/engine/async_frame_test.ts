import assert from "node:assert/strict";
import { Engine } from "../../lib/engine/engine.ts";
import { setLogLevel } from "../../lib/log/logger.ts";
import {
  type Inherited,
  registerNodeKind,
  type RenderContext,
  SceneNode,
} from "../../lib/scene/node.ts";
import type { Attributes } from "../../lib/scene/attributes.ts";

setLogLevel("error");

/** What the probe nodes did, in order: `settle:ID`, `render:ID`, `timer`. */
const events: string[] = [];
/** How long a probe's settle takes (ms); 0: it has nothing to settle. */
let settleMs = 5;

class ProbeNode extends SceneNode {
  prepare(
    _ctx: RenderContext,
    _attrs: Attributes,
    inherited: Inherited,
  ): Inherited {
    return inherited;
  }
  override settle(): Promise<unknown> | null {
    if (settleMs === 0) return null;
    events.push(`settle:${this.id}`);
    return new Promise((resolve) => setTimeout(resolve, settleMs));
  }
  render(): void {
    events.push(`render:${this.id}`);
  }
}

registerNodeKind({
  name: "probe",
  settles: true,
  attributes: ["id", "size"],
  create: () => new ProbeNode(),
});

const SCENE = `
[[nodes]]
kind = "!probe"
id = "outer"

  [[nodes.children]]
  kind = "!probe"
  id = "inner"
`;

Deno.test("a real-time frame awaits each node's settle after its children, before its render, with the event loop running", async () => {
  events.length = 0;
  settleMs = 5;
  const engine = Engine.fromText(SCENE, "probe.toml", { fps: 30 });
  try {
    setTimeout(() => events.push("timer"), 0);
    await engine.renderFrameAsync();
    assert.deepEqual(events, [
      "settle:inner",
      "timer",
      "render:inner",
      "settle:outer",
      "render:outer",
    ]);
    assert.equal(engine.frame.frame, 1);
  } finally {
    engine.close();
  }
});

Deno.test("renderFrame goes straight through without settling", () => {
  events.length = 0;
  settleMs = 5;
  const engine = Engine.fromText(SCENE, "probe.toml", { fps: 30 });
  try {
    engine.renderFrame();
    assert.deepEqual(events, ["render:inner", "render:outer"]);
  } finally {
    engine.close();
  }
});

Deno.test("a scene reload waits for the frame in progress to end", async () => {
  events.length = 0;
  settleMs = 20;
  const file = await Deno.makeTempFile({ suffix: ".toml" });
  try {
    await Deno.writeTextFile(file, SCENE);
    const engine = await Engine.open(file, { fps: 30, watch: false });
    try {
      const frame = engine.renderFrameAsync();
      await Deno.writeTextFile(file, SCENE.replace('"inner"', '"renamed"'));
      const reload = engine.reload().then(() => events.push("reloaded"));
      await Promise.all([frame, reload]);
      assert.equal(events.at(-1), "reloaded");
      assert.deepEqual(events.slice(0, 4), [
        "settle:inner",
        "render:inner",
        "settle:outer",
        "render:outer",
      ]);
      settleMs = 0;
      await engine.renderFrameAsync();
      assert.equal(events.at(-2), "render:renamed");
    } finally {
      engine.close();
    }
  } finally {
    await Deno.remove(file);
  }
});

const FILL = `\${HEADER}
in vec2 coord;
out vec4 color;
uniform vec4 fill;
void main() { color = fill; }
`;

/** A window of `fill`; `extra` nodes first make GL names differ between engines. */
function windowScene(fill: string, extra = 0): string {
  const under = Array.from({ length: extra }, (_, i) => `
  [[nodes.children]]
  kind = "!shader"
  size = [${8 + i}, 8]
  fill = [0, 0, 1, 1]
  fragment = """${FILL}"""
`).join("");
  return `
[[nodes]]
kind = "!window"
id = "out"
size = [32, 32]
colorbits = 8
${under}
  [[nodes.children]]
  kind = "!probe"
  id = "wait"

  [[nodes.children]]
  kind = "!shader"
  fill = ${fill}
  fragment = """${FILL}"""
`;
}

Deno.test("two engines whose real-time frames interleave each draw into their own context", async () => {
  events.length = 0;
  settleMs = 3;
  const red = Engine.fromText(windowScene("[1, 0, 0, 1]"), "red.toml");
  const green = Engine.fromText(
    windowScene("[0, 1, 0, 1]", 3),
    "green.toml",
  );
  try {
    for (let frame = 0; frame < 3; frame++) {
      await Promise.all([red.renderFrameAsync(), green.renderFrameAsync()]);
    }
    // Both waited inside their frames at the same time.
    assert.ok(events.indexOf("settle:wait") < events.indexOf("render:wait"));
    assert.equal(events.slice(0, 2).join(), "settle:wait,settle:wait");
    const centre = (engine: Engine) => {
      engine.gl.makeCurrent(); // read from the engine's own context, whatever was current
      const image = engine.readImage("out");
      const at = (16 * image.width + 16) * 4;
      return [...image.data.subarray(at, at + 4)];
    };
    assert.deepEqual(centre(red), [255, 0, 0, 255]);
    assert.deepEqual(centre(green), [0, 255, 0, 255]);
  } finally {
    red.close();
    green.close();
  }
});

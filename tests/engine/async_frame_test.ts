import assert from "node:assert/strict";
import { Engine } from "../../lib/engine/engine.ts";
import { setLogLevel } from "../../lib/log/logger.ts";
import {
  registerNodeKind,
  type RenderContext,
  SceneNode,
  type Size,
} from "../../lib/render/node.ts";
import type { Attributes } from "../../lib/scene/attributes.ts";

setLogLevel("error");

/** What the probe nodes did, in order: `settle:ID`, `render:ID`, `timer`. */
const events: string[] = [];
/** How long a probe's settle takes (ms); 0: it has nothing to settle. */
let settleMs = 5;

class ProbeNode extends SceneNode {
  prepare(_ctx: RenderContext, _attrs: Attributes, inherited: Size): Size {
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

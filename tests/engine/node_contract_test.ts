/**
 * The node contract as a new node kind sees it: work handed over with
 * `ctx.track` outlives the node and is awaited by `Engine.dispose`, and
 * `colorbits=` reaches the subtree through `prepare`'s inheritance, with no
 * engine edit and no process-wide state.
 */
import assert from "node:assert/strict";
import { Engine } from "../../lib/engine/engine.ts";
import { Logger, type LogLevel, setLogLevel } from "../../lib/log/logger.ts";
import type { Attributes } from "../../lib/scene/attributes.ts";
import {
  type Inherited,
  registerNodeKind,
  type RenderContext,
  SceneNode,
} from "../../lib/scene/node.ts";

setLogLevel("error");

/** A logger that keeps what it is asked to log. */
class RecordingLogger extends Logger {
  readonly records: string[] = [];
  override log(level: LogLevel, message: string): void {
    this.records.push(`${level}: ${message}`);
  }
}

/** What `!closer` nodes did, in order. */
const events: string[] = [];
/** Resolves the closing work of the `!closer` destroyed last. */
let finishClosing: ((failure?: Error) => void) | null = null;

/** Destroying it starts closing work that ends only when the test says so. */
class CloserNode extends SceneNode {
  constructor(private readonly ctx: RenderContext) {
    super();
  }
  prepare(_ctx: RenderContext, _attrs: Attributes, inherited: Inherited) {
    return inherited;
  }
  render(): void {}
  override destroy(): void {
    events.push(`destroy:${this.id}`);
    const id = this.id;
    const work = new Promise<void>((resolve, reject) => {
      finishClosing = (failure) => failure ? reject(failure) : resolve();
    }).then(() => void events.push(`closed:${id}`));
    this.ctx.track(work, `closing ${id}`);
  }
}

registerNodeKind({
  name: "closer",
  attributes: ["id"],
  create: (ctx) => new CloserNode(ctx),
});

/** Records the `colorbits` default it inherited. */
class InheritanceProbe extends SceneNode {
  seen: number | null | undefined = undefined;
  prepare(_ctx: RenderContext, _attrs: Attributes, inherited: Inherited) {
    this.seen = inherited.colorbits;
    return inherited;
  }
  render(): void {}
}

registerNodeKind({
  name: "inheritance_probe",
  attributes: ["id"],
  create: () => new InheritanceProbe(),
});

Deno.test("dispose awaits the closing work a destroyed node tracked", async () => {
  events.length = 0;
  const engine = Engine.fromText(
    `[[nodes]]\nkind = "!closer"\nid = "a"\n`,
    "closer.toml",
  );
  engine.renderFrame();
  let disposed = false;
  const disposing = engine.dispose().then(() => disposed = true);
  // dispose destroyed the node at once, then waits for its work.
  assert.deepEqual(events, ["destroy:a"]);
  await Promise.resolve();
  assert.equal(disposed, false, "dispose waits for the tracked work");
  finishClosing!();
  await disposing;
  assert.deepEqual(events, ["destroy:a", "closed:a"]);
});

Deno.test("closing work of a node removed by a reload is tracked too; a failure is logged, not thrown", async () => {
  events.length = 0;
  const log = new RecordingLogger("engine");
  const engine = Engine.fromText(
    `[[nodes]]\nkind = "!closer"\nid = "b"\n`,
    "closer.toml",
    { log },
  );
  try {
    engine.renderFrame();
    assert.ok(engine.replaceText(`[[nodes]]\nkind = "!offscreen"\n`));
    assert.deepEqual(events, ["destroy:b"]);
    const settled = engine.settled();
    finishClosing!(new Error("disk full"));
    await settled;
    assert.ok(
      log.records.includes("error: closing b: disk full"),
      log.records.join("\n"),
    );
  } finally {
    await engine.dispose();
  }
});

Deno.test("colorbits= reaches the subtree through prepare; a sibling tree keeps its own default", () => {
  const engine = Engine.fromText(`
[[nodes]]
kind = "!offscreen"
colorbits = 32
  [[nodes.children]]
  kind = "!shader"
  id = "float"
  fragment = "\${HEADER}\\nout vec4 color;\\nvoid main() { color = vec4(1.0); }"
    [[nodes.children.children]]
    kind = "!inheritance_probe"
    id = "deep"

[[nodes]]
kind = "!offscreen"
  [[nodes.children]]
  kind = "!shader"
  id = "default"
  fragment = "\${HEADER}\\nout vec4 color;\\nvoid main() { color = vec4(1.0); }"
    [[nodes.children.children]]
    kind = "!inheritance_probe"
    id = "plain"
`);
  try {
    engine.renderFrame();
    assert.equal(engine.node("float")!.output?.format, "rgba32f");
    assert.equal((engine.node("deep") as InheritanceProbe).seen, 32);
    assert.equal(engine.node("default")!.output?.format, "rgba16f");
    assert.equal((engine.node("plain") as InheritanceProbe).seen, null);
  } finally {
    engine.close();
  }
});

// deno-test-isolated: libwebrtc may abort when Deno tears this runtime down
// WebRTC needs a network namespace with only `lo`: run inside
// scripts/in_loopback_netns.sh (`deno task test` does).
//
// `stats=` in a real call: two !webrtc nodes in one engine call each other
// over !broadcast; the figures appear in the scene state, scene expressions
// read them as the README shows, and they go back to null at hang-up.
import assert from "node:assert/strict";
import { Engine } from "../../lib/engine/engine.ts";
import { compileExpression } from "../../lib/expr/expression.ts";
import { formatValue, sym, type Value } from "../../lib/expr/values.ts";
import { setLogLevel } from "../../lib/log/logger.ts";
import { FIGURE_NAMES, figureKey } from "../../lib/webrtc/call_stats.ts";
import { holdUdpPort } from "../_udp_port.ts";

setLogLevel(Deno.env.get("FLITTER_TEST_LOG") === "debug" ? "debug" : "warn");

function scene(port: number, signalling = true): string {
  const node = (id: string, role: string, size: [number, number]) => `
[[nodes]]
kind = "!webrtc"
id = "${id}"
size = [${size.join(", ")}]
state = ":${id}"
stats = ":stats_${id}"
${
    signalling
      ? `
  [[nodes.children]]
  kind = "!broadcast"
  ${role} = "stats-test"
  secret = "stats"
  port = ${port}
  broadcast = "127.255.255.255"
`
      : ""
  }
  [[nodes.children]]
  kind = "!shader"
  fragment = """
\${HEADER}
in vec2 coord;
out vec4 color;
uniform float time;
void main() { color = vec4(coord, 0.5 + 0.5 * sin(time * 6.0), 1.0); }
"""
`;
  return node("a", "call", [320, 240]) + node("b", "answer", [256, 192]);
}

/** Evaluates a scene expression against the engine's state. */
function evaluate(engine: Engine, source: string): Value {
  return compileExpression(source).evaluate({
    lookup: () => undefined,
    state: (key) => engine.state.get(key),
    readText: () => null,
  });
}

async function renderUntil(
  engine: Engine,
  condition: () => boolean,
  what: string,
  timeoutMs = 15_000,
): Promise<void> {
  const deadline = performance.now() + timeoutMs;
  while (true) {
    engine.renderFrame();
    if (condition()) return;
    if (performance.now() > deadline) {
      throw new Error(`Timed out waiting for ${what}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 33));
  }
}

/** Every figure of node `id` and its `stats=` key itself, by name. */
function figures(engine: Engine, id: string): Record<string, Value> {
  const key = sym(`stats_${id}`);
  const all: Record<string, Value> = { "": engine.state.get(key) };
  for (const name of FIGURE_NAMES) {
    all[name] = engine.state.get(figureKey(key, name));
  }
  return all;
}

Deno.test("stats= puts a real call's figures in the scene state, readable as $(KEY;:NAME), and null after hang-up", async () => {
  await using held = await holdUdpPort();
  const engine = Engine.fromText(scene(held.port), "stats_test.toml", {
    fps: 30,
  });
  try {
    engine.renderFrame();
    assert.equal(engine.state.get(sym("stats_a")), null, "null before a call");
    await renderUntil(
      engine,
      () =>
        engine.state.get(sym("a")) === sym("connected") &&
        engine.state.get(sym("b")) === sym("connected"),
      "both nodes to connect",
    );
    // Rates come from the change between two reports, about a second apart.
    await renderUntil(
      engine,
      () =>
        evaluate(engine, "$(:stats_a;:fps_received) > 0") === 1 &&
        evaluate(engine, "$(:stats_b;:fps_received) > 0") === 1 &&
        evaluate(engine, "$(:stats_a;:bps_received) > 0") === 1,
      "frame rates received",
    );
    for (const [id, peerSize] of [["a", [256, 192]], ["b", [320, 240]]]) {
      const f = figures(engine, id as string);
      const describe = Object.entries(f).map(([name, value]) =>
        `${name}=${formatValue(value)}`
      ).join(" ");
      assert.equal(f[""], 1, `$:stats_${id} is true: ${describe}`);
      for (const name of ["fps_sent", "fps_received"]) {
        const fps = f[name] as number;
        assert.ok(fps > 0 && fps < 100, `${id} ${name}: ${describe}`);
      }
      for (const name of ["bps_sent", "bps_received"]) {
        const bps = f[name] as number;
        assert.ok(bps > 0 && bps < 50e6, `${id} ${name}: ${describe}`);
      }
      assert.ok(
        typeof f.rtt === "number" && f.rtt >= 0 && f.rtt < 1,
        `${id} rtt in seconds: ${describe}`,
      );
      assert.ok(
        typeof f.jitter === "number" && f.jitter >= 0 && f.jitter < 1,
        `${id} jitter in seconds: ${describe}`,
      );
      assert.ok(
        typeof f.packets_lost === "number" && f.packets_lost >= 0,
        `${id} packets_lost: ${describe}`,
      );
      assert.deepEqual(f.size, peerSize, `${id} received size: ${describe}`);
      assert.equal(f.codec_sent, sym("vp8"), describe);
      assert.equal(f.codec_received, sym("vp8"), describe);
      assert.equal(f.candidate, sym("host"), describe);
      assert.equal(f.remote_candidate, sym("host"), describe);
    }
    // As the README writes them in scenes:
    assert.equal(evaluate(engine, "$(:stats_a;:candidate) == :host"), 1);
    assert.equal(evaluate(engine, "$(:stats_a;:codec_received) == :vp8"), 1);
    assert.equal(evaluate(engine, "$(:stats_a;:size)[0]"), 256);

    // Hang up: without signalling the call ends and every figure is null.
    engine.replaceText(scene(held.port, false));
    await renderUntil(
      engine,
      () => engine.state.get(sym("a")) === null,
      "the call to end",
    );
    for (const id of ["a", "b"]) {
      for (const [name, value] of Object.entries(figures(engine, id))) {
        assert.equal(value, null, `${id} ${name} is null after hang-up`);
      }
    }
  } finally {
    await engine.dispose();
  }
});

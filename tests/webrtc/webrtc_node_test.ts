// deno-test-isolated: libwebrtc may abort when Deno tears this runtime down
// WebRTC needs a network namespace with only `lo`: run inside
// scripts/in_loopback_netns.sh (`deno task test` does).
import assert from "node:assert/strict";
import { Engine } from "../../lib/engine/engine.ts";
import { sym } from "../../lib/expr/values.ts";
import { setLogLevel } from "../../lib/log/logger.ts";
import {
  DEFAULT_BROADCAST_ADDRESS,
  startBroadcast,
} from "../../lib/signalling/broadcast.ts";
import { WrtcPeerSession } from "../../lib/webrtc/peer_session.ts";
import type {
  FrameConversion,
  WebrtcNode,
  WebrtcNodeOptions,
} from "../../lib/webrtc/webrtc_node.ts";
import { SignallingNode } from "../../lib/webrtc/signalling_node.ts";
import { halves, meanOfRgba, near, type Rgb, show } from "./_helpers.ts";
import { startStunServer } from "./_stun_server.ts";
import { holdUdpPort } from "../_udp_port.ts";

setLogLevel(Deno.env.get("FLITTER_TEST_LOG") === "debug" ? "debug" : "warn");

function srgb(linear: number): number {
  const c = linear <= 0.0031308
    ? linear * 12.92
    : 1.055 * linear ** (1 / 2.4) - 0.055;
  return Math.round(c * 255);
}

/** A `!shader` child whose top half is `top` and bottom half `bottom` (linear RGB). */
function halvesShader(top: number[], bottom: number[], extra = ""): string {
  return `
  [[nodes.children]]
  kind = "!shader"
  ${extra}
  fragment = """
\${HEADER}
in vec2 coord;
out vec4 color;
void main() {
    color = coord.y > 0.5 ? vec4(${top.join(", ")}, 1.0) : vec4(${
    bottom.join(", ")
  }, 1.0);
}
"""
`;
}

const A_TOP = [0.6, 0.05, 0.05];
const A_BOTTOM = [0.02, 0.02, 0.3];
const B_TOP = [0.05, 0.5, 0.05];
const B_BOTTOM = [0.8, 0.8, 0.2];
const rgb = (
  linear: number[],
): Rgb => [srgb(linear[0]), srgb(linear[1]), srgb(linear[2])];

function scene(
  port: number,
  options: {
    secret?: string;
    hideB?: boolean;
    signalling?: boolean;
    sizeB?: [number, number];
    /** `ice=` of node a (TOML text of the value). */
    iceA?: string;
  } = {},
): string {
  const secret = options.secret ?? "node-test";
  const signalling = options.signalling ?? true;
  const broadcast = (role: string) =>
    signalling
      ? `
  [[nodes.children]]
  kind = "!broadcast"
  ${role} = "node-test"
  secret = "${secret}"
  port = ${port}
  broadcast = "127.255.255.255"
`
      : "";
  return `
[[nodes]]
kind = "!webrtc"
id = "a"
size = [320, 240]
state = ":a"${options.iceA ? `\nice = ${options.iceA}` : ""}
${broadcast("call")}
${halvesShader(A_TOP, A_BOTTOM)}

[[nodes]]
kind = "!webrtc"
id = "b"
size = [${(options.sizeB ?? [256, 192]).join(", ")}]
state = ":b"
codec = ":vp9"
${broadcast("answer")}
${halvesShader(B_TOP, B_BOTTOM, options.hideB ? "hidden = true" : "")}
`;
}

/** Renders frames at ~30 fps until `condition()` holds. */
/** Whether nodes a and b both report `:connected`. */
function bothConnected(engine: Engine): boolean {
  return engine.state.get(sym("a")) === sym("connected") &&
    engine.state.get(sym("b")) === sym("connected");
}

async function renderUntil(
  engine: Engine,
  condition: () => boolean,
  what: string,
  timeoutMs = 15_000,
) {
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

/** Top and bottom quarter colours of a node's output (sRGB bytes). */
function outputHalves(
  engine: Engine,
  id: string,
): { top: Rgb; bottom: Rgb } {
  const node = engine.node(id) as WebrtcNode;
  const texture = node.output!;
  const target = engine.gl.convert(texture, { flip: true });
  const rgba = engine.gl.readPixels(0, 0, target.width, target.height);
  return {
    top: meanOfRgba(rgba, target.width, target.height, 0.05, 0.45),
    bottom: meanOfRgba(rgba, target.width, target.height, 0.55, 0.95),
  };
}

function shows(
  engine: Engine,
  id: string,
  top: Rgb,
  bottom: Rgb,
  tolerance = 16,
): boolean {
  const halves = outputHalves(engine, id);
  return near(halves.top, top, tolerance) &&
    near(halves.bottom, bottom, tolerance);
}

function describe(engine: Engine, id: string): string {
  const { top, bottom } = outputHalves(engine, id);
  return `${id} shows top ${show(top)}, bottom ${show(bottom)}`;
}

async function withEngine(
  text: string,
  body: (engine: Engine) => Promise<void> | void,
  webrtc: WebrtcNodeOptions = {},
): Promise<Engine> {
  const engine = Engine.fromText(text, "webrtc_test.toml", {
    fps: 30,
    nodeOptions: { webrtc },
  });
  try {
    await body(engine);
  } finally {
    await engine.dispose();
  }
  return engine;
}

Deno.test("two !webrtc nodes call each other over !broadcast and each shows the other's picture the right way up", async () => {
  await using held = await holdUdpPort();
  const port = held.port;
  const closed = await withEngine(scene(port), async (engine) => {
    engine.renderFrame();
    const a = engine.node("a") as WebrtcNode;
    const b = engine.node("b") as WebrtcNode;
    assert.equal(
      engine.state.get(sym("a")),
      null,
      "no peer connection before signalling started",
    );
    await renderUntil(
      engine,
      () => bothConnected(engine),
      "both nodes to report :connected",
    );
    try {
      await renderUntil(
        engine,
        () =>
          shows(engine, "a", rgb(B_TOP), rgb(B_BOTTOM)) &&
          shows(engine, "b", rgb(A_TOP), rgb(A_BOTTOM)),
        "each node to show the other's picture",
      );
    } catch (error) {
      throw new Error(
        `${(error as Error).message}: ${describe(engine, "a")}; ${
          describe(engine, "b")
        }`,
      );
    }
    // Outputs keep the node's size, whatever size the peer sends.
    assert.deepEqual([a.output!.width, a.output!.height], [320, 240]);
    assert.deepEqual([b.output!.width, b.output!.height], [256, 192]);
    assert.equal(b.session!.codec, "vp9");
    assert.ok(
      (await b.session!.stats())!.sendCodec?.toLowerCase().includes("vp9"),
    );
    assert.ok(a.session!.framesSent > 0 && b.session!.framesSent > 0);

    // B's only child hidden: B sends black.
    engine.replaceText(scene(port, { hideB: true }));
    try {
      await renderUntil(
        engine,
        () => shows(engine, "a", [16, 16, 16], [16, 16, 16], 16),
        "A to receive black",
      );
    } catch (error) {
      throw new Error(
        `${(error as Error).message}: ${describe(engine, "a")}`,
      );
    }
    assert.equal(
      engine.state.get(sym("a")),
      sym("connected"),
      "hiding a child does not restart the call",
    );
  });
  assert.equal(
    closed.state.get(sym("a")),
    null,
    "destroying the node clears its state key",
  );
});

/** Connects A and B and waits until each shows the other's two-colour picture the right way up. */
async function expectPictures(engine: Engine): Promise<void> {
  await renderUntil(
    engine,
    () => bothConnected(engine),
    "both nodes to report :connected",
  );
  try {
    await renderUntil(
      engine,
      () =>
        shows(engine, "a", rgb(B_TOP), rgb(B_BOTTOM)) &&
        shows(engine, "b", rgb(A_TOP), rgb(A_BOTTOM)),
      "each node to show the other's picture",
    );
  } catch (error) {
    throw new Error(
      `${(error as Error).message}: ${describe(engine, "a")}; ${
        describe(engine, "b")
      }`,
    );
  }
}

async function callWith(
  options: WebrtcNodeOptions & { frameConversion: "cpu" | "gpu" },
  sizeB: [number, number],
): Promise<void> {
  await using held = await holdUdpPort();
  const port = held.port;
  await withEngine(scene(port, { sizeB }), async (engine) => {
    await expectPictures(engine);
    const a = engine.node("a") as WebrtcNode;
    const b = engine.node("b") as WebrtcNode;
    assert.deepEqual([b.output!.width, b.output!.height], sizeB);
    // The engine's option chose the conversion of both nodes.
    assert.equal(a.receivePath, options.frameConversion);
    assert.equal(b.receivePath, options.frameConversion);
  }, options);
}

Deno.test("received frames converted by libyuv show right when both nodes have the same size", async () => {
  await callWith({ frameConversion: "cpu" }, [320, 240]);
});

Deno.test("received frames converted by the YUV shader show right and are scaled to the node's size", async () => {
  await callWith({ frameConversion: "gpu" }, [256, 192]);
});

Deno.test("pictures packed into I420 on the GPU are sent the right way up and in their colours", async () => {
  await callWith({ frameConversion: "cpu", sendConversion: "gpu" }, [256, 192]);
});

Deno.test("measuring both ways of making I420 sends right pictures meanwhile and settles on one", async () => {
  await using held = await holdUdpPort();
  const port = held.port;
  await withEngine(scene(port, { sizeB: [256, 192] }), async (engine) => {
    const a = () => engine.node("a") as WebrtcNode;
    const b = () => engine.node("b") as WebrtcNode;
    engine.renderFrame();
    assert.equal(a().sendPath, null);
    await expectPictures(engine);
    await renderUntil(
      engine,
      () => a().sendPath !== null && b().sendPath !== null,
      "both nodes to choose",
    );
    // Whichever won, the pictures still arrive the right way up.
    await expectPictures(engine);
  }, { sendConversion: "measure" });
});

Deno.test("an unknown !webrtc option or value is refused when a node is made, naming it", async () => {
  const text = scene(9, { signalling: false });
  for (
    const [webrtc, message] of [
      [{ frameConversion: "fpga" }, /frameConversion: "fpga" is not one of/],
      [{ sendConversoin: "gpu" }, /sendConversoin: no such option/],
    ] as const
  ) {
    const engine = Engine.fromText(text, "bad.toml", {
      nodeOptions: { webrtc },
    });
    try {
      assert.throws(() => engine.renderFrame(), message);
    } finally {
      await engine.dispose();
    }
  }
});

Deno.test("changing the signalling attributes of both nodes ends the call and connects again", async () => {
  await using held = await holdUdpPort();
  const port = held.port;
  await withEngine(scene(port), async (engine) => {
    await renderUntil(
      engine,
      () => bothConnected(engine),
      "the first call",
    );
    const firstSession = (engine.node("a") as WebrtcNode).session;
    const signallingNode = engine.node("a") as WebrtcNode;
    const before = signallingNode.signalling;
    engine.replaceText(scene(port, { secret: "another" }));
    const states = new Set<unknown>();
    await renderUntil(
      engine,
      () => {
        states.add(engine.state.get(sym("a")));
        return signallingNode.signalling !== before &&
          signallingNode.signalling !== null && bothConnected(engine);
      },
      "the second call",
    );
    assert.ok(
      states.has(null) || states.has(sym("new")) ||
        states.has(sym("connecting")),
      "the call was restarted",
    );
    assert.equal(
      (engine.node("a") as WebrtcNode).session,
      firstSession,
      "same codec and bitrate keep the session",
    );
  });
});

Deno.test("ice= gives a node's calls its STUN servers (bad URLs left out, with a warning); changing it makes a new session", async () => {
  await using held = await holdUdpPort();
  const port = held.port;
  const stun = await startStunServer({
    mapped: { address: "127.0.0.9", port: 40_124 },
  });
  try {
    const withStun = scene(port, {
      iceA: `["${stun.url}", "stun:bad host"]`,
    });
    await withEngine(withStun, async (engine) => {
      const a = () => engine.node("a") as WebrtcNode;
      await renderUntil(
        engine,
        () => bothConnected(engine),
        "the call with a STUN server",
      );
      assert.deepEqual(a().session!.iceServers, [{ urls: stun.url }]);
      assert.ok(stun.requests > 0, "no Binding request reached the server");
      const first = a().session;
      // Only a's attributes change: b answers again once it sees the call
      // gone (not awaited here).
      engine.replaceText(scene(port));
      await renderUntil(
        engine,
        () => a().session !== first && a().session !== null,
        "a new session without ICE servers",
      );
      assert.deepEqual(a().session!.iceServers, []);
    });
  } finally {
    await stun.close();
  }
});

Deno.test("the calling node steers the frame schedule toward the peer's frames, and lets go when the call ends", async () => {
  await using held = await holdUdpPort();
  const port = held.port;
  await withEngine(scene(port), async (engine) => {
    await renderUntil(
      engine,
      () => bothConnected(engine),
      "the call",
    );
    // Both nodes send as a frame renders and frames come 33 ms apart, so
    // each peer frame waits most of a frame before it is shown: the caller
    // (a) asks to start frames earlier once it has seen a window of them.
    let frames = 0;
    await renderUntil(
      engine,
      () => engine.pacer.owner !== null || ++frames > 150,
      "a request to steer",
    );
    assert.equal(engine.pacer.owner, engine.node("a"), "the caller steers");
    engine.replaceText(scene(port, { signalling: false }));
    await renderUntil(
      engine,
      () => engine.pacer.owner === null,
      "steering to be given up",
    );
  });
});

Deno.test("without signalling a !webrtc node shows its composited children and its state is null", async () => {
  await withEngine(scene(9, { signalling: false }), (engine) => {
    engine.renderFrame();
    engine.renderFrame();
    assert.ok(
      shows(engine, "a", rgb(A_TOP), rgb(A_BOTTOM), 2),
      describe(engine, "a"),
    );
    assert.ok(
      shows(engine, "b", rgb(B_TOP), rgb(B_BOTTOM), 2),
      describe(engine, "b"),
    );
    assert.equal((engine.node("a") as WebrtcNode).session, null);
    assert.equal(engine.state.get(sym("a")), null);
  });
});

Deno.test("signalling kinds are scene node kinds that keep their configuration", async () => {
  await using held = await holdUdpPort();
  const port = held.port;
  const engine = Engine.fromText(
    `
[[nodes]]
kind = "!webrtc"
id = "w"
  [[nodes.children]]
  kind = "!broadcast"
  id = "s"
  answer = "x"
  port = ${port}
`,
    "kinds.toml",
  );
  try {
    engine.renderFrame();
    const node = engine.node("s");
    assert.ok(node instanceof SignallingNode);
    assert.equal(node.kind.name, "broadcast");
    assert.deepEqual(
      { ...(node.config as Record<string, unknown>) },
      {
        role: "answer",
        id: "x",
        secret: "flitter_webrtc",
        port,
        host: "0.0.0.0",
        broadcast: DEFAULT_BROADCAST_ADDRESS,
      },
    );
  } finally {
    await engine.dispose();
  }
});

/** Like the caller example: a window holding the call and, beside it, a small copy of our own picture. */
function windowScene(
  port: number,
  name: string,
  role: string,
  top: number[],
  bottom: number[],
): string {
  const shader = halvesShader(top, bottom, `id = "content_${name}"`)
    .replaceAll("[[nodes.children]]", "[[nodes.children.children]]");
  return `
[[nodes]]
kind = "!window"
id = "window_${name}"
size = [320, 240]
colorbits = 8
  [[nodes.children]]
  kind = "!webrtc"
  id = "${name}"
  state = ":${name}"
    [[nodes.children.children]]
    kind = "!broadcast"
    ${role} = "node-test"
    port = ${port}
    broadcast = "127.255.255.255"
${shader}
  [[nodes.children]]
  kind = "!transform"
  if = "=$:${name} == :connected"
  scale = 0.25
    [[nodes.children.children]]
    kind = "!reference"
    id = "content_${name}"
`;
}

for (const mode of ["cpu", "gpu"] as const satisfies FrameConversion[]) {
  Deno.test(`a received frame (${mode} conversion) never lands in another node's picture`, async () => {
    await using held = await holdUdpPort();
    const port = held.port;
    // The other end: a bare session answering over !broadcast, sending B's picture.
    const peer = await WrtcPeerSession.create({ width: 320, height: 240 });
    const answering = startBroadcast({
      role: "answer",
      id: "node-test",
      secret: "flitter_webrtc",
      port,
      host: "0.0.0.0",
      broadcast: "127.255.255.255",
    }, peer);
    const picture = halves(320, 240, rgb(B_TOP), rgb(B_BOTTOM), false);
    try {
      await withEngine(
        windowScene(port, "a", "call", A_TOP, A_BOTTOM),
        async (engine) => {
          const frame = () => {
            engine.renderFrame();
            peer.sendFrame(picture, 320, 240, false);
          };
          await renderUntil(
            engine,
            () => {
              frame();
              return engine.state.get(sym("a")) === sym("connected") &&
                shows(engine, "a", rgb(B_TOP), rgb(B_BOTTOM));
            },
            "the node to show the peer's picture",
          );
          for (let i = 0; i < 10; i++) {
            frame();
            await new Promise((resolve) => setTimeout(resolve, 20));
          }
          // Our own picture is intact, and so is its small copy in the window's centre.
          assert.ok(
            shows(engine, "content_a", rgb(A_TOP), rgb(A_BOTTOM), 2),
            describe(engine, "content_a"),
          );
          const copy = regionMean(engine, "window_a", 0.42, 0.4, 0.58, 0.47);
          assert.ok(near(copy, rgb(A_TOP), 16), `window centre ${show(copy)}`);
          assert.equal((engine.node("a") as WebrtcNode).receivePath, mode);
        },
        { frameConversion: mode },
      );
    } finally {
      await answering.close();
      peer.close();
    }
  });
}

/** Mean colour of a node's output in the box from (`x0`, `y0`) to (`x1`, `y1`), fractions from the top left. */
function regionMean(
  engine: Engine,
  id: string,
  x0: number,
  y0: number,
  x1: number,
  y1: number,
): Rgb {
  const texture = engine.node(id)!.output!;
  const target = engine.gl.convert(texture, { flip: true });
  const { width, height } = target;
  const rgba = engine.gl.readPixels(0, 0, width, height);
  const sum = [0, 0, 0];
  let n = 0;
  for (let y = Math.round(height * y0); y < Math.round(height * y1); y++) {
    for (let x = Math.round(width * x0); x < Math.round(width * x1); x++) {
      for (let c = 0; c < 3; c++) sum[c] += rgba[(y * width + x) * 4 + c];
      n++;
    }
  }
  return [sum[0] / n, sum[1] / n, sum[2] / n];
}

Deno.test("children of !webrtc default to 8-bit sRGB and a lone child is used without compositing; colorbits= sets their default; siblings keep the tree's", async () => {
  const text = `
[[nodes]]
kind = "!webrtc"
id = "eight"
size = [64, 48]
${halvesShader(A_TOP, A_BOTTOM, `id = "eight_child"`)}

[[nodes]]
kind = "!webrtc"
id = "sixteen"
size = [64, 48]
colorbits = 16
${halvesShader(B_TOP, B_BOTTOM, `id = "sixteen_child"`)}

[[nodes]]
kind = "!shader"
id = "sibling"
size = [8, 8]
fragment = "\${HEADER}\\nout vec4 color;\\nvoid main() { color = vec4(1.0); }"
`;
  await withEngine(text, (engine) => {
    engine.renderFrame();
    engine.renderFrame();
    const eight = engine.node("eight") as WebrtcNode;
    const eightChild = engine.node("eight_child")!;
    assert.equal(eightChild.output?.format, "srgb8");
    assert.equal(
      eight.output,
      eightChild.output,
      "the child's image passed through",
    );
    assert.equal(eight.target, null);
    assert.ok(
      shows(engine, "eight", rgb(A_TOP), rgb(A_BOTTOM), 2),
      describe(engine, "eight"),
    );
    const sixteen = engine.node("sixteen") as WebrtcNode;
    assert.equal(engine.node("sixteen_child")!.output?.format, "rgba16f");
    assert.equal(
      sixteen.output?.format,
      "srgb8",
      "the node itself stays 8-bit",
    );
    assert.notEqual(sixteen.target, null, "composited");
    assert.ok(
      shows(engine, "sixteen", rgb(B_TOP), rgb(B_BOTTOM), 2),
      describe(engine, "sixteen"),
    );
    assert.equal(engine.node("sibling")!.output?.format, "rgba16f");
  });
});

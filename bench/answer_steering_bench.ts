/**
 * How long a caller's frames wait to be shown by an answering `!webrtc`
 * node when the caller does not steer its frames: Python aiortc (as the
 * original plugin) and Chromium with the example browser page; their offers
 * carry no steering mark (see `STEERING_MARK` in `lib/webrtc/sdp.ts`).
 *
 * An engine in this process renders a 640x360 `!webrtc` node at 30 fps on
 * its own frame schedule (as `Engine.run` does), answering over
 * `!websocket` through a server in this process; `tests/peer/flitter_peer.py
 * --moving`, then headless Chromium showing `examples/browser/index.html`,
 * calls it at 640x360, 30 fps. After 3 s of the call, for 10 s,
 * each newly shown peer frame's wait is taken: from its arrival to the
 * start of the frame that shows it. Alternate runs take the answerer as it
 * is now (it steers, since the offer is unmarked) and with steering off for
 * the answerer (the rule before: only the caller steers); the wait of the
 * latter depends on where the two schedules happen to fall, so several
 * runs are made of each, per caller.
 *
 * Run: `deno run -A bench/answer_steering_bench.ts [--runs=N]` (default 3
 * of each; it re-runs itself inside `scripts/in_loopback_netns.sh`) →
 * `bench/results/answer_steering.json`. Needs Debian's python3-aiortc and
 * chromium (a caller that is missing is skipped).
 *
 * @module
 */

import { Engine } from "../lib/engine/engine.ts";
import { loadNodeKinds } from "../lib/scene/load_scene.ts";
import { setLogLevel } from "../lib/log/logger.ts";
import { startSignallingServer } from "../lib/server/signalling_server.ts";
import { WrtcPeerSession } from "../lib/webrtc/peer_session.ts";
import type { WebrtcNode } from "../lib/webrtc/webrtc_node.ts";
import { startPythonPeer } from "../tests/peer/python_peer.ts";
import {
  chromiumIsInstalled,
  launchBrowser,
  openCallPage,
} from "../tests/browser/_browser_call.ts";
import { aiortcUnavailable } from "./_aiortc_reference.ts";
import { rerunInLoopbackNetns } from "./_loopback_netns.ts";

await rerunInLoopbackNetns(import.meta.url);
setLogLevel("warn");

const RUNS = Number(
  Deno.args.find((arg) => arg.startsWith("--runs="))?.slice(7) ?? 3,
);
const MEASURE_SECONDS = 10;
const WARMUP_MS = 3000;
const sleep = (ms: number) =>
  new Promise((resolve) => setTimeout(resolve, Math.max(0, ms)));
const round = (value: number) => Math.round(value * 10) / 10;

/** Who calls the rig. */
type Caller = "python" | "browser";

/** Starts `caller` calling "rig" in room "steering" of `url`; resolves to a function that stops it. */
async function startCaller(
  caller: Caller,
  url: string,
): Promise<() => Promise<unknown>> {
  if (caller === "python") {
    const peer = startPythonPeer([
      ...["--websocket", url, "--room", "steering", "--id", "py"],
      ...["--call", "rig", "--moving", "--size", "640x360", "--fps", "30"],
      "--stay-joined",
    ]);
    return () => peer.stop();
  }
  const call = await openCallPage(await launchBrowser(), {
    server: url,
    room: "steering",
    id: "browser",
    call: "rig",
    color: "#2060c0",
    size: "640x360",
    fps: 30,
  });
  return () => call.close();
}

/** The waits of one run and what the schedule did. */
interface RunFigures {
  caller: Caller;
  answererSteers: boolean;
  shownFps: number;
  renderedFps: number;
  waitMs: { mean: number; p50: number; p90: number; p99: number };
  steered: boolean;
}

/** The session's own `steers` (the rule now), or `false` for the answerer (the rule before). */
const ownSteers = Object.getOwnPropertyDescriptor(
  WrtcPeerSession.prototype,
  "steers",
)!;
function setAnswererSteering(on: boolean): void {
  Object.defineProperty(
    WrtcPeerSession.prototype,
    "steers",
    on ? ownSteers : { ...ownSteers, get: () => false },
  );
}

function scene(url: string): string {
  return `
[[nodes]]
kind = "!webrtc"
id = "rig"
size = [640, 360]
  [[nodes.children]]
  kind = "!shader"
  fragment = """
in vec2 coord;
out vec4 color;
uniform float beat;
void main() { color = vec4(coord.x, fract(beat), coord.y, 1.0); }
"""
  [[nodes.children]]
  kind = "!websocket"
  url = "${url}"
  room = "steering"
  id = "rig"
`;
}

async function run(
  caller: Caller,
  answererSteers: boolean,
): Promise<RunFigures> {
  setAnswererSteering(answererSteers);
  const server = await startSignallingServer({ host: "127.0.0.1", port: 0 });
  const engine = Engine.fromText(scene(server.url), "answer_steering.toml", {
    fps: 30,
    watch: false,
  });
  await loadNodeKinds(engine.model);
  const stopCaller = await startCaller(caller, server.url);
  try {
    const clockStart = performance.now();
    engine.pacer.start(clockStart);
    const deadline = clockStart + 30_000;
    let connectedAt: number | null = null;
    let last: unknown = null;
    let rendered = 0;
    const waits: number[] = [];
    while (true) {
      const began = performance.now();
      if (began > deadline) throw new Error("the call did not connect in 30 s");
      await engine.renderFrameAsync((began - clockStart) / 1000);
      const session = (engine.node("rig") as WebrtcNode).session;
      if (connectedAt === null && session?.connectionState === "connected") {
        connectedAt = began;
      }
      const since = connectedAt === null ? -1 : began - connectedAt;
      if (since > WARMUP_MS + MEASURE_SECONDS * 1000) break;
      const measuring = since > WARMUP_MS;
      if (measuring) rendered++;
      const frame = session?.latestFrame() ?? null;
      if (frame !== null && frame !== last) {
        last = frame;
        // A frame that came while this one settled waits (almost) nothing.
        if (measuring) waits.push(Math.max(0, began - frame.receivedAt));
      }
      await sleep(
        engine.pacer.nextStart(performance.now()) - performance.now(),
      );
    }
    waits.sort((a, b) => a - b);
    const at = (p: number) =>
      round(waits[Math.min(waits.length - 1, Math.floor(p * waits.length))]);
    return {
      caller,
      answererSteers,
      shownFps: round(waits.length / MEASURE_SECONDS),
      renderedFps: round(rendered / MEASURE_SECONDS),
      waitMs: {
        mean: round(waits.reduce((a, b) => a + b, 0) / waits.length),
        p50: at(0.5),
        p90: at(0.9),
        p99: at(0.99),
      },
      steered: engine.pacer.owner !== null,
    };
  } finally {
    await stopCaller();
    await engine.dispose();
    await server.close();
    setAnswererSteering(true);
  }
}

const callers: Caller[] = [];
const skipped: string[] = [];
const noPython = await aiortcUnavailable();
if (noPython === undefined) callers.push("python");
else skipped.push(`python: ${noPython}`);
if (chromiumIsInstalled()) callers.push("browser");
else skipped.push("browser: no /usr/bin/chromium");
for (const reason of skipped) console.error(`skipped ${reason}`);
const runs: RunFigures[] = [];
for (const caller of callers) {
  for (let i = 0; i < RUNS; i++) {
    for (const steers of [false, true]) {
      const figures = await run(caller, steers);
      runs.push(figures);
      console.log(
        `${caller} caller, answerer ${
          steers ? "steers" : "does not steer"
        }: wait mean ${figures.waitMs.mean} ms, p50 ${figures.waitMs.p50}, p99 ${figures.waitMs.p99}; shown ${figures.shownFps} of ${figures.renderedFps} fps`,
      );
    }
  }
}
const results = {
  date: new Date().toISOString(),
  deno: Deno.version.deno,
  cpus: navigator.hardwareConcurrency,
  note:
    "a 640x360 !webrtc node rendering at 30 fps answers a caller that does not steer (Python aiortc, then Chromium with the example page; 640x360 at 30 fps) over !websocket; wait = from a peer frame's arrival to the start of the frame that first shows it, over 10 s after 3 s of the call; runs alternate the answerer steering (the rule now) and not steering (the rule before)",
  skipped,
  runs,
};
await Deno.mkdir(new URL("results/", import.meta.url), { recursive: true });
await Deno.writeTextFile(
  new URL("results/answer_steering.json", import.meta.url),
  JSON.stringify(results, null, 2) + "\n",
);
console.log("written: bench/results/answer_steering.json");
// libwebrtc may crash when the runtime is torn down after a call; the results are written.
Deno.exit(0);

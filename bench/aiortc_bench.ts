/**
 * Reference benchmark: what the original's WebRTC stack (Python aiortc, as
 * Debian packages it) costs on this machine for the call that
 * `bench/call_bench.ts` measures for us — 1280x720 at 30 fps both ways.
 *
 * Two independent aiortc peers (`tests/peer/flitter_peer.py --moving`: the
 * same sliding bars and ball that our benchmark endpoints draw, made ahead,
 * so producing frames costs them nothing while the call runs) call each
 * other through our signalling server, twice:
 *
 * - `i420`: frames made ahead in I420, received frames left as they are —
 *   aiortc's codec pipeline alone;
 * - `rgb`: frames handed over as RGB (aiortc converts them for the encoder)
 *   and every received frame converted to RGB, as an endpoint that renders
 *   and shows frames on a GPU must (ours do both, with libyuv).
 *
 * Over a 10 s window after 15 s of warm-up (aiortc's bitrate ramps up to its
 * 1.5 Mbps ceiling meanwhile; `--warmup=S`, `--seconds=S` change them),
 * each peer reports its process CPU time (all threads), frames received and
 * video bytes sent. Our endpoints also render their frames (on llvmpipe
 * here), which `call.json` lists per thread (`llvmpipe-#`): compare
 * aiortc's figure with ours minus the render, at the same bitrate
 * (`deno run -A bench/call_bench.ts --bitrate=1500000`).
 *
 * Run: `deno run -A bench/aiortc_bench.ts` (it re-runs itself inside
 * `scripts/in_loopback_netns.sh` when not already there; needs Debian's
 * python3-aiortc, which `scripts/setup.sh --test` installs) →
 * `bench/results/aiortc.json` and a summary line per peer and variant.
 *
 * @module
 */

import { startSignallingServer } from "../lib/server/signalling_server.ts";
import {
  type FrameEvent,
  type PythonPeer,
  pythonPeerUnavailable,
  startPythonPeer,
} from "../tests/peer/python_peer.ts";

const ROOT = new URL("../", import.meta.url).pathname;
const WIDTH = 1280;
const HEIGHT = 720;
const FPS = 30;
/** `--warmup=S`: seconds between both peers connected and the window (aiortc's bitrate ramps up meanwhile). */
const WARMUP_SECONDS = Number(
  Deno.args.find((arg) => arg.startsWith("--warmup="))?.slice(9) ?? 15,
);
/** `--seconds=S`: length of the measured window. */
const MEASURE_SECONDS = Number(
  Deno.args.find((arg) => arg.startsWith("--seconds="))?.slice(10) ?? 10,
);

if (Deno.env.get("FLITTER_IN_NETNS") !== "1") {
  const { code } = await new Deno.Command(
    `${ROOT}scripts/in_loopback_netns.sh`,
    {
      args: [
        Deno.execPath(),
        "run",
        "-A",
        new URL(import.meta.url).pathname,
        ...Deno.args,
      ],
      stdout: "inherit",
      stderr: "inherit",
    },
  ).output();
  Deno.exit(code);
}

const unavailable = await pythonPeerUnavailable({ websocket: true });
if (unavailable !== undefined) {
  console.error(`aiortc benchmark skipped: ${unavailable}`);
  Deno.exit(1);
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const round = (value: number, digits = 1) =>
  Math.round(value * 10 ** digits) / 10 ** digits;

const isFrame = (event: { event: string }): event is FrameEvent =>
  event.event === "frame";

/** The peer's next frame report, with when it arrived (`performance.now()`). */
async function frameReportAfter(
  peer: PythonPeer,
  label: string,
): Promise<{ at: number; report: FrameEvent }> {
  const report = await peer.waitFor<FrameEvent>(
    isFrame,
    10_000,
    `a frame report from ${label}`,
    peer.history.length,
  );
  return { at: performance.now(), report };
}

/** One call between two aiortc peers; figures per peer over the window. */
async function measureCall(rgb: boolean): Promise<Record<string, unknown>[]> {
  const server = await startSignallingServer({ host: "127.0.0.1", port: 0 });
  const common = [
    "--websocket",
    server.url,
    "--room",
    "aiortc-bench",
    "--moving",
    ...(rgb ? ["--rgb"] : []),
    "--size",
    `${WIDTH}x${HEIGHT}`,
    "--fps",
    String(FPS),
    "--report-interval",
    "0.5",
  ];
  const peers = {
    A: startPythonPeer([...common, "--id", "a", "--call", "b"]),
    B: startPythonPeer([...common, "--id", "b"]),
  };
  try {
    for (const [label, peer] of Object.entries(peers)) {
      await peer.waitFor(
        (event) => event.event === "state" && event.state === "connected",
        60_000, // the peers make their 90 frames first (a few seconds)
        `${label} connected`,
      );
    }
    await sleep(WARMUP_SECONDS * 1000);
    const start = await Promise.all(
      Object.entries(peers).map(([label, peer]) =>
        frameReportAfter(peer, label)
      ),
    );
    await sleep(MEASURE_SECONDS * 1000);
    const end = await Promise.all(
      Object.entries(peers).map(([label, peer]) =>
        frameReportAfter(peer, label)
      ),
    );
    return Object.keys(peers).map((label, index) => {
      const seconds = (end[index].at - start[index].at) / 1000;
      const first = start[index].report;
      const last = end[index].report;
      const sentBytes = (last.sent_bytes ?? 0) - (first.sent_bytes ?? 0);
      return {
        peer: label,
        cpuPercentOfOneCore: round((last.cpu - first.cpu) / seconds * 100),
        receivedFps: round((last.count - first.count) / seconds),
        receivedSize: `${last.width}x${last.height}`,
        sendKbps: round(sentBytes * 8 / 1000 / seconds, 0),
        seconds: round(seconds, 2),
      };
    });
  } finally {
    await Promise.all(Object.values(peers).map((peer) => peer.stop()));
    await server.close();
  }
}

const variants = {
  i420:
    "frames made ahead in I420 and received frames left as they are: aiortc's codec pipeline alone",
  rgb:
    "frames handed over as RGB (aiortc converts them for the encoder) and every received frame converted to RGB, as an endpoint that renders and shows frames on a GPU must; our endpoints do both (with libyuv)",
};
const calls: Record<string, unknown> = {};
for (const [name, description] of Object.entries(variants)) {
  const peers = await measureCall(name === "rgb");
  calls[name] = { description, peers };
  for (const peer of peers) {
    console.log(
      `aiortc ${name} peer ${peer.peer}: ${peer.cpuPercentOfOneCore} % of a core, received ${peer.receivedFps} fps at ${peer.receivedSize}, sending ${peer.sendKbps} kbps`,
    );
  }
}

const output = {
  date: new Date().toISOString(),
  cores: navigator.hardwareConcurrency,
  note:
    `two aiortc peers (Debian python3-aiortc, tests/peer/flitter_peer.py --moving), ${WIDTH}x${HEIGHT} at ${FPS} fps both ways through our server; no rendering; CPU from each peer's time.process_time() (all threads) over the window, after ${WARMUP_SECONDS} s of warm-up (aiortc's bitrate reaches its 1.5 Mbps ceiling)`,
  warmupSeconds: WARMUP_SECONDS,
  measureSeconds: MEASURE_SECONDS,
  calls,
};
const path = `${ROOT}bench/results/aiortc.json`;
await Deno.writeTextFile(path, JSON.stringify(output, null, 2) + "\n");
console.log(`→ ${path}`);

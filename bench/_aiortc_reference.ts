/**
 * What the original's WebRTC stack (Python aiortc, as Debian packages it)
 * costs on this machine for the call that `bench/call_bench.ts` measures for
 * us: 1280x720 at 30 fps both ways.
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
 * After a warm-up (aiortc's bitrate ramps up to its 1.5 Mbps ceiling
 * meanwhile), each peer reports its process CPU time (all threads), frames
 * received and video bytes sent over the window. Our endpoints also render
 * their frames (on llvmpipe here), which the call benchmark lists per thread
 * (`llvmpipe-#`): compare aiortc's figure with ours minus the render, at the
 * same bitrate, and measured in the same minutes (this machine's speed
 * drifts by ±15 % over an hour): `deno run -A bench/call_bench.ts
 * --bitrate=1500000 --aiortc` does both.
 *
 * @module
 */

import { startSignallingServer } from "../lib/server/signalling_server.ts";
import {
  type FrameEvent,
  type PeerEvent,
  type PythonPeer,
  pythonPeerUnavailable,
  startPythonPeer,
} from "../tests/peer/python_peer.ts";

const WIDTH = 1280;
const HEIGHT = 720;
const FPS = 30;

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
async function measureCall(
  rgb: boolean,
  warmupSeconds: number,
  measureSeconds: number,
): Promise<AiortcPeerFigures[]> {
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
    await sleep(warmupSeconds * 1000);
    const start = await Promise.all(
      Object.entries(peers).map(([label, peer]) =>
        frameReportAfter(peer, label)
      ),
    );
    await sleep(measureSeconds * 1000);
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

const VARIANTS = {
  i420:
    "frames made ahead in I420 and received frames left as they are: aiortc's codec pipeline alone",
  rgb:
    "frames handed over as RGB (aiortc converts them for the encoder) and every received frame converted to RGB, as an endpoint that renders and shows frames on a GPU must; our endpoints do both (with libyuv)",
};
/** Figures of one aiortc peer over the measured window. */
export interface AiortcPeerFigures {
  peer: string;
  cpuPercentOfOneCore: number;
  receivedFps: number;
  receivedSize: string;
  sendKbps: number;
  seconds: number;
}

/** Both variants' calls (see the module documentation), with their descriptions. */
export interface AiortcReference {
  note: string;
  warmupSeconds: number;
  measureSeconds: number;
  calls: Record<
    keyof typeof VARIANTS,
    { description: string; peers: AiortcPeerFigures[] }
  >;
  /** Time to connected over `!websocket`-style signalling through our server (see {@linkcode measureAiortcConnect}). */
  connectWebsocket: AiortcConnectFigures;
}

/** Milliseconds from the later peer starting its signalling to both connected, over fresh pairs. */
export interface AiortcConnectFigures {
  description: string;
  runsMs: number[];
  median: number | null;
  errors: string[];
}

/**
 * Times `runs` fresh pairs of aiortc peers (640x360, as the call
 * benchmark's connect runs) calling through a server of ours: from the
 * later peer's start of signalling (before its WebSocket connects) to the
 * later `connected`, by the peers' own wall clocks.
 */
export async function measureAiortcConnect(
  runs = 5,
): Promise<AiortcConnectFigures> {
  const runsMs: number[] = [];
  const errors: string[] = [];
  const server = await startSignallingServer({ host: "127.0.0.1", port: 0 });
  try {
    for (let run = 0; run < runs; run++) {
      const common = [
        "--websocket",
        server.url,
        "--room",
        `aiortc-connect-${run}`,
        "--size",
        "640x360",
      ];
      const peers = [
        startPythonPeer([...common, "--id", "a", "--call", "b"]),
        startPythonPeer([...common, "--id", "b"]),
      ];
      try {
        const at = (step: (e: PeerEvent) => boolean, what: string) =>
          Promise.all(
            peers.map((peer) =>
              peer.waitFor(step, 30_000, what).then((e) => Number(e.t))
            ),
          );
        const started = await at(
          (e) => e.event === "signalling" && e.step === "start",
          "the start of signalling",
        );
        const connected = await at(
          (e) => e.event === "state" && e.state === "connected",
          "connected",
        );
        runsMs.push(
          Math.round((Math.max(...connected) - Math.max(...started)) * 10) /
            10,
        );
      } catch (error) {
        errors.push(error instanceof Error ? error.message : String(error));
      } finally {
        await Promise.all(peers.map((peer) => peer.stop()));
      }
    }
  } finally {
    await server.close();
  }
  const sorted = [...runsMs].sort((a, b) => a - b);
  return {
    description:
      "two aiortc peers (640x360) through our server: from the later peer's start of signalling to both connected",
    runsMs,
    median: sorted.length ? sorted[Math.floor(sorted.length / 2)] : null,
    errors,
  };
}

/**
 * Measures both variants one after the other, `warmupSeconds` after the
 * peers connected, over `measureSeconds`. Needs Debian's python3-aiortc
 * (see {@linkcode aiortcUnavailable}) and a loopback-only network namespace.
 */
export async function measureAiortcReference(
  warmupSeconds = 15,
  measureSeconds = 10,
): Promise<AiortcReference> {
  const calls = {} as AiortcReference["calls"];
  for (const name of Object.keys(VARIANTS) as (keyof typeof VARIANTS)[]) {
    const peers = await measureCall(
      name === "rgb",
      warmupSeconds,
      measureSeconds,
    );
    calls[name] = { description: VARIANTS[name], peers };
  }
  const connectWebsocket = await measureAiortcConnect();
  return {
    connectWebsocket,
    note:
      `two aiortc peers (Debian python3-aiortc, tests/peer/flitter_peer.py --moving), ${WIDTH}x${HEIGHT} at ${FPS} fps both ways through our server; no rendering; CPU from each peer's time.process_time() (all threads) over the window, after ${warmupSeconds} s of warm-up (aiortc's bitrate reaches its 1.5 Mbps ceiling)`,
    warmupSeconds,
    measureSeconds,
    calls,
  };
}

/** Why the reference cannot run here, or `undefined` when it can. */
export function aiortcUnavailable(): Promise<string | undefined> {
  return pythonPeerUnavailable({ websocket: true });
}

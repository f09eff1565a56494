/**
 * Fan-out benchmark: what one rig pays to reach N viewers, either by
 * publishing once with `!whip` into a media server that fans out (Janus's
 * VideoRoom behind Meetecho's simple-whip-server, Debian packages) or by
 * making N direct calls (N `!webrtc` nodes, each watched over our server's
 * WHEP endpoint), for N = 1, 4, 8.
 *
 * The rig is a real `cli.ts run` process rendering a moving picture with a
 * time code in it (tests/e2e/_time_code.ts; 640x360 by default) once and
 * sending it through its `!webrtc` node(s) (each a `!reference` to the
 * picture). The viewers are wrtc peers
 * in one process of their own (tests/e2e/_video_viewers.ts): Janus
 * subscribers on Janus's HTTP API, or WHEP clients. Everything runs in a
 * network namespace the benchmark builds (lo and an addressed veth: Janus's
 * ICE ignores loopback) and removes. Needs root and `scripts/setup.sh --test`.
 *
 * Per case, once every viewer receives frames, after `--settle` seconds:
 * over `--seconds`, the CPU time of the rig process (all threads, from
 * /proc/PID/stat), of Janus and simple-whip-server (or our server), the
 * frames per second each viewer received, and the glass-to-glass latency of
 * the frames the viewers decoded (rig's frame start → a viewer's sink; all
 * on this machine's clock).
 *
 * Run: `deno run -A bench/fanout_bench.ts [--viewers=1,4,8] [--seconds=15]
 * [--settle=5] [--size=640x360] [--fps=30]` → `bench/results/fanout.json`.
 *
 * @module
 */

import { join } from "node:path";
import { cpuSeconds } from "./_server_process.ts";
import { Endpoint, tempFolder } from "../tests/e2e/_endpoint.ts";
import {
  JANUS_ROOM,
  janusUnavailable,
  JanusWhip,
} from "../tests/e2e/_janus.ts";
import {
  createVethNamespace,
  type VethNamespace,
} from "../tests/e2e/_veth_netns.ts";
import {
  latestViewersReport,
  startVideoViewers,
  viewersReports,
} from "../tests/e2e/_video_viewers.ts";
import { TIME_CODE_FRAGMENT } from "../tests/e2e/_time_code.ts";
import { startServer } from "../tests/server/_server_process.ts";

const ROOT = new URL("../", import.meta.url).pathname;
const option = (name: string, fallback: string) =>
  Deno.args.find((arg) => arg.startsWith(`--${name}=`))?.split("=")[1] ??
    fallback;
const COUNTS = option("viewers", "1,4,8").split(",").map(Number);
const SECONDS = Number(option("seconds", "15"));
const SETTLE = Number(option("settle", "5"));
const [WIDTH, HEIGHT] = option("size", "640x360").split("x").map(Number);
const FPS = Number(option("fps", "30"));
/** The time code's epoch: the rig stamps its frames in ms since then. */
const EPOCH_MS = Date.now();

/**
 * The rig's scene: the picture rendered once (id `content`) and one
 * `!webrtc` per signalling node, each sending a `!reference` to it. The
 * window is small so that compositing the nodes' outputs costs little.
 */
function rigScene(signalling: string[]): string {
  const size = `[${WIDTH}, ${HEIGHT}]`;
  const calls = signalling.map((node, index) => `
  [[nodes.children]]
  kind = "!webrtc"
  size = ${size}
  state = ":call${index}"

    [[nodes.children.children]]
${node}

    [[nodes.children.children]]
    kind = "!reference"
    id = "content"
`).join("");
  return `[[nodes]]
kind = "!window"
size = [64, 36]
colorbits = 8

  [[nodes.children]]
  kind = "!shader"
  id = "content"
  size = ${size}
  stamp = "=(clock - EPOCH) * 1000"
  fragment = """
${TIME_CODE_FRAGMENT}"""
${calls}`;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** What one case measured. */
interface CaseFigures {
  viewers: number;
  /** The rig's CPU, % of one core. */
  rigCpuPercent: number;
  /** The media server's CPU (Janus + simple-whip-server, or our server), % of one core. */
  serverCpuPercent: number;
  /** Frames per second received, per viewer. */
  viewerFps: number[];
  /** Glass-to-glass latency over the window, all viewers' frames together (ms). */
  latencyMs: { p50: number; p99: number; frames: number } | null;
}

/** Runs one case: starts the servers and the rig, then the viewers; measures. */
async function runCase(
  net: VethNamespace,
  mode: "janus" | "direct",
  count: number,
): Promise<CaseFigures> {
  const dir = await tempFolder();
  const stops: (() => Promise<unknown>)[] = [];
  try {
    let signalling: string[];
    let viewerArgs: string[];
    let serverPids: number[];
    /** Resolves once the rig's calls can be watched. */
    let ready = () => Promise.resolve();
    if (mode === "janus") {
      const folder = join(dir.path, "janus");
      await Deno.mkdir(folder);
      const media = await JanusWhip.start(net, folder);
      stops.push(() => media.stop());
      signalling = [`    kind = "!whip"\n    url = "${media.whipUrl}"`];
      viewerArgs = [
        `--janus=${media.janusUrl}`,
        `--room=${JANUS_ROOM}`,
        `--count=${count}`,
      ];
      serverPids = [media.janus.pid, media.whipServer.pid];
    } else {
      const server = await startServer(["--debug"], { netns: net.name });
      stops.push(() => server.stop());
      signalling = [];
      viewerArgs = [];
      const http = server.url.replace(/^ws/, "http");
      for (let index = 0; index < count; index++) {
        signalling.push(
          `    kind = "!websocket"\n    url = "${server.url}"\n` +
            `    room = "fan"\n    id = "stage${index}"`,
        );
        viewerArgs.push(`--whep=${http}whep/fan/stage${index}`);
      }
      serverPids = [server.child.pid];
      ready = async () => {
        const deadline = Date.now() + 30_000;
        while (
          (server.output().match(/joined room "fan"/g) ?? []).length < count
        ) {
          if (Date.now() > deadline) {
            throw new Error(`the rig did not join ${count} times in 30 s`);
          }
          await sleep(100);
        }
      };
    }
    const scene = join(dir.path, "rig.toml");
    await Deno.writeTextFile(scene, rigScene(signalling));
    const rig = Endpoint.start({
      name: "rig",
      scene,
      fps: FPS,
      netns: net.name,
      defines: { EPOCH: EPOCH_MS / 1000 },
    });
    stops.push(() => rig.stop());
    await ready();
    const viewers = startVideoViewers(net.name, [
      `--time-code-epoch=${EPOCH_MS}`,
      ...viewerArgs,
    ]);
    stops.unshift(() => viewers.stop());
    const deadline = Date.now() + 60_000;
    while (true) {
      const report = latestViewersReport(viewers.output);
      if (
        report?.viewers.length === count &&
        report.viewers.every((viewer) => viewer.frames > 0)
      ) break;
      if (Date.now() > deadline || viewers.status !== null) {
        throw new Error(
          `${mode} ×${count}: the viewers did not all receive frames in 60 s\n` +
            `${viewers.output.slice(-2000)}\n${rig.describe()}`,
        );
      }
      await sleep(200);
    }
    await sleep(SETTLE * 1000);
    const framesBefore = latestViewersReport(viewers.output)!.viewers.map((v) =>
      v.frames
    );
    const rigBefore = cpuSeconds(rig.pid);
    const serverBefore = serverPids.map(cpuSeconds);
    const started = performance.now();
    const startedAt = Date.now();
    await sleep(SECONDS * 1000);
    const elapsed = (performance.now() - started) / 1000;
    const endedAt = Date.now();
    const rigCpu = cpuSeconds(rig.pid) - rigBefore;
    const serverCpu = serverPids.map(cpuSeconds)
      .reduce((sum, value, index) => sum + value - serverBefore[index], 0);
    const framesAfter = latestViewersReport(viewers.output)!.viewers.map((v) =>
      v.frames
    );
    const figures: CaseFigures = {
      viewers: count,
      rigCpuPercent: round(100 * rigCpu / elapsed),
      serverCpuPercent: round(100 * serverCpu / elapsed),
      viewerFps: framesAfter.map((frames, index) =>
        round((frames - framesBefore[index]) / elapsed)
      ),
      latencyMs: latencies(viewers.output, startedAt, endedAt),
    };
    console.log(`${mode} ×${count}: ${JSON.stringify(figures)}`);
    return figures;
  } finally {
    for (const stop of stops) await stop().catch(() => {});
    await dir.remove();
  }
}

const round = (value: number) => Math.round(value * 10) / 10;

/** The viewers' latencies reported between `from` and `to` (Date.now() ms). */
function latencies(output: string, from: number, to: number) {
  const all = viewersReports(output)
    .filter((report) => report.at > from && report.at <= to)
    .flatMap((report) => report.viewers.flatMap((v) => v.latencies ?? []))
    .sort((a, b) => a - b);
  if (all.length === 0) return null;
  const at = (p: number) =>
    all[Math.min(all.length - 1, Math.floor(p * all.length))];
  return { p50: at(0.5), p99: at(0.99), frames: all.length };
}

const unavailable = await janusUnavailable();
if (unavailable) {
  console.error(`fanout_bench: ${unavailable}`);
  Deno.exit(1);
}
const net = await createVethNamespace("flt-fan");
const results: Record<string, CaseFigures[]> = { janus: [], direct: [] };
try {
  for (const count of COUNTS) {
    for (const mode of ["janus", "direct"] as const) {
      results[mode].push(await runCase(net, mode, count));
    }
  }
} finally {
  await net.remove();
}
const output = {
  date: new Date().toISOString(),
  cores: navigator.hardwareConcurrency,
  deno: Deno.version.deno,
  picture:
    `${WIDTH}x${HEIGHT} at ${FPS} fps (moving bars, a ball and a time code), VP8 at the node's default bitrate`,
  note:
    "CPU in % of one core over the window, from /proc/PID/stat (all threads); " +
    "'janus' = one !whip publish into Janus's VideoRoom through simple-whip-server, N subscribers on Janus's HTTP API; " +
    "'direct' = N !webrtc nodes (one render, N encoders), each watched over our server's WHEP; " +
    "viewers are wrtc peers in one process; everything on this machine in one network namespace",
  seconds: SECONDS,
  ...results,
};
await Deno.mkdir(join(ROOT, "bench/results"), { recursive: true });
await Deno.writeTextFile(
  join(ROOT, "bench/results/fanout.json"),
  JSON.stringify(output, null, 2) + "\n",
);
console.log("written bench/results/fanout.json");

/**
 * Call benchmark: two real endpoints (each `bench/_call_endpoint.ts` in its
 * own Deno process: an engine with one `!webrtc` node) on loopback.
 *
 * 1. Time to `:connected` after signalling starts, from the later
 *    endpoint's start to both peer connections `connected`:
 *    `!websocket` through our server (both start together), `!broadcast`
 *    answerer first (the caller starts 0.5 s later), and `!broadcast`
 *    caller first (the answerer starts 1–3 s later). Several runs each, a
 *    fresh pair of processes per run (started ahead, so process start-up is
 *    not counted; key derivation and the first peer connection are).
 * 2. A 1280x720, 30 fps call both ways for 10 s (after 3 s of warm-up):
 *    frames received and shown per second, the received size, bitrates, and
 *    the CPU time of each endpoint process (`/proc/self/stat` utime+stime
 *    over the window, as a share of one core).
 * 3. Glass-to-glass latency: each sender draws its frame time (the engine's
 *    `clock`, `Date.now()` at the start of the frame) as 32 black/white
 *    blocks; each receiver reads 4 rows of its `!webrtc` output per frame,
 *    decodes them and records `Date.now() - sent` for every new code. The
 *    reading costs the receiver a little (a small `glReadPixels`, which also
 *    waits for the frame's GPU work) and is part of the CPU figure.
 * 4. `bench/server_bench.ts` (run first unless `--skip-server-bench`), whose
 *    figures from `bench/results/server.json` are included.
 *
 * Run: `deno run -A bench/call_bench.ts` (it re-runs itself inside
 * `scripts/in_loopback_netns.sh` when not already there) →
 * `bench/results/call.json` and a summary table. Options: `--quick` (fewer
 * runs, 5 s call), `--skip-server-bench`, `--conversion=cpu|gpu` (where
 * received frames are converted, see `FrameConversion`), `--log=debug`
 * (print the endpoints' log records), `--field-trials=TRIALS` (libwebrtc
 * field trials instead of the built-in low-latency set; empty for
 * libwebrtc's defaults), `--bitrate=N` (the `!webrtc` nodes' `bitrate=`),
 * `--out=NAME` (write `bench/results/NAME.json` instead), `--aiortc` (right
 * after the 720p call, the same call between two Python aiortc peers, for
 * comparison: see `bench/_aiortc_reference.ts`), `--busy` (a third
 * process keeps one core busy for the whole run, as a machine that also
 * runs other work, or a second rig on the same box, has it; results go to
 * `bench/results/call_busy.json` unless `--out=` says otherwise).
 *
 * @module
 */

import { setLogLevel } from "../lib/log/logger.ts";
import { LOW_LATENCY_FIELD_TRIALS } from "../lib/webrtc/field_trials.ts";
import { startSignallingServer } from "../lib/server/signalling_server.ts";
import {
  type AiortcReference,
  aiortcUnavailable,
  measureAiortcReference,
} from "./_aiortc_reference.ts";
import type {
  EndpointOptions,
  EndpointResult,
  StreamFigures,
} from "./_call_endpoint.ts";
import { rerunInLoopbackNetns } from "./_loopback_netns.ts";

const args = new Set(Deno.args);
const QUICK = args.has("--quick");
const SKIP_SERVER_BENCH = args.has("--skip-server-bench");
/** `--log=debug` (or another level): endpoints log at that level and their messages are printed. */
/** `--conversion=cpu` or `gpu`: where endpoints convert received frames (default: the node's choice). */
const CONVERSION = Deno.args.find((arg) => arg.startsWith("--conversion="))
  ?.slice(13) as EndpointOptions["conversion"];
const LOG_LEVEL = Deno.args.find((arg) => arg.startsWith("--log="))?.slice(
  6,
) as EndpointOptions["logLevel"];
/** `--field-trials=…`: the endpoints' libwebrtc field trials (absent: the built-in set). */
/** `--bitrate=N`: the `!webrtc` nodes' bitrate= (absent: the default for their size). */
const BITRATE = Number(
  Deno.args.find((arg) => arg.startsWith("--bitrate="))?.slice(10) ?? NaN,
) || undefined;
const FIELD_TRIALS = Deno.args.find((arg) => arg.startsWith("--field-trials="))
  ?.slice(15);
/**
 * `CALL_BENCH_DENO_FLAGS`: Deno flags added to each endpoint's `deno run`
 * (e.g. `--cpu-prof --cpu-prof-dir=/tmp/prof` to profile its JS thread).
 */
const ENDPOINT_DENO_FLAGS = Deno.env.get("CALL_BENCH_DENO_FLAGS")?.split(" ")
  .filter(Boolean) ?? [];
/** `--aiortc`: also measure aiortc's own 720p call (see `_aiortc_reference.ts`). */
const AIORTC = args.has("--aiortc");
/** `--busy`: a third process keeps one core busy throughout. */
const BUSY = args.has("--busy");
/** `--out=NAME`: results go to `bench/results/NAME.json` (default `call`, or `call_busy`). */
const OUT = Deno.args.find((arg) => arg.startsWith("--out="))?.slice(6) ||
  (BUSY ? "call_busy" : "call");
const ROOT = new URL("../", import.meta.url).pathname;
const ENDPOINT = new URL("./_call_endpoint.ts", import.meta.url).pathname;

// WebRTC must only see `lo`: run again inside a loopback-only namespace.
await rerunInLoopbackNetns(import.meta.url);

setLogLevel("warn");

const round = (value: number, digits = 1) => Number(value.toFixed(digits));
const now = () => performance.timeOrigin + performance.now();
const sleep = (ms: number) =>
  new Promise((resolve) => setTimeout(resolve, Math.max(0, ms)));
const percentile = (values: number[], p: number) => {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[
    Math.min(sorted.length - 1, Math.max(0, Math.ceil(p * sorted.length) - 1))
  ];
};
const median = (values: number[]) => percentile(values, 0.5);
const loadAverage = () =>
  Deno.readTextFileSync("/proc/loadavg").split(" ").slice(0, 3).map(Number);

const EPOCH_MS = Date.now();
/** Time from "both ready" to the common start moment. */
const START_MARGIN_MS = 200;

type Endpoint = Omit<EndpointOptions, "epochMs">;

/** Reads lines from a byte stream. */
async function* lines(
  stream: ReadableStream<Uint8Array>,
): AsyncGenerator<string> {
  let buffer = "";
  for await (const chunk of stream.pipeThrough(new TextDecoderStream())) {
    buffer += chunk;
    let newline;
    while ((newline = buffer.indexOf("\n")) >= 0) {
      yield buffer.slice(0, newline);
      buffer = buffer.slice(newline + 1);
    }
  }
  if (buffer.length > 0) yield buffer;
}

/**
 * Runs two endpoint processes; once both are set up (Deno, wrtc and EGL
 * loaded), each starts `startDelayMs` after a common moment.
 */
async function runPair(
  endpoints: [Endpoint, Endpoint],
): Promise<[EndpointResult, EndpointResult]> {
  let release: (at: number) => void = () => {};
  const go = new Promise<number>((resolve) => release = resolve);
  let ready = 0;
  const runs = endpoints.map(async (endpoint): Promise<EndpointResult> => {
    const options: EndpointOptions = {
      ...endpoint,
      epochMs: EPOCH_MS,
      logLevel: LOG_LEVEL,
      conversion: CONVERSION,
      fieldTrials: FIELD_TRIALS,
      bitrate: BITRATE,
    };
    const limitMs = 30_000 + endpoint.startDelayMs + endpoint.connectTimeoutMs +
      (endpoint.warmupSeconds + endpoint.measureSeconds +
          endpoint.lingerSeconds) * 1000;
    const child = new Deno.Command(Deno.execPath(), {
      args: [
        "run",
        "-A",
        ...ENDPOINT_DENO_FLAGS,
        ENDPOINT,
        JSON.stringify(options),
      ],
      stdin: "piped",
      stdout: "piped",
      stderr: "piped",
      signal: AbortSignal.timeout(limitMs),
    }).spawn();
    const stderr = new Response(child.stderr).text();
    const failed = (problem: string): EndpointResult => ({
      label: endpoint.label,
      lateMs: 0,
      startedAt: 0,
      signallingAt: null,
      connectedAt: null,
      error: problem,
    });
    let result: EndpointResult | null = null;
    let sentStart = false;
    const logged: string[] = [];
    for await (const line of lines(child.stdout)) {
      if (line === "ready" && !sentStart) {
        sentStart = true;
        if (++ready === 2) release(now() + START_MARGIN_MS);
        const writer = child.stdin.getWriter();
        await writer.write(new TextEncoder().encode(`${await go}\n`)).then(() =>
          writer.close()
        ).catch(() => {});
      } else if (line.startsWith("{")) {
        result = JSON.parse(line) as EndpointResult;
      } else logged.push(line); // info and debug records go to stdout
    }
    const status = await child.status;
    if (!sentStart) release(now()); // let the other side go on (and fail) rather than hang
    if (LOG_LEVEL) {
      console.log(
        `--- ${endpoint.label}\n${logged.join("\n")}\n${await stderr}`,
      );
    }
    if (result !== null) return result;
    const tail = (await stderr).trim().split("\n").slice(-8).join("\n");
    return failed(
      `endpoint exited with ${status.code} without a result: ${tail}`,
    );
  });
  return await Promise.all(runs) as [EndpointResult, EndpointResult];
}

/** ms from the later start to the later `connected`, or `null` when a side failed. */
function connectMs([a, b]: [EndpointResult, EndpointResult]): number | null {
  if (a.connectedAt === null || b.connectedAt === null) return null;
  return Math.max(a.connectedAt, b.connectedAt) -
    Math.max(a.startedAt, b.startedAt);
}

/**
 * ms from the later start of signalling (after each side's first frame) to
 * the later `connected`: what the aiortc reference measures for its peers
 * (they render nothing), or `null` when a side failed.
 */
function signallingToConnectedMs(
  [a, b]: [EndpointResult, EndpointResult],
): number | null {
  if (a.connectedAt === null || b.connectedAt === null) return null;
  if (a.signallingAt === null || b.signallingAt === null) return null;
  return Math.max(a.connectedAt, b.connectedAt) -
    Math.max(a.signallingAt, b.signallingAt);
}

const CONNECT_SIZE = { width: 640, height: 360, fps: 30 };
const CONNECT_TIMING = {
  warmupSeconds: 0,
  measureSeconds: 0,
  lingerSeconds: 1,
  connectTimeoutMs: 30_000,
};

function websocketChild(
  url: string,
  room: string,
  id: string,
  call: string | null,
): string {
  return `  [[nodes.children]]
  kind = "!websocket"
  url = "${url}"
  room = "${room}"
  id = "${id}"${call === null ? "" : `\n  call = "${call}"`}`;
}

function broadcastChild(
  role: "call" | "answer",
  id: string,
  port: number,
): string {
  return `  [[nodes.children]]
  kind = "!broadcast"
  ${role} = "${id}"
  secret = "call-bench"
  port = ${port}
  broadcast = "127.255.255.255"`;
}

interface ConnectSeries {
  description: string;
  ms:
    | { median: number; max: number; min: number; runs: number; failed: number }
    | null;
  runsMs: (number | null)[];
  /** The same runs from the later start of signalling (after the first frame), as aiortc's figure is taken. */
  fromSignallingMs: { median: number; min: number; max: number } | null;
  fromSignallingRunsMs: (number | null)[];
  errors: string[];
}

function series(
  description: string,
  results: [EndpointResult, EndpointResult][],
): ConnectSeries {
  const runsMs = results.map(connectMs).map((ms) =>
    ms === null ? null : round(ms)
  );
  const ok = runsMs.filter((ms): ms is number => ms !== null);
  const fromSignallingRunsMs = results.map(signallingToConnectedMs).map((ms) =>
    ms === null ? null : round(ms)
  );
  const signalled = fromSignallingRunsMs.filter((ms): ms is number =>
    ms !== null
  );
  return {
    description,
    ms: ok.length === 0 ? null : {
      median: median(ok),
      max: Math.max(...ok),
      min: Math.min(...ok),
      runs: ok.length,
      failed: runsMs.length - ok.length,
    },
    runsMs,
    fromSignallingMs: signalled.length === 0 ? null : {
      median: median(signalled),
      min: Math.min(...signalled),
      max: Math.max(...signalled),
    },
    fromSignallingRunsMs,
    errors: results.flatMap((pair) =>
      pair.flatMap((r) => r.error ? [`${r.label}: ${r.error}`] : [])
    ),
  };
}

let nextPort = 5600 + Math.floor(Math.random() * 2000);

async function benchConnect(serverUrl: string) {
  const runs = QUICK ? 3 : 5;
  const websocket: [EndpointResult, EndpointResult][] = [];
  for (let i = 0; i < runs; i++) {
    const room = `bench-${i}-${Math.random().toString(36).slice(2)}`;
    websocket.push(
      await runPair([
        {
          label: "ws-answer",
          signalling: websocketChild(serverUrl, room, "b", null),
          startDelayMs: 0,
          ...CONNECT_SIZE,
          ...CONNECT_TIMING,
        },
        {
          label: "ws-call",
          signalling: websocketChild(serverUrl, room, "a", "b"),
          startDelayMs: 0,
          ...CONNECT_SIZE,
          ...CONNECT_TIMING,
        },
      ]),
    );
  }
  const broadcastRun = (callerDelayMs: number, answererDelayMs: number) => {
    const id = `bench-${Math.random().toString(36).slice(2)}`;
    const port = nextPort++;
    return runPair([
      {
        label: "bc-answer",
        signalling: broadcastChild("answer", id, port),
        startDelayMs: answererDelayMs,
        ...CONNECT_SIZE,
        ...CONNECT_TIMING,
      },
      {
        label: "bc-call",
        signalling: broadcastChild("call", id, port),
        startDelayMs: callerDelayMs,
        ...CONNECT_SIZE,
        ...CONNECT_TIMING,
      },
    ]);
  };
  const answererFirst: [EndpointResult, EndpointResult][] = [];
  for (let i = 0; i < runs; i++) answererFirst.push(await broadcastRun(500, 0));
  const callerFirst: [EndpointResult, EndpointResult][] = [];
  const delays = QUICK ? [1000, 2000, 3000] : [1000, 1500, 2000, 2500, 3000];
  for (const delay of delays) callerFirst.push(await broadcastRun(0, delay));
  const renderer = websocket[0]?.[0].renderer ?? null;
  return {
    renderer,
    note:
      `ms from the later endpoint's start to both connected; ${CONNECT_SIZE.width}x${CONNECT_SIZE.height} ` +
      "!webrtc nodes, one fresh pair of processes per run",
    websocket: series(
      "!websocket via our server, both endpoints start together",
      websocket,
    ),
    broadcastAnswererFirst: series(
      "!broadcast, the caller starts 0.5 s after the answerer",
      answererFirst,
    ),
    broadcastCallerFirst: {
      ...series(
        `!broadcast, the answerer starts ${
          delays.join("/")
        } ms after the caller`,
        callerFirst,
      ),
      answererDelaysMs: delays,
    },
  };
}

function latencySummary(values: number[]) {
  if (values.length === 0) return null;
  return {
    p50: percentile(values, 0.5),
    mean: round(values.reduce((sum, value) => sum + value, 0) / values.length),
    p90: percentile(values, 0.9),
    p99: percentile(values, 0.99),
    min: Math.min(...values),
    max: Math.max(...values),
    count: values.length,
  };
}

function direction(from: string, to: EndpointResult) {
  const s = to.stream as StreamFigures;
  const sizes = Object.entries(s.receivedSizes).sort((a, b) => b[1] - a[1]);
  return {
    direction: `${from} → ${to.label}`,
    receivedFps: round(s.framesReceived / s.seconds),
    shownFps: round(s.distinctFramesShown / s.seconds),
    shownPerSecond: s.shownPerSecond,
    receivedSize: sizes[0]?.[0] ?? null,
    receivedSizes: s.receivedSizes,
    receiveKbps: round(s.receiveKbps, 0),
    undecodableReads: s.undecodable,
    latencyMs: latencySummary(s.latenciesMs),
    arrivalLatencyMs: latencySummary(s.arrivalLatenciesMs),
  };
}

function endpointFigures(r: EndpointResult) {
  const s = r.stream as StreamFigures;
  return {
    endpoint: r.label,
    cpuPercentOfOneCore: round(s.cpuCores * 100),
    /** Per thread name (llvmpipe-# renders, EncoderQueue/DecodingQueue… are libwebrtc's). */
    cpuPercentByThread: Object.fromEntries(
      Object.entries(s.threadCpuCores).map((
        [name, cores],
      ) => [name, round(cores * 100)]),
    ),
    renderedFps: round(s.framesRendered / s.seconds),
    sentFps: round(s.framesSent / s.seconds),
    encodedFps: round(s.framesEncoded / s.seconds),
    sendSize: s.sendWidth === null ? null : `${s.sendWidth}x${s.sendHeight}`,
    sendCodec: s.sendCodec,
    sendKbps: round(s.sendKbps, 0),
    renderFrameMs: round(s.renderMs, 2),
    /** libwebrtc: encode per frame and pacer delay per packet (sending); jitter buffer, decode and first packet → decoded per frame (receiving). */
    webrtc: s.pipeline,
    readBackAndDecodeMs: round(s.readBackMs, 2),
  };
}

async function benchStream(
  serverUrl: string,
  width: number,
  height: number,
  measureSeconds: number,
) {
  const room = `stream-${Math.random().toString(36).slice(2)}`;
  const timing = {
    width,
    height,
    fps: 30,
    warmupSeconds: 3,
    measureSeconds,
    lingerSeconds: 2,
    connectTimeoutMs: 30_000,
    startDelayMs: 0,
  };
  const load0 = loadAverage();
  const [a, b] = await runPair([
    {
      label: "A",
      signalling: websocketChild(serverUrl, room, "a", null),
      ...timing,
    },
    {
      label: "B",
      signalling: websocketChild(serverUrl, room, "b", "a"),
      ...timing,
    },
  ]);
  const load1 = loadAverage();
  if (!a.stream || !b.stream) {
    return {
      error: [a.error, b.error].filter(Boolean).join("; ") ||
        "no stream figures",
    };
  }
  const all = [...a.stream.latenciesMs, ...b.stream.latenciesMs];
  return {
    note:
      "1280x720 at 30 fps both ways via !websocket; figures over the measured window; " +
      "CPU from /proc/self/stat (all threads) of each endpoint process; latency = receiver's Date.now() after " +
      "reading the code back minus the sender's frame clock",
    seconds: round(Math.min(a.stream.seconds, b.stream.seconds), 2),
    warmupSeconds: timing.warmupSeconds,
    renderer: a.renderer ?? null,
    machineCpuCores: round(
      (a.stream.machineCpuCores + b.stream.machineCpuCores) / 2,
      2,
    ),
    loadAverageBefore: load0,
    loadAverageAfter: load1,
    endpoints: [endpointFigures(a), endpointFigures(b)],
    directions: [direction("B", a), direction("A", b)],
    latencyMs: latencySummary(all),
    /**
     * Each direction apart: B calls, so B's frame schedule is steered toward
     * A's frames (see lib/webrtc/arrival_steering.ts) and A→B waits least.
     */
    latencyByDirectionMs: {
      "A→B (the caller receives)": latencySummary(b.stream.latenciesMs),
      "B→A (the answerer receives)": latencySummary(a.stream.latenciesMs),
    },
    /** From the sender's frame start to the frame's arrival in the receiver's video sink (before waiting for the next frame). */
    arrivalLatencyMs: latencySummary([
      ...a.stream.arrivalLatenciesMs,
      ...b.stream.arrivalLatenciesMs,
    ]),
    latenciesMs: { "B→A": a.stream.latenciesMs, "A→B": b.stream.latenciesMs },
  };
}

async function serverFigures() {
  let ran: string | null = null;
  if (!SKIP_SERVER_BENCH) {
    const output = await new Deno.Command(Deno.execPath(), {
      args: ["run", "-A", `${ROOT}bench/server_bench.ts`],
      stdout: "null",
      stderr: "piped",
      signal: AbortSignal.timeout(120_000),
    }).output().catch((error) => ({
      code: -1,
      stderr: new TextEncoder().encode(String(error)),
    }));
    ran = output.code === 0
      ? "ok"
      : `failed (${output.code}): ${
        new TextDecoder().decode(output.stderr).slice(-400)
      }`;
  }
  try {
    const server = JSON.parse(
      await Deno.readTextFile(`${ROOT}bench/results/server.json`),
    );
    return {
      ran: ran ?? "skipped (--skip-server-bench); figures from the last run",
      date: server.date,
      relayMessagesPerSecond: server.relay?.messagesPerSecond,
      relayMessageBytes: server.relay?.messageBytes,
      serverCpuMicrosecondsPerMessage: server.relay
        ?.serverCpuMicrosecondsPerMessage,
      roundTripP50Ms: server.roundTrip?.p50Ms,
      roundTripP99Ms: server.roundTrip?.p99Ms,
      joinStormClients: server.joinStorm?.clients,
      joinStormSettledMs: server.joinStorm?.settledMs,
      offerToAnswerP50Ms: server.offerToAnswer?.p50Ms,
      offerToAnswerP99Ms: server.offerToAnswer?.p99Ms,
    };
  } catch (error) {
    return { ran, error: `no bench/results/server.json: ${error}` };
  }
}

type StreamResult = Awaited<ReturnType<typeof benchStream>>;

/** Summary rows of one two-way stream. */
function streamRows(
  rows: [string, string][],
  name: string,
  stream: StreamResult,
): void {
  if (!stream.directions || !stream.endpoints) {
    rows.push([
      `${name} call`,
      `failed: ${"error" in stream ? stream.error : "?"}`,
    ]);
    return;
  }
  for (const d of stream.directions) {
    rows.push([
      `${name} ${d.direction}`,
      `received ${d.receivedFps} fps, shown ${d.shownFps} fps at ${d.receivedSize}, ${d.receiveKbps} kbps`,
    ]);
  }
  for (const e of stream.endpoints) {
    rows.push([
      `${name} CPU endpoint ${e.endpoint}`,
      `${e.cpuPercentOfOneCore} % of one core (renders ${e.renderedFps} fps, ${e.renderFrameMs} ms per frame; ` +
      `sends ${e.sendSize} ${e.sendCodec})`,
    ]);
    rows.push([
      `${name}   by thread`,
      Object.entries(e.cpuPercentByThread).slice(0, 5).map((
        [thread, percent],
      ) => `${thread} ${percent} %`).join(
        ", ",
      ),
    ]);
    const w = e.webrtc;
    rows.push([
      `${name}   libwebrtc`,
      `encode ${w.encodeMs} ms, pacer ${w.packetSendDelayMs} ms/packet (estimate ${w.availableOutgoingKbps} kbps); receive: jitter buffer ${w.jitterBufferMs} ms, ` +
      `decode ${w.decodeMs} ms, packet → decoded ${w.processingDelayMs} ms (per frame)`,
    ]);
  }
  for (const d of stream.directions) {
    if (d.receivedFps > 0 && d.shownFps === 0) {
      rows.push([
        `${name} WARNING`,
        `${d.direction}: frames arrive but the !webrtc output never shows one (${d.undecodableReads} reads without a valid code)`,
      ]);
    }
  }
  const l = stream.latencyMs;
  rows.push([
    `${name} glass-to-glass latency`,
    !l
      ? "no frames decoded"
      : `p50 ${l.p50} ms, mean ${l.mean} ms, p90 ${l.p90} ms, p99 ${l.p99} ms (n=${l.count})`,
  ]);
  for (
    const [direction, d] of Object.entries(stream.latencyByDirectionMs ?? {})
  ) {
    if (!d) continue;
    rows.push([
      `${name}   ${direction}`,
      `p50 ${d.p50} ms, mean ${d.mean} ms, p90 ${d.p90} ms, p99 ${d.p99} ms`,
    ]);
  }
  const arrival = stream.arrivalLatencyMs;
  if (arrival) {
    rows.push([
      `${name} frame start → peer's sink`,
      `p50 ${arrival.p50} ms, p90 ${arrival.p90} ms, p99 ${arrival.p99} ms`,
    ]);
  }
  rows.push([
    `${name} machine load`,
    `${stream.machineCpuCores} of ${navigator.hardwareConcurrency} cores busy`,
  ]);
}

/** aiortc's own cost for the same call, or why it could not be measured. */
async function aiortcReference(): Promise<AiortcReference | { error: string }> {
  const unavailable = await aiortcUnavailable();
  if (unavailable !== undefined) return { error: unavailable };
  try {
    return await measureAiortcReference(15, QUICK ? 5 : 10);
  } catch (error) {
    return { error: error instanceof Error ? error.message : String(error) };
  }
}

function aiortcRows(
  rows: [string, string][],
  reference: AiortcReference | { error: string },
): void {
  if ("error" in reference) {
    rows.push(["aiortc reference", `not measured: ${reference.error}`]);
    return;
  }
  const connect = reference.connectWebsocket;
  rows.push([
    "aiortc :connected, websocket",
    connect.median === null
      ? `failed: ${connect.errors.join("; ")}`
      : `median ${(connect.median / 1000).toFixed(3)} s (${
        connect.runsMs.map((ms) => (ms / 1000).toFixed(3)).join(", ")
      })`,
  ]);
  for (const [name, call] of Object.entries(reference.calls)) {
    const peers = call.peers;
    const mean = (pick: (p: (typeof peers)[number]) => number) =>
      Math.round(
        peers.reduce((sum, p) => sum + pick(p), 0) / peers.length * 10,
      ) /
      10;
    rows.push([
      `aiortc 720p30, ${name} frames`,
      `${
        mean((p) => p.cpuPercentOfOneCore)
      } % of one core per peer (no rendering), received ${
        mean((p) => p.receivedFps)
      } fps, ${mean((p) => p.sendKbps)} kbps`,
    ]);
  }
}

function printSummary(result: Awaited<ReturnType<typeof collect>>): void {
  const rows: [string, string][] = [];
  const connect = (name: string, s: ConnectSeries) =>
    rows.push([
      `time to :connected, ${name}`,
      s.ms === null
        ? "failed"
        : `median ${(s.ms.median / 1000).toFixed(3)} s, max ${
          (s.ms.max / 1000).toFixed(3)
        } s (${s.ms.runs} runs${
          s.ms.failed ? `, ${s.ms.failed} failed` : ""
        }); from the start of signalling: median ${
          ((s.fromSignallingMs?.median ?? NaN) / 1000).toFixed(3)
        } s`,
    ]);
  connect("!websocket", result.connect.websocket);
  connect("!broadcast answerer first", result.connect.broadcastAnswererFirst);
  connect("!broadcast caller first", result.connect.broadcastCallerFirst);
  streamRows(rows, "720p30", result.stream);
  if (result.aiortc) aiortcRows(rows, result.aiortc);
  streamRows(rows, "360p30", result.smallStream);
  const s = result.server;
  if ("relayMessagesPerSecond" in s) {
    rows.push([
      "server relay",
      `${s.relayMessagesPerSecond} msgs/s of ${s.relayMessageBytes} B`,
    ]);
    rows.push([
      "server round trip",
      `p50 ${s.roundTripP50Ms} ms, p99 ${s.roundTripP99Ms} ms`,
    ]);
    rows.push([
      "server join storm",
      `${s.joinStormClients} clients settled in ${s.joinStormSettledMs} ms`,
    ]);
  } else rows.push(["server bench", s.error ?? "no figures"]);
  const width = Math.max(...rows.map(([name]) => name.length));
  console.log(
    `\nCall benchmark (${
      result.renderer ?? "unknown renderer"
    }, ${result.cores} cores)`,
  );
  for (const [name, value] of rows) {
    console.log(`${name.padEnd(width)}  ${value}`);
  }
}

/** A process that spins on one core until killed (for `--busy`). */
function startBusyCore(): Deno.ChildProcess {
  return new Deno.Command("/bin/sh", {
    args: ["-c", "while :; do :; done"],
    stdin: "null",
    stdout: "null",
    stderr: "null",
  }).spawn();
}

async function collect() {
  const server = await serverFigures();
  const busy = BUSY ? startBusyCore() : null;
  const signalling = await startSignallingServer({
    host: "127.0.0.1",
    port: 0,
  });
  try {
    const connect = await benchConnect(signalling.url);
    const stream = await benchStream(signalling.url, 1280, 720, QUICK ? 5 : 10);
    const aiortc = AIORTC ? await aiortcReference() : undefined;
    // For comparison: a size this machine can render and convert at the full rate.
    const smallStream = await benchStream(signalling.url, 640, 360, 5);
    return {
      date: new Date().toISOString(),
      deno: Deno.version.deno,
      cores: navigator.hardwareConcurrency,
      renderer: connect.renderer,
      quick: QUICK,
      busy: BUSY
        ? "a third process spinning on one core throughout"
        : "no other work",
      frameConversion: CONVERSION ?? "auto",
      fieldTrials: FIELD_TRIALS ?? LOW_LATENCY_FIELD_TRIALS,
      bitrate: BITRATE ?? "default for the size",
      connect,
      stream,
      smallStream,
      aiortc,
      server,
    };
  } finally {
    if (busy !== null) {
      busy.kill("SIGKILL");
      await busy.status;
    }
    await signalling.close();
  }
}

const result = await collect();
await Deno.mkdir(`${ROOT}bench/results`, { recursive: true });
await Deno.writeTextFile(
  `${ROOT}bench/results/${OUT}.json`,
  JSON.stringify(result, null, 2) + "\n",
);
printSummary(result);
console.log(`\nwritten: bench/results/${OUT}.json`);
await sleep(0);
Deno.exit(0);

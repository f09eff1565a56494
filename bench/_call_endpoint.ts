/**
 * One endpoint of the call benchmark (`bench/call_bench.ts` starts two of
 * these as separate processes, so each one's CPU time can be measured).
 *
 * It renders a scene with one `!webrtc` node (`id="call"`) whose only visible
 * child is a `!shader` drawing a moving background and, across the middle of
 * the frame, a row of 32 black or white blocks: the frame's send time in
 * milliseconds since a shared epoch (24 bits) and an 8-bit checksum. The
 * time comes from the engine's `clock` (`Date.now()` when the frame starts)
 * through a uniform. Every frame the endpoint reads a few rows of its own
 * `!webrtc` output (the peer's video) straight from its framebuffer, decodes
 * the blocks and, for each new code, records `Date.now() - sent`.
 *
 * Argument: one JSON {@linkcode EndpointOptions}. Output: `ready` once the
 * engine is set up, then (after the start time arrives on stdin, see
 * {@linkcode EndpointOptions.startDelayMs}) one JSON line,
 * {@linkcode EndpointResult}, on stdout. Run inside
 * `scripts/in_loopback_netns.sh`.
 *
 * @module
 */

import { Engine } from "../lib/engine/engine.ts";
import { loadNodeKinds } from "../lib/scene/load_scene.ts";
import { type LogLevel, setLogLevel } from "../lib/log/logger.ts";
import type { FrameConversion, WebrtcNode } from "../lib/webrtc/webrtc_node.ts";
import {
  loadWrtc,
  requireWrtc,
  type WrtcPeerConnection,
} from "../lib/webrtc/_wrtc.ts";
import { setWrtcFieldTrials } from "../lib/webrtc/field_trials.ts";
import { decodeTimeCode, TIME_CODE_FRAGMENT } from "../tests/e2e/_time_code.ts";

/**
 * Every `RTCPeerConnection` made in this process, newest last: the benchmark
 * wraps wrtc's constructor to read libwebrtc's full statistics (encode,
 * jitter buffer and decode times), which `PeerSessionStats` leaves out.
 */
const connections: WrtcPeerConnection[] = [];
await loadWrtc();
const wrtc = requireWrtc("bench/_call_endpoint.ts");
const OriginalPeerConnection = wrtc.RTCPeerConnection;
wrtc.RTCPeerConnection = class extends (OriginalPeerConnection as new (
  config: { iceServers: unknown[] },
) => object) {
  constructor(config: { iceServers: unknown[] }) {
    super(config);
    connections.push(this as unknown as WrtcPeerConnection);
  }
} as unknown as typeof OriginalPeerConnection;

type Entry = Record<string, unknown>;

/** The video `outbound-rtp` and `inbound-rtp` entries of the newest peer connection. */
async function rtpStats(): Promise<
  { outbound: Entry; inbound: Entry; pair: Entry }
> {
  const result = {
    outbound: {} as Entry,
    inbound: {} as Entry,
    pair: {} as Entry,
  };
  const pc = connections[connections.length - 1];
  if (!pc) return result;
  (await pc.getStats()).forEach((entry) => {
    if (entry.type === "candidate-pair" && entry.nominated) result.pair = entry;
    if (entry.kind !== "video" && entry.mediaType !== "video") return;
    if (entry.type === "outbound-rtp") result.outbound = entry;
    if (entry.type === "inbound-rtp") result.inbound = entry;
  });
  return result;
}

/** Per-frame times from libwebrtc's counters between two {@linkcode rtpStats}. */
function pipelineFigures(
  before: { outbound: Entry; inbound: Entry },
  after: { outbound: Entry; inbound: Entry; pair: Entry },
): PipelineFigures {
  const delta = (side: "outbound" | "inbound", key: string) =>
    (Number(after[side][key]) || 0) - (Number(before[side][key]) || 0);
  const perMs = (
    side: "outbound" | "inbound",
    total: string,
    count: string,
  ) => {
    const n = delta(side, count);
    return n > 0 ? Math.round(delta(side, total) / n * 1e4) / 10 : null;
  };
  return {
    encodeMs: perMs("outbound", "totalEncodeTime", "framesEncoded"),
    packetSendDelayMs: perMs("outbound", "totalPacketSendDelay", "packetsSent"),
    jitterBufferMs: perMs(
      "inbound",
      "jitterBufferDelay",
      "jitterBufferEmittedCount",
    ),
    decodeMs: perMs("inbound", "totalDecodeTime", "framesDecoded"),
    processingDelayMs: perMs(
      "inbound",
      "totalProcessingDelay",
      "framesDecoded",
    ),
    framesDropped: delta("inbound", "framesDropped"),
    nacks: delta("outbound", "nackCount"),
    plis: delta("outbound", "pliCount"),
    availableOutgoingKbps:
      typeof after.pair.availableOutgoingBitrate === "number"
        ? Math.round(after.pair.availableOutgoingBitrate / 1000)
        : null,
    qualityLimitationReason: String(
      after.outbound.qualityLimitationReason ?? "unknown",
    ),
    encoder: String(after.outbound.encoderImplementation ?? "unknown"),
    decoder: String(after.inbound.decoderImplementation ?? "unknown"),
  };
}

/** How the benchmark configures one endpoint. */
export interface EndpointOptions {
  /** Name for messages. */
  label: string;
  /** TOML lines of the signalling child node (indented as a child of the `!webrtc` node). */
  signalling: string;
  width: number;
  height: number;
  fps: number;
  /**
   * Start rendering (and so signalling) this long after the start signal:
   * when ready the endpoint prints `ready` and reads one line from stdin,
   * the start time (ms, `performance.timeOrigin` clock) to add this to.
   */
  startDelayMs: number;
  /** The epoch of the frame codes (ms since 1970). */
  epochMs: number;
  /** After connecting: seconds before measuring, seconds measured, seconds kept running after. */
  warmupSeconds: number;
  measureSeconds: number;
  lingerSeconds: number;
  /** Give up when not connected after this long (ms after starting). */
  connectTimeoutMs: number;
  /** Where received frames are converted to RGB (default: the node's choice, `"auto"`). */
  conversion?: FrameConversion;
  /** Log level of the engine and the call (default `"warn"`). */
  logLevel?: LogLevel;
  /** libwebrtc field trials (default: the built-in low-latency set). */
  fieldTrials?: string;
  /** `bitrate=` of the `!webrtc` node, bits per second (default: the node's). */
  bitrate?: number;
}

/** What one endpoint reports. */
export interface EndpointResult {
  label: string;
  /** `GL_RENDERER` of the endpoint's context. */
  renderer?: string;
  /** How late (ms) rendering started after its scheduled time. */
  lateMs: number;
  /** When rendering and signalling started (ms, `performance.timeOrigin` clock). */
  startedAt: number;
  /**
   * When the first frame had rendered, at which the `!webrtc` node starts
   * its signalling (same clock), or `null` before.
   */
  signallingAt: number | null;
  /** When the peer connection reached `connected`, or `null`. */
  connectedAt: number | null;
  /** Figures over the measured window (absent when `measureSeconds` is 0 or no call came up). */
  stream?: StreamFigures;
  error?: string;
}

/** libwebrtc's per-frame times over the measured window (ms; `null` without frames). */
export interface PipelineFigures {
  /** Sending: encode time per frame, and the pacer's delay per packet. */
  encodeMs: number | null;
  packetSendDelayMs: number | null;
  /** Receiving: jitter buffer delay per frame, decode time, and first packet → decoded. */
  jitterBufferMs: number | null;
  decodeMs: number | null;
  processingDelayMs: number | null;
  framesDropped: number;
  nacks: number;
  plis: number;
  /** libwebrtc's bandwidth estimate at the end of the window (the pacer sends at a multiple of it). */
  availableOutgoingKbps: number | null;
  qualityLimitationReason: string;
  encoder: string;
  decoder: string;
}

/** Figures of one endpoint over the measured window. */
export interface StreamFigures {
  seconds: number;
  /** Frames this endpoint rendered and handed to the encoder. */
  framesRendered: number;
  framesSent: number;
  /** Frames the peer's video delivered to this endpoint (libwebrtc sink callbacks). */
  framesReceived: number;
  /** Distinct frame codes this endpoint decoded from its `!webrtc` output. */
  distinctFramesShown: number;
  /** Distinct codes per whole second of the window. */
  shownPerSecond: number[];
  /** Read-back rows whose code did not pass the checksum. */
  undecodable: number;
  /** Sizes of received frames (`"WxH"` → frames). */
  receivedSizes: Record<string, number>;
  /** From `getStats` at the end of the window. */
  sendWidth: number | null;
  sendHeight: number | null;
  sendCodec: string | null;
  /** Over the window, from the stats' byte counters. */
  sendKbps: number;
  receiveKbps: number;
  framesEncoded: number;
  framesDecoded: number;
  /** libwebrtc's own per-frame times. */
  pipeline: PipelineFigures;
  /** Glass-to-glass latencies (ms) of the distinct frames decoded. */
  latenciesMs: number[];
  /** For the same frames: from the sender's frame start to the frame's arrival in this endpoint's video sink. */
  arrivalLatenciesMs: number[];
  /** CPU time of this process over the window, as a share of one core (1 = 100 %). */
  cpuCores: number;
  /** CPU time over the window by thread name, as a share of one core (threads that ended are missing). */
  threadCpuCores: Record<string, number>;
  /** CPU time of the whole machine over the window, in cores. */
  machineCpuCores: number;
  /** Mean time (ms) of one frame: `renderFrame` and of the read-back + decode. */
  renderMs: number;
  readBackMs: number;
}

function sceneText(options: EndpointOptions): string {
  return `[[nodes]]
kind = "!webrtc"
id = "call"
size = [${options.width}, ${options.height}]${
    options.bitrate ? `\nbitrate = ${options.bitrate}` : ""
  }
state = ":call"

${options.signalling}

  [[nodes.children]]
  kind = "!shader"
  stamp = "=(clock - EPOCH) * 1000"
  fragment = """
${TIME_CODE_FRAGMENT}"""
`;
}

/** Clock used for start and connection times (sub-millisecond, shared by processes on one machine). */
const now = () => performance.timeOrigin + performance.now();
const sleep = (ms: number) =>
  new Promise((resolve) => setTimeout(resolve, Math.max(0, ms)));

/** utime + stime of this process (all threads), in seconds. */
function processCpuSeconds(): number {
  const stat = Deno.readTextFileSync("/proc/self/stat");
  const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
  return (Number(fields[11]) + Number(fields[12])) / 100; // USER_HZ is 100 on Linux
}

/** CPU seconds of this process's threads, by thread name (digits dropped: `llvmpipe-0` → `llvmpipe-#`). */
function threadCpuSeconds(): Map<string, number> {
  const byName = new Map<string, number>();
  for (const entry of Deno.readDirSync("/proc/self/task")) {
    let stat: string;
    try {
      stat = Deno.readTextFileSync(`/proc/self/task/${entry.name}/stat`);
    } catch {
      continue; // the thread ended
    }
    const name = stat.slice(stat.indexOf("(") + 1, stat.lastIndexOf(")"))
      .replace(/\d+/g, "#");
    const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
    byName.set(
      name,
      (byName.get(name) ?? 0) + (Number(fields[11]) + Number(fields[12])) / 100,
    );
  }
  return byName;
}

/** Busy CPU time of the whole machine, in seconds. */
function machineCpuSeconds(): number {
  const line = Deno.readTextFileSync("/proc/stat").split("\n")[0];
  const ticks = line.trim().split(/\s+/).slice(1).map(Number);
  const idle = ticks[3] + (ticks[4] ?? 0);
  return (ticks.slice(0, 8).reduce((a, b) => a + b, 0) - idle) / 100;
}

/** Reads the frame code from rows of the node's output; `null` when unreadable. */
class CodeReader {
  readonly #rows = 4;
  #pixels = new Uint8Array(0);

  constructor(readonly engine: Engine) {}

  /** Sent time (ms since the epoch) of the frame the `!webrtc` node shows, `null` if it has no valid code. */
  read(): number | null {
    const node = this.engine.node("call");
    const texture = node?.output;
    if (!texture) return null;
    const { width, height } = texture;
    const gl = this.engine.gl;
    const bytes = width * this.#rows * 4;
    if (this.#pixels.length !== bytes) this.#pixels = new Uint8Array(bytes);
    const y = Math.floor(height / 2) - (this.#rows >> 1);
    if (
      texture.framebuffer !== 0 &&
      (texture.format === "srgb8" || texture.format === "rgba8")
    ) {
      gl.bindFramebuffer(texture.framebuffer);
    } else {
      gl.convert(texture, { flip: false }); // leaves its target bound
    }
    gl.readPixels(
      0,
      y,
      width,
      this.#rows,
      this.#pixels as Uint8Array<ArrayBuffer>,
    );
    return decodeTimeCode(this.#pixels, width, this.#rows, 4);
  }
}

/** Prints `ready` and waits for the start time on stdin. */
async function startSignal(): Promise<number> {
  console.log("ready");
  const reader = Deno.stdin.readable.pipeThrough(new TextDecoderStream())
    .getReader();
  let text = "";
  while (!text.includes("\n")) {
    const { value, done } = await reader.read();
    if (done) break;
    text += value;
  }
  reader.releaseLock();
  const at = Number(text.trim());
  if (!Number.isFinite(at)) {
    throw new Error(
      `expected a start time on stdin, got ${JSON.stringify(text)}`,
    );
  }
  return at;
}

async function main(options: EndpointOptions): Promise<EndpointResult> {
  setLogLevel(options.logLevel ?? "warn");
  const engine = Engine.fromText(sceneText(options), `${options.label}.toml`, {
    fps: options.fps,
    watch: false,
    defines: { EPOCH: options.epochMs / 1000 },
    nodeOptions: { webrtc: { frameConversion: options.conversion } },
  });
  // What loading a scene file does before its first frame (`Engine.open`).
  await loadNodeKinds(engine.model);
  const result: EndpointResult = {
    label: options.label,
    renderer: engine.gl.renderer,
    lateMs: 0,
    startedAt: 0,
    signallingAt: null,
    connectedAt: null,
  };
  const startAt = await startSignal() + options.startDelayMs;
  await sleep(startAt - now());
  const reader = new CodeReader(engine);
  result.startedAt = now();
  result.lateMs = Math.max(0, result.startedAt - startAt);
  const clockStart = performance.now();
  // The engine's own schedule, so the `!webrtc` node can steer it as in `Engine.run`.
  engine.pacer.start(performance.now());
  let renderMs = 0;
  let readMs = 0;
  let frames = 0;
  const step = async (measure: boolean) => {
    const began = performance.now();
    await engine.renderFrameAsync((began - clockStart) / 1000);
    result.signallingAt ??= now();
    const rendered = performance.now();
    if (measure) reader.read();
    const read = performance.now();
    renderMs += rendered - began;
    readMs += read - rendered;
    frames++;
    await sleep(engine.pacer.nextStart(read) - performance.now());
  };
  // Connect: the node creates its session in a microtask after its first frame.
  let listening = false;
  const deadline = result.startedAt + options.connectTimeoutMs;
  while (result.connectedAt === null && now() < deadline) {
    await step(false);
    const session = (engine.node("call") as WebrtcNode | undefined)?.session;
    if (session && !listening) {
      listening = true;
      if (session.connectionState === "connected") result.connectedAt = now();
      session.onConnectionStateChange((state) => {
        if (state === "connected" && result.connectedAt === null) {
          result.connectedAt = now();
        }
      });
    }
  }
  if (result.connectedAt === null) {
    result.error = `not connected within ${options.connectTimeoutMs} ms`;
    return result;
  }
  const node = engine.node("call") as WebrtcNode;
  const session = node.session!;
  const warmupEnd = performance.now() + options.warmupSeconds * 1000;
  while (performance.now() < warmupEnd) await step(options.measureSeconds > 0);
  if (options.measureSeconds > 0) {
    const stats0 = await session.stats();
    const rtp0 = await rtpStats();
    const cpu0 = processCpuSeconds();
    const threads0 = threadCpuSeconds();
    const machine0 = machineCpuSeconds();
    const t0 = performance.now();
    const sent0 = session.framesSent;
    const received0 = session.latestFrame()?.count ?? 0;
    renderMs = readMs = frames = 0;
    const latencies: number[] = [];
    const arrivals: number[] = [];
    const shownAt: number[] = [];
    const sizes: Record<string, number> = {};
    let lastCode: number | null = null;
    let lastCount = received0;
    let undecodable = 0;
    const end = t0 + options.measureSeconds * 1000;
    while (performance.now() < end) {
      const before = performance.now();
      await engine.renderFrameAsync((before - clockStart) / 1000);
      const rendered = performance.now();
      const code = reader.read();
      const wall = Date.now();
      const read = performance.now();
      renderMs += rendered - before;
      readMs += read - rendered;
      frames++;
      const latest = session.latestFrame();
      if (latest && latest.count !== lastCount) {
        const key = `${latest.width}x${latest.height}`;
        sizes[key] = (sizes[key] ?? 0) + latest.count - lastCount;
        lastCount = latest.count;
      }
      if (code === null) undecodable++;
      else if (code !== lastCode) {
        lastCode = code;
        const latency = wall - (options.epochMs + code);
        latencies.push(latency);
        // The frame shown is the one the sink delivered last (no callback runs between render and read).
        if (latest) arrivals.push(latency - (read - latest.receivedAt));
        shownAt.push(read - t0);
      }
      await sleep(engine.pacer.nextStart(read) - performance.now());
    }
    const seconds = (performance.now() - t0) / 1000;
    const cpu = processCpuSeconds() - cpu0;
    const threadCpu: Record<string, number> = {};
    for (const [name, seconds1] of threadCpuSeconds()) {
      const share = (seconds1 - (threads0.get(name) ?? 0)) / seconds;
      if (share >= 0.005) threadCpu[name] = Math.round(share * 1000) / 1000;
    }
    const machine = machineCpuSeconds() - machine0;
    const stats1 = await session.stats();
    const rtp1 = await rtpStats();
    const perSecond = Array.from(
      { length: Math.floor(seconds) },
      (_, i) =>
        shownAt.filter((t) => t >= i * 1000 && t < (i + 1) * 1000).length,
    );
    result.stream = {
      seconds,
      framesRendered: frames,
      framesSent: session.framesSent - sent0,
      framesReceived: (session.latestFrame()?.count ?? 0) - received0,
      distinctFramesShown: shownAt.length,
      shownPerSecond: perSecond,
      undecodable,
      receivedSizes: sizes,
      sendWidth: stats1?.sendWidth ?? null,
      sendHeight: stats1?.sendHeight ?? null,
      sendCodec: stats1?.sendCodec ?? null,
      sendKbps: ((stats1?.bytesSent ?? 0) - (stats0?.bytesSent ?? 0)) * 8 /
        seconds / 1000,
      receiveKbps:
        ((stats1?.bytesReceived ?? 0) - (stats0?.bytesReceived ?? 0)) * 8 /
        seconds / 1000,
      framesEncoded: (stats1?.framesEncoded ?? 0) -
        (stats0?.framesEncoded ?? 0),
      framesDecoded: (stats1?.framesDecoded ?? 0) -
        (stats0?.framesDecoded ?? 0),
      pipeline: pipelineFigures(rtp0, rtp1),
      latenciesMs: latencies,
      arrivalLatenciesMs: arrivals.map((ms) => Math.round(ms * 10) / 10),
      cpuCores: cpu / seconds,
      threadCpuCores: Object.fromEntries(
        Object.entries(threadCpu).sort((a, b) => b[1] - a[1]),
      ),
      machineCpuCores: machine / seconds,
      renderMs: renderMs / frames,
      readBackMs: readMs / frames,
    };
  }
  const lingerEnd = performance.now() + options.lingerSeconds * 1000;
  while (performance.now() < lingerEnd) await step(false);
  return result;
}

if (import.meta.main) {
  const options = JSON.parse(Deno.args[0]) as EndpointOptions;
  if (options.fieldTrials !== undefined) {
    setWrtcFieldTrials(options.fieldTrials);
  }
  let result: EndpointResult;
  try {
    result = await main(options);
  } catch (error) {
    result = {
      label: options.label,
      lateMs: 0,
      startedAt: 0,
      signallingAt: null,
      connectedAt: null,
      error: error instanceof Error
        ? error.stack ?? error.message
        : String(error),
    };
  }
  console.log(JSON.stringify(result));
  // libwebrtc's native teardown may abort the runtime; the result is out, so end here.
  Deno.exit(0);
}

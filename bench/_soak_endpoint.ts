/**
 * One endpoint of the soak benchmark (`bench/soak_bench.ts` starts two of
 * these as separate processes, so each one's memory and CPU are its own).
 *
 * It renders a scene with one `!webrtc` node (`id="call"`, `state=":call"`)
 * whose visible child is a `!shader` with moving content, and a `!websocket`
 * child while a call is wanted. It runs until told to quit, rendering at
 * the given rate, and takes commands on stdin, one JSON object a line:
 *
 * - `{"cmd":"connect","room":"…"}`: the scene gets its `!websocket` child
 *   for that room (an edit, as a live reload makes); the caller calls;
 * - `{"cmd":"hangup"}`: the `!websocket` child goes (or, with
 *   `teardown: "node"`, the whole `!webrtc` node), so the call ends; the
 *   endpoint answers with a sample once the connection is gone and the
 *   engine's work on it has settled;
 * - `{"cmd":"sample","id":N}`: answers with a sample now;
 * - `{"cmd":"snapshot","path":"…"}`: writes a V8 heap snapshot there
 *   (after a collection) and answers with a sample;
 * - `{"cmd":"quit"}`: ends the process.
 *
 * On stdout, one JSON object a line: `{"event":"ready"}`, then
 * `{"event":"state","state":…}` on every change of `state=` and
 * `{"event":"sample",…}` ({@linkcode SoakSample}) per request. Run with
 * `--v8-flags=--expose-gc` (samples collect garbage first, so the JS heap
 * figure is what is still reachable) inside `scripts/in_loopback_netns.sh`.
 *
 * @module
 */

import v8 from "node:v8";
import { Engine } from "../lib/engine/engine.ts";
import { FlitterSymbol, sym } from "../lib/expr/values.ts";
import { type LogLevel, setLogLevel } from "../lib/log/logger.ts";
import type { WebrtcNode } from "../lib/webrtc/webrtc_node.ts";
import { loadWrtc, requireWrtc } from "../lib/webrtc/_wrtc.ts";
import {
  type MallocFigures,
  mallocFigures,
  mallocTrim,
  processCpuSeconds,
  procMemory,
  threadCount,
} from "./_native_memory.ts";

/** How the benchmark configures one endpoint. */
export interface SoakEndpointOptions {
  label: string;
  width: number;
  height: number;
  fps: number;
  /** The signalling server's URL. */
  url: string;
  /** This endpoint's ID in the room, and the peer it calls (`null`: it answers). */
  id: string;
  call: string | null;
  /** What a hang-up removes: the `!websocket` child (default) or the whole `!webrtc` node. */
  teardown?: "signalling" | "node";
  /** `malloc_trim(0)` before each sample (what glibc then hands back is reported). */
  trim?: boolean;
  logLevel?: LogLevel;
}

/** One look at the endpoint's memory and work. */
export interface SoakSample {
  event: "sample";
  /** The request's `id`, or `"hangup"`. */
  id: number | string;
  /** Seconds since the endpoint started rendering. */
  t: number;
  /** `/proc/self/status`, MiB, before anything is collected or trimmed. */
  rssMiB: number;
  peakRssMiB: number;
  anonMiB: number;
  fileMiB: number;
  /** `Deno.memoryUsage()`, MiB: before and after a forced garbage collection. */
  heapUsedMiB: number;
  heapUsedAfterGcMiB: number;
  heapTotalMiB: number;
  externalMiB: number;
  /** glibc's figures (after the collection, before any trim). */
  malloc: MallocFigures | null;
  /** With `trim`: RSS after `malloc_trim(0)`, MiB. */
  rssAfterTrimMiB: number | null;
  /** With `trim`: how long `malloc_trim(0)` took, ms. */
  trimMs: number | null;
  threads: number;
  /** Open file descriptors. */
  fds: number;
  /** CPU of this process since the last sample, share of one core. */
  cpuCores: number;
  /** Frames rendered, handed to the encoder and received from the peer since the last sample, per second. */
  renderedFps: number;
  sentFps: number;
  receivedFps: number;
  /** `state=` now. */
  state: string | null;
  /** wrtc objects made so far, and how many of them are still alive after the collection. */
  wrtc: Record<string, { made: number; alive: number }>;
}

const FRAGMENT = `\${HEADER}
in vec2 coord;
out vec4 color;
uniform float time;
uniform vec2 size;
void main() {
    // Moving bars, a ball and fine noise: the encoder always has work.
    vec3 rgb = vec3(fract(coord.x * 3.0 + time * 0.25), fract(coord.y * 2.0 - time * 0.15), 0.5);
    vec2 ball = vec2(0.5 + 0.35 * sin(time * 1.1), 0.5 + 0.3 * cos(time * 0.7));
    vec2 d = (coord - ball) * vec2(size.x / size.y, 1.0);
    rgb = mix(rgb, vec3(1.0, 0.9, 0.2), step(dot(d, d), 0.01));
    float n = fract(sin(dot(floor(coord * size / 8.0) + floor(time * 4.0), vec2(12.9898, 78.233))) * 43758.5453);
    color = vec4(mix(rgb, vec3(n), 0.15), 1.0);
}
`;

/** The scene: the `!webrtc` node (unless `node` is false) with a `!websocket` child for `room` (none when `null`). */
function sceneText(
  options: SoakEndpointOptions,
  room: string | null,
  node = true,
): string {
  const shader = `
  [[nodes.children]]
  kind = "!shader"
  fragment = """
${FRAGMENT}"""
`;
  if (!node) return `[[nodes]]\nkind = "!shader"\nsize = [64, 36]\n`;
  const signalling = room === null ? "" : `
  [[nodes.children]]
  kind = "!websocket"
  url = "${options.url}"
  room = "${room}"
  id = "${options.id}"${
    options.call === null ? "" : `\n  call = "${options.call}"`
  }
`;
  return `[[nodes]]
kind = "!webrtc"
id = "call"
size = [${options.width}, ${options.height}]
state = ":call"
${signalling}${shader}`;
}

/** wrtc objects made and still alive (FinalizationRegistry), by kind. */
const made = new Map<string, number>();
const alive = new Map<string, number>();
const registry = new FinalizationRegistry<string>((kind) =>
  alive.set(kind, (alive.get(kind) ?? 1) - 1)
);
function count(kind: string, object: object): void {
  made.set(kind, (made.get(kind) ?? 0) + 1);
  alive.set(kind, (alive.get(kind) ?? 0) + 1);
  registry.register(object, kind);
}

/** Wraps wrtc's constructors so that every peer connection, track, source and sink is counted. */
function countWrtcObjects(): void {
  // deno-lint-ignore no-explicit-any
  const wrtc = requireWrtc("bench/_soak_endpoint.ts") as any;
  const PeerConnection = wrtc.RTCPeerConnection;
  wrtc.RTCPeerConnection = class extends PeerConnection {
    constructor(config: unknown) {
      super(config);
      count("RTCPeerConnection", this);
    }
  };
  const Source = wrtc.nonstandard.RTCVideoSource;
  wrtc.nonstandard.RTCVideoSource = class extends Source {
    constructor(init: unknown) {
      super(init);
      count("RTCVideoSource", this);
    }
    createTrack() {
      const track = super.createTrack();
      count("MediaStreamTrack (local)", track);
      return track;
    }
  };
  const Sink = wrtc.nonstandard.RTCVideoSink;
  wrtc.nonstandard.RTCVideoSink = class extends Sink {
    constructor(track: object) {
      super(track);
      count("RTCVideoSink", this);
      count("MediaStreamTrack (remote)", track);
    }
  };
}

const sleep = (ms: number) =>
  new Promise((resolve) => setTimeout(resolve, Math.max(0, ms)));
const print = (value: unknown) => console.log(JSON.stringify(value));
const gc = (globalThis as { gc?: () => void }).gc;
const MIB = 1024 * 1024;

async function main(options: SoakEndpointOptions): Promise<void> {
  setLogLevel(options.logLevel ?? "warn");
  await loadWrtc();
  countWrtcObjects();
  const engine = Engine.fromText(sceneText(options, null), "soak.toml", {
    fps: options.fps,
    watch: false,
  });
  let quit = false;
  let room: string | null = null;
  let state: string | null = null;
  let stateWaiters: (() => void)[] = [];
  // Counters since the last sample.
  let rendered = 0;
  let sent = 0;
  let received = 0;
  let lastSentTotal = 0;
  let lastCount = 0;
  let lastFrame: unknown = null;
  let cpuAt = processCpuSeconds();
  let sampledAt = performance.now();
  const clockStart = performance.now();

  const session = () =>
    (engine.node("call") as WebrtcNode | undefined)?.session ?? null;
  const stateNow = (): string | null => {
    const value = engine.state.get(sym("call")) ?? null;
    return value instanceof FlitterSymbol ? value.name : null;
  };

  const renderLoop = async () => {
    engine.pacer.start(performance.now());
    let sentSession: unknown = null;
    while (!quit) {
      await engine.renderFrameAsync(
        (performance.now() - clockStart) / 1000,
      );
      rendered++;
      const s = session();
      if (s !== null) {
        if (s !== sentSession) {
          sentSession = s;
          lastSentTotal = s.framesSent;
        }
        sent += s.framesSent - lastSentTotal;
        lastSentTotal = s.framesSent;
        const frame = s.latestFrame();
        if (frame !== null && frame !== lastFrame) {
          // Counts restart with each peer connection.
          received += frame.count >= lastCount
            ? frame.count - lastCount
            : frame.count;
          lastCount = frame.count;
          lastFrame = frame;
        }
      }
      const now = stateNow();
      if (now !== state) {
        state = now;
        if (state !== "connected") lastCount = 0;
        print({
          event: "state",
          state,
          t: (performance.now() - clockStart) / 1000,
        });
        const waiters = stateWaiters;
        stateWaiters = [];
        for (const wake of waiters) wake();
      }
      await sleep(
        engine.pacer.nextStart(performance.now()) - performance.now(),
      );
    }
  };

  const sample = async (id: number | string): Promise<SoakSample> => {
    const proc = procMemory();
    const before = Deno.memoryUsage();
    gc?.();
    await sleep(0);
    gc?.();
    const after = Deno.memoryUsage();
    const malloc = mallocFigures();
    let rssAfterTrimMiB: number | null = null;
    let trimMs: number | null = null;
    if (options.trim) {
      const began = performance.now();
      if (await mallocTrim()) {
        trimMs = performance.now() - began;
        rssAfterTrimMiB = procMemory().rssMiB;
      }
    }
    const now = performance.now();
    const cpu = processCpuSeconds();
    const seconds = Math.max(1e-3, (now - sampledAt) / 1000);
    const result: SoakSample = {
      event: "sample",
      id,
      t: (now - clockStart) / 1000,
      ...proc,
      heapUsedMiB: before.heapUsed / MIB,
      heapUsedAfterGcMiB: after.heapUsed / MIB,
      heapTotalMiB: after.heapTotal / MIB,
      externalMiB: after.external / MIB,
      malloc,
      rssAfterTrimMiB,
      trimMs,
      threads: threadCount(),
      fds: [...Deno.readDirSync("/proc/self/fd")].length,
      cpuCores: (cpu - cpuAt) / seconds,
      renderedFps: rendered / seconds,
      sentFps: sent / seconds,
      receivedFps: received / seconds,
      state,
      wrtc: Object.fromEntries(
        [...made].map(([kind, n]) => [kind, {
          made: n,
          alive: alive.get(kind) ?? 0,
        }]),
      ),
    };
    cpuAt = cpu;
    sampledAt = now;
    rendered = sent = received = 0;
    return result;
  };

  const waitForState = async (wanted: (s: string | null) => boolean) => {
    while (!wanted(state)) {
      await new Promise<void>((resolve) => stateWaiters.push(resolve));
    }
  };

  const loop = renderLoop();
  print({ event: "ready", renderer: engine.gl.renderer });
  const lines = Deno.stdin.readable.pipeThrough(new TextDecoderStream());
  let buffer = "";
  for await (const chunk of lines) {
    buffer += chunk;
    let newline;
    while ((newline = buffer.indexOf("\n")) >= 0) {
      const line = buffer.slice(0, newline).trim();
      buffer = buffer.slice(newline + 1);
      if (line === "") continue;
      const command = JSON.parse(line) as {
        cmd: string;
        room?: string;
        id?: number;
        path?: string;
      };
      switch (command.cmd) {
        case "connect":
          room = command.room ?? null;
          engine.replaceText(sceneText(options, room));
          break;
        case "hangup": {
          room = null;
          engine.replaceText(
            sceneText(options, null, options.teardown !== "node"),
          );
          await waitForState((s) => s === null);
          await engine.settled();
          await sleep(300);
          print(await sample("hangup"));
          break;
        }
        case "sample":
          print(await sample(command.id ?? 0));
          break;
        case "snapshot":
          gc?.();
          v8.writeHeapSnapshot(command.path);
          print(await sample("snapshot"));
          break;
        case "quit":
          quit = true;
          break;
      }
    }
    if (quit) break;
  }
  quit = true;
  await loop;
}

if (import.meta.main) {
  const options = JSON.parse(Deno.args[0]) as SoakEndpointOptions;
  try {
    await main(options);
  } catch (error) {
    print({
      event: "error",
      error: error instanceof Error
        ? error.stack ?? error.message
        : String(error),
    });
  }
  // libwebrtc's native teardown may abort the runtime; all is out, so end here.
  Deno.exit(0);
}

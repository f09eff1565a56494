/**
 * Reconnection benchmark for `!websocket`: how quickly a call through our
 * signalling server (`server.ts`) recovers, with real `cli.ts run`
 * endpoints (a green caller `a`, a magenta answerer `b`, 160x120 at 15 fps,
 * as the end-to-end tests run them) in a loopback-only network namespace:
 *
 * - `callerRestart`: the caller is killed (SIGKILL) and started again; ms
 *   from starting it to both sides logging `peer connection connected`
 *   (`fromStartMs`, Deno and scene start-up included) and from its
 *   `Connected to signalling server` to that (`fromServerConnectionMs`).
 * - `serverRestart`: the server is killed (SIGKILL) and started again on
 *   the same port; ms from its `listening` line to both endpoints having
 *   rejoined (`rejoinAfterListeningMs`), from the kill to that
 *   (`outageMs`), and whether the call went on untouched (`callKept`).
 * - `peerExit`: one endpoint (the answerer and the caller in turn) stops
 *   cleanly (SIGTERM, `term`) or is killed (SIGKILL, `kill`); ms from the
 *   signal to the other side leaving `:connected` (its first `peer
 *   connection` line that is not `connected`: `leftConnectedMs`) and to its
 *   call being closed, so it shows its own picture again
 *   (`ownPictureMs`). The endpoint is then started again for the next
 *   cycle.
 *
 * Each cycle begins once both recorded pictures show the other side's
 * colour (an established call, as when endpoints exit in practice; an
 * endpoint that exits within the first moments of a call, before the two
 * have said `stay`, is noticed after a second of silence instead).
 *
 * Times come from the processes' log lines (`HH:MM:SS.mmm`, UTC, the same
 * clock as this script's `Date.now()`). Every wait is bounded; a cycle that
 * does not recover in time is recorded with `null`.
 *
 * Run: `scripts/in_loopback_netns.sh deno run -A
 * bench/reconnect_websocket_bench.ts [--cycles=10] [--out=NAME]
 * [--label=TEXT]` → `bench/results/reconnect_websocket.json` (or
 * `NAME.json`; the label, e.g. which code was measured, is stored with the
 * figures).
 *
 * @module
 */

import { join } from "node:path";
import { rerunInLoopbackNetns } from "./_loopback_netns.ts";
import {
  type ServerProcess,
  startServer,
} from "../tests/server/_server_process.ts";
import {
  callScene,
  centreColour,
  Endpoint,
  near,
  type Rgb,
  tempFolder,
} from "../tests/e2e/_endpoint.ts";

await rerunInLoopbackNetns(import.meta.url);

const option = (name: string) =>
  Deno.args.find((arg) => arg.startsWith(`--${name}=`))?.split("=")[1];
const CYCLES = Number(option("cycles") ?? 10);
const OUT = option("out") ?? "reconnect_websocket";
const LABEL = option("label") ?? null;
/** Longest wait for one recovery (the transport alone takes ~18 s to fail). */
const WAIT_MS = 30_000;
const DAY_MS = 86_400_000;

const round = (value: number) => Math.round(value);
const median = (values: number[]) =>
  [...values].sort((a, b) => a - b)[values.length >> 1];
function summary(values: Array<number | null>) {
  const done = values.filter((value): value is number => value !== null);
  return done.length === 0 ? { runs: 0, failed: values.length } : {
    median: round(median(done)),
    min: round(Math.min(...done)),
    max: round(Math.max(...done)),
    runs: done.length,
    failed: values.length - done.length,
  };
}

/** Now, in ms since midnight UTC (the clock of the log lines). */
const clock = () => Date.now() % DAY_MS;

/** Log times (ms since midnight UTC) of the lines of `output` that match `pattern`. */
function logTimes(output: string, pattern: RegExp): number[] {
  const times: number[] = [];
  for (const line of output.split("\n")) {
    const match = line.match(/^(\d\d):(\d\d):(\d\d)\.(\d\d\d) /);
    if (match === null || !pattern.test(line)) continue;
    const [h, m, s, ms] = match.slice(1).map(Number);
    times.push(((h * 60 + m) * 60 + s) * 1000 + ms);
  }
  return times;
}

/** ms from `since` to the first line of `output` matching `pattern` at or after it, or `null`. */
function after(output: string, pattern: RegExp, since: number): number | null {
  for (const time of logTimes(output, pattern)) {
    const delta = (time - since + DAY_MS) % DAY_MS;
    if (delta < DAY_MS / 2) return delta;
  }
  return null;
}

async function waitFor<T>(
  probe: () => T | null,
  timeoutMs = WAIT_MS,
): Promise<T | null> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    const value = probe();
    if (value !== null) return value;
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
  return null;
}

const CONNECTED = /webrtc: peer connection connected/;
const GREEN: Rgb = [0, 255, 0];
const MAGENTA: Rgb = [255, 0, 255];

class Rig {
  readonly endpoints = new Map<string, Endpoint>();
  readonly #pictures = new Map<string, string>();
  #runs = 0;

  constructor(readonly dir: string, public server: ServerProcess) {}

  async writeScenes(): Promise<void> {
    const websocket = (id: string, extra = {}) => ({
      kind: "!websocket",
      url: this.server.url,
      room: "bench",
      id,
      ...extra,
    });
    await Deno.writeTextFile(
      join(this.dir, "a.json"),
      callScene({
        colour: GREEN,
        signalling: websocket("a", { call: "b" }),
      }),
    );
    await Deno.writeTextFile(
      join(this.dir, "b.json"),
      callScene({ colour: MAGENTA, signalling: websocket("b") }),
    );
  }

  start(id: string): Endpoint {
    const run = ++this.#runs;
    const endpoint = Endpoint.start({
      name: `${id}${run}`,
      scene: join(this.dir, `${id}.json`),
      defines: {
        OUT: join(this.dir, `${id}${run}_out.png`),
        STATE: join(this.dir, `${id}${run}_state.png`),
      },
    });
    this.endpoints.set(id, endpoint);
    this.#pictures.set(id, join(this.dir, `${id}${run}_out.png`));
    return endpoint;
  }

  get(id: string): Endpoint {
    return this.endpoints.get(id)!;
  }

  /** ms from `since` until both sides logged `connected` (the later one), or `null`. */
  async bothConnected(since: number): Promise<number | null> {
    return await waitFor(() => {
      const a = after(this.get("a").output, CONNECTED, since);
      const b = after(this.get("b").output, CONNECTED, since);
      return a === null || b === null ? null : Math.max(a, b);
    });
  }

  /**
   * Waits until each side's recorded picture shows the other's colour: the
   * call is established (pictures flow, `stay` has been exchanged), as it
   * is when an endpoint exits in practice.
   */
  async picturesFlowing(): Promise<void> {
    const shows = (id: string, colour: Rgb) =>
      near(centreColour(this.#pictures.get(id)!), colour);
    await waitFor(() => shows("a", MAGENTA) && shows("b", GREEN) || null);
  }

  async stopAll(): Promise<void> {
    await Promise.allSettled(
      [...this.endpoints.values()].map((endpoint) => endpoint.stop()),
    );
  }
}

async function callerRestart(rig: Rig) {
  const cycles = [];
  for (let i = 0; i < CYCLES; i++) {
    await rig.get("a").kill();
    const started = clock();
    const a = rig.start("a");
    const fromStartMs = await rig.bothConnected(started);
    await rig.picturesFlowing();
    const serverAt = after(a.output, /Connected to signalling server/, started);
    cycles.push({
      fromStartMs,
      fromServerConnectionMs: fromStartMs === null || serverAt === null
        ? null
        : fromStartMs - serverAt,
    });
  }
  return {
    fromStartMs: summary(cycles.map((c) => c.fromStartMs)),
    fromServerConnectionMs: summary(
      cycles.map((c) => c.fromServerConnectionMs),
    ),
    cycles,
  };
}

async function serverRestart(rig: Rig) {
  const port = new URL(rig.server.url).port;
  const cycles = [];
  for (let i = 0; i < CYCLES; i++) {
    const killed = clock();
    rig.server.child.kill("SIGKILL");
    await rig.server.child.status;
    rig.server = await startServer(["--debug", `--port=${port}`]);
    const output = rig.server.output;
    const listening = after(output(), /listening on/, killed);
    const rejoined = await waitFor(() => {
      const a = after(output(), /"a" joined room/, killed);
      const b = after(output(), /"b" joined room/, killed);
      return a === null || b === null ? null : Math.max(a, b);
    });
    const touched = /peer connection (new|closed|failed)|Calling|Answering/;
    cycles.push({
      outageMs: rejoined,
      rejoinAfterListeningMs: rejoined === null || listening === null
        ? null
        : rejoined - listening,
      callKept: after(rig.get("a").output, touched, killed) === null &&
        after(rig.get("b").output, touched, killed) === null,
    });
  }
  return {
    rejoinAfterListeningMs: summary(
      cycles.map((c) => c.rejoinAfterListeningMs),
    ),
    outageMs: summary(cycles.map((c) => c.outageMs)),
    callsKept: cycles.filter((c) => c.callKept).length,
    cycles,
  };
}

async function peerExit(rig: Rig, how: "term" | "kill") {
  const cycles = [];
  for (let i = 0; i < CYCLES; i++) {
    const victim = i % 2 === 0 ? "b" : "a";
    const other = rig.get(victim === "a" ? "b" : "a");
    const signalled = clock();
    if (how === "term") await rig.get(victim).stop();
    else await rig.get(victim).kill();
    const left = /webrtc: peer connection (?!connected)/;
    const closed = /webrtc: peer connection closed/;
    const ownPictureMs = await waitFor(() =>
      after(other.output, closed, signalled)
    );
    cycles.push({
      exited: victim === "a" ? "caller" : "answerer",
      leftConnectedMs: after(other.output, left, signalled),
      ownPictureMs,
    });
    const restarted = clock();
    rig.start(victim);
    await rig.bothConnected(restarted);
    await rig.picturesFlowing();
  }
  return {
    leftConnectedMs: summary(cycles.map((c) => c.leftConnectedMs)),
    ownPictureMs: summary(cycles.map((c) => c.ownPictureMs)),
    cycles,
  };
}

const dir = await tempFolder();
const rig = new Rig(dir.path, await startServer(["--debug"]));
const results: Record<string, unknown> = {
  date: new Date().toISOString(),
  label: LABEL,
  cores: navigator.hardwareConcurrency,
  deno: Deno.version.deno,
  cycles: CYCLES,
  loadAverage: Deno.loadavg(),
  note:
    "ms; real cli.ts endpoints (160x120, 15 fps) and server.ts as processes, loopback; times from their log lines",
};
try {
  await rig.writeScenes();
  const started = clock();
  rig.start("b");
  rig.start("a");
  results.firstCallMs = await rig.bothConnected(started);
  await rig.picturesFlowing();
  console.log("caller restarts…");
  results.callerRestart = await callerRestart(rig);
  console.log("server restarts…");
  results.serverRestart = await serverRestart(rig);
  console.log("peer exits (SIGTERM)…");
  const term = await peerExit(rig, "term");
  console.log("peer exits (SIGKILL)…");
  const kill = await peerExit(rig, "kill");
  results.peerExit = { term, kill };
} finally {
  await rig.stopAll();
  await rig.server.stop();
  await dir.remove();
}
console.log(
  JSON.stringify(
    results,
    (key, value) =>
      key === "cycles" && Array.isArray(value) ? undefined : value,
    2,
  ),
);
const path = new URL(`./results/${OUT}.json`, import.meta.url);
await Deno.writeTextFile(path, JSON.stringify(results, null, 2) + "\n");
console.log(`Wrote ${path.pathname}`);

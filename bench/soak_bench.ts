/**
 * Soak benchmark: does memory grow over a long call, or over many calls?
 *
 * Two endpoint processes (`bench/_soak_endpoint.ts`, each an engine with
 * one `!webrtc` node sending a moving picture, as a rig runs), calling
 * each other through our signalling server (`!websocket`) on loopback.
 * Each endpoint is sampled (after a forced garbage collection): RSS
 * (`/proc/self/status`), the JS heap (`Deno.memoryUsage()`), glibc's
 * malloc figures (bytes in use against free bytes it keeps in its arenas),
 * threads, file descriptors, CPU since the last sample, frame rates, and
 * how many of the wrtc objects made are still alive.
 *
 * - Call mode (default): one call of `--minutes=N` (default 30) at
 *   `--size=WxH` (default 1280x720), 30 fps both ways, sampled every
 *   `--sample=S` seconds (default 60). Summary: RSS growth from minute 5
 *   (or half-way, for runs under 10 minutes) to the end and its slope, JS
 *   heap and malloc-in-use growth, CPU trend, dropped connections.
 *   → `bench/results/soak.json`.
 * - Cycle mode (`--cycles[=N]`, default 100): a call set up (the scene
 *   gains its `!websocket` child, both sides `connected`), held `--hold=S`
 *   seconds (default 2) with video both ways, and torn down (the child
 *   goes: the node stays, as after an edit; `--teardown=node` removes the
 *   whole `!webrtc` node instead), N times; a sample after each teardown.
 *   Summary: growth per call after the first 10. →
 *   `bench/results/soak_cycles.json`.
 *
 * Other options: `--snapshots=DIR` (cycle mode: V8 heap snapshots of both
 * endpoints after call 10 and after the last, as
 * `DIR/{A,B}-{10,N}.heapsnapshot`, to compare in Chrome's DevTools; writing
 * one leaves glibc holding ~170 MiB more, so RSS figures after it mean
 * little), `--trim` (each sample also calls glibc's `malloc_trim(0)` and
 * reports RSS after it, and how long that took: how much of the RSS is
 * freed memory glibc kept), `--fps=N`, `--out=NAME` (results file name),
 * `--log=LEVEL` (endpoints' log level; their records are printed). The
 * environment is passed on to the endpoints, so
 * `GLIBC_TUNABLES=glibc.malloc.arena_max=2 deno run -A bench/soak_bench.ts`
 * measures glibc's settings (the results record `GLIBC_TUNABLES`).
 *
 * Run: `deno run -A bench/soak_bench.ts [options]` (it re-runs itself inside
 * `scripts/in_loopback_netns.sh`). Not part of `deno task bench`: it takes
 * as long as it is told to.
 *
 * @module
 */

import { startSignallingServer } from "../lib/server/signalling_server.ts";
import { setLogLevel } from "../lib/log/logger.ts";
import { rerunInLoopbackNetns } from "./_loopback_netns.ts";
import type { SoakEndpointOptions, SoakSample } from "./_soak_endpoint.ts";

const option = (name: string): string | undefined =>
  Deno.args.find((arg) => arg === `--${name}` || arg.startsWith(`--${name}=`))
    ?.replace(`--${name}`, "").replace(/^=/, "");

const SIZE = (option("size") || "1280x720").split("x").map(Number);
const [WIDTH, HEIGHT] = SIZE;
if (!(WIDTH > 0 && HEIGHT > 0) || SIZE.length !== 2) {
  console.error(`--size=WxH expected, got ${option("size")}`);
  Deno.exit(2);
}
const CYCLES = option("cycles") === undefined
  ? null
  : Number(option("cycles") || 100);
const MINUTES = Number(option("minutes") ?? 30);
const SAMPLE_SECONDS = Number(option("sample") ?? 60);
const HOLD_SECONDS = Number(option("hold") ?? 2);
const FPS = Number(option("fps") ?? 30);
const TEARDOWN = option("teardown") === "node" ? "node" : "signalling";
const TRIM = option("trim") !== undefined;
const SNAPSHOTS = option("snapshots");
const LOG_LEVEL = option("log") as SoakEndpointOptions["logLevel"];
const OUT = option("out") || (CYCLES === null ? "soak" : "soak_cycles");
const ROOT = new URL("../", import.meta.url).pathname;
const ENDPOINT = new URL("./_soak_endpoint.ts", import.meta.url).pathname;

// WebRTC must only see `lo`: run again inside a loopback-only namespace.
await rerunInLoopbackNetns(import.meta.url);
setLogLevel("warn");

const sleep = (ms: number) =>
  new Promise((resolve) => setTimeout(resolve, Math.max(0, ms)));
const round = (value: number, digits = 2) => Number(value.toFixed(digits));

/** Least-squares slope of `ys` over `xs`. */
function slope(xs: number[], ys: number[]): number {
  const n = xs.length;
  if (n < 2) return 0;
  const mx = xs.reduce((a, b) => a + b, 0) / n;
  const my = ys.reduce((a, b) => a + b, 0) / n;
  let num = 0;
  let den = 0;
  for (let i = 0; i < n; i++) {
    num += (xs[i] - mx) * (ys[i] - my);
    den += (xs[i] - mx) ** 2;
  }
  return den === 0 ? 0 : num / den;
}

/** One endpoint process and its stream of events. */
class Endpoint {
  readonly samples: SoakSample[] = [];
  /** `state=` changes: seconds since the benchmark started, and the state. */
  readonly states: { t: number; state: string | null }[] = [];
  readonly errors: string[] = [];
  renderer = "";
  readonly #child: Deno.ChildProcess;
  readonly #writer: WritableStreamDefaultWriter<Uint8Array>;
  #pending: ((sample: SoakSample) => void)[] = [];
  #stateWaiters: (() => void)[] = [];
  #ready: Promise<void>;
  #readyResolve: () => void = () => {};
  readonly done: Promise<void>;

  constructor(readonly options: SoakEndpointOptions, readonly started: number) {
    this.#ready = new Promise((resolve) => this.#readyResolve = resolve);
    this.#child = new Deno.Command(Deno.execPath(), {
      args: [
        "run",
        "-A",
        "--v8-flags=--expose-gc",
        ENDPOINT,
        JSON.stringify(options),
      ],
      stdin: "piped",
      stdout: "piped",
      stderr: LOG_LEVEL ? "inherit" : "piped",
    }).spawn();
    this.#writer = this.#child.stdin.getWriter();
    if (!LOG_LEVEL) {
      // Kept short: only the end is looked at when something failed.
      this.#child.stderr.pipeTo(
        new WritableStream({
          write: (chunk) => {
            const text = new TextDecoder().decode(chunk).trim();
            if (text) this.errors.push(text.slice(-2000));
            if (this.errors.length > 20) this.errors.shift();
          },
        }),
      ).catch(() => {});
    }
    this.done = this.#read();
  }

  get label(): string {
    return this.options.label;
  }

  get state(): string | null {
    return this.states.at(-1)?.state ?? null;
  }

  get pid(): number {
    return this.#child.pid;
  }

  async #read(): Promise<void> {
    let buffer = "";
    for await (
      const chunk of this.#child.stdout.pipeThrough(new TextDecoderStream())
    ) {
      buffer += chunk;
      let newline;
      while ((newline = buffer.indexOf("\n")) >= 0) {
        const line = buffer.slice(0, newline);
        buffer = buffer.slice(newline + 1);
        this.#line(line);
      }
    }
    this.#readyResolve();
    for (const wake of this.#stateWaiters) wake();
  }

  #line(line: string): void {
    if (!line.startsWith("{")) {
      if (LOG_LEVEL) console.log(`[${this.label}] ${line}`);
      return;
    }
    const message = JSON.parse(line);
    switch (message.event) {
      case "ready":
        this.renderer = message.renderer;
        this.#readyResolve();
        break;
      case "state": {
        this.states.push({
          t: round((performance.now() - this.started) / 1000),
          state: message.state,
        });
        const waiters = this.#stateWaiters;
        this.#stateWaiters = [];
        for (const wake of waiters) wake();
        break;
      }
      case "sample":
        this.samples.push(message);
        this.#pending.shift()?.(message);
        break;
      case "error":
        this.errors.push(message.error);
        break;
    }
  }

  ready(): Promise<void> {
    return this.#ready;
  }

  async send(command: Record<string, unknown>): Promise<void> {
    await this.#writer.write(
      new TextEncoder().encode(JSON.stringify(command) + "\n"),
    );
  }

  /** Sends `command` and waits for the sample it answers with. */
  async ask(command: Record<string, unknown>): Promise<SoakSample> {
    const answer = new Promise<SoakSample>((resolve) =>
      this.#pending.push(resolve)
    );
    await this.send(command);
    return await answer;
  }

  /** Resolves `true` once `state=` is `wanted`, `false` after `timeoutMs`. */
  async waitForState(wanted: string | null, timeoutMs: number) {
    const deadline = performance.now() + timeoutMs;
    while (this.state !== wanted) {
      const left = deadline - performance.now();
      if (left <= 0) return false;
      let timer: ReturnType<typeof setTimeout> | undefined;
      await Promise.race([
        new Promise<void>((resolve) => this.#stateWaiters.push(resolve)),
        new Promise<void>((resolve) => timer = setTimeout(resolve, left)),
      ]);
      clearTimeout(timer);
    }
    return true;
  }

  async quit(): Promise<void> {
    await this.send({ cmd: "quit" }).catch(() => {});
    const status = await Promise.race([
      this.#child.status,
      sleep(10_000).then(() => null),
    ]);
    if (status === null) this.#child.kill("SIGKILL");
    await this.done.catch(() => {});
  }
}

/** What the machine is and was doing. */
function machine(when: "start" | "end") {
  const cpuinfo = Deno.readTextFileSync("/proc/cpuinfo");
  const meminfo = Deno.readTextFileSync("/proc/meminfo");
  return {
    when,
    cpu: /model name\s*:\s*(.*)/.exec(cpuinfo)?.[1] ?? "unknown",
    cores: navigator.hardwareConcurrency,
    memTotalMiB: round(
      Number(/MemTotal:\s+(\d+)/.exec(meminfo)?.[1] ?? 0) / 1024,
      0,
    ),
    memAvailableMiB: round(
      Number(/MemAvailable:\s+(\d+)/.exec(meminfo)?.[1] ?? 0) / 1024,
      0,
    ),
    loadAverage: Deno.readTextFileSync("/proc/loadavg").split(" ").slice(0, 3)
      .map(Number),
    kernel: Deno.osRelease(),
    deno: Deno.version.deno,
  };
}

function progress(what: string, endpoints: Endpoint[]): void {
  const parts = endpoints.map((e) => {
    const s = e.samples.at(-1)!;
    return `${e.label} rss ${s.rssMiB.toFixed(1)}${
      s.rssAfterTrimMiB === null
        ? ""
        : ` (trimmed ${s.rssAfterTrimMiB.toFixed(1)} in ${
          s.trimMs?.toFixed(1)
        } ms)`
    } heap ${s.heapUsedAfterGcMiB.toFixed(2)} malloc ${
      s.malloc?.inUseMiB.toFixed(1) ?? "?"
    }/${s.malloc?.freeMiB.toFixed(1) ?? "?"} MiB, cpu ${
      (s.cpuCores * 100).toFixed(0)
    } %, fps ${s.sentFps.toFixed(0)}/${s.receivedFps.toFixed(0)}`;
  });
  console.log(`${what}: ${parts.join(" | ")}`);
}

/** Growth figures of one endpoint's samples `from` on (x: minutes or calls). */
function growth(
  samples: SoakSample[],
  xs: number[],
  perUnit: string,
) {
  const first = samples[0];
  const last = samples.at(-1)!;
  const fig = (pick: (s: SoakSample) => number | null | undefined) => {
    const ys = samples.map((s) => pick(s) ?? NaN);
    if (ys.some((y) => Number.isNaN(y))) return null;
    return {
      from: round(ys[0]),
      to: round(ys.at(-1)!),
      growth: round(ys.at(-1)! - ys[0]),
      growthPercent: round((ys.at(-1)! - ys[0]) / ys[0] * 100, 1),
      [`slopePer${perUnit}`]: round(slope(xs, ys), 4),
    };
  };
  return {
    samples: samples.length,
    rssMiB: fig((s) => s.rssMiB),
    rssAfterTrimMiB: fig((s) => s.rssAfterTrimMiB),
    heapUsedAfterGcMiB: fig((s) => s.heapUsedAfterGcMiB),
    externalMiB: fig((s) => s.externalMiB),
    mallocInUseMiB: fig((s) => s.malloc?.inUseMiB),
    mallocFreeMiB: fig((s) => s.malloc?.freeMiB),
    threads: { from: first.threads, to: last.threads },
    fds: { from: first.fds, to: last.fds },
    wrtcAtEnd: last.wrtc,
  };
}

async function startEndpoints(url: string, started: number) {
  const common = {
    width: WIDTH,
    height: HEIGHT,
    fps: FPS,
    url,
    teardown: TEARDOWN,
    trim: TRIM,
    logLevel: LOG_LEVEL,
  } as const;
  const endpoints = [
    new Endpoint({ ...common, label: "A", id: "a", call: null }, started),
    new Endpoint({ ...common, label: "B", id: "b", call: "a" }, started),
  ];
  await Promise.all(endpoints.map((e) => e.ready()));
  return endpoints;
}

/** Asks both endpoints for a sample at once. */
function sampleBoth(endpoints: Endpoint[], id: number | string) {
  return Promise.all(endpoints.map((e) => e.ask({ cmd: "sample", id })));
}

async function connect(endpoints: Endpoint[], room: string, timeoutMs: number) {
  const began = performance.now();
  await Promise.all(endpoints.map((e) => e.send({ cmd: "connect", room })));
  const ok = await Promise.all(
    endpoints.map((e) => e.waitForState("connected", timeoutMs)),
  );
  return ok.every(Boolean) ? performance.now() - began : null;
}

/** Transitions out of `connected` among `states` between `from` and `to` seconds. */
function drops(
  states: { t: number; state: string | null }[],
  from: number,
  to: number,
) {
  let count = 0;
  for (let i = 1; i < states.length; i++) {
    if (
      states[i].t >= from && states[i].t < to &&
      states[i - 1].state === "connected" && states[i].state !== "connected"
    ) count++;
  }
  return count;
}

async function runCall(endpoints: Endpoint[], started: number) {
  await sampleBoth(endpoints, "before");
  progress("before the call", endpoints);
  const room = `soak-${crypto.randomUUID().slice(0, 8)}`;
  const connectMs = await connect(endpoints, room, 30_000);
  if (connectMs === null) throw new Error("the call did not connect in 30 s");
  const t0 = performance.now();
  const callStartedAt = (t0 - started) / 1000;
  console.log(
    `connected in ${(connectMs / 1000).toFixed(2)} s; running ${MINUTES} min`,
  );
  const bySample: SoakSample[][] = [[], []];
  const minutes: number[] = [];
  for (let i = 1; i * SAMPLE_SECONDS <= MINUTES * 60 + 1e-6; i++) {
    await sleep(t0 + i * SAMPLE_SECONDS * 1000 - performance.now());
    const samples = await sampleBoth(endpoints, i);
    samples.forEach((s, k) => bySample[k].push(s));
    minutes.push(round(i * SAMPLE_SECONDS / 60, 3));
    progress(`min ${(i * SAMPLE_SECONDS / 60).toFixed(1)}`, endpoints);
  }
  const hangupAt = (performance.now() - started) / 1000;
  const hangups = await Promise.all(
    endpoints.map((e) => e.ask({ cmd: "hangup" })),
  );
  // From minute 5, or half-way for runs under 10 minutes.
  const fromMinute = MINUTES >= 10 ? 5 : MINUTES / 2;
  const from = Math.max(0, minutes.findIndex((m) => m >= fromMinute - 1e-6));
  const summary = endpoints.map((e, k) => {
    const samples = bySample[k].slice(from);
    const xs = minutes.slice(from);
    const cpu = bySample[k].map((s) => s.cpuCores * 100);
    const third = Math.max(1, Math.floor(cpu.length / 3));
    const mean = (v: number[]) => v.reduce((a, b) => a + b, 0) / v.length;
    return {
      endpoint: e.label,
      fromMinute: xs[0],
      toMinute: xs.at(-1),
      ...growth(samples, xs, "Minute"),
      cpuPercent: {
        firstThird: round(mean(cpu.slice(0, third)), 1),
        lastThird: round(mean(cpu.slice(-third)), 1),
        slopePer10Minutes: round(slope(minutes, cpu) * 10, 2),
      },
      fps: {
        sentMin: round(Math.min(...bySample[k].map((s) => s.sentFps)), 1),
        receivedMin: round(
          Math.min(...bySample[k].map((s) => s.receivedFps)),
          1,
        ),
        receivedMean: round(mean(bySample[k].map((s) => s.receivedFps)), 1),
      },
      droppedConnections: drops(e.states, callStartedAt, hangupAt),
      afterHangup: {
        rssMiB: round(hangups[k].rssMiB),
        heapUsedAfterGcMiB: round(hangups[k].heapUsedAfterGcMiB),
        mallocInUseMiB: hangups[k].malloc
          ? round(hangups[k].malloc.inUseMiB)
          : null,
      },
    };
  });
  return { connectMs: round(connectMs, 1), minutes, summary };
}

async function runCycles(endpoints: Endpoint[], cycles: number) {
  await sampleBoth(endpoints, "before");
  progress("before the first call", endpoints);
  const nonce = crypto.randomUUID().slice(0, 8);
  const connectMs: (number | null)[] = [];
  const bySample: SoakSample[][] = [[], []];
  for (let k = 1; k <= cycles; k++) {
    const ms = await connect(endpoints, `soak-${nonce}-${k}`, 20_000);
    connectMs.push(ms === null ? null : round(ms, 1));
    if (ms !== null) await sleep(HOLD_SECONDS * 1000);
    const samples = await Promise.all(
      endpoints.map((e) => e.ask({ cmd: "hangup" })),
    );
    samples.forEach((s, i) => bySample[i].push(s));
    if (SNAPSHOTS && (k === Math.min(10, cycles) || k === cycles)) {
      await Deno.mkdir(SNAPSHOTS, { recursive: true });
      await Promise.all(endpoints.map((e) =>
        e.ask({
          cmd: "snapshot",
          path: `${SNAPSHOTS}/${e.label}-${k}.heapsnapshot`,
        })
      ));
    }
    if (k % 10 === 0 || k === 1 || ms === null) {
      progress(
        `call ${k}${ms === null ? " (did not connect)" : ""}`,
        endpoints,
      );
    }
  }
  // After the first 10 calls (allocator and caches warmed up).
  const from = Math.min(10, Math.max(0, cycles - 2));
  const xs = Array.from({ length: cycles - from }, (_, i) => from + i + 1);
  const summary = endpoints.map((e, k) => ({
    endpoint: e.label,
    fromCall: from + 1,
    toCall: cycles,
    ...growth(bySample[k].slice(from), xs, "Call"),
  }));
  const ok = connectMs.filter((ms): ms is number => ms !== null).sort((a, b) =>
    a - b
  );
  return {
    failedCalls: connectMs.filter((ms) => ms === null).length,
    connectMsMedian: ok[Math.floor(ok.length / 2)] ?? null,
    connectMsMax: ok.at(-1) ?? null,
    connectMs,
    summary,
  };
}

function printSummary(result: {
  mode: string;
  summary: ReturnType<typeof growth>[] & { endpoint: string }[];
}) {
  console.log(`\nSoak benchmark (${result.mode}), ${WIDTH}x${HEIGHT}`);
  for (const s of result.summary as unknown as Record<string, unknown>[]) {
    const line = (name: string, value: unknown) =>
      console.log(`  ${String(s.endpoint)} ${name.padEnd(22)} ${value}`);
    const show = (name: string, key: string) => {
      const f = s[key] as Record<string, number> | null;
      if (!f) return;
      const slopeKey = Object.keys(f).find((k) => k.startsWith("slopePer"))!;
      line(
        name,
        `${f.from} → ${f.to} MiB (${f.growth >= 0 ? "+" : ""}${f.growth} MiB, ${
          f.growthPercent >= 0 ? "+" : ""
        }${f.growthPercent} %; ${f[slopeKey]} MiB per ${
          slopeKey.slice(8).toLowerCase()
        })`,
      );
    };
    const span = "fromMinute" in s
      ? `minute ${s.fromMinute} → ${s.toMinute}`
      : `call ${s.fromCall} → ${s.toCall}`;
    line("span", span);
    show("RSS", "rssMiB");
    show("RSS after malloc_trim", "rssAfterTrimMiB");
    show("JS heap (after GC)", "heapUsedAfterGcMiB");
    show("malloc in use", "mallocInUseMiB");
    show("malloc free (kept)", "mallocFreeMiB");
    const threads = s.threads as { from: number; to: number };
    line("threads", `${threads.from} → ${threads.to}`);
    const wrtc = s.wrtcAtEnd as Record<string, { made: number; alive: number }>;
    line(
      "wrtc objects alive",
      Object.entries(wrtc).map(([kind, n]) => `${kind} ${n.alive}/${n.made}`)
        .join(", "),
    );
    if (s.cpuPercent) {
      const cpu = s.cpuPercent as Record<string, number>;
      line(
        "CPU % of a core",
        `first third ${cpu.firstThird}, last third ${cpu.lastThird} (${cpu.slopePer10Minutes} per 10 min)`,
      );
    }
    if (s.fps) {
      const fps = s.fps as Record<string, number>;
      line(
        "fps",
        `received mean ${fps.receivedMean}, lowest sample ${fps.receivedMin}; sent lowest ${fps.sentMin}`,
      );
    }
    if ("droppedConnections" in s) {
      line("dropped connections", s.droppedConnections);
    }
  }
}

/** Numbers to 3 decimals. */
function rounded(value: unknown): unknown {
  if (typeof value === "number") return round(value, 3);
  if (Array.isArray(value)) return value.map(rounded);
  if (value !== null && typeof value === "object") {
    return Object.fromEntries(
      Object.entries(value).map(([key, v]) => [key, rounded(v)]),
    );
  }
  return value;
}

/** The results as JSON: numbers to 3 decimals, one line per sample and per endpoint's states. */
function resultText(result: Record<string, unknown>): string {
  const { samples, states, ...rest } = rounded(result) as Record<
    string,
    Record<string, unknown[]>
  >;
  const head = JSON.stringify(rest, null, 1).slice(0, -2);
  const line = (value: unknown) => JSON.stringify(value);
  const statesText = Object.entries(states).map(([label, list]) =>
    `  ${line(label)}: ${line(list)}`
  ).join(",\n");
  const samplesText = Object.entries(samples).map(([label, list]) =>
    `  ${line(label)}: [\n${list.map((s) => `   ${line(s)}`).join(",\n")}\n  ]`
  ).join(",\n");
  return `${head},\n "states": {\n${statesText}\n },\n "samples": {\n${samplesText}\n }\n}\n`;
}

async function main() {
  const started = performance.now();
  const atStart = machine("start");
  const server = await startSignallingServer({ host: "127.0.0.1", port: 0 });
  const endpoints = await startEndpoints(server.url, started);
  let outcome;
  try {
    outcome = CYCLES === null
      ? { mode: "call", ...await runCall(endpoints, started) }
      : { mode: "cycles", ...await runCycles(endpoints, CYCLES) };
  } catch (error) {
    for (const e of endpoints) {
      console.error(`[${e.label}] ${e.errors.join("\n").slice(-3000)}`);
    }
    throw error;
  } finally {
    await Promise.all(endpoints.map((e) => e.quit()));
    await server.close();
  }
  const result = {
    command: `deno run -A bench/soak_bench.ts ${Deno.args.join(" ")}`.trim(),
    date: new Date().toISOString(),
    note:
      "two endpoint processes (bench/_soak_endpoint.ts), one !webrtc node each, calling through our signalling server on loopback; " +
      "samples after a forced GC; malloc figures are glibc's mallinfo2 (in use vs free bytes kept in arenas)",
    machine: [atStart, machine("end")],
    renderer: endpoints[0].renderer,
    options: {
      size: `${WIDTH}x${HEIGHT}`,
      fps: FPS,
      minutes: CYCLES === null ? MINUTES : undefined,
      sampleSeconds: CYCLES === null ? SAMPLE_SECONDS : undefined,
      cycles: CYCLES ?? undefined,
      holdSeconds: CYCLES === null ? undefined : HOLD_SECONDS,
      teardown: CYCLES === null ? undefined : TEARDOWN,
      trim: TRIM,
      glibcTunables: Deno.env.get("GLIBC_TUNABLES") ?? null,
    },
    wallSeconds: round((performance.now() - started) / 1000, 1),
    ...outcome,
    states: Object.fromEntries(endpoints.map((e) => [e.label, e.states])),
    samples: Object.fromEntries(endpoints.map((e) => [e.label, e.samples])),
  };
  await Deno.mkdir(`${ROOT}bench/results`, { recursive: true });
  await Deno.writeTextFile(
    `${ROOT}bench/results/${OUT}.json`,
    resultText(result),
  );
  printSummary(result as never);
  console.log(`\nwritten: bench/results/${OUT}.json`);
}

await main();
Deno.exit(0);

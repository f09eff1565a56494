/**
 * Reconnection benchmark: how long a call between two real endpoint
 * processes (`cli.ts run`) takes to come back when one side crashes or
 * exits and is started again at once, and how long the surviving side takes
 * to notice that its peer went.
 *
 * Scenarios, each repeated (per signalling variant):
 *
 * - `callerKill`: the caller is killed (SIGKILL) and started again at once.
 *   Per cycle: kill → the new caller's first offer (`killToOfferMs`, mostly
 *   process start-up), first offer → both sides `connected`
 *   (`offerToConnectedMs`, the figure to keep under 1 s), kill → connected,
 *   and kill → the answerer leaving `connected` (`answererLeftMs`).
 * - `callerExit`: the caller is stopped cleanly (SIGTERM): SIGTERM → the
 *   answerer leaving `connected` (`answererLeftMs`); then it is started
 *   again and the time to connected is recorded.
 * - `answererKill` / `answererExit`: the same with the answerer, seen from
 *   the caller (`callerLeftMs`, `killToConnectedMs`).
 * - `callerEdit`: the caller's scene is saved with another connection ID
 *   (a scene edit that hangs up): save → the answerer leaving `connected`
 *   (`answererLeftMs`, including the reload: a 60 ms debounce and the
 *   parse); then the scene is saved as it was and the call comes back
 *   (`killToConnectedMs`, from the first save).
 *
 * Times come from the endpoints' own log lines (wall-clock milliseconds; both
 * run on this machine) and from this script's clock for the kill or SIGTERM.
 * A side "leaves connected" at its first peer-connection state line after
 * the event (`disconnected`, `failed`, `closed`, or replaced by a new one):
 * the moment its `!webrtc` `state=` changes.
 *
 * Variants: only `broadcast` for now. A variant gives the two signalling
 * nodes (and starts whatever they need, e.g. a server); add a `websocket`
 * one to {@linkcode VARIANTS} the same way.
 *
 * Run: `deno run -A bench/reconnect_bench.ts [--cycles=10] [--exit-cycles=3]
 * [--variants=broadcast] [--out=reconnect]` (it re-runs itself inside
 * `scripts/in_loopback_netns.sh`) → `bench/results/reconnect.json`.
 *
 * @module
 */

import { join } from "node:path";
import { rerunInLoopbackNetns } from "./_loopback_netns.ts";
import {
  Endpoint,
  type SceneNodeJson,
  solidShader,
  tempFolder,
} from "../tests/e2e/_endpoint.ts";
import { holdUdpPort } from "../tests/_udp_port.ts";

await rerunInLoopbackNetns(import.meta.url);

const ROOT = new URL("../", import.meta.url).pathname;
const option = (name: string, fallback: string) =>
  Deno.args.find((arg) => arg.startsWith(`--${name}=`))?.split("=")[1] ??
    fallback;
const CYCLES = Number(option("cycles", "10"));
const EXIT_CYCLES = Number(option("exit-cycles", "3"));
const OUT = option("out", "reconnect");
const CHOSEN = option("variants", "broadcast").split(",");
/** How long one cycle may take before it counts as not reconnected. */
const CYCLE_LIMIT_MS = 40_000;
const FPS = 15;

/** What a variant sets up for one run: the two sides' signalling nodes. */
interface VariantRun {
  caller: SceneNodeJson;
  answerer: SceneNodeJson;
  /** The caller's node calling someone else instead (a scene edit that hangs up). */
  callerElsewhere: SceneNodeJson;
  close(): Promise<void>;
}

/** A signalling kind the benchmark runs. */
interface Variant {
  name: string;
  setup(): Promise<VariantRun>;
}

const VARIANTS: readonly Variant[] = [
  {
    name: "broadcast",
    async setup() {
      await using held = await holdUdpPort();
      const port = held.port;
      const node = (
        role: "call" | "answer",
        id = "reconnect-bench",
      ): SceneNodeJson => ({
        kind: "!broadcast",
        [role]: id,
        port,
        broadcast: "127.255.255.255",
      });
      return {
        caller: node("call"),
        answerer: node("answer"),
        callerElsewhere: node("call", "nobody-answers-this"),
        close: () => Promise.resolve(),
      };
    },
  },
];

// ------------------------------------------------------------ log lines

/** One log record of an endpoint, with its wall-clock time (ms since the epoch). */
interface LogLine {
  at: number;
  logger: string;
  message: string;
}

const LINE = /^(\d\d):(\d\d):(\d\d)\.(\d{3}) +[A-Z]+ +([\w.-]+): (.*)$/;

/** The records in `output` (lines without a time are skipped). */
function logLines(output: string): LogLine[] {
  const now = new Date();
  const lines: LogLine[] = [];
  for (const text of output.split("\n")) {
    const match = LINE.exec(text);
    if (!match) continue;
    const [, h, m, s, ms, logger, message] = match;
    let at = Date.UTC(
      now.getUTCFullYear(),
      now.getUTCMonth(),
      now.getUTCDate(),
      Number(h),
      Number(m),
      Number(s),
      Number(ms),
    );
    if (at - now.getTime() > 12 * 3600_000) at -= 24 * 3600_000;
    lines.push({ at, logger, message });
  }
  return lines;
}

/** The time of the first record of `endpoint` after `since` whose message matches `pattern`. */
function firstAfter(
  endpoint: Endpoint,
  since: number,
  pattern: RegExp,
): number | null {
  const line = logLines(endpoint.output).find((line) =>
    line.at >= since && pattern.test(line.message)
  );
  return line?.at ?? null;
}

const CONNECTED = /^peer connection connected$/;
/** A state line that takes `state=` away from `:connected`. */
const LEFT =
  /^peer connection (disconnected|failed|closed|new|replaced by a new one)$/;
const OFFERING = /: offering from port \d+$/;

/** Polls until `probe` gives a number; `null` after `limitMs` or when an endpoint exits. */
async function waitFor(
  probe: () => number | null,
  endpoints: Endpoint[],
  limitMs = CYCLE_LIMIT_MS,
): Promise<number | null> {
  const deadline = Date.now() + limitMs;
  while (Date.now() < deadline) {
    const value = probe();
    if (value !== null) return value;
    if (endpoints.some((endpoint) => endpoint.status !== null)) return null;
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
  return null;
}

/** When both `a` and `b` have logged `connected` since `since` (the later of the two). */
function bothConnected(a: Endpoint, b: Endpoint, since: number): number | null {
  const ta = firstAfter(a, since, CONNECTED);
  const tb = firstAfter(b, since, CONNECTED);
  return ta === null || tb === null ? null : Math.max(ta, tb);
}

// ------------------------------------------------------------ scenarios

const round = (value: number) => Math.round(value);
const median = (values: number[]) => {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted.length === 0 ? null : sorted[sorted.length >> 1];
};
const stats = (values: Array<number | null>) => {
  const known = values.filter((value): value is number => value !== null);
  return {
    median: median(known),
    min: known.length ? Math.min(...known) : null,
    max: known.length ? Math.max(...known) : null,
    measured: known.length,
    of: values.length,
  };
};

/** The two endpoint processes of one run and how to (re)start them. */
class Pair {
  caller!: Endpoint;
  answerer!: Endpoint;
  #runs = 0;

  constructor(
    readonly folder: string,
    readonly callerScene: string,
    readonly answererScene: string,
    readonly run: VariantRun,
  ) {}

  /** Saves the caller's scene, calling the answerer or (`elsewhere`) someone else. */
  async saveCaller(elsewhere: boolean): Promise<void> {
    const node = elsewhere ? this.run.callerElsewhere : this.run.caller;
    await Deno.writeTextFile(this.callerScene, scene(node, CALLER_COLOUR));
  }

  start(role: "caller" | "answerer"): Endpoint {
    const endpoint = Endpoint.start({
      name: `${role} ${++this.#runs}`,
      scene: role === "caller" ? this.callerScene : this.answererScene,
      fps: FPS,
    });
    if (role === "caller") this.caller = endpoint;
    else this.answerer = endpoint;
    return endpoint;
  }

  get both(): Endpoint[] {
    return [this.caller, this.answerer];
  }

  async stopAll(): Promise<void> {
    await Promise.allSettled(this.both.map((endpoint) => endpoint?.stop()));
  }
}

const CALLER_COLOUR: [number, number, number] = [255, 0, 0];
const ANSWERER_COLOUR: [number, number, number] = [0, 0, 255];

function scene(signalling: SceneNodeJson, colour: [number, number, number]) {
  return JSON.stringify({
    nodes: [{
      kind: "!webrtc",
      id: "call",
      size: [160, 120],
      state: ":webrtc",
      children: [signalling, solidShader(colour)],
    }],
  });
}

/**
 * One side goes away (kill or SIGTERM) and is started again at once, or
 * (`edit`) the caller's scene hangs up and is then saved back.
 */
async function cycle(
  pair: Pair,
  gone: "caller" | "answerer",
  how: "kill" | "exit" | "edit",
) {
  const survivor = gone === "caller" ? pair.answerer : pair.caller;
  const leaving = gone === "caller" ? pair.caller : pair.answerer;
  const at = Date.now();
  if (how === "kill") await leaving.kill();
  else if (how === "exit") await leaving.stop();
  else await pair.saveCaller(true);
  const leftAt = how !== "kill"
    // After a clean exit or an edit, wait for the survivor to notice before
    // going on, so that the figure is the notice, not the restart.
    ? await waitFor(() => firstAfter(survivor, at, LEFT), [survivor], 20_000)
    : null;
  const restarted = how === "edit"
    ? (await pair.saveCaller(false), leaving)
    : pair.start(gone);
  const connectedAt = await waitFor(
    () => bothConnected(pair.caller, pair.answerer, at),
    pair.both,
  );
  const left = leftAt ?? firstAfter(survivor, at, LEFT);
  // (After an edit, the first offer is the one to nobody.)
  const firstOffer = how === "edit"
    ? null
    : firstAfter(pair.caller, at, OFFERING);
  const result = {
    [`${gone === "caller" ? "answerer" : "caller"}LeftMs`]: left === null
      ? null
      : round(left - at),
    killToOfferMs: gone === "caller" && firstOffer !== null
      ? round(firstOffer - at)
      : null,
    offerToConnectedMs: gone === "caller" && firstOffer !== null &&
        connectedAt !== null
      ? round(connectedAt - firstOffer)
      : null,
    killToConnectedMs: connectedAt === null ? null : round(connectedAt - at),
    reconnected: connectedAt !== null,
  };
  if (connectedAt === null) {
    console.log(restarted.describe(15));
    console.log(survivor.describe(15));
  }
  return result;
}

async function runVariant(variant: Variant) {
  const dir = await tempFolder();
  const run = await variant.setup();
  const callerScene = join(dir.path, "caller.json");
  const answererScene = join(dir.path, "answerer.json");
  await Deno.writeTextFile(answererScene, scene(run.answerer, ANSWERER_COLOUR));
  const pair = new Pair(dir.path, callerScene, answererScene, run);
  await pair.saveCaller(false);
  const scenarios: Record<string, Array<Record<string, unknown>>> = {};
  try {
    const start = Date.now();
    pair.start("answerer");
    pair.start("caller");
    const first = await waitFor(
      () => bothConnected(pair.caller, pair.answerer, start),
      pair.both,
      60_000,
    );
    if (first === null) {
      throw new Error(
        `the first call did not connect\n${pair.caller.describe()}\n${pair.answerer.describe()}`,
      );
    }
    const plan: Array<
      ["caller" | "answerer", "kill" | "exit" | "edit", number]
    > = [
      ["caller", "kill", CYCLES],
      ["caller", "exit", EXIT_CYCLES],
      ["caller", "edit", EXIT_CYCLES],
      ["answerer", "kill", EXIT_CYCLES],
      ["answerer", "exit", EXIT_CYCLES],
    ];
    for (const [gone, how, count] of plan) {
      const name = `${gone}${how[0].toUpperCase()}${how.slice(1)}`;
      scenarios[name] = [];
      for (let i = 0; i < count; i++) {
        const result = await cycle(pair, gone, how);
        scenarios[name].push(result);
        console.log(`${variant.name} ${name} ${i + 1}/${count}`, result);
        if (!result.reconnected) {
          // Start afresh so that the next cycle begins from a call that is up.
          await pair.stopAll();
          const again = Date.now();
          pair.start("answerer");
          pair.start("caller");
          await waitFor(
            () => bothConnected(pair.caller, pair.answerer, again),
            pair.both,
            60_000,
          );
        }
      }
    }
  } finally {
    await pair.stopAll();
    await run.close();
    await dir.remove();
  }
  const summary: Record<string, Record<string, unknown>> = {};
  for (const [name, cycles] of Object.entries(scenarios)) {
    const keys = new Set(cycles.flatMap((cycle) => Object.keys(cycle)));
    const entry: Record<string, unknown> = {
      reconnected: cycles.filter((cycle) => cycle.reconnected).length,
      cycles: cycles.length,
    };
    for (const key of keys) {
      if (key === "reconnected") continue;
      const values = cycles.map((cycle) => cycle[key] as number | null);
      if (values.every((value) => value === null)) continue;
      entry[key] = stats(values);
    }
    if (name === "callerKill") {
      entry.connectedWithin1sOfFirstOffer = cycles.filter((cycle) =>
        typeof cycle.offerToConnectedMs === "number" &&
        cycle.offerToConnectedMs <= 1000
      ).length;
      entry.connectedWithin10sOfKill = cycles.filter((cycle) =>
        typeof cycle.killToConnectedMs === "number" &&
        cycle.killToConnectedMs <= 10_000
      ).length;
    }
    summary[name] = entry;
  }
  return { summary, scenarios };
}

const results: Record<string, unknown> = {};
for (const variant of VARIANTS.filter((v) => CHOSEN.includes(v.name))) {
  console.log(`--- ${variant.name}`);
  results[variant.name] = await runVariant(variant);
}
const report = {
  date: new Date().toISOString(),
  cores: navigator.hardwareConcurrency,
  deno: Deno.version.deno,
  fps: FPS,
  note:
    "ms; endpoints are cli.ts processes on loopback (160x120 !webrtc, solid colour); " +
    "'left' = the surviving side's first state line after the event (its state= leaves :connected)",
  variants: results,
};
await Deno.mkdir(join(ROOT, "bench/results"), { recursive: true });
await Deno.writeTextFile(
  join(ROOT, `bench/results/${OUT}.json`),
  JSON.stringify(report, null, 2) + "\n",
);
console.log(JSON.stringify(
  Object.fromEntries(
    Object.entries(results).map(([name, value]) => [
      name,
      (value as { summary: unknown }).summary,
    ]),
  ),
  null,
  2,
));
console.log(`written: bench/results/${OUT}.json`);
Deno.exit(0);

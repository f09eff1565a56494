/**
 * Runs every benchmark in turn (`deno task bench`), each as its own
 * `deno run -A` process with a time limit, going on past failures, and
 * prints where the figures went (`bench/results/<name>.json`).
 *
 * `deno task bench` runs this inside `scripts/in_loopback_netns.sh`, which
 * the WebRTC benchmarks need. Options: `--only=NAME[,NAME…]` (e.g.
 * `--only=call,server`; a benchmark's name or its result's) runs a subset.
 * `bench/soak_bench.ts` (memory over long calls and many calls) is not run
 * here: it runs as long as it is told to (30 minutes by default).
 *
 * @module
 */

/** One benchmark script and how long it may take. */
interface Bench {
  /** `bench/<name>_bench.ts`, written to `bench/results/<result>.json`. */
  name: string;
  result: string;
  limitSeconds: number;
  args?: string[];
}

const BENCHES: readonly Bench[] = [
  { name: "engine", result: "engine", limitSeconds: 60 },
  { name: "video", result: "video", limitSeconds: 60 },
  { name: "canvas3d", result: "canvas3d", limitSeconds: 90 },
  { name: "window", result: "window", limitSeconds: 150 },
  { name: "gl_bare", result: "gl_bare", limitSeconds: 100 },
  { name: "expr", result: "expr", limitSeconds: 30 },
  { name: "media", result: "media", limitSeconds: 60 },
  { name: "canvas", result: "canvas", limitSeconds: 90 },
  { name: "broadcast", result: "broadcast", limitSeconds: 60 },
  // Kill/restart, clean-exit and edit cycles of a broadcast call (two processes).
  { name: "reconnect", result: "reconnect", limitSeconds: 240 },
  { name: "webrtc_convert", result: "webrtc_convert", limitSeconds: 30 },
  { name: "server", result: "server", limitSeconds: 150 },
  // !websocket recovering from restarts and exits, with real endpoints.
  {
    name: "reconnect_websocket",
    result: "reconnect_websocket",
    limitSeconds: 300,
  },
  // A rig answering a caller that does not steer (Python aiortc): how long its frames wait.
  { name: "answer_steering", result: "answer_steering", limitSeconds: 420 },
  // One rig reaching 1, 4, 8 viewers: through Janus (one !whip publish) or by direct calls.
  { name: "fanout", result: "fanout", limitSeconds: 300 },
  // The server figures were just measured: the call benchmark only includes them.
  {
    name: "call",
    result: "call",
    limitSeconds: 150,
    args: ["--skip-server-bench"],
  },
  // The same call at aiortc's bitrate ceiling, next to aiortc's own cost.
  {
    name: "call",
    result: "call_1500kbps",
    limitSeconds: 240,
    args: [
      "--skip-server-bench",
      "--bitrate=1500000",
      "--aiortc",
      "--out=call_1500kbps",
    ],
  },
];

const only = Deno.args.find((arg) => arg.startsWith("--only="))?.slice(7).split(
  ",",
);
const chosen = only
  ? BENCHES.filter((bench) =>
    only.includes(bench.name) || only.includes(bench.result)
  )
  : BENCHES;
const root = new URL("../", import.meta.url);

if (Deno.env.get("FLITTER_IN_NETNS") !== "1") {
  console.warn(
    "warning: not inside scripts/in_loopback_netns.sh; the WebRTC benchmarks re-run themselves there or skip parts",
  );
}

const outcomes: {
  name: string;
  status: string;
  seconds: number;
  result: string;
}[] = [];
const started = performance.now();
for (const bench of chosen) {
  const script = `bench/${bench.name}_bench.ts`;
  console.log(`\n=== ${script} (limit ${bench.limitSeconds} s)`);
  const began = performance.now();
  let status: string;
  try {
    const child = new Deno.Command(Deno.execPath(), {
      args: ["run", "-A", script, ...(bench.args ?? [])],
      cwd: root.pathname,
      stdout: "inherit",
      stderr: "inherit",
      signal: AbortSignal.timeout(bench.limitSeconds * 1000),
    }).spawn();
    const { code, signal } = await child.status;
    const elapsed = (performance.now() - began) / 1000;
    if (code === 0) status = "ok";
    else if (signal !== null && elapsed >= bench.limitSeconds - 1) {
      status = `stopped after ${bench.limitSeconds} s`;
    } else status = `failed (exit ${code}${signal ? `, ${signal}` : ""})`;
  } catch (error) {
    status = `could not start: ${
      error instanceof Error ? error.message : String(error)
    }`;
  }
  const seconds = (performance.now() - began) / 1000;
  outcomes.push({
    name: bench.name,
    status,
    seconds,
    result: `bench/results/${bench.result}.json`,
  });
}

console.log(
  `\n=== Benchmarks finished in ${
    ((performance.now() - started) / 1000).toFixed(0)
  } s`,
);
const width = Math.max(...outcomes.map((o) => o.name.length));
for (const outcome of outcomes) {
  console.log(
    `${outcome.name.padEnd(width)}  ${
      outcome.seconds.toFixed(0).padStart(4)
    } s  ${outcome.status.padEnd(10)}  ${outcome.result}`,
  );
}
Deno.exit(outcomes.every((o) => o.status === "ok") ? 0 : 1);

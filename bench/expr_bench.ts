/**
 * Expression benchmark: compiling, and evaluating typical attribute
 * expressions once per frame, next to the same computation written by hand
 * in JavaScript as a floor.
 *
 * Run: `deno bench bench/expr_bench.ts` (Deno's report), or
 * `deno run -A bench/expr_bench.ts` → `bench/results/expr.json`.
 *
 * @module
 */

import {
  compileExpression,
  type EvaluationScope,
} from "../lib/expr/expression.ts";
import { sym, type Value } from "../lib/expr/values.ts";
import { getLogger, setLogLevel } from "../lib/log/logger.ts";

const CONNECTED = sym("connected");
const WEBRTC = sym("webrtc");
const TAU = 2 * Math.PI;

/** A scope like the engine's: a few clock names and one state key. */
class BenchScope implements EvaluationScope {
  time = 0;
  frame = 0;
  connected: Value = CONNECTED;

  lookup(name: string): Value | undefined {
    switch (name) {
      case "time":
        return this.time;
      case "frame":
        return this.frame;
      case "SIZE":
        return [1280, 720];
      default:
        return undefined;
    }
  }

  state(key: Value): Value {
    return key === WEBRTC ? this.connected : null;
  }

  readText(): string | null {
    return null;
  }
}

/** The expressions measured, by benchmark name. */
const EXPRESSIONS: Record<string, string> = {
  colorPulse: "sin(time*0.1)*0.5+0.5;0;1",
  stateIsConnected: "$:webrtc == :connected",
  vectorMaths: "SIZE/2 + (sin(time);cos(time))*100",
  conditional: "(1;0;0) if $:webrtc == :connected else (0;0;1)",
  folded: "hsv(0.3;1;1) * 0.5",
};

/** The colour pulse by hand, as a floor for `colorPulse`. */
function handWrittenPulse(scope: BenchScope): Value {
  return [Math.sin(scope.time * 0.1 * TAU) * 0.5 + 0.5, 0, 1];
}

const compiled = Object.fromEntries(
  Object.entries(EXPRESSIONS).map((
    [name, source],
  ) => [name, compileExpression(source)]),
);

let sink: unknown = null;

/** One evaluation per simulated frame, the clock moving each time. */
function frameLoop(
  scope: BenchScope,
  evaluate: (scope: BenchScope) => Value,
): void {
  scope.time += 1 / 60;
  scope.frame++;
  sink = evaluate(scope);
}

const benchScope = new BenchScope();

Deno.bench("compile colorPulse", { group: "compile" }, () => {
  sink = compileExpression(EXPRESSIONS.colorPulse);
});
Deno.bench(
  "evaluate colorPulse by hand (floor)",
  { group: "colorPulse", baseline: true },
  () => frameLoop(benchScope, handWrittenPulse),
);
for (const name of Object.keys(EXPRESSIONS)) {
  Deno.bench(
    `evaluate ${name}: ${EXPRESSIONS[name]}`,
    { group: name === "colorPulse" ? "colorPulse" : "evaluate" },
    () => frameLoop(benchScope, compiled[name].evaluate),
  );
}

/** Nanoseconds per call of `body`, best of `rounds` rounds of `calls`. */
function nanosecondsPerCall(
  body: () => void,
  calls = 200_000,
  rounds = 7,
): number {
  let best = Infinity;
  for (let round = 0; round < rounds; round++) {
    const start = performance.now();
    for (let i = 0; i < calls; i++) body();
    const elapsed = (performance.now() - start) * 1e6 / calls;
    if (elapsed < best) best = elapsed;
  }
  return Math.round(best * 10) / 10;
}

/** Measures every case and returns the figures (ns per call, best round). */
export function runExprBench(): Record<string, unknown> {
  const scope = new BenchScope();
  const evaluateNs: Record<string, number> = {};
  for (const name of Object.keys(EXPRESSIONS)) {
    const evaluate = compiled[name].evaluate;
    evaluateNs[name] = nanosecondsPerCall(() => frameLoop(scope, evaluate));
  }
  return {
    cores: navigator.hardwareConcurrency,
    deno: Deno.version.deno,
    expressions: EXPRESSIONS,
    compileColorPulseNs: nanosecondsPerCall(
      () => sink = compileExpression(EXPRESSIONS.colorPulse),
      20_000,
    ),
    evaluateNs,
    handWrittenColorPulseNs: nanosecondsPerCall(() =>
      frameLoop(scope, handWrittenPulse)
    ),
    sinkType: typeof sink,
  };
}

if (import.meta.main) {
  setLogLevel("warn");
  const text = JSON.stringify(
    { date: new Date().toISOString(), ...runExprBench() },
    null,
    2,
  );
  await Deno.mkdir(new URL("./results/", import.meta.url), { recursive: true });
  await Deno.writeTextFile(
    new URL("./results/expr.json", import.meta.url),
    text + "\n",
  );
  getLogger("bench").warn("expr figures written to bench/results/expr.json");
  console.log(text);
}

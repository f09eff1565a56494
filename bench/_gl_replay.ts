/**
 * What the engine benchmarks against a bare GL replay share
 * (bench/engine_bench.ts, bench/canvas3d_bench.ts): a lockstep engine for a
 * scene, warmed up; recording the GL calls of a frame, to be replayed
 * straight on the FFI symbols with no engine code in between; the engine's
 * own CPU per frame with every GL call answered by a no-op; medians,
 * rounding and writing `bench/results/NAME.json`.
 *
 * @module
 */

import { Engine } from "../lib/engine/engine.ts";

/** One recorded GL call: the symbol, (copies of) its arguments and its name. */
export type GlCall = [
  fn: (...args: unknown[]) => unknown,
  args: unknown[],
  name: string,
];

/** The GL function table of `engine`'s context, which these helpers swap out and back. */
type GlSymbols = Record<string, (...args: unknown[]) => unknown>;

function symbolsOf(engine: Engine): GlSymbols {
  return engine.gl.gl as unknown as GlSymbols;
}

/** Runs `body` with the context's GL function table replaced by `table`, then puts the real one back. */
function withSymbols<T>(engine: Engine, table: GlSymbols, body: () => T): T {
  const holder = engine.gl as unknown as { gl: unknown };
  const symbols = holder.gl;
  holder.gl = table;
  try {
    return body();
  } finally {
    holder.gl = symbols;
  }
}

/** A copy of a typed-array argument (the engine may reuse its buffers); other values as they are. */
function copyArgument(value: unknown): unknown {
  return ArrayBuffer.isView(value) ? (value as Uint8Array).slice() : value;
}

/**
 * A lockstep engine (60 fps, not watching its file) for the TOML scene
 * `text`, with `warmUp` frames already rendered and finished.
 */
export function lockstepEngine(
  text: string,
  filename: string,
  warmUp = 10,
): Engine {
  const engine = Engine.fromText(text, filename, {
    lockstep: true,
    fps: 60,
    watch: false,
  });
  for (let i = 0; i < warmUp; i++) {
    engine.renderFrame();
    engine.gl.finish();
  }
  return engine;
}

/**
 * Renders one frame (at `time`, or the engine's own clock) and returns the
 * GL calls it made, each with copies of its arguments. The calls are made
 * as well; the frame is not finished.
 */
export function recordFrame(engine: Engine, time?: number): GlCall[] {
  const calls: GlCall[] = [];
  const recorder = new Proxy(symbolsOf(engine), {
    get(target, name: string) {
      const fn = target[name];
      if (typeof fn !== "function") return fn;
      return (...args: unknown[]) => {
        calls.push([fn, args.map(copyArgument), name]);
        return fn(...args);
      };
    },
  });
  withSymbols(engine, recorder, () => engine.renderFrame(time));
  return calls;
}

/** Makes the recorded calls again, straight on the symbols. */
export function replayFrame(frame: readonly GlCall[]): void {
  for (let i = 0; i < frame.length; i++) {
    const call = frame[i];
    call[0](...call[1]);
  }
}

/**
 * The engine's own CPU time of each of `frames` frames, in ms: every GL
 * call answered by a no-op, so only what the engine itself does (expression
 * evaluation, the tree walk, the nodes' bookkeeping) remains.
 */
export function engineCpuMs(engine: Engine, frames: number): number[] {
  const noOp = new Proxy(symbolsOf(engine), {
    get(target, name: string) {
      return typeof target[name] === "function" ? () => 0 : target[name];
    },
  });
  return withSymbols(engine, noOp, () => {
    const times: number[] = [];
    for (let i = 0; i < frames; i++) {
      const began = performance.now();
      engine.renderFrame();
      times.push(performance.now() - began);
    }
    return times;
  });
}

/** The median of `values` (the upper one of an even count). */
export function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)];
}

/** `value` rounded to `digits` decimals. */
export function round(value: number, digits = 3): number {
  return Number(value.toFixed(digits));
}

/** Writes `results` to `bench/results/NAME.json` and prints them. */
export async function writeResults(
  name: string,
  results: unknown,
): Promise<void> {
  const text = JSON.stringify(results, null, 2);
  await Deno.mkdir(new URL("./results/", import.meta.url), { recursive: true });
  await Deno.writeTextFile(
    new URL(`./results/${name}.json`, import.meta.url),
    text + "\n",
  );
  console.log(text);
}

/**
 * Window benchmark: the engine benchmark's 1280x720 scene (three shader
 * nodes) rendered offscreen and in an on-screen window, in one run, on its
 * own Xvfb server (`xvfb` package).
 *
 * - Lockstep: three engines in alternating blocks of frames: headless
 *   (surfaceless EGL), with its window presenting through MIT-SHM (the
 *   default with a software renderer), and with its window presenting
 *   through its EGL surface (what GPUs use); each frame timed until
 *   `glFinish`, so the window's cost (polling events, the present) is
 *   counted in full.
 * - What a frame spends on the window alone: event polling, and the
 *   present, measured around the window node's render.
 * - Real time at 30 fps for 6 s each: offscreen, in a window (MIT-SHM), in
 *   a window through EGL with and without `vsync`: frames per second and
 *   frame-to-frame jitter (the spread of the intervals between frame
 *   starts).
 *
 * Run: `deno run -A bench/window_bench.ts` → `bench/results/window.json`.
 *
 * @module
 */

import { Engine } from "../lib/engine/engine.ts";
import { setLogLevel } from "../lib/log/logger.ts";
import { SIMPLEX_NOISE } from "./_shaders.ts";
import { Xvfb } from "../tests/window/_x11.ts";

setLogLevel("warn");

const SHADERS = [
  [
    ":over",
    `uniform float time;
void main() { color = vec4(coord.x, coord.y, 0.5 + 0.5 * sin(time), 1.0); }`,
  ],
  [
    ":add",
    `uniform float time;
uniform vec2 size;
void main() {
    vec2 p = (coord - 0.5) * vec2(size.x / size.y, 1.0) * 6.0;
    float v = sin(p.x + time) + sin(p.y * 1.3 - time * 0.7) + sin(length(p) * 1.5 - time);
    color = vec4(0.5 + 0.5 * cos(v + vec3(0.0, 2.1, 4.2)), 1.0) * 0.5;
}`,
  ],
  [
    ":add",
    `uniform float time;
uniform vec2 size;
${SIMPLEX_NOISE}
void main() {
    float n = snoise(coord * size / 100.0 + time * 0.1);
    color = vec4(vec3(0.5 + 0.5 * n), 1.0) * 0.3;
}`,
  ],
];

const SCENE = `
[[nodes]]
kind = "!window"
id = "out"
size = [1280, 720]
title = "window_bench"
${
  SHADERS.map(([composite, body]) => `
  [[nodes.children]]
  kind = "!shader"
  composite = "${composite}"
  fragment = """\${HEADER}
in vec2 coord;
out vec4 color;
${body}
"""
`).join("")
}`;

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)];
}

function mean(values: number[]): number {
  return values.reduce((sum, value) => sum + value, 0) / values.length;
}

function percentile(values: number[], p: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor(p * sorted.length))];
}

function round(value: number, digits = 3): number {
  return Number(value.toFixed(digits));
}

/** Runs the scene in real time at 30 fps for 6 s; frame rate and jitter. */
async function realTime(
  name: string,
  windows: { vsync?: boolean } | undefined,
) {
  const engine = Engine.fromText(SCENE, `${name}.toml`, {
    fps: 30,
    runtime: 6,
    watch: false,
    windows,
  });
  const starts: number[] = [];
  const original = engine.renderFrameAsync.bind(engine);
  engine.renderFrameAsync = (time?: number) => {
    starts.push(performance.now());
    return original(time);
  };
  await engine.run();
  // The first second warms up (shader compilation, the window mapping).
  const settled = starts.filter((start) => start - starts[0] >= 1000);
  const intervals = settled.slice(1).map((start, i) => start - settled[i]);
  if (intervals.length < 10) {
    throw new Error(`${name}: only ${starts.length} frames in 6 s`);
  }
  const meanInterval = mean(intervals);
  const spread = Math.sqrt(
    mean(intervals.map((value) => (value - meanInterval) ** 2)),
  );
  return {
    fps: round(1000 / meanInterval, 1),
    intervalMeanMs: round(meanInterval, 2),
    jitterStdDevMs: round(spread, 2),
    intervalP1Ms: round(percentile(intervals, 0.01), 2),
    intervalP99Ms: round(percentile(intervals, 0.99), 2),
  };
}

const xvfb = await Xvfb.start(1920, 1080);
Deno.env.set("DISPLAY", xvfb.display);
Deno.env.delete("WAYLAND_DISPLAY");

/** Times the window node's present alone: its render less its compositing. */
function presentTimes(engine: Engine): number[] {
  const root = engine.roots[0] as unknown as {
    render: (...args: unknown[]) => void;
  };
  const renderOf = root.render.bind(root);
  const times: number[] = [];
  const composite = Object.getPrototypeOf(Object.getPrototypeOf(root))
    .render as (...args: unknown[]) => void;
  root.render = (...args: unknown[]) => {
    composite.apply(root, args); // compositing only
    engine.gl.finish();
    const began = performance.now();
    renderOf(...args); // compositing again, then the present
    engine.gl.finish();
    const whole = performance.now() - began;
    const again = performance.now();
    composite.apply(root, args);
    engine.gl.finish();
    times.push(whole - (performance.now() - again));
  };
  for (let i = 0; i < 60; i++) engine.renderFrame();
  root.render = renderOf;
  return times;
}

function timeFrame(engine: Engine): number {
  const began = performance.now();
  engine.renderFrame();
  engine.gl.finish();
  return performance.now() - began;
}

/** `body` with `FLITTER_WINDOW_PRESENT` set to `how` (windows open in it). */
async function presenting<T>(how: string, body: () => T): Promise<T> {
  Deno.env.set("FLITTER_WINDOW_PRESENT", how);
  try {
    return await body();
  } finally {
    Deno.env.delete("FLITTER_WINDOW_PRESENT");
  }
}

try {
  // ------------------------------------------------------------ lockstep
  const options = { lockstep: true, watch: false };
  const offscreen = Engine.fromText(SCENE, "offscreen.toml", options);
  // The window opens in the first frame, presenting the way chosen then.
  const shm = await presenting("shm", () => {
    const engine = Engine.fromText(SCENE, "shm.toml", {
      ...options,
      windows: {},
    });
    timeFrame(engine);
    return engine;
  });
  const egl = await presenting("egl", () => {
    const engine = Engine.fromText(SCENE, "egl.toml", {
      ...options,
      windows: {},
    });
    timeFrame(engine);
    return engine;
  });
  if (shm.gl.platform !== "x11") {
    throw new Error(`The window engine runs on ${shm.gl.platform}`);
  }
  const engines = { offscreen, shm, egl };
  for (let i = 0; i < 10; i++) {
    for (const engine of Object.values(engines)) timeFrame(engine);
  }
  const BLOCKS = 10;
  const FRAMES_PER_BLOCK = 12;
  const times = {
    offscreen: [] as number[],
    shm: [] as number[],
    egl: [] as number[],
  };
  for (let block = 0; block < BLOCKS; block++) {
    for (const [name, engine] of Object.entries(engines)) {
      for (let i = 0; i < FRAMES_PER_BLOCK; i++) {
        times[name as keyof typeof times].push(timeFrame(engine));
      }
    }
  }
  // The window's own parts: polling events, and the present.
  const pollTimes: number[] = [];
  for (let i = 0; i < 2000; i++) {
    const began = performance.now();
    shm.windows.poll();
    pollTimes.push(performance.now() - began);
  }
  const presentShm = presentTimes(shm);
  const presentEgl = presentTimes(egl);
  const renderer = shm.gl.renderer;
  for (const engine of Object.values(engines)) await engine.dispose();

  // ------------------------------------------------------------ real time
  const realTimeResults = {
    offscreen: await realTime("offscreen_rt", undefined),
    windowShm: await presenting("shm", () => realTime("shm_rt", {})),
    windowEgl: await presenting("egl", () => realTime("egl_rt", {})),
    windowEglVsync: await presenting(
      "egl",
      () => realTime("egl_vsync_rt", { vsync: true }),
    ),
  };

  const offMs = median(times.offscreen);
  const lockstep = (name: "shm" | "egl") => {
    const ms = median(times[name]);
    return {
      msPerFrameMedian: round(ms),
      msPerFrameMean: round(mean(times[name])),
      fps: round(1000 / ms, 1),
      costPercent: round((ms / offMs - 1) * 100, 1),
    };
  };
  const results = {
    date: new Date().toISOString(),
    renderer,
    cores: navigator.hardwareConcurrency,
    display: "Xvfb 1920x1080x24 (software X server), Mesa EGL X11 platform",
    scene:
      "1280x720 !window (colorbits 16) of three !shader nodes: gradient, plasma, simplex noise",
    lockstep: {
      offscreen: {
        msPerFrameMedian: round(offMs),
        msPerFrameMean: round(mean(times.offscreen)),
        fps: round(1000 / offMs, 1),
      },
      windowShm: lockstep("shm"),
      windowEgl: lockstep("egl"),
    },
    windowParts: {
      pollEventsMsMedian: round(median(pollTimes), 4),
      pollEventsMsP99: round(percentile(pollTimes, 0.99), 4),
      presentShmMsMedian: round(median(presentShm)),
      presentEglMsMedian: round(median(presentEgl)),
    },
    realTime30fps: realTimeResults,
    note:
      "With llvmpipe, windows present through MIT-SHM by default (windowShm); windowEgl forces the EGL surface path GPUs use. Xvfb has no vertical blank: Mesa's software X11 path accepts eglSwapInterval(1) without waiting, so vsync changes nothing here.",
  };
  await Deno.mkdir(new URL("./results/", import.meta.url), {
    recursive: true,
  });
  await Deno.writeTextFile(
    new URL("./results/window.json", import.meta.url),
    JSON.stringify(results, null, 2) + "\n",
  );
  console.log(JSON.stringify(results, null, 2));
} finally {
  await xvfb.stop();
}
Deno.exit(0);

/**
 * Window benchmark: the engine benchmark's 1280x720 scene (three shader
 * nodes) rendered offscreen and in an on-screen window, in one run, on its
 * own Xvfb server (`xvfb` package).
 *
 * - Lockstep: two engines, one headless (surfaceless EGL) and one with its
 *   window open, in alternating blocks of frames; each frame timed until
 *   `glFinish`, so the window's cost (polling events, drawing the picture
 *   into the window's surface, swapping) is counted in full.
 * - What a frame spends on the window alone: event polling, and the
 *   present (draw + swap) measured around the window node's render.
 * - Real time at 30 fps for 6 s each, offscreen, in a window, and in a
 *   window with `vsync`: frames per second and frame-to-frame jitter (the
 *   spread of the intervals between frame starts).
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

try {
  // ------------------------------------------------------------ lockstep
  const offscreen = Engine.fromText(SCENE, "offscreen.toml", {
    lockstep: true,
    watch: false,
  });
  const windowed = Engine.fromText(SCENE, "window.toml", {
    lockstep: true,
    watch: false,
    windows: {},
  });
  if (windowed.gl.platform !== "x11") {
    throw new Error(`The window engine runs on ${windowed.gl.platform}`);
  }
  const timeFrame = (engine: Engine): number => {
    const began = performance.now();
    engine.renderFrame();
    engine.gl.finish();
    return performance.now() - began;
  };
  for (let i = 0; i < 10; i++) {
    timeFrame(offscreen);
    timeFrame(windowed);
  }
  const BLOCKS = 10;
  const FRAMES_PER_BLOCK = 15;
  const offTimes: number[] = [];
  const onTimes: number[] = [];
  for (let block = 0; block < BLOCKS; block++) {
    for (let i = 0; i < FRAMES_PER_BLOCK; i++) {
      offTimes.push(timeFrame(offscreen));
    }
    for (let i = 0; i < FRAMES_PER_BLOCK; i++) {
      onTimes.push(timeFrame(windowed));
    }
  }

  // The window's own parts: polling events, and the present (the window
  // node's render less its compositing, measured by timing the whole render
  // of the node with and without a window).
  const pollTimes: number[] = [];
  for (let i = 0; i < 2000; i++) {
    const began = performance.now();
    windowed.windows.poll();
    pollTimes.push(performance.now() - began);
  }
  const root = windowed.roots[0] as unknown as {
    render: (...args: unknown[]) => void;
  };
  const renderOf = root.render.bind(root);
  const presentTimes: number[] = [];
  const composite = Object.getPrototypeOf(Object.getPrototypeOf(root))
    .render as (...args: unknown[]) => void;
  root.render = (...args: unknown[]) => {
    composite.apply(root, args); // compositing only
    windowed.gl.finish();
    const began = performance.now();
    renderOf(...args); // compositing again, then the present
    windowed.gl.finish();
    const whole = performance.now() - began;
    const again = performance.now();
    composite.apply(root, args);
    windowed.gl.finish();
    presentTimes.push(whole - (performance.now() - again));
  };
  for (let i = 0; i < 60; i++) windowed.renderFrame();
  root.render = renderOf;
  await offscreen.dispose();
  await windowed.dispose();

  // ------------------------------------------------------------ real time
  const realTimeResults = {
    offscreen: await realTime("offscreen_rt", undefined),
    window: await realTime("window_rt", {}),
    windowVsync: await realTime("window_vsync_rt", { vsync: true }),
  };

  const offMs = median(offTimes);
  const onMs = median(onTimes);
  const results = {
    date: new Date().toISOString(),
    renderer: windowed.gl.renderer,
    cores: navigator.hardwareConcurrency,
    display: "Xvfb 1920x1080x24 (software X server), Mesa EGL X11 platform",
    scene:
      "1280x720 !window (colorbits 16) of three !shader nodes: gradient, plasma, simplex noise",
    lockstep: {
      offscreenMsPerFrameMedian: round(offMs),
      windowMsPerFrameMedian: round(onMs),
      offscreenMsPerFrameMean: round(mean(offTimes)),
      windowMsPerFrameMean: round(mean(onTimes)),
      offscreenFps: round(1000 / offMs, 1),
      windowFps: round(1000 / onMs, 1),
      windowCostPercent: round((onMs / offMs - 1) * 100, 1),
    },
    windowParts: {
      pollEventsMsMedian: round(median(pollTimes), 4),
      pollEventsMsP99: round(percentile(pollTimes, 0.99), 4),
      presentMsMedian: round(median(presentTimes)),
    },
    realTime30fps: realTimeResults,
    note:
      "Xvfb has no vertical blank: Mesa's software X11 path accepts eglSwapInterval(1) and does not wait, so vsync changes nothing here; on a desktop GPU it paces swaps to the display.",
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

/**
 * `!canvas3d` benchmark: a 1280x720 window showing 1000 lit boxes (a
 * 10x10x10 grid, each its own `!box` node with its own colour, the grid
 * turning with `time`) under 8 lights (2 directional, 6 point), rendered in
 * lockstep, against a bare FFI replay of exactly the GL calls the engine
 * issued for the same frames (recorded first, since the grid turns and each
 * frame draws another picture; then called straight on the symbols: the
 * same instanced draw, uniforms and instance data, with no engine code in
 * between). Both run in one process on one context, alternating frame by
 * frame (so both meet the same load), each frame finished with glFinish. Also the engine's
 * own CPU per frame (every GL call answered by a no-op): the tree walk of
 * 1000 nodes, collecting, sorting and packing the instances.
 *
 * Run: `deno run -A bench/canvas3d_bench.ts` → `bench/results/canvas3d.json`
 * (under a minute on two busy cores with llvmpipe).
 *
 * @module
 */

import { setLogLevel } from "../lib/log/logger.ts";
import {
  engineCpuMs,
  lockstepEngine,
  median,
  recordFrame,
  replayFrame,
  round,
  writeResults,
} from "./_gl_replay.ts";

setLogLevel("warn");

const GRID = 10;
const SPACING = 60;

function boxes(): string {
  let text = "";
  for (let i = 0; i < GRID ** 3; i++) {
    const x = i % GRID, y = Math.floor(i / GRID) % GRID;
    const z = Math.floor(i / GRID ** 2);
    const at = (n: number) => (n - (GRID - 1) / 2) * SPACING;
    text += `
      [[nodes.children.children.children]]
      kind = "!box"
      position = [${at(x)}, ${at(y)}, ${at(z)}]
      size = 30
      color = [${(0.2 + 0.8 * x / GRID).toFixed(2)}, ${
      (0.2 + 0.8 * y / GRID).toFixed(2)
    }, ${(0.2 + 0.8 * z / GRID).toFixed(2)}]
`;
  }
  return text;
}

const LIGHTS: string[] = [
  `color = 0.3\ndirection = [0, -1, -1]`,
  `color = [0.1, 0.1, 0.2]\ndirection = [1, 0.5, 0]`,
  ...[0, 1, 2, 3, 4, 5].map((i) => {
    const angle = (i / 6) * 2 * Math.PI;
    const position = [
      Math.round(400 * Math.cos(angle)),
      i % 2 === 0 ? 200 : -200,
      Math.round(400 * Math.sin(angle)),
    ];
    const color = [
      i % 3 === 0 ? 1 : 0.3,
      i % 3 === 1 ? 1 : 0.3,
      i % 3 === 2 ? 1 : 0.3,
    ]
      .map((c) => c * 40000);
    return `color = [${color}]\nposition = [${position}]`;
  }),
];

const SCENE = `
[[nodes]]
kind = "!window"
id = "out"
size = [1280, 720]

  [[nodes.children]]
  kind = "!canvas3d"
  viewpoint = [0, 300, 1100]
  fov = 0.2
  far = 3000
${
  LIGHTS.map((light) => `
    [[nodes.children.children]]
    kind = "!light"
${light.split("\n").map((line) => `    ${line}`).join("\n")}
`).join("")
}
    [[nodes.children.children]]
    kind = "!transform"
    rotate_y = "=time / 20"
${boxes()}
`;

const engine = lockstepEngine(SCENE, "canvas3d_bench.toml");
const gl = engine.gl;

// Record the GL calls of every frame to be timed (the grid turns, so each
// frame draws a different picture): the bare replay then draws exactly the
// frames the engine draws, with the same instance data.
const FRAMES = 80;
const times = Array.from({ length: FRAMES }, (_, i) => 1 + i / 60);
const recorded = times.map((time) => recordFrame(engine, time));
gl.finish();
const calls = recorded[0];
const draws = calls.filter(([, , name]) => name === "glDrawElementsInstanced");

// Engine and replay alternate frame by frame, so both meet the same load
// (other processes share the cores); each frame's pair gives a ratio.
const engineTimes: number[] = [];
const bareTimes: number[] = [];
const ratios: number[] = [];
const timeEngine = (i: number) => {
  const began = performance.now();
  engine.renderFrame(times[i]);
  gl.finish();
  return performance.now() - began;
};
const timeBare = (i: number) => {
  const began = performance.now();
  replayFrame(recorded[i]);
  gl.finish();
  return performance.now() - began;
};
for (let i = 0; i < FRAMES; i++) {
  // Which goes first alternates too.
  let engineMs: number, bareMs: number;
  if (i % 2 === 0) {
    engineMs = timeEngine(i);
    bareMs = timeBare(i);
  } else {
    bareMs = timeBare(i);
    engineMs = timeEngine(i);
  }
  engineTimes.push(engineMs);
  bareTimes.push(bareMs);
  ratios.push(engineMs / bareMs);
}

// The engine's own CPU per frame, GL calls answered by no-ops.
const cpuTimes = engineCpuMs(engine, 300);

const engineMs = median(engineTimes);
const bareMs = median(bareTimes);
const results = {
  date: new Date().toISOString(),
  renderer: gl.renderer,
  cores: navigator.hardwareConcurrency,
  scene:
    "1280x720 !window (colorbits 16) with a !canvas3d of 1000 !box nodes (10x10x10, own colours, turning) and 8 lights (2 directional, 6 point)",
  glCallsPerFrame: calls.length,
  instancedDrawsPerFrame: draws.length,
  instancesPerDraw: draws.map(([, args]) => args[4]),
  engineMsPerFrameMedian: round(engineMs),
  bareReplayMsPerFrameMedian: round(bareMs),
  engineOverheadPercent: round((engineMs / bareMs - 1) * 100, 1),
  engineOverheadPercentPairedMedian: round((median(ratios) - 1) * 100, 1),
  engineFps: round(1000 / engineMs, 1),
  bareReplayFps: round(1000 / bareMs, 1),
  engineOwnCpuMsPerFrame: round(median(cpuTimes), 3),
};
await engine.dispose();
engine.close();
await writeResults("canvas3d", results);

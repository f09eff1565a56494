/**
 * Engine benchmark: a 1280x720 window of three shader nodes (gradient,
 * plasma, simplex noise) rendered in lockstep, against a bare FFI replay of
 * exactly the GL calls the engine issued for one frame (recorded, then
 * called straight on the symbols, with no engine code in between). Both run
 * in one process on one context, in alternating blocks, each frame finished
 * with glFinish so the GL work is counted. Also read-back costs at 720p and
 * 1080p.
 *
 * Run: `deno run -A bench/engine_bench.ts` → `bench/results/engine.json`.
 *
 * @module
 */

import { setLogLevel } from "../lib/log/logger.ts";
import { RenderTarget } from "../lib/gl/texture.ts";
import {
  engineCpuMs,
  lockstepEngine,
  median,
  recordFrame,
  replayFrame,
  round,
  writeResults,
} from "./_gl_replay.ts";
import { SIMPLEX_NOISE } from "./_shaders.ts";

setLogLevel("warn");

const SHADERS = {
  gradient: `
uniform float time;
void main() { color = vec4(coord.x, coord.y, 0.5 + 0.5 * sin(time), 1.0); }`,
  plasma: `
uniform float time;
uniform vec2 size;
void main() {
    vec2 p = (coord - 0.5) * vec2(size.x / size.y, 1.0) * 6.0;
    float v = sin(p.x + time) + sin(p.y * 1.3 - time * 0.7) + sin(length(p) * 1.5 - time);
    color = vec4(0.5 + 0.5 * cos(v + vec3(0.0, 2.1, 4.2)), 1.0) * 0.5;
}`,
  noise: `
uniform float time;
uniform vec2 size;
${SIMPLEX_NOISE}
void main() {
    float n = snoise(coord * size / 100.0 + time * 0.1);
    color = vec4(vec3(0.5 + 0.5 * n), 1.0) * 0.3;
}`,
};

function shaderNode(body: string, composite: string): string {
  return `
  [[nodes.children]]
  kind = "!shader"
  composite = "${composite}"
  fragment = """\${HEADER}
in vec2 coord;
out vec4 color;
${body}
"""
`;
}

const SCENE = `
[[nodes]]
kind = "!window"
id = "out"
size = [1280, 720]
${shaderNode(SHADERS.gradient, ":over")}
${shaderNode(SHADERS.plasma, ":add")}
${shaderNode(SHADERS.noise, ":add")}
`;

const engine = lockstepEngine(SCENE, "engine_bench.toml");
const gl = engine.gl;

// Record one steady-state frame's GL calls.
const calls = recordFrame(engine);
gl.finish();

const BLOCKS = 8;
const FRAMES_PER_BLOCK = 15;
const engineTimes: number[] = [];
const bareTimes: number[] = [];
for (let block = 0; block < BLOCKS; block++) {
  for (let i = 0; i < FRAMES_PER_BLOCK; i++) {
    const began = performance.now();
    engine.renderFrame();
    gl.finish();
    engineTimes.push(performance.now() - began);
  }
  for (let i = 0; i < FRAMES_PER_BLOCK; i++) {
    const began = performance.now();
    replayFrame(calls);
    gl.finish();
    bareTimes.push(performance.now() - began);
  }
}

// The engine's own CPU cost per frame: the same frames with every GL call
// answered by a no-op, so only expression evaluation, the tree walk and the
// nodes' bookkeeping remain.
const cpuTimes = engineCpuMs(engine, 2000);

function readbackMs(width: number, height: number): number {
  const target = new RenderTarget(gl, width, height, "srgb8");
  const buffer = new Uint8Array(width * height * 4);
  const times: number[] = [];
  for (let i = 0; i < 100; i++) {
    gl.finish();
    const began = performance.now();
    gl.bindFramebuffer(target.framebuffer);
    gl.readPixels(0, 0, width, height, buffer);
    times.push(performance.now() - began);
  }
  target.destroy();
  return median(times);
}

const engineMs = median(engineTimes);
const bareMs = median(bareTimes);
const results = {
  date: new Date().toISOString(),
  renderer: gl.renderer,
  cores: navigator.hardwareConcurrency,
  scene:
    "1280x720 !window (colorbits 16) of three !shader nodes: gradient, plasma, simplex noise",
  glCallsPerFrame: calls.length,
  engineMsPerFrameMedian: round(engineMs),
  bareReplayMsPerFrameMedian: round(bareMs),
  engineOverheadPercent: round((engineMs / bareMs - 1) * 100, 1),
  lockstepFps: round(1000 / engineMs, 1),
  engineOwnCpuMsPerFrame: round(median(cpuTimes), 4),
  readbackMs: {
    "1280x720": round(readbackMs(1280, 720)),
    "1920x1080": round(readbackMs(1920, 1080)),
  },
};
await engine.dispose();
await writeResults("engine", results);

/**
 * Video playback benchmark (`!video`): what one 1280x720 frame of an H.264
 * file costs, from ffmpeg to the node's target, for both ways frames can
 * reach the GPU:
 *
 * - `i420`: ffmpeg hands over its own 4:2:0 planes (1.5 bytes a pixel),
 *   uploaded into three R8 textures and turned into RGB by the node's pass
 *   (what `!video` does for 4:2:0 files);
 * - `rgba`: ffmpeg converts to RGBA (4 bytes a pixel) with swscale,
 *   uploaded into an sRGB texture (what `!video` does for other files).
 *
 * For each: decoding alone (frames asked for in order and waited for, as
 * in lockstep: ffmpeg and the worker run while the render thread waits),
 * the CPU time of the ffmpeg processes per frame (from this process's
 * reaped-children time), then the render thread's share per frame: the
 * upload and the drawing pass (finished with `glFinish`).
 *
 * Run: `deno run -A bench/video_bench.ts` → `bench/results/video.json`
 * (about half a minute).
 *
 * @module
 */

import { GLContext } from "../lib/gl/context.ts";
import { RenderTarget } from "../lib/gl/texture.ts";
import { setLogLevel } from "../lib/log/logger.ts";
import { VideoDecoder } from "../lib/media/video_decoder.ts";
import {
  frameBytes,
  probeVideo,
  type VideoInfo,
} from "../lib/media/video_probe.ts";
import type { Playback } from "../lib/media/playback.ts";
import {
  type PictureLook,
  VideoPicture,
} from "../lib/render/nodes/_video_picture.ts";

const WIDTH = 1280;
const HEIGHT = 720;
const FPS = 30;
const FRAMES = 150;
const LOOK: PictureLook = {
  flip: [0, 0],
  aspect: "stretch",
  gamma: 1,
  alpha: 1,
};

function round(value: number, digits = 3): number {
  return Math.round(value * 10 ** digits) / 10 ** digits;
}

const ticksPerSecond = Number(
  new TextDecoder().decode(
    new Deno.Command("getconf", { args: ["CLK_TCK"], stdout: "piped" })
      .outputSync().stdout,
  ),
) || 100;

/** CPU seconds of this process (`self`) and of its reaped children (ffmpeg). */
function cpuSeconds(): { self: number; children: number } {
  const stat = Deno.readTextFileSync("/proc/self/stat");
  const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ").map(Number);
  // Fields 14–17 of proc(5), counted from 3 after the command name.
  const [utime, stime, cutime, cstime] = fields.slice(11, 15);
  return {
    self: (utime + stime) / ticksPerSecond,
    children: (cutime + cstime) / ticksPerSecond,
  };
}

async function makeClip(path: string): Promise<void> {
  const output = await new Deno.Command("ffmpeg", {
    args: [
      ...["-hide_banner", "-loglevel", "error", "-y", "-f", "lavfi"],
      ...["-i", `testsrc2=size=${WIDTH}x${HEIGHT}:rate=${FPS}`],
      ...["-frames:v", String(FRAMES)],
      ...["-c:v", "libx264", "-preset", "veryfast"],
      ...["-pix_fmt", "yuv420p", path],
    ],
    stderr: "piped",
  }).output();
  if (!output.success) {
    throw new Error(new TextDecoder().decode(output.stderr));
  }
}

/** Every frame in order, waited for; nothing else done with it. */
async function decodeOnly(info: VideoInfo) {
  const decoder = VideoDecoder.open(info, { cacheBytes: 0 });
  const playback: Playback = { first: 0, length: FRAMES, mode: "clamp" };
  const cpu = cpuSeconds();
  const start = performance.now();
  for (let tag = 0; tag < FRAMES; tag++) {
    if (decoder.frame(tag, playback, 1, true) === null) {
      throw new Error(`frame ${tag} missing`);
    }
  }
  const wallMs = performance.now() - start;
  await decoder.close(); // ffmpeg exits and is reaped: its CPU is counted
  const after = cpuSeconds();
  return {
    wallMsPerFrame: round(wallMs / FRAMES),
    framesPerSecond: round(FRAMES / (wallMs / 1000), 1),
    ffmpegCpuMsPerFrame: round(
      (after.children - cpu.children) * 1000 / FRAMES,
    ),
    ffmpegCoreShareAt30Fps: round(
      (after.children - cpu.children) / FRAMES * FPS,
      2,
    ),
    thisProcessCpuMsPerFrame: round((after.self - cpu.self) * 1000 / FRAMES),
  };
}

/** Every frame in order, uploaded and drawn into a 16-bit 1280x720 target. */
async function decodeUploadDraw(info: VideoInfo, gl: GLContext) {
  const decoder = VideoDecoder.open(info, { cacheBytes: 0 });
  const picture = new VideoPicture(gl, info);
  const target = new RenderTarget(gl, WIDTH, HEIGHT, "rgba16f");
  const playback: Playback = { first: 0, length: FRAMES, mode: "clamp" };
  let waitMs = 0, uploadMs = 0, drawMs = 0;
  const start = performance.now();
  for (let tag = 0; tag < FRAMES; tag++) {
    const t0 = performance.now();
    const frame = decoder.frame(tag, playback, 1, true);
    if (frame === null) throw new Error(`frame ${tag} missing`);
    const t1 = performance.now();
    picture.upload(frame, [tag]);
    const t2 = performance.now();
    picture.draw(target, tag, null, 0, LOOK);
    gl.finish();
    const t3 = performance.now();
    waitMs += t1 - t0;
    uploadMs += t2 - t1;
    drawMs += t3 - t2;
  }
  const wallMs = performance.now() - start;
  await decoder.close();
  picture.destroy();
  target.destroy();
  return {
    wallMsPerFrame: round(wallMs / FRAMES),
    waitMsPerFrame: round(waitMs / FRAMES),
    uploadMsPerFrame: round(uploadMs / FRAMES),
    drawMsPerFrame: round(drawMs / FRAMES),
    renderThreadMsPerFrame: round((uploadMs + drawMs) / FRAMES),
  };
}

setLogLevel("error");
const folder = await Deno.makeTempDir({ prefix: "video_bench_" });
const gl = GLContext.create();
try {
  const path = `${folder}/clip.mp4`;
  await makeClip(path);
  const i420 = await probeVideo(path);
  const rgba: VideoInfo = {
    ...i420,
    layout: "rgba",
    decodeFormat: "rgba",
    frameBytes: frameBytes(WIDTH, HEIGHT, "rgba"),
  };
  const results: Record<string, unknown> = {
    date: new Date().toISOString(),
    size: `${WIDTH}x${HEIGHT}`,
    frames: FRAMES,
    clip: "testsrc2, H.264 (libx264 veryfast), yuv420p",
    cores: navigator.hardwareConcurrency,
    renderer: gl.renderer,
    // Other work on the machine slows every figure down.
    loadAverageBefore: Deno.loadavg(),
  };
  for (const [name, info] of [["i420", i420], ["rgba", rgba]] as const) {
    console.log(`${name}: decoding…`);
    const decode = await decodeOnly(info);
    console.log(`${name}: decoding, uploading and drawing…`);
    const render = await decodeUploadDraw(info, gl);
    results[name] = { bytesPerFrame: info.frameBytes, decode, render };
    console.log(name, JSON.stringify(results[name]));
  }
  results.loadAverageAfter = Deno.loadavg();
  await Deno.mkdir(new URL("results/", import.meta.url), { recursive: true });
  await Deno.writeTextFile(
    new URL("results/video.json", import.meta.url),
    JSON.stringify(results, null, 2) + "\n",
  );
  console.log("→ bench/results/video.json");
} finally {
  gl.destroy();
  await Deno.remove(folder, { recursive: true });
}

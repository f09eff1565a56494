/**
 * WebRTC frame conversion benchmark: what handing one rendered frame to the
 * encoder costs on the CPU at 1280x720 and 1920x1080 — libyuv's RGBA → I420
 * (`rgbaToI420`), turning `glReadPixels`' bottom-up rows right (flipping the
 * RGBA rows before converting vs. flipping the I420 planes after, both in
 * preallocated memory), the whole {@linkcode WrtcPeerSession.sendFrame} with
 * an open peer connection, and I420 → RGBA (libyuv, as the `!webrtc` node
 * uses on software renderers). On the GL side (Mesa llvmpipe here): reading
 * the node's 8-bit sRGB composite back, and showing a received frame with
 * the YUV shader (three R8 uploads and a pass at the same size), which is
 * why the node converts on the CPU on software renderers.
 *
 * Run inside the loopback namespace (it opens a peer connection):
 * `scripts/in_loopback_netns.sh deno run -A bench/webrtc_convert_bench.ts`
 * → `bench/results/webrtc_convert.json`.
 *
 * @module
 */

import { DEFAULT_VERTEX_SOURCE, GLContext } from "../lib/gl/context.ts";
import { I420Packer } from "../lib/webrtc/i420_packer.ts";
import { ShaderProgram } from "../lib/gl/shader.ts";
import { RenderTarget, Texture } from "../lib/gl/texture.ts";
import { setLogLevel } from "../lib/log/logger.ts";
import { loadWrtc, WrtcPeerSession } from "../lib/webrtc/peer_session.ts";
import {
  flipI420,
  flipRgba,
  i420Layout,
  i420ToRgba,
  rgbaToI420,
  YUV_TO_RGB_FRAGMENT_SHADER,
} from "../lib/webrtc/yuv.ts";

const SIZES: ReadonlyArray<readonly [number, number]> = [[1280, 720], [
  1920,
  1080,
]];
const RUNS = 60;

function round(value: number, digits = 3): number {
  return Math.round(value * 10 ** digits) / 10 ** digits;
}

/** Mean, median and minimum milliseconds of `runs` calls of `body` (after 5 warm-up calls). */
function timeIt(
  runs: number,
  body: () => void,
): { msMean: number; msMedian: number; msMin: number } {
  for (let i = 0; i < 5; i++) body();
  const times: number[] = [];
  for (let i = 0; i < runs; i++) {
    const start = performance.now();
    body();
    times.push(performance.now() - start);
  }
  times.sort((a, b) => a - b);
  return {
    msMean: round(times.reduce((a, b) => a + b) / runs),
    msMedian: round(times[Math.floor(runs / 2)]),
    msMin: round(times[0]),
  };
}

/** A frame with gradients and noise (conversion cost does not depend on content, but be realistic). */
function makeFrame(width: number, height: number): Uint8Array {
  const data = new Uint8Array(width * height * 4);
  let seed = 12345;
  for (let i = 0; i < data.length; i += 4) {
    seed = (seed * 1103515245 + 12345) >>> 0;
    const x = (i / 4) % width;
    data[i] = (x * 255 / width + (seed >>> 28)) & 255;
    data[i + 1] = (seed >>> 20) & 255;
    data[i + 2] = 128;
    data[i + 3] = 255;
  }
  return data;
}

/**
 * The GL side of a `!webrtc` node per frame on this machine's GL (Mesa
 * llvmpipe here): reading the 8-bit sRGB composite back, and showing a
 * received frame (three R8 plane uploads plus the YUV → RGB pass into an
 * sRGB target of the same size). `finish` makes the timing include the GPU.
 */
function measureGl(gl: GLContext, width: number, height: number) {
  const shown = new RenderTarget(gl, width, height, "srgb8");
  const layout = i420Layout(width, height);
  const planes = [
    new Texture(gl, width, height, "r8"),
    new Texture(gl, layout.chromaWidth, layout.chromaHeight, "r8"),
    new Texture(gl, layout.chromaWidth, layout.chromaHeight, "r8"),
  ];
  const program = ShaderProgram.compile(
    gl,
    DEFAULT_VERTEX_SOURCE,
    YUV_TO_RGB_FRAGMENT_SHADER,
    "bench",
  );
  try {
    const pixels = new Uint8Array(width * height * 4);
    const cpuI420 = new Uint8Array(layout.size);
    const i420 = rgbaToI420(
      makeFrame(width, height),
      width,
      height,
    ) as Uint8Array<ArrayBuffer>;
    const uploadAndConvert = timeIt(RUNS, () => {
      planes[0].upload(i420.subarray(0, layout.ySize));
      planes[1].upload(
        i420.subarray(layout.uOffset, layout.uOffset + layout.chromaSize),
      );
      planes[2].upload(
        i420.subarray(layout.vOffset, layout.vOffset + layout.chromaSize),
      );
      program.use();
      program.set("y_plane", 0);
      program.set("u_plane", 1);
      program.set("v_plane", 2);
      program.set("to_linear", 1);
      for (let unit = 0; unit < 3; unit++) {
        gl.bindTexture(unit, planes[unit].id);
      }
      gl.drawFullscreen(program, shown);
      gl.finish();
    });
    // Read back a drawn 8-bit sRGB target, as the node does with its composite.
    const readBack = timeIt(
      RUNS,
      () => gl.readTarget(shown, pixels, { flip: false }),
    );
    // What the node does instead on software renderers: libyuv into sRGB bytes (rows flipped), one upload.
    const flipped = new Uint8Array(i420.length);
    const converted = new Uint8Array(width * height * 4);
    const cpuConvertAndUpload = timeIt(RUNS, () => {
      flipI420(i420, flipped, width, height);
      i420ToRgba(flipped, width, height, converted);
      shown.texture.upload(converted);
      gl.finish();
    });
    // Sending: read back RGBA then libyuv, against packing I420 on the GPU and reading that.
    const sendCpu = timeIt(RUNS, () => {
      gl.readTarget(shown, pixels, { flip: false });
      rgbaToI420(pixels, width, height, cpuI420);
    });
    const packer = new I420Packer(gl);
    const sendGpu = I420Packer.supports(width, height)
      ? timeIt(RUNS, () => packer.pack(shown.texture))
      : null;
    packer.destroy();
    return {
      sendReadBackAndLibyuv: sendCpu,
      sendPackI420OnGpu: sendGpu,
      readBackSrgb8: readBack,
      uploadPlanesAndYuvPass: uploadAndConvert,
      cpuConvertAndUploadSrgb8: cpuConvertAndUpload,
    };
  } finally {
    program.destroy();
    for (const plane of planes) plane.destroy();
    shown.destroy();
  }
}

async function measure(width: number, height: number) {
  const rgba = makeFrame(width, height);
  const i420 = new Uint8Array(i420Layout(width, height).size);
  const i420Flipped = new Uint8Array(i420.length);
  const rgbaFlipped = new Uint8Array(rgba.length);
  const rgbaOut = new Uint8Array(rgba.length);
  const rgbaToI420Only = timeIt(
    RUNS,
    () => rgbaToI420(rgba, width, height, i420),
  );
  const flipRgbaOnly = timeIt(
    RUNS,
    () => flipRgba(rgba, rgbaFlipped, width, height),
  );
  const flipI420Only = timeIt(
    RUNS,
    () => flipI420(i420, i420Flipped, width, height),
  );
  const flipRgbaThenConvert = timeIt(RUNS, () => {
    flipRgba(rgba, rgbaFlipped, width, height);
    rgbaToI420(rgbaFlipped, width, height, i420);
  });
  const convertThenFlipI420 = timeIt(RUNS, () => {
    rgbaToI420(rgba, width, height, i420);
    flipI420(i420, i420Flipped, width, height);
  });
  const i420ToRgbaOnly = timeIt(
    RUNS,
    () => i420ToRgba(i420, width, height, rgbaOut),
  );

  // The whole send path with a real (unconnected) peer connection: conversion, flip and libwebrtc's copy.
  const session = await WrtcPeerSession.create({ width, height });
  let sendFrameBottomUp;
  let sendFrameTopDown;
  try {
    await session.createOffer();
    sendFrameBottomUp = timeIt(
      RUNS,
      () => session.sendFrame(rgba, width, height, true),
    );
    sendFrameTopDown = timeIt(
      RUNS,
      () => session.sendFrame(rgba, width, height, false),
    );
  } finally {
    session.close();
  }
  return {
    size: `${width}x${height}`,
    rgbaToI420: rgbaToI420Only,
    flipRgbaRows: flipRgbaOnly,
    flipI420Planes: flipI420Only,
    flipRgbaThenConvert,
    convertThenFlipI420,
    i420ToRgba: i420ToRgbaOnly,
    sendFrameBottomUp,
    sendFrameTopDown,
  };
}

if (import.meta.main) {
  setLogLevel("warn");
  await loadWrtc(); // libyuv is the addon's
  const gl = GLContext.create();
  const results = [];
  for (const [width, height] of SIZES) {
    const figures = {
      ...await measure(width, height),
      gl: measureGl(gl, width, height),
    };
    console.log(JSON.stringify(figures));
    results.push(figures);
  }
  const renderer = gl.renderer;
  gl.destroy();
  const report = {
    date: new Date().toISOString(),
    cores: navigator.hardwareConcurrency,
    loadAverage: Deno.loadavg(),
    renderer,
    runs: RUNS,
    note:
      "milliseconds per frame; flips in preallocated memory; sendFrame includes libwebrtc's copy into its frame buffer; gl: the !webrtc node's two ways of making I420 to send (the node times both and keeps the faster), read-back and received-frame display",
    results,
  };
  await Deno.mkdir(new URL("./results/", import.meta.url), { recursive: true });
  await Deno.writeTextFile(
    new URL("./results/webrtc_convert.json", import.meta.url),
    JSON.stringify(report, null, 2) + "\n",
  );
  // Exit now: wrtc crashes in Deno's runtime teardown otherwise (see lib/webrtc/_wrtc.ts).
  Deno.exit(0);
}

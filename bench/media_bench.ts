/**
 * Media benchmark: PNG/JPEG encoding and decoding of a 1280x720 frame, and
 * how many 1280x720 frames per second {@linkcode VideoWriter} takes into
 * H.264 (MP4) and VP9 (WebM) files, offered as fast as possible (dropping
 * what ffmpeg cannot take) and with every frame kept (`flush`).
 *
 * Run: `deno run -A bench/media_bench.ts` → `bench/results/media.json`.
 *
 * @module
 */

import { decodeImage, encodeImage } from "../lib/media/image_codec.ts";
import type { DecodedImage } from "../lib/media/image_codec.ts";
import { VideoWriter } from "../lib/media/video_writer.ts";
import { getLogger, setLogLevel } from "../lib/log/logger.ts";

const WIDTH = 1280;
const HEIGHT = 720;

/** A frame with a gradient, some noise and a box that moves with `t`. */
function makeFrame(t: number): Uint8Array {
  const data = new Uint8Array(WIDTH * HEIGHT * 4);
  let seed = 12345 + t;
  for (let y = 0; y < HEIGHT; y++) {
    for (let x = 0; x < WIDTH; x++) {
      seed = (seed * 1103515245 + 12345) >>> 0;
      const noise = (seed >>> 28) - 8;
      const i = (y * WIDTH + x) * 4;
      const inBox = Math.abs(x - (200 + t * 24) % WIDTH) < 80 &&
        Math.abs(y - 360) < 80;
      data[i] = inBox ? 255 : (x * 255 / WIDTH + noise) & 255;
      data[i + 1] = inBox ? 255 : (y * 255 / HEIGHT + noise) & 255;
      data[i + 2] = inBox ? 0 : 128;
      data[i + 3] = 255;
    }
  }
  return data;
}

function timeIt(
  runs: number,
  body: () => void,
): { msMean: number; msMin: number } {
  const times: number[] = [];
  for (let i = 0; i < runs; i++) {
    const start = performance.now();
    body();
    times.push(performance.now() - start);
  }
  const msMean = times.reduce((a, b) => a + b) / runs;
  return { msMean: round(msMean), msMin: round(Math.min(...times)) };
}

function round(value: number, digits = 2): number {
  return Math.round(value * 10 ** digits) / 10 ** digits;
}

function imageFigures(image: DecodedImage) {
  const png = encodeImage(image, "png");
  const jpeg = encodeImage(image, "jpeg", { quality: 90 });
  return {
    pngEncode: {
      ...timeIt(5, () => encodeImage(image, "png")),
      bytes: png.length,
    },
    pngDecode: timeIt(5, () => decodeImage(png, "bench.png")),
    jpegEncodeQ90: {
      ...timeIt(5, () => encodeImage(image, "jpeg", { quality: 90 })),
      bytes: jpeg.length,
    },
    jpegDecode: timeIt(5, () => decodeImage(jpeg, "bench.jpg")),
  };
}

/** Frames offered back to back for `seconds`, yielding to the event loop between them. */
async function offeredAtFullSpeed(
  path: string,
  frames: Uint8Array[],
  seconds: number,
) {
  const writer = VideoWriter.start(path, {
    width: WIDTH,
    height: HEIGHT,
    fps: 30,
  });
  const start = performance.now();
  let offered = 0;
  let writeMs = 0;
  while (performance.now() - start < seconds * 1000) {
    const before = performance.now();
    writer.write(frames[offered % frames.length]);
    writeMs += performance.now() - before;
    offered++;
    await new Promise((resolve) => setTimeout(resolve, 0));
  }
  const offerSeconds = (performance.now() - start) / 1000;
  await writer.close();
  const totalSeconds = (performance.now() - start) / 1000;
  const { written, dropped } = writer.stats;
  return {
    encoder: writer.encoder,
    offeredPerSecond: round(offered / offerSeconds, 1),
    acceptedPerSecond: round(written / offerSeconds, 1),
    written,
    dropped,
    writeCallMsMean: round(writeMs / offered, 3),
    closeSeconds: round(totalSeconds - offerSeconds),
  };
}

/** Every frame kept: write, then wait for ffmpeg to take it. */
async function everyFrameKept(
  path: string,
  frames: Uint8Array[],
  count: number,
) {
  const writer = VideoWriter.start(path, {
    width: WIDTH,
    height: HEIGHT,
    fps: 30,
  });
  const start = performance.now();
  for (let i = 0; i < count; i++) {
    writer.write(frames[i % frames.length]);
    await writer.flush();
  }
  await writer.close();
  const seconds = (performance.now() - start) / 1000;
  return {
    encoder: writer.encoder,
    frames: count,
    framesPerSecond: round(count / seconds, 1),
    bytes: (await Deno.stat(path)).size,
  };
}

/** Runs the benchmark and returns its figures. */
export async function runMediaBench(): Promise<Record<string, unknown>> {
  const frames = Array.from({ length: 8 }, (_, t) => makeFrame(t));
  const dir = await Deno.makeTempDir({ prefix: "media_bench_" });
  try {
    const video: Record<string, unknown> = {};
    for (const extension of ["mp4", "webm"]) {
      video[extension] = {
        offeredAtFullSpeed: await offeredAtFullSpeed(
          `${dir}/a.${extension}`,
          frames,
          4,
        ),
        everyFrameKept: await everyFrameKept(
          `${dir}/b.${extension}`,
          frames,
          60,
        ),
      };
    }
    return {
      size: `${WIDTH}x${HEIGHT}`,
      cores: navigator.hardwareConcurrency,
      image: imageFigures({ width: WIDTH, height: HEIGHT, data: frames[0] }),
      video,
    };
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

if (import.meta.main) {
  setLogLevel("warn");
  const figures = await runMediaBench();
  const text = JSON.stringify(
    { date: new Date().toISOString(), ...figures },
    null,
    2,
  );
  await Deno.mkdir(new URL("./results/", import.meta.url), { recursive: true });
  await Deno.writeTextFile(
    new URL("./results/media.json", import.meta.url),
    text + "\n",
  );
  getLogger("bench").warn("media figures written to bench/results/media.json");
  console.log(text);
}

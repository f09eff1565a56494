/**
 * Test videos made with Debian's ffmpeg: every frame one solid colour of a
 * palette (frame k has colour k, so a colour tells which frame is shown),
 * with the bottom-right quarter white to show which way up it is.
 *
 * @module
 */

/** Levels of each channel: 4³ = 64 colours, 85 apart in some channel. */
const LEVELS = [0, 85, 170, 255];

/** The colour (RGB bytes) of frame `k` (0 ≤ k < 64). */
export function frameColor(k: number): [number, number, number] {
  return [LEVELS[k % 4], LEVELS[(k >> 2) % 4], LEVELS[(k >> 4) % 4]];
}

/** The frame whose colour is nearest `rgb`, and how far off it is. */
export function identifyFrame(
  rgb: ArrayLike<number>,
): { frame: number; distance: number } {
  let best = { frame: -1, distance: Infinity };
  for (let k = 0; k < 64; k++) {
    const c = frameColor(k);
    const distance = Math.max(
      Math.abs(c[0] - rgb[0]),
      Math.abs(c[1] - rgb[1]),
      Math.abs(c[2] - rgb[2]),
    );
    if (distance < best.distance) best = { frame: k, distance };
  }
  return best;
}

/** Options of {@linkcode makeTestVideo}. */
export interface TestVideoOptions {
  /** Frames (at most 64). */
  frames: number;
  /** Frames per second. */
  fps: number;
  /** Picture size (default 64x48). */
  width?: number;
  height?: number;
  /** ffmpeg output arguments (default: H.264, near lossless, keyframes every 4 frames... see below). */
  codecArgs?: string[];
}

/**
 * Writes a test video to `path` through an `-f rawvideo` pipe into ffmpeg.
 * By default H.264 (yuv420p) with a keyframe only every 30 frames and
 * B-frames, so seeks must decode from an earlier keyframe.
 */
export async function makeTestVideo(
  path: string,
  options: TestVideoOptions,
): Promise<void> {
  const { frames, fps } = options;
  const width = options.width ?? 64;
  const height = options.height ?? 48;
  const codecArgs = options.codecArgs ??
    ["-c:v", "libx264", "-crf", "4", "-g", "30", "-pix_fmt", "yuv420p"];
  const child = new Deno.Command("ffmpeg", {
    args: [
      ...["-hide_banner", "-loglevel", "error", "-y"],
      ...["-f", "rawvideo", "-pix_fmt", "rgb24", "-s", `${width}x${height}`],
      ...["-framerate", String(fps), "-i", "-"],
      ...codecArgs,
      path,
    ],
    stdin: "piped",
    stdout: "null",
    stderr: "piped",
  }).spawn();
  const writer = child.stdin.getWriter();
  for (let k = 0; k < frames; k++) {
    const data = new Uint8Array(width * height * 3);
    const color = frameColor(k);
    for (let y = 0; y < height; y++) {
      for (let x = 0; x < width; x++) {
        const white = x >= width / 2 && y >= height / 2;
        data.set(white ? [255, 255, 255] : color, (y * width + x) * 3);
      }
    }
    await writer.write(data);
  }
  await writer.close();
  const output = await child.output();
  if (!output.success) {
    throw new Error(
      `ffmpeg could not make ${path}: ${
        new TextDecoder().decode(output.stderr)
      }`,
    );
  }
}

/** The colour at (`x`, `y`) of a decoded frame (`i420`: BT.601 limited range; or RGBA). */
export function decodedColor(
  data: Uint8Array,
  layout: "i420" | "rgba",
  width: number,
  height: number,
  x: number,
  y: number,
): [number, number, number] {
  if (layout === "rgba") {
    const at = (y * width + x) * 4;
    return [data[at], data[at + 1], data[at + 2]];
  }
  const cw = (width + 1) >> 1, ch = (height + 1) >> 1;
  const luma = data[y * width + x];
  const chroma = (y >> 1) * cw + (x >> 1);
  const u = data[width * height + chroma] - 128;
  const v = data[width * height + cw * ch + chroma] - 128;
  const c = 1.164 * (luma - 16);
  return [c + 1.596 * v, c - 0.391 * u - 0.813 * v, c + 2.018 * u];
}

/** Process ids of running ffmpeg processes whose command line mentions `text`. */
export function ffmpegProcessesWith(text: string): number[] {
  const found: number[] = [];
  for (const entry of Deno.readDirSync("/proc")) {
    if (!/^\d+$/.test(entry.name)) continue;
    let command: string;
    try {
      command = Deno.readTextFileSync(`/proc/${entry.name}/cmdline`);
    } catch {
      continue; // gone meanwhile
    }
    const args = command.split("\0");
    if (args[0].endsWith("ffmpeg") && args.some((arg) => arg.includes(text))) {
      found.push(Number(entry.name));
    }
  }
  return found;
}

/** Resolves once `condition()` holds (checked every few ms); fails after `limitMs`. */
export async function eventually(
  condition: () => boolean,
  what: string,
  limitMs = 60000,
): Promise<void> {
  const deadline = performance.now() + limitMs;
  while (!condition()) {
    if (performance.now() > deadline) {
      throw new Error(`Never happened: ${what}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}

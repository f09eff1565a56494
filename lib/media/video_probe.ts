/**
 * What a video file holds, asked of Debian's `ffprobe` once per file
 * version: picture size, frame rate and count, and how its pixels are best
 * decoded for the GPU.
 *
 * Frames are numbered at the file's average frame rate; a file with a
 * variable rate plays its frames in order at that rate. Pictures marked as
 * rotated (phone videos) are turned upright by ffmpeg, so their size is
 * given upright too. 4:2:0 YUV files (nearly all) are decoded to their own
 * planes, which the GPU converts to RGB with {@linkcode VideoInfo.matrix}
 * and {@linkcode VideoInfo.fullRange}; any other pixel format (RGB, alpha,
 * 4:4:4…) is converted to RGBA by ffmpeg.
 *
 * Results are cached by path, modification time and size.
 *
 * @example
 * ```ts ignore
 * import { probeVideo } from "./video_probe.ts";
 * const info = await probeVideo("clip.mp4");
 * console.log(info.width, info.height, info.fps, info.frames, info.layout);
 * ```
 *
 * @module
 */

import { MediaError } from "./media_error.ts";
import { FFMPEG_INSTALL_HINT } from "./video_encoders.ts";

/** How decoded frames are laid out in memory. */
export type FrameLayout = "i420" | "rgba";

/** YUV to RGB conversion matrices. */
export type ColorMatrix = "bt601" | "bt709" | "bt2020";

/** A video file as far as playing its pictures goes. */
export interface VideoInfo {
  /** The file. */
  readonly path: string;
  /** Upright picture width in pixels. */
  readonly width: number;
  /** Upright picture height in pixels. */
  readonly height: number;
  /** Frames per second the frames are numbered at. */
  readonly fps: number;
  /** How many frames the file holds (at least 1). */
  readonly frames: number;
  /** The codec's name (`"h264"`). */
  readonly codec: string;
  /** The file's pixel format (`"yuv420p"`). */
  readonly pixelFormat: string;
  /** The layout frames are decoded to: three 4:2:0 planes or RGBA. */
  readonly layout: FrameLayout;
  /** The pixel format ffmpeg is asked for (`"yuv420p"`, `"yuvj420p"`, `"rgba"`). */
  readonly decodeFormat: string;
  /** The matrix that turns decoded YUV into RGB (untagged files: BT.601, as ffmpeg assumes). */
  readonly matrix: ColorMatrix;
  /** Whether decoded YUV uses the full 0–255 range rather than 16–235. */
  readonly fullRange: boolean;
  /** Bytes of one decoded frame. */
  readonly frameBytes: number;
}

interface ProbeStream {
  codec_name?: string;
  width?: number;
  height?: number;
  pix_fmt?: string;
  r_frame_rate?: string;
  avg_frame_rate?: string;
  nb_frames?: string;
  duration?: string;
  color_space?: string;
  color_range?: string;
  side_data_list?: { rotation?: number }[];
}

interface ProbeOutput {
  streams?: ProbeStream[];
  format?: { duration?: string };
}

const PROBE_ARGS = [
  ...["-v", "error", "-select_streams", "v:0", "-of", "json"],
  "-show_entries",
  "stream=codec_name,width,height,pix_fmt,r_frame_rate,avg_frame_rate," +
  "nb_frames,duration,color_space,color_range:stream_side_data=rotation:" +
  "format=duration",
];

const COUNT_ARGS = [
  ...["-v", "error", "-select_streams", "v:0", "-count_packets"],
  ...["-show_entries", "stream=nb_read_packets", "-of", "csv=p=0"],
];

const CACHE_LIMIT = 16;

interface CachedInfo {
  key: string;
  info: VideoInfo;
}

const cache = new Map<string, CachedInfo>();

/** Bytes of one decoded frame of `width`×`height` in `layout`. */
export function frameBytes(
  width: number,
  height: number,
  layout: FrameLayout,
): number {
  if (layout === "rgba") return width * height * 4;
  return width * height + 2 * ((width + 1) >> 1) * ((height + 1) >> 1);
}

/**
 * The same file decoded to RGBA by ffmpeg instead (for renderers where a
 * conversion pass costs more than ffmpeg's converter and the larger upload).
 */
export function decodedAsRgba(info: VideoInfo): VideoInfo {
  if (info.layout === "rgba") return info;
  return {
    ...info,
    layout: "rgba",
    decodeFormat: "rgba",
    frameBytes: frameBytes(info.width, info.height, "rgba"),
  };
}

function rate(text: string | undefined): number {
  if (text === undefined) return 0;
  const [num, den] = text.split("/").map(Number);
  const value = den === undefined ? num : num / den;
  return Number.isFinite(value) && value > 0 ? value : 0;
}

function matrixOf(colorSpace: string | undefined): ColorMatrix {
  if (colorSpace === "bt709") return "bt709";
  if (colorSpace === "bt2020nc" || colorSpace === "bt2020c") return "bt2020";
  return "bt601";
}

/**
 * The version of the file at `path` (modification time and size): it
 * changes when the file is replaced or rewritten.
 *
 * @throws {MediaError} when it is missing, unreadable or a folder.
 */
export function videoFileVersion(path: string): string {
  let stat: Deno.FileInfo;
  try {
    stat = Deno.statSync(path);
  } catch (error) {
    if (error instanceof Deno.errors.NotFound) {
      throw new MediaError(path, "no such file");
    }
    if (error instanceof Deno.errors.PermissionDenied) {
      throw new MediaError(path, "cannot be read (permission denied)");
    }
    throw new MediaError(path, `cannot be read: ${String(error)}`);
  }
  if (stat.isDirectory) {
    throw new MediaError(path, "is a folder, not a video file");
  }
  return `${stat.mtime?.getTime() ?? 0} ${stat.size}`;
}

function lastLine(bytes: Uint8Array): string {
  const lines = new TextDecoder().decode(bytes).trim().split("\n");
  return lines[lines.length - 1].trim();
}

function failed(path: string, output: Deno.CommandOutput): MediaError {
  const message = lastLine(output.stderr).replace(`${path}: `, "");
  return new MediaError(
    path,
    `not a video file ffmpeg can read (${message || "no message"})`,
  );
}

function notInstalled(path: string, error: unknown): MediaError {
  if (error instanceof Deno.errors.NotFound) {
    return new MediaError(
      path,
      `ffprobe is not installed (${FFMPEG_INSTALL_HINT})`,
    );
  }
  return new MediaError(path, `cannot run ffprobe: ${String(error)}`);
}

/** ffprobe's findings, or a {@linkcode MediaError} when it failed. */
function probeOutput(path: string, output: Deno.CommandOutput): ProbeOutput {
  if (!output.success) throw failed(path, output);
  return JSON.parse(new TextDecoder().decode(output.stdout)) as ProbeOutput;
}

/** Whether ffprobe could not tell the frame count (the packets are then counted). */
function needsCount(probe: ProbeOutput): boolean {
  const stream = probe.streams?.[0];
  return stream !== undefined && !(Number(stream.nb_frames) > 0);
}

/** The info from ffprobe's findings; `counted`: frames counted when ffprobe did not say. */
function parse(path: string, probe: ProbeOutput, counted: number): VideoInfo {
  const stream = probe.streams?.[0];
  if (stream === undefined) throw new MediaError(path, "has no video stream");
  let { width = 0, height = 0 } = stream;
  if (!(width > 0 && height > 0)) {
    throw new MediaError(path, "has a video stream without a picture size");
  }
  const rotation =
    stream.side_data_list?.find((data) => data.rotation !== undefined)
      ?.rotation ?? 0;
  if (Math.abs(rotation) % 180 === 90) [width, height] = [height, width];
  const fps = rate(stream.avg_frame_rate) || rate(stream.r_frame_rate);
  if (fps === 0) throw new MediaError(path, "has no frame rate");
  let frames = Number(stream.nb_frames);
  if (!(frames > 0)) frames = counted;
  if (!(frames > 0)) {
    const duration = Number(stream.duration ?? probe.format?.duration);
    frames = Math.round(duration * fps);
  }
  if (!(frames > 0)) throw new MediaError(path, "holds no video frames");
  const pixelFormat = stream.pix_fmt ?? "";
  const yuv420 = /^yuvj?420p(\d+(le|be))?$/.test(pixelFormat);
  const layout: FrameLayout = yuv420 ? "i420" : "rgba";
  const jpegRange = pixelFormat === "yuvj420p";
  return {
    path,
    width,
    height,
    fps,
    frames,
    codec: stream.codec_name ?? "unknown",
    pixelFormat,
    layout,
    decodeFormat: !yuv420 ? "rgba" : jpegRange ? "yuvj420p" : "yuv420p",
    matrix: matrixOf(stream.color_space),
    fullRange: jpegRange || stream.color_range === "pc",
    frameBytes: frameBytes(width, height, layout),
  };
}

function countFrames(output: Deno.CommandOutput): number {
  if (!output.success) return 0;
  return parseInt(new TextDecoder().decode(output.stdout), 10) || 0;
}

function remember(path: string, key: string, info: VideoInfo): VideoInfo {
  cache.delete(path);
  cache.set(path, { key, info });
  while (cache.size > CACHE_LIMIT) cache.delete(cache.keys().next().value!);
  return info;
}

function command(ffprobe: string, args: string[], path: string): Deno.Command {
  return new Deno.Command(ffprobe, {
    args: [...args, "-i", path],
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
  });
}

/**
 * What the video file at `path` holds (cached while the file is unchanged).
 *
 * @throws {MediaError} when the file is missing or unreadable, is no video
 *   ffmpeg can read, or ffprobe is not installed.
 */
export async function probeVideo(
  path: string,
  ffprobe = "ffprobe",
): Promise<VideoInfo> {
  const key = videoFileVersion(path);
  const cached = cache.get(path);
  if (cached?.key === key) return cached.info;
  let probe: ProbeOutput;
  let counted = 0;
  try {
    probe = probeOutput(
      path,
      await command(ffprobe, PROBE_ARGS, path).output(),
    );
    if (needsCount(probe)) {
      counted = countFrames(await command(ffprobe, COUNT_ARGS, path).output());
    }
  } catch (error) {
    if (error instanceof MediaError) throw error;
    throw notInstalled(path, error);
  }
  return remember(path, key, parse(path, probe, counted));
}

/**
 * As {@linkcode probeVideo}, blocking until ffprobe is done (for lockstep
 * rendering, where the frame waits anyway).
 *
 * @throws {MediaError} as {@linkcode probeVideo}
 */
export function probeVideoSync(path: string, ffprobe = "ffprobe"): VideoInfo {
  const key = videoFileVersion(path);
  const cached = cache.get(path);
  if (cached?.key === key) return cached.info;
  let probe: ProbeOutput;
  let counted = 0;
  try {
    probe = probeOutput(path, command(ffprobe, PROBE_ARGS, path).outputSync());
    if (needsCount(probe)) {
      counted = countFrames(command(ffprobe, COUNT_ARGS, path).outputSync());
    }
  } catch (error) {
    if (error instanceof MediaError) throw error;
    throw notInstalled(path, error);
  }
  return remember(path, key, parse(path, probe, counted));
}

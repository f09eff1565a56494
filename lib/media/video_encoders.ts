/**
 * Which ffmpeg video encoder records a file, and with which arguments.
 *
 * Codec names from scenes (`"h264"`, `"hevc"`, `"vp9"`, `"av1"`, …) map to
 * the first encoder of a preference list that the installed ffmpeg has;
 * an exact encoder name (`"libx264"`) is used as it is. The arguments
 * favour speed, since frames come from a live render loop.
 *
 * @module
 */

import { MediaError } from "./media_error.ts";

/** An encoder and the ffmpeg output arguments that configure it. */
export interface EncoderChoice {
  /** ffmpeg's encoder name (`"libx264"`). */
  encoder: string;
  /** Arguments after `-c:v ENCODER` (speed and quality settings). */
  args: string[];
}

/** Install hint shown when ffmpeg is missing. */
export const FFMPEG_INSTALL_HINT = "apt-get install ffmpeg";

/** Encoders to try for each codec name, best first. */
const CODEC_ENCODERS: Record<string, readonly string[]> = {
  h264: ["libx264", "libopenh264"],
  hevc: ["libx265"],
  vp9: ["libvpx-vp9"],
  vp8: ["libvpx"],
  av1: ["libsvtav1", "libaom-av1", "librav1e"],
};

const CODEC_ALIASES: Record<string, string> = {
  avc: "h264",
  x264: "h264",
  h265: "hevc",
  x265: "hevc",
};

/** The codec each file extension records by default. */
const EXTENSION_CODECS: Record<string, string> = {
  mp4: "h264",
  m4v: "h264",
  mov: "h264",
  mkv: "h264",
  webm: "vp9",
};

/** Encoders WebM can hold. */
const WEBM_CODECS = new Set(["vp8", "vp9", "av1"]);

const encoderCache = new Map<string, ReadonlySet<string>>();

/**
 * The video encoders of the ffmpeg at `ffmpeg` (a command name or path),
 * asked once per process and then remembered.
 *
 * @throws {MediaError} about `forPath` when ffmpeg is not installed.
 */
export function listVideoEncoders(
  ffmpeg = "ffmpeg",
  forPath = ffmpeg,
): ReadonlySet<string> {
  const cached = encoderCache.get(ffmpeg);
  if (cached) return cached;
  let stdout: Uint8Array;
  try {
    const output = new Deno.Command(ffmpeg, {
      args: ["-hide_banner", "-encoders"],
      stdin: "null",
      stdout: "piped",
      stderr: "null",
    }).outputSync();
    stdout = output.stdout;
  } catch (error) {
    throw ffmpegStartError(forPath, ffmpeg, error);
  }
  const encoders = new Set<string>();
  for (const line of new TextDecoder().decode(stdout).split("\n")) {
    const match = /^\s*V[.A-Z]{5}\s+(\S+)/.exec(line);
    if (match && match[1] !== "=") encoders.add(match[1]);
  }
  encoderCache.set(ffmpeg, encoders);
  return encoders;
}

/** A {@linkcode MediaError} for a failure to run ffmpeg. */
export function ffmpegStartError(
  path: string,
  ffmpeg: string,
  error: unknown,
): MediaError {
  if (error instanceof Deno.errors.NotFound) {
    return new MediaError(
      path,
      `ffmpeg ("${ffmpeg}") is not installed; install it with "${FFMPEG_INSTALL_HINT}"`,
      { cause: error },
    );
  }
  const reason = error instanceof Error ? error.message : String(error);
  return new MediaError(path, `cannot run ffmpeg ("${ffmpeg}"): ${reason}`, {
    cause: error,
  });
}

/** The lower-case extension of `path` without the dot, or `""`. */
function extensionOf(path: string): string {
  const dot = path.lastIndexOf(".");
  if (dot < 0 || path.lastIndexOf("/") > dot) return "";
  return path.slice(dot + 1).toLowerCase();
}

/**
 * Picks the encoder for `path`: `codec` (a codec name or an encoder name)
 * or else the extension's default (`.mp4`, `.m4v`, `.mov`, `.mkv` → H.264,
 * `.webm` → VP9), among `available` encoders; and its arguments with
 * quality `crf` (the encoder's own default when absent).
 *
 * @throws {MediaError} for an unknown extension or codec, a codec the
 *   ffmpeg lacks, or a codec the container cannot hold.
 * @throws {RangeError} for a negative or non-finite `crf`.
 */
export function chooseVideoEncoder(
  path: string,
  available: ReadonlySet<string>,
  codec?: string,
  crf?: number,
): EncoderChoice {
  if (crf !== undefined && !(Number.isFinite(crf) && crf >= 0)) {
    throw new RangeError(
      `Video quality (crf) must be a number from 0, got ${crf}`,
    );
  }
  const extension = extensionOf(path);
  const defaultCodec = EXTENSION_CODECS[extension];
  if (defaultCodec === undefined) {
    const known = Object.keys(EXTENSION_CODECS).map((e) => "." + e).join(", ");
    throw new MediaError(
      path,
      `unsupported video file extension (use ${known})`,
    );
  }
  const requested = (codec ?? defaultCodec).trim().toLowerCase();
  const codecName = CODEC_ALIASES[requested] ?? requested;
  let encoder: string | undefined;
  let family: string | undefined = codecName in CODEC_ENCODERS
    ? codecName
    : undefined;
  if (family !== undefined) {
    encoder = CODEC_ENCODERS[family].find((name) => available.has(name));
    if (encoder === undefined) {
      throw new MediaError(
        path,
        `ffmpeg has no encoder for codec "${codec ?? family}" (tried ${
          CODEC_ENCODERS[family].join(", ")
        })`,
      );
    }
  } else if (available.has(requested)) {
    encoder = requested;
    family = Object.keys(CODEC_ENCODERS).find((name) =>
      CODEC_ENCODERS[name].includes(requested)
    );
  } else {
    const known = [
      ...Object.keys(CODEC_ENCODERS),
      ...Object.keys(CODEC_ALIASES),
    ].join(", ");
    throw new MediaError(
      path,
      `unknown video codec "${codec}" (use one of ${known}, or an ffmpeg encoder name)`,
    );
  }
  if (extension === "webm" && !(family && WEBM_CODECS.has(family))) {
    throw new MediaError(
      path,
      `WebM files hold only VP8, VP9 or AV1 video, not "${codec}"`,
    );
  }
  return { encoder, args: encoderArgs(encoder, crf) };
}

/** Speed and quality arguments for `encoder`. */
function encoderArgs(encoder: string, crf: number | undefined): string[] {
  const q = (fallback: number) => String(crf ?? fallback);
  switch (encoder) {
    case "libx264":
      return ["-preset", "veryfast", "-crf", q(23)];
    case "libx265":
      return [
        "-preset",
        "veryfast",
        "-crf",
        q(28),
        "-x265-params",
        "log-level=error",
      ];
    case "libvpx-vp9":
      return [
        "-deadline",
        "realtime",
        "-cpu-used",
        "8",
        "-row-mt",
        "1",
        "-b:v",
        "0",
        "-crf",
        q(31),
      ];
    case "libvpx":
      return [
        "-deadline",
        "realtime",
        "-cpu-used",
        "8",
        "-b:v",
        "8M",
        "-crf",
        q(10),
      ];
    case "libsvtav1":
      return ["-preset", "10", "-crf", q(35)];
    case "libaom-av1":
      return [
        "-usage",
        "realtime",
        "-cpu-used",
        "8",
        "-row-mt",
        "1",
        "-b:v",
        "0",
        "-crf",
        q(30),
      ];
    case "librav1e":
      return [
        "-speed",
        "10",
        ...(crf === undefined ? [] : ["-qp", String(Math.round(crf * 4))]),
      ];
    default:
      return crf === undefined ? [] : ["-crf", String(crf)];
  }
}

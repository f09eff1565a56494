/**
 * Recording raw RGBA frames to a video file through Debian's `ffmpeg`.
 *
 * {@linkcode VideoWriter.write} never waits for ffmpeg: it copies the frame
 * and returns. While ffmpeg is still taking an earlier frame, one newer
 * frame waits; a frame that arrives while one is waiting replaces it (the
 * older one is counted as dropped). So a slow encoder costs frames, never
 * the render loop's time or unbounded memory. Frames are stamped at the
 * fixed `fps`, so dropped frames make the video shorter, not gappy.
 *
 * ffmpeg runs in a session of its own: Ctrl-C in the terminal reaches this
 * process only, which should end the recording with `close()`. A writer
 * that is not writing does not keep this process alive; if the process
 * ends without `close()`, ffmpeg sees the end of its input and still
 * finishes the file with the frames it got.
 *
 * @example
 * ```ts ignore
 * import { VideoWriter } from "./video_writer.ts";
 * const writer = VideoWriter.start("out.mp4", { width: 64, height: 64, fps: 30, limit: 10 });
 * const frame = new Uint8Array(64 * 64 * 4).fill(255);
 * for (let i = 0; i < 30; i++) {
 *   writer.write(frame); // returns at once; false once finished
 *   await writer.flush(); // only when every frame must be kept
 * }
 * await writer.close();
 * ```
 *
 * @module
 */

import { dirname } from "node:path";
import { getLogger, type Logger } from "../log/logger.ts";
import { MediaError } from "./media_error.ts";
import { spawnInOwnSession } from "./_own_session.ts";
import {
  chooseVideoEncoder,
  ffmpegStartError,
  listVideoEncoders,
} from "./video_encoders.ts";

export { MediaError } from "./media_error.ts";

/** Options of {@linkcode VideoWriter.start}. */
export interface VideoWriterOptions {
  /** Frame width in pixels. */
  width: number;
  /** Frame height in pixels. */
  height: number;
  /** Frames per second of the video. */
  fps: number;
  /**
   * Codec (`"h264"`, `"hevc"`, `"vp9"`, `"vp8"`, `"av1"`) or an ffmpeg
   * encoder name; default by extension: `.mp4`/`.mov`/`.mkv`/`.m4v` →
   * H.264 (libx264), `.webm` → VP9 (libvpx-vp9).
   */
  codec?: string;
  /** Constant-quality factor (lower is better); the encoder's default when absent. */
  crf?: number;
  /** Stop after this many seconds of video (frames beyond are refused). */
  limit?: number;
  /** Rows come bottom-up (as `glReadPixels` returns them); ffmpeg flips them. */
  bottomUp?: boolean;
  /** Logger for progress and failures (default: `"media"`). */
  log?: Logger;
  /** The ffmpeg command or path (default `"ffmpeg"`). */
  ffmpeg?: string;
}

/** Counters of a {@linkcode VideoWriter}. */
export interface VideoWriterStats {
  /** Frames handed to ffmpeg (they are in the video). */
  written: number;
  /** Frames replaced by a newer one while ffmpeg was busy. */
  dropped: number;
  /** Frames refused because the limit was reached or the writer had finished. */
  refused: number;
}

const STDERR_TAIL_CHARS = 2000;

/** A running ffmpeg that encodes the frames given to it into one file. */
export class VideoWriter {
  /** The output file. */
  readonly path: string;
  /** The ffmpeg encoder in use (`"libx264"`). */
  readonly encoder: string;
  /** Frame width in pixels. */
  readonly width: number;
  /** Frame height in pixels. */
  readonly height: number;
  /** Frames per second. */
  readonly fps: number;
  /** Most frames the video may hold (`limit × fps`), or `Infinity`. */
  readonly maxFrames: number;

  readonly #child: Deno.ChildProcess;
  readonly #stdin: WritableStreamDefaultWriter<Uint8Array>;
  readonly #stderrDone: Promise<void>;
  readonly #log: Logger;
  readonly #frameBytes: number;
  #stderrTail = "";
  #spare: Uint8Array[] = [];
  #inFlight: Promise<void> | null = null;
  #pending: Uint8Array | null = null;
  #written = 0;
  #dropped = 0;
  #refused = 0;
  #writeError: unknown = null;
  #exited: Deno.CommandStatus | null = null;
  #inputEnded: Promise<void> | null = null;
  #closing: Promise<void> | null = null;

  private constructor(
    path: string,
    options: VideoWriterOptions,
    encoder: string,
    child: Deno.ChildProcess,
  ) {
    this.path = path;
    this.encoder = encoder;
    this.width = options.width;
    this.height = options.height;
    this.fps = options.fps;
    this.maxFrames = options.limit === undefined
      ? Infinity
      : Math.max(1, Math.round(options.limit * options.fps));
    this.#log = options.log ?? getLogger("media");
    this.#frameBytes = options.width * options.height * 4;
    this.#child = child;
    // Idle, the writer keeps nobody alive; close() refs the child again.
    child.unref();
    this.#stdin = child.stdin.getWriter();
    this.#stderrDone = this.#readStderr(child.stderr);
    child.status.then((status) => {
      this.#exited = status;
      if (!status.success && this.#closing === null) {
        this.#log.error(
          `${path}: ffmpeg stopped early (exit code ${status.code})`,
        );
      }
    });
  }

  /**
   * Starts ffmpeg writing `path` (replaced if it exists).
   *
   * @throws {MediaError} when ffmpeg is missing ("apt-get install ffmpeg"),
   *   the folder does not exist, or the extension or codec is unsupported.
   * @throws {TypeError} / {@linkcode RangeError} for bad sizes, fps,
   *   crf or limit.
   */
  static start(path: string, options: VideoWriterOptions): VideoWriter {
    const { width, height, fps, limit } = options;
    if (
      !Number.isInteger(width) || !Number.isInteger(height) || width < 1 ||
      height < 1
    ) {
      throw new TypeError(
        `Video size must be positive integers, got ${width}x${height}`,
      );
    }
    if (!(Number.isFinite(fps) && fps > 0)) {
      throw new RangeError(`Video fps must be a positive number, got ${fps}`);
    }
    if (limit !== undefined && !(limit > 0)) {
      throw new RangeError(
        `Video limit must be a positive number of seconds, got ${limit}`,
      );
    }
    const ffmpeg = options.ffmpeg ?? "ffmpeg";
    const { encoder, args: encoderArgs } = chooseVideoEncoder(
      path,
      listVideoEncoders(ffmpeg, path),
      options.codec,
      options.crf,
    );
    const folder = dirname(path);
    try {
      if (!Deno.statSync(folder).isDirectory) throw new Deno.errors.NotFound();
    } catch {
      throw new MediaError(path, `folder "${folder}" does not exist`);
    }
    const filters: string[] = [];
    if (options.bottomUp) filters.push("vflip");
    // 4:2:0 chroma needs even sizes: pad odd ones by a black line.
    if (width % 2 || height % 2) filters.push("pad=ceil(iw/2)*2:ceil(ih/2)*2");
    const args = [
      ...["-hide_banner", "-nostats", "-loglevel", "error", "-y"],
      ...["-f", "rawvideo", "-pix_fmt", "rgba", "-s", `${width}x${height}`],
      ...["-framerate", String(fps), "-i", "-"],
      ...(filters.length ? ["-vf", filters.join(",")] : []),
      ...["-c:v", encoder, ...encoderArgs, "-pix_fmt", "yuv420p", "-an", path],
    ];
    let child: Deno.ChildProcess;
    try {
      child = spawnInOwnSession(ffmpeg, args, {
        stdin: "piped",
        stdout: "null",
        stderr: "piped",
      });
    } catch (error) {
      throw ffmpegStartError(path, ffmpeg, error);
    }
    const writer = new VideoWriter(path, options, encoder, child);
    writer.#log.debug(`${path}: recording with ${ffmpeg} ${args.join(" ")}`);
    return writer;
  }

  /** Frames written, dropped and refused so far. */
  get stats(): VideoWriterStats {
    return {
      written: this.#written,
      dropped: this.#dropped,
      refused: this.#refused,
    };
  }

  /**
   * Whether the writer takes no more frames: the limit was reached,
   * ffmpeg failed, or {@linkcode close} was called.
   */
  get finished(): boolean {
    return this.#closing !== null || this.#failed ||
      (this.#pending === null && this.#written >= this.maxFrames);
  }

  get #failed(): boolean {
    return this.#writeError !== null || this.#exited !== null;
  }

  /**
   * Queues one frame (`width × height × 4` RGBA bytes, copied) without
   * waiting. Returns `true` when it will be encoded unless a newer frame
   * replaces it first, `false` when the writer has {@linkcode finished}.
   *
   * @throws {TypeError} when the frame has the wrong size.
   */
  write(rgba: Uint8Array): boolean {
    if (rgba.length !== this.#frameBytes) {
      throw new TypeError(
        `Video frame must be ${this.#frameBytes} RGBA bytes for ${this.width}x${this.height}, got ${rgba.length}`,
      );
    }
    if (this.finished) {
      this.#refused++;
      return false;
    }
    const frame = this.#spare.pop() ?? new Uint8Array(this.#frameBytes);
    frame.set(rgba);
    if (this.#inFlight === null) {
      this.#send(frame);
    } else {
      if (this.#pending !== null) {
        this.#spare.push(this.#pending);
        this.#dropped++;
      }
      this.#pending = frame;
    }
    return true;
  }

  /** Resolves once every queued frame has been handed to ffmpeg. */
  async flush(): Promise<void> {
    while (this.#inFlight !== null) await this.#inFlight;
  }

  /**
   * Writes the frame still waiting, ends ffmpeg's input and waits for it
   * to finish the file. Calling it again returns the same promise.
   *
   * @throws {MediaError} with the tail of ffmpeg's messages when ffmpeg
   *   failed.
   */
  close(): Promise<void> {
    this.#closing ??= this.#finish();
    return this.#closing;
  }

  #send(frame: Uint8Array): void {
    this.#written++;
    this.#inFlight = this.#stdin.write(frame).then(
      () => {
        this.#spare.push(frame);
        this.#inFlight = null;
        const next = this.#pending;
        this.#pending = null;
        if (next !== null) this.#send(next);
        else if (this.#written >= this.maxFrames) this.#reachedLimit();
      },
      (error) => {
        this.#writeError ??= error;
        this.#inFlight = null;
        this.#pending = null;
      },
    );
  }

  #reachedLimit(): void {
    if (this.#inputEnded !== null) return;
    this.#log.info(
      `${this.path}: reached the limit of ${
        this.maxFrames / this.fps
      } s (${this.maxFrames} frames)`,
    );
    this.#endInput();
  }

  #endInput(): Promise<void> {
    this.#inputEnded ??= this.#stdin.close().catch((error) => {
      this.#writeError ??= error;
    });
    return this.#inputEnded;
  }

  async #finish(): Promise<void> {
    this.#child.ref(); // keep this process alive until ffmpeg is done
    await this.flush();
    await this.#endInput();
    const status = await this.#child.status;
    await this.#stderrDone;
    const { written, dropped } = this.stats;
    if (!status.success || this.#writeError !== null) {
      const tail = this.#stderrTail.trim() ||
        (this.#writeError instanceof Error
          ? this.#writeError.message
          : "no message");
      throw new MediaError(
        this.path,
        `ffmpeg (${this.encoder}) failed with exit code ${status.code}: ${tail}`,
        { cause: this.#writeError ?? undefined },
      );
    }
    this.#log.info(
      `${this.path}: wrote ${written} frames (${
        (written / this.fps).toFixed(2)
      } s)` +
        (dropped ? `, dropped ${dropped} while ffmpeg was busy` : ""),
    );
  }

  async #readStderr(stream: ReadableStream<Uint8Array>): Promise<void> {
    const decoder = new TextDecoder();
    for await (const chunk of stream) {
      this.#stderrTail =
        (this.#stderrTail + decoder.decode(chunk, { stream: true }))
          .slice(-STDERR_TAIL_CHARS);
    }
  }
}

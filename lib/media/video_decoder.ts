/**
 * Decoding a video file with Debian's `ffmpeg`, ahead of a playhead, for a
 * render loop that must not wait (real time) or must get exactly the frame
 * it asks for (lockstep).
 *
 * A {@linkcode VideoDecoder} runs a worker that runs ffmpeg processes
 * (raw frames on a pipe, no audio) and keeps a few decoded frames ahead of
 * the playhead in shared memory. The render thread asks for the frame of
 * a tag (see `playback.ts`) with {@linkcode VideoDecoder.frame}: frames the
 * playhead has passed are dropped; a tag behind the frames decoded, far
 * ahead of them, in another direction, or under another {@linkcode Playback}
 * makes the worker seek (it restarts ffmpeg there). In real time the call
 * never waits: `null` means keep showing the last frame. With `wait` it
 * blocks the thread (`Atomics.wait`) until that frame is decoded, the
 * stream ends, or decoding fails.
 *
 * Frames are upright, top row first: three 4:2:0 planes (`i420`) or RGBA,
 * as {@linkcode VideoInfo.layout} says.
 *
 * @example
 * ```ts ignore
 * import { probeVideo } from "./video_probe.ts";
 * import { VideoDecoder } from "./video_decoder.ts";
 * const info = await probeVideo("clip.mp4");
 * const decoder = VideoDecoder.open(info);
 * const playback = { first: 0, length: info.frames, mode: "loop" } as const;
 * const frame = decoder.frame(12, playback, 1, true); // the 13th frame
 * console.log(frame?.source, frame?.data.length);
 * await decoder.close(); // stops ffmpeg
 * ```
 *
 * @module
 */

import {
  FrameRing,
  GENERATION,
  type OpenMessage,
  type PlayMessage,
  RELEASED,
  STATUS_ENDED,
  STATUS_FAILED,
  WRITTEN,
} from "./_frame_ring.ts";
import { MediaError } from "./media_error.ts";
import { clampTag, type Playback, samePlayback } from "./playback.ts";
import type { VideoInfo } from "./video_probe.ts";

export type { Playback, PlaybackMode } from "./playback.ts";

/** Options of {@linkcode VideoDecoder.open}. */
export interface VideoDecoderOptions {
  /** Multi-threaded decoding (default `true`, ffmpeg's default) or one thread. */
  threads?: boolean;
  /** The ffmpeg command (default `"ffmpeg"`). */
  ffmpeg?: string;
  /** Frames decoded ahead at most (default: 8, fewer for very large frames). */
  slots?: number;
  /** Longest wait for one frame with `wait`, in ms (default 30000). */
  timeoutMs?: number;
  /**
   * Playing ranges whose frames take up to this many bytes are decoded
   * once and then played from memory (default 64 MiB; 0: never).
   */
  cacheBytes?: number;
}

/** A decoded frame, in shared memory. */
export interface DecodedFrame {
  /** Its tag. */
  readonly tag: number;
  /** Its frame number in the file. */
  readonly source: number;
  /** The pixels; valid until the next call of {@linkcode VideoDecoder.frame}. */
  readonly data: Uint8Array<SharedArrayBuffer>;
}

/** Memory the ring of decoded frames may take before it has fewer slots. */
const RING_BYTES = 48 * 1024 * 1024;
const CLOSE_TIMEOUT_MS = 5000;
/** Looks at a growing gap before a playhead counts as outrunning decoding. */
const OUTRUN_LOOKS = 3;
/** Default of {@linkcode VideoDecoderOptions.cacheBytes}. */
const CACHE_BYTES = 64 * 1024 * 1024;

/** A worker decoding one video file ahead of a playhead. */
export class VideoDecoder {
  /** The file. */
  readonly info: VideoInfo;
  readonly #ring: FrameRing;
  readonly #worker: Worker;
  readonly #timeoutMs: number;
  readonly #window: number;
  #generation = 0;
  #playback: Playback | null = null;
  #direction: 1 | -1 = 1;
  /** The tag asked for last (a jump from it is a seek). */
  #asked: number | null = null;
  /** Whether this generation has given a frame. */
  #started = false;
  #lastGap: number | null = null;
  #gapGrowing = 0;
  /** The furthest tag asked for in this generation: frames before it are gone. */
  #furthest = 0;
  #nextTag = 0;
  #seenWritten = 0;
  #restarts = 0;
  #workerFailure: string | null = null;
  #closing: Promise<void> | null = null;

  private constructor(
    info: VideoInfo,
    ring: FrameRing,
    worker: Worker,
    timeoutMs: number,
  ) {
    this.info = info;
    this.#ring = ring;
    this.#worker = worker;
    this.#timeoutMs = timeoutMs;
    // Further ahead than this, seeking is quicker than decoding up to it.
    this.#window = Math.max(2 * ring.slots, Math.ceil(info.fps));
    worker.onerror = (event) => {
      event.preventDefault();
      this.#workerFailure = `the decoding worker failed: ${event.message}`;
    };
  }

  /**
   * Starts a decoder for the file `info` describes (decoding starts with
   * the first {@linkcode frame} call).
   *
   * @throws {MediaError} when no worker can be started.
   */
  static open(
    info: VideoInfo,
    options: VideoDecoderOptions = {},
  ): VideoDecoder {
    const slots = options.slots ??
      Math.max(3, Math.min(8, Math.floor(RING_BYTES / info.frameBytes)));
    const ring = new FrameRing(slots, info.frameBytes);
    let worker: Worker;
    try {
      worker = new Worker(
        new URL("./_video_decode_worker.ts", import.meta.url),
        { type: "module" },
      );
    } catch (error) {
      throw new MediaError(
        info.path,
        `cannot start a decoding worker: ${String(error)}`,
      );
    }
    const open: OpenMessage = {
      type: "open",
      buffer: ring.buffer,
      slots,
      path: info.path,
      width: info.width,
      height: info.height,
      fps: info.fps,
      frameBytes: info.frameBytes,
      decodeFormat: info.decodeFormat,
      threads: options.threads ?? true,
      ffmpeg: options.ffmpeg ?? "ffmpeg",
      cacheBytes: options.cacheBytes ?? CACHE_BYTES,
    };
    worker.postMessage(open);
    return new VideoDecoder(info, ring, worker, options.timeoutMs ?? 30000);
  }

  /** How many times decoding started afresh (the first start and every seek). */
  get restarts(): number {
    return this.#restarts;
  }

  /** Whether {@linkcode close} was called. */
  get closed(): boolean {
    return this.#closing !== null;
  }

  /**
   * The frame at `tag` of `playback`, for a playhead moving in `direction`.
   * Frames before it (in that direction) are dropped.
   *
   * Without `wait` (real time) it never blocks: when that frame is not
   * decoded yet it gives the newest decoded frame before it (whose `tag`
   * then differs), or `null` when there is none yet. With `wait`
   * (lockstep) it blocks until exactly that frame is there; only when the
   * file has no such frame (it ended early, or lacks it) does it give the
   * newest one before, or `null`.
   *
   * A tag behind the frames decoded, a jump ahead of more than about a
   * second, another direction or another {@linkcode Playback} makes the
   * worker seek there. In real time, a playhead that outruns decoding
   * (the gap beyond a second and still growing) seeks too, so a slow
   * decoder shows every so often a frame due rather than ever older ones.
   *
   * @throws {MediaError} when decoding failed (ffmpeg's message), or no
   *   frame came within the timeout while waiting.
   */
  frame(
    tag: number,
    playback: Playback,
    direction: 1 | -1,
    wait: boolean,
  ): DecodedFrame | null {
    if (this.#closing !== null) {
      throw new MediaError(this.info.path, "the decoder is closed");
    }
    tag = clampTag(tag, playback);
    const jumped = this.#asked !== null &&
      direction * (tag - this.#asked) > this.#window;
    this.#asked = tag;
    if (
      this.#playback === null || !samePlayback(playback, this.#playback) ||
      direction !== this.#direction ||
      direction * (tag - this.#furthest) < 0 || jumped
    ) this.#restart(tag, playback, direction);
    this.#furthest = tag;
    const deadline = performance.now() + this.#timeoutMs;
    for (;;) {
      const { exact, before, later } = this.#scan(tag);
      if (exact !== null) return exact;
      if (later) return before; // the file lacks that frame
      const written = this.#seenWritten;
      const { status, message } = this.#ring.status(this.#generation);
      if (status === STATUS_FAILED) {
        throw new MediaError(this.info.path, message);
      }
      if (status === STATUS_ENDED) {
        const last = this.#scan(tag);
        return last.exact ?? last.before;
      }
      if (this.#workerFailure !== null) {
        throw new MediaError(this.info.path, this.#workerFailure);
      }
      if (!wait) {
        if (this.#outrun(direction * (tag - this.#nextTag))) {
          this.#restart(tag, playback, direction);
          continue;
        }
        return before;
      }
      if (performance.now() > deadline) {
        throw new MediaError(
          this.info.path,
          `no frame from ffmpeg within ${this.#timeoutMs / 1000} s`,
        );
      }
      Atomics.wait(this.#ring.header, WRITTEN, written, 100);
    }
  }

  /**
   * Whether the playhead has outrun decoding: `gap` frames ahead of the
   * next frame to come, beyond the window, and not shrinking for a few
   * looks in a row, once this generation has given frames (ffmpeg's
   * start-up is waited for: seeking again would only start over).
   */
  #outrun(gap: number): boolean {
    if (!this.#started || gap <= this.#window) {
      this.#lastGap = null;
      this.#gapGrowing = 0;
      return false;
    }
    const growing = this.#lastGap !== null && gap >= this.#lastGap;
    this.#gapGrowing = growing ? this.#gapGrowing + 1 : 0;
    this.#lastGap = gap;
    return this.#gapGrowing >= OUTRUN_LOOKS;
  }

  /**
   * Drops frames before `tag` except the newest of them; the frame at
   * `tag` (`exact`), else that newest one before it (`before`), and
   * whether a frame after `tag` is there (`later`: it was skipped).
   */
  #scan(
    tag: number,
  ): {
    exact: DecodedFrame | null;
    before: DecodedFrame | null;
    later: boolean;
  } {
    const ring = this.#ring;
    const written = ring.load(WRITTEN);
    this.#seenWritten = written;
    const direction = this.#direction;
    const wasReleased = ring.load(RELEASED);
    let released = wasReleased;
    let before: DecodedFrame | null = null;
    let exact: DecodedFrame | null = null;
    let later = false;
    for (let sequence = wasReleased; sequence < written; sequence++) {
      const header = ring.slotHeader(sequence);
      if (header.generation !== this.#generation) {
        // Older generations' frames all come before this one's.
        released = sequence + 1;
        continue;
      }
      this.#started = true;
      this.#nextTag = header.tag + direction;
      const ahead = direction * (header.tag - tag);
      const frame = {
        tag: header.tag,
        source: header.source,
        data: ring.data(sequence),
      };
      if (ahead < 0) {
        released = sequence; // all before this one
        before = frame;
      } else {
        if (ahead === 0) {
          exact = frame;
          released = sequence;
        } else later = true;
        break;
      }
    }
    if (released !== wasReleased) ring.store(RELEASED, released);
    return { exact, before: exact === null ? before : null, later };
  }

  #restart(tag: number, playback: Playback, direction: 1 | -1): void {
    this.#generation++;
    this.#restarts++;
    this.#playback = { ...playback };
    this.#direction = direction;
    this.#furthest = tag;
    this.#nextTag = tag;
    this.#started = false;
    this.#lastGap = null;
    this.#gapGrowing = 0;
    const ring = this.#ring;
    ring.store(GENERATION, this.#generation);
    ring.store(RELEASED, ring.load(WRITTEN));
    const play: PlayMessage = {
      type: "play",
      generation: this.#generation,
      tag,
      direction,
      first: playback.first,
      length: playback.length,
      mode: playback.mode,
    };
    this.#worker.postMessage(play);
  }

  /**
   * Stops decoding: resolves once every ffmpeg process of this decoder
   * has exited (or after 5 s, with the worker terminated). Calling it
   * again returns the same promise.
   */
  close(): Promise<void> {
    this.#closing ??= new Promise<void>((resolve) => {
      const worker = this.#worker;
      if (this.#workerFailure !== null) {
        worker.terminate();
        return resolve();
      }
      const done = () => {
        clearTimeout(timer);
        worker.terminate();
        resolve();
      };
      const timer = setTimeout(done, CLOSE_TIMEOUT_MS);
      worker.onmessage = (event: MessageEvent<{ type?: string }>) => {
        if (event.data?.type === "closed") done();
      };
      worker.postMessage({ type: "close" });
    });
    return this.#closing;
  }
}

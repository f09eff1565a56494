/**
 * The worker behind a `VideoDecoder`: runs ffmpeg processes that decode
 * one video file to raw frames, and writes the frames into the shared
 * {@linkcode FrameRing} in the order a playhead will want them.
 *
 * A `play` message starts a generation: from a tag in a direction, the
 * worker reads the runs of {@linkcode nextRun} one after another, each run
 * read forwards by one ffmpeg process (started at its first frame with an
 * exact seek), or, for runs that go backwards through the file, in chunks
 * that ffmpeg reverses. The process for the next run is started while the
 * current one is read, so a loop's wrap costs no start-up time. The ring
 * being full holds the worker back (and ffmpeg with it, through the pipe).
 * Frames of a short playing range are kept in memory once decoded, so a
 * short loop or back-and-forth is decoded only once.
 *
 * A new generation stops the old one's processes at once. `close` stops
 * everything, waits for every process to exit, and answers `closed`.
 *
 * @module
 */

/// <reference lib="deno.worker" />

import {
  type DecoderMessage,
  FrameRing,
  type OpenMessage,
  type PlayMessage,
  RELEASED,
  STATUS_ENDED,
  STATUS_FAILED,
  WRITTEN,
} from "./_frame_ring.ts";
import { nextRun, type Playback } from "./playback.ts";
import { spawnInOwnSession } from "./_own_session.ts";

/** Jobs in a row that give no frame before the stream counts as ended. */
const EMPTY_JOBS_LIMIT = 8;
const STDERR_TAIL_CHARS = 2000;

/** Frames `count` from `source` on (stepping by `step`), tagged from `tag` on. */
interface Job {
  tag: number;
  direction: 1 | -1;
  source: number;
  step: 1 | -1;
  count: number;
}

/** A job under way: from memory, or from an ffmpeg process. */
interface Running {
  job: Job;
  child: Deno.ChildProcess | null;
  stderr: Promise<{ first: string; tail: string }>;
}

let ring: FrameRing | null = null;
let file: OpenMessage | null = null;
let current: Generation | null = null;
const children = new Set<Deno.ChildProcess>();
const cache = new Map<number, Uint8Array>();

/** The jobs that follow a playhead from `tag` in `direction`, lazily. */
function* jobs(
  tag: number,
  direction: 1 | -1,
  playback: Playback,
  chunk: number,
): Generator<Job> {
  let next = tag;
  for (;;) {
    const run = nextRun(next, direction, playback);
    if (run === null) return;
    if (run.step === 1) {
      yield { ...run, source: run.from, step: 1 };
    } else {
      for (let done = 0; done < run.count; done += chunk) {
        yield {
          tag: run.tag + direction * done,
          direction,
          source: run.from - done,
          step: -1,
          count: Math.min(chunk, run.count - done),
        };
      }
    }
    next = run.tag + direction * run.count;
  }
}

function ffmpegArgs(source: OpenMessage, job: Job): string[] {
  const args = ["-hide_banner", "-nostdin", "-nostats", "-loglevel", "error"];
  if (!source.threads) args.push("-threads", "1");
  const lowest = job.step === 1 ? job.source : job.source - job.count + 1;
  // Half a frame early: exact whatever the rounding of timestamps.
  if (lowest > 0) {
    args.push("-ss", ((lowest - 0.5) / source.fps).toFixed(6));
  }
  args.push("-i", source.path, "-map", "0:v:0", "-an", "-sn", "-dn");
  const scale = `scale=${source.width}:${source.height}`;
  const filters = job.step === 1
    ? scale
    : `trim=end_frame=${job.count},${scale},reverse`;
  args.push(
    ...["-vf", filters, "-fps_mode", "passthrough"],
    ...["-frames:v", String(job.count), "-pix_fmt", source.decodeFormat],
    ...["-f", "rawvideo", "pipe:1"],
  );
  return args;
}

/** ffmpeg's messages: the first line and the tail. */
async function messages(
  stream: ReadableStream<Uint8Array>,
): Promise<{ first: string; tail: string }> {
  const decoder = new TextDecoder();
  let first = "";
  let tail = "";
  for await (const chunk of stream) {
    tail = (tail + decoder.decode(chunk, { stream: true })).slice(
      -STDERR_TAIL_CHARS,
    );
    if (first === "" && tail.includes("\n")) first = tail.split("\n")[0];
  }
  return { first, tail };
}

/**
 * What ffmpeg said went wrong, without `[decoder @ 0x…]` or file
 * prefixes: its first message (usually the cause) and, when different,
 * its last (usually how it ended).
 */
function problem(said: { first: string; tail: string }, path: string): string {
  const clean = (line: string) =>
    line.replace(/^\[[^\]]*\] */, "").replace(`${path}: `, "").trim();
  const lines = said.tail.split("\n").map(clean).filter((line) =>
    line !== "" && !line.startsWith("Last message repeated")
  );
  const first = clean(said.first) || lines[0] || "";
  const last = lines[lines.length - 1] ?? "";
  return first === last || last === "" ? first : `${first} … ${last}`;
}

function stopProcess(child: Deno.ChildProcess | null): void {
  if (child === null) return;
  try {
    child.kill("SIGKILL");
  } catch {
    // exited already
  }
  if (!child.stdout.locked) child.stdout.cancel().catch(() => {});
}

function cacheable(playback: Playback, source: OpenMessage): boolean {
  return playback.length * source.frameBytes <= source.cacheBytes;
}

/** One generation: the frames from a tag on in one direction. */
class Generation {
  #stopped = false;
  readonly #running = new Set<Running>();
  readonly #playback: Playback;
  readonly #cached: boolean;

  constructor(
    readonly ring: FrameRing,
    readonly source: OpenMessage,
    readonly play: PlayMessage,
  ) {
    this.#playback = play;
    this.#cached = cacheable(play, source);
    if (!this.#cached) cache.clear();
  }

  /** Stops at once: no more frames are published; its processes are killed. */
  stop(): void {
    this.#stopped = true;
    for (const running of this.#running) stopProcess(running.child);
    Atomics.notify(this.ring.header, RELEASED); // wake a wait for space
  }

  /** Decodes until the stream ends, fails or the generation is stopped. */
  async run(): Promise<void> {
    const { ring, play } = this;
    const chunk = Math.max(8, Math.min(60, Math.round(this.source.fps)));
    const pending = jobs(play.tag, play.direction, this.#playback, chunk);
    const start = (): Running | null => {
      const next = pending.next();
      return next.done ? null : this.#start(next.value);
    };
    let running = start();
    let following = running === null ? null : start();
    let empty = 0;
    while (running !== null && !this.#stopped) {
      const { produced, failure } = await this.#emit(running);
      this.#running.delete(running);
      if (this.#stopped) break;
      if (failure !== null) {
        stopProcess(following?.child ?? null);
        ring.report(play.generation, STATUS_FAILED, failure);
        return;
      }
      empty = produced > 0 ? 0 : empty + 1;
      if (empty >= EMPTY_JOBS_LIMIT) break;
      running = following === null ? null : this.#fromCacheIfAble(following);
      following = running === null ? null : start();
    }
    stopProcess(following?.child ?? null);
    if (!this.#stopped) ring.report(play.generation, STATUS_ENDED);
  }

  /** Whether every frame of `job` is in memory. */
  #allCached(job: Job): boolean {
    if (!this.#cached) return false;
    for (let i = 0; i < job.count; i++) {
      if (!cache.has(job.source + job.step * i)) return false;
    }
    return true;
  }

  /**
   * `running`, or the same job from memory when its process was started
   * ahead before the frames it would decode were kept (a short loop's
   * second lap).
   */
  #fromCacheIfAble(running: Running): Running {
    if (running.child === null || !this.#allCached(running.job)) {
      return running;
    }
    stopProcess(running.child);
    this.#running.delete(running);
    return this.#start(running.job);
  }

  #start(job: Job): Running {
    let running: Running;
    if (this.#allCached(job)) {
      running = {
        job,
        child: null,
        stderr: Promise.resolve({ first: "", tail: "" }),
      };
    } else {
      const child = spawnInOwnSession(
        this.source.ffmpeg,
        ffmpegArgs(this.source, job),
        { stdin: "null", stdout: "piped", stderr: "piped" },
      );
      children.add(child);
      child.status.finally(() => children.delete(child));
      running = { job, child, stderr: messages(child.stderr) };
    }
    this.#running.add(running);
    return running;
  }

  /** The sequence number of a free slot, once there is one (`null`: stopped). */
  async #acquire(): Promise<number | null> {
    const ring = this.ring;
    for (;;) {
      if (this.#stopped) return null;
      const written = ring.load(WRITTEN);
      const released = ring.load(RELEASED);
      if (written - released < ring.slots) return written;
      const waiting = Atomics.waitAsync(ring.header, RELEASED, released, 1000);
      if (waiting.async) await waiting.value;
    }
  }

  #publish(sequence: number, job: Job, index: number): void {
    const source = job.source + job.step * index;
    this.ring.publish(sequence, {
      generation: this.play.generation,
      tag: job.tag + job.direction * index,
      source,
    });
    if (this.#cached && !cache.has(source)) {
      cache.set(source, this.ring.data(sequence).slice());
    }
  }

  /** Writes a job's frames into the ring; how many, and why it failed. */
  async #emit(
    running: Running,
  ): Promise<{ produced: number; failure: string | null }> {
    const { job, child } = running;
    const ring = this.ring;
    if (child === null) {
      for (let index = 0; index < job.count; index++) {
        const sequence = await this.#acquire();
        if (sequence === null) return { produced: index, failure: null };
        ring.data(sequence).set(cache.get(job.source + job.step * index)!);
        this.#publish(sequence, job, index);
      }
      return { produced: job.count, failure: null };
    }
    const frameBytes = ring.frameBytes;
    let produced = 0;
    let sequence: number | null = null;
    let filled = 0;
    const reader = child.stdout.getReader();
    try {
      for (;;) {
        const { value, done } = await reader.read();
        if (done || this.#stopped) break;
        let offset = 0;
        while (offset < value.length) {
          if (sequence === null) {
            sequence = await this.#acquire();
            if (sequence === null) return { produced, failure: null };
          }
          const n = Math.min(frameBytes - filled, value.length - offset);
          ring.data(sequence).set(value.subarray(offset, offset + n), filled);
          filled += n;
          offset += n;
          if (filled === frameBytes) {
            if (this.#stopped) return { produced, failure: null };
            this.#publish(sequence, job, produced);
            produced++;
            sequence = null;
            filled = 0;
          }
        }
      }
    } catch (error) {
      if (!this.#stopped) throw error;
    } finally {
      reader.releaseLock();
    }
    if (this.#stopped) return { produced, failure: null };
    const status = await child.status;
    const stderr = await running.stderr;
    if (status.success || this.#stopped) return { produced, failure: null };
    const message = problem(stderr, this.source.path);
    return {
      produced,
      failure: message === ""
        ? `ffmpeg failed with exit code ${status.code}`
        : `ffmpeg could not decode it: ${message}`,
    };
  }
}

async function closeAll(): Promise<void> {
  current?.stop();
  current = null;
  for (const child of children) stopProcess(child);
  await Promise.allSettled([...children].map((child) => child.status));
}

self.onmessage = (event: MessageEvent<DecoderMessage>) => {
  const message = event.data;
  if (message.type === "open") {
    file = message;
    ring = new FrameRing(message.slots, message.frameBytes, message.buffer);
  } else if (message.type === "play") {
    if (ring === null || file === null) return;
    current?.stop();
    const generation = new Generation(ring, file, message);
    current = generation;
    generation.run().catch((error) => {
      ring?.report(
        message.generation,
        STATUS_FAILED,
        error instanceof Error ? error.message : String(error),
      );
    });
  } else if (message.type === "close") {
    closeAll().then(() => {
      self.postMessage({ type: "closed" });
      self.close();
    });
  }
};

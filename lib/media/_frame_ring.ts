/**
 * The shared memory between a `VideoDecoder` and its worker, and the
 * messages they exchange.
 *
 * The worker writes decoded frames into a ring of slots; the render thread
 * reads them in order and releases them. Both sides work on counters in
 * one `SharedArrayBuffer`, so the render thread can wait for a frame with
 * `Atomics.wait` (lockstep) without its event loop running, and the
 * worker waits for free slots with `Atomics.waitAsync`. The worker never
 * needs the render thread's event loop: it reports the end of a stream
 * and failures in the shared memory too.
 *
 * Slot `n % slots` holds the `n`-th frame written. A frame is published by
 * writing its pixels and its header, then incrementing `WRITTEN`; the
 * reader releases frames by raising `RELEASED`. Each header carries the
 * generation it belongs to (every seek starts a new one, and frames of
 * older ones are skipped), its tag and its file frame.
 *
 * @module
 */

/** Index of the counter of frames published. */
export const WRITTEN = 0;
/** Index of the counter of frames released by the reader. */
export const RELEASED = 1;
/** Index of the generation the reader wants (set before each `play`). */
export const GENERATION = 2;
/**
 * Index of the status: the generation it is about times 4 plus one of the
 * `STATUS_…` values (one word, so it is read whole).
 */
export const STATUS = 3;
/** Index of the length in bytes of the failure text. */
export const MESSAGE_LENGTH = 4;

/** The generation is being decoded. */
export const STATUS_PLAYING = 0;
/** The generation's stream ended (no more frames will come). */
export const STATUS_ENDED = 1;
/** Decoding failed; the text says why. */
export const STATUS_FAILED = 2;

const HEADER_INTS = 8;
const MESSAGE_BYTES = 2048;
const SLOT_INTS = 4;

/** What the header of a published slot says. */
export interface SlotHeader {
  /** The generation the frame belongs to. */
  generation: number;
  /** The frame's tag (position on the playback timeline). */
  tag: number;
  /** The file frame it is. */
  source: number;
}

/** The ring of decoded frames in shared memory. */
export class FrameRing {
  /** The shared memory (posted to the worker). */
  readonly buffer: SharedArrayBuffer;
  /** Counters and status (see the index constants). */
  readonly header: Int32Array<SharedArrayBuffer>;
  readonly #message: Uint8Array<SharedArrayBuffer>;
  readonly #slotHeaders: Int32Array<SharedArrayBuffer>;
  readonly #dataOffset: number;

  /**
   * Lays out a ring in `buffer`, or in new shared memory when not given.
   *
   * @param slots how many frames the ring holds
   * @param frameBytes bytes of one frame
   */
  constructor(
    readonly slots: number,
    readonly frameBytes: number,
    buffer?: SharedArrayBuffer,
  ) {
    const slotHeaderOffset = HEADER_INTS * 4 + MESSAGE_BYTES;
    this.#dataOffset = slotHeaderOffset + slots * SLOT_INTS * 4;
    this.buffer = buffer ??
      new SharedArrayBuffer(this.#dataOffset + slots * frameBytes);
    this.header = new Int32Array(this.buffer, 0, HEADER_INTS);
    this.#message = new Uint8Array(
      this.buffer,
      HEADER_INTS * 4,
      MESSAGE_BYTES,
    );
    this.#slotHeaders = new Int32Array(
      this.buffer,
      slotHeaderOffset,
      slots * SLOT_INTS,
    );
  }

  /** Reads counter or status `index`. */
  load(index: number): number {
    return Atomics.load(this.header, index);
  }

  /** Sets counter or status `index` and wakes whoever waits on it. */
  store(index: number, value: number): void {
    Atomics.store(this.header, index, value);
    Atomics.notify(this.header, index);
  }

  /** The pixels of the `sequence`-th frame written (a view into shared memory). */
  data(sequence: number): Uint8Array<SharedArrayBuffer> {
    const slot = sequence % this.slots;
    return new Uint8Array(
      this.buffer,
      this.#dataOffset + slot * this.frameBytes,
      this.frameBytes,
    );
  }

  /** The header of the `sequence`-th frame written. */
  slotHeader(sequence: number): SlotHeader {
    const at = (sequence % this.slots) * SLOT_INTS;
    const headers = this.#slotHeaders;
    return {
      generation: Atomics.load(headers, at),
      tag: Atomics.load(headers, at + 1),
      source: Atomics.load(headers, at + 2),
    };
  }

  /** Publishes the `sequence`-th frame (its pixels are written already). */
  publish(sequence: number, header: SlotHeader): void {
    const at = (sequence % this.slots) * SLOT_INTS;
    const headers = this.#slotHeaders;
    Atomics.store(headers, at, header.generation);
    Atomics.store(headers, at + 1, header.tag);
    Atomics.store(headers, at + 2, header.source);
    this.store(WRITTEN, sequence + 1);
  }

  /** Reports how `generation` stands (ended or failed with `message`). */
  report(generation: number, status: number, message = ""): void {
    const bytes = new TextEncoder().encode(message).slice(0, MESSAGE_BYTES);
    this.#message.set(bytes);
    Atomics.store(this.header, MESSAGE_LENGTH, bytes.length);
    Atomics.store(this.header, STATUS, generation * 4 + status);
    // Whoever waits for a frame waits on WRITTEN: wake them too.
    Atomics.notify(this.header, WRITTEN);
  }

  /** The status of `generation`, and the failure text. */
  status(generation: number): { status: number; message: string } {
    const word = this.load(STATUS);
    if (word >> 2 !== generation) {
      return { status: STATUS_PLAYING, message: "" };
    }
    const status = word & 3;
    const length = this.load(MESSAGE_LENGTH);
    const message = status === STATUS_FAILED
      ? new TextDecoder().decode(this.#message.slice(0, length))
      : "";
    return { status, message };
  }
}

/** Opens a file in the worker. */
export interface OpenMessage {
  type: "open";
  /** The ring's shared memory. */
  buffer: SharedArrayBuffer;
  /** Slots of the ring. */
  slots: number;
  /** The file. */
  path: string;
  /** Upright picture size. */
  width: number;
  height: number;
  /** Frames per second the frames are numbered at. */
  fps: number;
  /** Bytes of one decoded frame. */
  frameBytes: number;
  /** The pixel format ffmpeg is asked for. */
  decodeFormat: string;
  /** Multi-threaded decoding (ffmpeg's default) or one thread. */
  threads: boolean;
  /** The ffmpeg command. */
  ffmpeg: string;
  /** Playing ranges up to this many bytes of frames are kept in memory. */
  cacheBytes: number;
}

/** Starts a generation: decode from `tag` on, in `direction`. */
export interface PlayMessage {
  type: "play";
  generation: number;
  tag: number;
  direction: 1 | -1;
  first: number;
  length: number;
  mode: "loop" | "bounce" | "clamp";
}

/** Stops everything; the worker answers `{ type: "closed" }`. */
export interface CloseMessage {
  type: "close";
}

/** What the decoder posts to its worker. */
export type DecoderMessage = OpenMessage | PlayMessage | CloseMessage;

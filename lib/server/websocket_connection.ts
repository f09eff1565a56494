/**
 * One server-side WebSocket over a connection, after the upgrade: reads
 * frames, answers pings, runs the closing handshake, and keeps its own send
 * queue, so the server knows exactly how many bytes wait for each client
 * and can cut a connection off at once (closing the socket frees the queue
 * and everything else the connection holds).
 *
 * The queue counts every byte handed to {@linkcode ServerWebSocket.send}
 * until the connection's `write` has passed it to the kernel. A client that stops
 * reading fills its TCP window and the kernel's send buffer (a few MiB on
 * Linux, outside the server's heap), then its queue grows.
 *
 * @module
 */

import type { ByteConn } from "./byte_conn.ts";
import {
  CLOSE_INVALID_DATA,
  closePayload,
  encodeFrame,
  type FrameHandlers,
  FrameParser,
  OPCODE_CLOSE,
  OPCODE_PING,
  OPCODE_PONG,
  parseClosePayload,
  WebSocketProtocolError,
} from "./websocket_frames.ts";

/**
 * Bytes waiting in the send queues of all connections together (one count
 * shared by them). A frame queued for many clients at once, such as a
 * room's members list, is one buffer and counts once.
 */
export class QueueTotal {
  /** Bytes of the distinct frames waiting. */
  bytes = 0;
  readonly #references = new WeakMap<Uint8Array, number>();

  /** Counts `frame` as queued once more. */
  add(frame: Uint8Array): void {
    const references = this.#references.get(frame) ?? 0;
    if (references === 0) this.bytes += frame.length;
    this.#references.set(frame, references + 1);
  }

  /** Counts `frame` as queued once less (written or dropped). */
  release(frame: Uint8Array): void {
    const references = this.#references.get(frame) ?? 1;
    if (references <= 1) {
      this.#references.delete(frame);
      this.bytes -= frame.length;
    } else {
      this.#references.set(frame, references - 1);
    }
  }
}

/** What a {@linkcode ServerWebSocket} reports. */
export interface ServerWebSocketHandlers {
  /** A text message. */
  text(text: string): void;
  /** A binary message of `size` bytes (signalling ignores them). */
  binary(size: number): void;
  /** The socket queued a frame of its own (a pong): the limits may need checking. */
  queued(): void;
  /** The client broke the protocol; the connection is being closed with `code`. */
  protocolError(code: number, problem: string): void;
  /**
   * Called once, when the connection stops being open: the server closed
   * it, the client sent a close frame, or the connection was lost (1006).
   */
  ended(code: number, reason: string): void;
  /** Called once, when the underlying connection has been closed. */
  closed(): void;
}

/** Options of {@linkcode ServerWebSocket}. */
export interface ServerWebSocketOptions {
  /** Largest data message accepted (larger ones close the connection with 1009). */
  maxMessageBytes: number;
  /** Milliseconds the closing handshake may take before the socket is simply closed. */
  closeTimeoutMs: number;
  /** The server-wide count of queued bytes this connection adds to. */
  total: QueueTotal;
}

/** The largest read buffer, for a client that keeps sending. */
const BUSY_READ_BYTES = 64 * 1024;

/** Largest chunk built by joining queued frames for one write. */
const COALESCE_BYTES = 64 * 1024;

/**
 * Decoding text frames: the lenient decoder first (a 3 KB message in 0.4 µs,
 * where Deno's fatal one takes 3 µs), and the fatal one only to tell a
 * replacement character the client sent from bytes that are not UTF-8.
 */
const utf8 = new TextDecoder("utf-8");
const strictUtf8 = new TextDecoder("utf-8", { fatal: true });

/** `data` as text; `null` when it is not UTF-8. */
function decodeUtf8(data: Uint8Array): string | null {
  const text = utf8.decode(data);
  if (!text.includes("\uFFFD")) return text;
  try {
    return strictUtf8.decode(data);
  } catch {
    return null;
  }
}

/** A server-side WebSocket on an upgraded connection. */
export class ServerWebSocket {
  /** Hands parsed frames to a socket: one small object each, no closures. */
  static readonly #Frames = class implements FrameHandlers {
    constructor(readonly socket: ServerWebSocket) {}

    message(binary: boolean, data: Uint8Array): void {
      this.socket.#message(binary, data);
    }

    control(opcode: number, payload: Uint8Array): void {
      this.socket.#control(opcode, payload);
    }
  };

  /** `open` until a close starts, `closing` during the closing handshake, then `closed`. */
  state: "open" | "closing" | "closed" = "open";
  /** Bytes handed to `send` (and control frames) not yet written to the kernel. */
  queuedBytes = 0;
  /** `performance.now()` when bytes last came from the client. */
  lastReceived = performance.now();
  /** Whether a ping went out since bytes last came from the client. */
  pinged = false;

  readonly #conn: ByteConn;
  readonly #options: ServerWebSocketOptions;
  readonly #handlers: ServerWebSocketHandlers;
  readonly #parser: FrameParser;
  #queue: Uint8Array[] = [];
  /** The frames of the chunk being written. */
  #inFlight: Uint8Array[] = [];
  #writing = false;
  #closeReceived = false;
  #failed = false;
  #ended = false;
  #closeTimer: ReturnType<typeof setTimeout> | undefined;
  /** Made only when someone waits (see {@linkcode ServerWebSocket.done}). */
  #done: PromiseWithResolvers<void> | null = null;

  /**
   * @param conn the connection, its upgrade request read
   * @param options limits and the shared queue count
   * @param handlers where messages and the end go
   */
  constructor(
    conn: ByteConn,
    options: ServerWebSocketOptions,
    handlers: ServerWebSocketHandlers,
  ) {
    this.#conn = conn;
    this.#options = options;
    this.#handlers = handlers;
    this.#parser = new FrameParser(
      options.maxMessageBytes,
      new ServerWebSocket.#Frames(this),
    );
  }

  /** Resolves when the underlying connection is closed. */
  get done(): Promise<void> {
    if (this.#done === null) {
      this.#done = Promise.withResolvers<void>();
      if (this.#closed) this.#done.resolve();
    }
    return this.#done.promise;
  }

  /**
   * Sends `response` (the 101), then reads frames: first from `leftover`
   * (bytes that came after the request head), then from the connection
   * into `buffer`.
   */
  start(response: Uint8Array, leftover: Uint8Array, buffer: Uint8Array): void {
    this.#enqueue(response);
    if (leftover.length > 0) this.#received(leftover);
    void this.#read(buffer);
  }

  /** Queues an encoded frame (see {@linkcode encodeFrame}); ignored unless open. */
  send(frame: Uint8Array): void {
    if (this.state === "open") this.#enqueue(frame);
  }

  /** Sends a ping (empty payload). */
  ping(): void {
    if (this.state !== "open") return;
    this.pinged = true;
    this.#enqueue(encodeFrame(OPCODE_PING, new Uint8Array(0)));
  }

  /**
   * Starts the closing handshake with `code` and `reason`; the connection
   * is closed once the client answers, or after `closeTimeoutMs`. With
   * `discard`, frames not yet being written are dropped first (freeing
   * them), so the close frame comes right after the one in flight.
   */
  close(code: number, reason: string, discard = false): void {
    if (this.state !== "open") return;
    if (discard) this.#discardQueue();
    this.#startClosing(code, reason);
  }

  /** Closes the connection now, without a closing handshake. */
  abort(): void {
    if (this.state === "closed") return;
    this.state = "closed";
    clearTimeout(this.#closeTimer);
    this.#discardQueue();
    // The chunk being written, if any, is freed with the connection.
    for (const frame of this.#inFlight) this.#options.total.release(frame);
    this.#inFlight = [];
    this.queuedBytes = 0;
    try {
      this.#conn.close();
    } catch {
      // already closed
    }
    this.#end(1006, "");
    this.#done?.resolve();
    this.#handlers.closed();
  }

  get #closed(): boolean {
    return this.state === "closed";
  }

  #end(code: number, reason: string): void {
    if (this.#ended) return;
    this.#ended = true;
    this.#handlers.ended(code, reason);
  }

  #startClosing(code: number, reason: string): void {
    this.state = "closing";
    this.#enqueue(
      encodeFrame(
        OPCODE_CLOSE,
        code === 1005 ? new Uint8Array(0) : closePayload(code, reason),
      ),
    );
    this.#closeTimer = setTimeout(
      () => this.abort(),
      this.#options.closeTimeoutMs,
    );
    this.#end(code, reason);
  }

  #discardQueue(): void {
    for (const frame of this.#queue) {
      this.queuedBytes -= frame.length;
      this.#options.total.release(frame);
    }
    this.#queue = [];
  }

  #enqueue(frame: Uint8Array): void {
    this.#queue.push(frame);
    this.queuedBytes += frame.length;
    this.#options.total.add(frame);
    if (!this.#writing) {
      this.#writing = true;
      // Frames queued in the same task go out in one write.
      queueMicrotask(() => void this.#drain());
    }
  }

  async #drain(): Promise<void> {
    while (this.#queue.length > 0 && this.state !== "closed") {
      const first = this.#queue[0];
      let count = 1;
      let size = first.length;
      while (
        count < this.#queue.length &&
        size + this.#queue[count].length <= COALESCE_BYTES
      ) {
        size += this.#queue[count++].length;
      }
      let chunk = first;
      if (count > 1) {
        chunk = new Uint8Array(size);
        let offset = 0;
        for (let i = 0; i < count; i++) {
          chunk.set(this.#queue[i], offset);
          offset += this.#queue[i].length;
        }
      }
      this.#inFlight = this.#queue.splice(0, count);
      try {
        for (let written = 0; written < chunk.length;) {
          written += await this.#conn.write(chunk.subarray(written));
        }
      } catch {
        this.abort();
        return;
      }
      // abort() during the write has already let go of the queue.
      if (this.#closed) return;
      this.queuedBytes -= size;
      for (const frame of this.#inFlight) this.#options.total.release(frame);
      this.#inFlight = [];
    }
    this.#writing = false;
    if (this.state === "closing" && (this.#closeReceived || this.#failed)) {
      this.abort(); // our close frame is out: the handshake is complete
    }
  }

  async #read(initial: Uint8Array): Promise<void> {
    // Each read's buffer follows the last read: one that came back full
    // doubles it (up to BUSY_READ_BYTES), so a busy client takes many
    // frames per read; one that would have fit the small buffer brings it
    // back, so an idle client waits with a few hundred bytes, not 64 KiB.
    let buffer = initial;
    while (this.state !== "closed") {
      let n: number | null;
      try {
        n = await this.#conn.read(buffer);
      } catch {
        n = null;
      }
      if (n === null) {
        this.abort();
        return;
      }
      this.#received(buffer.subarray(0, n));
      if (n === buffer.length && buffer.length < BUSY_READ_BYTES) {
        buffer = new Uint8Array(Math.min(BUSY_READ_BYTES, buffer.length * 2));
      } else if (buffer !== initial && n <= initial.length) {
        buffer = initial;
      }
    }
  }

  #received(bytes: Uint8Array): void {
    if (this.state === "closed" || this.#failed) return;
    this.lastReceived = performance.now();
    this.pinged = false;
    try {
      this.#parser.push(bytes);
    } catch (error) {
      if (!(error instanceof WebSocketProtocolError)) throw error;
      this.#fail(error.code, error.message);
    }
  }

  #fail(code: number, problem: string): void {
    this.#failed = true;
    if (this.state !== "open") {
      if (!this.#writing) this.abort();
      return;
    }
    this.#handlers.protocolError(code, problem);
    this.#startClosing(code, problem);
  }

  #message(binary: boolean, data: Uint8Array): void {
    if (this.state !== "open") return;
    if (binary) {
      this.#handlers.binary(data.length);
      return;
    }
    const text = decodeUtf8(data);
    if (text === null) {
      throw new WebSocketProtocolError(
        CLOSE_INVALID_DATA,
        "A text message is not UTF-8",
      );
    }
    this.#handlers.text(text);
  }

  #control(opcode: number, payload: Uint8Array): void {
    if (opcode === OPCODE_PING) {
      if (this.state === "open") {
        this.#enqueue(encodeFrame(OPCODE_PONG, payload));
        this.#handlers.queued();
      }
    } else if (opcode === OPCODE_CLOSE) {
      const code = parseClosePayload(payload);
      this.#closeReceived = true;
      if (this.state === "open") {
        this.#startClosing(code, ""); // echo the code
      } else if (!this.#writing) {
        this.abort();
      }
    }
  }
}

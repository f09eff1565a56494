/**
 * WebSocket framing (RFC 6455, section 5) for the server side: parsing the
 * masked frames a client sends, assembling fragmented messages, and
 * encoding the unmasked frames the server sends. No extensions.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { encodeFrame, FrameParser, OPCODE_TEXT } from "./websocket_frames.ts";
 * const got: string[] = [];
 * const parser = new FrameParser(1024, {
 *   message: (binary, data) => got.push(new TextDecoder().decode(data)),
 *   control: () => {},
 * });
 * // A client frame: masked (here with a zero mask).
 * const frame = encodeFrame(OPCODE_TEXT, new TextEncoder().encode("hi"));
 * parser.push(new Uint8Array([frame[0], frame[1] | 0x80, 0, 0, 0, 0, ...frame.subarray(2)]));
 * assert.deepEqual(got, ["hi"]);
 * ```
 *
 * @module
 */

/** Continuation frame. */
export const OPCODE_CONTINUATION = 0x0;
/** Text frame. */
export const OPCODE_TEXT = 0x1;
/** Binary frame. */
export const OPCODE_BINARY = 0x2;
/** Close frame. */
export const OPCODE_CLOSE = 0x8;
/** Ping frame. */
export const OPCODE_PING = 0x9;
/** Pong frame. */
export const OPCODE_PONG = 0xa;

/** Close code: protocol error. */
export const CLOSE_PROTOCOL_ERROR = 1002;
/** Close code: a text message that is not UTF-8, or bad data. */
export const CLOSE_INVALID_DATA = 1007;
/** Close code: message too big. */
export const CLOSE_TOO_BIG = 1009;

/** A frame or message that breaks the protocol; the connection must close with `code`. */
export class WebSocketProtocolError extends Error {
  /**
   * Creates the error.
   * @param code the close code to send
   * @param message what was wrong
   */
  constructor(readonly code: number, message: string) {
    super(message);
    this.name = "WebSocketProtocolError";
  }
}

/** What a {@linkcode FrameParser} reports. */
export interface FrameHandlers {
  /** A complete data message (fragments joined), unmasked. */
  message(binary: boolean, data: Uint8Array): void;
  /** A control frame (close, ping or pong) with its unmasked payload. */
  control(opcode: number, payload: Uint8Array): void;
}

/** Where every parser reads a frame header (parsing is synchronous). */
const HEADER = new Uint8Array(14);
const HEADER_VIEW = new DataView(HEADER.buffer);

/**
 * Parses the byte stream a client sends into messages and control frames.
 * Bytes given to {@linkcode FrameParser.push} are unmasked in place and
 * copied where kept, so the caller may reuse its buffer once `push`
 * returns; payloads handed to the handlers are valid only during the call. A data message over `maxMessageBytes` is
 * refused (1009) as soon as its header announces it, before any of it is
 * buffered.
 */
export class FrameParser {
  /**
   * The bytes of a header split across pushes (made only then: a server
   * holds many idle parsers, and headers are read in the shared scratch).
   */
  #partialHeader: Uint8Array | null = null;
  #headerFilled = 0;
  #fin = false;
  #opcode = 0;
  /** The frame's mask as a native-order 32-bit word. */
  #mask = 0;
  /** The payload size of the frame being read, or -1 while reading a header. */
  #size = -1;
  /** The payload being gathered across pushes. */
  #payload: Uint8Array | null = null;
  #payloadFilled = 0;
  /** Fragments of the message being assembled, and their opcode. */
  #fragments: Uint8Array[] = [];
  #fragmentBytes = 0;
  #fragmentOpcode = -1;
  #failed = false;

  /**
   * @param maxMessageBytes largest data message accepted
   * @param handlers where messages and control frames go
   */
  constructor(
    readonly maxMessageBytes: number,
    readonly handlers: FrameHandlers,
  ) {}

  /**
   * Feeds received bytes; calls the handlers for every complete message
   * and control frame in them.
   *
   * @throws {WebSocketProtocolError} when the bytes break the protocol
   *   (after which the parser refuses further input)
   */
  push(bytes: Uint8Array): void {
    if (this.#failed) {
      throw new WebSocketProtocolError(
        CLOSE_PROTOCOL_ERROR,
        "Input after a protocol error",
      );
    }
    try {
      this.#push(bytes);
    } catch (error) {
      this.#failed = true;
      throw error;
    }
  }

  #push(bytes: Uint8Array): void {
    let at = 0;
    while (at < bytes.length) {
      if (this.#size < 0) {
        at = this.#readHeader(bytes, at);
        if (this.#size < 0) return; // header incomplete
        const size = this.#size;
        if (bytes.length - at >= size) {
          // The whole payload is here: unmask it where it lies.
          const payload = bytes.subarray(at, at + size);
          at += size;
          this.#size = -1;
          unmask(payload, this.#mask);
          this.#frame(payload, true);
          continue;
        }
        this.#payload = new Uint8Array(size);
        this.#payloadFilled = 0;
      }
      const payload = this.#payload!;
      const take = Math.min(
        payload.length - this.#payloadFilled,
        bytes.length - at,
      );
      payload.set(bytes.subarray(at, at + take), this.#payloadFilled);
      this.#payloadFilled += take;
      at += take;
      if (this.#payloadFilled < payload.length) return;
      this.#payload = null;
      this.#size = -1;
      unmask(payload, this.#mask);
      this.#frame(payload, false);
    }
  }

  /** Reads header bytes from `bytes` at `at`; sets up the payload once the header is whole. */
  #readHeader(bytes: Uint8Array, at: number): number {
    const header = HEADER;
    if (this.#headerFilled > 0) header.set(this.#partialHeader!);
    while (at < bytes.length) {
      header[this.#headerFilled++] = bytes[at++];
      if (this.#headerFilled < 2) continue;
      const short = header[1] & 0x7f;
      const length = 2 + (short === 126 ? 2 : short === 127 ? 8 : 0) + 4;
      if (this.#headerFilled === 2) this.#checkFirstBytes();
      if (this.#headerFilled < length) continue;
      this.#headerFilled = 0;
      const view = HEADER_VIEW;
      let size = short;
      if (short === 126) size = view.getUint16(2);
      else if (short === 127) {
        if (view.getUint32(2) !== 0) {
          throw new WebSocketProtocolError(CLOSE_TOO_BIG, "Frame too big");
        }
        size = view.getUint32(6);
      }
      this.#mask = view.getUint32(length - 4, LITTLE_ENDIAN);
      if (this.#opcode < 8) {
        const total = this.#fragmentBytes + size;
        if (total > this.maxMessageBytes) {
          throw new WebSocketProtocolError(
            CLOSE_TOO_BIG,
            `Message over ${this.maxMessageBytes} bytes`,
          );
        }
      }
      this.#size = size;
      return at;
    }
    // The header goes on in the next push.
    (this.#partialHeader ??= new Uint8Array(HEADER.length)).set(header);
    return at;
  }

  #checkFirstBytes(): void {
    const [first, second] = HEADER;
    if ((first & 0x70) !== 0) {
      throw new WebSocketProtocolError(
        CLOSE_PROTOCOL_ERROR,
        "Reserved bits set",
      );
    }
    if ((second & 0x80) === 0) {
      throw new WebSocketProtocolError(
        CLOSE_PROTOCOL_ERROR,
        "Client frames must be masked",
      );
    }
    this.#fin = (first & 0x80) !== 0;
    this.#opcode = first & 0x0f;
    const opcode = this.#opcode;
    if (opcode >= 8) {
      if (opcode > OPCODE_PONG) {
        throw new WebSocketProtocolError(
          CLOSE_PROTOCOL_ERROR,
          `Unknown opcode ${opcode}`,
        );
      }
      if (!this.#fin || (second & 0x7f) > 125) {
        throw new WebSocketProtocolError(
          CLOSE_PROTOCOL_ERROR,
          "Control frames must be single frames of at most 125 bytes",
        );
      }
    } else if (opcode > OPCODE_BINARY) {
      throw new WebSocketProtocolError(
        CLOSE_PROTOCOL_ERROR,
        `Unknown opcode ${opcode}`,
      );
    } else if (opcode === OPCODE_CONTINUATION) {
      if (this.#fragmentOpcode < 0) {
        throw new WebSocketProtocolError(
          CLOSE_PROTOCOL_ERROR,
          "Continuation frame outside a fragmented message",
        );
      }
    } else if (this.#fragmentOpcode >= 0) {
      throw new WebSocketProtocolError(
        CLOSE_PROTOCOL_ERROR,
        "New message inside a fragmented message",
      );
    }
  }

  /** Handles a whole frame; `borrowed` payloads lie in the caller's buffer. */
  #frame(payload: Uint8Array, borrowed: boolean): void {
    const opcode = this.#opcode;
    if (opcode >= 8) {
      this.handlers.control(opcode, payload);
      return;
    }
    if (opcode !== OPCODE_CONTINUATION && this.#fin) {
      this.handlers.message(opcode === OPCODE_BINARY, payload);
      return;
    }
    if (opcode !== OPCODE_CONTINUATION) this.#fragmentOpcode = opcode;
    this.#fragments.push(borrowed ? payload.slice() : payload);
    this.#fragmentBytes += payload.length;
    if (!this.#fin) return;
    const data = new Uint8Array(this.#fragmentBytes);
    let offset = 0;
    for (const fragment of this.#fragments) {
      data.set(fragment, offset);
      offset += fragment.length;
    }
    const binary = this.#fragmentOpcode === OPCODE_BINARY;
    this.#fragments = [];
    this.#fragmentBytes = 0;
    this.#fragmentOpcode = -1;
    this.handlers.message(binary, data);
  }
}

const LITTLE_ENDIAN = new Uint8Array(new Uint32Array([1]).buffer)[0] === 1;

/** Byte `i % 4` of the mask word `key`. */
function maskByte(key: number, i: number): number {
  const j = i & 3;
  return (key >>> (LITTLE_ENDIAN ? j * 8 : (3 - j) * 8)) & 0xff;
}

/** XORs `data` with the mask `key` (its four bytes as a native-order word), a word at a time where aligned. */
function unmask(data: Uint8Array, key: number): void {
  const n = data.length;
  let i = 0;
  const lead = Math.min(n, (4 - (data.byteOffset & 3)) & 3);
  for (; i < lead; i++) data[i] ^= maskByte(key, i);
  const words = (n - i) >>> 2;
  if (words > 0) {
    const view = new Uint32Array(data.buffer, data.byteOffset + i, words);
    const r = (i & 3) * 8;
    const rotated = r === 0
      ? key
      : LITTLE_ENDIAN
      ? (key >>> r) | (key << (32 - r))
      : (key << r) | (key >>> (32 - r));
    for (let w = 0; w < words; w++) view[w] ^= rotated;
    i += words * 4;
  }
  for (; i < n; i++) data[i] ^= maskByte(key, i);
}

/** An unmasked (server) frame with FIN set: `opcode` and `payload`. */
export function encodeFrame(opcode: number, payload: Uint8Array): Uint8Array {
  const n = payload.length;
  const header = n < 126 ? 2 : n < 65536 ? 4 : 10;
  const frame = new Uint8Array(header + n);
  frame[0] = 0x80 | opcode;
  if (n < 126) {
    frame[1] = n;
  } else if (n < 65536) {
    frame[1] = 126;
    frame[2] = n >>> 8;
    frame[3] = n & 0xff;
  } else {
    frame[1] = 127;
    new DataView(frame.buffer).setUint32(6, n);
  }
  frame.set(payload, header);
  return frame;
}

const encoder = new TextEncoder();
let scratch = new Uint8Array(64 * 1024);

/** A text frame of `text` (encoded through a reused buffer unless it is long). */
export function encodeTextFrame(text: string): Uint8Array {
  const most = text.length * 3;
  if (most > 1024 * 1024) return encodeFrame(OPCODE_TEXT, encoder.encode(text));
  if (scratch.length < most) scratch = new Uint8Array(most);
  const { written } = encoder.encodeInto(text, scratch);
  return encodeFrame(OPCODE_TEXT, scratch.subarray(0, written));
}

/** A close frame's payload: `code` and `reason` (cut to fit 125 bytes). */
export function closePayload(code: number, reason: string): Uint8Array {
  let text = encoder.encode(reason);
  if (text.length > 123) {
    text = encoder.encode(reason.slice(0, 40));
  }
  const payload = new Uint8Array(2 + text.length);
  payload[0] = code >>> 8;
  payload[1] = code & 0xff;
  payload.set(text, 2);
  return payload;
}

/**
 * The code of a received close frame's payload (1005 when it has none).
 *
 * @throws {WebSocketProtocolError} for a one-byte payload, a code no
 *   endpoint may send, or a reason that is not UTF-8
 */
export function parseClosePayload(payload: Uint8Array): number {
  if (payload.length === 0) return 1005;
  if (payload.length === 1) {
    throw new WebSocketProtocolError(CLOSE_PROTOCOL_ERROR, "Bad close frame");
  }
  const code = (payload[0] << 8) | payload[1];
  const valid = (code >= 1000 && code <= 1014 && code !== 1004 &&
    code !== 1005 && code !== 1006) || (code >= 3000 && code <= 4999);
  if (!valid) {
    throw new WebSocketProtocolError(
      CLOSE_PROTOCOL_ERROR,
      `Bad close code ${code}`,
    );
  }
  try {
    new TextDecoder("utf-8", { fatal: true }).decode(payload.subarray(2));
  } catch {
    throw new WebSocketProtocolError(
      CLOSE_INVALID_DATA,
      "Close reason is not UTF-8",
    );
  }
  return code;
}

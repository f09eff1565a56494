/**
 * The encryption of `!broadcast` signalling messages, byte-compatible with
 * the original plugin's `Cipher`: the key is PBKDF2-HMAC-SHA256 of the
 * secret, salted with the first 16 bytes of SHA-256 of the connection ID;
 * a message is JSON, compressed with zlib (level 9), then sealed as a
 * Fernet token whose raw bytes are the datagram.
 *
 * @example
 * ```ts
 * import { BroadcastCipher } from "./broadcast_cipher.ts";
 * const cipher = await BroadcastCipher.forId("flitter_webrtc", "cam1");
 * const datagram = await cipher.encode({ offer: "v=0\r\n" });
 * console.assert((await cipher.decode(datagram)).offer === "v=0\r\n");
 * ```
 *
 * @module
 */

import { deflateSync, inflateSync } from "node:zlib";
import { type EncryptOptions, Fernet, InvalidTokenError } from "./fernet.ts";
import { pythonJsonDumps } from "./_python_json.ts";

/** PBKDF2 iterations of the original's key derivation. */
export const PBKDF2_ITERATIONS = 480_000;
/** Secret used when a scene gives none. */
export const DEFAULT_SECRET = "flitter_webrtc";
/** How old (seconds) a received message may be: twice the 5 s reply wait. */
export const MESSAGE_TTL_S = 10;
/** Largest datagram the original reads; longer ones are never valid. */
export const MAX_DATAGRAM_BYTES = 1500;
/** Largest decompressed message we accept (a zlib bomb stops here). */
export const MAX_MESSAGE_BYTES = 64 * 1024;

/** A broadcast message: a JSON object such as `{"offer": SDP}`. */
export type BroadcastMessage = Record<string, unknown>;

/** A datagram that is not a valid message under our key (why is in the message). */
export class InvalidMessageError extends Error {
  /**
   * @param reason what is wrong with the datagram, for the user
   * @param wrongKey whether it failed authentication (likely someone else's message)
   */
  constructor(
    reason: string,
    readonly wrongKey = false,
    options?: ErrorOptions,
  ) {
    super(`Invalid broadcast message: ${reason}`, options);
    this.name = "InvalidMessageError";
  }
}

const encoder = new TextEncoder();

/** `SHA-256(utf8(id))[0:16]`, the PBKDF2 salt for connection `id`. */
export async function keySalt(id: string): Promise<Uint8Array<ArrayBuffer>> {
  const digest = await crypto.subtle.digest("SHA-256", encoder.encode(id));
  return new Uint8Array(digest, 0, 16);
}

/**
 * Derives the 32-byte Fernet key for `secret` and `id` (PBKDF2-HMAC-SHA256,
 * 480 000 iterations). WebCrypto runs this off the JavaScript thread, so
 * frames keep rendering while it works.
 */
export async function deriveKey(
  secret: string,
  id: string,
  iterations = PBKDF2_ITERATIONS,
): Promise<Uint8Array> {
  const password = await crypto.subtle.importKey(
    "raw",
    encoder.encode(secret),
    "PBKDF2",
    false,
    ["deriveBits"],
  );
  const salt = await keySalt(id);
  const bits = await crypto.subtle.deriveBits(
    { name: "PBKDF2", hash: "SHA-256", salt, iterations },
    password,
    256,
  );
  return new Uint8Array(bits);
}

/** Compresses `json` text as `zlib.compress(data, 9)` does (RFC 1950 format). */
export function compressMessage(json: string): Uint8Array {
  return new Uint8Array(deflateSync(encoder.encode(json), { level: 9 }));
}

/**
 * When the Fernet token `datagram` says it was sealed, in whole seconds
 * since the epoch (bytes 1–8, big-endian); `null` when it is too short to
 * hold a timestamp. Nothing is checked: read it from a datagram that
 * {@linkcode BroadcastCipher.decode} accepted.
 */
export function sealedAt(datagram: Uint8Array): number | null {
  if (datagram.length < 9 || datagram[0] !== 0x80) return null;
  const view = new DataView(
    datagram.buffer,
    datagram.byteOffset,
    datagram.byteLength,
  );
  return Number(view.getBigUint64(1));
}

const cache = new Map<string, Promise<BroadcastCipher>>();

/** Encodes and decodes broadcast datagrams for one (secret, ID) pair. */
export class BroadcastCipher {
  /**
   * Wraps a Fernet; usually obtained through {@linkcode BroadcastCipher.forId}.
   *
   * @param fernet the Fernet made from the derived key
   */
  constructor(readonly fernet: Fernet) {}

  /**
   * The cipher for `secret` and `id`. Derivation is slow by design, so the
   * result (the promise, so concurrent callers share one derivation) is
   * cached for the life of the process.
   */
  static forId(secret: string, id: string): Promise<BroadcastCipher> {
    const key = JSON.stringify([secret, id]);
    let cipher = cache.get(key);
    if (cipher === undefined) {
      cipher = deriveKey(secret, id).then(async (raw) =>
        new BroadcastCipher(await Fernet.fromKey(raw))
      );
      cache.set(key, cipher);
      cipher.catch(() => cache.delete(key));
    }
    return cipher;
  }

  /** Encrypts already compressed bytes into a datagram (tests pin `time` and `iv`). */
  seal(compressed: Uint8Array, options?: EncryptOptions): Promise<Uint8Array> {
    return this.fernet.encrypt(compressed, options);
  }

  /** The datagram for `message`: JSON (laid out as Python writes it), zlib, Fernet. */
  encode(
    message: BroadcastMessage,
    options?: EncryptOptions,
  ): Promise<Uint8Array> {
    return this.seal(compressMessage(pythonJsonDumps(message)), options);
  }

  /**
   * The message in `datagram`, if it is valid now under this key.
   * @param now current time in seconds since the epoch (default: now)
   * @throws {InvalidMessageError} for anything else: oversized, wrong key,
   *   expired, not zlib, not UTF-8, not a JSON object
   */
  async decode(datagram: Uint8Array, now?: number): Promise<BroadcastMessage> {
    if (datagram.length > MAX_DATAGRAM_BYTES) {
      throw new InvalidMessageError(
        `datagram of ${datagram.length} bytes exceeds ${MAX_DATAGRAM_BYTES}`,
      );
    }
    let compressed: Uint8Array;
    try {
      compressed = await this.fernet.decrypt(datagram, {
        ttl: MESSAGE_TTL_S,
        now,
      });
    } catch (error) {
      if (!(error instanceof InvalidTokenError)) throw error;
      const wrongKey = error.message.includes("HMAC");
      throw new InvalidMessageError(error.message, wrongKey, { cause: error });
    }
    let text: string;
    try {
      const json = inflateSync(compressed, {
        maxOutputLength: MAX_MESSAGE_BYTES,
      });
      text = new TextDecoder("utf-8", { fatal: true }).decode(json);
    } catch (error) {
      throw new InvalidMessageError(
        `not zlib-compressed UTF-8 of at most ${MAX_MESSAGE_BYTES} bytes`,
        false,
        { cause: error },
      );
    }
    let message: unknown;
    try {
      message = JSON.parse(text);
    } catch (error) {
      throw new InvalidMessageError("not JSON", false, { cause: error });
    }
    if (
      message === null || typeof message !== "object" || Array.isArray(message)
    ) {
      throw new InvalidMessageError("not a JSON object");
    }
    return message as BroadcastMessage;
  }
}

/**
 * Fernet symmetric encryption (https://github.com/fernet/spec) over
 * WebCrypto: AES-128-CBC with PKCS #7 padding, authenticated with
 * HMAC-SHA256, and a timestamp checked against a time-to-live.
 *
 * Tokens are handled as raw bytes (`0x80 | time | IV | ciphertext | HMAC`);
 * {@linkcode decodeBase64Url} and {@linkcode encodeBase64Url} convert to and
 * from the textual (URL-safe base64) form the spec and Python's
 * `cryptography` library use.
 *
 * @example
 * ```ts
 * import { Fernet } from "./fernet.ts";
 * const fernet = await Fernet.fromKey(crypto.getRandomValues(new Uint8Array(32)));
 * const token = await fernet.encrypt(new TextEncoder().encode("hello"));
 * const data = await fernet.decrypt(token, { ttl: 10 });
 * console.assert(new TextDecoder().decode(data) === "hello");
 * ```
 *
 * @module
 */

/** Token format version byte. */
const VERSION = 0x80;
/** Bytes of version + timestamp. */
const HEADER_LENGTH = 9;
const IV_LENGTH = 16;
const BLOCK_LENGTH = 16;
const HMAC_LENGTH = 32;
/** Shortest possible token: header, IV, one cipher block, HMAC. */
const MIN_TOKEN_LENGTH = HEADER_LENGTH + IV_LENGTH + BLOCK_LENGTH + HMAC_LENGTH;
/** Tokens stamped further than this in the future are rejected (seconds). */
export const MAX_CLOCK_SKEW_S = 60;

/** A token that is malformed, forged, made with another key, or out of date. */
export class InvalidTokenError extends Error {
  /**
   * Creates the error with the message `Invalid Fernet token: REASON`.
   *
   * @param reason what is wrong with the token, for the user
   * @param options standard error options (e.g. `cause`)
   */
  constructor(reason: string, options?: ErrorOptions) {
    super(`Invalid Fernet token: ${reason}`, options);
    this.name = "InvalidTokenError";
  }
}

/** Options for {@linkcode Fernet.encrypt}. */
export interface EncryptOptions {
  /** Timestamp to record, in whole seconds since the epoch (default: now). */
  time?: number;
  /** 16-byte initialisation vector (default: random). Only tests should set it. */
  iv?: Uint8Array;
}

/** Options for {@linkcode Fernet.decrypt}. */
export interface DecryptOptions {
  /** Maximum age of the token in seconds; omit to accept any age. */
  ttl?: number;
  /** Current time in seconds since the epoch (default: now). */
  now?: number;
}

/** Encodes `bytes` as URL-safe base64 with `=` padding (the Fernet token text). */
export function encodeBase64Url(bytes: Uint8Array): string {
  let binary = "";
  for (let i = 0; i < bytes.length; i += 0x8000) {
    binary += String.fromCharCode(...bytes.subarray(i, i + 0x8000));
  }
  return btoa(binary).replaceAll("+", "-").replaceAll("/", "_");
}

/**
 * Decodes URL-safe base64 (padding optional).
 * @throws {InvalidTokenError} when `text` is not URL-safe base64
 */
export function decodeBase64Url(text: string): Uint8Array {
  if (
    !/^[A-Za-z0-9_-]*={0,2}$/.test(text) ||
    text.replace(/=+$/, "").length % 4 === 1
  ) {
    throw new InvalidTokenError("not URL-safe base64");
  }
  const standard = text.replace(/=+$/, "").replaceAll("-", "+").replaceAll(
    "_",
    "/",
  );
  const binary = atob(standard.padEnd(Math.ceil(standard.length / 4) * 4, "="));
  const bytes = new Uint8Array(binary.length);
  for (let i = 0; i < binary.length; i++) bytes[i] = binary.charCodeAt(i);
  return bytes;
}

/** A Fernet key: encrypts and decrypts tokens. */
export class Fernet {
  readonly #signingKey: CryptoKey;
  readonly #encryptionKey: CryptoKey;

  private constructor(signingKey: CryptoKey, encryptionKey: CryptoKey) {
    this.#signingKey = signingKey;
    this.#encryptionKey = encryptionKey;
  }

  /**
   * Makes a Fernet from a 32-byte key (bytes 0–15 sign, 16–31 encrypt) or
   * its URL-safe base64 text.
   * @throws {RangeError} when the key is not 32 bytes
   */
  static async fromKey(key: Uint8Array | string): Promise<Fernet> {
    const raw = typeof key === "string" ? decodeBase64Url(key) : key;
    if (raw.length !== 32) {
      throw new RangeError(`A Fernet key must be 32 bytes, got ${raw.length}`);
    }
    const signingKey = await crypto.subtle.importKey(
      "raw",
      raw.slice(0, 16),
      { name: "HMAC", hash: "SHA-256" },
      false,
      ["sign", "verify"],
    );
    const encryptionKey = await crypto.subtle.importKey(
      "raw",
      raw.slice(16, 32),
      { name: "AES-CBC" },
      false,
      ["encrypt", "decrypt"],
    );
    return new Fernet(signingKey, encryptionKey);
  }

  /** A fresh random 32-byte key. */
  static generateKey(): Uint8Array {
    return crypto.getRandomValues(new Uint8Array(32));
  }

  /** Encrypts `data` into a raw token. */
  async encrypt(
    data: Uint8Array,
    options: EncryptOptions = {},
  ): Promise<Uint8Array> {
    const time = options.time ?? Math.floor(Date.now() / 1000);
    if (!Number.isSafeInteger(time) || time < 0) {
      throw new RangeError(
        `A Fernet timestamp must be a whole number of seconds, got ${time}`,
      );
    }
    const iv = options.iv ?? crypto.getRandomValues(new Uint8Array(IV_LENGTH));
    if (iv.length !== IV_LENGTH) {
      throw new RangeError(
        `A Fernet IV must be ${IV_LENGTH} bytes, got ${iv.length}`,
      );
    }
    const ciphertext = new Uint8Array(
      await crypto.subtle.encrypt(
        { name: "AES-CBC", iv: iv.slice() },
        this.#encryptionKey,
        data.slice(),
      ),
    );
    const signed = new Uint8Array(
      HEADER_LENGTH + IV_LENGTH + ciphertext.length,
    );
    signed[0] = VERSION;
    new DataView(signed.buffer).setBigUint64(1, BigInt(time));
    signed.set(iv, HEADER_LENGTH);
    signed.set(ciphertext, HEADER_LENGTH + IV_LENGTH);
    const hmac = new Uint8Array(
      await crypto.subtle.sign("HMAC", this.#signingKey, signed),
    );
    const token = new Uint8Array(signed.length + HMAC_LENGTH);
    token.set(signed);
    token.set(hmac, signed.length);
    return token;
  }

  /**
   * Checks and decrypts a token (raw bytes or its base64url text), following
   * the spec's order: version, age and clock skew, HMAC (verified in
   * constant time by WebCrypto), then decryption and unpadding.
   * @throws {InvalidTokenError} when the token is not valid now under this key
   */
  async decrypt(
    token: Uint8Array | string,
    options: DecryptOptions = {},
  ): Promise<Uint8Array> {
    const bytes = typeof token === "string" ? decodeBase64Url(token) : token;
    if (bytes.length === 0 || bytes[0] !== VERSION) {
      throw new InvalidTokenError("unknown version");
    }
    if (bytes.length < MIN_TOKEN_LENGTH) {
      throw new InvalidTokenError("too short");
    }
    const cipherLength = bytes.length - HEADER_LENGTH - IV_LENGTH - HMAC_LENGTH;
    if (cipherLength % BLOCK_LENGTH !== 0) {
      throw new InvalidTokenError("ciphertext is not a whole number of blocks");
    }
    const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    const timestamp = Number(view.getBigUint64(1));
    // Whole seconds, as Python's cryptography compares them.
    const now = Math.floor(options.now ?? Date.now() / 1000);
    if (options.ttl !== undefined && timestamp + options.ttl < now) {
      throw new InvalidTokenError("expired");
    }
    if (now + MAX_CLOCK_SKEW_S < timestamp) {
      throw new InvalidTokenError("timestamp too far in the future");
    }
    const signedEnd = bytes.length - HMAC_LENGTH;
    const valid = await crypto.subtle.verify(
      "HMAC",
      this.#signingKey,
      bytes.slice(signedEnd),
      bytes.slice(0, signedEnd),
    );
    if (!valid) {
      throw new InvalidTokenError("HMAC mismatch (wrong key or altered)");
    }
    try {
      return new Uint8Array(
        await crypto.subtle.decrypt(
          {
            name: "AES-CBC",
            iv: bytes.slice(HEADER_LENGTH, HEADER_LENGTH + IV_LENGTH),
          },
          this.#encryptionKey,
          bytes.slice(HEADER_LENGTH + IV_LENGTH, signedEnd),
        ),
      );
    } catch (error) {
      throw new InvalidTokenError("bad padding", { cause: error });
    }
  }
}

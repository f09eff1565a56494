/**
 * The little HTTP/1.1 the signalling server speaks: parsing a request head,
 * checking a WebSocket upgrade request (RFC 6455, section 4.2.1), and
 * writing short responses. Every response closes the connection.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { checkUpgrade, parseRequestHead } from "./http_head.ts";
 * const bytes = new TextEncoder().encode(
 *   "GET / HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n" +
 *     "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n",
 * );
 * const parsed = parseRequestHead(bytes);
 * assert("head" in parsed);
 * assert.deepEqual(checkUpgrade(parsed.head), { key: "dGhlIHNhbXBsZSBub25jZQ==" });
 * ```
 *
 * @module
 */

/** A parsed request line and header fields (names in lower case; repeated fields joined with ", "). */
export interface RequestHead {
  readonly method: string;
  readonly target: string;
  /** `"1.0"` or `"1.1"`. */
  readonly version: string;
  readonly headers: ReadonlyMap<string, string>;
}

/** What {@linkcode parseRequestHead} found. */
export type ParsedHead =
  | {
    readonly head:
      RequestHead; /** bytes the head took, up to and including the blank line */
    readonly length: number;
  }
  | { readonly incomplete: true }
  | { readonly status: number; readonly error: string };

const TOKEN = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/;
const REQUEST_LINE = /^([!#$%&'*+\-.^_`|~0-9A-Za-z]+) (\S+) HTTP\/(\d)\.(\d)$/;
const MAX_FIELDS = 100;

/** Where `\r\n\r\n` ends in `bytes`, or -1. */
function headEnd(bytes: Uint8Array): number {
  for (let i = 3; i < bytes.length; i++) {
    if (
      bytes[i] === 10 && bytes[i - 1] === 13 && bytes[i - 2] === 10 &&
      bytes[i - 3] === 13
    ) {
      return i + 1;
    }
  }
  return -1;
}

const latin1 = new TextDecoder("latin1");

/**
 * Parses the request head at the start of `bytes`: `incomplete` until the
 * blank line has come, else the head or the error status to answer with.
 */
export function parseRequestHead(bytes: Uint8Array): ParsedHead {
  const end = headEnd(bytes);
  if (end < 0) return { incomplete: true };
  const lines = latin1.decode(bytes.subarray(0, end - 4)).split("\r\n");
  const request = REQUEST_LINE.exec(lines[0]);
  if (request === null) {
    return { status: 400, error: "Malformed request line" };
  }
  const [, method, target, major, minor] = request;
  if (major !== "1") {
    return { status: 505, error: `HTTP/${major}.${minor} is not supported` };
  }
  if (lines.length - 1 > MAX_FIELDS) {
    return { status: 431, error: "Too many header fields" };
  }
  const headers = new Map<string, string>();
  for (const line of lines.slice(1)) {
    const colon = line.indexOf(":");
    const name = line.slice(0, colon);
    if (colon <= 0 || !TOKEN.test(name)) {
      return { status: 400, error: "Malformed header field" };
    }
    const key = name.toLowerCase();
    const value = line.slice(colon + 1).trim();
    const earlier = headers.get(key);
    headers.set(key, earlier === undefined ? value : `${earlier}, ${value}`);
  }
  return {
    head: { method, target, version: minor === "0" ? "1.0" : "1.1", headers },
    length: end,
  };
}

/** The path of a request target (origin or absolute form), or `null` when it has none. */
export function targetPath(target: string): string | null {
  try {
    if (target.startsWith("/")) return new URL(`http://host${target}`).pathname;
    const url = new URL(target);
    return /^(https?|wss?):$/.test(url.protocol) ? url.pathname : null;
  } catch {
    return null;
  }
}

/** Whether the comma-separated header `value` holds `token` (case-insensitively). */
export function hasToken(value: string | undefined, token: string): boolean {
  if (value === undefined) return false;
  return value.split(",").some((part) => part.trim().toLowerCase() === token);
}

/** Whether `head` asks for a WebSocket (its `Upgrade` field names `websocket`). */
export function wantsWebSocket(head: RequestHead): boolean {
  return hasToken(head.headers.get("upgrade"), "websocket");
}

const KEY = /^[A-Za-z0-9+/]{22}==$/;

/**
 * Checks a WebSocket upgrade request: a GET over HTTP/1.1 with
 * `Connection: Upgrade`, `Sec-WebSocket-Version: 13` and a
 * `Sec-WebSocket-Key` of 16 bytes in base64. Returns the key, or why the
 * request must be refused (with 400).
 */
export function checkUpgrade(
  head: RequestHead,
): { key: string } | { error: string } {
  if (head.method !== "GET") return { error: "the method must be GET" };
  if (head.version !== "1.1") {
    return { error: `HTTP/${head.version} cannot upgrade` };
  }
  if (!hasToken(head.headers.get("connection"), "upgrade")) {
    return { error: "no 'Connection: Upgrade'" };
  }
  const version = head.headers.get("sec-websocket-version");
  if (version !== "13") {
    return {
      error: version === undefined
        ? "no Sec-WebSocket-Version"
        : `unsupported Sec-WebSocket-Version ${JSON.stringify(version)}`,
    };
  }
  const key = head.headers.get("sec-websocket-key");
  if (key === undefined || !KEY.test(key)) {
    return { error: "Sec-WebSocket-Key is not 16 bytes in base64" };
  }
  return { key };
}

/** The `Sec-WebSocket-Accept` value for `key`. */
export async function acceptValue(key: string): Promise<string> {
  const digest = await crypto.subtle.digest(
    "SHA-1",
    new TextEncoder().encode(`${key}258EAFA5-E914-47DA-95CA-C5AB0DC85B11`),
  );
  return btoa(String.fromCharCode(...new Uint8Array(digest)));
}

/** The 101 response accepting a WebSocket upgrade. */
export async function switchingProtocols(key: string): Promise<Uint8Array> {
  return new TextEncoder().encode(
    "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n" +
      `Sec-WebSocket-Accept: ${await acceptValue(key)}\r\n\r\n`,
  );
}

const REASONS: Record<number, string> = {
  200: "OK",
  400: "Bad Request",
  404: "Not Found",
  405: "Method Not Allowed",
  408: "Request Timeout",
  431: "Request Header Fields Too Large",
  505: "HTTP Version Not Supported",
};

/** A complete response with a plain-text `body` that closes the connection (no body for HEAD). */
export function textResponse(
  status: number,
  body: string,
  options: { headers?: Record<string, string>; head?: boolean } = {},
): Uint8Array {
  const bytes = new TextEncoder().encode(body);
  let text = `HTTP/1.1 ${status} ${REASONS[status] ?? "Error"}\r\n` +
    "Content-Type: text/plain; charset=utf-8\r\n" +
    `Content-Length: ${bytes.length}\r\nConnection: close\r\n`;
  for (const [name, value] of Object.entries(options.headers ?? {})) {
    text += `${name}: ${value}\r\n`;
  }
  const head = new TextEncoder().encode(text + "\r\n");
  if (options.head) return head;
  const response = new Uint8Array(head.length + bytes.length);
  response.set(head);
  response.set(bytes, head.length);
  return response;
}

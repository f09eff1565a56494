/**
 * Between a raw HTTP/1.1 connection and the Fetch API's `Request` and
 * `Response`, which {@linkcode HttpRoutes} (WHIP, WHEP, the browser page)
 * speak: for a server that parses request heads itself rather than using
 * `Deno.serve`. It reads a request's body (by `Content-Length`, up to a
 * limit), makes the `Request`, and writes a `Response` as bytes that close
 * the connection.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { responseBytes } from "./fetch_bridge.ts";
 * const bytes = await responseBytes(new Response("hi", { status: 201 }), false);
 * assert.match(new TextDecoder().decode(bytes), /^HTTP\/1\.1 201 Created\r\n/);
 * ```
 *
 * @module
 */

/** What the bridge needs of a parsed request head (names of `headers` in lower case). */
export interface HeadLike {
  readonly method: string;
  readonly target: string;
  readonly headers: ReadonlyMap<string, string>;
}

/** A body that cannot be read: the status to answer with and why. */
export interface BodyRefusal {
  readonly status: number;
  readonly error: string;
}

const REASONS: Record<number, string> = {
  200: "OK",
  201: "Created",
  204: "No Content",
  400: "Bad Request",
  401: "Unauthorized",
  404: "Not Found",
  405: "Method Not Allowed",
  409: "Conflict",
  411: "Length Required",
  413: "Content Too Large",
  415: "Unsupported Media Type",
  422: "Unprocessable Content",
  500: "Internal Server Error",
  501: "Not Implemented",
  502: "Bad Gateway",
  503: "Service Unavailable",
  504: "Gateway Timeout",
};

/**
 * Reads the body of a request with head `head`: `leftover` (bytes that came
 * after the head) and then `read` until `Content-Length` bytes are in.
 * No body (`null`) without `Content-Length`; a refusal for chunked bodies
 * (411, WHIP clients send a length), a bad length (400), one over `limit`
 * bytes (413) or a connection that ends early (400).
 */
export async function readBody(
  head: HeadLike,
  leftover: Uint8Array,
  read: (buffer: Uint8Array) => Promise<number | null>,
  limit: number,
): Promise<Uint8Array<ArrayBuffer> | null | BodyRefusal> {
  if (head.headers.has("transfer-encoding")) {
    return { status: 411, error: "Send the body with a Content-Length" };
  }
  const declared = head.headers.get("content-length");
  if (declared === undefined) return null;
  if (!/^\d{1,15}$/.test(declared.trim())) {
    return { status: 400, error: "Bad Content-Length" };
  }
  const length = Number(declared);
  if (length > limit) {
    return { status: 413, error: `Bodies are limited to ${limit} bytes` };
  }
  const body = new Uint8Array(length);
  let filled = Math.min(length, leftover.length);
  body.set(leftover.subarray(0, filled));
  while (filled < length) {
    const n = await read(body.subarray(filled));
    if (n === null) {
      return { status: 400, error: "The connection ended inside the body" };
    }
    filled += n;
  }
  return body;
}

/**
 * A Fetch `Request` for `head` and `body`, its URL made from `origin`
 * (`http://host:port`, the server's own) and the request target.
 */
export function toFetchRequest(
  head: HeadLike,
  body: Uint8Array<ArrayBuffer> | null,
  origin: string,
): Request {
  const headers = new Headers();
  for (const [name, value] of head.headers) headers.set(name, value);
  const hasBody = body !== null && head.method !== "GET" &&
    head.method !== "HEAD";
  return new Request(new URL(head.target, origin), {
    method: head.method,
    headers,
    body: hasBody ? body : undefined,
  });
}

/**
 * `response` as the bytes of an HTTP/1.1 response that closes the
 * connection: status line, its headers, `Content-Length` and its body (none
 * when `head`, the request being a HEAD).
 */
export async function responseBytes(
  response: Response,
  head: boolean,
): Promise<Uint8Array> {
  const body = new Uint8Array(await response.arrayBuffer());
  const reason = response.statusText || REASONS[response.status] || "Status";
  let text = `HTTP/1.1 ${response.status} ${reason}\r\n`;
  for (const [name, value] of response.headers) {
    if (name === "content-length" || name === "connection") continue;
    text += `${name}: ${value}\r\n`;
  }
  const length = response.headers.get("content-length") ?? body.length;
  if (response.status !== 204 && response.status !== 304) {
    text += `content-length: ${length}\r\n`;
  }
  text += "connection: close\r\n\r\n";
  const start = new TextEncoder().encode(text);
  if (head) return start;
  const bytes = new Uint8Array(start.length + body.length);
  bytes.set(start);
  bytes.set(body, start.length);
  return bytes;
}

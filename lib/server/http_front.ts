/**
 * The plain HTTP side of the signalling server's connections: the routes
 * of `http_routes.ts` (WHIP, WHEP, the browser page), reached from a parsed
 * request head through `fetch_bridge.ts`, and {@linkcode respond}, which
 * writes a response and closes the connection.
 *
 * @module
 */

import { type ByteConn, closeQuietly, writeAll } from "./byte_conn.ts";
import { readBody, responseBytes, toFetchRequest } from "./fetch_bridge.ts";
import { type RequestHead, textResponse } from "./http_head.ts";
import type { HttpRoutes } from "./http_routes.ts";
import { MAX_OFFER_BYTES } from "./whip.ts";

/** Milliseconds a plain HTTP response waits for the client to finish sending before closing. */
export const LINGER_MS = 1000;

/**
 * The origin of the `Request`s the routes see; they read only the path
 * (their `Location` headers are paths too).
 */
const ORIGIN = "http://localhost";

/**
 * Writes `response`, then reads and throws away what the client still
 * sends (a body), so closing does not reset the connection before it read
 * the response; at most {@linkcode LINGER_MS}. Closes `conn`.
 */
export async function respond(
  conn: ByteConn,
  response: Uint8Array,
): Promise<void> {
  const timer = setTimeout(() => closeQuietly(conn), LINGER_MS);
  try {
    await writeAll(conn, response);
    await conn.closeWrite();
    const sink = new Uint8Array(4096);
    while ((await conn.read(sink)) !== null);
  } catch {
    // closed by the timer or the client
  } finally {
    clearTimeout(timer);
    closeQuietly(conn);
  }
}

/**
 * The response of `routes` to the request with head `head` (not a
 * WebSocket upgrade), as bytes, or `null` when the request is not theirs
 * (the server then answers it itself). Reads the request's body first:
 * `leftover` (what came after the head) and then from `conn`, up to
 * `MAX_OFFER_BYTES`; a larger declared body reaches the routes without
 * its bytes, so they answer 413 (after checking the token). A body that
 * takes longer than `timeoutMs` closes `conn` and throws.
 */
export async function answerRoutes(
  routes: HttpRoutes,
  head: RequestHead,
  leftover: Uint8Array,
  conn: ByteConn,
  timeoutMs: number,
): Promise<Uint8Array | null> {
  let timedOut = false;
  const timer = setTimeout(() => {
    timedOut = true;
    closeQuietly(conn);
  }, timeoutMs);
  let body;
  try {
    body = await readBody(
      head,
      leftover,
      (buffer) => conn.read(buffer),
      MAX_OFFER_BYTES,
    );
  } finally {
    clearTimeout(timer);
  }
  if (timedOut) throw new Error(`request body took over ${timeoutMs} ms`);
  if (body !== null && "status" in body && body.status !== 413) {
    return textResponse(body.status, `${body.error}\n`);
  }
  const request = toFetchRequest(
    head,
    body === null || "status" in body ? null : body,
    ORIGIN,
  );
  const response = await routes.handle(request);
  if (response === null) return null;
  return await responseBytes(response, head.method === "HEAD");
}

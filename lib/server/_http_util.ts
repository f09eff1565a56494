/**
 * Small HTTP pieces of the WHIP/WHEP endpoints: CORS headers, plain-text
 * error responses, a request body read up to a limit, and the bearer token
 * check.
 *
 * @module
 */

/** Response headers that let any web page use the WHIP/WHEP endpoints (CORS). */
export const CORS_HEADERS: Readonly<Record<string, string>> = {
  "access-control-allow-origin": "*",
  "access-control-expose-headers": "Location, Link, Accept-Post, Allow",
};

/** Headers of the answer to a CORS preflight (`OPTIONS`) for `methods`. */
export function preflightHeaders(methods: string): Record<string, string> {
  return {
    ...CORS_HEADERS,
    "access-control-allow-methods": methods,
    "access-control-allow-headers": "Authorization, Content-Type, If-Match",
    "access-control-max-age": "86400",
    allow: methods,
  };
}

/** A plain-text response: `status` with `message` (and a newline) as its body. */
export function textResponse(
  status: number,
  message: string,
  headers: Record<string, string> = {},
): Response {
  return new Response(`${message}\n`, {
    status,
    headers: {
      ...CORS_HEADERS,
      "content-type": "text/plain; charset=utf-8",
      ...headers,
    },
  });
}

/** A request body over the limit. */
export class BodyTooLargeError extends Error {}

/**
 * The body of `request` as UTF-8 text, read chunk by chunk; throws
 * {@linkcode BodyTooLargeError} as soon as it exceeds `limit` bytes,
 * whatever `Content-Length` says.
 */
export async function readBody(
  request: Request,
  limit: number,
): Promise<string> {
  const declared = Number(request.headers.get("content-length"));
  if (Number.isFinite(declared) && declared > limit) {
    await request.body?.cancel();
    throw new BodyTooLargeError();
  }
  if (request.body === null) return "";
  const chunks: Uint8Array[] = [];
  let size = 0;
  const reader = request.body.getReader();
  while (true) {
    const { done, value } = await reader.read();
    if (done) break;
    size += value.length;
    if (size > limit) {
      await reader.cancel();
      throw new BodyTooLargeError();
    }
    chunks.push(value);
  }
  const bytes = new Uint8Array(size);
  let offset = 0;
  for (const chunk of chunks) {
    bytes.set(chunk, offset);
    offset += chunk.length;
  }
  return new TextDecoder().decode(bytes);
}

/** Whether two strings are equal, in time that depends on their lengths only. */
function sameText(a: string, b: string): boolean {
  const x = new TextEncoder().encode(a);
  const y = new TextEncoder().encode(b);
  if (x.length !== y.length) return false;
  let difference = 0;
  for (let i = 0; i < x.length; i++) difference |= x[i] ^ y[i];
  return difference === 0;
}

/**
 * `null` when `request` may go on (no `token` is required, or it carries
 * `Authorization: Bearer TOKEN`), else the `401 Unauthorized` to send.
 */
export function unauthorized(
  request: Request,
  token: string | undefined,
): Response | null {
  if (token === undefined) return null;
  const header = request.headers.get("authorization");
  const given = header === null ? null : /^Bearer +(\S+) *$/i.exec(header);
  if (given !== null && sameText(given[1], token)) return null;
  const challenge = given === null
    ? 'Bearer realm="flitter-webrtc"'
    : 'Bearer realm="flitter-webrtc", error="invalid_token"';
  return textResponse(
    401,
    given === null
      ? "This server needs Authorization: Bearer TOKEN"
      : "Wrong bearer token",
    { "www-authenticate": challenge },
  );
}

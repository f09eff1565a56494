/**
 * The HTTP side of a WHIP or WHEP client (RFC 9725; the WHEP draft): POST
 * an SDP offer, read the answer and the session's `Location`, DELETE the
 * session. Also sets the direction of an offer's video, since a
 * {@linkcode PeerSession} offers `sendrecv`.
 *
 * @module
 */

/** What a WHIP or WHEP server answered to an offer. */
export interface HttpSession {
  /** The session's URL (`Location`, made absolute). */
  readonly location: string;
  /** The answer SDP. */
  readonly answer: string;
  /** ICE servers the server offered in `Link` headers (`rel="ice-server"`), as URLs. */
  readonly iceServerLinks: readonly string[];
}

/** A request that failed: network error, timeout, or an HTTP status other than 201. */
export class WhipHttpError extends Error {
  /**
   * @param message what went wrong, for the log
   * @param status the HTTP status, when there was a response
   */
  constructor(message: string, readonly status?: number) {
    super(message);
    this.name = "WhipHttpError";
  }
}

function headers(
  token: string | null,
  extra: Record<string, string> = {},
): Record<string, string> {
  return token === null
    ? extra
    : { ...extra, authorization: `Bearer ${token}` };
}

/** The first line of `text`, at most 200 characters. */
function firstLine(text: string): string {
  return text.trim().split(/\r?\n/)[0].slice(0, 200);
}

/**
 * POSTs `offer` to `url` as `application/sdp` (with `Authorization: Bearer
 * TOKEN` when `token` is given) and returns the session from a `201
 * Created` answer; redirects are followed.
 *
 * @throws {WhipHttpError} on a network error, a status other than 201 (or
 *   200), a body that is not SDP or a missing `Location`
 */
export async function postOffer(
  url: string,
  offer: string,
  token: string | null,
  signal: AbortSignal,
): Promise<HttpSession> {
  let response: Response;
  try {
    response = await fetch(url, {
      method: "POST",
      headers: headers(token, { "content-type": "application/sdp" }),
      body: offer,
      signal,
    });
  } catch (error) {
    throw new WhipHttpError(
      `POST ${url} failed: ${
        error instanceof Error ? error.message : String(error)
      }`,
    );
  }
  const body = await response.text();
  if (response.status !== 201 && response.status !== 200) {
    throw new WhipHttpError(
      `POST ${url}: ${response.status} ${response.statusText}${
        body.trim() ? `: ${firstLine(body)}` : ""
      }`,
      response.status,
    );
  }
  if (!/^v=0\r?\n/.test(body)) {
    throw new WhipHttpError(`POST ${url}: the answer is not SDP`);
  }
  const location = response.headers.get("location");
  if (location === null) {
    throw new WhipHttpError(`POST ${url}: the answer has no Location header`);
  }
  const base = response.url || url;
  return {
    location: new URL(location, base).href,
    answer: body,
    iceServerLinks: iceServerLinks(response.headers.get("link") ?? "", base),
  };
}

/** URLs of the `rel="ice-server"` entries of a `Link` header. */
function iceServerLinks(link: string, base: string): string[] {
  const found: string[] = [];
  for (const match of link.matchAll(/<([^>]*)>([^,]*)/g)) {
    if (!/;\s*rel="?ice-server"?/i.test(match[2])) continue;
    try {
      found.push(new URL(match[1], base).href);
    } catch {
      // Not a URL: ignored.
    }
  }
  return found;
}

/**
 * DELETEs the session at `location`. A 404 counts as done (the server
 * has forgotten it already).
 *
 * @throws {WhipHttpError} on a network error or another status outside 2xx
 */
export async function deleteSession(
  location: string,
  token: string | null,
  signal: AbortSignal,
): Promise<void> {
  let response: Response;
  try {
    response = await fetch(location, {
      method: "DELETE",
      headers: headers(token),
      signal,
    });
  } catch (error) {
    throw new WhipHttpError(
      `DELETE ${location} failed: ${
        error instanceof Error ? error.message : String(error)
      }`,
    );
  }
  await response.body?.cancel();
  if (!response.ok && response.status !== 404) {
    throw new WhipHttpError(
      `DELETE ${location}: ${response.status} ${response.statusText}`,
      response.status,
    );
  }
}

const DIRECTION = /^a=(sendrecv|sendonly|recvonly|inactive)$/;

/**
 * `sdp` with the direction of every video section set to `direction`
 * (`sendonly` to publish, `recvonly` to watch); other sections unchanged.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { withVideoDirection } from "./_whip_http.ts";
 * const sdp = "v=0\r\nm=video 9 UDP/TLS/RTP/SAVPF 96\r\na=sendrecv\r\n";
 * assert.equal(
 *   withVideoDirection(sdp, "recvonly"),
 *   "v=0\r\nm=video 9 UDP/TLS/RTP/SAVPF 96\r\na=recvonly\r\n",
 * );
 * ```
 */
export function withVideoDirection(
  sdp: string,
  direction: "sendonly" | "recvonly",
): string {
  const eol = sdp.includes("\r\n") ? "\r\n" : "\n";
  const lines = sdp.split(/\r?\n/);
  const out: string[] = [];
  let video = false;
  let written = false;
  const finishSection = () => {
    // A video section without a direction line is sendrecv: say ours.
    if (video && !written) out.push(`a=${direction}`);
  };
  for (const line of lines) {
    if (line.startsWith("m=")) {
      finishSection();
      video = line.startsWith("m=video ");
      written = false;
    }
    if (video && DIRECTION.test(line)) {
      if (!written) out.push(`a=${direction}`);
      written = true;
      continue;
    }
    if (line === "" && out.length === lines.length - 1) continue;
    out.push(line);
  }
  finishSection();
  return out.join(eol) + eol;
}

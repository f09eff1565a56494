/**
 * The mark by which an offer says that its maker steers its frame schedule
 * toward the answerer's video (see `arrival_steering.ts`), so that the
 * answerer knows whether to steer its own.
 *
 * Only one side of a call may steer: two would each move after the other
 * and neither would settle. Between two rigs the caller steers. A rig that
 * answers an endpoint that does not steer (a browser, the original Python
 * plugin, a WHIP publisher relayed by the server) steers instead, so that
 * it shows that endpoint's frames soon after they arrive rather than
 * wherever its schedule happens to fall.
 *
 * The mark is a session-level attribute, {@linkcode STEERING_MARK}, which
 * other endpoints ignore (libwebrtc, browsers and aiortc skip attributes
 * they do not know). An offer marked by an endpoint that receives no video
 * (a `sendonly` publisher) does not count: it has nothing to steer by.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { offererSteers, withSteeringMark } from "./steering_mark.ts";
 * const offer = "v=0\r\nt=0 0\r\nm=video 9 UDP/TLS/RTP/SAVPF 96\r\na=sendrecv\r\n";
 * assert.equal(offererSteers(offer), false);
 * assert.equal(offererSteers(withSteeringMark(offer)), true);
 * ```
 *
 * @module
 */

/** The session-level attribute line that marks an offer. */
export const STEERING_MARK = "a=x-flitter-steers";

const DIRECTION = /^a=(sendrecv|sendonly|recvonly|inactive)$/;

function lineEnd(sdp: string): string {
  return sdp.includes("\r\n") ? "\r\n" : "\n";
}

/** `sdp` with {@linkcode STEERING_MARK} at the end of its session section (unchanged if it has it). */
export function withSteeringMark(sdp: string): string {
  const eol = lineEnd(sdp);
  const lines = sdp.split(eol);
  const firstMedia = lines.findIndex((line) => line.startsWith("m="));
  const session = firstMedia === -1 ? lines : lines.slice(0, firstMedia);
  if (session.includes(STEERING_MARK)) return sdp;
  if (firstMedia === -1) {
    // A description without media: the mark goes last, before the final line end.
    const last = lines.at(-1) === "" ? lines.length - 1 : lines.length;
    lines.splice(last, 0, STEERING_MARK);
  } else {
    lines.splice(firstMedia, 0, STEERING_MARK);
  }
  return lines.join(eol);
}

/**
 * Whether the maker of `offer` steers toward the answerer's video: the
 * offer carries {@linkcode STEERING_MARK} and the offerer receives video
 * (a video section that is `sendrecv` or `recvonly`).
 */
export function offererSteers(offer: string): boolean {
  const lines = offer.split(lineEnd(offer));
  const firstMedia = lines.findIndex((line) => line.startsWith("m="));
  if (firstMedia === -1) return false;
  const session = lines.slice(0, firstMedia);
  if (!session.includes(STEERING_MARK)) return false;
  const sessionDirection =
    session.map((line) => DIRECTION.exec(line)?.[1]).find(Boolean) ??
      "sendrecv";
  let receives = false;
  let inVideo = false;
  let direction = sessionDirection;
  const endSection = () => {
    if (inVideo && (direction === "sendrecv" || direction === "recvonly")) {
      receives = true;
    }
  };
  for (const line of lines.slice(firstMedia)) {
    if (line.startsWith("m=")) {
      endSection();
      inVideo = line.startsWith("m=video ");
      direction = sessionDirection;
    } else {
      direction = DIRECTION.exec(line)?.[1] ?? direction;
    }
  }
  endSection();
  return receives;
}

/**
 * Checks on the SDP that WHIP and WHEP clients post, before the server hands
 * it to a rig: an offer a rig's libwebrtc would refuse (no DTLS fingerprint,
 * no ICE credentials, a payload type without its `a=rtpmap`) or could do
 * nothing with (no video, media going the wrong way) is refused with a
 * clear message instead, so the rig never sees it. Also reads what a rig
 * answered: whether it accepted a video section.
 *
 * Pure functions on text (no SDP library): the server imports only
 * `lib/log/`.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { offerProblem } from "./sdp_check.ts";
 * assert.equal(offerProblem("hello", "whip"), "the body is not SDP: it does not start with v=0");
 * ```
 *
 * @module
 */

/** Which protocol an offer came by: WHIP publishes to a rig, WHEP watches one. */
export type HttpCallKind = "whip" | "whep";

/** An SDP media direction. */
export type Direction = "sendrecv" | "sendonly" | "recvonly" | "inactive";

const DIRECTIONS: ReadonlySet<string> = new Set([
  "sendrecv",
  "sendonly",
  "recvonly",
  "inactive",
]);

/** One `m=` section: its kind, port and payload types, and its attribute lines. */
export interface MediaSection {
  /** `video`, `audio`, `application`, … */
  readonly kind: string;
  /** The port of the `m=` line (0: rejected). */
  readonly port: number;
  /** The payload types (format numbers) of the `m=` line. */
  readonly formats: readonly string[];
  /** The section's `a=` lines, without the `a=`. */
  readonly attributes: readonly string[];
}

/** The lines of `sdp`, without line ends and without a trailing empty line. */
function sdpLines(sdp: string): string[] {
  const lines = sdp.split(/\r?\n/);
  while (lines.length > 0 && lines[lines.length - 1] === "") lines.pop();
  return lines;
}

/** The `m=` sections of `sdp`, in order (an unparsable `m=` line has port `NaN`). */
export function mediaSections(sdp: string): MediaSection[] {
  const sections: { kind: string; port: number; formats: string[] }[] = [];
  const attributes: string[][] = [];
  for (const line of sdpLines(sdp)) {
    if (line.startsWith("m=")) {
      const [kind = "", port = "", , ...formats] = line.slice(2).split(" ");
      sections.push({
        kind,
        port: /^\d+(\/\d+)?$/.test(port) ? parseInt(port, 10) : NaN,
        formats,
      });
      attributes.push([]);
    } else if (line.startsWith("a=") && attributes.length > 0) {
      attributes[attributes.length - 1].push(line.slice(2));
    }
  }
  return sections.map((section, i) => ({
    ...section,
    attributes: attributes[i],
  }));
}

/** The direction attribute of `section` (`sendrecv` when it has none, as SDP says). */
export function direction(section: MediaSection): Direction {
  const found = section.attributes.find((a) => DIRECTIONS.has(a));
  return (found ?? "sendrecv") as Direction;
}

/**
 * Whether `section` is in use: a port other than 0, or port 0 with
 * `a=bundle-only` (a section that shares the transport of the first one).
 */
function accepted(section: MediaSection): boolean {
  return section.port !== 0 || section.attributes.includes("bundle-only");
}

/** Whether `sdp` has `a=NAME:…` at session level or in any section. */
function hasAttribute(lines: readonly string[], name: string): boolean {
  return lines.some((line) => line.startsWith(`a=${name}:`));
}

/**
 * What is wrong with `offer` as a WHIP (`kind` `"whip"`) or WHEP offer, for
 * the client to read, or `null` when a rig can take it: SDP lines from
 * `v=0`, an `o=` and an `s=` line, a video section, every dynamic payload
 * type (35 and up) with its `a=rtpmap`, ICE credentials and a DTLS
 * fingerprint, and video that goes the right way (a WHIP offer sends, a
 * WHEP offer receives; `sendrecv` suits both). ICE candidates are not
 * required: the rig's answer has its own, and the client's address is
 * learnt from its connectivity checks.
 */
export function offerProblem(offer: string, kind: HttpCallKind): string | null {
  const lines = sdpLines(offer);
  if (lines[0] !== "v=0") {
    return "the body is not SDP: it does not start with v=0";
  }
  const bad = lines.findIndex((line) => !/^[a-z]=/.test(line));
  if (bad >= 0) {
    return `the body is not SDP: line ${bad + 1} is not "x=…"`;
  }
  for (const type of ["o", "s"]) {
    if (!lines.some((line) => line.startsWith(`${type}=`))) {
      return `the offer has no ${type}= line`;
    }
  }
  const sections = mediaSections(offer);
  for (const section of sections) {
    if (
      !Number.isInteger(section.port) || section.formats.length === 0 ||
      !section.formats.every((f) => /^\d{1,3}$/.test(f) && Number(f) < 128)
    ) {
      return `the offer has a malformed m=${section.kind} line`;
    }
    if (section.kind !== "video" && section.kind !== "audio") continue;
    const mapped = new Set(
      section.attributes.flatMap((a) => /^rtpmap:(\d+) /.exec(a)?.[1] ?? []),
    );
    const unmapped = section.formats.find((f) =>
      Number(f) >= 35 && !mapped.has(f)
    );
    if (unmapped !== undefined) {
      return `payload type ${unmapped} of m=${section.kind} has no a=rtpmap`;
    }
  }
  const video = sections.filter((s) => s.kind === "video" && accepted(s));
  if (video.length === 0) {
    return "the offer has no video (rigs send and receive video only)";
  }
  if (!hasAttribute(lines, "ice-ufrag") || !hasAttribute(lines, "ice-pwd")) {
    return "the offer has no ICE credentials (a=ice-ufrag, a=ice-pwd)";
  }
  if (!hasAttribute(lines, "fingerprint")) {
    return "the offer has no DTLS fingerprint (a=fingerprint)";
  }
  const directions = new Set(video.map(direction));
  if (
    kind === "whip" && !directions.has("sendrecv") &&
    !directions.has("sendonly")
  ) {
    return "a WHIP offer must send video (to watch a rig, use /whep/)";
  }
  if (
    kind === "whep" && !directions.has("sendrecv") &&
    !directions.has("recvonly")
  ) {
    return "a WHEP offer must receive video (to publish to a rig, use /whip/)";
  }
  return null;
}

/** Whether `answer` accepts a video section (not port 0, not `inactive`). */
export function answerHasVideo(answer: string): boolean {
  return mediaSections(answer).some((s) =>
    s.kind === "video" && accepted(s) && direction(s) !== "inactive"
  );
}

/** Whether `text` looks like SDP at all (starts with `v=0`), for a rig's answer. */
export function isSdp(text: string): boolean {
  return /^v=0\r?\n/.test(text);
}

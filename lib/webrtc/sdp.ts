/**
 * Small, standard-preserving rewrites of session descriptions: which video
 * codec comes first, the bitrate an endpoint should send at, and the mark by
 * which an offer says that its maker steers its frames
 * ({@linkcode STEERING_MARK}).
 *
 * Only the video `m=` sections are touched. The results stay plain SDP that
 * any peer can read: a Python aiortc peer ignores `b=` lines and unknown
 * `a=fmtp` parameters, libwebrtc reads `b=AS`/`b=TIAS` and the
 * `x-google-*-bitrate` parameters (in kbps) of the remote description to set
 * up its encoder.
 *
 * @module
 */

/** Video codecs a `!webrtc` node can prefer. */
export type VideoCodec = "vp8" | "vp9" | "av1";

/** All values of {@linkcode VideoCodec}, in order of preference by default. */
export const VIDEO_CODECS: readonly VideoCodec[] = ["vp8", "vp9", "av1"];

/** The RTP encoding name of `codec` (`"VP8"`). */
export function encodingName(codec: VideoCodec): string {
  return codec.toUpperCase();
}

/** Encoding names that are not real video codecs (repair and redundancy). */
const AUXILIARY = new Set(["RTX", "RED", "ULPFEC", "FLEXFEC-03"]);

/** One media section of an SDP, as line ranges. */
interface Section {
  kind: string;
  start: number;
  end: number;
}

function splitLines(sdp: string): { lines: string[]; eol: string } {
  const eol = sdp.includes("\r\n") ? "\r\n" : "\n";
  const lines = sdp.split(/\r?\n/);
  if (lines.length > 0 && lines[lines.length - 1] === "") lines.pop();
  return { lines, eol };
}

function joinLines(lines: string[], eol: string): string {
  return lines.join(eol) + eol;
}

function sections(lines: string[]): Section[] {
  const result: Section[] = [];
  for (let i = 0; i < lines.length; i++) {
    if (!lines[i].startsWith("m=")) continue;
    if (result.length > 0) result[result.length - 1].end = i;
    result.push({
      kind: lines[i].slice(2).split(" ")[0],
      start: i,
      end: lines.length,
    });
  }
  return result;
}

/** Payload type → upper-case encoding name, from the `a=rtpmap` lines of a section. */
function rtpmaps(lines: string[], section: Section): Map<string, string> {
  const map = new Map<string, string>();
  for (let i = section.start; i < section.end; i++) {
    const match = /^a=rtpmap:(\d+) ([^/\s]+)/.exec(lines[i]);
    if (match) map.set(match[1], match[2].toUpperCase());
  }
  return map;
}

/** Payload type → the payload type it repairs, from `a=fmtp:PT apt=X`. */
function rtxTargets(lines: string[], section: Section): Map<string, string> {
  const map = new Map<string, string>();
  for (let i = section.start; i < section.end; i++) {
    const match = /^a=fmtp:(\d+) .*\bapt=(\d+)/.exec(lines[i]);
    if (match) map.set(match[1], match[2]);
  }
  return map;
}

/**
 * Encoding names of the first video section's payload types, in the order of
 * its `m=` line (`["VP8", "RTX", "VP9", …]`); empty when there is no video.
 */
export function videoCodecOrder(sdp: string): string[] {
  const { lines } = splitLines(sdp);
  const video = sections(lines).find((s) => s.kind === "video");
  if (!video) return [];
  const names = rtpmaps(lines, video);
  const fields = lines[video.start].split(" ").slice(3);
  return fields.map((pt) => names.get(pt) ?? pt);
}

/**
 * Moves the payload types of `codec` (and the RTX types that repair them) to
 * the front of every video `m=` line, keeping all other types in their order.
 * A description without that codec is returned unchanged.
 */
export function preferCodec(sdp: string, codec: VideoCodec): string {
  const { lines, eol } = splitLines(sdp);
  const name = encodingName(codec);
  for (const section of sections(lines)) {
    if (section.kind !== "video") continue;
    const names = rtpmaps(lines, section);
    const repairs = rtxTargets(lines, section);
    const parts = lines[section.start].split(" ");
    const head = parts.slice(0, 3);
    const types = parts.slice(3);
    const preferred = types.filter((pt) => names.get(pt) === name);
    if (preferred.length === 0) continue;
    const rtx = types.filter((pt) => preferred.includes(repairs.get(pt) ?? ""));
    const first = [...preferred, ...rtx];
    const rest = types.filter((pt) => !first.includes(pt));
    lines[section.start] = [...head, ...first, ...rest].join(" ");
  }
  return joinLines(lines, eol);
}

/** Bitrates written into a description, in bits per second. */
export interface BitrateLimits {
  /** What the encoder starts at (`x-google-start-bitrate`). */
  start: number;
  /** Lowest the encoder goes (`x-google-min-bitrate`). */
  min: number;
  /** Highest the encoder goes (`x-google-max-bitrate`, `b=AS`, `b=TIAS`). */
  max: number;
}

/**
 * Limits for a target `bitrate` (bits/s): start and maximum at the target,
 * minimum at a quarter of it (at most 300 kbps), so congestion control can
 * still back off.
 */
export function bitrateLimits(bitrate: number): BitrateLimits {
  const target = Math.max(30_000, Math.round(bitrate));
  return {
    start: target,
    min: Math.min(300_000, Math.round(target / 4)),
    max: target,
  };
}

const GOOGLE_PARAMETERS = [
  "x-google-start-bitrate",
  "x-google-min-bitrate",
  "x-google-max-bitrate",
];

/**
 * Writes `limits` into every video section: `b=AS` (kbps) and `b=TIAS`
 * (bits/s) replace any earlier bandwidth lines, and each real codec's
 * `a=fmtp` gets the `x-google-*-bitrate` parameters (kbps), replacing earlier
 * ones; a codec without an `a=fmtp` line gets one. RTX, RED and FEC types are
 * left alone.
 */
export function applyBitrate(sdp: string, limits: BitrateLimits): string {
  const { lines, eol } = splitLines(sdp);
  const kbps = (bits: number) => Math.max(1, Math.round(bits / 1000));
  const google = [
    `x-google-start-bitrate=${kbps(limits.start)}`,
    `x-google-min-bitrate=${kbps(limits.min)}`,
    `x-google-max-bitrate=${kbps(limits.max)}`,
  ];
  // Work from the last section backwards so inserted lines keep earlier indices valid.
  for (const section of sections(lines).reverse()) {
    if (section.kind !== "video") continue;
    const names = rtpmaps(lines, section);
    const body = lines.slice(section.start + 1, section.end)
      .filter((line) =>
        !line.startsWith("b=AS:") && !line.startsWith("b=TIAS:")
      );
    // Codec parameters.
    const hasFmtp = new Set<string>();
    for (let i = 0; i < body.length; i++) {
      const match = /^a=fmtp:(\d+) (.*)$/.exec(body[i]);
      if (!match || AUXILIARY.has(names.get(match[1]) ?? "RTX")) continue;
      hasFmtp.add(match[1]);
      const kept = match[2].split(";").map((p) => p.trim())
        .filter((p) =>
          p !== "" && !GOOGLE_PARAMETERS.includes(p.split("=")[0])
        );
      body[i] = `a=fmtp:${match[1]} ${[...kept, ...google].join(";")}`;
    }
    for (const [pt, name] of names) {
      if (AUXILIARY.has(name) || hasFmtp.has(pt)) continue;
      let last = -1;
      for (let i = 0; i < body.length; i++) {
        if (
          body[i].startsWith(`a=rtpmap:${pt} `) ||
          body[i].startsWith(`a=rtcp-fb:${pt} `)
        ) last = i;
      }
      if (last >= 0) {
        body.splice(last + 1, 0, `a=fmtp:${pt} ${google.join(";")}`);
      }
    }
    // Bandwidth lines go after `c=` (RFC 8866 order: m, i, c, b, k, a).
    let at = 0;
    while (
      at < body.length &&
      (body[at].startsWith("i=") || body[at].startsWith("c="))
    ) at++;
    body.splice(
      at,
      0,
      `b=AS:${kbps(limits.max)}`,
      `b=TIAS:${Math.round(limits.max)}`,
    );
    lines.splice(section.start + 1, section.end - section.start - 1, ...body);
  }
  return joinLines(lines, eol);
}

/**
 * The session-level attribute line by which an offer says that its maker
 * steers its frame schedule toward the answerer's video (see
 * `arrival_steering.ts`), so that the answerer knows whether to steer its
 * own. Only one side of a call may steer: two would each move after the
 * other and neither would settle. Between two rigs the caller steers; a rig
 * that answers an endpoint that does not steer (a browser, the original
 * Python plugin, a WHIP publisher relayed by the server) steers instead, so
 * that it shows that endpoint's frames soon after they arrive. Other
 * endpoints ignore the attribute (libwebrtc, browsers and aiortc skip
 * attributes they do not know).
 */
export const STEERING_MARK = "a=x-flitter-steers";

/**
 * `sdp` with {@linkcode STEERING_MARK} at the end of its session section
 * (unchanged if it has it).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { offererSteers, withSteeringMark } from "./sdp.ts";
 * const offer = "v=0\r\nt=0 0\r\nm=video 9 UDP/TLS/RTP/SAVPF 96\r\na=sendrecv\r\n";
 * assert.equal(offererSteers(offer), false);
 * assert.equal(offererSteers(withSteeringMark(offer)), true);
 * ```
 */
export function withSteeringMark(sdp: string): string {
  const { lines, eol } = splitLines(sdp);
  const end = sections(lines)[0]?.start ?? lines.length;
  if (lines.slice(0, end).includes(STEERING_MARK)) return sdp;
  lines.splice(end, 0, STEERING_MARK);
  return joinLines(lines, eol);
}

const DIRECTION = /^a=(sendrecv|sendonly|recvonly|inactive)$/;

/**
 * Whether the maker of `offer` steers toward the answerer's video: the
 * offer carries {@linkcode STEERING_MARK} in its session section and the
 * offerer receives video (a video section that is `sendrecv` or
 * `recvonly`; a marked `sendonly` publisher has nothing to steer by).
 */
export function offererSteers(offer: string): boolean {
  const { lines } = splitLines(offer);
  const all = sections(lines);
  const session = lines.slice(0, all[0]?.start ?? lines.length);
  if (!session.includes(STEERING_MARK)) return false;
  const direction = (from: number, to: number, fallback: string) =>
    lines.slice(from, to).map((line) => DIRECTION.exec(line)?.[1])
      .find(Boolean) ?? fallback;
  const sessionDirection = direction(0, session.length, "sendrecv");
  return all.some((section) =>
    section.kind === "video" &&
    ["sendrecv", "recvonly"].includes(
      direction(section.start, section.end, sessionDirection),
    )
  );
}

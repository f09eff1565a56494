/**
 * The figures of a connection's video streams ({@linkcode PeerSessionStats})
 * read from a `getStats()` report: bytes and frames each way, codecs, and
 * the size sent.
 *
 * @module
 */

import type { PeerSessionStats } from "./peer_session_options.ts";

/** A `getStats()` report: entries by ID. */
export type StatsReport = Map<string, Record<string, unknown>>;

/** Sums the video `outbound-rtp` and `inbound-rtp` entries of `report`. */
export function videoStreamFigures(report: StatsReport): PeerSessionStats {
  const result: PeerSessionStats = {
    bytesSent: 0,
    framesEncoded: 0,
    sendCodec: null,
    sendWidth: null,
    sendHeight: null,
    bytesReceived: 0,
    framesDecoded: 0,
    receiveCodec: null,
  };
  const codecs = new Map<string, string>();
  report.forEach((entry) => {
    if (entry.type === "codec") {
      codecs.set(String(entry.id), String(entry.mimeType));
    }
  });
  const num = (value: unknown) => (typeof value === "number" ? value : 0);
  report.forEach((entry) => {
    if (entry.kind !== "video" && entry.mediaType !== "video") return;
    if (entry.type === "outbound-rtp") {
      result.bytesSent += num(entry.bytesSent);
      result.framesEncoded += num(entry.framesEncoded);
      result.sendCodec = codecs.get(String(entry.codecId)) ??
        result.sendCodec;
      if (typeof entry.frameWidth === "number") {
        result.sendWidth = entry.frameWidth;
      }
      if (typeof entry.frameHeight === "number") {
        result.sendHeight = entry.frameHeight;
      }
    } else if (entry.type === "inbound-rtp") {
      result.bytesReceived += num(entry.bytesReceived);
      result.framesDecoded += num(entry.framesDecoded);
      result.receiveCodec = codecs.get(String(entry.codecId)) ??
        result.receiveCodec;
    }
  });
  return result;
}

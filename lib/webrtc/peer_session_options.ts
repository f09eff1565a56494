/**
 * The plain types of a {@linkcode WrtcPeerSession}: its options, what it
 * hands out (received frames, statistics), its error, and the default
 * bitrate. No native code: importing this module loads nothing.
 *
 * @module
 */

import type { Logger } from "../log/logger.ts";
import type { IceServer } from "./ice_servers.ts";
import type { VideoCodec } from "./sdp.ts";

/** Options of a `WrtcPeerSession`. */
export interface PeerSessionOptions {
  /** Width of the outgoing video (frames of other sizes are accepted too). */
  width: number;
  /** Height of the outgoing video. */
  height: number;
  /** Target bitrate in bits per second; default from the size, see {@linkcode defaultBitrate}. */
  bitrate?: number;
  /** Preferred video codec (default `"vp8"`); others stay available as fallbacks. */
  codec?: VideoCodec;
  /** Logger (default: the `"webrtc"` logger). */
  log?: Logger;
  /** How long to wait for ICE gathering before returning the SDP as it is (default 5000 ms). */
  iceGatheringTimeoutMs?: number;
  /**
   * Wait for every ICE candidate, TCP ones included, before handing out an
   * offer or answer (default `false`). libwebrtc gathers UDP host
   * candidates at once but TCP ones in a later step, about 100 ms after;
   * by default the SDP goes out {@linkcode UDP_CANDIDATE_GRACE_MS} after the
   * first UDP candidate (or when gathering completes, if sooner), without
   * the TCP candidates, which only a peer that cannot use UDP would need.
   */
  waitForTcpCandidates?: boolean;
  /**
   * Make the first peer connection when the session is made, gathering ICE
   * candidates from then on, so the first offer or answer comes sooner
   * (default `true`). `WrtcPeerSession.close` closes it when still
   * unused; later connections are made when needed.
   */
  prepare?: boolean;
  /**
   * STUN and TURN servers (default none: host addresses only, enough on one
   * network; see `ice_servers.ts`). With servers, an offer or answer waits
   * for the first server-reflexive candidate (a relay candidate where a
   * TURN server is given), at most {@linkcode iceServerWaitMs}.
   */
  iceServers?: readonly IceServer[];
  /** How long (ms, default 1000) to wait for a STUN or TURN candidate after the first host candidate. */
  iceServerWaitMs?: number;
  /**
   * Which ICE candidates are used (`RTCConfiguration.iceTransportPolicy`):
   * `"all"` (default) or `"relay"` (only a TURN server's relay candidates,
   * so the SDP shows no address of this machine; needs a TURN server).
   */
  iceTransportPolicy?: IceTransportPolicy;
}

/** `RTCConfiguration.iceTransportPolicy`: every candidate, or relay ones only. */
export type IceTransportPolicy = "all" | "relay";

/**
 * How long (ms) after the first UDP candidate an offer or answer waits for
 * more (UDP host candidates of all interfaces come within a few ms; those
 * of a prepared connection, gathered ahead, in one burst: 1 ms there).
 */
export const UDP_CANDIDATE_GRACE_MS = 5;

/** The newest frame received from the peer. */
export interface ReceivedFrame {
  /** Width in pixels. */
  width: number;
  /** Height in pixels. */
  height: number;
  /** I420 planes (Y, then U, then V; see `i420Layout`), rows top-down. Not copied: do not modify. */
  data: Uint8Array;
  /** `performance.now()` when it arrived. */
  receivedAt: number;
  /** How many frames the current connection has received, this one included. */
  count: number;
}

/** Figures of the current connection's video streams (from `getStats`). */
export interface PeerSessionStats {
  /** Payload bytes sent. */
  bytesSent: number;
  /** Frames encoded. */
  framesEncoded: number;
  /** MIME type of the codec we send with (`"video/VP8"`), if known. */
  sendCodec: string | null;
  /** Width we send at now (libwebrtc may scale down under load), if known. */
  sendWidth: number | null;
  /** Height we send at now, if known. */
  sendHeight: number | null;
  /** Payload bytes received. */
  bytesReceived: number;
  /** Frames decoded. */
  framesDecoded: number;
  /** MIME type of the codec we receive. */
  receiveCodec: string | null;
}

/** Raised when a peer connection is closed or replaced while an offer or answer is being made. */
export class PeerSessionClosedError extends Error {
  /**
   * Creates the error.
   *
   * @param message what was interrupted
   */
  constructor(message: string) {
    super(message);
    this.name = "PeerSessionClosedError";
  }
}

/**
 * A bitrate that suits a `width`×`height` stream: about 0.1 bit per pixel per
 * frame at `fps` (default 30), at least 300 kbps. 1280×720 gives 2.76 Mbps.
 */
export function defaultBitrate(
  width: number,
  height: number,
  fps = 30,
): number {
  return Math.max(300_000, Math.round(0.1 * width * height * fps));
}

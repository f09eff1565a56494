/**
 * What a connected `RTCPeerConnection` sees of its peer, beyond libwebrtc's
 * connection state (see {@linkcode PeerActivity}): whether the peer hung up,
 * and how long nothing has come from it.
 *
 * Measured with wrtc 0.10 on loopback: when the peer closes its connection,
 * its DTLS transport sends `close_notify` and ours reads `closed` within
 * about 5 ms, while the connection state stays `connected` for another
 * 8–15 s (then `disconnected`, then `failed`); a peer that crashed is only
 * `disconnected` after 5–15 s. libwebrtc's ICE timeouts cannot be shortened
 * from here: wrtc's `RTCPeerConnection` reads only the standard
 * configuration (`iceServers`, `iceTransportPolicy`, `bundlePolicy`,
 * `rtcpMuxPolicy`, `iceCandidatePoolSize`, `portRange`, `sdpSemantics`,
 * `certificates`), and no field trial sets them. No event tells of the DTLS
 * state, but its getter is cheap (0.3 µs), so it is looked at every
 * {@linkcode ACTIVITY_CHECK_MS}. Silence: a frame received means the peer
 * is there; while none come (the peer's picture stalls), libwebrtc's
 * counters of everything received on its candidate pairs (RTP, RTCP and ICE
 * checks) are read at most every {@linkcode ACTIVITY_STATS_MS} (`getStats`
 * costs about 1 ms of the JavaScript thread). Gaps measured between
 * arrivals: under 0.1 s with video both ways, 0.14 s with video one way,
 * 2.5 s (the ICE check interval) with none.
 *
 * @module
 */

import type { Logger } from "../log/logger.ts";
import type { PeerActivity } from "../signalling/signalling.ts";
import type { WrtcDtlsTransport, WrtcPeerConnection } from "./_wrtc.ts";

/** How often (ms) the DTLS state and the frames received are looked at. */
export const ACTIVITY_CHECK_MS = 100;

/** How often (ms), at most, libwebrtc's statistics are read while no frames arrive. */
export const ACTIVITY_STATS_MS = 500;

/**
 * Watches the peer of one connection from when it is first connected until
 * {@linkcode PeerActivityWatch.stop}.
 */
export class PeerActivityWatch {
  readonly #pc: WrtcPeerConnection;
  readonly #framesReceived: () => number;
  readonly #log: Logger;
  readonly #timer: ReturnType<typeof setInterval>;
  /** `performance.now()` when something last came from the peer (as far as known). */
  #heardAt: number;
  /** `performance.now()` of the last look that could have seen something. */
  #sampledAt: number;
  /** Frames received at the last look. */
  #frames: number;
  /** Everything received (libwebrtc's counters) at the last statistics read; `null` before one. */
  #packets: number | null = null;
  #statsAt = -Infinity;
  #reading = false;
  #dtls: WrtcDtlsTransport | null = null;
  #closedByPeer = false;
  #stopped = false;

  /**
   * Starts watching.
   *
   * @param pc the connection, just connected
   * @param framesReceived how many frames it has received so far
   * @param log where to say that the peer hung up
   */
  constructor(
    pc: WrtcPeerConnection,
    framesReceived: () => number,
    log: Logger,
  ) {
    this.#pc = pc;
    this.#framesReceived = framesReceived;
    this.#log = log;
    this.#heardAt = this.#sampledAt = performance.now();
    this.#frames = framesReceived();
    this.#timer = setInterval(() => this.#look(), ACTIVITY_CHECK_MS);
  }

  /**
   * What has been seen: whether the peer hung up, and how long nothing had
   * come from it at the last look (known to about
   * {@linkcode ACTIVITY_STATS_MS}).
   */
  get activity(): PeerActivity {
    return {
      closedByPeer: this.#closedByPeer,
      silentMs: Math.max(0, this.#sampledAt - this.#heardAt),
    };
  }

  /** Stops watching (the connection is being closed). */
  stop(): void {
    this.#stopped = true;
    clearInterval(this.#timer);
  }

  /** One look: the DTLS state, new frames, else libwebrtc's counters. */
  #look(): void {
    if (this.#stopped) return;
    const now = performance.now();
    if (!this.#closedByPeer) {
      this.#dtls ??= this.#pc.getTransceivers()
        .map((transceiver) => transceiver.sender.transport)
        .find((transport) => typeof transport?.state === "string") ?? null;
      if (this.#dtls?.state === "closed") {
        this.#closedByPeer = true;
        this.#log.info("the peer closed the connection");
        // That is final: nothing more to learn from this connection.
        this.stop();
        return;
      }
    }
    const frames = this.#framesReceived();
    if (frames !== this.#frames) {
      this.#frames = frames;
      this.#heardAt = this.#sampledAt = now;
      this.#packets = null; // counted afresh once frames stop
      return;
    }
    if (this.#reading || now - this.#statsAt < ACTIVITY_STATS_MS) return;
    this.#reading = true;
    this.#statsAt = now;
    this.#pc.getStats().then((report) => {
      if (this.#stopped) return;
      let packets = 0;
      const count = (value: unknown) => typeof value === "number" ? value : 0;
      report.forEach((entry) => {
        if (entry.type !== "candidate-pair") return;
        packets += count(entry.packetsReceived) +
          count(entry.requestsReceived) + count(entry.responsesReceived);
      });
      const at = performance.now();
      if (this.#packets !== null && packets !== this.#packets) {
        this.#heardAt = at;
      }
      this.#packets = packets;
      this.#sampledAt = at;
    }).catch((error) => {
      this.#log.debug(`reading statistics failed: ${error}`);
    }).finally(() => {
      this.#reading = false;
    });
  }
}

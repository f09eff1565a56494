/**
 * One endpoint of a two-way video call on libwebrtc (`npm:@roamhq/wrtc`):
 * the {@linkcode PeerSession} that signalling drives, plus frame input
 * ({@linkcode WrtcPeerSession.sendFrame}) and output
 * ({@linkcode WrtcPeerSession.latestFrame}) for the `!webrtc` node.
 *
 * Every offer or answer comes from a fresh `RTCPeerConnection` (the previous
 * one is closed) with one outgoing video track, `sendrecv`, no STUN or TURN
 * servers, and the ICE candidates in the SDP that is returned
 * (non-trickle: by default the UDP ones, without waiting ~100 ms more for
 * libwebrtc's TCP candidates; see
 * {@linkcode PeerSessionOptions.waitForTcpCandidates}). The preferred codec goes first through
 * `RTCRtpTransceiver.setCodecPreferences` (or by reordering payload types
 * when that is missing), and the bitrate is written into the SDP, since
 * `RTCRtpSender.setParameters` is not usable in this binding: the remote
 * description we apply carries `b=AS`/`b=TIAS` and `x-google-*-bitrate`,
 * which sets up our encoder, and the description we hand out carries the same
 * limits as a hint for the other side.
 *
 * The native addon is loaded on demand, not when this module is imported:
 * make sessions with {@linkcode WrtcPeerSession.create}, which loads it
 * first, or `await loadWrtc()` once and then use the constructor.
 *
 * Once a connection is up, the session also watches the peer
 * ({@linkcode WrtcPeerSession.peerActivity}, see `peer_activity.ts`):
 * whether it hung up, and how long nothing has arrived from it.
 *
 * @example Two sessions in one process (run inside `scripts/in_loopback_netns.sh`)
 * ```ts ignore
 * const a = await WrtcPeerSession.create({ width: 320, height: 240 });
 * const b = await WrtcPeerSession.create({ width: 320, height: 240 });
 * await a.acceptAnswer(await b.acceptOffer(await a.createOffer()));
 * a.sendFrame(rgba, 320, 240, false);
 * const frame = b.latestFrame(); // I420, newest only
 * a.close();
 * b.close();
 * ```
 *
 * @module
 */

import type {
  ConnectionState,
  PeerActivity,
  PeerSession,
} from "../signalling/signalling.ts";
import { getLogger, type Logger } from "../log/logger.ts";
import {
  loadWrtc,
  requireWrtc,
  type Wrtc,
  type WrtcPeerConnection,
  type WrtcTrack,
  type WrtcTransceiver,
  type WrtcVideoSink,
  type WrtcVideoSource,
} from "./_wrtc.ts";
import {
  applyBitrate,
  type BitrateLimits,
  bitrateLimits,
  preferCodec,
  type VideoCodec,
} from "./sdp.ts";
import { ensureWrtcFieldTrials } from "./field_trials.ts";
import { PeerActivityWatch } from "./peer_activity.ts";
import { hasTurnServer, type IceServer } from "./ice_servers.ts";
import { flipI420, i420Layout, rgbaToI420 } from "./yuv.ts";

export { isWrtcLoaded, loadWrtc } from "./_wrtc.ts";

/** Options of a {@linkcode WrtcPeerSession}. */
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
   * (default `true`). {@linkcode WrtcPeerSession.close} closes it when still
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
  /** I420 planes (Y, then U, then V; see {@linkcode i420Layout}), rows top-down. Not copied: do not modify. */
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

/** How upside-down input is turned right: flip the I420 planes after conversion (measured faster). */
const FLIP_I420 = true;

/** Everything belonging to one `RTCPeerConnection`. */
interface Connection {
  readonly pc: WrtcPeerConnection;
  readonly source: WrtcVideoSource;
  readonly track: WrtcTrack;
  sink: WrtcVideoSink | null;
  state: ConnectionState;
  framesReceived: number;
  /** Ends a pending wait for ICE gathering. */
  stopGathering: (() => void) | null;
  /** `performance.now()` of the first UDP candidate, or `null`. */
  firstUdpCandidateAt: number | null;
  /** Called on the first UDP candidate. */
  onUdpCandidate: (() => void) | null;
  /** `performance.now()` of the first candidate from a STUN or TURN server, or `null`. */
  firstServerCandidateAt: number | null;
  /** Called on the first candidate from a STUN or TURN server. */
  onServerCandidate: (() => void) | null;
  /** Made with a candidate pool: its candidates come all at once. */
  pooled: boolean;
  /** Made by `createOffer` (this side calls). */
  offering: boolean;
  /** Watches the peer from the first `connected` on (see {@linkcode WrtcPeerSession.peerActivity}). */
  activity: PeerActivityWatch | null;
  closed: boolean;
}

/** A {@linkcode PeerSession} on `@roamhq/wrtc`, with video in and out. */
export class WrtcPeerSession implements PeerSession {
  /** Preferred video codec. */
  readonly codec: VideoCodec;
  /** Target bitrate, bits per second. */
  readonly bitrate: number;
  readonly #limits: BitrateLimits;
  readonly #log: Logger;
  readonly #gatherTimeout: number;
  readonly #waitForTcp: boolean;
  readonly #iceServers: IceServer[];
  readonly #iceServerWaitMs: number;
  readonly #iceTransportPolicy: IceTransportPolicy;
  /** The candidate type that completes gathering with ICE servers (`relay` with TURN, else `srflx`). */
  readonly #serverCandidateType: "srflx" | "relay";
  readonly #listeners = new Set<(state: ConnectionState | null) => void>();
  /** The loaded addon. */
  readonly #wrtc: Wrtc;
  #conn: Connection | null = null;
  /** Made ahead by the constructor for the first offer or answer (see {@linkcode PeerSessionOptions.prepare}). */
  #spare: Connection | null = null;
  #latest: ReceivedFrame | null = null;
  #i420 = new Uint8Array(0);
  #i420Flipped = new Uint8Array(0);
  #rgbaFlipped = new Uint8Array(0);
  #framesSent = 0;

  /**
   * Loads the wrtc addon unless it is loaded already (see `loadWrtc`) and
   * creates a session, as the constructor does.
   */
  static async create(options: PeerSessionOptions): Promise<WrtcPeerSession> {
    await loadWrtc();
    return new WrtcPeerSession(options);
  }

  /**
   * Creates a session; the wrtc addon must be loaded already (`await
   * loadWrtc()`, else this throws): {@linkcode WrtcPeerSession.create} does
   * both. Unless `prepare: false`, it makes its first peer connection now
   * (unused until an offer or answer is made): call {@linkcode close} when
   * done with the session.
   */
  constructor(options: PeerSessionOptions) {
    this.#wrtc = requireWrtc("WrtcPeerSession");
    const { width, height } = options;
    if (!(width > 0 && height > 0)) {
      throw new RangeError(
        `WrtcPeerSession: size must be positive, got ${width}x${height}`,
      );
    }
    this.codec = options.codec ?? "vp8";
    this.bitrate = options.bitrate ?? defaultBitrate(width, height);
    if (!(this.bitrate > 0)) {
      throw new RangeError(
        `WrtcPeerSession: bitrate must be positive, got ${options.bitrate}`,
      );
    }
    this.#limits = bitrateLimits(this.bitrate);
    this.#log = options.log ?? getLogger("webrtc");
    this.#gatherTimeout = options.iceGatheringTimeoutMs ?? 5000;
    this.#waitForTcp = options.waitForTcpCandidates ?? false;
    this.#iceServers = [...(options.iceServers ?? [])];
    this.#iceServerWaitMs = options.iceServerWaitMs ?? 1000;
    this.#iceTransportPolicy = options.iceTransportPolicy ?? "all";
    this.#serverCandidateType = hasTurnServer(this.#iceServers)
      ? "relay"
      : "srflx";
    this.#allocate(width, height);
    ensureWrtcFieldTrials(this.#log);
    if (options.prepare ?? true) this.#spare = this.#newConnection(true);
  }

  /** The STUN and TURN servers its peer connections use. */
  get iceServers(): readonly IceServer[] {
    return this.#iceServers;
  }

  /** Which ICE candidates its peer connections use (see {@linkcode PeerSessionOptions.iceTransportPolicy}). */
  get iceTransportPolicy(): IceTransportPolicy {
    return this.#iceTransportPolicy;
  }

  /** State of the current peer connection, or `null` when there is none. */
  get connectionState(): ConnectionState | null {
    return this.#conn?.state ?? null;
  }

  /** `performance.now()` when the newest frame came from the peer on the current connection, or `null`. */
  get lastReceivedAt(): number | null {
    return this.#latest?.receivedAt ?? null;
  }

  /** Frames handed to the encoder since the session was made. */
  get framesSent(): number {
    return this.#framesSent;
  }

  /** Whether the current peer connection was made by {@linkcode createOffer} (this side called). */
  get calling(): boolean {
    return this.#conn?.offering ?? false;
  }

  /** Whether a peer connection exists, so {@linkcode sendFrame} has somewhere to send. */
  get active(): boolean {
    return this.#conn !== null;
  }

  /**
   * What has been seen of the peer on the current connection (`null`
   * without one): whether it hung up, and how long nothing had come from it
   * at the last look (`null` before the connection was first `connected`).
   */
  peerActivity(): PeerActivity | null {
    const conn = this.#conn;
    if (conn === null) return null;
    return conn.activity?.activity ?? { closedByPeer: false, silentMs: null };
  }

  /** Calls `listener` on every state change; returns a function that unsubscribes. */
  onConnectionStateChange(
    listener: (state: ConnectionState | null) => void,
  ): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  /** Closes any current peer connection, opens a new one and returns its offer. */
  async createOffer(): Promise<string> {
    const conn = this.#open();
    conn.offering = true;
    const transceiver = conn.pc.addTransceiver(conn.track, {
      direction: "sendrecv",
    });
    const preferred = this.#preferCodec(transceiver);
    const offer = await conn.pc.createOffer();
    this.#check(conn, "making an offer");
    const sdp = preferred ? offer.sdp : preferCodec(offer.sdp, this.codec);
    await conn.pc.setLocalDescription({ type: "offer", sdp });
    return this.#finish(conn, "offer");
  }

  /** Closes any current peer connection, opens a new one for `offer`, returns the answer. */
  async acceptOffer(offer: string): Promise<string> {
    const conn = this.#open();
    const remote = applyBitrate(preferCodec(offer, this.codec), this.#limits);
    await conn.pc.setRemoteDescription({ type: "offer", sdp: remote });
    this.#check(conn, "accepting an offer");
    conn.pc.addTrack(conn.track);
    const transceiver =
      conn.pc.getTransceivers().find((t) => t.sender.track === conn.track) ??
        conn.pc.getTransceivers().find((t) =>
          t.sender.track?.id === conn.track.id
        );
    if (transceiver) transceiver.direction = "sendrecv";
    const preferred = transceiver ? this.#preferCodec(transceiver) : false;
    const answer = await conn.pc.createAnswer();
    this.#check(conn, "making an answer");
    const sdp = preferred ? answer.sdp : preferCodec(answer.sdp, this.codec);
    await conn.pc.setLocalDescription({ type: "answer", sdp });
    return this.#finish(conn, "answer");
  }

  /** Applies the remote `answer` to the connection made by {@linkcode createOffer}. */
  async acceptAnswer(answer: string): Promise<void> {
    const conn = this.#conn;
    if (conn === null) {
      throw new PeerSessionClosedError(
        "Cannot accept an answer: there is no peer connection (no offer made)",
      );
    }
    const remote = applyBitrate(preferCodec(answer, this.codec), this.#limits);
    await conn.pc.setRemoteDescription({ type: "answer", sdp: remote });
    this.#log.debug("applied the answer");
  }

  /** Closes the current peer connection, if any; its state becomes `null`. */
  close(): void {
    if (this.#spare !== null) {
      this.#release(this.#spare);
      this.#spare = null;
    }
    if (this.#conn === null) return;
    this.#release(this.#conn);
    this.#conn = null;
    this.#latest = null;
    this.#log.info("peer connection closed");
    this.#emit(null);
  }

  /**
   * Hands one RGBA frame (`width`×`height`, even sizes, rows bottom-up when
   * `bottomUp`, as `glReadPixels` gives them) to the encoder. Converts into
   * preallocated I420 buffers; nothing is queued, the encoder takes the
   * newest frame. Returns `false` (doing nothing) when there is no peer
   * connection.
   */
  sendFrame(
    rgba: Uint8Array,
    width: number,
    height: number,
    bottomUp: boolean,
  ): boolean {
    const conn = this.#conn;
    if (conn === null) return false;
    this.#allocate(width, height);
    let data: Uint8Array;
    if (!bottomUp) {
      data = rgbaToI420(rgba, width, height, this.#i420);
    } else if (FLIP_I420) {
      rgbaToI420(rgba, width, height, this.#i420);
      flipI420(this.#i420, this.#i420Flipped, width, height);
      data = this.#i420Flipped;
    } else {
      const rowBytes = width * 4;
      for (let row = 0; row < height; row++) {
        const from = row * rowBytes;
        this.#rgbaFlipped.set(
          rgba.subarray(from, from + rowBytes),
          (height - 1 - row) * rowBytes,
        );
      }
      data = rgbaToI420(this.#rgbaFlipped, width, height, this.#i420);
    }
    conn.source.onFrame({ width, height, data });
    this.#framesSent++;
    return true;
  }

  /**
   * Hands one I420 frame (`width`×`height`, even sizes, rows top-down; see
   * {@linkcode i420Layout}) to the encoder as it is. Returns `false` (doing
   * nothing) when there is no peer connection.
   */
  sendI420(i420: Uint8Array, width: number, height: number): boolean {
    const conn = this.#conn;
    if (conn === null) return false;
    const size = i420Layout(width, height).size;
    if (width % 2 !== 0 || height % 2 !== 0 || i420.length !== size) {
      throw new RangeError(
        `sendI420: a ${width}x${height} frame needs even sizes and ${size} bytes, got ${i420.length}`,
      );
    }
    conn.source.onFrame({ width, height, data: i420 });
    this.#framesSent++;
    return true;
  }

  /** The newest frame from the peer (not copied), or `null` when none arrived on this connection. */
  latestFrame(): ReceivedFrame | null {
    return this.#latest;
  }

  /** Statistics of the current connection, or `null` when there is none. */
  async stats(): Promise<PeerSessionStats | null> {
    const conn = this.#conn;
    if (conn === null) return null;
    const report = await conn.pc.getStats();
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

  /**
   * The current connection's whole `getStats()` report (entries by ID), or
   * `null` when there is none; `call_stats.ts` reads figures from it.
   */
  async statsReport(): Promise<Map<string, Record<string, unknown>> | null> {
    const conn = this.#conn;
    if (conn === null) return null;
    return await conn.pc.getStats();
  }

  #allocate(width: number, height: number): void {
    const size = i420Layout(width, height).size;
    if (this.#i420.length === size) return;
    this.#i420 = new Uint8Array(size);
    this.#i420Flipped = FLIP_I420 ? new Uint8Array(size) : new Uint8Array(0);
    this.#rgbaFlipped = FLIP_I420
      ? new Uint8Array(0)
      : new Uint8Array(width * height * 4);
  }

  /**
   * A peer connection with its video source and track, no handlers yet.
   * `pooled`: ICE candidates are gathered from now on (`iceCandidatePoolSize`),
   * so an offer or answer made later has them at once.
   */
  #newConnection(pooled: boolean): Connection {
    const iceServers = this.#iceServers.map((server) => ({ ...server }));
    const iceTransportPolicy = this.#iceTransportPolicy;
    const config = pooled
      ? { iceServers, iceTransportPolicy, iceCandidatePoolSize: 1 }
      : { iceServers, iceTransportPolicy };
    const wrtc = this.#wrtc;
    const pc = new wrtc.RTCPeerConnection(config);
    // Rendered images carry no sensor noise: the VP8 denoiser would only cost
    // time (7.3 → 5.6 ms per 720p frame measured).
    const source = new wrtc.nonstandard.RTCVideoSource({
      needsDenoising: false,
    });
    return {
      pc,
      source,
      track: source.createTrack(),
      sink: null,
      state: "new",
      framesReceived: 0,
      stopGathering: null,
      firstUdpCandidateAt: null,
      onUdpCandidate: null,
      firstServerCandidateAt: null,
      onServerCandidate: null,
      pooled,
      offering: false,
      activity: null,
      closed: false,
    };
  }

  /** Replaces the current connection with a new one (state `new`, reported without a `null` in between). */
  #open(): Connection {
    if (this.#conn !== null) {
      this.#release(this.#conn);
      this.#log.info("peer connection replaced by a new one");
    }
    this.#latest = null;
    const conn = this.#spare ?? this.#newConnection(false);
    this.#spare = null;
    const pc = conn.pc;
    pc.onicecandidate = (event) => {
      const line = event.candidate?.candidate;
      if (conn.closed || !line || !/ udp /i.test(line)) return;
      this.#log.trace(`ICE candidate: ${line}`);
      if (conn.firstUdpCandidateAt === null) {
        conn.firstUdpCandidateAt = performance.now();
        conn.onUdpCandidate?.();
      }
      if (
        conn.firstServerCandidateAt === null &&
        line.includes(` typ ${this.#serverCandidateType}`)
      ) {
        conn.firstServerCandidateAt = performance.now();
        conn.onServerCandidate?.();
      }
    };
    pc.onconnectionstatechange = () => {
      if (conn.closed) return;
      const state = pc.connectionState as ConnectionState;
      if (state === conn.state) return;
      conn.state = state;
      this.#log.info(`peer connection ${state}`);
      if (state === "connected" && conn.activity === null) {
        conn.activity = new PeerActivityWatch(
          pc,
          () => conn.framesReceived,
          this.#log,
        );
      }
      this.#emit(state);
    };
    pc.ontrack = (event) => {
      if (conn.closed || event.track.kind !== "video" || conn.sink !== null) {
        return;
      }
      const sink = new this.#wrtc.nonstandard.RTCVideoSink(event.track);
      sink.onframe = ({ frame }) => {
        if (conn.closed) return;
        conn.framesReceived++;
        this.#latest = {
          width: frame.width,
          height: frame.height,
          data: frame.data,
          receivedAt: performance.now(),
          count: conn.framesReceived,
        };
      };
      conn.sink = sink;
      this.#log.debug("receiving the peer's video track");
    };
    this.#conn = conn;
    this.#log.info("peer connection new");
    this.#emit("new");
    return conn;
  }

  #release(conn: Connection): void {
    conn.closed = true;
    conn.activity?.stop();
    conn.stopGathering?.();
    conn.pc.onconnectionstatechange = null;
    conn.pc.onicegatheringstatechange = null;
    conn.pc.onicecandidate = null;
    conn.onUdpCandidate = null;
    conn.pc.ontrack = null;
    if (conn.sink) {
      conn.sink.onframe = null;
      conn.sink.stop();
    }
    conn.track.stop();
    conn.pc.close();
  }

  #check(conn: Connection, doing: string): void {
    if (conn.closed) {
      throw new PeerSessionClosedError(
        `The peer connection was closed while ${doing}`,
      );
    }
  }

  /** Waits for ICE gathering and returns the local SDP with our bitrate limits. */
  async #finish(conn: Connection, what: "offer" | "answer"): Promise<string> {
    this.#check(conn, `making an ${what}`);
    await this.#gathered(conn);
    this.#check(conn, `gathering ICE candidates for an ${what}`);
    const sdp = conn.pc.localDescription?.sdp;
    if (!sdp) {
      throw new PeerSessionClosedError(
        `The peer connection has no local ${what}`,
      );
    }
    this.#log.debug(`${what} ready (${sdp.length} bytes)`);
    return applyBitrate(sdp, this.#limits);
  }

  #gathered(conn: Connection): Promise<void> {
    if (conn.pc.iceGatheringState === "complete") return Promise.resolve();
    return new Promise((resolve) => {
      let grace: ReturnType<typeof setTimeout> | undefined;
      const done = () => {
        clearTimeout(timer);
        clearTimeout(grace);
        clearTimeout(serverWait);
        conn.pc.onicegatheringstatechange = null;
        conn.onUdpCandidate = null;
        conn.onServerCandidate = null;
        conn.stopGathering = null;
        resolve();
      };
      // With ICE servers: a short grace after their first candidate, or the
      // host candidates alone once the servers took too long.
      let serverWait: ReturnType<typeof setTimeout> | undefined;
      const serverArrived = () => {
        if (grace !== undefined || conn.firstServerCandidateAt === null) return;
        clearTimeout(serverWait);
        const left = conn.firstServerCandidateAt + UDP_CANDIDATE_GRACE_MS -
          performance.now();
        grace = setTimeout(() => {
          this.#log.debug(
            `sending the SDP with the ${this.#serverCandidateType} candidate from the ICE servers`,
          );
          done();
        }, Math.max(0, left));
      };
      const hostArrived = () => {
        if (serverWait !== undefined || conn.firstUdpCandidateAt === null) {
          return;
        }
        const left = conn.firstUdpCandidateAt + this.#iceServerWaitMs -
          performance.now();
        serverWait = setTimeout(() => {
          this.#log.warn(
            `no ${this.#serverCandidateType} candidate from the ICE servers within ${this.#iceServerWaitMs} ms; sending the host candidates`,
          );
          done();
        }, Math.max(0, left));
      };
      // Without waiting for TCP: a short grace after the first UDP candidate.
      const udpArrived = () => {
        if (grace !== undefined || conn.firstUdpCandidateAt === null) return;
        // Pooled candidates, gathered already, come out in one burst.
        const graceMs = conn.pooled ? 1 : UDP_CANDIDATE_GRACE_MS;
        const left = conn.firstUdpCandidateAt + graceMs - performance.now();
        grace = setTimeout(() => {
          this.#log.debug(
            "sending the SDP with the UDP candidates (not waiting for TCP ones)",
          );
          done();
        }, Math.max(0, left));
      };
      const timer = setTimeout(() => {
        this.#log.warn(
          `ICE gathering did not finish within ${this.#gatherTimeout} ms; sending the candidates found so far`,
        );
        done();
      }, this.#gatherTimeout);
      conn.stopGathering = done;
      conn.pc.onicegatheringstatechange = () => {
        if (conn.pc.iceGatheringState === "complete") done();
      };
      if (this.#iceServers.length > 0) {
        conn.onUdpCandidate = hostArrived;
        conn.onServerCandidate = serverArrived;
        hostArrived();
        serverArrived();
      } else if (!this.#waitForTcp) {
        conn.onUdpCandidate = udpArrived;
        udpArrived();
      }
    });
  }

  #preferCodec(transceiver: WrtcTransceiver): boolean {
    if (typeof transceiver.setCodecPreferences !== "function") return false;
    const wrtc = this.#wrtc;
    const codecs = wrtc.RTCRtpReceiver.getCapabilities("video")?.codecs ??
      wrtc.RTCRtpSender.getCapabilities("video")?.codecs ?? [];
    const mime = `video/${this.codec}`;
    const preferred = codecs.filter((c) => c.mimeType.toLowerCase() === mime);
    if (preferred.length === 0) {
      this.#log.warn(
        `codec "${this.codec}" is not available; using the default order`,
      );
      return true;
    }
    try {
      transceiver.setCodecPreferences([
        ...preferred,
        ...codecs.filter((c) => !preferred.includes(c)),
      ]);
      return true;
    } catch (error) {
      this.#log.debug(
        `setCodecPreferences failed (${error}); reordering the SDP instead`,
      );
      return false;
    }
  }

  #emit(state: ConnectionState | null): void {
    for (const listener of [...this.#listeners]) {
      try {
        listener(state);
      } catch (error) {
        this.#log.error(`connection state listener failed: ${error}`);
      }
    }
  }
}

/**
 * One endpoint of a two-way video call on libwebrtc (`npm:@roamhq/wrtc`):
 * the {@linkcode PeerSession} that signalling drives, plus frame input
 * ({@linkcode WrtcPeerSession.sendFrame}) and output
 * ({@linkcode WrtcPeerSession.latestFrame}) for the `!webrtc` node.
 *
 * Every offer or answer comes from a fresh `RTCPeerConnection` (the previous
 * one is closed) with the session's one outgoing video track (the same track
 * for every connection: see `outgoing_video.ts`), `sendrecv`, no STUN or TURN
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
  type WrtcVideoSink,
} from "./_wrtc.ts";
import {
  applyBitrate,
  type BitrateLimits,
  bitrateLimits,
  offererSteers,
  preferCodec,
  type VideoCodec,
  withSteeringMark,
} from "./sdp.ts";
import { ensureWrtcFieldTrials } from "./field_trials.ts";
import { PeerActivityWatch } from "./peer_activity.ts";
import { videoStreamFigures } from "./session_stats.ts";
import { setCodecPreference } from "./codec_preference.ts";
import { CandidateGathering, type GatheringPolicy } from "./ice_gathering.ts";
import {
  defaultBitrate,
  type IceTransportPolicy,
  PeerSessionClosedError,
  type PeerSessionOptions,
  type PeerSessionStats,
  type ReceivedFrame,
} from "./peer_session_options.ts";
import { hasTurnServer, type IceServer } from "./ice_servers.ts";
import { i420Layout } from "./yuv.ts";
import { RgbaToI420 } from "./rgba_to_i420.ts";
import { OutgoingVideo } from "./outgoing_video.ts";
import { scheduleNativeHeapTrim, trimWhileCallUp } from "./native_heap.ts";

export { isWrtcLoaded, loadWrtc } from "./_wrtc.ts";

// The options, figures and error types of a session.
export * from "./peer_session_options.ts";

/** Everything belonging to one `RTCPeerConnection`. */
interface Connection {
  readonly pc: WrtcPeerConnection;
  sink: WrtcVideoSink | null;
  state: ConnectionState;
  framesReceived: number;
  /** Its candidates as they come, and waits for enough of them. */
  readonly gathering: CandidateGathering;
  /** Whether this side steers its frames toward the peer's (see `STEERING_MARK` in `sdp.ts`). */
  steers: boolean;
  /** Watches the peer from the first `connected` on (see {@linkcode WrtcPeerSession.peerActivity}). */
  activity: PeerActivityWatch | null;
  /** Ends the heap trims made while the call is up (see `native_heap.ts`). */
  endTrims: (() => void) | null;
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
  readonly #iceServers: IceServer[];
  readonly #iceTransportPolicy: IceTransportPolicy;
  /** When offers and answers may go out (see `ice_gathering.ts`). */
  readonly #gatheringPolicy: GatheringPolicy;
  readonly #listeners = new Set<(state: ConnectionState | null) => void>();
  /** The loaded addon. */
  readonly #wrtc: Wrtc;
  #conn: Connection | null = null;
  /** Made ahead by the constructor for the first offer or answer (see {@linkcode PeerSessionOptions.prepare}). */
  #spare: Connection | null = null;
  #latest: ReceivedFrame | null = null;
  /** RGBA frames to I420, in buffers kept between frames. */
  readonly #converter = new RgbaToI420();
  /** The video source and track every connection sends (see `outgoing_video.ts`). */
  readonly #video: OutgoingVideo;
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
    this.#video = new OutgoingVideo(this.#wrtc);
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
    this.#iceServers = [...(options.iceServers ?? [])];
    this.#iceTransportPolicy = options.iceTransportPolicy ?? "all";
    this.#gatheringPolicy = {
      withServers: this.#iceServers.length > 0,
      serverCandidateType: hasTurnServer(this.#iceServers) ? "relay" : "srflx",
      serverWaitMs: options.iceServerWaitMs ?? 1000,
      waitForTcp: options.waitForTcpCandidates ?? false,
      timeoutMs: options.iceGatheringTimeoutMs ?? 5000,
    };
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

  /**
   * Whether this side steers its frame schedule toward the peer's video: it
   * called, or it answered an offer whose maker does not steer (see
   * `STEERING_MARK` in `sdp.ts`); `false` without a peer connection.
   */
  get steers(): boolean {
    return this.#conn?.steers ?? false;
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
    conn.steers = true;
    const transceiver = conn.pc.addTransceiver(this.#video.track, {
      direction: "sendrecv",
    });
    const preferred = setCodecPreference(
      this.#wrtc,
      transceiver,
      this.codec,
      this.#log,
    );
    const offer = await conn.pc.createOffer();
    this.#check(conn, "making an offer");
    const sdp = preferred ? offer.sdp : preferCodec(offer.sdp, this.codec);
    await conn.pc.setLocalDescription({ type: "offer", sdp });
    return withSteeringMark(await this.#finish(conn, "offer"));
  }

  /** Closes any current peer connection, opens a new one for `offer`, returns the answer. */
  async acceptOffer(offer: string): Promise<string> {
    const conn = this.#open();
    conn.steers = !offererSteers(offer);
    const remote = applyBitrate(preferCodec(offer, this.codec), this.#limits);
    await conn.pc.setRemoteDescription({ type: "offer", sdp: remote });
    this.#check(conn, "accepting an offer");
    const track = this.#video.track;
    conn.pc.addTrack(track);
    const transceiver =
      conn.pc.getTransceivers().find((t) => t.sender.track === track) ??
        conn.pc.getTransceivers().find((t) => t.sender.track?.id === track.id);
    if (transceiver) transceiver.direction = "sendrecv";
    const preferred = transceiver
      ? setCodecPreference(this.#wrtc, transceiver, this.codec, this.#log)
      : false;
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
    const data = this.#converter.convert(rgba, width, height, bottomUp);
    this.#video.send({ width, height, data });
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
    this.#video.send({ width, height, data: i420 });
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
    return videoStreamFigures(await conn.pc.getStats());
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

  /**
   * A peer connection, no handlers yet (the session's one video track is
   * added to it by {@linkcode createOffer} or {@linkcode acceptOffer}).
   * `pooled`: ICE candidates are gathered from now on (`iceCandidatePoolSize`),
   * so an offer or answer made later has them at once.
   */
  #newConnection(pooled: boolean): Connection {
    const iceServers = this.#iceServers.map((server) => ({ ...server }));
    const iceTransportPolicy = this.#iceTransportPolicy;
    const config = pooled
      ? { iceServers, iceTransportPolicy, iceCandidatePoolSize: 1 }
      : { iceServers, iceTransportPolicy };
    const pc = new this.#wrtc.RTCPeerConnection(config);
    return {
      pc,
      sink: null,
      state: "new",
      framesReceived: 0,
      gathering: new CandidateGathering(pc, pooled, this.#gatheringPolicy),
      steers: false,
      activity: null,
      endTrims: null,
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
      if (conn.closed || !line) return;
      conn.gathering.note(line);
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
        conn.endTrims = trimWhileCallUp();
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
    conn.endTrims?.();
    conn.gathering.stop();
    conn.pc.onconnectionstatechange = null;
    conn.pc.onicegatheringstatechange = null;
    conn.pc.onicecandidate = null;
    conn.pc.ontrack = null;
    if (conn.sink) {
      conn.sink.onframe = null;
      conn.sink.stop();
    }
    conn.pc.close();
    scheduleNativeHeapTrim(); // see native_heap.ts
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
    await conn.gathering.wait(this.#log);
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

/**
 * A typed view of the parts of `npm:@roamhq/wrtc` this project uses.
 *
 * The package's own type declarations lean on DOM types that Deno does not
 * have, so the module is typed here by hand, with only what we call.
 *
 * Known problem (wrtc 0.10.0 under Deno 2.9): once a peer connection has had
 * a remote description set (or an `RTCVideoSource` is still alive), the
 * process crashes with SIGSEGV while Deno tears the runtime down at exit,
 * after all work is done: Deno runs the N-API finalizers of wrtc's
 * still-cached wrappers in an order wrtc does not expect (backtrace:
 * `RTCRtpReceiver::~RTCRtpReceiver` → `RefPtr<MediaStreamTrack>::~RefPtr`).
 * wrtc's wrapper caches keep peer connections reachable, so garbage
 * collection cannot help. Programs should end with `Deno.exit(code)` after
 * cleaning up, which skips that teardown; `deno test` cannot, so a test run
 * that used wrtc ends with status 139 even when every test passed.
 *
 * Second known problem (same versions): wrtc's `RTCPeerConnection`,
 * `MediaStreamTrack` and `RTCVideoSink` objects are never freed, closed or
 * not. As far as wrtc's source shows, each holds a strong N-API reference to
 * itself from its constructor until its event loop has stopped, which wrtc
 * learns from a libuv close callback that never comes under Deno (under
 * Node 20 the same objects are collected; `RTCVideoSource`, which has no
 * event loop, is collected under Deno too). Measured after `close()` and forced garbage collection: each
 * call leaves its peer connection (with its transceiver, sender, receiver
 * and transport wrappers), its remote track and its sink behind, about
 * 8 KiB of JS heap and 80–230 KiB of native memory at 720p; an offer never
 * answered leaves about 26 KiB. Nothing in JavaScript can release them, so
 * sessions make as few as they can: one video source and track per
 * session for all its connections (`outgoing_video.ts`), and a
 * connection per offer or answer only. What libwebrtc frees meanwhile
 * glibc mostly keeps: see `native_heap.ts`.
 *
 * The addon is loaded only when asked for ({@linkcode loadWrtc}, a dynamic
 * `import()`): importing the engine, `mod.ts` or `server.ts` does not load
 * it, so scenes without `!webrtc` and the signalling server never touch it.
 * What needs it (peer sessions, libyuv conversions, field trials) takes it
 * from {@linkcode requireWrtc} once loaded.
 *
 * @module
 */

/** An I420 or RGBA image as the wrtc binding passes it around. */
export interface WrtcFrame {
  width: number;
  height: number;
  data: Uint8Array;
}

/** A frame delivered by an {@linkcode WrtcVideoSink}. */
export interface WrtcSinkFrame extends WrtcFrame {
  rotation?: number;
}

/** `MediaStreamTrack`, as far as we use it. */
export interface WrtcTrack {
  readonly kind: string;
  readonly id: string;
  stop(): void;
}

/** Codec capability, as `RTCRtpSender.getCapabilities` returns. */
export interface WrtcCodecCapability {
  mimeType: string;
  clockRate: number;
  sdpFmtpLine?: string;
  channels?: number;
}

/** `RTCRtpTransceiver`, as far as we use it. */
export interface WrtcTransceiver {
  direction: string;
  readonly mid: string | null;
  readonly sender: {
    replaceTrack(track: WrtcTrack | null): Promise<void>;
    readonly track: WrtcTrack | null;
    /** Its `RTCDtlsTransport` (a getter: libwebrtc's state now; no events). */
    readonly transport?: WrtcDtlsTransport | null;
  };
  readonly receiver: { readonly track: WrtcTrack };
  setCodecPreferences?(codecs: WrtcCodecCapability[]): void;
}

/** `RTCDtlsTransport`, as far as we use it. */
export interface WrtcDtlsTransport {
  /** `"new"`, `"connecting"`, `"connected"`, `"closed"` (the peer sent `close_notify`) or `"failed"`. */
  readonly state: string;
}

/** Session description in the `RTCSessionDescriptionInit` shape. */
export interface WrtcDescription {
  type: "offer" | "answer" | "pranswer" | "rollback";
  sdp: string;
}

/** `RTCPeerConnection`, as far as we use it. */
export interface WrtcPeerConnection {
  readonly connectionState: string;
  readonly iceGatheringState: string;
  readonly localDescription: WrtcDescription | null;
  onconnectionstatechange: (() => void) | null;
  onicegatheringstatechange: (() => void) | null;
  onicecandidate:
    | ((event: { candidate: { candidate: string } | null }) => void)
    | null;
  ontrack:
    | ((event: { track: WrtcTrack; transceiver?: WrtcTransceiver }) => void)
    | null;
  addTransceiver(
    trackOrKind: WrtcTrack | "video" | "audio",
    init?: { direction?: string },
  ): WrtcTransceiver;
  addTrack(track: WrtcTrack): unknown;
  getTransceivers(): WrtcTransceiver[];
  createOffer(): Promise<WrtcDescription>;
  createAnswer(): Promise<WrtcDescription>;
  setLocalDescription(description: WrtcDescription): Promise<void>;
  setRemoteDescription(description: WrtcDescription): Promise<void>;
  getStats(): Promise<Map<string, Record<string, unknown>>>;
  close(): void;
}

/** `nonstandard.RTCVideoSource`. */
export interface WrtcVideoSource {
  createTrack(): WrtcTrack;
  onFrame(frame: WrtcFrame): void;
}

/** `nonstandard.RTCVideoSink`. */
export interface WrtcVideoSink {
  onframe: ((event: { frame: WrtcSinkFrame }) => void) | null;
  stop(): void;
  readonly stopped: boolean;
}

/** The module's shape. */
export interface Wrtc {
  RTCPeerConnection: new (
    config: {
      iceServers: unknown[];
      iceTransportPolicy?: "all" | "relay";
      iceCandidatePoolSize?: number;
    },
  ) => WrtcPeerConnection;
  RTCRtpSender: {
    getCapabilities(
      kind: "video" | "audio",
    ): { codecs: WrtcCodecCapability[] } | null;
  };
  RTCRtpReceiver: {
    getCapabilities(
      kind: "video" | "audio",
    ): { codecs: WrtcCodecCapability[] } | null;
  };
  nonstandard: {
    RTCVideoSource: new (
      init?: { isScreencast?: boolean; needsDenoising?: boolean },
    ) => WrtcVideoSource;
    RTCVideoSink: new (track: WrtcTrack) => WrtcVideoSink;
    rgbaToI420(rgba: WrtcFrame, i420: WrtcFrame): void;
    i420ToRgba(i420: WrtcFrame, rgba: WrtcFrame): void;
  };
}

let loading: Promise<void> | null = null;
let loaded: Wrtc | null = null;

/**
 * Loads the `@roamhq/wrtc` native addon into this process (once; later
 * calls return the same promise). Needed before a `WrtcPeerSession` is
 * constructed (`WrtcPeerSession.create` awaits it), before libyuv's
 * `rgbaToI420`/`i420ToRgba` and before field trials are set. A `!webrtc`
 * node starts it when the node is created. The module is then
 * {@linkcode requireWrtc}.
 */
export function loadWrtc(): Promise<void> {
  loading ??= import("npm:@roamhq/wrtc@0.10.0").then((module) => {
    const exported = (module as { default?: unknown }).default ?? module;
    loaded = exported as Wrtc;
  });
  return loading;
}

/** Whether {@linkcode loadWrtc} has finished (the addon is in this process). */
export function isWrtcLoaded(): boolean {
  return loaded !== null;
}

/**
 * The loaded `@roamhq/wrtc` module; throws when {@linkcode loadWrtc} has not
 * finished yet. `what` names the caller in the message.
 */
export function requireWrtc(what: string): Wrtc {
  if (loaded === null) {
    throw new Error(
      `${what} needs the @roamhq/wrtc addon, which is not loaded: await loadWrtc() (or WrtcPeerSession.create) first`,
    );
  }
  return loaded;
}

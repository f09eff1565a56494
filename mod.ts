/**
 * flitter-webrtc for Deno: render Flitter-like scenes headless with OpenGL
 * ES and stream them as two-way WebRTC video calls.
 *
 * ```ts
 * import { Engine } from "./mod.ts";
 *
 * const engine = Engine.fromText(`
 * [[nodes]]
 * kind = "!offscreen"
 * id = "out"
 * size = [32, 32]
 * colorbits = 8
 *
 *   [[nodes.children]]
 *   kind = "!shader"
 *   fragment = "\${HEADER}\\nout vec4 color;\\nvoid main() { color = vec4(1.0, 0.0, 0.0, 1.0); }"
 * `);
 * engine.renderFrame();
 * const image = engine.readImage("out");
 * console.log(image.width, image.data.slice(0, 4)); // 32 Uint8Array [255, 0, 0, 255]
 * await engine.dispose();
 * ```
 *
 * Extension points: {@linkcode registerNodeKind} adds a node kind,
 * {@linkcode registerSignallingKind} a signalling protocol usable inside
 * `!webrtc` (see `examples/custom_signalling.ts`).
 *
 * The native WebRTC addon (`@roamhq/wrtc`) is not loaded by importing this
 * module: a scene's first `!webrtc` node loads it, and so do
 * {@linkcode WrtcPeerSession.create} and {@linkcode loadWrtc} (await it
 * before `new WrtcPeerSession`, the field-trial functions or libyuv).
 * How `!webrtc` nodes convert video is an engine option,
 * `nodeOptions: { webrtc: … }` ({@linkcode WebrtcNodeOptions}).
 *
 * @module
 */

export { Engine, type EngineOptions } from "./lib/engine/engine.ts";
export { FramePacer } from "./lib/engine/frame_pacer.ts";
export { MapStateStore } from "./lib/engine/state_store.ts";
export {
  type CompiledExpression,
  compileExpression,
  type EvaluationScope,
  ExpressionSyntaxError,
} from "./lib/expr/expression.ts";
export {
  asNumber,
  asString,
  asVector,
  FlitterSymbol,
  isTruthy,
  type Scalar,
  sym,
  type Value,
} from "./lib/expr/values.ts";
export {
  getLogger,
  Logger,
  type LogLevel,
  setLogLevel,
} from "./lib/log/logger.ts";
export {
  formatProblem,
  SceneError,
  type SceneLocation,
} from "./lib/scene/errors.ts";
export { Attributes } from "./lib/scene/attributes.ts";
export {
  loadNodeKinds,
  loadSceneFile,
  loadSceneText,
} from "./lib/scene/load_scene.ts";
export type { SceneFormat } from "./lib/scene/parse_text.ts";
export type {
  AttributeSource,
  NodeModel,
  SceneModel,
} from "./lib/scene/model.ts";
export {
  type FrameInfo,
  getNodeKind,
  type Inherited,
  KindRegistry,
  type KindRegistryOptions,
  NODE_KINDS,
  type NodeKind,
  type NodeOptions,
  ownersOfKind,
  PassedDown,
  registerNodeKind,
  type RenderContext,
  SceneNode,
  type Size,
  type StateStore,
} from "./lib/scene/node.ts";
export {
  DEFAULT_VERTEX_SOURCE,
  GLContext,
  type ReadOptions,
} from "./lib/gl/context.ts";
export type { EGLSession } from "./lib/gl/egl.ts";
export type { NativeDisplay, WindowSurface } from "./lib/gl/egl_window.ts";
export {
  type WindowDefaults,
  WindowManager,
  type WindowOptions,
} from "./lib/window/windows.ts";
export type { Monitor } from "./lib/window/display.ts";
export {
  letterbox,
  type PictureRect,
  type ScreenWindow,
  WindowError,
  type WindowSettings,
} from "./lib/window/native_window.ts";
export { type PressRecord, WindowInput } from "./lib/window/input.ts";
export type { GLES, GLES_SYMBOLS } from "./lib/gl/gles.ts";
export {
  RenderTarget,
  type SamplingOptions,
  Texture,
  type TextureFormat,
} from "./lib/gl/texture.ts";
export {
  ShaderError,
  ShaderProgram,
  type ShaderStage,
  type UniformInfo,
} from "./lib/gl/shader.ts";
export {
  type ConnectionState,
  getSignallingKind,
  type PeerActivity,
  type PeerSession,
  registerSignallingKind,
  type Signalling,
  SignallingError,
  type SignallingKind,
} from "./lib/signalling/signalling.ts";
export {
  defaultBitrate,
  type IceTransportPolicy,
  isWrtcLoaded,
  loadWrtc,
  PeerSessionClosedError,
  type PeerSessionOptions,
  type PeerSessionStats,
  type ReceivedFrame,
  WrtcPeerSession,
} from "./lib/webrtc/peer_session.ts";
export type { CanvasConversion, CanvasNodeOptions } from "./lib/canvas/mod.ts";
export type {
  FrameConversion,
  SendConversion,
  WebrtcNodeOptions,
} from "./lib/webrtc/webrtc_node.ts";
export {
  hasTurnServer,
  type IceServer,
  IceServerError,
  parseIceServer,
  parseIceServers,
} from "./lib/webrtc/ice_servers.ts";
export type { VideoCodec } from "./lib/webrtc/sdp.ts";
export type {
  FrameLayoutChoice,
  VideoNodeOptions,
} from "./lib/render/nodes/video.ts";
export {
  type CallFigures,
  formatCallFigures,
  readCallFigures,
  type StatsCounters,
  type StatsReport,
} from "./lib/webrtc/call_stats.ts";
export {
  writeFileAtomic,
  writeFileAtomicSync,
} from "./lib/media/atomic_write.ts";
export {
  activeWrtcFieldTrials,
  FieldTrialsError,
  isValidFieldTrials,
  LOW_LATENCY_FIELD_TRIALS,
  setWrtcFieldTrials,
} from "./lib/webrtc/field_trials.ts";
export {
  type BroadcastConfig,
  broadcastKind,
  type BroadcastSignalling,
  type BroadcastTimings,
  startBroadcast,
} from "./lib/signalling/broadcast.ts";
export {
  BroadcastCipher,
  type BroadcastMessage,
} from "./lib/signalling/broadcast_cipher.ts";
export {
  type DecryptOptions,
  type EncryptOptions,
  Fernet,
  InvalidTokenError,
} from "./lib/signalling/fernet.ts";
export {
  startWebSocket,
  type WebSocketConfig,
  websocketKind,
  type WebSocketTiming,
} from "./lib/signalling/websocket.ts";
export {
  startWhip,
  whepKind,
  type WhipConfig,
  whipKind,
  type WhipTiming,
} from "./lib/signalling/whip.ts";
export {
  ServerError,
  type SignallingServer,
  type SignallingServerOptions,
  startSignallingServer,
} from "./lib/server/signalling_server.ts";
export type { HttpRoutesOptions } from "./lib/server/http_routes.ts";
export type { WhipOptions } from "./lib/server/whip.ts";
export type {
  MemberConnection,
  Membership,
  RelayOutcome,
  RoomRegistry,
} from "./lib/server/rooms.ts";

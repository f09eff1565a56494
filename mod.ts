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
export { SceneError } from "./lib/scene/errors.ts";
export { Attributes } from "./lib/scene/attributes.ts";
export { loadSceneFile, loadSceneText } from "./lib/scene/load_scene.ts";
export type { SceneFormat } from "./lib/scene/parse_text.ts";
export type {
  AttributeSource,
  NodeModel,
  SceneModel,
} from "./lib/scene/model.ts";
export {
  type FrameInfo,
  getNodeKind,
  inheritance,
  type Inherited,
  type NodeKind,
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
  type PeerSession,
  registerSignallingKind,
  type Signalling,
  SignallingError,
  type SignallingKind,
} from "./lib/signalling/signalling.ts";
export {
  defaultBitrate,
  PeerSessionClosedError,
  type PeerSessionOptions,
  type PeerSessionStats,
  type ReceivedFrame,
  WrtcPeerSession,
} from "./lib/webrtc/peer_session.ts";
export {
  hasTurnServer,
  type IceServer,
  IceServerError,
  parseIceServer,
  parseIceServers,
} from "./lib/webrtc/ice_servers.ts";
export type { VideoCodec } from "./lib/webrtc/sdp.ts";
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
  ServerError,
  type SignallingServer,
  type SignallingServerOptions,
  startSignallingServer,
} from "./lib/server/signalling_server.ts";
export type {
  MemberConnection,
  Membership,
  RelayOutcome,
  RoomRegistry,
} from "./lib/server/rooms.ts";

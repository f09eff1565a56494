/**
 * `!webrtc`: a two-way video call endpoint.
 *
 * The node composites its visible children at its size into an 8-bit sRGB
 * image (always; `colorbits=` sets the children's default, 8 unless given,
 * and a lone 8-bit child of the node's size is used as it is, without a
 * compositing pass) and, while a call is up, hands
 * that image to the encoder every frame (read back from the GPU, converted
 * to I420 in preallocated memory; nothing waits on the network). Its output
 * is the newest frame received from the peer, converted from three R8 plane
 * textures (Y, U, V) by a shader and scaled to the node's size; with no call
 * it is the composited children. No visible children send a black stream.
 * (On software renderers libyuv converts received frames on the CPU
 * instead, which is much cheaper there: see {@linkcode FrameConversion}.)
 *
 * The node is a thin composition of one part per job, each in its own
 * module: {@linkcode CallLifecycle} (`call_lifecycle.ts`: signalling and its
 * restarts, the peer session, `state=`, `ice=`, `codec=`, `bitrate=`),
 * {@linkcode VideoSender} (`video_sender.ts`), {@linkcode VideoReceiver}
 * (`video_receiver.ts`) and {@linkcode NodeSteering} (`arrival_steering.ts`:
 * moving the frame schedule toward the peer's frames). How video is
 * converted is chosen per engine, not by scenes: {@linkcode WebrtcNodeOptions}.
 *
 * The wrtc addon is not loaded by importing this module: the first node
 * created loads it (a dynamic `import()`, see `_wrtc.ts`) while it renders
 * its children, and its call starts once the addon is in.
 *
 * The peer is found by the first child that is a signalling node
 * (`!broadcast`, `!websocket`, or any registered kind). Its configuration is
 * compared as JSON each frame; when it changes (or `codec=`/`bitrate=`
 * change) the running signalling is stopped, the call torn down, and
 * signalling starts again. The signalling kinds restart by themselves when a
 * call fails or closes.
 *
 * Attributes, besides those of every program node:
 * - `state=KEY`: the scene state `KEY` holds `null` without a peer
 *   connection, else its state as a symbol (`:new`, `:connecting`,
 *   `:connected`, `:disconnected`, `:failed`, `:closed`).
 * - `codec=`: `:vp8` (default), `:vp9` or `:av1`, preferred for sending; the
 *   others stay available, so a peer without it still connects.
 * - `bitrate=`: bits per second to send at (default from the size, about 0.1
 *   bit per pixel per frame at 30 fps: 2.8 Mbps at 1280x720).
 * - `ice=`: STUN and TURN servers (see `ice_servers.ts`); `ice_policy=`:
 *   `:all` (default) or `:relay` (a TURN server's relay candidates only).
 * - `stats=KEY`: the call's figures under `KEY;:fps_received` and so on,
 *   about once a second, `null` without a call (see `call_stats.ts`).
 *
 * Importing this module registers `!webrtc` and the signalling node kinds
 * (but not the signalling kinds themselves).
 *
 * @example
 * ```toml
 * [[nodes]]
 * kind = "!webrtc"
 * size = [1280, 720]
 * state = ":call"
 *   [[nodes.children]]
 *   kind = "!broadcast"
 *   call = "stage"
 *   [[nodes.children]]
 *   kind = "!shader"
 *   fragment = "=read('camera.frag')"
 * ```
 *
 * @module
 */

import type { Texture } from "../gl/texture.ts";
import type { Attributes } from "../scene/attributes.ts";
import type { Signalling } from "../signalling/signalling.ts";
import {
  type Inherited,
  registerNodeKind,
  type RenderContext,
  type SceneNode,
} from "../scene/node.ts";
import { PROGRAM_ATTRIBUTES, ProgramNode } from "../render/program_node.ts";
import type { WrtcPeerSession } from "./peer_session.ts";
import { NodeSteering } from "./arrival_steering.ts";
import { CallLifecycle, prepareForCalls } from "./call_lifecycle.ts";
import {
  SEND_CONVERSIONS,
  type SendConversion,
  VideoSender,
} from "./video_sender.ts";
import {
  FRAME_CONVERSIONS,
  type FrameConversion,
  VideoReceiver,
} from "./video_receiver.ts";

export type { FrameConversion, SendConversion };

/** Attributes of `!webrtc`. */
export const WEBRTC_ATTRIBUTES: readonly string[] = [
  ...PROGRAM_ATTRIBUTES,
  "state",
  "codec",
  "bitrate",
  "ice",
  "ice_policy",
  "stats",
];

/**
 * Settings of the `!webrtc` nodes of one engine, which scenes do not
 * choose: given as `EngineOptions.nodeOptions.webrtc`.
 *
 * ```ts ignore
 * const engine = Engine.fromText(text, "call.toml", {
 *   nodeOptions: { webrtc: { frameConversion: "cpu" } },
 * });
 * ```
 */
export interface WebrtcNodeOptions {
  /** Where received frames are converted (default `"auto"`; see {@linkcode FrameConversion}). */
  readonly frameConversion?: FrameConversion;
  /** How pictures to send become I420 (default `"auto"`; see {@linkcode SendConversion}). */
  readonly sendConversion?: SendConversion;
}

/**
 * `options` (an engine's `nodeOptions.webrtc`, which the engine does not
 * check) as {@linkcode WebrtcNodeOptions}; throws a `TypeError` naming an
 * unknown option or a bad value.
 */
export function webrtcNodeOptions(
  options: object | undefined,
): WebrtcNodeOptions {
  if (options === undefined) return {};
  const allowed: Record<string, readonly string[]> = {
    frameConversion: FRAME_CONVERSIONS,
    sendConversion: SEND_CONVERSIONS,
  };
  for (const [name, value] of Object.entries(options)) {
    const values = allowed[name];
    if (values === undefined) {
      throw new TypeError(
        `nodeOptions.webrtc.${name}: no such option (known: ${
          Object.keys(allowed).join(", ")
        })`,
      );
    }
    if (value !== undefined && !values.includes(value)) {
      throw new TypeError(
        `nodeOptions.webrtc.${name}: ${JSON.stringify(value)} is not one of ${
          values.map((v) => `"${v}"`).join(", ")
        }`,
      );
    }
  }
  return options as WebrtcNodeOptions;
}

/** A `!webrtc` node. */
export class WebrtcNode extends ProgramNode {
  readonly #call: CallLifecycle;
  readonly #sender: VideoSender;
  readonly #receiver: VideoReceiver;
  readonly #steering = new NodeSteering(this);
  /** The engine's context this node was created with. */
  readonly #ctx: RenderContext;
  /** Whether this frame's only visible child image may be sent as it is (8-bit sRGB). */
  #passThrough = false;

  /**
   * Starts loading the wrtc addon (see the module documentation).
   *
   * @param ctx the engine's context (signalling restarts and hang-ups are tracked there)
   * @param options how video is converted (see {@linkcode WebrtcNodeOptions})
   */
  constructor(ctx: RenderContext, options: WebrtcNodeOptions = {}) {
    super();
    this.#ctx = ctx;
    this.#call = new CallLifecycle(ctx, () => [this.width, this.height]);
    this.#sender = new VideoSender(options.sendConversion);
    this.#receiver = new VideoReceiver(options.frameConversion);
  }

  /** The peer's newest frame while a call is up, else the composited children. */
  override get output(): Texture | null {
    return this.#receiver.shown ?? super.output;
  }

  /** The node's peer session (`null` before signalling first started). */
  get session(): WrtcPeerSession | null {
    return this.#call.session;
  }

  /** The running signalling, if any. */
  get signalling(): Signalling | null {
    return this.#call.signalling;
  }

  /** The way this node makes I420 to send once it has measured both (see {@linkcode SendConversion}), else `null`. */
  get sendPath(): "cpu" | "gpu" | null {
    return this.#sender.path;
  }

  /** How the peer's last frame was converted (see {@linkcode FrameConversion}), `null` before the first. */
  get receivePath(): "cpu" | "gpu" | null {
    return this.#receiver.path;
  }

  /**
   * Always 8-bit sRGB, whatever `colorbits=` says; `colorbits=` sets the
   * children's default instead (as on `!window`), which is 8 here: the
   * stream is 8-bit, and an 8-bit child of the node's size is then sent (and
   * shown without a call) as it is, without a compositing pass.
   */
  override prepare(
    ctx: RenderContext,
    attrs: Attributes,
    inherited: Inherited,
  ): Inherited {
    const passed = super.prepare(ctx, attrs, inherited);
    this.format = "srgb8";
    return passed;
  }

  /** The children's `colorbits=` default: this node's `colorbits=`, else 8. */
  protected override childColorbits(attrs: Attributes): number | null {
    return attrs.number("colorbits", null) ?? 8;
  }

  /** Plain compositing of a lone 8-bit sRGB child is skipped (its image is sent). */
  protected override allowsPassThrough(): boolean {
    return this.#passThrough;
  }

  /**
   * In a call, lets the GPU finish the children while the event loop runs:
   * the peer's frames that arrive meanwhile are delivered and the newest is
   * shown in this frame; the read-back for sending then does not wait.
   */
  override settle(ctx: RenderContext): Promise<unknown> | null {
    if (this.#call.liveSession === null) return null;
    return ctx.gl.gpuIdle().then(() => this.#steering.settled());
  }

  /** Composites, sends, runs signalling and shows the peer's video. */
  override render(ctx: RenderContext, children: readonly SceneNode[]): void {
    // Passing through copies raw `rgba8` images as they are, so only sRGB ones.
    let images = 0;
    let srgb = true;
    for (const child of children) {
      const output = child.hidden ? null : child.output;
      if (output === null) continue;
      images++;
      srgb = output.format === "srgb8" && output.framebuffer !== 0;
    }
    this.#passThrough = images === 1 && srgb;
    super.render(ctx, children);
    this.#call.update(this.attrs!, children);
    const session = this.#call.liveSession;
    const image = super.output;
    if (session !== null && image !== null) {
      this.#sender.send(ctx.gl, image, session);
    }
    const frame = session?.latestFrame() ?? null;
    if (frame !== null) {
      if (this.#receiver.isNew(frame)) {
        this.#steering.shown(ctx, frame.receivedAt, session!.steers);
      }
      this.#receiver.show(ctx.gl, frame, this.width, this.height);
    } else {
      this.#receiver.hide();
      this.#steering.stop(ctx);
    }
  }

  /** Stops signalling, closes the call, clears `state=` and frees GL objects. */
  override destroy(): void {
    this.#call.destroy();
    this.#receiver.destroy();
    this.#sender.destroy();
    this.#steering.stop(this.#ctx);
    super.destroy();
  }
}

registerNodeKind({
  name: "webrtc",
  settles: true,
  attributes: WEBRTC_ATTRIBUTES,
  // Unknown attributes are warned about, unless a custom shader is given
  // (its uniforms are set from attributes, as on `!shader`).
  openWith: ["fragment", "vertex"],
  // A scene read from a file is loaded with wrtc ready for calls.
  load: prepareForCalls,
  create: (ctx) =>
    new WebrtcNode(ctx, webrtcNodeOptions(ctx.nodeOptions.webrtc)),
});

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

import {
  formatValue,
  items,
  sym,
  type Value,
  valuesEqual,
} from "../expr/values.ts";
import { DEFAULT_VERTEX_SOURCE, type GLContext } from "../gl/context.ts";
import { ShaderProgram } from "../gl/shader.ts";
import { RenderTarget, Texture } from "../gl/texture.ts";
import { getLogger } from "../log/logger.ts";
import { LogOnce } from "../log/log_once.ts";
import type { Attributes } from "../scene/attributes.ts";
import { formatProblem } from "../scene/errors.ts";
import type { Signalling } from "../signalling/signalling.ts";
import {
  type Inherited,
  registerNodeKind,
  type RenderContext,
  type SceneNode,
} from "../scene/node.ts";
import { PROGRAM_ATTRIBUTES, ProgramNode } from "../render/program_node.ts";
import { type ReceivedFrame, WrtcPeerSession } from "./peer_session.ts";
import { VIDEO_CODECS, type VideoCodec } from "./sdp.ts";
import { SignallingNode } from "./signalling_node.ts";
import { ArrivalSteering } from "./arrival_steering.ts";
import { FasterPath } from "./faster_path.ts";
import { I420Packer } from "./i420_packer.ts";
import { ensureWrtcFieldTrials } from "./field_trials.ts";
import {
  type IceServer,
  IceServerError,
  parseIceServer,
} from "./ice_servers.ts";
import {
  flipI420,
  i420Layout,
  i420ToRgba,
  YUV_TO_RGB_FRAGMENT_SHADER,
} from "./yuv.ts";

const log = getLogger("webrtc");

/** Attributes of `!webrtc`. */
export const WEBRTC_ATTRIBUTES: readonly string[] = [
  ...PROGRAM_ATTRIBUTES,
  "state",
  "codec",
  "bitrate",
  "ice",
];

async function stopQuietly(signalling: Signalling): Promise<void> {
  try {
    await signalling.close();
  } catch (error) {
    log.error(
      `stopping signalling failed: ${
        error instanceof Error ? error.message : String(error)
      }`,
    );
  }
}

/**
 * Where received frames are converted from YUV to RGB:
 * - `"gpu"`: the three planes are uploaded as R8 textures and converted by
 *   {@linkcode YUV_TO_RGB_FRAGMENT_SHADER} while drawing at the node's size;
 * - `"cpu"`: libyuv converts to sRGB bytes, uploaded into an 8-bit sRGB
 *   texture (scaled by a blit only when the sizes differ);
 * - `"auto"` (default): `"cpu"` on software renderers (llvmpipe, softpipe),
 *   where the shader pass is the costly part (measured at 1280x720 on
 *   llvmpipe: about 15 ms for the pass, 0.3 ms for libyuv and the upload;
 *   see `bench/webrtc_convert_bench.ts`), `"gpu"` on hardware.
 *
 * Both give the same colours (libyuv's BT.601 limited range). Frames of
 * odd width or height always take the GPU path.
 */
export type FrameConversion = "auto" | "cpu" | "gpu";

let conversion: FrameConversion = "auto";
const SOFTWARE_RENDERER = /llvmpipe|softpipe|swrast|lavapipe/i;

/** Chooses where `!webrtc` nodes convert received frames (see {@linkcode FrameConversion}). */
export function setFrameConversion(mode: FrameConversion): void {
  conversion = mode;
}

function convertsOnCpu(gl: GLContext): boolean {
  return conversion === "cpu" ||
    (conversion === "auto" && SOFTWARE_RENDERER.test(gl.renderer));
}

/**
 * How the picture to send becomes I420:
 * - `"cpu"`: read back as RGBA and converted by libyuv (`rgbaToI420`);
 * - `"gpu"`: packed into I420 by a shader pass and read back as such
 *   ({@linkcode I420Packer}; widths divisible by 8, heights by 4, else
 *   `"cpu"`);
 * - `"measure"`: each node times both on its first frames in a call (nine
 *   frames each) and keeps the faster ({@linkcode WebrtcNode.sendPath});
 * - `"auto"` (default): `"cpu"` on software renderers, where the pass is
 *   far slower (measured on llvmpipe: 0.2 ms for read-back and libyuv
 *   against 17 ms for the pass at 1280x720; `bench/webrtc_convert_bench.ts`),
 *   so timing it would cost the first frames of each call; `"measure"` on
 *   hardware, where the pass may win (less to read back, no CPU work).
 *
 * Both give libyuv's BT.601 limited range, rows top-down (within a level).
 */
export type SendConversion = "auto" | "measure" | "cpu" | "gpu";

let sendConversion: SendConversion = "auto";

/** Chooses how `!webrtc` nodes make I420 from their picture (see {@linkcode SendConversion}). */
export function setSendConversion(mode: SendConversion): void {
  sendConversion = mode;
}

/** What the node wants running: a signalling configuration and session settings. */
interface Wanted {
  /** Compared between frames: signalling kind, configuration, codec and bitrate. */
  key: string;
  node: SignallingNode | null;
  codec: VideoCodec;
  bitrate: number | null;
  iceServers: IceServer[];
}

/** Connection states in which the peer's video is shown and ours is sent. */
const LIVE = new Set(["connected", "disconnected"]);

/** A `!webrtc` node. */
export class WebrtcNode extends ProgramNode {
  #session: WrtcPeerSession | null = null;
  readonly #steering = new ArrivalSteering();
  /** `performance.now()` when `settle` last finished. */
  #settledAt = -Infinity;
  #signalling: Signalling | null = null;
  /** Key of what runs (or is being started). */
  #wantedKey: string | null = null;
  #generation = 0;
  /** Restarts run one after another. */
  #queue: Promise<void> = Promise.resolve();
  #destroyed = false;
  /** The engine's context this node was created with. */
  readonly #ctx: RenderContext;
  #stateKey: Value = null;
  // Sending.
  #pixels = new Uint8Array(0);
  #cropped = new Uint8Array(0);
  // Receiving.
  #program: ShaderProgram | null = null;
  #planes: [Texture, Texture, Texture] | null = null;
  #received: RenderTarget | null = null;
  #frameTarget: RenderTarget | null = null;
  #flipped = new Uint8Array(0);
  #rgba = new Uint8Array(0);
  #uploaded: ReceivedFrame | null = null;
  #shownWidth = 0;
  #shownHeight = 0;
  #shownOnCpu = false;
  /** The texture showing the peer's video, or `null` when the children are shown. */
  #shown: Texture | null = null;
  /** Whether this frame's only visible child image may be sent as it is (8-bit sRGB). */
  #passThrough = false;
  #packer: I420Packer | null = null;
  /** Times libyuv against the GPU packer for the picture size in `#sendPathSize`. */
  #sendPath = new FasterPath<"cpu" | "gpu">(["cpu", "gpu"]);
  #sendPathSize = "";
  /** The last `ice=` value and what it gave. */
  #ice: { value: Value; servers: IceServer[] } | null = null;
  /** `ice=` problems already reported. */
  #iceWarnings = new LogOnce();

  /** @param ctx the engine's context (signalling restarts and hang-ups are tracked there) */
  constructor(ctx: RenderContext) {
    super();
    this.#ctx = ctx;
  }

  /** The peer's newest frame while a call is up, else the composited children. */
  override get output(): Texture | null {
    return this.#shown ?? super.output;
  }

  /** The node's peer session (`null` before signalling first started). */
  get session(): WrtcPeerSession | null {
    return this.#session;
  }

  /** The running signalling, if any. */
  get signalling(): Signalling | null {
    return this.#signalling;
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
    const state = this.#session?.connectionState ?? null;
    if (state === null || !LIVE.has(state)) return null;
    return ctx.gl.gpuIdle().then(() => this.#settledAt = performance.now());
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
    const attrs = this.attrs!;
    this.#manage(attrs, children);
    const session = this.#session;
    const state = session?.connectionState ?? null;
    this.#publishState(ctx, attrs, state);
    const live = state !== null && LIVE.has(state);
    if (live) this.#send(ctx, session!);
    const frame = live ? session!.latestFrame() : null;
    if (frame !== null) {
      if (frame !== this.#uploaded) this.#steer(ctx, session!, frame);
      this.#show(ctx.gl, frame);
    } else {
      this.#shown = null;
      this.#stopSteering(ctx);
    }
  }

  /**
   * On the calling side, moves the frame schedule so the peer's frames
   * arrive just before they are sampled (see `arrival_steering.ts`).
   */
  #steer(ctx: RenderContext, session: WrtcPeerSession, frame: ReceivedFrame) {
    if (!session.calling) return this.#stopSteering(ctx);
    // Frames reach JS only while the thread is free: between frames, and
    // while this frame settled (see `settle`); what counts is the wait until
    // the last of those moments.
    const sampledAt = this.#settledAt >= ctx.frame.startedAt
      ? this.#settledAt
      : ctx.frame.startedAt;
    const advance = this.#steering.shown(
      sampledAt - frame.receivedAt,
      1000 / ctx.frame.fps,
    );
    if (advance > 0 && ctx.advanceFrames(this, advance)) {
      log.trace(`frames start ${advance.toFixed(1)} ms earlier`);
    }
  }

  #stopSteering(ctx: RenderContext): void {
    ctx.releaseFrames(this);
    this.#steering.reset();
  }

  /** Starts, restarts or stops signalling when what is wanted changed. */
  #manage(attrs: Attributes, children: readonly SceneNode[]): void {
    const isSignalling = (child: SceneNode): child is SignallingNode =>
      child instanceof SignallingNode;
    const node = children.find(isSignalling) ?? null;
    const codecName = attrs.symbol("codec", "vp8");
    const known = (VIDEO_CODECS as readonly string[]).includes(codecName);
    if (!known) {
      attrs.warnShape("codec", attrs.get("codec"), "one of :vp8 :vp9 :av1");
    }
    const codec = known ? codecName as VideoCodec : "vp8";
    let bitrate = attrs.number("bitrate", null);
    if (bitrate !== null && !(bitrate > 0)) {
      attrs.warnShape(
        "bitrate",
        attrs.get("bitrate"),
        "bits per second (a positive number)",
      );
      bitrate = null;
    }
    const iceServers = this.#iceServers(attrs);
    const configKey = node?.configKey ?? null;
    const key = configKey === null
      ? null
      : JSON.stringify([configKey, codec, bitrate, iceServers]);
    if (key === this.#wantedKey) return;
    this.#wantedKey = key;
    this.#restart(
      key === null ? null : { key, node, codec, bitrate, iceServers },
    );
  }

  /** `ice=`: STUN/TURN server URLs (see `ice_servers.ts`); bad ones are left out with a warning (once each). */
  #iceServers(attrs: Attributes): IceServer[] {
    const value = attrs.get("ice");
    // Parsed again only when the value changes (the attribute is read every frame).
    if (this.#ice !== null && valuesEqual(value, this.#ice.value)) {
      return this.#ice.servers;
    }
    const servers: IceServer[] = [];
    this.#ice = { value, servers };
    for (const item of items(value)) {
      try {
        if (typeof item !== "string") {
          throw new IceServerError(
            formatValue(item),
            "expected a URL string",
          );
        }
        servers.push(parseIceServer(item));
      } catch (error) {
        const message = (error as Error).message;
        this.#iceWarnings.warn(
          log,
          formatProblem(attrs.location("ice"), `${message}; left out`),
        );
      }
    }
    return servers;
  }

  #restart(wanted: Wanted | null): void {
    const generation = ++this.#generation;
    const config = wanted?.node?.config;
    const kind = wanted?.node?.kind;
    this.#queue = this.#queue.then(async () => {
      if (generation !== this.#generation) return; // a later change replaces this one
      const old = this.#signalling;
      this.#signalling = null;
      if (old !== null) {
        log.info("signalling changed; ending the current call");
        await stopQuietly(old);
      }
      this.#session?.close();
      if (
        generation !== this.#generation || this.#destroyed || !wanted || !kind
      ) return;
      const { codec, bitrate, iceServers } = wanted;
      const session = this.#session;
      if (
        session === null || session.codec !== codec ||
        (bitrate !== null && session.bitrate !== bitrate) ||
        JSON.stringify(session.iceServers) !== JSON.stringify(iceServers)
      ) {
        this.#session = new WrtcPeerSession({
          width: this.width,
          height: this.height,
          codec,
          bitrate: bitrate ?? undefined,
          iceServers,
          log,
        });
      }
      try {
        this.#signalling = kind.start(
          config,
          this.#session!,
          getLogger("signalling"),
        );
        log.info(
          `started !${kind.name} signalling (${codec}, ${
            Math.round(this.#session!.bitrate / 1000)
          } kbps${
            iceServers.length === 0
              ? ""
              : `, ICE servers ${
                iceServers.map((server) => server.urls).join(" ")
              }`
          })`,
        );
      } catch (error) {
        log.error(
          `cannot start !${kind.name} signalling: ${
            error instanceof Error ? error.message : String(error)
          }`,
        );
      }
    });
    this.#ctx.track(this.#queue, "restarting a call");
  }

  #publishState(
    ctx: RenderContext,
    attrs: Attributes,
    state: string | null,
  ): void {
    const key = attrs.get("state");
    if (this.#stateKey !== null && !valuesEqual(key, this.#stateKey)) {
      ctx.state.set(this.#stateKey, null);
    }
    this.#stateKey = key;
    if (key !== null) ctx.state.set(key, state === null ? null : sym(state));
  }

  /** Reads the composite (or the child passed through) back (bottom-up rows, as stored) and hands it to the encoder. */
  #send(ctx: RenderContext, session: WrtcPeerSession): void {
    const image = super.output;
    if (image === null) return;
    const { width, height } = image;
    const path = this.#sendPathFor(ctx.gl, width, height);
    if (path === "gpu") {
      const started = performance.now();
      this.#packer ??= new I420Packer(ctx.gl);
      session.sendI420(this.#packer.pack(image), width, height);
      this.#timedSend("gpu", performance.now() - started);
      return;
    }
    const started = performance.now();
    const bytes = width * height * 4;
    if (this.#pixels.length !== bytes) this.#pixels = new Uint8Array(bytes);
    const pixels = ctx.gl.readTarget(image, this.#pixels, { flip: false });
    // I420 needs even sizes: drop the last column and the top row when odd.
    const evenWidth = width & ~1;
    const evenHeight = height & ~1;
    if (evenWidth === 0 || evenHeight === 0) return;
    let data: Uint8Array = pixels;
    if (evenWidth !== width) {
      const size = evenWidth * evenHeight * 4;
      if (this.#cropped.length !== size) this.#cropped = new Uint8Array(size);
      for (let row = 0; row < evenHeight; row++) {
        const from = row * width * 4;
        this.#cropped.set(
          pixels.subarray(from, from + evenWidth * 4),
          row * evenWidth * 4,
        );
      }
      data = this.#cropped;
    } else if (evenHeight !== height) {
      data = pixels.subarray(0, evenWidth * evenHeight * 4);
    }
    session.sendFrame(data, evenWidth, evenHeight, true);
    if (path === "cpu") this.#timedSend("cpu", performance.now() - started);
  }

  /** The way this node makes I420 to send once it has measured both (see {@linkcode SendConversion}), else `null`. */
  get sendPath(): "cpu" | "gpu" | null {
    return this.#sendPath.chosen;
  }

  /** How to make this frame's I420: the mode set, or when measuring the path being timed or chosen (`null`: libyuv, untimed). */
  #sendPathFor(
    gl: GLContext,
    width: number,
    height: number,
  ): "cpu" | "gpu" | null {
    if (!I420Packer.supports(width, height)) return null;
    if (sendConversion === "cpu" || sendConversion === "gpu") {
      return sendConversion;
    }
    if (sendConversion === "auto" && SOFTWARE_RENDERER.test(gl.renderer)) {
      return null;
    }
    const size = `${width}x${height}`;
    if (size !== this.#sendPathSize) {
      this.#sendPath = new FasterPath<"cpu" | "gpu">(["cpu", "gpu"]);
      this.#sendPathSize = size;
    }
    return this.#sendPath.next();
  }

  #timedSend(path: "cpu" | "gpu", ms: number): void {
    if (sendConversion === "cpu" || sendConversion === "gpu") return;
    const chosen = this.#sendPath.record(path, ms);
    if (chosen === null) return;
    const medians = this.#sendPath.medians();
    log.debug(
      `sending ${this.#sendPathSize}: ${
        chosen === "gpu"
          ? "I420 packed on the GPU"
          : "RGBA read back for libyuv"
      } (median ${medians[chosen]?.toFixed(2)} ms a frame, the other way ${
        medians[chosen === "gpu" ? "cpu" : "gpu"]?.toFixed(2)
      } ms)`,
    );
  }

  /** Puts the peer's newest frame into the output (only new frames cost anything). */
  #show(gl: GLContext, frame: ReceivedFrame): void {
    const even = frame.width % 2 === 0 && frame.height % 2 === 0;
    const cpu = even && convertsOnCpu(gl);
    if (
      frame === this.#uploaded && cpu === this.#shownOnCpu &&
      this.width === this.#shownWidth && this.height === this.#shownHeight
    ) return;
    if (cpu) this.#showConvertedOnCpu(gl, frame);
    else this.#showConvertedOnGpu(gl, frame);
    this.#uploaded = frame;
    this.#shownWidth = this.width;
    this.#shownHeight = this.height;
    this.#shownOnCpu = cpu;
  }

  /**
   * libyuv converts the frame to sRGB bytes (rows flipped to GL order first),
   * uploaded into an 8-bit sRGB target of the frame's size; a blit scales it
   * to the node's size when the sizes differ.
   */
  #showConvertedOnCpu(gl: GLContext, frame: ReceivedFrame): void {
    const { width, height } = frame;
    if (frame !== this.#uploaded) {
      const size = i420Layout(width, height).size;
      if (this.#flipped.length !== size) this.#flipped = new Uint8Array(size);
      if (this.#rgba.length !== width * height * 4) {
        this.#rgba = new Uint8Array(width * height * 4);
      }
      flipI420(frame.data, this.#flipped, width, height);
      i420ToRgba(this.#flipped, width, height, this.#rgba);
      if (this.#frameTarget === null) {
        this.#frameTarget = new RenderTarget(gl, width, height, "srgb8");
      } else this.#frameTarget.resize(width, height);
      this.#frameTarget.texture.upload(this.#rgba);
    }
    const frameTarget = this.#frameTarget!;
    if (width === this.width && height === this.height) {
      this.#shown = frameTarget.texture;
      return;
    }
    const received = this.#receivedTarget(gl);
    gl.copyTarget(frameTarget, received);
    this.#shown = received.texture;
  }

  /** Uploads the Y, U and V planes as R8 textures and draws them with the YUV shader at the node's size. */
  #showConvertedOnGpu(gl: GLContext, frame: ReceivedFrame): void {
    if (this.#program === null) {
      this.#program = ShaderProgram.compile(
        gl,
        DEFAULT_VERTEX_SOURCE,
        YUV_TO_RGB_FRAGMENT_SHADER,
        "!webrtc video",
      );
    }
    const layout = i420Layout(frame.width, frame.height);
    let planes = this.#planes;
    if (
      planes === null || planes[0].width !== frame.width ||
      planes[0].height !== frame.height
    ) {
      if (planes !== null) { for (const plane of planes) plane.destroy(); }
      planes = this.#planes = [
        new Texture(gl, frame.width, frame.height, "r8"),
        new Texture(gl, layout.chromaWidth, layout.chromaHeight, "r8"),
        new Texture(gl, layout.chromaWidth, layout.chromaHeight, "r8"),
      ];
    }
    const data = frame.data as Uint8Array<ArrayBuffer>;
    planes[0].upload(data.subarray(0, layout.ySize));
    planes[1].upload(
      data.subarray(layout.uOffset, layout.uOffset + layout.chromaSize),
    );
    planes[2].upload(
      data.subarray(layout.vOffset, layout.vOffset + layout.chromaSize),
    );
    const program = this.#program;
    program.use();
    program.set("y_plane", 0);
    program.set("u_plane", 1);
    program.set("v_plane", 2);
    program.set("to_linear", 1);
    // The planes keep the sampling they were made with (linear, clamped).
    for (let unit = 0; unit < 3; unit++) gl.bindTexture(unit, planes[unit].id);
    const received = this.#receivedTarget(gl);
    gl.drawFullscreen(program, received);
    this.#shown = received.texture;
  }

  /** The node-size 8-bit sRGB target for scaled or shader-converted frames. */
  #receivedTarget(gl: GLContext): RenderTarget {
    if (this.#received === null) {
      this.#received = new RenderTarget(gl, this.width, this.height, "srgb8");
    } else this.#received.resize(this.width, this.height);
    return this.#received;
  }

  /** Stops signalling, closes the call, clears `state=` and frees GL objects. */
  override destroy(): void {
    this.#destroyed = true;
    this.#generation++;
    const signalling = this.#signalling;
    this.#signalling = null;
    const session = this.#session;
    session?.close();
    this.#ctx.track(
      this.#queue.then(async () => {
        if (signalling !== null) await stopQuietly(signalling);
        session?.close();
      }),
      "closing a call",
    );
    if (this.#stateKey !== null) this.#ctx.state.set(this.#stateKey, null);
    this.#program?.destroy();
    this.#packer?.destroy();
    this.#packer = null;
    this.#program = null;
    if (this.#planes !== null) {
      for (const plane of this.#planes) plane.destroy();
    }
    this.#planes = null;
    this.#received?.destroy();
    this.#received = null;
    this.#frameTarget?.destroy();
    this.#frameTarget = null;
    this.#uploaded = null;
    this.#shown = null;
    this.#stopSteering(this.#ctx);
    super.destroy();
  }
}

// Field trials must be in place before the first peer connection: set them
// as this module loads (~10 ms, once) rather than when a call starts.
ensureWrtcFieldTrials(log);

registerNodeKind({
  name: "webrtc",
  settles: true,
  attributes: WEBRTC_ATTRIBUTES,
  openAttributes: true,
  create: (ctx) => new WebrtcNode(ctx),
});

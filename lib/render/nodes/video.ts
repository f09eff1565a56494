/**
 * `!video filename=…`: a video file played in the tree, decoded by Debian's
 * ffmpeg in the background (see `lib/media/video_decoder.ts`).
 *
 * The playhead starts at `position=` (seconds from the first frame after
 * `trim=`) when the node appears and moves at `speed=` times the scene
 * clock (`time`); changing `position=` moves it (a seek), changing
 * `speed=` changes its pace from then on. `speed=0` with an animated
 * `position=` is Flitter's way: the position is then the frame's time.
 * Past the end it loops (`loop=`, default on; `back_and_forth=` turns
 * round instead); with `loop=false` it holds the first or last frame.
 * `interpolate=` mixes the two frames around the playhead.
 *
 * In real time a frame never waits for the decoder: the node shows the
 * newest frame due that is decoded (decoding runs ahead, so normally the
 * one due). In lockstep it waits for exactly the frame due. The node's
 * size is `size=` or the video's own; `aspect=` (`:fit`, `:fill`), `flip=`,
 * `gamma=`, `alpha=` and `colorbits=` shape the picture.
 *
 * A missing or unreadable file, or one ffmpeg cannot decode, is reported
 * (file and problem) every frame it persists, and the node shows nothing,
 * or its last good frame when a live edit broke it. The file is checked
 * for changes once a second. The decoder is closed when the node goes,
 * when the file or `thread=` changes, and at engine shutdown (its
 * processes are awaited through `ctx.track`); a scene reload that keeps
 * the node keeps its decoder.
 *
 * @module
 */

import type { Attributes } from "../../scene/attributes.ts";
import {
  formatForColorbits,
  RenderTarget,
  type TextureFormat,
} from "../../gl/texture.ts";
import { VideoDecoder } from "../../media/video_decoder.ts";
import {
  clampTag,
  type Playback,
  type PlaybackMode,
} from "../../media/playback.ts";
import {
  probeVideo,
  probeVideoSync,
  videoFileVersion,
  type VideoInfo,
} from "../../media/video_probe.ts";
import {
  COMMON_ATTRIBUTES,
  type Inherited,
  PassedDown,
  registerNodeKind,
  type RenderContext,
  SceneNode,
} from "../../scene/node.ts";
import { type PictureLook, VideoPicture } from "./_video_picture.ts";
import { Playhead } from "./_video_playhead.ts";
import {
  decodedFor,
  type VideoNodeOptions,
  videoNodeOptions,
} from "./_video_options.ts";

export {
  type FrameLayoutChoice,
  type VideoNodeOptions,
  videoNodeOptions,
} from "./_video_options.ts";

/** How often the file is checked for changes, in milliseconds. */
const RECHECK_MS = 1000;
const ASPECTS = new Set(["fit", "fill"]);
const FLIPS = new Set(["horizontal", "vertical", "both"]);

/** A `!video` node. */
export class VideoNode extends SceneNode {
  readonly #ctx: RenderContext;
  readonly #options: VideoNodeOptions;
  #path: string | null = null;
  #version = "";
  #checkedAt = -Infinity;
  #info: VideoInfo | null = null;
  #probing: Promise<unknown> | null = null;
  #error: unknown = null;
  #decoder: VideoDecoder | null = null;
  #picture: VideoPicture | null = null;
  #target: RenderTarget | null = null;
  #drawnKey = "";
  #playbackKey = "";
  #destroyed = false;
  // Attributes of this frame.
  #size: number[] | null = null;
  #format: TextureFormat = "rgba16f";
  #threads = true;
  #position = 0;
  #speed = 1;
  #mode: PlaybackMode = "loop";
  #trim: number[] = [0, 0];
  #interpolate = false;
  readonly #look: PictureLook & { flip: [number, number] } = {
    flip: [0, 0],
    aspect: "stretch",
    gamma: 1,
    alpha: 1,
  };
  readonly #playhead = new Playhead();
  readonly #passedDown = new PassedDown();

  /**
   * @param ctx the engine's context (the decoder's closing is tracked there)
   * @param options the engine's settings for `!video` nodes
   */
  constructor(ctx: RenderContext, options: VideoNodeOptions = {}) {
    super();
    this.#ctx = ctx;
    this.#options = options;
  }

  /** The picture, upright, premultiplied, once a frame was decoded. */
  override get output() {
    return this.#target?.texture ?? null;
  }

  /** The decoder of the current file, if open (for tools and tests). */
  get decoder(): VideoDecoder | null {
    return this.#decoder;
  }

  /** Reads the attributes and moves the playhead to this frame's time. */
  prepare(
    ctx: RenderContext,
    attrs: Attributes,
    inherited: Inherited,
  ): Inherited {
    const filename = attrs.string("filename", null);
    const path = filename === null || filename === ""
      ? null
      : ctx.resolvePath(filename);
    if (path !== this.#path) this.#changeFile(path);
    const size = attrs.vector("size", 2, null);
    this.#size = size === null
      ? null
      : size.map((value) => Math.max(1, Math.round(value)));
    this.#format = formatForColorbits(
      attrs.number("colorbits", null) ?? inherited.colorbits,
    );
    const threads = attrs.boolean("thread", true);
    if (threads !== this.#threads) {
      this.#threads = threads;
      this.#closeDecoder();
    }
    this.#readPlayback(attrs);
    this.#readLook(attrs);
    this.#playhead.move(ctx.frame.time, this.#speed);
    const [width, height] = this.#size ??
      (this.#info !== null
        ? [this.#info.width, this.#info.height]
        : inherited.size);
    return this.#passedDown.set(width, height, inherited.colorbits);
  }

  #readPlayback(attrs: Attributes): void {
    this.#position = attrs.number("position", 0);
    this.#speed = attrs.number("speed", 1);
    const loop = attrs.boolean("loop", true);
    this.#mode = !loop
      ? "clamp"
      : attrs.boolean("back_and_forth", false)
      ? "bounce"
      : "loop";
    this.#trim = attrs.vector("trim", 2, [0, 0]).map((value) =>
      Math.max(0, value)
    );
    this.#interpolate = attrs.boolean("interpolate", false);
  }

  #readLook(attrs: Attributes): void {
    const look = this.#look;
    const flip = attrs.symbol("flip", null);
    if (flip !== null && !FLIPS.has(flip)) {
      attrs.warnShape(
        "flip",
        attrs.get("flip"),
        "one of :horizontal :vertical :both",
      );
    }
    look.flip[0] = flip === "horizontal" || flip === "both" ? 1 : 0;
    look.flip[1] = flip === "vertical" || flip === "both" ? 1 : 0;
    const aspect = attrs.symbol("aspect", null);
    if (aspect !== null && !ASPECTS.has(aspect)) {
      attrs.warnShape("aspect", attrs.get("aspect"), "one of :fit :fill");
    }
    look.aspect = aspect === "fit" || aspect === "fill" ? aspect : "stretch";
    look.gamma = attrs.number("gamma", 1);
    look.alpha = attrs.number("alpha", 1);
  }

  /** The playing range of the file under this frame's attributes. */
  #playback(info: VideoInfo): Playback {
    const first = Math.min(
      info.frames - 1,
      Math.round(this.#trim[0] * info.fps),
    );
    const end = info.frames - Math.round(this.#trim[1] * info.fps);
    return { first, length: Math.max(1, end - first), mode: this.#mode };
  }

  /** Decodes and draws the frame due. */
  render(ctx: RenderContext): void {
    if (this.#path === null) return;
    this.#checkFile();
    if (this.#error !== null) throw this.#error;
    const info = this.#info ?? this.#probe(ctx);
    if (info === null) return;
    let decoder = this.#decoder;
    if (decoder === null) {
      try {
        decoder = VideoDecoder.open(decodedFor(ctx.gl, info, this.#options), {
          threads: this.#threads,
        });
      } catch (error) {
        this.#error = error;
        throw error;
      }
      this.#decoder = decoder;
    }
    const picture = this.#picture ??= new VideoPicture(ctx.gl, decoder.info);
    const playback = this.#playback(info);
    const playbackKey = `${playback.first} ${playback.length} ${playback.mode}`;
    if (playbackKey !== this.#playbackKey) {
      // The same tags now stand for other frames.
      picture.forget();
      this.#playbackKey = playbackKey;
    }
    const { tag, fraction, direction } = this.#playhead.locate(
      ctx.frame.time,
      this.#position,
      info.fps,
    );
    const mix = this.#interpolate ? fraction : 0;
    const shown = clampTag(tag, playback);
    let next: number | null = mix > 0 ? clampTag(tag + 1, playback) : null;
    if (next === shown) next = null;
    const wanted = next === null
      ? [shown]
      : direction > 0
      ? [shown, next]
      : [next, shown];
    // In real time a frame not decoded yet stands in for the newest before it.
    let standIn: number | null = null;
    try {
      for (const want of wanted) {
        if (picture.has(want)) continue;
        const frame = decoder.frame(want, playback, direction, ctx.lockstep);
        if (frame === null) continue;
        if (!picture.has(frame.tag)) picture.upload(frame, wanted);
        if (want === shown && frame.tag !== want) standIn = frame.tag;
      }
    } catch (error) {
      this.#error = error;
      throw error;
    }
    if (picture.has(shown)) this.#draw(ctx, info, picture, shown, next, mix);
    else if (standIn !== null) {
      this.#draw(ctx, info, picture, standIn, null, 0);
    } // else nothing decoded yet: the last frame drawn stays
  }

  #draw(
    ctx: RenderContext,
    info: VideoInfo,
    picture: VideoPicture,
    shown: number,
    next: number | null,
    mix: number,
  ): void {
    const [width, height] = this.#size ?? [info.width, info.height];
    const look = this.#look;
    const key =
      `${this.#playbackKey}: ${shown} ${next} ${mix} ${width}x${height} ${this.#format} ${look.flip} ${look.aspect} ${look.gamma} ${look.alpha}`;
    if (key === this.#drawnKey) return;
    if (
      this.#target === null ||
      !this.#target.matches(width, height, this.#format)
    ) {
      this.#target?.destroy();
      this.#target = new RenderTarget(ctx.gl, width, height, this.#format);
    }
    picture.draw(this.#target, shown, next, mix, look);
    this.#drawnKey = key;
  }

  /** What the file holds: now in lockstep, else once ffprobe answers (`null` meanwhile). */
  #probe(ctx: RenderContext): VideoInfo | null {
    const path = this.#path!;
    if (ctx.lockstep) {
      try {
        this.#info = probeVideoSync(path);
      } catch (error) {
        this.#error = error;
        throw error;
      }
      return this.#info;
    }
    this.#probing ??= probeVideo(path).then(
      (info) => {
        if (this.#path === path && !this.#destroyed) this.#info = info;
      },
      (error) => {
        if (this.#path === path && !this.#destroyed) this.#error = error;
      },
    ).finally(() => this.#probing = null);
    return null;
  }

  /** Once a second: whether the file changed (then it is read afresh) or went. */
  #checkFile(): void {
    const now = performance.now();
    if (now - this.#checkedAt < RECHECK_MS) return;
    this.#checkedAt = now;
    let version: string;
    try {
      version = videoFileVersion(this.#path!);
    } catch (error) {
      this.#error = error;
      return;
    }
    if (version === this.#version) return;
    this.#version = version;
    this.#error = null;
    this.#closeDecoder();
    this.#info = null;
    this.#picture?.destroy();
    this.#picture = null;
    this.#drawnKey = "";
  }

  /** A new `filename=`: the old file's decoder goes; its last frame stays shown. */
  #changeFile(path: string | null): void {
    this.#closeDecoder();
    this.#path = path;
    this.#version = "";
    this.#checkedAt = -Infinity;
    this.#info = null;
    this.#error = null;
    this.#picture?.destroy();
    this.#picture = null;
    this.#drawnKey = "";
    if (path === null) {
      this.#target?.destroy();
      this.#target = null;
    }
  }

  #closeDecoder(): void {
    const decoder = this.#decoder;
    if (decoder === null) return;
    this.#decoder = null;
    this.#picture?.destroy();
    this.#picture = null;
    this.#drawnKey = "";
    this.#ctx.track(decoder.close(), decoder.info.path);
  }

  /** Stops the decoder (its processes are awaited by the engine) and frees the textures. */
  override destroy(): void {
    this.#destroyed = true;
    this.#closeDecoder();
    this.#picture?.destroy();
    this.#picture = null;
    this.#target?.destroy();
    this.#target = null;
  }
}

registerNodeKind({
  name: "video",
  attributes: [
    ...COMMON_ATTRIBUTES,
    "filename",
    "position",
    "speed",
    "loop",
    "back_and_forth",
    "trim",
    "interpolate",
    "aspect",
    "flip",
    "gamma",
    "alpha",
    "thread",
    "colorbits",
  ],
  create: (ctx) => new VideoNode(ctx, videoNodeOptions(ctx.nodeOptions.video)),
});

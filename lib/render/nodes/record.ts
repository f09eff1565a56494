/**
 * `!record filename=…`: composites its children (normally one), passes the
 * result on as its output, and writes it to a file:
 *
 * - `.png`, `.jpg`/`.jpeg`: the frame when the filename first appears, the
 *   latest frame again at most once a second, and the final frame when the
 *   node goes away or the filename changes. Frames are encoded in a worker
 *   (the render loop does not wait; in lockstep the engine does) and
 *   written atomically (temporary file, then rename). `quality=` for JPEG.
 * - `.mp4`, `.mov`, `.m4v`, `.mkv`, `.webm`, `.ogg`: every frame piped to
 *   ffmpeg (`codec=` e.g. `:h264`, `:vp9`; `crf=`; `limit=` seconds), at the
 *   engine's fps. The file is finished when the limit is reached, the
 *   filename changes, or the node is destroyed.
 *
 * Writes that go on after a frame or after the node is destroyed are
 * handed to the engine (`ctx.track`): `Engine.dispose` resolves when every
 * image is written and every video is complete.
 *
 * `filename=null` records nothing.
 *
 * @module
 */

import type { Attributes } from "../../scene/attributes.ts";
import {
  encodeImageInBackground,
  releaseImageEncoder,
  useImageEncoder,
} from "./_image_encoder.ts";
import { VideoWriter } from "../../media/video_writer.ts";
import { writeFileAtomic } from "../../media/atomic_write.ts";
import { getLogger } from "../../log/logger.ts";
import {
  registerNodeKind,
  type RenderContext,
  type SceneNode,
} from "../../scene/node.ts";
import { PROGRAM_ATTRIBUTES, ProgramNode } from "../program_node.ts";

const log = getLogger("record");

/** How often an image file is rewritten with the latest frame, in ms. */
export const IMAGE_REWRITE_MS = 1000;

const IMAGE_EXTENSIONS = new Set(["png", "jpg", "jpeg"]);
const VIDEO_EXTENSIONS = new Set(["mp4", "mov", "m4v", "mkv", "webm", "ogg"]);

function extensionOf(path: string): string {
  const dot = path.lastIndexOf(".");
  return dot < 0 || dot < path.lastIndexOf("/")
    ? ""
    : path.slice(dot + 1).toLowerCase();
}

/** A `!record` node. */
export class RecordNode extends ProgramNode {
  #path: string | null = null;
  #kind: "image" | "video" | null = null;
  #pixels = new Uint8Array(0);
  #video: VideoWriter | null = null;
  #videoKey = "";
  #writtenAt = -Infinity;
  #imageDirty = false;
  /** The engine's context this node was created with (file writes are tracked there). */
  readonly #ctx: RenderContext;
  #failure: unknown = null;
  #imageWrites: Promise<void> = Promise.resolve();
  #usesEncoder = false;

  /** @param ctx the engine's context (writes that outlive a frame are tracked there) */
  constructor(ctx: RenderContext) {
    super();
    this.#ctx = ctx;
  }

  /** Composites the children, then writes the frame. */
  override render(ctx: RenderContext, children: readonly SceneNode[]): void {
    const attrs = this.attrs!;
    const filename = attrs.string("filename", null);
    const path = filename === null || filename === ""
      ? null
      : ctx.resolvePath(filename);
    if (path !== this.#path) {
      // The target still holds the last frame recorded under the old name.
      this.#finish();
      this.#path = path;
      this.#kind = null;
      this.#failure = null;
      if (path !== null) {
        const extension = extensionOf(path);
        if (IMAGE_EXTENSIONS.has(extension)) this.#kind = "image";
        else if (VIDEO_EXTENSIONS.has(extension)) this.#kind = "video";
        else {
          this.#failure = new Error(
            `Cannot record to "${path}": use .png, .jpg or .jpeg for images, or .mp4, .mov, .m4v, .mkv, .webm or .ogg for video`,
          );
        }
        this.#writtenAt = -Infinity;
      }
    }
    super.render(ctx, children);
    if (path === null) return;
    // A file that cannot be written is reported once per frame, not retried.
    if (this.#failure !== null) throw this.#failure;
    try {
      if (this.#kind === "image") {
        this.#imageDirty = true;
        if (performance.now() - this.#writtenAt >= IMAGE_REWRITE_MS) {
          this.#writeImage(attrs);
        }
      } else this.#writeVideo(ctx, attrs, path);
    } catch (error) {
      this.#failure = error;
      throw error;
    }
  }

  #read(unpremultiply: boolean, flip: boolean): Uint8Array<ArrayBuffer> {
    const output = this.output!;
    const bytes = output.width * output.height * 4;
    if (this.#pixels.length !== bytes) this.#pixels = new Uint8Array(bytes);
    return this.#ctx.gl.readTarget(output, this.#pixels, {
      flip,
      unpremultiply,
    });
  }

  /**
   * Reads the frame now and writes it to the current image file in the
   * background: encoded off the render thread, written to a temporary file
   * and renamed, after any earlier write of this node (so files never go
   * back to an older frame). In lockstep the engine waits for it.
   */
  #writeImage(attrs: Attributes | null): void {
    const path = this.#path!;
    const output = this.output;
    if (output === null) return;
    const format = extensionOf(path) === "png" ? "png" : "jpeg";
    const data = this.#read(format === "png", true);
    const quality = attrs?.number("quality", null) ?? undefined;
    if (!this.#usesEncoder) {
      useImageEncoder();
      this.#usesEncoder = true;
    }
    const encoded = encodeImageInBackground(
      { width: output.width, height: output.height, data },
      format,
      quality,
    );
    const previous = this.#imageWrites;
    const written = previous.then(async () =>
      await writeFileAtomic(path, await encoded)
    );
    this.#imageWrites = written.catch(() => {});
    this.#ctx.track(written, path);
    if (this.#ctx.lockstep) this.#ctx.defer(this.#imageWrites);
    this.#writtenAt = performance.now();
    this.#imageDirty = false;
  }

  #writeVideo(ctx: RenderContext, attrs: Attributes, path: string): void {
    const target = this.output;
    if (target === null) return;
    // 8-bit sRGB targets are read as they are and flipped by ffmpeg; others
    // go through the GPU conversion, which flips for free.
    const direct = target.format === "srgb8" && target.framebuffer !== 0;
    const key = `${target.width}x${target.height} ${target.format}`;
    if (this.#video !== null && key !== this.#videoKey) {
      log.warn(
        `${path}: the recorded image changed size or format; restarting the video`,
      );
      this.#closeVideo();
    }
    if (this.#video === null) {
      if (this.#videoKey === `done ${path}`) return;
      const codec = attrs.string("codec", null) ?? undefined;
      const crf = attrs.number("crf", null) ?? undefined;
      const limit = attrs.number("limit", null) ?? undefined;
      this.#video = VideoWriter.start(path, {
        width: target.width,
        height: target.height,
        fps: ctx.frame.fps > 0 ? ctx.frame.fps : 60,
        codec,
        crf,
        limit,
        bottomUp: direct,
      });
      this.#videoKey = key;
      log.info(
        `${path}: recording ${target.width}x${target.height} with ${this.#video.encoder}`,
      );
    }
    const video = this.#video;
    if (video.finished) {
      this.#closeVideo();
      this.#videoKey = `done ${path}`;
      return;
    }
    video.write(this.#read(false, !direct));
    // In lockstep every frame must reach the file: the engine waits.
    if (ctx.lockstep) ctx.defer(video.flush());
  }

  #closeVideo(): void {
    if (this.#video === null) return;
    const video = this.#video;
    this.#video = null;
    this.#videoKey = "";
    this.#ctx.track(video.close(), video.path);
  }

  /** Writes the pending image frame / closes the video of the current filename. */
  #finish(): void {
    if (this.#path === null) return;
    if (this.#kind === "image" && this.#imageDirty) {
      try {
        this.#writeImage(this.attrs);
      } catch (error) {
        log.error(
          `${this.#path}: ${
            error instanceof Error ? error.message : String(error)
          }`,
        );
      }
    }
    this.#closeVideo();
  }

  /** Writes the last frame of an image / finishes the video, then frees GL objects. */
  override destroy(): void {
    this.#finish();
    this.#path = null;
    if (this.#usesEncoder) {
      releaseImageEncoder();
      this.#usesEncoder = false;
    }
    super.destroy();
  }
}

registerNodeKind({
  name: "record",
  attributes: [
    ...PROGRAM_ATTRIBUTES,
    "filename",
    "codec",
    "crf",
    "limit",
    "quality",
    "preset",
  ],
  create: (ctx) => new RecordNode(ctx),
});

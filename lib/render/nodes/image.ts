/**
 * `!image filename=…`: a PNG or JPEG file as an image in the tree. Its size
 * is the file's unless `size=` resizes it (bilinear); `flip=` mirrors it
 * (`:horizontal`, `:vertical`, `:both`). The file is decoded once per
 * change: decoded images are cached by path and modification time, and the
 * file is checked for changes at most once a second.
 *
 * @module
 */

import type { Attributes } from "../../scene/attributes.ts";
import type { GLContext } from "../../gl/context.ts";
import { DEFAULT_VERTEX_SOURCE } from "../../gl/context.ts";
import { ShaderProgram } from "../../gl/shader.ts";
import {
  formatForColorbits,
  RenderTarget,
  Texture,
  type TextureFormat,
} from "../../gl/texture.ts";
import {
  type DecodedImage,
  readImageFileSync,
} from "../../media/image_file.ts";
import { IMAGE_FRAGMENT_SOURCE } from "../glsl_library.ts";
import {
  COMMON_ATTRIBUTES,
  type Inherited,
  PassedDown,
  registerNodeKind,
  type RenderContext,
  SceneNode,
} from "../../scene/node.ts";

/** How often a file is checked for changes, in milliseconds. */
const RECHECK_MS = 1000;
const CACHE_LIMIT = 16;

interface CachedImage {
  mtime: number;
  image: DecodedImage;
}

const decoded = new Map<string, CachedImage>();

/** Stat time of `path` in ms (0 when the file system gives none). */
function modificationTime(path: string): number {
  return Deno.statSync(path).mtime?.getTime() ?? 0;
}

/**
 * The decoded image at `path`, from the cache while its modification time
 * is `mtime`.
 *
 * @throws {MediaError} when the file is missing or not a PNG/JPEG image
 */
export function decodedImage(path: string, mtime: number): DecodedImage {
  const cached = decoded.get(path);
  if (cached !== undefined && cached.mtime === mtime) return cached.image;
  const image = readImageFileSync(path);
  decoded.delete(path);
  decoded.set(path, { mtime, image });
  while (decoded.size > CACHE_LIMIT) {
    decoded.delete(decoded.keys().next().value!);
  }
  return image;
}

const programs = new WeakMap<GLContext, ShaderProgram>();

function imageProgram(gl: GLContext): ShaderProgram {
  let program = programs.get(gl);
  if (program === undefined) {
    program = ShaderProgram.compile(
      gl,
      DEFAULT_VERTEX_SOURCE,
      IMAGE_FRAGMENT_SOURCE,
      "!image",
    );
    programs.set(gl, program);
  }
  return program;
}

/** An `!image` node. */
export class ImageNode extends SceneNode {
  #path: string | null = null;
  #size: number[] | null = null;
  #flip: [number, number] = [0, 0];
  #format: TextureFormat = "rgba16f";
  #checkedAt = -Infinity;
  #mtime = -1;
  #image: DecodedImage | null = null;
  #upload: Texture | null = null;
  #target: RenderTarget | null = null;
  #drawnKey = "";
  /** What the children inherit (the same object while nothing changes). */
  readonly #passedDown = new PassedDown();
  #error: unknown = null;

  /** The image, upright, premultiplied, once loaded. */
  override get output(): Texture | null {
    return this.#target?.texture ?? null;
  }

  /** Reads `filename=`, `size=`, `flip=`, `colorbits=`. */
  prepare(
    ctx: RenderContext,
    attrs: Attributes,
    inherited: Inherited,
  ): Inherited {
    const filename = attrs.string("filename", null);
    const path = filename === null || filename === ""
      ? null
      : ctx.resolvePath(filename);
    if (path !== this.#path) {
      this.#path = path;
      this.#checkedAt = -Infinity;
      this.#mtime = -1;
    }
    const size = attrs.vector("size", 2, null);
    this.#size = size === null
      ? null
      : size.map((value) => Math.max(1, Math.round(value)));
    const flip = attrs.symbol("flip", null);
    this.#flip[0] = flip === "horizontal" || flip === "both" ? 1 : 0;
    this.#flip[1] = flip === "vertical" || flip === "both" ? 1 : 0;
    if (
      flip !== null && flip !== "horizontal" && flip !== "vertical" &&
      flip !== "both"
    ) {
      attrs.warnShape(
        "flip",
        attrs.get("flip"),
        "one of :horizontal :vertical :both",
      );
    }
    this.#format = formatForColorbits(
      attrs.number("colorbits", null) ?? inherited.colorbits,
    );
    const [width, height] = this.#size ??
      (this.#image !== null
        ? [this.#image.width, this.#image.height]
        : inherited.size);
    return this.#passedDown.set(width, height, inherited.colorbits);
  }

  /** Loads the file when it changed and draws it into the output. */
  render(ctx: RenderContext): void {
    const gl = ctx.gl;
    if (this.#path === null) {
      this.#release();
      return;
    }
    const now = performance.now();
    if (now - this.#checkedAt >= RECHECK_MS) {
      this.#checkedAt = now;
      this.#error = null;
      let mtime: number;
      try {
        mtime = modificationTime(this.#path);
      } catch (error) {
        this.#error = new Error(
          `Cannot read image "${this.#path}": ${
            error instanceof Deno.errors.NotFound
              ? "no such file"
              : String(error)
          }`,
        );
        throw this.#error;
      }
      if (mtime !== this.#mtime || this.#image === null) {
        let image: DecodedImage;
        try {
          image = decodedImage(this.#path, mtime);
        } catch (error) {
          this.#error = error;
          throw error;
        }
        this.#mtime = mtime;
        if (image !== this.#image) {
          this.#image = image;
          this.#upload?.destroy();
          this.#upload = new Texture(gl, image.width, image.height, "srgb8");
          this.#upload.upload(image.data as Uint8Array<ArrayBuffer>);
          this.#drawnKey = "";
        }
      }
    } else if (this.#error !== null) throw this.#error;
    const image = this.#image;
    if (image === null || this.#upload === null) return;
    const width = this.#size?.[0] ?? image.width;
    const height = this.#size?.[1] ?? image.height;
    const key = `${width}x${height} ${this.#format} ${this.#flip}`;
    if (key === this.#drawnKey) return;
    if (
      this.#target === null ||
      !this.#target.matches(width, height, this.#format)
    ) {
      this.#target?.destroy();
      this.#target = new RenderTarget(gl, width, height, this.#format);
    }
    const program = imageProgram(gl);
    program.use();
    program.set("image", 0);
    program.set("flip", this.#flip);
    this.#upload.setSampling({
      nearest: width === image.width && height === image.height,
    });
    gl.bindTexture(0, this.#upload.id);
    gl.drawFullscreen(program, this.#target);
    this.#drawnKey = key;
  }

  #release(): void {
    this.#upload?.destroy();
    this.#target?.destroy();
    this.#upload = null;
    this.#target = null;
    this.#image = null;
    this.#drawnKey = "";
  }

  /** Frees the textures. */
  override destroy(): void {
    this.#release();
  }
}

registerNodeKind({
  name: "image",
  attributes: [...COMMON_ATTRIBUTES, "filename", "flip", "colorbits"],
  create: () => new ImageNode(),
});

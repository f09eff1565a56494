/**
 * GPU images: {@linkcode Texture} (immutable storage of one size and format)
 * and {@linkcode RenderTarget} (a texture with a framebuffer to draw into).
 *
 * Textures are stored GL-style: row 0 is the bottom of the image. Colour
 * values are linear and alpha is premultiplied; `srgb8` textures store them
 * sRGB-encoded (the GPU encodes on write and decodes on sampling).
 *
 * @module
 */

import type { GLContext } from "./context.ts";
import { GL } from "./gles.ts";

/** Storage formats. */
export type TextureFormat = "srgb8" | "rgba8" | "rgba16f" | "rgba32f" | "r8";

interface FormatInfo {
  internal: number;
  format: number;
  type: number;
  bytesPerPixel: number;
}

const FORMATS: Record<TextureFormat, FormatInfo> = {
  srgb8: {
    internal: GL.SRGB8_ALPHA8,
    format: GL.RGBA,
    type: GL.UNSIGNED_BYTE,
    bytesPerPixel: 4,
  },
  rgba8: {
    internal: GL.RGBA8,
    format: GL.RGBA,
    type: GL.UNSIGNED_BYTE,
    bytesPerPixel: 4,
  },
  rgba16f: {
    internal: GL.RGBA16F,
    format: GL.RGBA,
    type: GL.HALF_FLOAT,
    bytesPerPixel: 8,
  },
  rgba32f: {
    internal: GL.RGBA32F,
    format: GL.RGBA,
    type: GL.FLOAT,
    bytesPerPixel: 16,
  },
  r8: {
    internal: GL.R8,
    format: GL.RED,
    type: GL.UNSIGNED_BYTE,
    bytesPerPixel: 1,
  },
};

/** Default `colorbits=` (16: half-float linear). */
export const DEFAULT_COLORBITS = 16;

/**
 * The render-target format for Flitter's `colorbits=`: 8 → `srgb8`
 * (8-bit sRGB-encoded), 16 → `rgba16f`, 32 → `rgba32f`; anything else gives
 * the default (16).
 */
export function formatForColorbits(
  colorbits: number | null | undefined,
): TextureFormat {
  if (colorbits === 8) return "srgb8";
  if (colorbits === 32) return "rgba32f";
  return "rgba16f";
}

/** Sampling of a texture by shaders. */
export interface SamplingOptions {
  /** Nearest-pixel instead of linear filtering. */
  nearest?: boolean;
  /** Repeat horizontally / vertically instead of clamping. */
  repeat?: readonly [boolean, boolean];
  /** Colour (premultiplied RGBA) outside the texture; overrides `repeat`. */
  border?: readonly [number, number, number, number] | null;
}

/** A 2D texture of fixed size and format (immutable storage). */
export class Texture {
  /** The GL texture name. */
  readonly id: number;
  /**
   * The framebuffer that draws into this texture (set by
   * {@linkcode RenderTarget}), or 0; lets read-back skip a copy.
   */
  framebuffer = 0;
  #destroyed = false;
  // Current sampler state, to skip redundant glTexParameter calls.
  #filter = -1;
  #wrapS = -1;
  #wrapT = -1;
  readonly #border = new Float32Array(4);

  /**
   * Allocates storage (contents undefined until drawn or uploaded).
   *
   * @example
   * ```ts ignore
   * const texture = new Texture(ctx, 640, 360, "r8");
   * texture.upload(yPlane); // one byte per pixel, rows bottom-up
   * ```
   */
  constructor(
    readonly ctx: GLContext,
    readonly width: number,
    readonly height: number,
    readonly format: TextureFormat,
  ) {
    if (
      !(width >= 1 && height >= 1 && Number.isInteger(width) &&
        Number.isInteger(height))
    ) {
      throw new RangeError(
        `Texture size must be positive integers, got ${width}x${height}`,
      );
    }
    const gl = ctx.gl;
    const ids = new Uint32Array(1);
    gl.glGenTextures(1, ids);
    this.id = ids[0];
    ctx.bindTextureForEdit(this.id);
    gl.glTexStorage2D(
      GL.TEXTURE_2D,
      1,
      FORMATS[format].internal,
      width,
      height,
    );
    this.setSampling({});
  }

  /** Bytes per pixel of the format. */
  get bytesPerPixel(): number {
    return FORMATS[this.format].bytesPerPixel;
  }

  /**
   * Replaces pixels (all, or the `width`×`height` block at `x`,`y`) from
   * `data`: tightly packed rows, bottom row first, in the format's natural
   * layout (RGBA bytes for `srgb8`/`rgba8`, one byte for `r8`, half floats
   * as `Uint16Array`, floats as `Float32Array`).
   */
  upload(
    data: ArrayBufferView<ArrayBuffer>,
    x = 0,
    y = 0,
    width = this.width,
    height = this.height,
  ): void {
    const info = FORMATS[this.format];
    const needed = width * height * info.bytesPerPixel;
    if (data.byteLength < needed) {
      throw new RangeError(
        `Texture upload needs ${needed} bytes for ${width}x${height} ${this.format}, got ${data.byteLength}`,
      );
    }
    this.ctx.bindTextureForEdit(this.id);
    this.ctx.setUnpackAlignment(info.bytesPerPixel % 4 === 0 ? 4 : 1);
    this.ctx.gl.glTexSubImage2D(
      GL.TEXTURE_2D,
      0,
      x,
      y,
      width,
      height,
      info.format,
      info.type,
      data,
    );
  }

  /** Sets filtering and wrapping (no GL calls when nothing changes). */
  setSampling(options: SamplingOptions): void {
    const gl = this.ctx.gl;
    const filter = options.nearest ? GL.NEAREST : GL.LINEAR;
    let wrapS: number = options.repeat?.[0] ? GL.REPEAT : GL.CLAMP_TO_EDGE;
    let wrapT: number = options.repeat?.[1] ? GL.REPEAT : GL.CLAMP_TO_EDGE;
    const border = options.border;
    if (border && this.ctx.hasBorderClamp) {
      wrapS = wrapT = GL.CLAMP_TO_BORDER;
    }
    let bound = false;
    const bind = () => {
      if (!bound) this.ctx.bindTextureForEdit(this.id);
      bound = true;
    };
    if (filter !== this.#filter) {
      bind();
      gl.glTexParameteri(GL.TEXTURE_2D, GL.TEXTURE_MIN_FILTER, filter);
      gl.glTexParameteri(GL.TEXTURE_2D, GL.TEXTURE_MAG_FILTER, filter);
      this.#filter = filter;
    }
    if (wrapS !== this.#wrapS) {
      bind();
      gl.glTexParameteri(GL.TEXTURE_2D, GL.TEXTURE_WRAP_S, wrapS);
      this.#wrapS = wrapS;
    }
    if (wrapT !== this.#wrapT) {
      bind();
      gl.glTexParameteri(GL.TEXTURE_2D, GL.TEXTURE_WRAP_T, wrapT);
      this.#wrapT = wrapT;
    }
    if (wrapS === GL.CLAMP_TO_BORDER && border) {
      const current = this.#border;
      if (
        current[0] !== border[0] || current[1] !== border[1] ||
        current[2] !== border[2] ||
        current[3] !== border[3]
      ) {
        bind();
        current.set(border);
        gl.glTexParameterfv(GL.TEXTURE_2D, GL.TEXTURE_BORDER_COLOR, current);
      }
    }
  }

  /** Frees the GL texture (idempotent). */
  destroy(): void {
    if (this.#destroyed) return;
    this.#destroyed = true;
    this.ctx.forgetTexture(this.id);
    this.ctx.gl.glDeleteTextures(1, new Uint32Array([this.id]));
  }
}

/** A texture with a framebuffer: nodes draw into it and others sample it. */
export class RenderTarget {
  /** The GL framebuffer name. */
  readonly framebuffer: number;
  #texture: Texture;
  #destroyed = false;

  /**
   * Creates a `width`×`height` texture of `format` and a framebuffer with
   * it attached; throws when the framebuffer is incomplete.
   *
   * @example
   * ```ts ignore
   * const target = new RenderTarget(ctx, 1280, 720, "srgb8");
   * target.bind();                       // framebuffer + viewport
   * ctx.drawQuad();                      // with a program in use
   * ctx.readTarget(target, rgba);        // RGBA8, top row first
   * ```
   */
  constructor(
    readonly ctx: GLContext,
    width: number,
    height: number,
    readonly format: TextureFormat,
  ) {
    const ids = new Uint32Array(1);
    ctx.gl.glGenFramebuffers(1, ids);
    this.framebuffer = ids[0];
    this.#texture = new Texture(ctx, width, height, format);
    this.#attach();
  }

  #attach(): void {
    const gl = this.ctx.gl;
    this.ctx.bindFramebuffer(this.framebuffer);
    this.#texture.framebuffer = this.framebuffer;
    gl.glFramebufferTexture2D(
      GL.FRAMEBUFFER,
      GL.COLOR_ATTACHMENT0,
      GL.TEXTURE_2D,
      this.#texture.id,
      0,
    );
    const status = gl.glCheckFramebufferStatus(GL.FRAMEBUFFER);
    if (status !== GL.FRAMEBUFFER_COMPLETE) {
      throw new Error(
        `Framebuffer for a ${this.width}x${this.height} ${this.format} target is incomplete (0x${
          status.toString(16)
        })`,
      );
    }
  }

  /** The colour texture (replaced by `resize`; do not keep it across frames). */
  get texture(): Texture {
    return this.#texture;
  }

  /** Width in pixels. */
  get width(): number {
    return this.#texture.width;
  }

  /** Height in pixels. */
  get height(): number {
    return this.#texture.height;
  }

  /** Whether the target has exactly this size and format. */
  matches(
    width: number,
    height: number,
    format: TextureFormat = this.format,
  ): boolean {
    return this.width === width && this.height === height &&
      this.format === format;
  }

  /** Reallocates the texture when the size differs; returns whether it did. */
  resize(width: number, height: number): boolean {
    if (this.width === width && this.height === height) return false;
    const texture = new Texture(this.ctx, width, height, this.format);
    this.#texture.destroy();
    this.#texture = texture;
    this.#attach();
    return true;
  }

  /** Binds the framebuffer for drawing and sets the viewport to the whole target. */
  bind(): void {
    this.ctx.bindFramebuffer(this.framebuffer);
    this.ctx.viewport(this.width, this.height);
  }

  /** Binds and clears to a colour (default transparent black). */
  clear(r = 0, g = 0, b = 0, a = 0): void {
    this.bind();
    const gl = this.ctx.gl;
    gl.glClearColor(r, g, b, a);
    gl.glClear(GL.COLOR_BUFFER_BIT);
  }

  /** Frees the framebuffer and texture (idempotent). */
  destroy(): void {
    if (this.#destroyed) return;
    this.#destroyed = true;
    this.ctx.forgetFramebuffer(this.framebuffer);
    this.ctx.gl.glDeleteFramebuffers(1, new Uint32Array([this.framebuffer]));
    this.#texture.destroy();
  }
}

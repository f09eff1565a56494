/**
 * {@linkcode DepthTarget}: a colour texture to draw 3D scenes into, with a
 * depth buffer and optional multisampling. With `samples > 0` drawing goes
 * to multisampled renderbuffers (colour and depth) that
 * {@linkcode DepthTarget.resolve} blits into the texture; without, the
 * texture and a depth renderbuffer share one framebuffer.
 *
 * @example
 * ```ts ignore
 * const target = new DepthTarget(ctx);
 * target.ensure(1280, 720, "rgba16f", 4);
 * target.bind(); // framebuffer + viewport; clear colour and depth, draw…
 * target.resolve(); // target.texture now holds the picture
 * ```
 *
 * @module
 */

import type { GLContext } from "./context.ts";
import { GL } from "./gles.ts";
import { Texture, type TextureFormat } from "./texture.ts";

const INTERNAL_FORMATS: Record<TextureFormat, number> = {
  srgb8: GL.SRGB8_ALPHA8,
  rgba8: GL.RGBA8,
  rgba16f: GL.RGBA16F,
  rgba32f: GL.RGBA32F,
  r8: GL.R8,
};

const sampleLimits = new WeakMap<GLContext, number>();

/** `GL_MAX_SAMPLES` of `ctx` (asked once). */
function maxSamples(ctx: GLContext): number {
  let limit = sampleLimits.get(ctx);
  if (limit === undefined) {
    const value = new Int32Array(1);
    ctx.gl.glGetIntegerv(GL.MAX_SAMPLES, value);
    limit = Math.max(0, value[0]);
    sampleLimits.set(ctx, limit);
  }
  return limit;
}

/** A texture with depth (and optional multisampling) to draw 3D scenes into. */
export class DepthTarget {
  #texture: Texture | null = null;
  /** Framebuffer of the texture (and, without multisampling, the depth buffer). */
  #framebuffer = 0;
  #depth = 0;
  #msaaFramebuffer = 0;
  #msaaColor = 0;
  #samples = 0;

  /** @param ctx the GL context */
  constructor(readonly ctx: GLContext) {}

  /** The colour texture (after {@linkcode resolve}); `null` before `ensure`. */
  get texture(): Texture | null {
    return this.#texture;
  }

  /** The multisampling in use (0: none). */
  get samples(): number {
    return this.#samples;
  }

  /**
   * Allocates the buffers for this size, format and multisampling unless
   * they are already; `samples` is limited to what the driver offers.
   * Returns whether it (re)allocated.
   */
  ensure(
    width: number,
    height: number,
    format: TextureFormat,
    samples: number,
  ): boolean {
    if (samples > 0) samples = Math.min(samples, maxSamples(this.ctx));
    const texture = this.#texture;
    if (
      texture !== null && texture.width === width &&
      texture.height === height && texture.format === format &&
      samples === this.#samples
    ) return false;
    this.destroy();
    this.#allocate(width, height, format, samples);
    return true;
  }

  #allocate(
    width: number,
    height: number,
    format: TextureFormat,
    samples: number,
  ): void {
    const ctx = this.ctx;
    const gl = ctx.gl;
    const ids = new Uint32Array(1);
    this.#samples = samples;
    this.#texture = new Texture(ctx, width, height, format);
    gl.glGenFramebuffers(1, ids);
    this.#framebuffer = ids[0];
    this.#texture.framebuffer = this.#framebuffer;
    ctx.bindFramebuffer(this.#framebuffer);
    gl.glFramebufferTexture2D(
      GL.FRAMEBUFFER,
      GL.COLOR_ATTACHMENT0,
      GL.TEXTURE_2D,
      this.#texture.id,
      0,
    );
    this.#depth = this.#renderbuffer(GL.DEPTH_COMPONENT24, width, height);
    if (samples === 0) {
      gl.glFramebufferRenderbuffer(
        GL.FRAMEBUFFER,
        GL.DEPTH_ATTACHMENT,
        GL.RENDERBUFFER,
        this.#depth,
      );
      this.#check(width, height, format);
      return;
    }
    this.#check(width, height, format);
    gl.glGenFramebuffers(1, ids);
    this.#msaaFramebuffer = ids[0];
    ctx.bindFramebuffer(this.#msaaFramebuffer);
    this.#msaaColor = this.#renderbuffer(
      INTERNAL_FORMATS[format],
      width,
      height,
    );
    gl.glFramebufferRenderbuffer(
      GL.FRAMEBUFFER,
      GL.COLOR_ATTACHMENT0,
      GL.RENDERBUFFER,
      this.#msaaColor,
    );
    gl.glFramebufferRenderbuffer(
      GL.FRAMEBUFFER,
      GL.DEPTH_ATTACHMENT,
      GL.RENDERBUFFER,
      this.#depth,
    );
    this.#check(width, height, format);
  }

  /** A renderbuffer of `internal` format with this target's multisampling. */
  #renderbuffer(internal: number, width: number, height: number): number {
    const gl = this.ctx.gl;
    const ids = new Uint32Array(1);
    gl.glGenRenderbuffers(1, ids);
    gl.glBindRenderbuffer(GL.RENDERBUFFER, ids[0]);
    gl.glRenderbufferStorageMultisample(
      GL.RENDERBUFFER,
      this.#samples,
      internal,
      width,
      height,
    );
    return ids[0];
  }

  #check(width: number, height: number, format: TextureFormat): void {
    const status = this.ctx.gl.glCheckFramebufferStatus(GL.FRAMEBUFFER);
    if (status !== GL.FRAMEBUFFER_COMPLETE) {
      const samples = this.#samples;
      this.destroy();
      throw new Error(
        `A ${width}x${height} ${format} target with depth${
          samples > 0 ? ` and ${samples} samples` : ""
        } is not supported here (0x${status.toString(16)})`,
      );
    }
  }

  /** Binds the framebuffer to draw into and sets the viewport to all of it. */
  bind(): void {
    const texture = this.#texture;
    if (texture === null) throw new Error("DepthTarget used before ensure()");
    this.ctx.bindFramebuffer(
      this.#samples > 0 ? this.#msaaFramebuffer : this.#framebuffer,
    );
    this.ctx.viewport(texture.width, texture.height);
  }

  /** Makes what was drawn the texture's content (a blit when multisampled). */
  resolve(): void {
    const texture = this.#texture;
    if (texture === null || this.#samples === 0) return;
    const gl = this.ctx.gl;
    // Bound for both through the context's cache, then reading from the
    // multisampled buffer only, and back: the cache stays right.
    this.ctx.bindFramebuffer(this.#framebuffer);
    gl.glBindFramebuffer(GL.READ_FRAMEBUFFER, this.#msaaFramebuffer);
    const { width, height } = texture;
    gl.glBlitFramebuffer(
      0,
      0,
      width,
      height,
      0,
      0,
      width,
      height,
      GL.COLOR_BUFFER_BIT,
      GL.NEAREST,
    );
    gl.glBindFramebuffer(GL.READ_FRAMEBUFFER, this.#framebuffer);
  }

  /** Frees everything (the target may be `ensure`d again). */
  destroy(): void {
    const ctx = this.ctx;
    const gl = ctx.gl;
    for (const framebuffer of [this.#framebuffer, this.#msaaFramebuffer]) {
      if (framebuffer !== 0) {
        ctx.forgetFramebuffer(framebuffer);
        gl.glDeleteFramebuffers(1, new Uint32Array([framebuffer]));
      }
    }
    for (const renderbuffer of [this.#depth, this.#msaaColor]) {
      if (renderbuffer !== 0) {
        gl.glDeleteRenderbuffers(1, new Uint32Array([renderbuffer]));
      }
    }
    this.#texture?.destroy();
    this.#texture = null;
    this.#framebuffer = this.#msaaFramebuffer = 0;
    this.#depth = this.#msaaColor = 0;
    this.#samples = 0;
  }
}

/**
 * {@linkcode GLContext}: a headless OpenGL ES 3 context (EGL, surfaceless)
 * with the bound GLES functions, a little state cache so repeated binds cost
 * nothing, a full-screen quad, and read-back of render targets.
 *
 * @example
 * ```ts
 * import { DEFAULT_VERTEX_SOURCE, GLContext } from "./context.ts";
 * import { RenderTarget } from "./texture.ts";
 * import { ShaderProgram } from "./shader.ts";
 *
 * const ctx = GLContext.create();
 * const target = new RenderTarget(ctx, 64, 64, "srgb8");
 * const program = ShaderProgram.compile(ctx, DEFAULT_VERTEX_SOURCE,
 *   "#version 330\nin vec2 coord;\nout vec4 color;\nvoid main() { color = vec4(coord, 0.0, 1.0); }\n");
 * ctx.drawFullscreen(program, target);
 * const rgba = ctx.readTarget(target); // 64*64*4 bytes, top row first, sRGB
 * const bottomLeft = 63 * 64 * 4;
 * if (!(rgba[1] > 250 && rgba[bottomLeft + 1] < 30)) throw new Error("green should rise upwards");
 * ctx.destroy();
 * ```
 *
 * @module
 */

import {
  createEGLSession,
  destroyEGLSession,
  type EGLSession,
  ensureCurrent,
  makeCurrent,
} from "./egl.ts";
import { GL, type GLES, loadGLES } from "./gles.ts";
import { POSITION_ATTRIBUTE, ShaderProgram } from "./shader.ts";
import { RenderTarget, type Texture } from "./texture.ts";
import { gpuIdle } from "./gpu_idle.ts";

/**
 * Flitter's default vertex shader: a full-screen quad from the `position`
 * attribute, passing `coord` in 0..1 (0,0 = bottom left) to the fragment
 * shader.
 */
export const DEFAULT_VERTEX_SOURCE = `#version 330
in vec2 position;
out vec2 coord;
void main() {
    gl_Position = vec4(position, 0.0, 1.0);
    coord = (position + 1.0) / 2.0;
}
`;

const CONVERT_FRAGMENT_SOURCE = `#version 330
in vec2 coord;
out vec4 color;
uniform sampler2D source;
uniform int flip;
uniform int unpremultiply;
void main() {
    vec2 p = flip != 0 ? vec2(coord.x, 1.0 - coord.y) : coord;
    vec4 c = clamp(texture(source, p), 0.0, 1.0);
    if (unpremultiply != 0) c.rgb = c.a > 0.0 ? min(c.rgb / c.a, 1.0) : vec3(0.0);
    color = c;
}
`;

/** How {@linkcode GLContext.readTarget} delivers pixels. */
export interface ReadOptions {
  /** Top row first (default `true`; GL order is bottom row first). */
  flip?: boolean;
  /** Divide colours by alpha (for files with straight alpha, e.g. PNG). */
  unpremultiply?: boolean;
}

function cString(pointer: Deno.PointerValue): string {
  return pointer === null ? "" : Deno.UnsafePointerView.getCString(pointer);
}

/** A current OpenGL ES 3 context and its cached binding state. */
export class GLContext {
  /** The GLES functions (see `gles.ts`); constants are in `GL`. */
  readonly gl: GLES;
  /** `GL_RENDERER`, e.g. `"llvmpipe (LLVM 15.0.6, 256 bits)"`. */
  readonly renderer: string;
  /** `GL_VERSION`, e.g. `"OpenGL ES 3.2 Mesa 22.3.6"`. */
  readonly version: string;
  /** GL extensions of the context. */
  readonly extensions: ReadonlySet<string>;
  /** Whether `GL_EXT/OES_texture_border_clamp` gives `border=` colours. */
  readonly hasBorderClamp: boolean;
  /** Whether desktop-style implicit int→float conversions compile (ES 3.1+ extension). */
  readonly hasImplicitConversions: boolean;
  readonly #session: EGLSession;
  #destroyed = false;
  // State cache.
  #program = 0;
  #framebuffer = 0;
  #viewportWidth = -1;
  #viewportHeight = -1;
  #viewportX = 0;
  #viewportY = 0;
  #activeUnit = 0;
  readonly #boundTextures = new Uint32Array(32);
  #unpackAlignment = 4;
  #vertexArray = 0;
  #blend = false;
  #scratchUnit = 31;
  #drawUnits = 16;
  // Lazily created helpers.
  #quadArray = 0;
  #quadBuffer = 0;
  #convertProgram: ShaderProgram | null = null;
  #convertRaw: RenderTarget | null = null;
  #convertSRGB: RenderTarget | null = null;

  private constructor(session: EGLSession) {
    this.#session = session;
    this.gl = loadGLES();
    this.renderer = cString(this.gl.glGetString(GL.RENDERER));
    this.version = cString(this.gl.glGetString(GL.VERSION));
    this.extensions = new Set(
      cString(this.gl.glGetString(GL.EXTENSIONS)).split(" ").filter((x) => x),
    );
    this.hasBorderClamp = this.extensions.has("GL_EXT_texture_border_clamp") ||
      this.extensions.has("GL_OES_texture_border_clamp");
    const [major, minor] = session.version;
    this.hasImplicitConversions = (major > 3 || minor >= 1) &&
      this.extensions.has("GL_EXT_shader_implicit_conversions");
    this.gl.glDisable(GL.DITHER);
    const units = new Int32Array(1);
    this.gl.glGetIntegerv(GL.MAX_TEXTURE_IMAGE_UNITS, units);
    const fragmentUnits = units[0];
    this.gl.glGetIntegerv(GL.MAX_COMBINED_TEXTURE_IMAGE_UNITS, units);
    this.#scratchUnit = Math.max(
      1,
      Math.min(units[0], this.#boundTextures.length) - 1,
    );
    this.#drawUnits = Math.max(1, Math.min(fragmentUnits, this.#scratchUnit));
  }

  /**
   * Creates a surfaceless OpenGL ES 3.x context and makes it current.
   *
   * @throws {EGLError} when EGL has no headless platform or no ES 3
   */
  static create(): GLContext {
    return new GLContext(createEGLSession());
  }

  /** Takes over a context made elsewhere (`egl_window.ts`) and makes it current. */
  static fromSession(session: EGLSession): GLContext {
    makeCurrent(session);
    return new GLContext(session);
  }

  /** Its EGL platform: `"surfaceless"`, `"device"`, `"x11"` or `"wayland"`. */
  get platform(): string {
    return this.#session.platform;
  }

  /** The EGL display and context (for drawing into window surfaces). */
  get session(): EGLSession {
    return this.#session;
  }

  /**
   * Texture units a draw may use: `0 … drawUnits - 1` (the fragment
   * shader's limit, less the unit kept for uploads).
   */
  get drawUnits(): number {
    return this.#drawUnits;
  }

  /** Makes this context current on the calling thread again. */
  makeCurrent(): void {
    makeCurrent(this.#session);
  }

  /**
   * Makes this context current unless it is already (one cheap EGL query):
   * for code resuming after an `await`, when another context may have been
   * made current meanwhile.
   */
  ensureCurrent(): void {
    ensureCurrent(this.#session);
  }

  /** Uses `program` (GL name) unless it is in use already. */
  useProgram(program: number): void {
    if (this.#program !== program) {
      this.gl.glUseProgram(program);
      this.#program = program;
    }
  }

  /** Binds `framebuffer` (0: none) unless it is bound already. */
  bindFramebuffer(framebuffer: number): void {
    if (this.#framebuffer !== framebuffer) {
      this.gl.glBindFramebuffer(GL.FRAMEBUFFER, framebuffer);
      this.#framebuffer = framebuffer;
    }
  }

  /** Sets the viewport (`width`×`height` at `x`,`y`) unless it is already. */
  viewport(width: number, height: number, x = 0, y = 0): void {
    if (
      this.#viewportWidth !== width || this.#viewportHeight !== height ||
      this.#viewportX !== x || this.#viewportY !== y
    ) {
      this.gl.glViewport(x, y, width, height);
      this.#viewportWidth = width;
      this.#viewportHeight = height;
      this.#viewportX = x;
      this.#viewportY = y;
    }
  }

  /** Binds texture `id` to texture unit `unit` unless it is bound already. */
  bindTexture(unit: number, id: number): void {
    // The unit becomes active even when the texture is bound already: callers
    // go on to edit "the bound texture" (uploads, parameters) on this unit.
    if (this.#activeUnit !== unit) {
      this.gl.glActiveTexture(GL.TEXTURE0 + unit);
      this.#activeUnit = unit;
    }
    if (this.#boundTextures[unit] === id) return;
    this.gl.glBindTexture(GL.TEXTURE_2D, id);
    this.#boundTextures[unit] = id;
  }

  /**
   * Binds texture `id` on a scratch unit kept for uploads and parameter
   * changes, so the units bound for drawing stay as they are.
   */
  bindTextureForEdit(id: number): void {
    this.bindTexture(this.#scratchUnit, id);
  }

  /** Binds vertex array `id` (0: none) unless it is bound already. */
  bindVertexArray(id: number): void {
    if (this.#vertexArray !== id) {
      this.gl.glBindVertexArray(id);
      this.#vertexArray = id;
    }
  }

  /** Sets `GL_UNPACK_ALIGNMENT` unless it has that value. */
  setUnpackAlignment(alignment: number): void {
    if (this.#unpackAlignment !== alignment) {
      this.gl.glPixelStorei(GL.UNPACK_ALIGNMENT, alignment);
      this.#unpackAlignment = alignment;
    }
  }

  /**
   * Turns premultiplied "over" blending on or off. Nodes composite in their
   * shaders, so this is normally off.
   */
  setBlend(on: boolean): void {
    if (this.#blend === on) return;
    if (on) {
      this.gl.glEnable(GL.BLEND);
      this.gl.glBlendFunc(GL.ONE, GL.ONE_MINUS_SRC_ALPHA);
    } else this.gl.glDisable(GL.BLEND);
    this.#blend = on;
  }

  /** Called by `Texture.destroy`: drops cached bindings of texture `id`. */
  forgetTexture(id: number): void {
    for (let i = 0; i < this.#boundTextures.length; i++) {
      if (this.#boundTextures[i] === id) this.#boundTextures[i] = 0;
    }
  }

  /** Called by `RenderTarget.destroy`: drops the cached binding of `framebuffer`. */
  forgetFramebuffer(framebuffer: number): void {
    if (this.#framebuffer === framebuffer) {
      this.gl.glBindFramebuffer(GL.FRAMEBUFFER, 0);
      this.#framebuffer = 0;
    }
  }

  /** Called by `ShaderProgram.destroy`: drops the cached current program. */
  forgetProgram(program: number): void {
    if (this.#program === program) {
      this.gl.glUseProgram(0);
      this.#program = 0;
    }
  }

  /**
   * Draws the full-screen quad (a 4-vertex triangle strip with `position`
   * in -1..1 at attribute 0) with the current program, framebuffer and
   * textures.
   */
  drawQuad(): void {
    const gl = this.gl;
    if (this.#quadArray === 0) {
      const ids = new Uint32Array(1);
      gl.glGenVertexArrays(1, ids);
      this.#quadArray = ids[0];
      gl.glGenBuffers(1, ids);
      this.#quadBuffer = ids[0];
      gl.glBindVertexArray(this.#quadArray);
      gl.glBindBuffer(GL.ARRAY_BUFFER, this.#quadBuffer);
      const vertices = new Float32Array([-1, -1, 1, -1, -1, 1, 1, 1]);
      gl.glBufferData(
        GL.ARRAY_BUFFER,
        BigInt(vertices.byteLength),
        vertices,
        GL.STATIC_DRAW,
      );
      gl.glVertexAttribPointer(POSITION_ATTRIBUTE, 2, GL.FLOAT, 0, 0, null);
      gl.glEnableVertexAttribArray(POSITION_ATTRIBUTE);
      this.#vertexArray = this.#quadArray;
    }
    if (this.#vertexArray !== this.#quadArray) {
      gl.glBindVertexArray(this.#quadArray);
      this.#vertexArray = this.#quadArray;
    }
    gl.glDrawArrays(GL.TRIANGLE_STRIP, 0, 4);
  }

  /**
   * Draws `program` over the whole of `target` (bind, viewport, quad). Set
   * the program's uniforms and bind its textures first (with
   * {@linkcode GLContext.bindTexture} and sampler uniforms = unit numbers).
   */
  drawFullscreen(program: ShaderProgram, target: RenderTarget): void {
    target.bind();
    program.use();
    this.setBlend(false);
    this.drawQuad();
  }

  /**
   * Copies all of `source` into `dest` (same format family; scaled with
   * linear filtering when sizes differ) with a framebuffer blit.
   */
  copyTarget(source: RenderTarget, dest: RenderTarget): void {
    const gl = this.gl;
    gl.glBindFramebuffer(GL.READ_FRAMEBUFFER, source.framebuffer);
    gl.glBindFramebuffer(GL.DRAW_FRAMEBUFFER, dest.framebuffer);
    const same = source.width === dest.width && source.height === dest.height;
    gl.glBlitFramebuffer(
      0,
      0,
      source.width,
      source.height,
      0,
      0,
      dest.width,
      dest.height,
      GL.COLOR_BUFFER_BIT,
      same ? GL.NEAREST : GL.LINEAR,
    );
    // Both bindings changed behind the cache: bind one framebuffer for both.
    gl.glBindFramebuffer(GL.FRAMEBUFFER, dest.framebuffer);
    this.#framebuffer = dest.framebuffer;
  }

  /**
   * Reads RGBA8 pixels of the bound framebuffer (bottom row first) into
   * `into` (allocated when not given).
   */
  readPixels(
    x: number,
    y: number,
    width: number,
    height: number,
    into?: Uint8Array<ArrayBuffer>,
  ): Uint8Array<ArrayBuffer> {
    const size = width * height * 4;
    const out = into ?? new Uint8Array(size);
    if (out.byteLength < size) {
      throw new RangeError(
        `readPixels needs ${size} bytes for ${width}x${height}, got ${out.byteLength}`,
      );
    }
    this.gl.glPixelStorei(GL.PACK_ALIGNMENT, 4);
    this.gl.glReadPixels(x, y, width, height, GL.RGBA, GL.UNSIGNED_BYTE, out);
    return out;
  }

  /**
   * Reads `source` (a render target, or a texture drawn by one) as 8-bit
   * RGBA into `into` (allocated when not given): sRGB-encoded for `srgb8`
   * and float formats (linear values are encoded), raw for `rgba8`; top row
   * first unless `flip: false`. Only an 8-bit source read without flipping
   * or unpremultiplying is read directly; anything else goes through one
   * conversion pass on the GPU (which encodes to sRGB by writing an
   * `SRGB8_ALPHA8` target), so the CPU only copies.
   */
  readTarget(
    source: RenderTarget | Texture,
    into?: Uint8Array<ArrayBuffer>,
    options: ReadOptions = {},
  ): Uint8Array<ArrayBuffer> {
    const texture = source instanceof RenderTarget ? source.texture : source;
    const flip = options.flip ?? true;
    const unpremultiply = options.unpremultiply ?? false;
    const { width, height } = texture;
    const direct = (texture.format === "srgb8" || texture.format === "rgba8") &&
      texture.framebuffer !== 0 && !flip && !unpremultiply;
    if (direct) {
      this.bindFramebuffer(texture.framebuffer);
      return this.readPixels(0, 0, width, height, into);
    }
    this.convert(texture, { flip, unpremultiply }); // leaves its target bound
    return this.readPixels(0, 0, width, height, into);
  }

  /**
   * Renders `texture` into an internal 8-bit target of the same size
   * (`srgb8` for sRGB and float formats, so linear values are encoded;
   * `rgba8` for raw formats), optionally flipping and unpremultiplying,
   * and leaves that target bound; returns it.
   */
  convert(texture: Texture, options: ReadOptions = {}): RenderTarget {
    const { width, height } = texture;
    if (this.#convertProgram === null) {
      this.#convertProgram = ShaderProgram.compile(
        this,
        DEFAULT_VERTEX_SOURCE,
        CONVERT_FRAGMENT_SOURCE,
        "read-back",
      );
    }
    const raw = texture.format === "rgba8" || texture.format === "r8";
    let target = raw ? this.#convertRaw : this.#convertSRGB;
    if (target === null) {
      target = new RenderTarget(this, width, height, raw ? "rgba8" : "srgb8");
      if (raw) this.#convertRaw = target;
      else this.#convertSRGB = target;
    } else target.resize(width, height);
    const program = this.#convertProgram;
    program.use();
    program.set("source", 0);
    program.set("flip", options.flip ?? true ? 1 : 0);
    program.set("unpremultiply", options.unpremultiply ? 1 : 0);
    texture.setSampling({ nearest: true });
    this.bindTexture(0, texture.id);
    this.drawFullscreen(program, target);
    return target;
  }

  /** The first pending GL error as `0x…`, or `null` (for tests and debugging). */
  checkError(): string | null {
    const code = this.gl.glGetError();
    return code === GL.NO_ERROR ? null : `0x${code.toString(16)}`;
  }

  /** Finishes all GL work (only for measurements and tests). */
  finish(): void {
    this.gl.glFinish();
  }

  /**
   * Resolves once the GPU has finished every command issued so far, without
   * blocking the thread meanwhile: a fence is polled every millisecond, so
   * timers and callbacks (e.g. arriving video frames) run while the GPU
   * (llvmpipe's threads, or a real one) works. Gives up after `limitMs`.
   * Resolves to whether the work finished.
   */
  gpuIdle(limitMs = 250): Promise<boolean> {
    return gpuIdle(this, limitMs);
  }

  /** Frees helpers and the EGL context (idempotent). */
  destroy(): void {
    if (this.#destroyed) return;
    this.#destroyed = true;
    const gl = this.gl;
    this.#convertProgram?.destroy();
    this.#convertRaw?.destroy();
    this.#convertSRGB?.destroy();
    if (this.#quadArray) {
      gl.glDeleteVertexArrays(1, new Uint32Array([this.#quadArray]));
    }
    if (this.#quadBuffer) {
      gl.glDeleteBuffers(1, new Uint32Array([this.#quadBuffer]));
    }
    destroyEGLSession(this.#session);
  }
}

/**
 * Headless OpenGL ES for Deno: EGL (surfaceless Mesa or EGL devices),
 * typed GLES functions, textures, render targets, shader programs with
 * user-facing errors, and read-back.
 *
 * Typical use by other modules (e.g. a video track fed from three planes):
 *
 * ```ts ignore
 * import { GLContext, RenderTarget, ShaderProgram, Texture, DEFAULT_VERTEX_SOURCE } from "./mod.ts";
 * const ctx = GLContext.create();
 * const y = new Texture(ctx, 640, 480, "r8");       // and u, v at 320x240
 * y.upload(yPlane);                                 // UNPACK_ALIGNMENT 1 is set for r8
 * const program = ShaderProgram.compile(ctx, DEFAULT_VERTEX_SOURCE, yuvToRgbFragment);
 * const target = new RenderTarget(ctx, 640, 480, "srgb8");
 * program.use(); program.set("y", 0);
 * ctx.bindTexture(0, y.id);
 * ctx.drawFullscreen(program, target);
 * const rgba = new Uint8Array(640 * 480 * 4);
 * ctx.readTarget(target, rgba);                     // top row first
 * ```
 *
 * Notes:
 * - Uploaded rows are taken bottom row first (GL order): an image whose
 *   first row is its top appears upside down unless the shader samples
 *   `vec2(coord.x, 1.0 - coord.y)`.
 * - Call `texture.setSampling({...})` before binding a texture for a draw:
 *   another user may have left other filtering or wrapping on it (it is
 *   cheap: unchanged settings cost no GL call).
 * - `readTarget` takes a `RenderTarget` or any texture a target drew (e.g. a
 *   render node's `output`). 8-bit targets read with `flip: false` are a
 *   plain `glReadPixels` (rows bottom-up); everything else costs one GPU
 *   conversion pass (flip, unpremultiply, float → sRGB bytes).
 * - Colours are linear with premultiplied alpha; `srgb8` stores them
 *   sRGB-encoded, and read-back always delivers sRGB bytes (raw for `rgba8`).
 * - Several `GLContext`s may live in one process; call `makeCurrent()`
 *   (or `ensureCurrent()`) before using one when they alternate. An engine
 *   does so itself at each frame and after every wait inside one.
 *
 * @module
 */

export {
  createEGLSession,
  destroyEGLSession,
  EGLError,
  type EGLSession,
} from "./egl.ts";
export { GL, type GLES, loadGLES } from "./gles.ts";
export {
  DEFAULT_VERTEX_SOURCE,
  GLContext,
  type ReadOptions,
} from "./context.ts";
export {
  DEFAULT_COLORBITS,
  formatForColorbits,
  RenderTarget,
  type SamplingOptions,
  Texture,
  type TextureFormat,
} from "./texture.ts";
export {
  isIntegerType,
  POSITION_ATTRIBUTE,
  ShaderError,
  ShaderProgram,
  type ShaderStage,
  uniformComponents,
  type UniformInfo,
} from "./shader.ts";
export {
  esHeader,
  firstLogLine,
  type GLSLOptions,
  mapLogLines,
  type TranslatedSource,
  translateShaderSource,
} from "./glsl.ts";

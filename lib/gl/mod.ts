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
 * Uploaded rows are taken bottom row first (GL order): an image whose first
 * row is its top appears upside down unless the shader samples
 * `vec2(coord.x, 1.0 - coord.y)`.
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

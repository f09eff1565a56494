/**
 * The OpenGL ES 3.0 functions we use, bound from `libGLESv2.so.2` with Deno
 * FFI, and the constants that go with them.
 *
 * Calls are synchronous (`nonblocking: false`). Functions that take data
 * take typed arrays directly (`"buffer"`), so hot paths need no
 * allocations: keep the arrays and pass them again.
 *
 * @module
 */

const b = "buffer" as const;
const p = "pointer" as const;
const u32 = "u32" as const;
const i32 = "i32" as const;
const f32 = "f32" as const;
const u8 = "u8" as const;
const v = "void" as const;

function fn<
  const P extends readonly Deno.NativeType[],
  const R extends Deno.NativeResultType,
>(
  parameters: P,
  result: R,
) {
  return { parameters, result, nonblocking: false } as const;
}

/** Signatures of every GLES function the project calls. */
export const GLES_SYMBOLS = {
  glGetString: fn([u32], p),
  glGetError: fn([], u32),
  glGetIntegerv: fn([u32, b], v),
  glViewport: fn([i32, i32, i32, i32], v),
  glScissor: fn([i32, i32, i32, i32], v),
  glClearColor: fn([f32, f32, f32, f32], v),
  glClear: fn([u32], v),
  glEnable: fn([u32], v),
  glDisable: fn([u32], v),
  glBlendFunc: fn([u32, u32], v),
  glBlendFuncSeparate: fn([u32, u32, u32, u32], v),
  glBlendEquation: fn([u32], v),
  glColorMask: fn([u8, u8, u8, u8], v),
  glFinish: fn([], v),
  // Fences: whether the GPU has finished the work issued so far.
  glFenceSync: fn([u32, u32], p),
  glClientWaitSync: fn([p, u32, "u64"], u32),
  glDeleteSync: fn([p], v),
  glFlush: fn([], v),
  glPixelStorei: fn([u32, i32], v),
  glReadPixels: fn([i32, i32, i32, i32, u32, u32, b], v),
  glReadBuffer: fn([u32], v),
  // Shaders and programs.
  glCreateShader: fn([u32], u32),
  glShaderSource: fn([u32, i32, b, b], v),
  glCompileShader: fn([u32], v),
  glGetShaderiv: fn([u32, u32, b], v),
  glGetShaderInfoLog: fn([u32, i32, b, b], v),
  glDeleteShader: fn([u32], v),
  glCreateProgram: fn([], u32),
  glAttachShader: fn([u32, u32], v),
  glBindAttribLocation: fn([u32, u32, b], v),
  glLinkProgram: fn([u32], v),
  glGetProgramiv: fn([u32, u32, b], v),
  glGetProgramInfoLog: fn([u32, i32, b, b], v),
  glDeleteProgram: fn([u32], v),
  glUseProgram: fn([u32], v),
  glGetUniformLocation: fn([u32, b], i32),
  glGetActiveUniform: fn([u32, u32, i32, b, b, b, b], v),
  glUniform1f: fn([i32, f32], v),
  glUniform2f: fn([i32, f32, f32], v),
  glUniform3f: fn([i32, f32, f32, f32], v),
  glUniform4f: fn([i32, f32, f32, f32, f32], v),
  glUniform1i: fn([i32, i32], v),
  glUniform1fv: fn([i32, i32, b], v),
  glUniform2fv: fn([i32, i32, b], v),
  glUniform3fv: fn([i32, i32, b], v),
  glUniform4fv: fn([i32, i32, b], v),
  glUniform1iv: fn([i32, i32, b], v),
  glUniform2iv: fn([i32, i32, b], v),
  glUniform3iv: fn([i32, i32, b], v),
  glUniform4iv: fn([i32, i32, b], v),
  glUniform1uiv: fn([i32, i32, b], v),
  glUniform2uiv: fn([i32, i32, b], v),
  glUniform3uiv: fn([i32, i32, b], v),
  glUniform4uiv: fn([i32, i32, b], v),
  glUniformMatrix2fv: fn([i32, i32, u8, b], v),
  glUniformMatrix3fv: fn([i32, i32, u8, b], v),
  glUniformMatrix4fv: fn([i32, i32, u8, b], v),
  // Textures.
  glGenTextures: fn([i32, b], v),
  glDeleteTextures: fn([i32, b], v),
  glBindTexture: fn([u32, u32], v),
  glActiveTexture: fn([u32], v),
  glTexImage2D: fn([u32, i32, i32, i32, i32, i32, u32, u32, b], v),
  glTexSubImage2D: fn([u32, i32, i32, i32, i32, i32, u32, u32, b], v),
  glTexStorage2D: fn([u32, i32, u32, i32, i32], v),
  glTexParameteri: fn([u32, u32, i32], v),
  glTexParameterfv: fn([u32, u32, b], v),
  glGenerateMipmap: fn([u32], v),
  // Framebuffers.
  glGenFramebuffers: fn([i32, b], v),
  glDeleteFramebuffers: fn([i32, b], v),
  glBindFramebuffer: fn([u32, u32], v),
  glFramebufferTexture2D: fn([u32, u32, u32, u32, i32], v),
  glCheckFramebufferStatus: fn([u32], u32),
  glBlitFramebuffer: fn([i32, i32, i32, i32, i32, i32, i32, i32, u32, u32], v),
  glCopyTexSubImage2D: fn([u32, i32, i32, i32, i32, i32, i32, i32], v),
  // Geometry.
  glGenVertexArrays: fn([i32, b], v),
  glDeleteVertexArrays: fn([i32, b], v),
  glBindVertexArray: fn([u32], v),
  glGenBuffers: fn([i32, b], v),
  glDeleteBuffers: fn([i32, b], v),
  glBindBuffer: fn([u32, u32], v),
  glBufferData: fn([u32, "isize", b, u32], v),
  glVertexAttribPointer: fn([u32, i32, u32, u8, i32, p], v),
  glEnableVertexAttribArray: fn([u32], v),
  glDrawArrays: fn([u32, i32, i32], v),
  // Meshes, instancing and depth (3D rendering).
  glBufferSubData: fn([u32, "isize", "isize", b], v),
  glVertexAttribDivisor: fn([u32, u32], v),
  glDisableVertexAttribArray: fn([u32], v),
  glVertexAttrib4f: fn([u32, f32, f32, f32, f32], v),
  glDrawElements: fn([u32, i32, u32, p], v),
  glDrawElementsInstanced: fn([u32, i32, u32, p, i32], v),
  glDepthMask: fn([u8], v),
  glDepthFunc: fn([u32], v),
  glCullFace: fn([u32], v),
  glFrontFace: fn([u32], v),
  glGenRenderbuffers: fn([i32, b], v),
  glDeleteRenderbuffers: fn([i32, b], v),
  glBindRenderbuffer: fn([u32, u32], v),
  glRenderbufferStorageMultisample: fn([u32, i32, u32, i32, i32], v),
  glFramebufferRenderbuffer: fn([u32, u32, u32, u32], v),
} as const satisfies Deno.ForeignLibraryInterface;

/** The bound GLES functions (`gl.glClear(…)`). */
export type GLES = Deno.DynamicLibrary<typeof GLES_SYMBOLS>["symbols"];

let library: Deno.DynamicLibrary<typeof GLES_SYMBOLS> | null = null;

/**
 * Loads `libGLESv2.so.2` once per process.
 *
 * @throws {Error} with an installation hint when the library is missing
 */
export function loadGLES(): GLES {
  if (library === null) {
    let lastError: unknown = null;
    for (const name of ["libGLESv2.so.2", "libGLESv2.so"]) {
      try {
        library = Deno.dlopen(name, GLES_SYMBOLS);
        break;
      } catch (error) {
        lastError = error;
      }
    }
    if (library === null) {
      throw new Error(
        `Cannot load libGLESv2.so.2 (install libgles2): ${
          lastError instanceof Error ? lastError.message : String(lastError)
        }`,
      );
    }
  }
  return library.symbols;
}

/** OpenGL ES constants used in the project. */
export const GL = {
  NO_ERROR: 0,
  DEPTH_BUFFER_BIT: 0x100,
  COLOR_BUFFER_BIT: 0x4000,
  TRIANGLES: 0x0004,
  TRIANGLE_STRIP: 0x0005,
  BLEND: 0x0be2,
  DEPTH_TEST: 0x0b71,
  SCISSOR_TEST: 0x0c11,
  CULL_FACE: 0x0b44,
  DITHER: 0x0bd0,
  ZERO: 0,
  ONE: 1,
  SRC_ALPHA: 0x0302,
  ONE_MINUS_SRC_ALPHA: 0x0303,
  DST_ALPHA: 0x0304,
  ONE_MINUS_DST_ALPHA: 0x0305,
  FUNC_ADD: 0x8006,
  VENDOR: 0x1f00,
  RENDERER: 0x1f01,
  VERSION: 0x1f02,
  SHADING_LANGUAGE_VERSION: 0x8b8c,
  EXTENSIONS: 0x1f03,
  UNSIGNED_BYTE: 0x1401,
  INT: 0x1404,
  UNSIGNED_INT: 0x1405,
  FLOAT: 0x1406,
  HALF_FLOAT: 0x140b,
  RED: 0x1903,
  RGB: 0x1907,
  RGBA: 0x1908,
  R8: 0x8229,
  RG8: 0x822b,
  RGBA8: 0x8058,
  SRGB8_ALPHA8: 0x8c43,
  RGBA16F: 0x881a,
  RGBA32F: 0x8814,
  PACK_ALIGNMENT: 0x0d05,
  UNPACK_ALIGNMENT: 0x0cf5,
  UNPACK_ROW_LENGTH: 0x0cf2,
  PACK_ROW_LENGTH: 0x0d02,
  TEXTURE_2D: 0x0de1,
  TEXTURE0: 0x84c0,
  TEXTURE_MAG_FILTER: 0x2800,
  TEXTURE_MIN_FILTER: 0x2801,
  TEXTURE_WRAP_S: 0x2802,
  TEXTURE_WRAP_T: 0x2803,
  NEAREST: 0x2600,
  LINEAR: 0x2601,
  REPEAT: 0x2901,
  CLAMP_TO_EDGE: 0x812f,
  MIRRORED_REPEAT: 0x8370,
  CLAMP_TO_BORDER: 0x812d,
  TEXTURE_BORDER_COLOR: 0x1004,
  FRAMEBUFFER: 0x8d40,
  READ_FRAMEBUFFER: 0x8ca8,
  DRAW_FRAMEBUFFER: 0x8ca9,
  COLOR_ATTACHMENT0: 0x8ce0,
  FRAMEBUFFER_COMPLETE: 0x8cd5,
  ARRAY_BUFFER: 0x8892,
  ELEMENT_ARRAY_BUFFER: 0x8893,
  STATIC_DRAW: 0x88e4,
  STREAM_DRAW: 0x88e0,
  DYNAMIC_DRAW: 0x88e8,
  RENDERBUFFER: 0x8d41,
  DEPTH_ATTACHMENT: 0x8d00,
  DEPTH_COMPONENT24: 0x81a6,
  MAX_SAMPLES: 0x8d57,
  FRONT: 0x0404,
  BACK: 0x0405,
  CCW: 0x0901,
  LESS: 0x0201,
  LEQUAL: 0x0203,
  FRAGMENT_SHADER: 0x8b30,
  VERTEX_SHADER: 0x8b31,
  COMPILE_STATUS: 0x8b81,
  LINK_STATUS: 0x8b82,
  INFO_LOG_LENGTH: 0x8b84,
  ACTIVE_UNIFORMS: 0x8b86,
  ACTIVE_UNIFORM_MAX_LENGTH: 0x8b87,
  MAX_TEXTURE_SIZE: 0x0d33,
  MAX_TEXTURE_IMAGE_UNITS: 0x8872,
  MAX_COMBINED_TEXTURE_IMAGE_UNITS: 0x8b4d,
  IMPLEMENTATION_COLOR_READ_FORMAT: 0x8b9b,
  IMPLEMENTATION_COLOR_READ_TYPE: 0x8b9a,
  // Uniform types (glGetActiveUniform).
  FLOAT_VEC2: 0x8b50,
  FLOAT_VEC3: 0x8b51,
  FLOAT_VEC4: 0x8b52,
  INT_VEC2: 0x8b53,
  INT_VEC3: 0x8b54,
  INT_VEC4: 0x8b55,
  BOOL: 0x8b56,
  BOOL_VEC2: 0x8b57,
  BOOL_VEC3: 0x8b58,
  BOOL_VEC4: 0x8b59,
  FLOAT_MAT2: 0x8b5a,
  FLOAT_MAT3: 0x8b5b,
  FLOAT_MAT4: 0x8b5c,
  SAMPLER_2D: 0x8b5e,
  UNSIGNED_INT_VEC2: 0x8dc6,
  UNSIGNED_INT_VEC3: 0x8dc7,
  UNSIGNED_INT_VEC4: 0x8dc8,
} as const;

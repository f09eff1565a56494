/**
 * Compiling and linking GLSL programs, with errors that point at the user's
 * own source lines, and cached uniform locations.
 *
 * @module
 */

import type { GLContext } from "./context.ts";
import { GL, type GLES } from "./gles.ts";
import {
  firstLogLine,
  type GLSLOptions,
  translateShaderSource,
} from "./glsl.ts";

/** Which part of building a program failed. */
export type ShaderStage = "vertex" | "fragment" | "link";

/**
 * A shader did not compile or a program did not link. `log` is the driver's
 * info log with line numbers of the user's source; `line` is the first of
 * them (or `null`).
 */
export class ShaderError extends Error {
  /**
   * Creates the error; the message names `source`, the stage and the line,
   * followed by the trimmed log.
   *
   * @param stage the stage that failed
   * @param log the info log (user line numbers)
   * @param line first line mentioned in the log
   * @param source name of the source for messages (e.g. a file or tree path)
   */
  constructor(
    readonly stage: ShaderStage,
    readonly log: string,
    readonly line: number | null,
    readonly source = "",
  ) {
    const where = source ? `${source}: ` : "";
    const at = line !== null ? ` at line ${line}` : "";
    super(
      `${where}${
        stage === "link"
          ? "Shader program failed to link"
          : `${capital(stage)} shader failed to compile${at}`
      }: ${log.trim()}`,
    );
    this.name = "ShaderError";
  }
}

function capital(text: string): string {
  return text[0].toUpperCase() + text.slice(1);
}

/** An active uniform of a linked program. */
export interface UniformInfo {
  /** Name without a trailing `[0]`. */
  readonly name: string;
  /** Location of element 0. */
  readonly location: number;
  /** GL type (`GL.FLOAT_VEC2`, …). */
  readonly type: number;
  /** Array length (1 for non-arrays). */
  readonly size: number;
}

/** Components of each uniform type (matrices count all entries). */
export function uniformComponents(type: number): number {
  switch (type) {
    case GL.FLOAT:
    case GL.INT:
    case GL.UNSIGNED_INT:
    case GL.BOOL:
    case GL.SAMPLER_2D:
      return 1;
    case GL.FLOAT_VEC2:
    case GL.INT_VEC2:
    case GL.BOOL_VEC2:
    case GL.UNSIGNED_INT_VEC2:
      return 2;
    case GL.FLOAT_VEC3:
    case GL.INT_VEC3:
    case GL.BOOL_VEC3:
    case GL.UNSIGNED_INT_VEC3:
      return 3;
    case GL.FLOAT_VEC4:
    case GL.INT_VEC4:
    case GL.BOOL_VEC4:
    case GL.UNSIGNED_INT_VEC4:
    case GL.FLOAT_MAT2:
      return 4;
    case GL.FLOAT_MAT3:
      return 9;
    case GL.FLOAT_MAT4:
      return 16;
    default:
      return 1;
  }
}

const encoder = new TextEncoder();
const decoder = new TextDecoder();

function compileStage(
  ctx: GLContext,
  kind: number,
  stage: "vertex" | "fragment",
  text: string,
  options: GLSLOptions,
  name: string,
): { shader: number; defaults: Map<string, number[]> } {
  const gl = ctx.gl;
  const translated = translateShaderSource(text, options);
  const bytes = encoder.encode(translated.source);
  const shader = gl.glCreateShader(kind);
  const pointers = new BigUint64Array([
    BigInt(Deno.UnsafePointer.value(Deno.UnsafePointer.of(bytes))),
  ]);
  const lengths = new Int32Array([bytes.length]);
  gl.glShaderSource(shader, 1, pointers, lengths);
  gl.glCompileShader(shader);
  const log = failureLog(gl, "shader", shader);
  if (log !== null) {
    gl.glDeleteShader(shader);
    throw new ShaderError(stage, log, firstLogLine(log), name);
  }
  return { shader, defaults: translated.defaults };
}

/**
 * The info log of a shader that failed to compile or a program that failed
 * to link, or `null` when it did not fail.
 */
function failureLog(
  gl: GLES,
  kind: "shader" | "program",
  object: number,
): string | null {
  const value = new Int32Array(1);
  const get = (parameter: number) => {
    if (kind === "shader") gl.glGetShaderiv(object, parameter, value);
    else gl.glGetProgramiv(object, parameter, value);
    return value[0];
  };
  if (get(kind === "shader" ? GL.COMPILE_STATUS : GL.LINK_STATUS)) return null;
  const buffer = new Uint8Array(Math.max(get(GL.INFO_LOG_LENGTH), 1) + 1);
  if (kind === "shader") {
    gl.glGetShaderInfoLog(object, buffer.length, value, buffer);
  } else gl.glGetProgramInfoLog(object, buffer.length, value, buffer);
  return decoder.decode(buffer.subarray(0, value[0])).trim();
}

/** The vertex attribute location of `position` in every program. */
export const POSITION_ATTRIBUTE = 0;

/** A linked program with its active uniforms. */
export class ShaderProgram {
  /** Active uniforms by name (arrays under their bare name). */
  readonly uniforms: ReadonlyMap<string, UniformInfo>;
  #destroyed = false;

  private constructor(
    readonly ctx: GLContext,
    readonly id: number,
    uniforms: Map<string, UniformInfo>,
  ) {
    this.uniforms = uniforms;
  }

  /**
   * Translates (see `glsl.ts`), compiles and links a program. The vertex
   * attribute `position` gets location {@linkcode POSITION_ATTRIBUTE}.
   * Uniform initialisers in the sources are applied after linking.
   *
   * @param name where the sources come from, for error messages
   * @throws {ShaderError} with the user's line numbers
   */
  static compile(
    ctx: GLContext,
    vertexSource: string,
    fragmentSource: string,
    name = "",
  ): ShaderProgram {
    const gl = ctx.gl;
    const options: GLSLOptions = {
      implicitConversions: ctx.hasImplicitConversions,
    };
    const vertex = compileStage(
      ctx,
      GL.VERTEX_SHADER,
      "vertex",
      vertexSource,
      options,
      name,
    );
    let fragment;
    try {
      fragment = compileStage(
        ctx,
        GL.FRAGMENT_SHADER,
        "fragment",
        fragmentSource,
        options,
        name,
      );
    } catch (error) {
      gl.glDeleteShader(vertex.shader);
      throw error;
    }
    const program = gl.glCreateProgram();
    gl.glAttachShader(program, vertex.shader);
    gl.glAttachShader(program, fragment.shader);
    gl.glBindAttribLocation(
      program,
      POSITION_ATTRIBUTE,
      encoder.encode("position\0"),
    );
    gl.glLinkProgram(program);
    gl.glDeleteShader(vertex.shader);
    gl.glDeleteShader(fragment.shader);
    const log = failureLog(gl, "program", program);
    if (log !== null) {
      gl.glDeleteProgram(program);
      throw new ShaderError("link", log, null, name);
    }
    const status = new Int32Array(1);
    const uniforms = new Map<string, UniformInfo>();
    gl.glGetProgramiv(program, GL.ACTIVE_UNIFORMS, status);
    const count = status[0];
    gl.glGetProgramiv(program, GL.ACTIVE_UNIFORM_MAX_LENGTH, status);
    const nameBuffer = new Uint8Array(Math.max(status[0], 1) + 1);
    const length = new Int32Array(1);
    const size = new Int32Array(1);
    const type = new Uint32Array(1);
    for (let i = 0; i < count; i++) {
      gl.glGetActiveUniform(
        program,
        i,
        nameBuffer.length,
        length,
        size,
        type,
        nameBuffer,
      );
      const fullName = decoder.decode(nameBuffer.subarray(0, length[0]));
      if (fullName.startsWith("gl_")) continue;
      const bare = fullName.endsWith("[0]") ? fullName.slice(0, -3) : fullName;
      if (bare.includes(".") || bare.includes("[")) continue; // struct members: not settable from attributes
      const location = gl.glGetUniformLocation(
        program,
        encoder.encode(fullName + "\0"),
      );
      if (location < 0) continue;
      uniforms.set(bare, {
        name: bare,
        location,
        type: type[0],
        size: size[0],
      });
    }
    const shader = new ShaderProgram(ctx, program, uniforms);
    const defaults = new Map([...vertex.defaults, ...fragment.defaults]);
    if (defaults.size > 0) {
      ctx.useProgram(program);
      for (const [uniform, values] of defaults) shader.set(uniform, values);
    }
    return shader;
  }

  /** Makes this the current program (skipped when it already is). */
  use(): void {
    this.ctx.useProgram(this.id);
  }

  /**
   * Sets uniform `name` from numbers (the program must be in use). Values
   * are repeated when fewer than needed (`0.5` fills a `vec4`), and an array
   * takes as many elements as given. Returns whether the uniform exists.
   *
   * Allocates a small array per call; hot paths should keep a
   * `Float32Array` and use {@linkcode ShaderProgram.setArray}.
   */
  set(name: string, values: readonly number[] | number): boolean {
    const info = this.uniforms.get(name);
    if (info === undefined) return false;
    const components = uniformComponents(info.type);
    const list = typeof values === "number" ? [values] : values;
    if (list.length === 0) return false;
    let elements = Math.max(1, Math.floor(list.length / components));
    elements = Math.min(elements, info.size);
    const total = elements * components;
    const data = isIntegerType(info.type)
      ? new Int32Array(total)
      : new Float32Array(total);
    for (let i = 0; i < total; i++) {
      data[i] = list.length >= total ? list[i] : list[i % list.length];
    }
    this.setArray(info, data, elements);
    return true;
  }

  /** Sets a uniform from a preallocated array of `count` elements. */
  setArray(
    info: UniformInfo,
    data: Float32Array<ArrayBuffer> | Int32Array<ArrayBuffer>,
    count = 1,
  ): void {
    const gl = this.ctx.gl;
    const location = info.location;
    if (data instanceof Int32Array) {
      switch (info.type) {
        case GL.INT_VEC2:
        case GL.BOOL_VEC2:
          return gl.glUniform2iv(location, count, data);
        case GL.INT_VEC3:
        case GL.BOOL_VEC3:
          return gl.glUniform3iv(location, count, data);
        case GL.INT_VEC4:
        case GL.BOOL_VEC4:
          return gl.glUniform4iv(location, count, data);
        case GL.UNSIGNED_INT:
          return gl.glUniform1uiv(location, count, data);
        case GL.UNSIGNED_INT_VEC2:
          return gl.glUniform2uiv(location, count, data);
        case GL.UNSIGNED_INT_VEC3:
          return gl.glUniform3uiv(location, count, data);
        case GL.UNSIGNED_INT_VEC4:
          return gl.glUniform4uiv(location, count, data);
        default:
          return gl.glUniform1iv(location, count, data);
      }
    }
    switch (info.type) {
      case GL.FLOAT_VEC2:
        return gl.glUniform2fv(location, count, data);
      case GL.FLOAT_VEC3:
        return gl.glUniform3fv(location, count, data);
      case GL.FLOAT_VEC4:
        return gl.glUniform4fv(location, count, data);
      case GL.FLOAT_MAT2:
        return gl.glUniformMatrix2fv(location, count, 0, data);
      case GL.FLOAT_MAT3:
        return gl.glUniformMatrix3fv(location, count, 0, data);
      case GL.FLOAT_MAT4:
        return gl.glUniformMatrix4fv(location, count, 0, data);
      default:
        return gl.glUniform1fv(location, count, data);
    }
  }

  /** Frees the program (idempotent). */
  destroy(): void {
    if (this.#destroyed) return;
    this.#destroyed = true;
    this.ctx.forgetProgram(this.id);
    this.ctx.gl.glDeleteProgram(this.id);
  }
}

/** Whether uniforms of `type` take integers (ints, uints, bools, samplers). */
export function isIntegerType(type: number): boolean {
  switch (type) {
    case GL.INT:
    case GL.INT_VEC2:
    case GL.INT_VEC3:
    case GL.INT_VEC4:
    case GL.UNSIGNED_INT:
    case GL.UNSIGNED_INT_VEC2:
    case GL.UNSIGNED_INT_VEC3:
    case GL.UNSIGNED_INT_VEC4:
    case GL.BOOL:
    case GL.BOOL_VEC2:
    case GL.BOOL_VEC3:
    case GL.BOOL_VEC4:
    case GL.SAMPLER_2D:
      return true;
    default:
      return false;
  }
}

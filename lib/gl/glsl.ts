/**
 * Translation of Flitter-style shader sources (desktop GLSL 3.30/4.x, or a
 * `${HEADER}` placeholder) to OpenGL ES GLSL.
 *
 * The first line that is `${HEADER}` or a `#version` directive is replaced by
 * an ES `#version` line, default precisions and a `#line` directive, so the
 * compiler's line numbers are the user's line numbers. Sources without either
 * get the header prepended, again followed by `#line 1`. Uniform initialisers
 * (`uniform float alpha = 1;`), which ES does not allow, are removed and
 * returned as defaults to set after linking.
 *
 * @module
 */

/** How to write the ES header. */
export interface GLSLOptions {
  /**
   * Use `#version 310 es` with `GL_EXT_shader_implicit_conversions`, so
   * desktop-style `float x = 1;` compiles (only where the driver has it).
   */
  implicitConversions?: boolean;
}

/** A translated source. */
export interface TranslatedSource {
  /** GLSL ES text to hand to the compiler. */
  source: string;
  /** Lines of the user's source that the header replaced (1-based), or 0. */
  headerLine: number;
  /** Defaults from uniform initialisers, by uniform name (numbers only). */
  defaults: Map<string, number[]>;
}

const HEADER_PATTERN = /^\s*(\$\{HEADER\}|#version\b.*)$/;

/** Default precision statements for ES fragment and vertex shaders. */
export const PRECISION_LINE = "precision highp float; precision highp int; " +
  "precision highp sampler2D; precision highp sampler3D; precision highp samplerCube; " +
  "precision highp sampler2DArray; precision highp isampler2D; precision highp usampler2D;";

/** The header lines (without the trailing `#line`). */
export function esHeader(options: GLSLOptions = {}): string[] {
  if (options.implicitConversions) {
    return [
      "#version 310 es",
      "#extension GL_EXT_shader_implicit_conversions : enable",
      PRECISION_LINE,
    ];
  }
  return ["#version 300 es", PRECISION_LINE];
}

const UNIFORM_INITIALISER =
  /\buniform\s+((?:(?:highp|mediump|lowp)\s+)?)(\w+)\s+(\w+)\s*=\s*([^;]+);/g;

function parseDefault(expression: string): number[] | null {
  const text = expression.trim();
  const plain = Number(text.replace(/[fF]$/, ""));
  if (text !== "" && Number.isFinite(plain)) return [plain];
  if (text === "true") return [1];
  if (text === "false") return [0];
  const call = /^\w+\s*\(([^()]*)\)$/.exec(text);
  if (call === null) return null;
  const numbers = call[1].split(",").map((part) =>
    Number(part.trim().replace(/[fF]$/, ""))
  );
  return numbers.every(Number.isFinite) ? numbers : null;
}

/**
 * Translates one stage's source to GLSL ES.
 *
 * @example
 * ```ts
 * import { translateShaderSource } from "./glsl.ts";
 * const { source } = translateShaderSource("#version 330\nout vec4 color;\nvoid main() { color = vec4(1.0); }\n");
 * if (!source.startsWith("#version 300 es")) throw new Error("not translated");
 * ```
 */
export function translateShaderSource(
  text: string,
  options: GLSLOptions = {},
): TranslatedSource {
  const lines = text.split(/\r?\n/);
  const header = esHeader(options);
  const defaults = new Map<string, number[]>();
  // Find the header line, skipping blank lines and comments before it.
  let headerIndex = -1;
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i].trim();
    if (HEADER_PATTERN.test(line)) {
      headerIndex = i;
      break;
    }
    if (line !== "" && !line.startsWith("//")) break;
  }
  const body = lines.map((line) =>
    line.replace(
      UNIFORM_INITIALISER,
      (
        _match,
        precision: string,
        type: string,
        name: string,
        value: string,
      ) => {
        const parsed = parseDefault(value);
        if (parsed !== null) defaults.set(name, parsed);
        return `uniform ${precision}${type} ${name};`;
      },
    )
  );
  // Lines before the header (blank or comments) are dropped: #version must
  // come first. `#line N` numbers the next line N, so logs use the user's lines.
  const out = headerIndex >= 0
    ? [...header, `#line ${headerIndex + 2}`, ...body.slice(headerIndex + 1)]
    : [...header, "#line 1", ...body];
  return { source: out.join("\n"), headerLine: headerIndex + 1, defaults };
}

/**
 * Rewrites the line numbers in a GLSL info log (Mesa `0:12(3):`, NVIDIA
 * `0(12) :`, ANGLE `ERROR: 0:12:`) with `map`.
 */
export function mapLogLines(
  log: string,
  map: (line: number) => number,
): string {
  return log
    .replace(
      /\b(\d+):(\d+)\((\d+)\)/g,
      (_m, file, line, column) => `${file}:${map(Number(line))}(${column})`,
    )
    .replace(
      /\b(\d+)\((\d+)\)(\s*:)/g,
      (_m, file, line, rest) => `${file}(${map(Number(line))})${rest}`,
    )
    .replace(
      /(ERROR|WARNING): (\d+):(\d+):/g,
      (_m, kind, file, line) => `${kind}: ${file}:${map(Number(line))}:`,
    );
}

/** The first line number mentioned in a GLSL info log, or `null`. */
export function firstLogLine(log: string): number | null {
  const match = /\b\d+:(\d+)\(\d+\)/.exec(log) ??
    /\b\d+\((\d+)\)\s*:/.exec(log) ??
    /(?:ERROR|WARNING): \d+:(\d+):/.exec(log);
  return match ? Number(match[1]) : null;
}

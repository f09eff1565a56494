/**
 * Puts Skia's pixels into a canvas node's texture.
 *
 * Skia's canvas holds sRGB-encoded colour with premultiplied alpha, top
 * row first: `data()` gives RGBA bytes, or half floats for a `float16`
 * canvas. Our textures hold linear colour, premultiplied, bottom row
 * first. Converting means dividing out alpha, decoding sRGB to linear and
 * multiplying alpha back in (decoding the premultiplied values directly
 * would darken every partly transparent edge), and flipping the rows. Two
 * ways, chosen by {@linkcode CanvasConversion}:
 *
 * - `"gpu"`: the pixels are uploaded as they are (`rgba8` or `rgba16f`)
 *   and one shader pass writes the output (any format);
 * - `"cpu"` (8-bit output only): a lookup table by (value, alpha) gives the
 *   `srgb8` bytes of the result, written row-flipped into a buffer that is
 *   uploaded as the output itself: no pass. On software renderers (Mesa's
 *   llvmpipe) that costs a third of the pass (`bench/canvas_bench.ts`).
 *
 * @module
 */

import { DEFAULT_VERTEX_SOURCE, type GLContext } from "../gl/context.ts";
import { ShaderProgram } from "../gl/shader.ts";
import { RenderTarget, Texture, type TextureFormat } from "../gl/texture.ts";

/**
 * How a canvas converts Skia's pixels: `"auto"` (default) is `"cpu"` for
 * 8-bit canvases on software renderers, else `"gpu"`; 16 and 32-bit
 * canvases always convert on the GPU. Set with
 * `EngineOptions.nodeOptions.canvas.conversion`.
 */
export type CanvasConversion = "auto" | "cpu" | "gpu";

/** The conversions {@linkcode CanvasConversion} names. */
export const CANVAS_CONVERSIONS: readonly CanvasConversion[] = [
  "auto",
  "cpu",
  "gpu",
];

const SOFTWARE_RENDERER = /llvmpipe|softpipe|swrast|lavapipe/i;

const FRAGMENT_SOURCE = `\${HEADER}
in vec2 coord;
out vec4 color;
uniform sampler2D pixels;
vec3 srgb_to_linear(vec3 c) {
    vec3 a = abs(c);
    vec3 low = a / 12.92;
    vec3 high = pow((a + 0.055) / 1.055, vec3(2.4));
    return sign(c) * mix(high, low, vec3(lessThanEqual(a, vec3(0.04045))));
}
void main() {
    vec4 p = texture(pixels, vec2(coord.x, 1.0 - coord.y));
    vec3 straight = p.a > 0.0 ? p.rgb / p.a : vec3(0.0);
    color = vec4(srgb_to_linear(straight) * p.a, p.a);
}
`;

const programs = new WeakMap<GLContext, ShaderProgram>();

function program(gl: GLContext): ShaderProgram {
  let found = programs.get(gl);
  if (found === undefined) {
    found = ShaderProgram.compile(
      gl,
      DEFAULT_VERTEX_SOURCE,
      FRAGMENT_SOURCE,
      "!canvas",
    );
    programs.set(gl, found);
  }
  return found;
}

let table: Uint8Array | null = null;

/**
 * The `srgb8` byte of a pixel's channel, at `alpha * 256 + value`: Skia's
 * premultiplied, sRGB-encoded `value` at `alpha`, as linear light
 * premultiplied and encoded again (what the GPU stores in an `srgb8`
 * texture).
 */
export function conversionTable(): Uint8Array {
  if (table !== null) return table;
  table = new Uint8Array(256 * 256);
  for (let alpha = 1; alpha < 256; alpha++) {
    for (let value = 0; value < 256; value++) {
      const straight = Math.min(1, value / alpha);
      const linear = straight <= 0.04045
        ? straight / 12.92
        : Math.pow((straight + 0.055) / 1.055, 2.4);
      const premultiplied = linear * alpha / 255;
      const encoded = premultiplied <= 0.0031308
        ? premultiplied * 12.92
        : 1.055 * Math.pow(premultiplied, 1 / 2.4) - 0.055;
      table[alpha * 256 + value] = Math.round(encoded * 255);
    }
  }
  return table;
}

/** The texture a canvas node shows, and the upload that fills it. */
export class SkiaUpload {
  readonly #cpu: boolean;
  #source: Texture | null = null;
  #target: RenderTarget | null = null;
  #converted: Texture | null = null;
  #bytes: Uint8Array<ArrayBuffer> | null = null;
  #output: Texture | null = null;

  /**
   * @param gl the context the textures live in
   * @param conversion how to convert (see {@linkcode CanvasConversion})
   */
  constructor(readonly gl: GLContext, conversion: CanvasConversion = "auto") {
    this.#cpu = conversion === "cpu" ||
      (conversion === "auto" && SOFTWARE_RENDERER.test(gl.renderer));
  }

  /** The linear, premultiplied image, once something was uploaded. */
  get output(): Texture | null {
    return this.#output;
  }

  /**
   * Uploads `pixels` (Skia's `data()`: `width`×`height`, top row first,
   * sRGB-encoded, premultiplied; half floats when `half`) and converts them
   * into the output, of `format`.
   */
  upload(
    pixels: Uint8Array,
    width: number,
    height: number,
    half: boolean,
    format: TextureFormat,
  ): void {
    if (this.#cpu && !half && format === "srgb8") {
      this.#releaseGpu();
      this.#convertOnCpu(pixels, width, height);
    } else {
      this.#releaseCpu();
      this.#convertOnGpu(pixels, width, height, half, format);
    }
  }

  #convertOnCpu(pixels: Uint8Array, width: number, height: number): void {
    if (
      this.#converted === null || this.#converted.width !== width ||
      this.#converted.height !== height
    ) {
      this.#converted?.destroy();
      this.#converted = new Texture(this.gl, width, height, "srgb8");
      this.#bytes = new Uint8Array(width * height * 4);
    }
    const lookup = conversionTable();
    const bytes = this.#bytes!;
    const stride = width * 4;
    for (let y = 0; y < height; y++) {
      let from = y * stride;
      let to = (height - 1 - y) * stride;
      const end = from + stride;
      for (; from < end; from += 4, to += 4) {
        const alpha = pixels[from + 3];
        const row = alpha << 8;
        bytes[to] = lookup[row + pixels[from]];
        bytes[to + 1] = lookup[row + pixels[from + 1]];
        bytes[to + 2] = lookup[row + pixels[from + 2]];
        bytes[to + 3] = alpha;
      }
    }
    this.#converted.upload(bytes);
    this.#output = this.#converted;
  }

  #convertOnGpu(
    pixels: Uint8Array,
    width: number,
    height: number,
    half: boolean,
    format: TextureFormat,
  ): void {
    const gl = this.gl;
    const sourceFormat = half ? "rgba16f" : "rgba8";
    if (
      this.#source === null || this.#source.width !== width ||
      this.#source.height !== height || this.#source.format !== sourceFormat
    ) {
      this.#source?.destroy();
      this.#source = new Texture(gl, width, height, sourceFormat);
      this.#source.setSampling({ nearest: true });
    }
    let data: ArrayBufferView<ArrayBuffer>;
    const bytes = pixels as Uint8Array<ArrayBuffer>;
    if (!half) data = bytes;
    else if (bytes.byteOffset % 2 === 0) {
      data = new Uint16Array(bytes.buffer, bytes.byteOffset, bytes.length / 2);
    } else data = new Uint16Array(bytes.slice().buffer);
    this.#source.upload(data);
    if (
      this.#target === null || !this.#target.matches(width, height, format)
    ) {
      this.#target?.destroy();
      this.#target = new RenderTarget(gl, width, height, format);
    }
    const converter = program(gl);
    converter.use();
    converter.set("pixels", 0);
    gl.bindTexture(0, this.#source.id);
    gl.drawFullscreen(converter, this.#target);
    this.#output = this.#target.texture;
  }

  #releaseGpu(): void {
    this.#source?.destroy();
    this.#target?.destroy();
    this.#source = null;
    this.#target = null;
  }

  #releaseCpu(): void {
    this.#converted?.destroy();
    this.#converted = null;
    this.#bytes = null;
  }

  /** Frees the textures. */
  destroy(): void {
    this.#releaseGpu();
    this.#releaseCpu();
    this.#output = null;
  }
}

/**
 * Puts Skia's pixels into a canvas node's texture.
 *
 * Skia's canvas holds sRGB-encoded colour with premultiplied alpha, top
 * row first: `data()` gives RGBA bytes, or half floats for a `float16`
 * canvas. Our textures hold linear colour, premultiplied, bottom row
 * first. So the pixels are uploaded as they are into a plain texture
 * (`rgba8` or `rgba16f`) and one shader pass writes the node's output:
 * it flips the rows, divides out alpha, decodes sRGB to linear and
 * multiplies alpha back in (decoding premultiplied values directly would
 * darken every partly transparent edge). An `srgb8` output is encoded
 * again by the GPU on write.
 *
 * @module
 */

import { DEFAULT_VERTEX_SOURCE, type GLContext } from "../gl/context.ts";
import { ShaderProgram } from "../gl/shader.ts";
import { RenderTarget, Texture, type TextureFormat } from "../gl/texture.ts";

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

/** The texture a canvas node shows, and the upload that fills it. */
export class SkiaUpload {
  #source: Texture | null = null;
  #target: RenderTarget | null = null;

  /** @param gl the context the textures live in */
  constructor(readonly gl: GLContext) {}

  /** The linear, premultiplied image, once something was uploaded. */
  get output(): Texture | null {
    return this.#target?.texture ?? null;
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
  }

  /** Frees the textures. */
  destroy(): void {
    this.#source?.destroy();
    this.#target?.destroy();
    this.#source = null;
    this.#target = null;
  }
}

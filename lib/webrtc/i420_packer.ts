/**
 * RGB → I420 on the GPU: one pass writes the three planes of a picture,
 * rows top-down, packed four bytes to a pixel of an RGBA8 target a quarter
 * as wide and one and a half times as tall as the picture, so one
 * `glReadPixels` of that target gives the I420 bytes as libwebrtc takes
 * them (1.5 bytes a pixel read back instead of 4, and no CPU conversion).
 * Colours as libyuv's `ABGRToI420` (BT.601 limited range; chroma from the
 * average of each 2×2 block), within a unit of rounding.
 *
 * Whether this beats reading RGBA back and converting with libyuv depends
 * on the machine (on llvmpipe it does not; on a GPU it may), so the
 * `!webrtc` node measures both and keeps the faster (see
 * `SendConversion` in `video_sender.ts`).
 *
 * ```ts ignore
 * const packer = new I420Packer(gl);
 * if (I420Packer.supports(width, height)) {
 *   const i420 = packer.pack(image); // Uint8Array, width * height * 1.5 bytes
 * }
 * ```
 *
 * @module
 */

import { DEFAULT_VERTEX_SOURCE, type GLContext } from "../gl/context.ts";
import { ShaderProgram } from "../gl/shader.ts";
import { RenderTarget, type Texture } from "../gl/texture.ts";

/**
 * Fragment shader (Flitter-style GLSL 3.30, translated by `lib/gl`). Each
 * output pixel (x, r) holds bytes 4x … 4x + 3 of I420 row r, where rows are
 * `width` bytes: the Y plane fills rows 0 … height − 1, then U and V take
 * height / 4 rows each (two chroma rows per row).
 */
const PACK_FRAGMENT_SHADER = `#version 330
out vec4 color;
uniform sampler2D source;
uniform int encode_srgb;
uniform int width;
uniform int height;

vec3 bytes_at(int x, int row) {
    vec3 c = texelFetch(source, ivec2(x, height - 1 - row), 0).rgb;
    if (encode_srgb != 0) {
        c = clamp(c, 0.0, 1.0);
        c = mix(1.055 * pow(c, vec3(1.0 / 2.4)) - 0.055, c * 12.92, step(c, vec3(0.0031308)));
    }
    return floor(clamp(c, 0.0, 1.0) * 255.0 + 0.5);
}

float luma(vec3 c) {
    return floor((66.0 * c.r + 129.0 * c.g + 25.0 * c.b + 4224.0) / 256.0);
}

float avg(float a, float b) {
    return floor((a + b + 1.0) / 2.0);
}

void main() {
    int px = int(gl_FragCoord.x);
    int r = int(gl_FragCoord.y);
    vec4 bytes;
    if (r < height) {
        for (int k = 0; k < 4; k++) bytes[k] = luma(bytes_at(4 * px + k, r));
    } else {
        int quarter = height / 4;
        int plane_row = (r - height) % quarter;
        bool v_plane = r - height >= quarter;
        int half_width = width / 2;
        int chroma_row = 2 * plane_row + ((4 * px) >= half_width ? 1 : 0);
        int chroma_col = (4 * px) % half_width;
        for (int k = 0; k < 4; k++) {
            int x = 2 * (chroma_col + k);
            int y = 2 * chroma_row;
            vec3 a = bytes_at(x, y);
            vec3 b = bytes_at(x, y + 1);
            vec3 c = bytes_at(x + 1, y);
            vec3 d = bytes_at(x + 1, y + 1);
            vec3 m = vec3(
                avg(avg(a.r, b.r), avg(c.r, d.r)),
                avg(avg(a.g, b.g), avg(c.g, d.g)),
                avg(avg(a.b, b.b), avg(c.b, d.b)));
            bytes[k] = v_plane
                ? floor((112.0 * m.r - 94.0 * m.g - 18.0 * m.b + 32896.0) / 256.0)
                : floor((112.0 * m.b - 74.0 * m.g - 38.0 * m.r + 32896.0) / 256.0);
        }
    }
    color = bytes / 255.0;
}
`;

/** Packs 8-bit pictures into I420 bytes with one GPU pass (see the module documentation). */
export class I420Packer {
  #program: ShaderProgram | null = null;
  #target: RenderTarget | null = null;
  #bytes = new Uint8Array(0);

  /** A packer drawing with `gl` (its program is compiled on first use). */
  constructor(readonly gl: GLContext) {}

  /** Whether a `width`×`height` picture can be packed (width a multiple of 8, height of 4). */
  static supports(width: number, height: number): boolean {
    return width >= 8 && height >= 4 && width % 8 === 0 && height % 4 === 0;
  }

  /**
   * The I420 bytes of `image` (an `srgb8` or `rgba8` texture: sRGB bytes as
   * stored), rows top-down. The returned buffer is reused by the next call.
   */
  pack(image: Texture): Uint8Array<ArrayBuffer> {
    const { width, height } = image;
    if (!I420Packer.supports(width, height)) {
      throw new RangeError(
        `I420Packer: ${width}x${height} needs a width divisible by 8 and a height by 4`,
      );
    }
    const gl = this.gl;
    if (this.#program === null) {
      this.#program = ShaderProgram.compile(
        gl,
        DEFAULT_VERTEX_SOURCE,
        PACK_FRAGMENT_SHADER,
        "!webrtc I420 packing",
      );
    }
    const targetWidth = width / 4;
    const targetHeight = height * 3 / 2;
    if (this.#target === null) {
      this.#target = new RenderTarget(gl, targetWidth, targetHeight, "rgba8");
    } else this.#target.resize(targetWidth, targetHeight);
    const size = targetWidth * targetHeight * 4;
    if (this.#bytes.length !== size) this.#bytes = new Uint8Array(size);
    const program = this.#program;
    program.use();
    program.set("source", 0);
    program.set("encode_srgb", image.format === "srgb8" ? 1 : 0);
    program.set("width", width);
    program.set("height", height);
    gl.bindTexture(0, image.id);
    gl.drawFullscreen(program, this.#target);
    return gl.readTarget(this.#target, this.#bytes, { flip: false });
  }

  /** Frees the GPU objects. */
  destroy(): void {
    this.#program?.destroy();
    this.#target?.destroy();
    this.#program = null;
    this.#target = null;
  }
}

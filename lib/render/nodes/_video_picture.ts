/**
 * Decoded video frames on the GPU for `!video`, and the pass that draws
 * them into the node's target.
 *
 * Frames arrive as ffmpeg wrote them, top row first: three 4:2:0 planes,
 * uploaded as they are into one-channel textures and turned into RGB by
 * the drawing shader with the file's matrix and range (1.5 bytes a pixel
 * to upload instead of 4, and no conversion on the CPU), or RGBA, uploaded
 * into an sRGB texture. Two frames can be held at once, so that the pass
 * can mix neighbouring frames (`interpolate=`). The pass also flips,
 * letterboxes or crops (`aspect=`), and applies `gamma=` and `alpha=`;
 * its output is linear and premultiplied, as every target in the tree.
 *
 * @module
 */

import type { GLContext } from "../../gl/context.ts";
import { ShaderProgram } from "../../gl/shader.ts";
import { type RenderTarget, Texture } from "../../gl/texture.ts";
import type { DecodedFrame } from "../../media/video_decoder.ts";
import type { ColorMatrix, VideoInfo } from "../../media/video_probe.ts";

/**
 * Draws the picture's quad: the whole target (stretched), less of it
 * (`fit`: the target is cleared first) or more (`fill`: the rest is
 * clipped), and hands the fragment shader texture coordinates (rows top
 * down, as uploaded), mirrored by `flip`.
 */
const VERTEX_SOURCE = `#version 330
in vec2 position;
out vec2 coord;
uniform vec2 extent;
uniform vec2 flip;
void main() {
    gl_Position = vec4(position * extent, 0.0, 1.0);
    vec2 c = (position + 1.0) / 2.0;
    coord = vec2(flip.x > 0.5 ? 1.0 - c.x : c.x, flip.y > 0.5 ? c.y : 1.0 - c.y);
}
`;

/**
 * The fragment shader for planes (`PLANAR`) or RGBA, alone or mixed with
 * a second frame (`MIXED`): variants compiled apart, as software
 * renderers pay for branches not taken.
 */
function fragmentSource(planar: boolean, mixed: boolean): string {
  return `\${HEADER}
#define PLANAR ${planar ? 1 : 0}
#define MIXED ${mixed ? 1 : 0}
in vec2 coord;
out vec4 color;
uniform sampler2D a0;
uniform sampler2D b0;
uniform float mix_b;
uniform float gamma;
uniform float alpha;
#if PLANAR
uniform sampler2D a1;
uniform sampler2D a2;
uniform sampler2D b1;
uniform sampler2D b2;
uniform mat3 yuv_matrix;
uniform vec3 yuv_offset;

// sRGB to linear light: exact below the knee, above it a quartic within a
// fifth of an 8-bit step of the curve (a pow costs several times more on
// software renderers).
vec3 srgb_to_linear(vec3 c) {
    vec3 curve = (((-0.13495677 * c + 0.55317237) * c + 0.54926689) * c
        + 0.02976434) * c + 0.00100785;
    return mix(curve, c / 12.92, step(c, vec3(0.04045)));
}

vec4 picture(sampler2D y, sampler2D u, sampler2D v) {
    vec3 yuv = vec3(texture(y, coord).r, texture(u, coord).r, texture(v, coord).r);
    return vec4(srgb_to_linear(clamp(yuv_matrix * (yuv - yuv_offset), 0.0, 1.0)), 1.0);
}
#endif

void main() {
#if PLANAR
    vec4 c = picture(a0, a1, a2);
#if MIXED
    c = mix(c, picture(b0, b1, b2), mix_b);
#endif
#else
    vec4 c = texture(a0, coord);
#if MIXED
    c = mix(c, texture(b0, coord), mix_b);
#endif
#endif
    vec3 rgb = c.rgb;
    if (gamma != 1.0) rgb = pow(max(rgb, vec3(0.0)), vec3(gamma));
    float a = c.a * alpha;
    color = vec4(rgb * a, a);
}
`;
}

const programs = new WeakMap<GLContext, Map<string, ShaderProgram>>();

function videoProgram(
  gl: GLContext,
  planar: boolean,
  mixed: boolean,
): ShaderProgram {
  let variants = programs.get(gl);
  if (variants === undefined) programs.set(gl, variants = new Map());
  const key = `${planar} ${mixed}`;
  let program = variants.get(key);
  if (program === undefined) {
    program = ShaderProgram.compile(
      gl,
      VERTEX_SOURCE,
      fragmentSource(planar, mixed),
      "!video",
    );
    variants.set(key, program);
  }
  return program;
}

/** Luma weights (Kr, Kb) of each matrix. */
const WEIGHTS: Record<ColorMatrix, [number, number]> = {
  bt601: [0.299, 0.114],
  bt709: [0.2126, 0.0722],
  bt2020: [0.2627, 0.0593],
};

/**
 * The matrix (column-major, for a GLSL `mat3`) and offset that turn YUV
 * samples (0–1, as textures give bytes) into R'G'B' (0–1):
 * `rgb = matrix × (yuv − offset)`.
 */
export function yuvConversion(
  matrix: ColorMatrix,
  fullRange: boolean,
): { matrix: number[]; offset: number[] } {
  const [kr, kb] = WEIGHTS[matrix];
  const kg = 1 - kr - kb;
  const ys = fullRange ? 1 : 255 / 219;
  const cs = fullRange ? 1 : 255 / 224;
  return {
    matrix: [
      ...[ys, ys, ys],
      ...[0, -2 * kb * (1 - kb) / kg * cs, 2 * (1 - kb) * cs],
      ...[2 * (1 - kr) * cs, -2 * kr * (1 - kr) / kg * cs, 0],
    ],
    offset: [fullRange ? 0 : 16 / 255, 128 / 255, 128 / 255],
  };
}

/** How a frame is drawn (attributes of `!video`). */
export interface PictureLook {
  /** Mirror horizontally / vertically (1) or not (0). */
  flip: readonly [number, number];
  /** `stretch` (default), `fit` (letterbox) or `fill` (crop). */
  aspect: "stretch" | "fit" | "fill";
  /** Exponent applied to the linear colour. */
  gamma: number;
  /** Opacity. */
  alpha: number;
}

/** Textures of one frame: three planes or one RGBA image. */
interface Slot {
  tag: number | null;
  planes: Texture[];
}

/** Up to two decoded frames of one file on the GPU. */
export class VideoPicture {
  readonly #gl: GLContext;
  readonly #info: VideoInfo;
  readonly #slots: Slot[] = [];
  readonly #conversion: { matrix: number[]; offset: number[] };

  constructor(gl: GLContext, info: VideoInfo) {
    this.#gl = gl;
    this.#info = info;
    this.#conversion = yuvConversion(info.matrix, info.fullRange);
  }

  /** Whether the frame tagged `tag` is on the GPU. */
  has(tag: number): boolean {
    return this.#slots.some((slot) => slot.tag === tag);
  }

  /** Forgets which frames are held (their tags now mean other frames). */
  forget(): void {
    for (const slot of this.#slots) slot.tag = null;
  }

  /**
   * Uploads `frame`, replacing a held frame whose tag is not in `keep`.
   */
  upload(frame: DecodedFrame, keep: readonly number[]): void {
    let slot = this.#slots.find((slot) =>
      slot.tag === null || !keep.includes(slot.tag)
    );
    if (slot === undefined) {
      if (this.#slots.length >= 2) slot = this.#slots[0];
      else {
        slot = { tag: null, planes: this.#allocate() };
        this.#slots.push(slot);
      }
    }
    slot.tag = null;
    const { width, height } = this.#info;
    const data = frame.data as unknown as Uint8Array<ArrayBuffer>;
    if (this.#info.layout === "rgba") slot.planes[0].upload(data);
    else {
      const chroma = ((width + 1) >> 1) * ((height + 1) >> 1);
      const luma = width * height;
      slot.planes[0].upload(data.subarray(0, luma));
      slot.planes[1].upload(data.subarray(luma, luma + chroma));
      slot.planes[2].upload(data.subarray(luma + chroma, luma + 2 * chroma));
    }
    slot.tag = frame.tag;
  }

  #allocate(): Texture[] {
    const gl = this.#gl;
    const { width, height } = this.#info;
    if (this.#info.layout === "rgba") {
      return [new Texture(gl, width, height, "srgb8")];
    }
    const cw = (width + 1) >> 1, ch = (height + 1) >> 1;
    return [
      new Texture(gl, width, height, "r8"),
      new Texture(gl, cw, ch, "r8"),
      new Texture(gl, cw, ch, "r8"),
    ];
  }

  /**
   * Draws the frame tagged `tag` into `target`, mixed with the frame
   * tagged `next` by `mix` (0: `tag` alone) when that one is held.
   * Returns whether `tag` was held (nothing is drawn otherwise).
   */
  draw(
    target: RenderTarget,
    tag: number,
    next: number | null,
    mix: number,
    look: PictureLook,
  ): boolean {
    const a = this.#slots.find((slot) => slot.tag === tag);
    if (a === undefined) return false;
    const b = next === null
      ? undefined
      : this.#slots.find((slot) => slot.tag === next);
    const gl = this.#gl;
    const { width, height } = this.#info;
    const extent = aspectExtent(
      width / height,
      target.width / target.height,
      look.aspect,
    );
    const exact = target.width === width && target.height === height &&
      extent[0] === 1 && extent[1] === 1;
    const planar = this.#info.layout === "i420";
    const mixed = b !== undefined && mix > 0;
    const program = videoProgram(gl, planar, mixed);
    program.use();
    const names = planar ? ["a0", "a1", "a2", "b0", "b1", "b2"] : ["a0", "b0"];
    const slots = mixed ? [a, b!] : [a];
    slots.flatMap((slot) => slot.planes).forEach((texture, unit) => {
      // Chroma planes are half size: always interpolated.
      texture.setSampling({ nearest: exact && (!planar || unit % 3 === 0) });
      gl.bindTexture(unit, texture.id);
      program.set(names[unit], unit);
    });
    if (planar) {
      program.set("yuv_matrix", this.#conversion.matrix);
      program.set("yuv_offset", this.#conversion.offset);
    }
    program.set("mix_b", mix);
    program.set("flip", look.flip);
    program.set("extent", extent);
    program.set("gamma", look.gamma);
    program.set("alpha", look.alpha);
    // Bars of a fitted picture stay transparent.
    if (extent[0] < 1 || extent[1] < 1) target.clear();
    gl.drawFullscreen(program, target);
    return true;
  }

  /** Frees the textures. */
  destroy(): void {
    for (const slot of this.#slots) {
      for (const texture of slot.planes) texture.destroy();
    }
    this.#slots.length = 0;
  }
}

/**
 * The half-size of the picture's quad in clip space: `[1, 1]` stretches
 * it over the target; `fit` shows all of it (bars where the aspect ratios
 * differ), `fill` covers the target (the rest cropped).
 */
export function aspectExtent(
  picture: number,
  target: number,
  aspect: PictureLook["aspect"],
): [number, number] {
  if (aspect === "stretch" || picture === target) return [1, 1];
  const wider = picture > target;
  if (aspect === "fit") {
    return wider ? [1, target / picture] : [picture / target, 1];
  }
  return wider ? [picture / target, 1] : [1, target / picture];
}

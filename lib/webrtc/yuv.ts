/**
 * I420 (YUV 4:2:0, three planes) helpers: plane layout, RGBA ⇄ I420 on the
 * CPU through libyuv (as bundled with wrtc), row flips, and the GLSL that
 * turns three R8 plane textures back into RGB on the GPU.
 *
 * Colours follow libyuv's BT.601 limited range ("I601"), the conversion the
 * wrtc binding uses for `rgbaToI420` and `i420ToRgba`:
 *
 * ```text
 * R = 1.164 (Y − 16)                   + 1.596 (V − 128)
 * G = 1.164 (Y − 16) − 0.391 (U − 128) − 0.813 (V − 128)
 * B = 1.164 (Y − 16) + 2.018 (U − 128)
 * ```
 *
 * The libyuv conversions ({@linkcode rgbaToI420}, {@linkcode i420ToRgba})
 * need the wrtc addon loaded (`await loadWrtc()`, see `_wrtc.ts`); the rest
 * is plain TypeScript and GLSL.
 *
 * @module
 */

import { requireWrtc } from "./_wrtc.ts";

/** Where the planes of a `width`×`height` I420 image lie in one buffer. */
export interface I420Layout {
  width: number;
  height: number;
  /** Width and height of the U and V planes (rounded up halves). */
  chromaWidth: number;
  chromaHeight: number;
  /** Bytes of the Y plane (it starts at 0). */
  ySize: number;
  /** Bytes of each chroma plane. */
  chromaSize: number;
  /** Offset of the U plane. */
  uOffset: number;
  /** Offset of the V plane. */
  vOffset: number;
  /** Bytes of the whole image. */
  size: number;
}

/** The plane layout of a `width`×`height` I420 image (rows top-down, no padding). */
export function i420Layout(width: number, height: number): I420Layout {
  const chromaWidth = (width + 1) >> 1;
  const chromaHeight = (height + 1) >> 1;
  const ySize = width * height;
  const chromaSize = chromaWidth * chromaHeight;
  return {
    width,
    height,
    chromaWidth,
    chromaHeight,
    ySize,
    chromaSize,
    uOffset: ySize,
    vOffset: ySize + chromaSize,
    size: ySize + 2 * chromaSize,
  };
}

/** The Y, U and V planes of `data` as views (no copies). */
export function i420Planes(
  data: Uint8Array,
  width: number,
  height: number,
): { y: Uint8Array; u: Uint8Array; v: Uint8Array; layout: I420Layout } {
  const layout = i420Layout(width, height);
  if (data.length < layout.size) {
    throw new RangeError(
      `I420 data of ${width}x${height} needs ${layout.size} bytes, got ${data.length}`,
    );
  }
  return {
    y: data.subarray(0, layout.ySize),
    u: data.subarray(layout.uOffset, layout.uOffset + layout.chromaSize),
    v: data.subarray(layout.vOffset, layout.vOffset + layout.chromaSize),
    layout,
  };
}

function checkEven(width: number, height: number, what: string): void {
  if (width <= 0 || height <= 0 || width % 2 !== 0 || height % 2 !== 0) {
    throw new RangeError(
      `${what}: size must be even and positive, got ${width}x${height}`,
    );
  }
}

/**
 * Converts top-down RGBA (`width`×`height`, even sizes) to I420 in `out`
 * (allocated when not given) and returns it. Needs the wrtc addon loaded
 * (`await loadWrtc()`).
 */
export function rgbaToI420(
  rgba: Uint8Array,
  width: number,
  height: number,
  out?: Uint8Array,
): Uint8Array {
  checkEven(width, height, "rgbaToI420");
  const size = i420Layout(width, height).size;
  if (rgba.length !== width * height * 4) {
    throw new RangeError(
      `rgbaToI420: RGBA of ${width}x${height} needs ${
        width * height * 4
      } bytes, got ${rgba.length}`,
    );
  }
  const target = out ?? new Uint8Array(size);
  requireWrtc("rgbaToI420").nonstandard.rgbaToI420(
    { width, height, data: rgba },
    {
      width,
      height,
      data: target.length === size ? target : target.subarray(0, size),
    },
  );
  return target;
}

/**
 * Converts I420 (`width`×`height`, even sizes) to top-down RGBA in `out`
 * (allocated when not given) and returns it. Needs the wrtc addon loaded
 * (`await loadWrtc()`). The `!webrtc` node converts received frames with it
 * on software renderers (see `FrameConversion` in `video_receiver.ts`).
 */
export function i420ToRgba(
  i420: Uint8Array,
  width: number,
  height: number,
  out?: Uint8Array,
): Uint8Array {
  checkEven(width, height, "i420ToRgba");
  const layout = i420Layout(width, height);
  if (i420.length < layout.size) {
    throw new RangeError(
      `i420ToRgba: I420 of ${width}x${height} needs ${layout.size} bytes, got ${i420.length}`,
    );
  }
  const target = out ?? new Uint8Array(width * height * 4);
  requireWrtc("i420ToRgba").nonstandard.i420ToRgba(
    {
      width,
      height,
      data: i420.length === layout.size ? i420 : i420.subarray(0, layout.size),
    },
    { width, height, data: target },
  );
  return target;
}

/**
 * Copies `rows` rows of `rowBytes` bytes from `src` to `dst` in reverse order
 * (the last row first). `src` and `dst` must not overlap.
 */
export function flipRows(
  src: Uint8Array,
  dst: Uint8Array,
  rowBytes: number,
  rows: number,
  srcOffset = 0,
  dstOffset = 0,
): void {
  for (let row = 0; row < rows; row++) {
    const from = srcOffset + row * rowBytes;
    dst.set(
      src.subarray(from, from + rowBytes),
      dstOffset + (rows - 1 - row) * rowBytes,
    );
  }
}

/** Copies an RGBA image to `dst` upside down. */
export function flipRgba(
  src: Uint8Array,
  dst: Uint8Array,
  width: number,
  height: number,
): void {
  flipRows(src, dst, width * 4, height);
}

/**
 * Copies an I420 image to `dst` upside down (each plane flipped). For even
 * heights this equals converting the flipped RGBA, since every 2×2 chroma
 * block covers the same two rows either way.
 */
export function flipI420(
  src: Uint8Array,
  dst: Uint8Array,
  width: number,
  height: number,
): void {
  const layout = i420Layout(width, height);
  flipRows(src, dst, width, height);
  flipRows(
    src,
    dst,
    layout.chromaWidth,
    layout.chromaHeight,
    layout.uOffset,
    layout.uOffset,
  );
  flipRows(
    src,
    dst,
    layout.chromaWidth,
    layout.chromaHeight,
    layout.vOffset,
    layout.vOffset,
  );
}

/**
 * Fragment shader (Flitter-style GLSL 3.30, translated to GLSL ES 3.00 by
 * `lib/gl`; use it with `DEFAULT_VERTEX_SOURCE`, which passes `coord`):
 * samples three single-channel (R8) textures `y_plane`, `u_plane`,
 * `v_plane` holding the I420 planes as uploaded row by row (first row =
 * top of the picture, so it samples `1 - coord.y`) and writes the RGB colour
 * (BT.601 limited range, libyuv's coefficients) with alpha 1. The decoded
 * values are sRGB-encoded; with `to_linear` = 1 they are converted to linear
 * light, as targets in this project hold (an `srgb8` target encodes them
 * again on write), with 0 written as they are.
 */
export const YUV_TO_RGB_FRAGMENT_SHADER = `#version 330
in vec2 coord;
out vec4 color;
uniform sampler2D y_plane;
uniform sampler2D u_plane;
uniform sampler2D v_plane;
uniform int to_linear;

vec3 srgb_to_linear(vec3 c) {
    return mix(pow((c + 0.055) / 1.055, vec3(2.4)), c / 12.92, step(c, vec3(0.04045)));
}

void main() {
    vec2 p = vec2(coord.x, 1.0 - coord.y);
    float y = texture(y_plane, p).r * 255.0 - 16.0;
    float u = texture(u_plane, p).r * 255.0 - 128.0;
    float v = texture(v_plane, p).r * 255.0 - 128.0;
    vec3 rgb = vec3(
        1.164 * y + 1.596 * v,
        1.164 * y - 0.391 * u - 0.813 * v,
        1.164 * y + 2.018 * u
    ) / 255.0;
    rgb = clamp(rgb, 0.0, 1.0);
    if (to_linear != 0) rgb = srgb_to_linear(rgb);
    color = vec4(rgb, 1.0);
}
`;

/**
 * The RGB (0–255) that the shader and libyuv give for one Y, U, V sample;
 * a CPU mirror of {@linkcode YUV_TO_RGB_FRAGMENT_SHADER} for tests.
 */
export function yuvToRgb(
  y: number,
  u: number,
  v: number,
): [number, number, number] {
  const c = 1.164 * (y - 16);
  const clamp = (x: number) => Math.min(255, Math.max(0, x));
  return [
    clamp(c + 1.596 * (v - 128)),
    clamp(c - 0.391 * (u - 128) - 0.813 * (v - 128)),
    clamp(c + 2.018 * (u - 128)),
  ];
}

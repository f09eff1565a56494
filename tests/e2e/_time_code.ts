/**
 * A time code in the pixels, for glass-to-glass latency: the sender's
 * shader draws a stamp (milliseconds since an epoch, 24 bits, with an 8-bit
 * check) as 32 black and white blocks across the middle of its picture; a
 * receiver reads a few rows there and decodes it, in RGBA pixels or in the
 * Y plane of an I420 frame. Used by `bench/call_bench.ts` (its endpoints)
 * and `bench/fanout_bench.ts` (its viewers).
 *
 * @module
 */

const CODE_BITS = 24;
const BLOCKS = 32;
const CHECK_SALT = 0xa5;

/**
 * The sender's fragment shader: a moving background and the code of the
 * `stamp` uniform (ms since the epoch, e.g. `stamp = "=(clock - EPOCH) *
 * 1000"`) across the middle fifth of the picture.
 */
export const TIME_CODE_FRAGMENT = `\${HEADER}
in vec2 coord;
out vec4 color;
uniform float time;
uniform float stamp;
uniform vec2 size;
void main() {
    if (coord.y > 0.4 && coord.y < 0.6) {
        float t = floor(stamp + 0.5);
        int block = int(floor(coord.x * ${BLOCKS}.0));
        float bit;
        if (block < ${CODE_BITS}) {
            bit = mod(floor(t / exp2(float(block))), 2.0);
        } else {
            float b0 = mod(t, 256.0);
            float b1 = mod(floor(t / 256.0), 256.0);
            float b2 = floor(t / 65536.0);
            float check = mod(b0 + b1 + b2 + ${CHECK_SALT}.0, 256.0);
            bit = mod(floor(check / exp2(float(block - ${CODE_BITS}))), 2.0);
        }
        color = vec4(vec3(bit), 1.0);
        return;
    }
    // Cheap moving content (llvmpipe pays per pixel): sliding bars and a ball.
    vec3 rgb = vec3(fract(coord.x * 3.0 + time * 0.25), fract(coord.y * 2.0 - time * 0.15), 0.5);
    vec2 ball = vec2(0.5 + 0.35 * sin(time * 1.1), 0.5 + 0.3 * cos(time * 0.7));
    vec2 d = (coord - ball) * vec2(size.x / size.y, 1.0);
    rgb = mix(rgb, vec3(1.0, 0.9, 0.2), step(dot(d, d), 0.01));
    color = vec4(rgb, 1.0);
}
`;

/**
 * Decodes the 32 blocks across `rows` rows of `width` pixels of
 * `bytesPerPixel` bytes (4 for RGBA, whose first three are averaged; 1 for
 * a Y plane). Returns the stamp, or `null` when the check does not match.
 */
export function decodeTimeCode(
  pixels: Uint8Array,
  width: number,
  rows: number,
  bytesPerPixel: 1 | 4,
): number | null {
  const channels = bytesPerPixel === 4 ? 3 : 1;
  // Y of black and white is 16 and 235 (limited range), RGB 0 and 255.
  const threshold = bytesPerPixel === 4 ? 127.5 : 125.5;
  let code = 0;
  let check = 0;
  const blockWidth = width / BLOCKS;
  for (let block = 0; block < BLOCKS; block++) {
    // The middle half of each block, away from the edges VP8 smears.
    const from = Math.round(block * blockWidth + blockWidth / 4);
    const to = Math.round((block + 1) * blockWidth - blockWidth / 4);
    let sum = 0;
    let count = 0;
    for (let row = 0; row < rows; row++) {
      for (let x = from; x < to; x++) {
        const i = (row * width + x) * bytesPerPixel;
        for (let c = 0; c < channels; c++) sum += pixels[i + c];
        count += channels;
      }
    }
    const bit = sum / count > threshold ? 1 : 0;
    if (block < CODE_BITS) code += bit * 2 ** block;
    else check += bit * 2 ** (block - CODE_BITS);
  }
  const expected =
    ((code & 0xff) + ((code >> 8) & 0xff) + (code >> 16) + CHECK_SALT) & 0xff;
  return check === expected ? code : null;
}

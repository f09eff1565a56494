import assert from "node:assert/strict";
import { GLContext } from "../../lib/gl/context.ts";
import { RenderTarget } from "../../lib/gl/texture.ts";
import { I420Packer } from "../../lib/webrtc/i420_packer.ts";
import { i420Planes, rgbaToI420 } from "../../lib/webrtc/yuv.ts";
import { loadWrtc } from "../../lib/webrtc/peer_session.ts";

await loadWrtc(); // libyuv (rgbaToI420) is the addon's

/** A deterministic, busy RGBA picture (rows top-down), every 2×2 block different. */
function pattern(width: number, height: number): Uint8Array<ArrayBuffer> {
  const rgba = new Uint8Array(width * height * 4);
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      const i = (y * width + x) * 4;
      rgba[i] = (x * 7 + y * 3) & 255;
      rgba[i + 1] = (x * y + 40) & 255;
      rgba[i + 2] = (255 - y * 5 + x) & 255;
      rgba[i + 3] = 255;
    }
  }
  return rgba;
}

/** Top-down rows → GL's bottom-up upload order. */
function bottomUp(
  rgba: Uint8Array,
  width: number,
  height: number,
): Uint8Array<ArrayBuffer> {
  const out = new Uint8Array(rgba.length);
  const row = width * 4;
  for (let y = 0; y < height; y++) {
    out.set(rgba.subarray(y * row, (y + 1) * row), (height - 1 - y) * row);
  }
  return out;
}

/** Largest difference between two planes, and where. */
function largestDifference(a: Uint8Array, b: Uint8Array): [number, number] {
  let worst = 0;
  let at = -1;
  for (let i = 0; i < a.length; i++) {
    const difference = Math.abs(a[i] - b[i]);
    if (difference > worst) [worst, at] = [difference, i];
  }
  return [worst, at];
}

for (const format of ["srgb8", "rgba8"] as const) {
  Deno.test(`the GPU packer gives libyuv's I420 (within 1 level), rows top-down, from an ${format} picture`, () => {
    const gl = GLContext.create();
    try {
      const packer = new I420Packer(gl);
      for (const [width, height] of [[64, 36], [160, 120]]) {
        const picture = pattern(width, height);
        const target = new RenderTarget(gl, width, height, format);
        // Stored bytes are the picture's bytes in both formats (sRGB bytes as they are).
        target.texture.upload(bottomUp(picture, width, height));
        const packed = packer.pack(target.texture);
        const expected = rgbaToI420(picture, width, height);
        assert.equal(packed.length, expected.length);
        const got = i420Planes(packed, width, height);
        const want = i420Planes(expected, width, height);
        for (const plane of ["y", "u", "v"] as const) {
          const [worst, at] = largestDifference(got[plane], want[plane]);
          assert.ok(
            worst <= 1,
            `${width}x${height} ${plane} plane: byte ${at} is ${
              got[plane][at]
            }, libyuv gives ${want[plane][at]}`,
          );
        }
        target.destroy();
      }
      packer.destroy();
    } finally {
      gl.destroy();
    }
  });
}

Deno.test("the GPU packer takes widths divisible by 8 and heights by 4 only, and says so", () => {
  assert.ok(I420Packer.supports(1280, 720));
  assert.ok(I420Packer.supports(1920, 1080));
  assert.ok(!I420Packer.supports(1284, 720));
  assert.ok(!I420Packer.supports(640, 362));
  const gl = GLContext.create();
  try {
    const target = new RenderTarget(gl, 20, 12, "srgb8");
    assert.throws(
      () => new I420Packer(gl).pack(target.texture),
      /20x12 needs a width divisible by 8 and a height by 4/,
    );
  } finally {
    gl.destroy();
  }
});

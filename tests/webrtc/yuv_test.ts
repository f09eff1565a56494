import assert from "node:assert/strict";
import {
  flipI420,
  flipRgba,
  i420Layout,
  i420Planes,
  i420ToRgba,
  rgbaToI420,
  yuvToRgb,
} from "../../lib/webrtc/yuv.ts";
import { loadWrtc } from "../../lib/webrtc/peer_session.ts";

await loadWrtc(); // libyuv (rgbaToI420, i420ToRgba) is the addon's

function solid(
  width: number,
  height: number,
  rgb: readonly number[],
): Uint8Array {
  const rgba = new Uint8Array(width * height * 4);
  for (let i = 0; i < rgba.length; i += 4) {
    rgba.set([rgb[0], rgb[1], rgb[2], 255], i);
  }
  return rgba;
}

/** A deterministic, non-uniform RGBA test image. */
function pattern(width: number, height: number): Uint8Array {
  const rgba = new Uint8Array(width * height * 4);
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      const i = (y * width + x) * 4;
      rgba[i] = (x * 7 + y * 3) & 255;
      rgba[i + 1] = (x * y) & 255;
      rgba[i + 2] = (255 - y * 5) & 255;
      rgba[i + 3] = 255;
    }
  }
  return rgba;
}

Deno.test("i420Layout places U after Y and V after U with half-size chroma planes", () => {
  assert.deepEqual(i420Layout(6, 4), {
    width: 6,
    height: 4,
    chromaWidth: 3,
    chromaHeight: 2,
    ySize: 24,
    chromaSize: 6,
    uOffset: 24,
    vOffset: 30,
    size: 36,
  });
  assert.equal(i420Layout(1280, 720).size, 1280 * 720 * 3 / 2);
});

Deno.test("rgbaToI420 uses libyuv's BT.601 limited range (white 235, black 16, red's V 240)", () => {
  const white = i420Planes(
    rgbaToI420(solid(4, 4, [255, 255, 255]), 4, 4),
    4,
    4,
  );
  assert.ok(white.y.every((v) => v === 235) && white.u.every((v) => v === 128));
  const black = i420Planes(rgbaToI420(solid(4, 4, [0, 0, 0]), 4, 4), 4, 4);
  assert.ok(black.y.every((v) => v === 16) && black.v.every((v) => v === 128));
  const red = i420Planes(rgbaToI420(solid(4, 4, [255, 0, 0]), 4, 4), 4, 4);
  assert.ok(Math.abs(red.y[0] - 82) <= 1, `Y of red ${red.y[0]}`);
  assert.ok(Math.abs(red.u[0] - 90) <= 1, `U of red ${red.u[0]}`);
  assert.ok(Math.abs(red.v[0] - 240) <= 1, `V of red ${red.v[0]}`);
});

Deno.test("yuvToRgb (the shader's formula) matches libyuv's i420ToRgba within 2 levels", () => {
  for (
    const rgb of [
      [200, 40, 40],
      [30, 160, 220],
      [240, 240, 240],
      [20, 20, 20],
      [0, 255, 0],
    ]
  ) {
    const i420 = rgbaToI420(solid(2, 2, rgb), 2, 2);
    const planes = i420Planes(i420, 2, 2);
    const libyuv = i420ToRgba(i420, 2, 2);
    const shader = yuvToRgb(planes.y[0], planes.u[0], planes.v[0]);
    for (let c = 0; c < 3; c++) {
      assert.ok(
        Math.abs(shader[c] - libyuv[c]) <= 2,
        `${rgb}: shader ${shader}, libyuv ${[...libyuv.subarray(0, 3)]}`,
      );
      assert.ok(
        Math.abs(libyuv[c] - rgb[c]) <= 3,
        `${rgb} came back as ${[...libyuv.subarray(0, 3)]}`,
      );
    }
  }
});

Deno.test("flipping the I420 planes equals converting the flipped RGBA", () => {
  const [w, h] = [16, 10];
  const rgba = pattern(w, h);
  const flippedRgba = new Uint8Array(rgba.length);
  flipRgba(rgba, flippedRgba, w, h);
  assert.deepEqual([...flippedRgba.subarray(0, 4)], [
    ...rgba.subarray((h - 1) * w * 4, (h - 1) * w * 4 + 4),
  ]);
  const viaRgba = rgbaToI420(flippedRgba, w, h);
  const viaI420 = new Uint8Array(viaRgba.length);
  flipI420(rgbaToI420(rgba, w, h), viaI420, w, h);
  assert.deepEqual(viaI420, viaRgba);
  assert.notDeepEqual(viaI420, rgbaToI420(rgba, w, h));
});

Deno.test("rgbaToI420 rejects odd sizes and wrong buffer lengths with a clear message", () => {
  assert.throws(() => rgbaToI420(new Uint8Array(3 * 2 * 4), 3, 2), /even/);
  assert.throws(
    () => rgbaToI420(new Uint8Array(10), 2, 2),
    /needs 16 bytes, got 10/,
  );
});

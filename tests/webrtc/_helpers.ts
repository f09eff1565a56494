/**
 * Shared helpers of the WebRTC tests: waiting for conditions, test images
 * and reading colours back out of received I420 frames.
 *
 * @module
 */

import { i420ToRgba } from "../../lib/webrtc/yuv.ts";
import type { ReceivedFrame } from "../../lib/webrtc/peer_session.ts";
import { waitFor as waitUntil } from "../_wait.ts";

/** RGB triple, 0–255. */
export type Rgb = readonly [number, number, number];

/** Resolves once `condition()` is true; rejects with `what` after `timeoutMs`. */
export function waitFor(
  condition: () => boolean,
  what: string,
  timeoutMs = 10_000,
): Promise<void> {
  return waitUntil(what, condition, timeoutMs, 20);
}

/**
 * An RGBA image whose top half is `top` and bottom half `bottom`, with rows
 * stored top-down, or bottom-up when `bottomUp` (as `glReadPixels` gives).
 */
export function halves(
  width: number,
  height: number,
  top: Rgb,
  bottom: Rgb,
  bottomUp: boolean,
): Uint8Array {
  const rgba = new Uint8Array(width * height * 4);
  for (let row = 0; row < height; row++) {
    const visualRow = bottomUp ? height - 1 - row : row;
    const [r, g, b] = visualRow < height / 2 ? top : bottom;
    for (let x = 0; x < width; x++) {
      const i = (row * width + x) * 4;
      rgba[i] = r;
      rgba[i + 1] = g;
      rgba[i + 2] = b;
      rgba[i + 3] = 255;
    }
  }
  return rgba;
}

/** Mean colour of a received frame's rows `[fromRow, toRow)` (fractions of the height), middle half of the width. */
export function meanColour(
  frame: ReceivedFrame,
  fromRow: number,
  toRow: number,
): Rgb {
  const rgba = i420ToRgba(frame.data, frame.width, frame.height);
  return meanOfRgba(rgba, frame.width, frame.height, fromRow, toRow);
}

/** Mean colour of top-down RGBA rows `[fromRow, toRow)` (fractions), middle half of the width. */
export function meanOfRgba(
  rgba: Uint8Array,
  width: number,
  height: number,
  fromRow: number,
  toRow: number,
): Rgb {
  const sum = [0, 0, 0];
  let n = 0;
  for (
    let y = Math.floor(fromRow * height);
    y < Math.floor(toRow * height);
    y++
  ) {
    for (let x = Math.floor(width / 4); x < Math.floor((3 * width) / 4); x++) {
      const i = (y * width + x) * 4;
      sum[0] += rgba[i];
      sum[1] += rgba[i + 1];
      sum[2] += rgba[i + 2];
      n++;
    }
  }
  return [sum[0] / n, sum[1] / n, sum[2] / n];
}

/** Whether every channel of `actual` is within `tolerance` of `expected`. */
export function near(actual: Rgb, expected: Rgb, tolerance: number): boolean {
  return actual.every((value, i) => Math.abs(value - expected[i]) <= tolerance);
}

/** `[r, g, b]` rounded, for messages. */
export function show(colour: Rgb): string {
  return `[${colour.map((c) => Math.round(c)).join(", ")}]`;
}

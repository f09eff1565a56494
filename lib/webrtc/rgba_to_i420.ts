/**
 * RGBA frames to I420 for the encoder, in buffers kept from frame to frame
 * (reallocated only when the size changes), rows put top-down: frames read
 * back from GL come bottom-up, and flipping the I420 planes after libyuv's
 * conversion was measured faster than flipping the RGBA rows before it.
 *
 * @module
 */

import { flipI420, i420Layout, rgbaToI420 } from "./yuv.ts";

/** Converts RGBA frames to I420 into buffers of its own. */
export class RgbaToI420 {
  #i420 = new Uint8Array(0);
  #flipped = new Uint8Array(0);

  /**
   * The I420 planes of `rgba` (`width`×`height`, even sizes; rows bottom-up
   * when `bottomUp`), rows top-down. The result is this converter's buffer,
   * overwritten by the next call.
   */
  convert(
    rgba: Uint8Array,
    width: number,
    height: number,
    bottomUp: boolean,
  ): Uint8Array {
    const size = i420Layout(width, height).size;
    if (this.#i420.length !== size) {
      this.#i420 = new Uint8Array(size);
      this.#flipped = new Uint8Array(size);
    }
    rgbaToI420(rgba, width, height, this.#i420);
    if (!bottomUp) return this.#i420;
    flipI420(this.#i420, this.#flipped, width, height);
    return this.#flipped;
  }
}

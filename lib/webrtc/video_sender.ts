/**
 * Sending a `!webrtc` node's picture: every frame of a call, the node's
 * 8-bit image (its composite, or a lone child passed through) becomes I420
 * in preallocated memory and goes to the peer session's encoder. Nothing
 * waits on the network.
 *
 * There are two ways to make the I420 (see {@linkcode SendConversion}):
 * reading RGBA back for libyuv, or packing the planes on the GPU with
 * {@linkcode I420Packer} and reading those back. Which is faster depends on
 * the machine, so by default a node on a GPU times both on its first frames
 * ({@linkcode FasterPath}) and keeps the faster; on software renderers it
 * uses libyuv straight away.
 *
 * @module
 */

import type { GLContext } from "../gl/context.ts";
import type { Texture } from "../gl/texture.ts";
import { getLogger } from "../log/logger.ts";
import { FasterPath } from "./faster_path.ts";
import { I420Packer } from "./i420_packer.ts";
import type { WrtcPeerSession } from "./peer_session.ts";
import { isSoftwareRenderer } from "./software_renderer.ts";

const log = getLogger("webrtc");

/**
 * How the picture to send becomes I420:
 * - `"cpu"`: read back as RGBA and converted by libyuv (`rgbaToI420`);
 * - `"gpu"`: packed into I420 by a shader pass and read back as such
 *   ({@linkcode I420Packer}; widths divisible by 8, heights by 4, else
 *   `"cpu"`);
 * - `"measure"`: each node times both on its first frames in a call (nine
 *   frames each) and keeps the faster ({@linkcode VideoSender.path});
 * - `"auto"` (default): `"cpu"` on software renderers, where the pass is
 *   far slower (measured on llvmpipe: 0.2 ms for read-back and libyuv
 *   against 17 ms for the pass at 1280x720; `bench/webrtc_convert_bench.ts`),
 *   so timing it would cost the first frames of each call; `"measure"` on
 *   hardware, where the pass may win (less to read back, no CPU work).
 *
 * Both give libyuv's BT.601 limited range, rows top-down (within a level).
 * Chosen per engine: `WebrtcNodeOptions.sendConversion`.
 */
export type SendConversion = "auto" | "measure" | "cpu" | "gpu";

/** The values of {@linkcode SendConversion}. */
export const SEND_CONVERSIONS: readonly SendConversion[] = [
  "auto",
  "measure",
  "cpu",
  "gpu",
];

/** Hands one node's picture to its peer session each frame (see the module documentation). */
export class VideoSender {
  readonly #mode: SendConversion;
  #pixels = new Uint8Array(0);
  #cropped = new Uint8Array(0);
  #packer: I420Packer | null = null;
  /** Times libyuv against the GPU packer for the picture size in `#sendPathSize`. */
  #sendPath = new FasterPath<"cpu" | "gpu">(["cpu", "gpu"]);
  #sendPathSize = "";

  /** @param mode how pictures become I420 (see {@linkcode SendConversion}) */
  constructor(mode: SendConversion = "auto") {
    this.#mode = mode;
  }

  /** The way this sender makes I420 once it has measured both (see {@linkcode SendConversion}), else `null`. */
  get path(): "cpu" | "gpu" | null {
    return this.#sendPath.chosen;
  }

  /** Reads `image` back (bottom-up rows, as stored) and hands it to the encoder of `session`. */
  send(gl: GLContext, image: Texture, session: WrtcPeerSession): void {
    const { width, height } = image;
    const path = this.#sendPathFor(gl, width, height);
    if (path === "gpu") {
      const started = performance.now();
      this.#packer ??= new I420Packer(gl);
      session.sendI420(this.#packer.pack(image), width, height);
      this.#timedSend("gpu", performance.now() - started);
      return;
    }
    const started = performance.now();
    const bytes = width * height * 4;
    if (this.#pixels.length !== bytes) this.#pixels = new Uint8Array(bytes);
    const pixels = gl.readTarget(image, this.#pixels, { flip: false });
    // I420 needs even sizes: drop the last column and the top row when odd.
    const evenWidth = width & ~1;
    const evenHeight = height & ~1;
    if (evenWidth === 0 || evenHeight === 0) return;
    let data: Uint8Array = pixels;
    if (evenWidth !== width) {
      const size = evenWidth * evenHeight * 4;
      if (this.#cropped.length !== size) this.#cropped = new Uint8Array(size);
      for (let row = 0; row < evenHeight; row++) {
        const from = row * width * 4;
        this.#cropped.set(
          pixels.subarray(from, from + evenWidth * 4),
          row * evenWidth * 4,
        );
      }
      data = this.#cropped;
    } else if (evenHeight !== height) {
      data = pixels.subarray(0, evenWidth * evenHeight * 4);
    }
    session.sendFrame(data, evenWidth, evenHeight, true);
    if (path === "cpu") this.#timedSend("cpu", performance.now() - started);
  }

  /** How to make this frame's I420: the mode set, or when measuring the path being timed or chosen (`null`: libyuv, untimed). */
  #sendPathFor(
    gl: GLContext,
    width: number,
    height: number,
  ): "cpu" | "gpu" | null {
    if (!I420Packer.supports(width, height)) return null;
    const mode = this.#mode;
    if (mode === "cpu" || mode === "gpu") return mode;
    if (mode === "auto" && isSoftwareRenderer(gl)) return null;
    const size = `${width}x${height}`;
    if (size !== this.#sendPathSize) {
      this.#sendPath = new FasterPath<"cpu" | "gpu">(["cpu", "gpu"]);
      this.#sendPathSize = size;
    }
    return this.#sendPath.next();
  }

  #timedSend(path: "cpu" | "gpu", ms: number): void {
    if (this.#mode === "cpu" || this.#mode === "gpu") return;
    const chosen = this.#sendPath.record(path, ms);
    if (chosen === null) return;
    const medians = this.#sendPath.medians();
    log.debug(
      `sending ${this.#sendPathSize}: ${
        chosen === "gpu"
          ? "I420 packed on the GPU"
          : "RGBA read back for libyuv"
      } (median ${medians[chosen]?.toFixed(2)} ms a frame, the other way ${
        medians[chosen === "gpu" ? "cpu" : "gpu"]?.toFixed(2)
      } ms)`,
    );
  }

  /** Frees the GPU packer's objects (the sender can still be used). */
  destroy(): void {
    this.#packer?.destroy();
    this.#packer = null;
  }
}

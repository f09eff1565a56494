/**
 * Receiving a `!webrtc` node's video: the peer's newest frame (I420, as
 * decoded) becomes an 8-bit sRGB texture at the node's size, the node's
 * output while a call is up. Only new frames cost anything; the same frame
 * at the same size is not converted again.
 *
 * There are two ways to convert (see {@linkcode FrameConversion}): a shader
 * drawing three R8 plane textures at the node's size, or libyuv on the CPU
 * with an upload (and a blit when the sizes differ), which is much cheaper
 * on software renderers.
 *
 * @module
 */

import { DEFAULT_VERTEX_SOURCE, type GLContext } from "../gl/context.ts";
import { ShaderProgram } from "../gl/shader.ts";
import { RenderTarget, Texture } from "../gl/texture.ts";
import type { ReceivedFrame } from "./peer_session.ts";
import { isSoftwareRenderer } from "./software_renderer.ts";
import {
  flipI420,
  i420Layout,
  i420ToRgba,
  YUV_TO_RGB_FRAGMENT_SHADER,
} from "./yuv.ts";

/**
 * Where received frames are converted from YUV to RGB:
 * - `"gpu"`: the three planes are uploaded as R8 textures and converted by
 *   {@linkcode YUV_TO_RGB_FRAGMENT_SHADER} while drawing at the node's size;
 * - `"cpu"`: libyuv converts to sRGB bytes, uploaded into an 8-bit sRGB
 *   texture (scaled by a blit only when the sizes differ);
 * - `"auto"` (default): `"cpu"` on software renderers (llvmpipe, softpipe),
 *   where the shader pass is the costly part (measured at 1280x720 on
 *   llvmpipe: about 15 ms for the pass, 0.3 ms for libyuv and the upload;
 *   see `bench/webrtc_convert_bench.ts`), `"gpu"` on hardware.
 *
 * Both give the same colours (libyuv's BT.601 limited range). Frames of
 * odd width or height always take the GPU path. Chosen per engine:
 * `WebrtcNodeOptions.frameConversion`.
 */
export type FrameConversion = "auto" | "cpu" | "gpu";

/** The values of {@linkcode FrameConversion}. */
export const FRAME_CONVERSIONS: readonly FrameConversion[] = [
  "auto",
  "cpu",
  "gpu",
];

/** Shows one node's received frames (see the module documentation). */
export class VideoReceiver {
  readonly #mode: FrameConversion;
  #program: ShaderProgram | null = null;
  #planes: [Texture, Texture, Texture] | null = null;
  #received: RenderTarget | null = null;
  #frameTarget: RenderTarget | null = null;
  #flipped = new Uint8Array(0);
  #rgba = new Uint8Array(0);
  #uploaded: ReceivedFrame | null = null;
  #shownWidth = 0;
  #shownHeight = 0;
  #shownOnCpu = false;
  #shown: Texture | null = null;

  /** @param mode where frames are converted (see {@linkcode FrameConversion}) */
  constructor(mode: FrameConversion = "auto") {
    this.#mode = mode;
  }

  /** The texture showing the peer's video, or `null` after {@linkcode hide} (and before the first frame). */
  get shown(): Texture | null {
    return this.#shown;
  }

  /** How the last frame was converted (`"cpu"`: libyuv, `"gpu"`: the shader), `null` before the first. */
  get path(): "cpu" | "gpu" | null {
    return this.#uploaded === null ? null : this.#shownOnCpu ? "cpu" : "gpu";
  }

  /** Whether `frame` is not the one converted last. */
  isNew(frame: ReceivedFrame): boolean {
    return frame !== this.#uploaded;
  }

  /** Puts `frame` into {@linkcode shown} at `width`×`height` (only new frames or sizes cost anything). */
  show(
    gl: GLContext,
    frame: ReceivedFrame,
    width: number,
    height: number,
  ): void {
    const even = frame.width % 2 === 0 && frame.height % 2 === 0;
    const cpu = even && this.#convertsOnCpu(gl);
    if (
      frame === this.#uploaded && cpu === this.#shownOnCpu &&
      width === this.#shownWidth && height === this.#shownHeight
    ) return;
    if (cpu) this.#showConvertedOnCpu(gl, frame, width, height);
    else this.#showConvertedOnGpu(gl, frame, width, height);
    this.#uploaded = frame;
    this.#shownWidth = width;
    this.#shownHeight = height;
    this.#shownOnCpu = cpu;
  }

  /** Shows nothing until the next new frame (the node shows its children). */
  hide(): void {
    this.#shown = null;
  }

  #convertsOnCpu(gl: GLContext): boolean {
    return this.#mode === "cpu" ||
      (this.#mode === "auto" && isSoftwareRenderer(gl));
  }

  /**
   * libyuv converts the frame to sRGB bytes (rows flipped to GL order first),
   * uploaded into an 8-bit sRGB target of the frame's size; a blit scales it
   * to the node's size when the sizes differ.
   */
  #showConvertedOnCpu(
    gl: GLContext,
    frame: ReceivedFrame,
    nodeWidth: number,
    nodeHeight: number,
  ): void {
    const { width, height } = frame;
    if (frame !== this.#uploaded) {
      const size = i420Layout(width, height).size;
      if (this.#flipped.length !== size) this.#flipped = new Uint8Array(size);
      if (this.#rgba.length !== width * height * 4) {
        this.#rgba = new Uint8Array(width * height * 4);
      }
      flipI420(frame.data, this.#flipped, width, height);
      i420ToRgba(this.#flipped, width, height, this.#rgba);
      if (this.#frameTarget === null) {
        this.#frameTarget = new RenderTarget(gl, width, height, "srgb8");
      } else this.#frameTarget.resize(width, height);
      this.#frameTarget.texture.upload(this.#rgba);
    }
    const frameTarget = this.#frameTarget!;
    if (width === nodeWidth && height === nodeHeight) {
      this.#shown = frameTarget.texture;
      return;
    }
    const received = this.#receivedTarget(gl, nodeWidth, nodeHeight);
    gl.copyTarget(frameTarget, received);
    this.#shown = received.texture;
  }

  /** Uploads the Y, U and V planes as R8 textures and draws them with the YUV shader at the node's size. */
  #showConvertedOnGpu(
    gl: GLContext,
    frame: ReceivedFrame,
    nodeWidth: number,
    nodeHeight: number,
  ): void {
    if (this.#program === null) {
      this.#program = ShaderProgram.compile(
        gl,
        DEFAULT_VERTEX_SOURCE,
        YUV_TO_RGB_FRAGMENT_SHADER,
        "!webrtc video",
      );
    }
    const layout = i420Layout(frame.width, frame.height);
    let planes = this.#planes;
    if (
      planes === null || planes[0].width !== frame.width ||
      planes[0].height !== frame.height
    ) {
      if (planes !== null) { for (const plane of planes) plane.destroy(); }
      planes = this.#planes = [
        new Texture(gl, frame.width, frame.height, "r8"),
        new Texture(gl, layout.chromaWidth, layout.chromaHeight, "r8"),
        new Texture(gl, layout.chromaWidth, layout.chromaHeight, "r8"),
      ];
    }
    const data = frame.data as Uint8Array<ArrayBuffer>;
    planes[0].upload(data.subarray(0, layout.ySize));
    planes[1].upload(
      data.subarray(layout.uOffset, layout.uOffset + layout.chromaSize),
    );
    planes[2].upload(
      data.subarray(layout.vOffset, layout.vOffset + layout.chromaSize),
    );
    const program = this.#program;
    program.use();
    program.set("y_plane", 0);
    program.set("u_plane", 1);
    program.set("v_plane", 2);
    program.set("to_linear", 1);
    // The planes keep the sampling they were made with (linear, clamped).
    for (let unit = 0; unit < 3; unit++) gl.bindTexture(unit, planes[unit].id);
    const received = this.#receivedTarget(gl, nodeWidth, nodeHeight);
    gl.drawFullscreen(program, received);
    this.#shown = received.texture;
  }

  /** The node-size 8-bit sRGB target for scaled or shader-converted frames. */
  #receivedTarget(gl: GLContext, width: number, height: number): RenderTarget {
    if (this.#received === null) {
      this.#received = new RenderTarget(gl, width, height, "srgb8");
    } else this.#received.resize(width, height);
    return this.#received;
  }

  /** Frees the GL objects; nothing is shown afterwards. */
  destroy(): void {
    this.#program?.destroy();
    this.#program = null;
    if (this.#planes !== null) {
      for (const plane of this.#planes) plane.destroy();
    }
    this.#planes = null;
    this.#received?.destroy();
    this.#received = null;
    this.#frameTarget?.destroy();
    this.#frameTarget = null;
    this.#uploaded = null;
    this.#shown = null;
  }
}

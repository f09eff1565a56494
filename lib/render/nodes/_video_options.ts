/**
 * Settings of the `!video` nodes of one engine, which scenes do not
 * choose (`EngineOptions.nodeOptions.video`), and the way frames reach the
 * GPU that follows from them and the renderer.
 *
 * @module
 */

import type { GLContext } from "../../gl/context.ts";
import { isSoftwareRenderer } from "../../gl/software_renderer.ts";
import { decodedAsRgba, type VideoInfo } from "../../media/video_probe.ts";

/** How frames reach the GPU (see {@linkcode VideoNodeOptions}). */
export type FrameLayoutChoice = "auto" | "i420" | "rgba";

const FRAME_LAYOUTS: readonly FrameLayoutChoice[] = ["auto", "i420", "rgba"];

/**
 * Settings of the `!video` nodes of one engine: given as
 * `EngineOptions.nodeOptions.video`.
 *
 * ```ts ignore
 * const engine = Engine.fromText(text, "clip.toml", {
 *   nodeOptions: { video: { frameLayout: "i420" } },
 * });
 * ```
 */
export interface VideoNodeOptions {
  /**
   * `"i420"`: 4:2:0 files hand their own planes to the GPU, which turns
   * them into RGB in the node's pass (least to upload); `"rgba"`: ffmpeg
   * converts every frame to RGBA (a plain pass); `"auto"` (default): RGBA
   * on software renderers, where the conversion pass costs more than
   * ffmpeg's converter running beside the render loop, planes elsewhere
   * (`bench/video_bench.ts` measures both). Files that are not 4:2:0 are
   * always converted to RGBA.
   */
  readonly frameLayout?: FrameLayoutChoice;
}

/**
 * `options` (an engine's `nodeOptions.video`, which the engine does not
 * check) as {@linkcode VideoNodeOptions}; throws a `TypeError` naming an
 * unknown option or a bad value.
 */
export function videoNodeOptions(
  options: object | undefined,
): VideoNodeOptions {
  if (options === undefined) return {};
  for (const [name, value] of Object.entries(options)) {
    if (name !== "frameLayout") {
      throw new TypeError(
        `nodeOptions.video.${name}: no such option (known: frameLayout)`,
      );
    }
    if (value !== undefined && !FRAME_LAYOUTS.includes(value)) {
      throw new TypeError(
        `nodeOptions.video.frameLayout: ${
          JSON.stringify(value)
        } is not one of "auto", "i420", "rgba"`,
      );
    }
  }
  return options as VideoNodeOptions;
}

/** The file as it is decoded for `gl` under `options`. */
export function decodedFor(
  gl: GLContext,
  info: VideoInfo,
  options: VideoNodeOptions,
): VideoInfo {
  const choice = options.frameLayout ?? "auto";
  const rgba = choice === "rgba" ||
    (choice === "auto" && isSoftwareRenderer(gl));
  return rgba ? decodedAsRgba(info) : info;
}

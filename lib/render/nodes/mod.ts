/**
 * Registers the render node kinds: `!window`, `!offscreen`, `!shader`,
 * `!reference`, `!transform`, `!feedback`, `!image`, `!record`. Import this
 * module for its side effect, or call {@linkcode registerRenderNodes}.
 *
 * @module
 */

import "./window.ts";
import "./shader.ts";
import "./reference.ts";
import "./transform.ts";
import "./feedback.ts";
import "./image.ts";
import "./record.ts";

export { OutputNode, PROGRAM_ATTRIBUTES } from "./window.ts";
export { ShaderNode } from "./shader.ts";
export { ReferenceNode } from "./reference.ts";
export { inverseTransform, TransformNode } from "./transform.ts";
export { FeedbackNode } from "./feedback.ts";
export { ImageNode } from "./image.ts";
export { IMAGE_REWRITE_MS, RecordNode, settleRecordings } from "./record.ts";

/** The render node kinds (registered when this module is imported). */
export const RENDER_NODE_KINDS: readonly string[] = [
  "window",
  "offscreen",
  "shader",
  "reference",
  "transform",
  "feedback",
  "image",
  "record",
];

/**
 * Makes sure the render node kinds are registered (importing this module
 * already did; calling it documents the dependency).
 */
export function registerRenderNodes(): readonly string[] {
  return RENDER_NODE_KINDS;
}

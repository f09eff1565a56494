/**
 * Registers the render node kinds: `!window`, `!offscreen`, `!shader`,
 * `!reference`, `!transform`, `!feedback`, `!image`, `!record`, and the
 * window input kinds `!key` and `!pointer`. Import this module for its side
 * effect.
 *
 * @module
 */

import "./window.ts";
import "./input.ts";
import "./shader.ts";
import "./reference.ts";
import "./transform.ts";
import "./feedback.ts";
import "./image.ts";
import "./record.ts";
import "./video.ts";

export { OutputNode } from "./window.ts";
export { InputNode, KeyNode, PointerNode } from "./input.ts";
export { ShaderNode } from "./shader.ts";
export { ReferenceNode } from "./reference.ts";
export { inverseTransform, TransformNode } from "./transform.ts";
export { FeedbackNode } from "./feedback.ts";
export { ImageNode } from "./image.ts";
export { IMAGE_REWRITE_MS, RecordNode } from "./record.ts";

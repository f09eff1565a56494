/**
 * Registers `!canvas` and its drawing commands (import for the side
 * effect): containers (`!group`, `!transform`, `!paint`, `!font`,
 * `!path`), path commands and `!fill`/`!stroke`/`!clip`, `!text`,
 * `!image`, and `!gradient`/`!stop`/`!blur`/`!shadow`/`!dash`.
 *
 * @module
 */

import "./containers.ts";
import "./path_commands.ts";
import "./text_command.ts";
import "./image_command.ts";
import "./effects.ts";
import "./canvas_node.ts";

export {
  CanvasNode,
  type CanvasNodeOptions,
  type CanvasTimings,
} from "./canvas_node.ts";
export type { CanvasConversion } from "./upload.ts";
export { CANVAS_KINDS, CanvasCommand } from "./command.ts";
export { loadSkia } from "./skia.ts";

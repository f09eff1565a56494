/**
 * Registers `!canvas3d` and the 3D node kinds that live inside it
 * (`!transform`, `!material`, `!light`, `!camera`, `!group`, `!box`,
 * `!sphere`, `!cylinder`, `!cone`, `!model`). Import this module for its
 * side effect.
 *
 * @module
 */

import "./nodes3d.ts";
import "./canvas3d_node.ts";

export { Canvas3DNode } from "./canvas3d_node.ts";
export { CANVAS3D_KINDS } from "./nodes3d.ts";

/**
 * `!shader`: runs a custom GLSL program (`fragment=`, `vertex=`) or, without
 * one, composites its children. Standard uniforms (`size time clock beat
 * tempo delta fps alpha gamma pass passes last first texture0…`) are set when
 * declared; any other numeric uniform takes the attribute of the same name.
 *
 * @module
 */

import { registerNodeKind } from "../../scene/node.ts";
import { PROGRAM_ATTRIBUTES, ProgramNode } from "../program_node.ts";

/** A `!shader` node. */
export class ShaderNode extends ProgramNode {
  /** Without `fragment=`, compositing a lone child is skipped (its image is the output). */
  protected override allowsPassThrough(): boolean {
    return true;
  }
}

registerNodeKind({
  name: "shader",
  attributes: PROGRAM_ATTRIBUTES,
  openAttributes: true,
  create: () => new ShaderNode(),
});

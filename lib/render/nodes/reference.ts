/**
 * `!reference id=ID`: the output of the node with `id=ID` elsewhere in the
 * scene (this frame's if it was rendered already, else the previous one).
 *
 * @module
 */

import type { Attributes } from "../../scene/attributes.ts";
import type { Texture } from "../../gl/texture.ts";
import {
  type Inherited,
  registerNodeKind,
  type RenderContext,
  SceneNode,
} from "../../scene/node.ts";

/** A `!reference` node. */
export class ReferenceNode extends SceneNode {
  #target: string | null = null;
  #node: SceneNode | null = null;

  /** The referenced node's output (or `null` when there is none). */
  override get output(): Texture | null {
    const node = this.#node;
    if (node === null || node === this) return null;
    return node.output;
  }

  /** Reads `id=`; keeps the parent's size. */
  prepare(
    _ctx: RenderContext,
    attrs: Attributes,
    inherited: Inherited,
  ): Inherited {
    this.#target = attrs.string("id", null);
    return inherited;
  }

  /** Looks the node up (after the children of earlier siblings rendered). */
  render(ctx: RenderContext): void {
    this.#node = this.#target === null
      ? null
      : ctx.lookup(this.#target) ?? null;
  }

  /** Forgets the node. */
  override destroy(): void {
    this.#node = null;
  }
}

registerNodeKind({
  name: "reference",
  attributes: ["id", "hidden", "size"],
  idRefersToOther: true,
  create: () => new ReferenceNode(),
});

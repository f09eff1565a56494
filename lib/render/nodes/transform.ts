/**
 * `!transform`: composites its children, then scales (`scale=`), rotates
 * clockwise (`rotate=` turns) and translates (`translate=` pixels, y up),
 * in that order, about the centre of the image. Outside the moved image is
 * transparent unless `border=`/`repeat=` say otherwise.
 *
 * @module
 */

import type { Attributes } from "../../scene/attributes.ts";
import { registerNodeKind } from "../../scene/node.ts";
import { transformFragmentSource } from "../glsl_library.ts";
import { PROGRAM_ATTRIBUTES, ProgramNode } from "../program_node.ts";

const NAMES: ReadonlySet<string> = new Set(["transform_matrix"]);

/**
 * Writes into `out` (column-major 3x3) the matrix that maps output pixels
 * (from the centre, y up) to input pixels: the inverse of translate ∘ rotate
 * ∘ scale, rotation clockwise by `turns`.
 */
export function inverseTransform(
  out: Float32Array | Int32Array,
  scale: readonly number[],
  turns: number,
  translate: readonly number[],
): void {
  const theta = turns * 2 * Math.PI;
  const c = Math.cos(theta), s = Math.sin(theta);
  const sx = scale[0] || 1e-9, sy = scale[1] || 1e-9;
  const [tx, ty] = translate;
  // q = S⁻¹ R⁻¹ (p − t), with R clockwise: R⁻¹ = [[c, −s], [s, c]].
  out[0] = c / sx;
  out[1] = s / sy;
  out[2] = 0;
  out[3] = -s / sx;
  out[4] = c / sy;
  out[5] = 0;
  out[6] = (-c * tx + s * ty) / sx;
  out[7] = (-s * tx - c * ty) / sy;
  out[8] = 1;
}

/** A `!transform` node. */
export class TransformNode extends ProgramNode {
  /** The transform of the children's composite. */
  protected override fragmentSource(
    attrs: Attributes,
    childCount: number,
  ): string {
    return transformFragmentSource(childCount, this.compositeMode(attrs));
  }

  /** `transform_matrix` comes from `scale=`, `rotate=`, `translate=`. */
  protected override nodeUniforms(): ReadonlySet<string> {
    return NAMES;
  }

  /** Computes `transform_matrix`. */
  protected override writeNodeUniform(
    _name: string,
    out: Float32Array | Int32Array,
  ): void {
    const attrs = this.attrs!;
    inverseTransform(
      out,
      attrs.vector("scale", 2, ONE),
      attrs.number("rotate", 0),
      attrs.vector("translate", 2, ZERO),
    );
  }
}

const ONE = [1, 1];
const ZERO = [0, 0];

registerNodeKind({
  name: "transform",
  attributes: [
    ...PROGRAM_ATTRIBUTES.filter((name) =>
      name !== "fragment" && name !== "vertex"
    ),
    "scale",
    "rotate",
    "translate",
  ],
  create: () => new TransformNode(),
});

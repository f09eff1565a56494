/**
 * `!feedback`: Flitter's analogue video-feedback loop. The previous output,
 * scaled (`scale=`), rotated (`rotate=` turns, clockwise) and moved
 * (`translate=` pixels, y down) per `timebase=` beats, is mixed with the
 * children's composite; `mixer=` (0..1) is how much of it is kept per
 * `timebase`. Outside the image samples the edge colour by default.
 *
 * @module
 */

import type { Attributes } from "../../scene/attributes.ts";
import { registerNodeKind } from "../../scene/node.ts";
import { feedbackFragmentSource } from "../glsl_library.ts";
import { PROGRAM_ATTRIBUTES, ProgramNode } from "../program_node.ts";

const DEFAULTS: Readonly<Record<string, readonly number[]>> = {
  alpha: [1],
  gamma: [1],
  mixer: [0],
  timebase: [1],
  glow: [0],
  translate: [0],
  scale: [1],
  rotate: [0],
};

/** A `!feedback` node. */
export class FeedbackNode extends ProgramNode {
  /** Flitter's feedback program over the children's composite. */
  protected override fragmentSource(
    attrs: Attributes,
    childCount: number,
  ): string {
    return feedbackFragmentSource(childCount, this.compositeMode(attrs));
  }

  /** Flitter's defaults (`timebase=1`, `scale=1`, the rest 0). */
  protected override uniformDefaults(): Readonly<
    Record<string, readonly number[]>
  > {
    return DEFAULTS;
  }

  /** Edge colour outside the image (Flitter's default for `!feedback`). */
  protected override defaultSampling(): {
    border: [number, number, number, number] | null;
    repeat: [boolean, boolean];
  } {
    return { border: null, repeat: [false, false] };
  }
}

registerNodeKind({
  name: "feedback",
  attributes: [
    ...PROGRAM_ATTRIBUTES.filter((name) =>
      name !== "fragment" && name !== "vertex" && name !== "passes"
    ),
    "mixer",
    "timebase",
    "glow",
    "translate",
    "scale",
    "rotate",
  ],
  create: () => new FeedbackNode(),
});

/**
 * `!window` and `!offscreen`: top-level nodes that composite their children
 * into an image (`size=` default 512x512, `colorbits=` default 16 for the
 * whole tree, `composite=`, `alpha=`, `gamma=`, or a custom `fragment=`).
 * There is no display here, so `!window` renders offscreen too; its output
 * can be referenced (`!reference id=…`), recorded or streamed.
 *
 * @module
 */

import { getLogger } from "../../log/logger.ts";
import type { Attributes } from "../../scene/attributes.ts";
import {
  type Inherited,
  registerNodeKind,
  type RenderContext,
  type Size,
} from "../../scene/node.ts";
import { PROGRAM_ATTRIBUTES, ProgramNode } from "../program_node.ts";

const log = getLogger("render");
let warnedNoDisplay = false;

/** A top-level compositing node (`!window`, `!offscreen`). */
export class OutputNode extends ProgramNode {
  /** @param kind the node kind, for messages */
  constructor(readonly kind: "window" | "offscreen") {
    super();
  }

  /** Plain compositing of a lone child is skipped (its image is the output). */
  protected override allowsPassThrough(): boolean {
    return true;
  }

  /** Top-level size default: what the engine passes (512x512 normally). */
  protected override defaultSize(inherited: Size): Size {
    return inherited;
  }

  /** `colorbits=` is also the default of the whole tree below. */
  protected override childColorbits(attrs: Attributes): number | null {
    return attrs.number("colorbits", null);
  }

  /** Notes once that `!window` renders offscreen. */
  override prepare(
    ctx: RenderContext,
    attrs: Attributes,
    inherited: Inherited,
  ): Inherited {
    if (this.kind === "window" && !warnedNoDisplay) {
      warnedNoDisplay = true;
      log.info("!window: no display here, rendering offscreen");
    }
    return super.prepare(ctx, attrs, inherited);
  }
}

for (const kind of ["window", "offscreen"] as const) {
  registerNodeKind({
    name: kind,
    attributes: [
      ...PROGRAM_ATTRIBUTES,
      ...(kind === "window"
        ? ["title", "screen", "fullscreen", "vsync", "linear"]
        : ["linear"]),
    ],
    openAttributes: true,
    create: () => new OutputNode(kind),
  });
}

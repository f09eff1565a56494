/**
 * `!window` and `!offscreen`: top-level nodes that composite their children
 * into an image (`size=` default 512x512, `colorbits=` default 16 for the
 * whole tree, `composite=`, `alpha=`, `gamma=`, or a custom `fragment=`).
 * A `!window` also shows that image in an on-screen window when the engine
 * has a display (`_window_screen.ts`: `title=`, `fullscreen=`, `screen=`,
 * `cursor=`, `vsync=`, and `!key`/`!pointer` children); otherwise, and
 * always for `!offscreen`, it renders offscreen. Either way its output is
 * the same image, which can be referenced (`!reference id=…`), recorded or
 * streamed.
 *
 * @module
 */

import type { Attributes } from "../../scene/attributes.ts";
import {
  type Inherited,
  registerNodeKind,
  type RenderContext,
  type SceneNode,
  type Size,
} from "../../scene/node.ts";
import { PROGRAM_ATTRIBUTES, ProgramNode } from "../program_node.ts";
import { WindowScreen } from "./_window_screen.ts";
import "./input.ts";

/** A top-level compositing node (`!window`, `!offscreen`). */
export class OutputNode extends ProgramNode {
  readonly #screen: WindowScreen | null;

  /** @param kind the node kind, for messages */
  constructor(readonly kind: "window" | "offscreen") {
    super();
    this.#screen = kind === "window" ? new WindowScreen() : null;
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

  /** Opens or updates the on-screen window (`!window` with a display). */
  override prepare(
    ctx: RenderContext,
    attrs: Attributes,
    inherited: Inherited,
  ): Inherited {
    const passed = super.prepare(ctx, attrs, inherited);
    this.#screen?.prepare(ctx, attrs, this.width, this.height);
    return passed;
  }

  /** Composites, then shows the picture in the window (if any). */
  override render(ctx: RenderContext, children: readonly SceneNode[]): void {
    try {
      super.render(ctx, children);
    } finally {
      this.#screen?.present(ctx, this.output, children);
    }
  }

  /** Closes the window and frees GL objects. */
  override destroy(): void {
    this.#screen?.close();
    super.destroy();
  }
}

for (const kind of ["window", "offscreen"] as const) {
  registerNodeKind({
    name: kind,
    attributes: [
      ...PROGRAM_ATTRIBUTES,
      ...(kind === "window"
        ? ["title", "screen", "fullscreen", "cursor", "vsync", "linear"]
        : ["linear"]),
    ],
    openAttributes: true,
    create: () => new OutputNode(kind),
  });
}

/**
 * Commands that hold other commands and change the state for them:
 * `!group` (transform, paint, font and a new path), `!transform`,
 * `!paint`, `!font` and `!path` (a new path). What they change, and what
 * `!gradient`, `!blur` and `!shadow` inside them change, ends with them.
 *
 * @module
 */

import type { Attributes } from "../scene/attributes.ts";
import { CanvasCommand, registerCanvasCommand } from "./command.ts";
import { type DrawContext, TRANSFORM_ATTRIBUTES } from "./draw_context.ts";
import { FONT_ATTRIBUTES, fontWith } from "./font.ts";
import { PAINT_ATTRIBUTES, paintWith } from "./paint.ts";

/** What a container changes. */
interface Scope {
  transform: boolean;
  paint: boolean;
  font: boolean;
  path: boolean;
}

/** A container command (see the module documentation). */
export class ContainerCommand extends CanvasCommand {
  /** @param scope what the container changes for the commands inside it */
  constructor(readonly scope: Scope) {
    super();
  }

  /** Draws the commands inside with the changed state, then restores it. */
  draw(dc: DrawContext): void {
    const attrs = this.attrs;
    if (attrs === null) return;
    dc.scoped(() => {
      applyScope(dc, this.scope, attrs);
      this.drawCommands(dc);
    });
  }
}

/** Changes `dc` as a container with `scope` and attributes `attrs` does. */
export function applyScope(
  dc: DrawContext,
  scope: Scope,
  attrs: Attributes,
): void {
  if (scope.transform) dc.transform(attrs);
  if (scope.paint) dc.paint = paintWith(dc.paint, attrs);
  if (scope.font) dc.font = fontWith(dc.font, attrs);
  if (scope.path) {
    dc.path = dc.newPath();
    dc.fillType(attrs);
  }
}

/** What `!group` (and `!canvas`) change. */
export const GROUP_SCOPE: Scope = {
  transform: true,
  paint: true,
  font: true,
  path: true,
};

/** Attributes of `!group` (and, with its own, `!canvas`). */
export const GROUP_ATTRIBUTES: readonly string[] = [
  ...TRANSFORM_ATTRIBUTES,
  ...PAINT_ATTRIBUTES,
  ...FONT_ATTRIBUTES,
  "fill_type",
];

const NONE: Scope = {
  transform: false,
  paint: false,
  font: false,
  path: false,
};

registerCanvasCommand(
  "group",
  GROUP_ATTRIBUTES,
  () => new ContainerCommand(GROUP_SCOPE),
);
registerCanvasCommand(
  "transform",
  TRANSFORM_ATTRIBUTES,
  () => new ContainerCommand({ ...NONE, transform: true }),
);
registerCanvasCommand(
  "paint",
  PAINT_ATTRIBUTES,
  () => new ContainerCommand({ ...NONE, paint: true }),
);
registerCanvasCommand(
  "font",
  FONT_ATTRIBUTES,
  () => new ContainerCommand({ ...NONE, font: true }),
);
registerCanvasCommand(
  "path",
  ["fill_type"],
  () => new ContainerCommand({ ...NONE, path: true }),
);

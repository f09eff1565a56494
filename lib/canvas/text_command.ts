/**
 * `!text text= point=`: a line of text in the current font and paint,
 * centred on `point` (the middle of the text's ink) unless `center=false`,
 * which puts the start of its baseline there. `stroke=true` outlines it
 * (and `fill=true` then fills it too). Font and paint attributes on the
 * command apply to it alone.
 *
 * @module
 */

import { CanvasCommand, registerCanvasCommand } from "./command.ts";
import type { DrawContext } from "./draw_context.ts";
import { FONT_ATTRIBUTES, fontWith } from "./font.ts";
import {
  applyFill,
  applyStroke,
  PAINT_ATTRIBUTES,
  paintWith,
} from "./paint.ts";

/** A `!text` command. */
class TextCommand extends CanvasCommand {
  draw(dc: DrawContext): void {
    const attrs = this.attrs;
    if (attrs === null) return;
    const text = attrs.string("text", null);
    if (text === null || text === "") return;
    const ctx = dc.ctx;
    const [x, y] = attrs.vector("point", 2, [0, 0]);
    const paint = paintWith(dc.paint, attrs);
    dc.useFont(fontWith(dc.font, attrs));
    ctx.textAlign = "left";
    ctx.textBaseline = "alphabetic";
    let left = x, baseline = y;
    if (attrs.boolean("center", true)) {
      const metrics = ctx.measureText(text);
      const inkLeft = -metrics.actualBoundingBoxLeft;
      const inkRight = metrics.actualBoundingBoxRight;
      const inkTop = -metrics.actualBoundingBoxAscent;
      const inkBottom = metrics.actualBoundingBoxDescent;
      left = x - (inkLeft + inkRight) / 2;
      baseline = y - (inkTop + inkBottom) / 2;
    }
    const stroke = attrs.boolean("stroke", false);
    const fill = attrs.boolean("fill", !stroke);
    if (fill) {
      applyFill(ctx, paint);
      ctx.fillText(text, left, baseline);
    }
    if (stroke) {
      applyStroke(ctx, paint);
      ctx.strokeText(text, left, baseline);
    }
  }
}

registerCanvasCommand(
  "text",
  [
    "text",
    "point",
    "center",
    "fill",
    "stroke",
    ...PAINT_ATTRIBUTES,
    ...FONT_ATTRIBUTES,
  ],
  () => new TextCommand(),
);

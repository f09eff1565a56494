/**
 * Path commands and what draws paths: `!move_to`, `!line_to`,
 * `!curve_to`, `!arc_to`, `!close`, `!arc`, `!rect`, `!ellipse`, `!line`
 * add to the current path (that of the enclosing `!path` or `!group`, or
 * the canvas's); `!fill`, `!stroke` and `!clip` draw it or clip to it, and
 * may be repeated. `!rect`, `!ellipse` and `!line` with `fill=true` or
 * `stroke=true` draw themselves at once instead, with their own paint
 * attributes. Points and sizes are in canvas units; angles in turns.
 *
 * @module
 */

import type { Attributes } from "../scene/attributes.ts";
import { asNumbers } from "../expr/values.ts";
import { CanvasCommand, registerCanvasCommand } from "./command.ts";
import type { DrawContext } from "./draw_context.ts";
import { PAINT_ATTRIBUTES, paintWith } from "./paint.ts";
import type { PathBuilder } from "./path_builder.ts";

/** A command that adds to a path. */
class PathCommand extends CanvasCommand {
  /** @param add adds this command's part to `path`; false when attributes are missing */
  constructor(
    readonly add: (path: PathBuilder, attrs: Attributes) => void,
  ) {
    super();
  }

  draw(dc: DrawContext): void {
    if (this.attrs !== null) this.add(dc.path, this.attrs);
  }
}

/** A shape (`!rect`, `!ellipse`, `!line`) that may draw itself (`fill=`, `stroke=`). */
class ShapeCommand extends PathCommand {
  override draw(dc: DrawContext): void {
    const attrs = this.attrs;
    if (attrs === null) return;
    const fill = attrs.boolean("fill", false);
    const stroke = attrs.boolean("stroke", false);
    if (!fill && !stroke) return this.add(dc.path, attrs);
    const path = dc.newPath();
    this.add(path, attrs);
    const paint = paintWith(dc.paint, attrs);
    if (fill) dc.fill(paint, path);
    if (stroke) dc.stroke(paint, path);
  }
}

/** `point=` of `attrs`; warns (once) when it is required and missing. */
function point(
  attrs: Attributes,
  name = "point",
  fallback: number[] | null = null,
): number[] | null {
  const value = attrs.vector(name, 2, fallback);
  if (value === null && !attrs.has(name)) {
    attrs.warnShape(name, null, `2 numbers (${name}= is required)`);
  }
  return value;
}

/** Registers a path command `!name`. */
function pathCommand(
  name: string,
  attributes: readonly string[],
  add: (path: PathBuilder, attrs: Attributes) => void,
  shape = false,
): void {
  registerCanvasCommand(
    name,
    shape ? [...attributes, "fill", "stroke", ...PAINT_ATTRIBUTES] : attributes,
    () => shape ? new ShapeCommand(add) : new PathCommand(add),
  );
}

pathCommand("move_to", ["point"], (path, attrs) => {
  const p = point(attrs);
  if (p !== null) path.moveTo(p[0], p[1]);
});

pathCommand("line_to", ["point"], (path, attrs) => {
  const p = point(attrs);
  if (p !== null) path.lineTo(p[0], p[1]);
});

pathCommand("curve_to", ["point", "c1", "c2"], (path, attrs) => {
  const p = point(attrs);
  const c1 = point(attrs, "c1");
  const c2 = attrs.vector("c2", 2, null);
  if (p !== null && c1 !== null) path.curveTo(c1, c2, p[0], p[1]);
});

pathCommand(
  "arc_to",
  ["point", "radius", "rotation", "large", "ccw"],
  (path, attrs) => {
    const p = point(attrs);
    const radius = point(attrs, "radius");
    if (p === null || radius === null) return;
    path.arcTo(
      radius[0],
      radius[1],
      attrs.number("rotation", 0),
      attrs.boolean("large", false),
      attrs.boolean("ccw", false),
      p[0],
      p[1],
    );
  },
);

pathCommand("close", [], (path) => path.close());

pathCommand(
  "arc",
  ["point", "radius", "start", "end", "sweep", "move_to"],
  (path, attrs) => {
    const center = attrs.vector("point", 2, [0, 0]);
    const radius = point(attrs, "radius");
    if (radius === null) return;
    const start = attrs.number("start", 0);
    const end = attrs.number("end", null);
    const sweep = attrs.number("sweep", end === null ? null : end - start);
    if (sweep === null) {
      attrs.warnShape("sweep", null, "a number (sweep= or end= is required)");
      return;
    }
    path.arc(
      center[0],
      center[1],
      radius[0],
      radius[1],
      start,
      sweep,
      attrs.boolean("move_to", false),
    );
  },
);

pathCommand("rect", ["point", "radius"], (path, attrs) => {
  const size = point(attrs, "size");
  if (size === null) return;
  const [x, y] = attrs.vector("point", 2, [0, 0]);
  const [rx, ry] = attrs.vector("radius", 2, [0, 0]);
  path.rect(x, y, size[0], size[1], rx, ry);
}, true);

pathCommand("ellipse", ["point", "radius"], (path, attrs) => {
  const radius = point(attrs, "radius");
  if (radius === null) return;
  const [x, y] = attrs.vector("point", 2, [0, 0]);
  path.ellipse(x, y, radius[0], radius[1]);
}, true);

pathCommand("line", ["points", "curve", "close"], (path, attrs) => {
  const value = attrs.get("points");
  const points = value === null ? null : asNumbers(value);
  if (points === null || points.length < 2) {
    attrs.warnShape("points", value, "x;y pairs (points= is required)");
    return;
  }
  path.polyline(
    points,
    attrs.number("curve", 0),
    attrs.boolean("close", false),
  );
}, true);

/** `!fill`, `!stroke`, `!clip`: draw the current path or clip to it. */
class PathUse extends CanvasCommand {
  constructor(readonly use: "fill" | "stroke" | "clip") {
    super();
  }

  draw(dc: DrawContext): void {
    const attrs = this.attrs;
    if (attrs === null) return;
    if (this.use === "clip") dc.ctx.clip(dc.path.path, dc.fillRule);
    else if (this.use === "fill") dc.fill(paintWith(dc.paint, attrs));
    else dc.stroke(paintWith(dc.paint, attrs));
  }
}

registerCanvasCommand("fill", PAINT_ATTRIBUTES, () => new PathUse("fill"));
registerCanvasCommand("stroke", PAINT_ATTRIBUTES, () => new PathUse("stroke"));
registerCanvasCommand("clip", [], () => new PathUse("clip"));

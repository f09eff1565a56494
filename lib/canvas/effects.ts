/**
 * Commands that change the paint of the commands after them (up to the end
 * of the enclosing container): `!gradient` (with `!stop` children) paints
 * with a linear (`start=`, `end=`) or radial (`point=`, `radius=`)
 * gradient instead of the colour; `!blur radius=` and
 * `!shadow radius= offset= color=` filter what is drawn (a filter inside
 * another is applied first, e.g. a `!blur` inside a `!shadow`). Radii are
 * Skia's (standard deviations), in canvas units. `!dash intervals=
 * offset=` dashes strokes (lengths on and off, repeated).
 *
 * @module
 */

import { CanvasCommand, registerCanvasCommand } from "./command.ts";
import type { DrawContext } from "./draw_context.ts";
import { asNumbers } from "../expr/values.ts";
import { colorAttribute, cssColor } from "./paint.ts";

/** `!stop color= offset=`: one colour of a gradient. */
class StopCommand extends CanvasCommand {
  /** Stops draw nothing themselves; their gradient reads them. */
  draw(): void {}

  /** The stop's linear colour, or `null` for the paint's. */
  get color(): number[] | null {
    return this.attrs === null ? null : colorAttribute(this.attrs);
  }

  /** The stop's offset (0..1), or `null` to spread the stops evenly. */
  get offset(): number | null {
    return this.attrs?.number("offset", null) ?? null;
  }
}

/** `!gradient`: see the module documentation. */
class GradientCommand extends CanvasCommand {
  draw(dc: DrawContext): void {
    const attrs = this.attrs;
    if (attrs === null) return;
    const stops = this.commands.filter((command) =>
      command instanceof StopCommand
    ) as StopCommand[];
    if (stops.length === 0) return;
    const start = attrs.vector("start", 2, null);
    const end = attrs.vector("end", 2, null);
    let gradient;
    if (start !== null && end !== null) {
      gradient = dc.ctx.createLinearGradient(
        start[0],
        start[1],
        end[0],
        end[1],
      );
    } else {
      const radius = attrs.vector("radius", 2, null);
      if (radius === null) {
        attrs.warnShape(
          "radius",
          attrs.get("radius"),
          "a number (a gradient needs start= and end=, or radius=)",
        );
        return;
      }
      if (radius[0] !== radius[1]) {
        attrs.warnShape(
          "radius",
          attrs.get("radius"),
          "one radius (radial gradients are circles here; the first is used)",
        );
      }
      const [x, y] = attrs.vector("point", 2, [0, 0]);
      gradient = dc.ctx.createRadialGradient(x, y, 0, x, y, radius[0]);
    }
    const last = Math.max(1, stops.length - 1);
    stops.forEach((stop, index) => {
      const offset = Math.min(1, Math.max(0, stop.offset ?? index / last));
      gradient.addColorStop(offset, cssColor(stop.color ?? dc.paint.rgba));
    });
    dc.paint = { ...dc.paint, shader: gradient };
  }
}

/** `!blur` and `!shadow`. */
class FilterCommand extends CanvasCommand {
  constructor(readonly shadow: boolean) {
    super();
  }

  /** This filter after those inside it, as a CSS filter list ("" when unusable). */
  chain(dc: DrawContext): string {
    const attrs = this.attrs;
    if (attrs === null) return "";
    const inputs = this.commands
      .filter((command) => command instanceof FilterCommand)
      .map((command) => (command as FilterCommand).chain(dc))
      .filter((text) => text !== "");
    const radius = attrs.vector("radius", 2, null);
    if (radius === null) {
      attrs.warnShape("radius", attrs.get("radius"), "a number (required)");
      return inputs.join(" ");
    }
    const sigma = Math.max(0, radius[0]);
    let own: string;
    if (this.shadow) {
      const [dx, dy] = attrs.vector("offset", 2, [0, 0]);
      const color = cssColor(colorAttribute(attrs) ?? dc.paint.rgba);
      // CSS drop-shadow takes a blur radius: twice the standard deviation.
      own = `drop-shadow(${dx}px ${dy}px ${2 * sigma}px ${color})`;
    } else own = `blur(${sigma}px)`;
    return [...inputs, own].join(" ");
  }

  draw(dc: DrawContext): void {
    const filter = this.chain(dc);
    if (filter !== "") dc.paint = { ...dc.paint, filter };
  }
}

/** `!dash intervals= offset=`. */
class DashCommand extends CanvasCommand {
  draw(dc: DrawContext): void {
    const attrs = this.attrs;
    if (attrs === null) return;
    const value = attrs.get("intervals");
    const intervals = value === null ? null : asNumbers(value);
    if (intervals === null || intervals.some((length) => !(length >= 0))) {
      attrs.warnShape("intervals", value, "lengths on and off (required)");
      return;
    }
    dc.paint = {
      ...dc.paint,
      dash: intervals,
      dashOffset: attrs.number("offset", 0),
    };
  }
}

registerCanvasCommand("stop", ["color", "offset"], () => new StopCommand());
registerCanvasCommand("dash", ["intervals", "offset"], () => new DashCommand());
registerCanvasCommand(
  "gradient",
  ["start", "end", "point", "radius"],
  () => new GradientCommand(),
);
registerCanvasCommand("blur", ["radius"], () => new FilterCommand(false));
registerCanvasCommand(
  "shadow",
  ["radius", "offset", "color"],
  () => new FilterCommand(true),
);

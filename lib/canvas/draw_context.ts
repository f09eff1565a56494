/**
 * The state a canvas draws its commands with: Skia's 2D context and the
 * current paint, font, path and fill rule, which containers (`!group`,
 * `!path`, `!transform`, `!paint`, `!font` and the canvas itself) change
 * for the commands inside them and restore after.
 *
 * @module
 */

import type { Attributes } from "../scene/attributes.ts";
import { formatProblem } from "../scene/errors.ts";
import { cssFont, DEFAULT_FONT, type Font, hasFamily } from "./font.ts";
import { applyFill, applyStroke, DEFAULT_PAINT, type Paint } from "./paint.ts";
import { PathBuilder } from "./path_builder.ts";
import type { Skia2D, SkiaModule } from "./skia.ts";

/** How a path's inside is decided (`fill_type=`). */
export type FillRule = "nonzero" | "evenodd";

const FILL_TYPES: Readonly<Record<string, FillRule>> = {
  winding: "nonzero",
  even_odd: "evenodd",
};

/** Attributes of a transform: translate, then rotate (turns), then scale. */
export const TRANSFORM_ATTRIBUTES: readonly string[] = [
  "translate",
  "rotate",
  "scale",
];

/** The drawing state of one redraw of a canvas. */
export class DrawContext {
  /** The paint of fills, strokes, text and images. */
  paint: Paint = DEFAULT_PAINT;
  /** The font of text. */
  font: Font = DEFAULT_FONT;
  /** The path that path commands add to and `!fill`/`!stroke` draw. */
  path: PathBuilder;
  /** The fill rule of `!fill` and `!clip`. */
  fillRule: FillRule = "nonzero";
  #appliedFont: Font | null = null;

  /**
   * @param ctx Skia's 2D context, reset (identity transform, no clip)
   * @param skia the `@napi-rs/canvas` module
   * @param warn logs a warning once (the message is its key)
   */
  constructor(
    readonly ctx: Skia2D,
    readonly skia: SkiaModule,
    readonly warn: (message: string) => void,
  ) {
    this.path = new PathBuilder(skia);
  }

  /** A new, empty path builder. */
  newPath(): PathBuilder {
    return new PathBuilder(this.skia);
  }

  /** Applies `translate=`, `rotate=` (turns), `scale=` of `attrs`, in that order. */
  transform(attrs: Attributes): void {
    const translate = attrs.vector("translate", 2, null);
    if (translate !== null) this.ctx.translate(translate[0], translate[1]);
    const rotate = attrs.number("rotate", null);
    if (rotate !== null) this.ctx.rotate(rotate * Math.PI * 2);
    const scale = attrs.vector("scale", 2, null);
    if (scale !== null) this.ctx.scale(scale[0], scale[1]);
  }

  /** Sets the fill rule from `fill_type=` of `attrs`, if given. */
  fillType(attrs: Attributes): void {
    const name = attrs.symbol("fill_type", null);
    if (name === null) return;
    const rule = FILL_TYPES[name];
    if (rule !== undefined) this.fillRule = rule;
    else {attrs.warnShape(
        "fill_type",
        attrs.get("fill_type"),
        ":winding or :even_odd",
      );}
  }

  /** Fills `path` (default: the current path) with `paint`. */
  fill(paint: Paint = this.paint, path: PathBuilder = this.path): void {
    applyFill(this.ctx, paint);
    this.ctx.fill(path.path, this.fillRule);
  }

  /** Strokes `path` (default: the current path) with `paint`. */
  stroke(paint: Paint = this.paint, path: PathBuilder = this.path): void {
    applyStroke(this.ctx, paint);
    this.ctx.stroke(path.path);
  }

  /**
   * Sets `font` on the context; a family Skia does not have is warned
   * about once, naming the place that asked for it, and the fallback font
   * draws instead.
   */
  useFont(font: Font): void {
    if (font === this.#appliedFont) return;
    this.#appliedFont = font;
    if (!hasFamily(this.skia, font.family)) {
      const problem = `font family "${font.family}" is not installed; ` +
        "text falls back to the default font (fc-list : family lists the installed families)";
      this.warn(
        font.familySetAt === null
          ? problem
          : formatProblem(font.familySetAt, problem),
      );
    }
    this.ctx.font = cssFont(font);
    this.ctx.fontStretch = font.width as Skia2D["fontStretch"];
  }

  /**
   * Runs `body` with the state saved (Skia's transform and clip included)
   * and restores it after.
   */
  scoped(body: () => void): void {
    const { paint, font, path, fillRule } = this;
    this.ctx.save();
    try {
      body();
    } finally {
      this.ctx.restore(); // (the context's font too)
      this.#appliedFont = null;
      this.paint = paint;
      this.font = font;
      this.path = path;
      this.fillRule = fillRule;
    }
  }
}

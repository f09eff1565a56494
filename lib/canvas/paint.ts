/**
 * Paint of canvas drawing commands: colour, stroke settings, blend mode,
 * anti-aliasing, a gradient and image filters, read from Flitter's paint
 * attributes (`color=`, `stroke_width=`, `stroke_join=`, `stroke_cap=`,
 * `composite=`, `antialias=`) and applied to Skia's 2D context.
 *
 * Colours in scenes are linear light, as everywhere in this project; Skia's
 * canvas works in sRGB, so they are encoded here (blending and gradients
 * then happen between sRGB-encoded values, as in a browser's canvas and in
 * Flitter's default 8-bit canvas).
 *
 * @module
 */

import type { Attributes } from "../scene/attributes.ts";
import type { Skia2D, SkiaGradient } from "./skia.ts";

/** What fills and strokes are drawn with; immutable, shared until changed. */
export interface Paint {
  /** The colour as CSS (sRGB-encoded), used when there is no gradient. */
  readonly color: string;
  /** The colour as linear RGBA (for defaults such as a shadow's colour). */
  readonly rgba: readonly number[];
  /** Line width of strokes, in canvas units. */
  readonly strokeWidth: number;
  /** How stroked corners are joined. */
  readonly join: CanvasLineJoin;
  /** How stroked ends are capped. */
  readonly cap: CanvasLineCap;
  /** Skia blend mode, as the canvas names it (`source-over`, `lighter`…). */
  readonly composite: string;
  /** Whether edges are anti-aliased. */
  readonly antialias: boolean;
  /** A gradient (`!gradient`) that replaces the colour, or `null`. */
  readonly shader: SkiaGradient | null;
  /** CSS filter list (`!blur`, `!shadow`), or `"none"`. */
  readonly filter: string;
  /** Dash pattern of strokes (`!dash`): on and off lengths; empty for solid. */
  readonly dash: readonly number[];
  /** How far into the dash pattern strokes start. */
  readonly dashOffset: number;
}

type CanvasLineJoin = "miter" | "round" | "bevel";
type CanvasLineCap = "butt" | "round" | "square";

/** The paint at the top of a canvas: opaque black, 1 unit strokes, as Flitter. */
export const DEFAULT_PAINT: Paint = {
  color: "rgb(0 0 0)",
  rgba: [0, 0, 0, 1],
  strokeWidth: 1,
  join: "miter",
  cap: "butt",
  composite: "source-over",
  antialias: true,
  shader: null,
  filter: "none",
  dash: [],
  dashOffset: 0,
};

/** Flitter's `composite=` names → the blend modes of Skia's canvas. */
const COMPOSITE: Readonly<Record<string, string>> = {
  clear: "clear",
  source: "copy",
  over: "source-over",
  dest_over: "destination-over",
  in: "source-in",
  dest_in: "destination-in",
  out: "source-out",
  dest_out: "destination-out",
  atop: "source-atop",
  dest_atop: "destination-atop",
  xor: "xor",
  add: "lighter",
  screen: "screen",
  overlay: "overlay",
  darken: "darken",
  lighten: "lighten",
  color_dodge: "color-dodge",
  color_burn: "color-burn",
  hard_light: "hard-light",
  soft_light: "soft-light",
  difference: "difference",
  exclusion: "exclusion",
  multiply: "multiply",
  hue: "hue",
  saturation: "saturation",
  color: "color",
  luminosity: "luminosity",
};

const JOINS = ["miter", "round", "bevel"] as const;
const CAPS = ["butt", "round", "square"] as const;

/** Names of the paint attributes. */
export const PAINT_ATTRIBUTES: readonly string[] = [
  "color",
  "stroke_width",
  "stroke_join",
  "stroke_cap",
  "composite",
  "antialias",
];

/** The sRGB encoding of one linear channel (0..1 clamped). */
export function encodeSrgb(linear: number): number {
  const c = Math.min(1, Math.max(0, linear));
  return c <= 0.0031308 ? c * 12.92 : 1.055 * Math.pow(c, 1 / 2.4) - 0.055;
}

/** CSS for a linear RGBA colour. */
export function cssColor(rgba: readonly number[]): string {
  const [r, g, b] = rgba.map((c) => (encodeSrgb(c) * 255).toFixed(2));
  const a = Math.min(1, Math.max(0, rgba[3] ?? 1));
  return `rgb(${r} ${g} ${b} / ${a.toFixed(4)})`;
}

/**
 * `color=` of `attrs` as linear RGBA (1 number: grey, 3: RGB, 4: RGBA, as
 * Flitter), or `null` when absent; a wrong shape is warned about once.
 */
export function colorAttribute(
  attrs: Attributes,
  name = "color",
): number[] | null {
  const value = attrs.get(name);
  if (value === null) return null;
  const numbers = Array.isArray(value) ? value : [value];
  if (
    numbers.every((item) => typeof item === "number") &&
    [1, 3, 4].includes(numbers.length)
  ) {
    const n = numbers as number[];
    if (n.length === 1) return [n[0], n[0], n[0], 1];
    return n.length === 3 ? [n[0], n[1], n[2], 1] : [...n];
  }
  attrs.warnShape(name, value, "1, 3 or 4 numbers (grey, RGB or RGBA)");
  return null;
}

/** `name=` as one of `choices`, else `null` (warned when present but not one). */
function choice<T extends string>(
  attrs: Attributes,
  name: string,
  choices: readonly T[],
): T | null {
  const value = attrs.symbol(name, null);
  if (value === null) return null;
  if ((choices as readonly string[]).includes(value)) return value as T;
  attrs.warnShape(
    name,
    attrs.get(name),
    `one of ${choices.map((c) => `:${c}`).join(" ")}`,
  );
  return null;
}

/**
 * `paint` changed by the paint attributes of `attrs` (the same object when
 * it has none). A colour replaces a gradient, as in Flitter.
 */
export function paintWith(paint: Paint, attrs: Attributes): Paint {
  let changed: Partial<{ -readonly [K in keyof Paint]: Paint[K] }> | null =
    null;
  const set = <K extends keyof Paint>(key: K, value: Paint[K]) => {
    changed ??= {};
    changed[key] = value;
  };
  const rgba = colorAttribute(attrs);
  if (rgba !== null) {
    set("rgba", rgba);
    set("color", cssColor(rgba));
    set("shader", null);
  }
  const width = attrs.number("stroke_width", null);
  if (width !== null) set("strokeWidth", width);
  const join = choice(attrs, "stroke_join", JOINS);
  if (join !== null) set("join", join);
  const cap = choice(attrs, "stroke_cap", CAPS);
  if (cap !== null) set("cap", cap);
  const composite = attrs.symbol("composite", null);
  if (composite !== null) {
    const mode = COMPOSITE[composite];
    if (mode !== undefined) set("composite", mode);
    else {
      attrs.warnShape(
        "composite",
        attrs.get("composite"),
        `a blend mode the canvas has (${
          Object.keys(COMPOSITE).map((name) => `:${name}`).join(" ")
        })`,
      );
    }
  }
  if (attrs.has("antialias")) {
    set("antialias", attrs.boolean("antialias", true));
  }
  return changed === null ? paint : { ...paint, ...(changed as object) };
}

/** Sets what fills and strokes have in common on `ctx`. */
function applyCommon(ctx: Skia2D, paint: Paint): void {
  ctx.globalCompositeOperation = paint.composite as GlobalCompositeOperation;
  (ctx as unknown as { antialias: string }).antialias = paint.antialias
    ? "default"
    : "none";
  ctx.filter = paint.filter;
}

type GlobalCompositeOperation = Skia2D["globalCompositeOperation"];

/** Prepares `ctx` to fill (shapes, text, images) with `paint`. */
export function applyFill(ctx: Skia2D, paint: Paint): void {
  applyCommon(ctx, paint);
  ctx.fillStyle = paint.shader ?? paint.color;
}

/** Prepares `ctx` to stroke with `paint`. */
export function applyStroke(ctx: Skia2D, paint: Paint): void {
  applyCommon(ctx, paint);
  ctx.strokeStyle = paint.shader ?? paint.color;
  ctx.lineWidth = paint.strokeWidth;
  ctx.lineJoin = paint.join;
  ctx.lineCap = paint.cap;
  ctx.setLineDash(paint.dash as number[]);
  ctx.lineDashOffset = paint.dashOffset;
}

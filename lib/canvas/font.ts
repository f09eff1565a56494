/**
 * Fonts of canvas text: Flitter's font attributes (`font_family=`,
 * `font_size=`, `font_weight=`, `font_slant=`, `font_width=`) and how they
 * become a CSS font for Skia's canvas.
 *
 * Families are looked up among the fonts `@napi-rs/canvas` knows: the
 * system's installed fonts (the folders fontconfig uses, such as
 * `/usr/share/fonts`, by the family names `fc-list : family` prints) and
 * any a program registers with its `GlobalFonts`. The CSS generic families
 * (`sans-serif`, `serif`, `monospace`…) map to installed fonts. Any other
 * family that is not known draws in the fallback font, with one warning
 * naming the scene file and the place that asked for it.
 *
 * @module
 */

import type { Attributes } from "../scene/attributes.ts";
import type { SceneLocation } from "../scene/errors.ts";
import type { SkiaModule } from "./skia.ts";

/** The font of text commands; immutable, shared until changed. */
export interface Font {
  /** Family name. */
  readonly family: string;
  /** Where the family was set, for the warning when it is missing (`null`: the default). */
  readonly familySetAt: SceneLocation | null;
  /** Size in canvas units (pixels before transforms). */
  readonly size: number;
  /** CSS weight, 1..1000. */
  readonly weight: number;
  /** `normal`, `italic` or `oblique`. */
  readonly slant: string;
  /** CSS font stretch keyword. */
  readonly width: string;
}

/** Text at the top of a canvas: 20 px (as Flitter) in the system's sans-serif. */
export const DEFAULT_FONT: Font = {
  family: "sans-serif",
  familySetAt: null,
  size: 20,
  weight: 400,
  slant: "normal",
  width: "normal",
};

/** Names of the font attributes. */
export const FONT_ATTRIBUTES: readonly string[] = [
  "font_family",
  "font_size",
  "font_weight",
  "font_slant",
  "font_width",
];

const WEIGHTS: Readonly<Record<string, number>> = {
  invisible: 1,
  thin: 100,
  extra_light: 200,
  light: 300,
  normal: 400,
  medium: 500,
  semi_bold: 600,
  bold: 700,
  extra_bold: 800,
  black: 900,
  extra_black: 1000,
};

const SLANTS: Readonly<Record<string, string>> = {
  upright: "normal",
  italic: "italic",
  oblique: "oblique",
};

const WIDTHS: Readonly<Record<string, string>> = {
  ultra_condensed: "ultra-condensed",
  extra_condensed: "extra-condensed",
  condensed: "condensed",
  semi_condensed: "semi-condensed",
  normal: "normal",
  semi_expanded: "semi-expanded",
  expanded: "expanded",
  extra_expanded: "extra-expanded",
  ultra_expanded: "ultra-expanded",
};

/** CSS generic families: always available (they map to installed fonts). */
const GENERIC_FAMILIES = new Set([
  "serif",
  "sans-serif",
  "monospace",
  "cursive",
  "fantasy",
  "system-ui",
  "emoji",
  "math",
  "fangsong",
  "ui-serif",
  "ui-sans-serif",
  "ui-monospace",
  "ui-rounded",
]);

/** `table[name=]`, warned about when present but not a key. */
function lookup<T>(
  attrs: Attributes,
  name: string,
  table: Readonly<Record<string, T>>,
): T | null {
  const value = attrs.symbol(name, null);
  if (value === null) return null;
  const found = table[value];
  if (found !== undefined) return found;
  attrs.warnShape(
    name,
    attrs.get(name),
    `one of ${Object.keys(table).map((key) => `:${key}`).join(" ")}`,
  );
  return null;
}

/** `font` changed by the font attributes of `attrs` (the same object when it has none). */
export function fontWith(font: Font, attrs: Attributes): Font {
  const family = attrs.string("font_family", null);
  const size = attrs.number("font_size", null);
  const weight = lookup(attrs, "font_weight", WEIGHTS);
  const slant = lookup(attrs, "font_slant", SLANTS);
  const width = lookup(attrs, "font_width", WIDTHS);
  if (
    family === null && size === null && weight === null && slant === null &&
    width === null
  ) return font;
  return {
    family: family ?? font.family,
    familySetAt: family !== null
      ? attrs.location("font_family")
      : font.familySetAt,
    size: size ?? font.size,
    weight: weight ?? font.weight,
    slant: slant ?? font.slant,
    width: width ?? font.width,
  };
}

/** The CSS `font` shorthand for `font` (the width goes to `fontStretch`). */
export function cssFont(font: Font): string {
  const family = GENERIC_FAMILIES.has(font.family)
    ? font.family
    : `"${font.family.replace(/["\\]/g, "\\$&")}"`;
  return `${font.slant} ${font.weight} ${Math.max(0, font.size)}px ${family}`;
}

/** Whether Skia has the family (generic families always count as present). */
export function hasFamily(skia: SkiaModule, family: string): boolean {
  return GENERIC_FAMILIES.has(family) || skia.GlobalFonts.has(family);
}

/**
 * Materials: the surface properties models are drawn with. A current
 * material passes down the 3D tree; `!canvas3d`, `!group`, `!material`
 * and models change it with their material attributes
 * ({@linkcode deriveMaterial}), which a node without any leaves as it is.
 *
 * Flitter's physically based set: `color=` (albedo, or a metal's
 * reflectance), `metal=`, `roughness=`, `ior=`, `ao=`, `emissive=`,
 * `transparency=`, and textures from other nodes' outputs by id
 * (`color_id=`/`texture_id=` and the like, with `border=`/`repeat=`).
 * The older Blinn–Phong names map onto it: `specular=` sets the
 * reflectance at normal incidence (instead of deriving it from `ior=`) and
 * `shininess=S` the roughness √(2 / (S + 2)).
 *
 * @module
 */

import type { Attributes } from "../scene/attributes.ts";
import { MATERIAL_ATTRIBUTES, TEXTURE_ATTRIBUTES } from "./attribute_names.ts";

/** Which material properties a texture may supply, in the shader's order. */
export const TEXTURE_PROPERTIES = [
  "color",
  "metal",
  "roughness",
  "ao",
  "emissive",
  "transparency",
] as const;

/** One of {@linkcode TEXTURE_PROPERTIES}. */
export type TextureProperty = typeof TEXTURE_PROPERTIES[number];

/** The surface of a model. */
export interface Material {
  /** Albedo (linear RGB). */
  readonly color: readonly number[];
  /** Light given off (linear RGB, may exceed 1). */
  readonly emissive: readonly number[];
  /** 0 dielectric … 1 metal. */
  readonly metal: number;
  /** 0 mirror-smooth … 1 matt. */
  readonly roughness: number;
  /** Ambient occlusion: ambient light is multiplied by it. */
  readonly ao: number;
  /** Index of refraction (reflectance of dielectrics). */
  readonly ior: number;
  /** 0 opaque … 1 fully transparent (diffuse light only). */
  readonly transparency: number;
  /** Reflectance at normal incidence set directly (`specular=`), else `null`. */
  readonly specular: readonly number[] | null;
  /** Node ids whose outputs supply properties, by property (`null`: none). */
  readonly textures: Readonly<Record<TextureProperty, string | null>>;
  /** Colour outside the textures (`border=`), or `null`. */
  readonly border: readonly [number, number, number, number] | null;
  /** Whether textures repeat in u and v (`repeat=`). */
  readonly repeat: readonly [boolean, boolean];
  /** The texture ids joined, to group instances drawn with the same textures. */
  readonly textureKey: string;
}

const NO_TEXTURES: Record<TextureProperty, string | null> = {
  color: null,
  metal: null,
  roughness: null,
  ao: null,
  emissive: null,
  transparency: null,
};

/** Flitter's canvas defaults: black, matt, dielectric, `ior=1.5`. */
export const DEFAULT_MATERIAL: Material = {
  color: [0, 0, 0],
  emissive: [0, 0, 0],
  metal: 0,
  roughness: 1,
  ao: 1,
  ior: 1.5,
  transparency: 0,
  specular: null,
  textures: NO_TEXTURES,
  border: null,
  repeat: [false, false],
  textureKey: "",
};

/** The material attribute names. */
export const MATERIAL_NAMES: ReadonlySet<string> = new Set(MATERIAL_ATTRIBUTES);

/** Whether `attrs` has any material attribute. */
export function hasMaterialAttributes(attrs: Attributes): boolean {
  for (const name of attrs.names()) {
    if (MATERIAL_NAMES.has(name) && attrs.has(name)) return true;
  }
  return false;
}

/** `parent` changed by the material attributes of `attrs` (`parent` itself when it has none). */
export function deriveMaterial(parent: Material, attrs: Attributes): Material {
  if (!hasMaterialAttributes(attrs)) return parent;
  const shininess = attrs.number("shininess", null);
  let textures = parent.textures;
  for (const property of TEXTURE_PROPERTIES) {
    for (const name of TEXTURE_ATTRIBUTES[property]) {
      if (!attrs.has(name)) continue;
      if (textures === parent.textures) textures = { ...parent.textures };
      (textures as Record<TextureProperty, string | null>)[property] = attrs
        .string(name, null);
      break;
    }
  }
  const border = attrs.vector("border", 4, null);
  const repeat = attrs.vector("repeat", 2, null);
  return {
    color: attrs.vector("color", 3, null) ?? parent.color,
    emissive: attrs.vector("emissive", 3, null) ?? parent.emissive,
    metal: clamp01(attrs.number("metal", parent.metal)),
    roughness: clamp01(
      attrs.number(
        "roughness",
        shininess === null
          ? parent.roughness
          : Math.sqrt(2 / (Math.max(0, shininess) + 2)),
      ),
    ),
    ao: clamp01(attrs.number("ao", parent.ao)),
    ior: Math.max(1, attrs.number("ior", parent.ior)),
    transparency: clamp01(attrs.number("transparency", parent.transparency)),
    specular: attrs.vector("specular", 3, null) ?? parent.specular,
    textures,
    border: border === null
      ? parent.border
      : [border[0], border[1], border[2], border[3]],
    repeat: repeat === null
      ? parent.repeat
      : [repeat[0] !== 0, repeat[1] !== 0],
    textureKey: textures === parent.textures
      ? parent.textureKey
      : TEXTURE_PROPERTIES.map((property) => textures[property] ?? "").join(
        "\u0000",
      ),
  };
}

function clamp01(value: number): number {
  return Number.isFinite(value) ? Math.min(1, Math.max(0, value)) : 0;
}

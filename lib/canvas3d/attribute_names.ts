/**
 * The attribute names of the 3D node kinds, by family (transforms,
 * materials, cameras, lights, models, render groups), so each kind lists
 * exactly what it reads and everything else gets the usual
 * unknown-attribute warning.
 *
 * @module
 */

/** `!transform` (and `!canvas3d`, `!group`): applied in the order written. */
export const TRANSFORM_ATTRIBUTES: readonly string[] = [
  "translate",
  "scale",
  "rotate",
  "rotate_x",
  "rotate_y",
  "rotate_z",
  "shear_x",
  "shear_y",
  "shear_z",
  "matrix",
];

/** Texture attributes of materials (node ids), with Flitter's older names. */
export const TEXTURE_ATTRIBUTES: Readonly<Record<string, readonly string[]>> = {
  color: ["color_id", "texture_id"],
  metal: ["metal_id", "metal_texture_id"],
  roughness: ["roughness_id", "roughness_texture_id"],
  ao: ["ao_id", "ao_texture_id"],
  emissive: ["emissive_id", "emissive_texture_id"],
  transparency: ["transparency_id", "transparency_texture_id"],
};

/** `!material` (and models, `!canvas3d`, `!group`). */
export const MATERIAL_ATTRIBUTES: readonly string[] = [
  "color",
  "metal",
  "roughness",
  "ior",
  "ao",
  "emissive",
  "transparency",
  "specular",
  "shininess",
  ...Object.values(TEXTURE_ATTRIBUTES).flat(),
  "border",
  "repeat",
];

/** `!camera` (and the default camera's on `!canvas3d`). */
export const CAMERA_ATTRIBUTES: readonly string[] = [
  "position",
  "viewpoint",
  "focus",
  "up",
  "orthographic",
  "fov",
  "fov_ref",
  "width",
  "near",
  "far",
  "samples",
  "fog_color",
  "fog_min",
  "fog_max",
  "fog_curve",
  "monochrome",
  "tint",
  "colorbits",
];

/** `!group` (and `!canvas3d`, the outermost group). */
export const GROUP_ATTRIBUTES: readonly string[] = [
  "max_lights",
  "depth_sort",
  "depth_test",
  "face_cull",
  "cull_face",
];

/** `!light`. */
export const LIGHT_ATTRIBUTES: readonly string[] = [
  "color",
  "position",
  "direction",
  "focus",
  "start",
  "end",
  "radius",
  "outer",
  "inner",
  "falloff",
];

/** Every model kind: placement, shading and material. */
export const MODEL_ATTRIBUTES: readonly string[] = [
  "position",
  "rotation",
  "start",
  "end",
  "radius",
  "invert",
  "flat",
  ...MATERIAL_ATTRIBUTES,
];

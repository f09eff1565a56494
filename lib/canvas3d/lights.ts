/**
 * Lights from `!light` attributes, in world coordinates, and their packing
 * for the shader. The kind follows from what is given, as in Flitter:
 * `color=` alone is ambient; with `direction=` directional; with
 * `position=` a point (a sphere with `radius=`); with `position=` and
 * `direction=` (or `focus=`) a spot (`outer=`, `inner=`: cone angles in
 * turns); with `start=` and `end=` a line. Point, spot and line lights fall
 * off as 1 / (A + B·d + C·d² + D·d³) with `falloff=A;B;C;D` (default
 * 0;0;1;0, the inverse square). A light with a zero colour is left out.
 *
 * @module
 */

import type { Attributes } from "../scene/attributes.ts";
import {
  type Mat4,
  normalize,
  transformDirection,
  transformPoint,
  type Vec3,
} from "./math3d.ts";

/** Light kinds, numbered as the shader has them. */
export const LightType = {
  ambient: 0,
  directional: 1,
  point: 2,
  spot: 3,
  line: 4,
} as const;

/** One light in world coordinates. */
export interface Light {
  readonly type: number;
  readonly color: readonly number[];
  /** Point and spot position, or a line's start. */
  readonly position: Vec3;
  /** Directional and spot direction (unit), or a line's end. */
  readonly direction: Vec3;
  readonly radius: number;
  /** Cosines of the spot's outer and inner half angles. */
  readonly outerCos: number;
  readonly innerCos: number;
  readonly falloff: readonly number[];
}

/** The light of `attrs` under `matrix`, or `null` when it gives no light. */
export function lightFrom(attrs: Attributes, matrix: Mat4): Light | null {
  const color = attrs.vector("color", 3, [0, 0, 0]);
  if (color[0] === 0 && color[1] === 0 && color[2] === 0) return null;
  const position = attrs.vector("position", 3, null);
  const start = attrs.vector("start", 3, null);
  const end = attrs.vector("end", 3, null);
  const direction = attrs.vector("direction", 3, null);
  const focus = attrs.vector("focus", 3, null);
  const falloff = attrs.vector("falloff", 4, [0, 0, 1, 0]);
  const radius = Math.max(0, attrs.number("radius", 0));
  const outer = attrs.number("outer", 0.25);
  const inner = Math.min(attrs.number("inner", 0), outer);
  const base = {
    color,
    radius,
    falloff,
    outerCos: Math.cos(Math.PI * Math.min(Math.max(outer, 0), 1)),
    innerCos: Math.cos(Math.PI * Math.min(Math.max(inner, 0), 1)),
  };
  if (start !== null && end !== null) {
    return {
      ...base,
      type: LightType.line,
      position: transformPoint(matrix, start),
      direction: transformPoint(matrix, end),
    };
  }
  let worldDirection: Vec3 | null = null;
  if (direction === null && focus !== null && position !== null) {
    const from = transformPoint(matrix, position);
    const to = transformPoint(matrix, focus);
    worldDirection = normalize(
      [to[0] - from[0], to[1] - from[1], to[2] - from[2]],
      [0, 0, -1],
    );
  } else if (direction !== null) {
    worldDirection = normalize(
      transformDirection(matrix, direction),
      [0, 0, -1],
    );
  }
  if (position !== null) {
    return {
      ...base,
      type: worldDirection === null ? LightType.point : LightType.spot,
      position: transformPoint(matrix, position),
      direction: worldDirection ?? [0, 0, -1],
    };
  }
  if (worldDirection !== null) {
    return {
      ...base,
      type: LightType.directional,
      position: [0, 0, 0],
      direction: worldDirection,
    };
  }
  return {
    ...base,
    type: LightType.ambient,
    position: [0, 0, 0],
    direction: [0, 0, -1],
  };
}

/** vec4s per light in the shader's `lights` array. */
export const LIGHT_VEC4S = 4;

/**
 * Writes `lights` (at most `limit`) into `out` as the shader reads them,
 * four vec4s each: colour and type; position and radius; direction and
 * outer cosine; falloff. Returns how many were written.
 */
export function packLights(
  lights: readonly Light[],
  limit: number,
  out: Float32Array,
): number {
  const count = Math.min(lights.length, limit);
  for (let i = 0; i < count; i++) {
    const light = lights[i];
    const o = i * LIGHT_VEC4S * 4;
    out[o] = light.color[0];
    out[o + 1] = light.color[1];
    out[o + 2] = light.color[2];
    out[o + 3] = light.type;
    out[o + 4] = light.position[0];
    out[o + 5] = light.position[1];
    out[o + 6] = light.position[2];
    out[o + 7] = light.radius;
    out[o + 8] = light.direction[0];
    out[o + 9] = light.direction[1];
    out[o + 10] = light.direction[2];
    out[o + 11] = light.outerCos;
    out[o + 12] = light.falloff[0];
    out[o + 13] = light.falloff[1];
    out[o + 14] = light.falloff[2];
    out[o + 15] = light.falloff[3];
  }
  return count;
}

/** The inner cosines, one float per light (a second, smaller array). */
export function packInnerCosines(
  lights: readonly Light[],
  limit: number,
  out: Float32Array,
): void {
  const count = Math.min(lights.length, limit);
  for (let i = 0; i < count; i++) out[i] = lights[i].innerCos;
}

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

/**
 * The lights of a group as the shader takes them, by kind so that each
 * kind's loop runs without branches: ambient lights summed into one colour;
 * directional lights as colour and direction (2 vec3 each); point, spot and
 * line lights in that order, 5 vec4 each: colour and radius; position (a
 * line's start) and the spot's outer cosine; a line's end (else the
 * position) and the spot's inner cosine; falloff; the spot's direction.
 */
export class PackedLights {
  /** Sum of the ambient lights. */
  readonly ambient: Float32Array<ArrayBuffer> = new Float32Array(3);
  /** Colour and direction of each directional light. */
  directional: Float32Array<ArrayBuffer> = new Float32Array(0);
  /** How many directional lights. */
  directionalCount = 0;
  /** The point, spot and line lights (see the class). */
  positional: Float32Array<ArrayBuffer> = new Float32Array(0);
  /** How many point, spot and line lights. */
  positionalCount = 0;
  /** How many of those are points (first), spots (next) and lines (last). */
  readonly kinds: [number, number, number] = [0, 0, 0];

  /** Packs the first `limit` of `lights`. */
  pack(lights: readonly Light[], limit: number): void {
    if (this.positional.length < limit * POSITIONAL_VEC4S * 4) {
      this.directional = new Float32Array(limit * DIRECTIONAL_VEC3S * 3);
      this.positional = new Float32Array(limit * POSITIONAL_VEC4S * 4);
    }
    this.ambient.fill(0);
    this.directionalCount = 0;
    this.positionalCount = 0;
    this.kinds.fill(0);
    const count = Math.min(lights.length, limit);
    for (let i = 0; i < count; i++) {
      const light = lights[i];
      const color = light.color;
      if (light.type === LightType.ambient) {
        for (let k = 0; k < 3; k++) this.ambient[k] += color[k];
      } else if (light.type === LightType.directional) {
        const o = this.directionalCount++ * DIRECTIONAL_VEC3S * 3;
        this.directional.set(color.slice(0, 3), o);
        this.directional.set(light.direction, o + 3);
      }
    }
    // Points, then spots, then lines: each kind has its own loop.
    const order = [LightType.point, LightType.spot, LightType.line];
    order.forEach((type, kind) => {
      for (let i = 0; i < count; i++) {
        if (lights[i].type !== type) continue;
        this.#packPositional(lights[i]);
        this.kinds[kind]++;
      }
    });
  }

  #packPositional(light: Light): void {
    const out = this.positional;
    const o = this.positionalCount++ * POSITIONAL_VEC4S * 4;
    const spot = light.type === LightType.spot;
    const line = light.type === LightType.line;
    out.set(light.color.slice(0, 3), o);
    out[o + 3] = light.radius;
    out.set(light.position, o + 4);
    out[o + 7] = spot ? light.outerCos : -2; // no cone: all directions
    out.set(line ? light.direction : light.position, o + 8);
    out[o + 11] = spot ? Math.max(light.innerCos, light.outerCos + 1e-4) : -1;
    out.set(light.falloff.slice(0, 4), o + 12);
    if (spot) out.set(light.direction, o + 16);
    else out.fill(0, o + 16, o + 19);
    out[o + 19] = 0;
  }
}

/** vec3s per directional light. */
export const DIRECTIONAL_VEC3S = 2;
/** vec4s per point, spot or line light. */
export const POSITIONAL_VEC4S = 5;

/**
 * Local transforms from attributes: a `!transform`'s (also on `!canvas3d`
 * and `!group`), applied in the order the scene writes them as Flitter
 * does, and a model's placement (`position=`, `rotation=`, `size=`, or
 * `start=`/`end=`/`radius=`).
 *
 * @module
 */

import type { Attributes } from "../scene/attributes.ts";
import { TRANSFORM_ATTRIBUTES } from "./attribute_names.ts";
import {
  axisRotation,
  eulerRotation,
  identity,
  type Mat4,
  multiply,
  quaternionRotation,
  scaling,
  shear,
  translation,
} from "./math3d.ts";

const STEP = new Float64Array(16);

/**
 * `matrix` times the transform attributes of `attrs`, each in the order
 * written (`translate=`, `scale=`, `rotate=` as 3 turns or a quaternion,
 * `rotate_x/y/z=`, `shear_x/y/z=`, `matrix=`), into `out`. Returns whether
 * any applied (when none, `out` is not written).
 */
export function applyTransforms(
  matrix: Mat4,
  attrs: Attributes,
  out: Mat4,
): boolean {
  let applied = false;
  for (const name of attrs.names()) {
    const step = transformStep(name, attrs);
    if (step === null) continue;
    multiply(applied ? out : matrix, step, out);
    applied = true;
  }
  return applied;
}

function transformStep(name: string, attrs: Attributes): Mat4 | null {
  switch (name) {
    case "translate": {
      const [x, y, z] = attrs.vector(name, 3, [0, 0, 0]);
      return translation(x, y, z, STEP);
    }
    case "scale": {
      const [x, y, z] = attrs.vector(name, 3, [1, 1, 1]);
      return scaling(x, y, z, STEP);
    }
    case "rotate": {
      const value = attrs.get(name);
      if (Array.isArray(value) && value.length === 4) {
        const quaternion = attrs.vector(name, 4, null);
        if (quaternion !== null) return quaternionRotation(quaternion, STEP);
      }
      return eulerRotation(attrs.vector(name, 3, [0, 0, 0]), STEP);
    }
    case "rotate_x":
    case "rotate_y":
    case "rotate_z":
      return axisRotation(
        name === "rotate_x" ? 0 : name === "rotate_y" ? 1 : 2,
        attrs.number(name, 0),
        STEP,
      );
    case "shear_x":
    case "shear_y":
    case "shear_z":
      return shear(
        name === "shear_x" ? 0 : name === "shear_y" ? 1 : 2,
        attrs.vector(name, 2, [0, 0]),
        STEP,
      );
    case "matrix": {
      const values = attrs.vector(name, 16, null);
      if (values === null) return null;
      STEP.set(values);
      return STEP;
    }
    default:
      return null;
  }
}

const IDENTITY = identity();

/** Names {@linkcode transformMatrix} reads. */
export const TRANSFORM_NAMES: ReadonlySet<string> = new Set(
  TRANSFORM_ATTRIBUTES,
);

/** Names {@linkcode placementMatrix} reads. */
export const PLACEMENT_NAMES: ReadonlySet<string> = new Set([
  "position",
  "rotation",
  "size",
  "start",
  "end",
  "radius",
]);

/** The local matrix of the transform attributes of `attrs`, or `null` when it has none. */
export function transformMatrix(attrs: Attributes): Mat4 | null {
  const out = new Float64Array(16);
  return applyTransforms(IDENTITY, attrs, out) ? out : null;
}

/** The local matrix of a model's placement attributes. */
export function placementMatrix(attrs: Attributes): Mat4 {
  return applyPlacement(IDENTITY, attrs, new Float64Array(16));
}

/**
 * `matrix` times a model's placement: `position=` × `rotation=` (turns) ×
 * `size=`, or with `start=` and `end=` the model's z axis from one to the
 * other scaled by `radius=` across; into `out`.
 */
export function applyPlacement(
  matrix: Mat4,
  attrs: Attributes,
  out: Mat4,
): Mat4 {
  const start = attrs.vector("start", 3, null);
  const end = attrs.vector("end", 3, null);
  if (start !== null && end !== null) {
    return multiply(matrix, alongSegment(start, end, attrs), out);
  }
  out.set(matrix);
  const position = attrs.vector("position", 3, null);
  if (position !== null) {
    multiply(
      out,
      translation(position[0], position[1], position[2], STEP),
      out,
    );
  }
  const rotation = attrs.vector("rotation", 3, null);
  if (rotation !== null) multiply(out, eulerRotation(rotation, STEP), out);
  const size = attrs.vector("size", 3, null);
  if (size !== null) {
    multiply(out, scaling(size[0], size[1], size[2], STEP), out);
  }
  return out;
}

const SEGMENT = new Float64Array(16);

/** Maps (0,0,±0.5) to `end`/`start` and x, y to `radius=` across. */
function alongSegment(
  start: number[],
  end: number[],
  attrs: Attributes,
): Mat4 {
  const radius = attrs.number("radius", 1);
  const d = [end[0] - start[0], end[1] - start[1], end[2] - start[2]];
  const length = Math.hypot(d[0], d[1], d[2]);
  const m = identity(SEGMENT);
  const z = length > 0 ? d.map((value) => value / length) : [0, 0, 1];
  // Any x, y perpendicular to z.
  const helper = Math.abs(z[0]) < 0.9 ? [1, 0, 0] : [0, 1, 0];
  const x = normalise(cross(helper, z));
  const y = cross(z, x);
  for (let i = 0; i < 3; i++) {
    m[i] = x[i] * radius;
    m[4 + i] = y[i] * radius;
    m[8 + i] = z[i] * length;
    m[12 + i] = (start[i] + end[i]) / 2;
  }
  return m;
}

function cross(a: number[], b: number[]): number[] {
  return [
    a[1] * b[2] - a[2] * b[1],
    a[2] * b[0] - a[0] * b[2],
    a[0] * b[1] - a[1] * b[0],
  ];
}

function normalise(v: number[]): number[] {
  const length = Math.hypot(v[0], v[1], v[2]) || 1;
  return v.map((value) => value / length);
}

/**
 * Cameras: settings from `!canvas3d` (the default camera) and `!camera`
 * nodes (whose unset attributes take the default camera's), and their view
 * and projection matrices.
 *
 * Without `viewpoint=` a camera of width W sits at 0;0;W/2 looking at the
 * origin with y up, so with the default `fov=0.25` (a quarter turn across,
 * `fov_ref=:horizontal`) the plane z=0 is seen one unit per pixel across;
 * `near=` defaults to 1, `far=` to 10·W, and an orthographic camera's `width=`
 * to W. `position=`, `focus=` and `up=` of a `!camera` go through the
 * transforms around it into world coordinates.
 *
 * @module
 */

import type { Attributes } from "../scene/attributes.ts";
import {
  lookAt,
  type Mat4,
  multiply,
  orthographic,
  perspective,
  transformDirection,
  transformPoint,
  type Vec3,
} from "./math3d.ts";

/** What `fov=` measures. */
export type FovReference =
  | "horizontal"
  | "vertical"
  | "diagonal"
  | "narrow"
  | "wide";

const FOV_REFERENCES: readonly string[] = [
  "horizontal",
  "vertical",
  "diagonal",
  "narrow",
  "wide",
];

/** A camera's settings (world coordinates; `null`: the size-dependent default). */
export interface CameraSettings {
  readonly position: Vec3 | null;
  readonly focus: Vec3;
  readonly up: Vec3;
  readonly orthographic: boolean;
  /** Field of view in turns. */
  readonly fov: number;
  readonly fovRef: FovReference;
  /** Width of an orthographic view in world units. */
  readonly width: number | null;
  readonly near: number;
  readonly far: number | null;
  readonly samples: number;
  readonly fogColor: readonly number[];
  readonly fogMin: number;
  readonly fogMax: number;
  readonly fogCurve: number;
  readonly monochrome: boolean;
  readonly tint: readonly number[];
  readonly colorbits: number | null;
  /** Picture size, or `null` for the canvas's. */
  readonly size: readonly [number, number] | null;
}

/** Settings when nothing is given. */
export const DEFAULT_CAMERA: CameraSettings = {
  position: null,
  focus: [0, 0, 0],
  up: [0, 1, 0],
  orthographic: false,
  fov: 0.25,
  fovRef: "horizontal",
  width: null,
  near: 1,
  far: null,
  samples: 0,
  fogColor: [0, 0, 0],
  fogMin: 0,
  fogMax: 0,
  fogCurve: 1,
  monochrome: false,
  tint: [1, 1, 1],
  colorbits: null,
  size: null,
};

/**
 * The settings of a camera with attributes `attrs` under the transform
 * `matrix` (`null`: none), unset ones taken from `base`.
 */
export function cameraSettings(
  attrs: Attributes,
  matrix: Mat4 | null,
  base: CameraSettings,
): CameraSettings {
  const point = (value: number[] | null, fallback: Vec3 | null) =>
    value === null
      ? fallback
      : matrix === null
      ? [value[0], value[1], value[2]] as Vec3
      : transformPoint(matrix, value);
  const position = attrs.vector("position", 3, null) ??
    attrs.vector("viewpoint", 3, null);
  const up = attrs.vector("up", 3, null);
  let fovRef = base.fovRef;
  const ref = attrs.symbol("fov_ref", null);
  if (ref !== null) {
    if (FOV_REFERENCES.includes(ref)) fovRef = ref as FovReference;
    else {
      attrs.warnShape(
        "fov_ref",
        attrs.get("fov_ref"),
        "one of :horizontal :vertical :diagonal :narrow :wide",
      );
    }
  }
  const size = attrs.vector("size", 2, null);
  return {
    position: point(position, base.position),
    focus: point(attrs.vector("focus", 3, null), base.focus)!,
    up: up === null
      ? base.up
      : matrix === null
      ? [up[0], up[1], up[2]]
      : transformDirection(matrix, up),
    orthographic: attrs.boolean("orthographic", base.orthographic),
    fov: attrs.number("fov", base.fov),
    fovRef,
    width: attrs.number("width", base.width),
    near: attrs.number("near", base.near),
    far: attrs.number("far", base.far),
    samples: Math.max(0, Math.round(attrs.number("samples", base.samples))),
    fogColor: attrs.vector("fog_color", 3, null) ?? base.fogColor,
    fogMin: attrs.number("fog_min", base.fogMin),
    fogMax: attrs.number("fog_max", base.fogMax),
    fogCurve: attrs.number("fog_curve", base.fogCurve),
    monochrome: attrs.boolean("monochrome", base.monochrome),
    tint: attrs.vector("tint", 3, null) ?? base.tint,
    colorbits: attrs.number("colorbits", base.colorbits),
    size: size === null
      ? base.size
      : [Math.max(1, Math.round(size[0])), Math.max(1, Math.round(size[1]))],
  };
}

/** A camera's matrices for a `width`×`height` picture. */
export interface CameraView {
  /** World → camera. */
  readonly view: Mat4;
  /** World → clip (projection × view). */
  readonly viewProjection: Mat4;
  /** The camera's position in world coordinates. */
  readonly position: Vec3;
  /** The direction it looks in (unit vector). */
  readonly direction: Vec3;
}

/** The matrices of `camera` for a `width`×`height` picture. */
export function cameraView(
  camera: CameraSettings,
  width: number,
  height: number,
): CameraView {
  const position = camera.position ?? [0, 0, width / 2];
  const view = lookAt(position, camera.focus, camera.up);
  const near = camera.near > 0 ? camera.near : 1;
  const far = camera.far !== null && camera.far > near
    ? camera.far
    : 10 * width;
  let projection: Mat4;
  if (camera.orthographic) {
    const w = camera.width ?? width;
    projection = orthographic(w, (w * height) / width, near, far);
  } else {
    const [sx, sy] = perspectiveScale(camera, width, height);
    projection = perspective(sx, sy, near, Math.max(far, near * 1.001));
  }
  const direction: Vec3 = [-view[2], -view[6], -view[10]];
  return {
    view,
    viewProjection: multiply(projection, view),
    position,
    direction,
  };
}

/** x and y scales of a perspective projection: 1 / tan of the half angles. */
function perspectiveScale(
  camera: CameraSettings,
  width: number,
  height: number,
): [number, number] {
  const fov = Math.min(Math.max(camera.fov, 1e-4), 0.4999);
  const half = Math.tan(fov * Math.PI);
  let reference = camera.fovRef;
  if (reference === "narrow") {
    reference = width <= height ? "horizontal" : "vertical";
  } else if (reference === "wide") {
    reference = width >= height ? "horizontal" : "vertical";
  }
  if (reference === "horizontal") {
    return [1 / half, width / height / half];
  }
  if (reference === "vertical") return [height / width / half, 1 / half];
  const diagonal = Math.hypot(width, height);
  return [diagonal / width / half, diagonal / height / half];
}

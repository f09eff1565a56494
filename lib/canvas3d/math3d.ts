/**
 * 4x4 matrices (column-major `Float64Array`s, as GL takes them) and the
 * transforms of 3D scenes: translation, scaling, rotations in turns (about
 * an axis, Flitter's z-then-y-then-x order, or a unit quaternion), shears,
 * camera views and projections. Functions that make a matrix write it into
 * `out` (allocated when not given) and return it.
 *
 * @module
 */

/** A 4x4 matrix, column-major. */
export type Mat4 = Float64Array;
/** A 3-vector. */
export type Vec3 = readonly [number, number, number];

const TAU = Math.PI * 2;

/** The identity. */
export function identity(out: Mat4 = new Float64Array(16)): Mat4 {
  out.fill(0);
  out[0] =
    out[5] =
    out[10] =
    out[15] =
      1;
  return out;
}

/** `a × b` (apply `b` first). `out` may be `a` or `b`. */
export function multiply(
  a: Mat4,
  b: Mat4,
  out: Mat4 = new Float64Array(16),
): Mat4 {
  const r = SCRATCH;
  for (let col = 0; col < 4; col++) {
    const b0 = b[col * 4], b1 = b[col * 4 + 1];
    const b2 = b[col * 4 + 2], b3 = b[col * 4 + 3];
    for (let row = 0; row < 4; row++) {
      r[col * 4 + row] = a[row] * b0 + a[4 + row] * b1 + a[8 + row] * b2 +
        a[12 + row] * b3;
    }
  }
  out.set(r);
  return out;
}

const SCRATCH = new Float64Array(16);

/** A translation. */
export function translation(
  x: number,
  y: number,
  z: number,
  out?: Mat4,
): Mat4 {
  const m = identity(out);
  m[12] = x;
  m[13] = y;
  m[14] = z;
  return m;
}

/** A scaling. */
export function scaling(x: number, y: number, z: number, out?: Mat4): Mat4 {
  const m = identity(out);
  m[0] = x;
  m[5] = y;
  m[10] = z;
  return m;
}

/** A rotation by `turns` about axis 0 (x), 1 (y) or 2 (z), anticlockwise looking down the axis. */
export function axisRotation(axis: 0 | 1 | 2, turns: number, out?: Mat4): Mat4 {
  const m = identity(out);
  const c = Math.cos(turns * TAU), s = Math.sin(turns * TAU);
  const i = (axis + 1) % 3, j = (axis + 2) % 3;
  m[i * 4 + i] = c;
  m[i * 4 + j] = s;
  m[j * 4 + i] = -s;
  m[j * 4 + j] = c;
  return m;
}

/**
 * Flitter's `rotate=tX;tY;tZ`: about z by `tZ` turns, then y, then x (so
 * the matrix is Rx × Ry × Rz).
 */
export function eulerRotation(turns: readonly number[], out?: Mat4): Mat4 {
  const m = axisRotation(0, turns[0], out);
  multiply(m, axisRotation(1, turns[1], TEMP), m);
  return multiply(m, axisRotation(2, turns[2], TEMP), m);
}

const TEMP = new Float64Array(16);

/** The rotation of the unit quaternion `w;x;y;z` (normalised first). */
export function quaternionRotation(q: readonly number[], out?: Mat4): Mat4 {
  const length = Math.hypot(q[0], q[1], q[2], q[3]) || 1;
  const w = q[0] / length, x = q[1] / length;
  const y = q[2] / length, z = q[3] / length;
  const m = identity(out);
  m[0] = 1 - 2 * (y * y + z * z);
  m[1] = 2 * (x * y + w * z);
  m[2] = 2 * (x * z - w * y);
  m[4] = 2 * (x * y - w * z);
  m[5] = 1 - 2 * (x * x + z * z);
  m[6] = 2 * (y * z + w * x);
  m[8] = 2 * (x * z + w * y);
  m[9] = 2 * (y * z - w * x);
  m[10] = 1 - 2 * (x * x + y * y);
  return m;
}

/**
 * A shear of axis `axis` (0 x, 1 y, 2 z) by the other two axes in order
 * (`shear_x=kY;kZ`: x' = x + kY·y + kZ·z).
 */
export function shear(
  axis: 0 | 1 | 2,
  k: readonly number[],
  out?: Mat4,
): Mat4 {
  const m = identity(out);
  const others = [0, 1, 2].filter((other) => other !== axis);
  m[others[0] * 4 + axis] = k[0];
  m[others[1] * 4 + axis] = k[1];
  return m;
}

/** The inverse of `m` (or the identity when `m` is singular). */
export function invert(m: Mat4, out: Mat4 = new Float64Array(16)): Mat4 {
  const a = m;
  const b00 = a[0] * a[5] - a[1] * a[4], b01 = a[0] * a[6] - a[2] * a[4];
  const b02 = a[0] * a[7] - a[3] * a[4], b03 = a[1] * a[6] - a[2] * a[5];
  const b04 = a[1] * a[7] - a[3] * a[5], b05 = a[2] * a[7] - a[3] * a[6];
  const b06 = a[8] * a[13] - a[9] * a[12], b07 = a[8] * a[14] - a[10] * a[12];
  const b08 = a[8] * a[15] - a[11] * a[12], b09 = a[9] * a[14] - a[10] * a[13];
  const b10 = a[9] * a[15] - a[11] * a[13], b11 = a[10] * a[15] - a[11] * a[14];
  const det = b00 * b11 - b01 * b10 + b02 * b09 + b03 * b08 - b04 * b07 +
    b05 * b06;
  if (det === 0 || !Number.isFinite(det)) return identity(out);
  const d = 1 / det;
  const r = SCRATCH;
  r[0] = (a[5] * b11 - a[6] * b10 + a[7] * b09) * d;
  r[1] = (a[2] * b10 - a[1] * b11 - a[3] * b09) * d;
  r[2] = (a[13] * b05 - a[14] * b04 + a[15] * b03) * d;
  r[3] = (a[10] * b04 - a[9] * b05 - a[11] * b03) * d;
  r[4] = (a[6] * b08 - a[4] * b11 - a[7] * b07) * d;
  r[5] = (a[0] * b11 - a[2] * b08 + a[3] * b07) * d;
  r[6] = (a[14] * b02 - a[12] * b05 - a[15] * b01) * d;
  r[7] = (a[8] * b05 - a[10] * b02 + a[11] * b01) * d;
  r[8] = (a[4] * b10 - a[5] * b08 + a[7] * b06) * d;
  r[9] = (a[1] * b08 - a[0] * b10 - a[3] * b06) * d;
  r[10] = (a[12] * b04 - a[13] * b02 + a[15] * b00) * d;
  r[11] = (a[9] * b02 - a[8] * b04 - a[11] * b00) * d;
  r[12] = (a[5] * b07 - a[4] * b09 - a[6] * b06) * d;
  r[13] = (a[0] * b09 - a[1] * b07 + a[2] * b06) * d;
  r[14] = (a[13] * b01 - a[12] * b03 - a[14] * b00) * d;
  r[15] = (a[8] * b03 - a[9] * b01 + a[10] * b00) * d;
  out.set(r);
  return out;
}

/**
 * Writes the normal matrix of `m` (the inverse transpose of its upper 3x3,
 * column-major) into `out` at `offset`.
 */
export function writeNormalMatrix(
  m: Mat4,
  out: Float32Array,
  offset: number,
): void {
  const a00 = m[0], a01 = m[1], a02 = m[2];
  const a10 = m[4], a11 = m[5], a12 = m[6];
  const a20 = m[8], a21 = m[9], a22 = m[10];
  const b01 = a22 * a11 - a12 * a21;
  const b11 = -a22 * a10 + a12 * a20;
  const b21 = a21 * a10 - a11 * a20;
  let det = a00 * b01 + a01 * b11 + a02 * b21;
  det = det === 0 ? 0 : 1 / det;
  // inverse (column-major), then transposed while writing.
  const i00 = b01 * det, i01 = (-a22 * a01 + a02 * a21) * det;
  const i02 = (a12 * a01 - a02 * a11) * det;
  const i10 = b11 * det, i11 = (a22 * a00 - a02 * a20) * det;
  const i12 = (-a12 * a00 + a02 * a10) * det;
  const i20 = b21 * det, i21 = (-a21 * a00 + a01 * a20) * det;
  const i22 = (a11 * a00 - a01 * a10) * det;
  out[offset] = i00;
  out[offset + 1] = i10;
  out[offset + 2] = i20;
  out[offset + 3] = i01;
  out[offset + 4] = i11;
  out[offset + 5] = i21;
  out[offset + 6] = i02;
  out[offset + 7] = i12;
  out[offset + 8] = i22;
}

/** `m` applied to the point `p`. */
export function transformPoint(m: Mat4, p: readonly number[]): Vec3 {
  const [x, y, z] = p;
  const w = m[3] * x + m[7] * y + m[11] * z + m[15] || 1;
  return [
    (m[0] * x + m[4] * y + m[8] * z + m[12]) / w,
    (m[1] * x + m[5] * y + m[9] * z + m[13]) / w,
    (m[2] * x + m[6] * y + m[10] * z + m[14]) / w,
  ];
}

/** `m` applied to the direction `d` (no translation). */
export function transformDirection(m: Mat4, d: readonly number[]): Vec3 {
  const [x, y, z] = d;
  return [
    m[0] * x + m[4] * y + m[8] * z,
    m[1] * x + m[5] * y + m[9] * z,
    m[2] * x + m[6] * y + m[10] * z,
  ];
}

/** `v` scaled to length 1 (`fallback` when it has none). */
export function normalize(v: readonly number[], fallback: Vec3): Vec3 {
  const length = Math.hypot(v[0], v[1], v[2]);
  if (!(length > 0) || !Number.isFinite(length)) return fallback;
  return [v[0] / length, v[1] / length, v[2] / length];
}

/** `a × b`. */
export function cross(a: readonly number[], b: readonly number[]): Vec3 {
  return [
    a[1] * b[2] - a[2] * b[1],
    a[2] * b[0] - a[0] * b[2],
    a[0] * b[1] - a[1] * b[0],
  ];
}

/**
 * The view matrix of a camera at `eye` looking at `focus` with `up` (made
 * perpendicular to the view direction); the camera looks down its −z.
 */
export function lookAt(
  eye: readonly number[],
  focus: readonly number[],
  up: readonly number[],
  out?: Mat4,
): Mat4 {
  const forward = normalize(
    [focus[0] - eye[0], focus[1] - eye[1], focus[2] - eye[2]],
    [0, 0, -1],
  );
  let side = normalize(cross(forward, up), [0, 0, 0]);
  if (side[0] === 0 && side[1] === 0 && side[2] === 0) {
    // `up` along the view: any perpendicular will do.
    side = normalize(
      cross(forward, Math.abs(forward[1]) < 0.9 ? [0, 1, 0] : [1, 0, 0]),
      [1, 0, 0],
    );
  }
  const trueUp = cross(side, forward);
  const m = identity(out);
  m[0] = side[0];
  m[4] = side[1];
  m[8] = side[2];
  m[1] = trueUp[0];
  m[5] = trueUp[1];
  m[9] = trueUp[2];
  m[2] = -forward[0];
  m[6] = -forward[1];
  m[10] = -forward[2];
  m[12] = -(side[0] * eye[0] + side[1] * eye[1] + side[2] * eye[2]);
  m[13] = -(trueUp[0] * eye[0] + trueUp[1] * eye[1] + trueUp[2] * eye[2]);
  m[14] = forward[0] * eye[0] + forward[1] * eye[1] + forward[2] * eye[2];
  return m;
}

/**
 * A perspective projection: x and y of camera space divided by −z are
 * multiplied by `sx` and `sy` (the cotangents of the half field of view).
 */
export function perspective(
  sx: number,
  sy: number,
  near: number,
  far: number,
  out?: Mat4,
): Mat4 {
  const m = identity(out);
  m[0] = sx;
  m[5] = sy;
  m[10] = (far + near) / (near - far);
  m[11] = -1;
  m[14] = (2 * far * near) / (near - far);
  m[15] = 0;
  return m;
}

/** An orthographic projection of a `width`×`height` window. */
export function orthographic(
  width: number,
  height: number,
  near: number,
  far: number,
  out?: Mat4,
): Mat4 {
  const m = identity(out);
  m[0] = 2 / width;
  m[5] = 2 / height;
  m[10] = -2 / (far - near);
  m[14] = -(far + near) / (far - near);
  return m;
}

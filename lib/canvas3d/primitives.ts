/**
 * The primitive models, each centred on its origin: `!box` (unit edges),
 * `!sphere` (unit radius, latitude–longitude, +z north), `!cylinder` and
 * `!cone` (unit radius and height along z, the cone's point at +z), with
 * flat faces flat and curved sides smooth, and Flitter's texture mappings.
 * {@linkcode primitiveMesh} builds each variant once and keeps it.
 *
 * @module
 */

import {
  flatMesh,
  invertedMesh,
  type MeshData,
  meshData,
  VERTEX_FLOATS,
} from "./mesh.ts";

/** The primitive kinds. */
export type PrimitiveKind = "box" | "sphere" | "cylinder" | "cone";

/** A variant of a primitive. */
export interface PrimitiveOptions {
  /** Edges around (sphere: rounded up to a multiple of 4, at least 4; others at least 2). */
  segments: number;
  /** Box texture mapping: Flitter's six slices, or each face the whole image. */
  uvMap: "standard" | "repeat";
  /** Every face shaded flat. */
  flat: boolean;
  /** Inside out. */
  invert: boolean;
}

const cache = new Map<string, MeshData>();
const CACHE_LIMIT = 256;

/** The mesh of a primitive variant (built once, then shared). */
export function primitiveMesh(
  kind: PrimitiveKind,
  options: PrimitiveOptions,
): MeshData {
  let segments = Math.round(options.segments);
  if (!Number.isFinite(segments)) segments = 64;
  if (kind === "sphere") segments = Math.max(4, Math.ceil(segments / 4) * 4);
  else segments = Math.max(2, segments);
  const key = `${kind}:${kind === "box" ? options.uvMap : segments}:${
    options.flat ? "f" : ""
  }${options.invert ? "i" : ""}`;
  let mesh = cache.get(key);
  if (mesh !== undefined) return mesh;
  mesh = kind === "box"
    ? boxMesh(options.uvMap)
    : kind === "sphere"
    ? sphereMesh(segments)
    : kind === "cylinder"
    ? cylinderMesh(segments)
    : coneMesh(segments);
  if (options.flat) mesh = flatMesh(mesh);
  if (options.invert) mesh = invertedMesh(mesh);
  if (cache.size >= CACHE_LIMIT) cache.delete(cache.keys().next().value!);
  cache.set(key, mesh);
  return mesh;
}

/** Collects vertices and triangles. */
class Builder {
  readonly vertices: number[] = [];
  readonly indices: number[] = [];

  /** Adds a vertex; returns its index. */
  vertex(p: readonly number[], n: readonly number[], u: number, v: number) {
    this.vertices.push(p[0], p[1], p[2], n[0], n[1], n[2], u, v);
    return this.vertices.length / VERTEX_FLOATS - 1;
  }

  /** Adds a triangle (anticlockwise seen from outside). */
  triangle(a: number, b: number, c: number): void {
    this.indices.push(a, b, c);
  }

  build(name: string): MeshData {
    return meshData(
      name,
      new Float32Array(this.vertices),
      new Uint32Array(this.indices),
    );
  }
}

/** Box faces in Flitter's texture order: normal and the face's "up". */
const BOX_FACES: ReadonlyArray<readonly [number[], number[]]> = [
  [[1, 0, 0], [0, 1, 0]],
  [[-1, 0, 0], [0, 1, 0]],
  [[0, 1, 0], [0, 0, -1]],
  [[0, -1, 0], [0, 0, 1]],
  [[0, 0, 1], [0, 1, 0]],
  [[0, 0, -1], [0, 1, 0]],
];

function boxMesh(uvMap: "standard" | "repeat"): MeshData {
  const builder = new Builder();
  BOX_FACES.forEach(([n, up], face) => {
    // Seen from outside, "right" is up × normal.
    const right = [
      up[1] * n[2] - up[2] * n[1],
      up[2] * n[0] - up[0] * n[2],
      up[0] * n[1] - up[1] * n[0],
    ];
    const corner = (s: number, t: number) => {
      const p = [0, 1, 2].map((axis) =>
        n[axis] * 0.5 + right[axis] * (s - 0.5) + up[axis] * (t - 0.5)
      );
      const u = uvMap === "repeat" ? s : (face + s) / 6;
      return builder.vertex(p, n, u, t);
    };
    const a = corner(0, 0), b = corner(1, 0);
    const c = corner(1, 1), d = corner(0, 1);
    builder.triangle(a, b, c);
    builder.triangle(a, c, d);
  });
  return builder.build("box");
}

function sphereMesh(segments: number): MeshData {
  const builder = new Builder();
  const rings = segments / 2;
  for (let ring = 0; ring <= rings; ring++) {
    const latitude = Math.PI * (ring / rings - 0.5); // south pole first
    const z = Math.sin(latitude), r = Math.cos(latitude);
    for (let i = 0; i <= segments; i++) {
      const longitude = (2 * Math.PI * i) / segments;
      const p = [r * Math.cos(longitude), r * Math.sin(longitude), z];
      builder.vertex(p, p, i / segments, ring / rings);
    }
  }
  const row = segments + 1;
  for (let ring = 0; ring < rings; ring++) {
    for (let i = 0; i < segments; i++) {
      const a = ring * row + i, b = a + 1;
      const c = a + row + 1, d = a + row;
      if (ring > 0) builder.triangle(a, b, c);
      if (ring < rings - 1) builder.triangle(a, c, d);
    }
  }
  return builder.build(`sphere(${segments})`);
}

function cylinderMesh(segments: number): MeshData {
  const builder = new Builder();
  const angle = (i: number) => (2 * Math.PI * i) / segments;
  // Sides: the middle half of the texture.
  for (let i = 0; i <= segments; i++) {
    const c = Math.cos(angle(i)), s = Math.sin(angle(i));
    builder.vertex([c, s, -0.5], [c, s, 0], i / segments, 0.25);
    builder.vertex([c, s, 0.5], [c, s, 0], i / segments, 0.75);
  }
  for (let i = 0; i < segments; i++) {
    const a = i * 2, b = a + 2;
    builder.triangle(a, b, b + 1);
    builder.triangle(a, b + 1, a + 1);
  }
  cap(builder, segments, -0.5, 0, 0.25);
  cap(builder, segments, 0.5, 1, 0.75);
  return builder.build(`cylinder(${segments})`);
}

/** A flat end at height `z` (facing −z when below the middle), its centre at texture row `v`. */
function cap(
  builder: Builder,
  segments: number,
  z: number,
  v: number,
  edgeV: number,
): void {
  const n = [0, 0, Math.sign(z)];
  for (let i = 0; i < segments; i++) {
    const a0 = (2 * Math.PI * i) / segments;
    const a1 = (2 * Math.PI * (i + 1)) / segments;
    const centre = builder.vertex([0, 0, z], n, (i + 0.5) / segments, v);
    const p0 = builder.vertex(
      [Math.cos(a0), Math.sin(a0), z],
      n,
      i / segments,
      edgeV,
    );
    const p1 = builder.vertex(
      [Math.cos(a1), Math.sin(a1), z],
      n,
      (i + 1) / segments,
      edgeV,
    );
    if (z > 0) builder.triangle(centre, p0, p1);
    else builder.triangle(centre, p1, p0);
  }
}

function coneMesh(segments: number): MeshData {
  const builder = new Builder();
  const k = Math.SQRT1_2; // unit radius and height: sides at 45°
  for (let i = 0; i < segments; i++) {
    const a0 = (2 * Math.PI * i) / segments;
    const a1 = (2 * Math.PI * (i + 1)) / segments;
    const am = (a0 + a1) / 2;
    const p0 = builder.vertex(
      [Math.cos(a0), Math.sin(a0), -0.5],
      [Math.cos(a0) * k, Math.sin(a0) * k, k],
      i / segments,
      0.25,
    );
    const p1 = builder.vertex(
      [Math.cos(a1), Math.sin(a1), -0.5],
      [Math.cos(a1) * k, Math.sin(a1) * k, k],
      (i + 1) / segments,
      0.25,
    );
    const tip = builder.vertex(
      [0, 0, 0.5],
      [Math.cos(am) * k, Math.sin(am) * k, k],
      (i + 0.5) / segments,
      1,
    );
    builder.triangle(p0, p1, tip);
  }
  cap(builder, segments, -0.5, 0, 0.25);
  return builder.build(`cone(${segments})`);
}

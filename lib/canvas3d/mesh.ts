/**
 * Triangle meshes on the CPU: {@linkcode MeshData} (interleaved position,
 * normal and texture coordinate per vertex, triangles as indices), made
 * from raw triangles with computed normals, and the derived meshes a model
 * node can ask for: flat-shaded (every face its own vertices) and inverted
 * (normals and windings reversed, to render the inside).
 *
 * @module
 */

/** Floats per vertex: position (3), normal (3), texture coordinate (2). */
export const VERTEX_FLOATS = 8;

/** A triangle mesh ready for upload. Faces wind anticlockwise seen from outside. */
export interface MeshData {
  /** A name for messages and caches (`box`, `sphere(64)`, a file path…). */
  readonly name: string;
  /** `VERTEX_FLOATS` floats per vertex. */
  readonly vertices: Float32Array<ArrayBuffer>;
  /** Three vertex indices per triangle. */
  readonly indices: Uint32Array<ArrayBuffer>;
  /** Smallest x, y, z of the vertices. */
  readonly min: readonly [number, number, number];
  /** Largest x, y, z of the vertices. */
  readonly max: readonly [number, number, number];
}

/** A mesh from interleaved vertices and indices (bounds computed). */
export function meshData(
  name: string,
  vertices: Float32Array<ArrayBuffer>,
  indices: Uint32Array<ArrayBuffer>,
): MeshData {
  const min: [number, number, number] = [Infinity, Infinity, Infinity];
  const max: [number, number, number] = [-Infinity, -Infinity, -Infinity];
  for (let i = 0; i < vertices.length; i += VERTEX_FLOATS) {
    for (let axis = 0; axis < 3; axis++) {
      const value = vertices[i + axis];
      if (value < min[axis]) min[axis] = value;
      if (value > max[axis]) max[axis] = value;
    }
  }
  if (vertices.length === 0) {
    min.fill(0);
    max.fill(0);
  }
  return { name, vertices, indices, min, max };
}

/**
 * A mesh from positions (3 per vertex), triangles (3 indices each, in
 * range) and optional texture coordinates (2 per vertex); normals are the
 * area-weighted average of the faces around each vertex (smooth shading).
 */
export function meshFromTriangles(
  name: string,
  positions: ArrayLike<number>,
  triangles: ArrayLike<number>,
  uvs: ArrayLike<number> | null = null,
): MeshData {
  const count = Math.floor(positions.length / 3);
  const normals = new Float64Array(count * 3);
  for (let t = 0; t + 2 < triangles.length; t += 3) {
    const a = triangles[t], b = triangles[t + 1], c = triangles[t + 2];
    const [nx, ny, nz] = faceNormal(positions, a, b, c);
    for (const index of [a, b, c]) {
      normals[index * 3] += nx;
      normals[index * 3 + 1] += ny;
      normals[index * 3 + 2] += nz;
    }
  }
  const vertices = new Float32Array(count * VERTEX_FLOATS);
  for (let i = 0; i < count; i++) {
    const o = i * VERTEX_FLOATS;
    vertices[o] = positions[i * 3];
    vertices[o + 1] = positions[i * 3 + 1];
    vertices[o + 2] = positions[i * 3 + 2];
    const nx = normals[i * 3], ny = normals[i * 3 + 1], nz = normals[i * 3 + 2];
    const length = Math.hypot(nx, ny, nz) || 1;
    vertices[o + 3] = nx / length;
    vertices[o + 4] = ny / length;
    vertices[o + 5] = nz / length;
    if (uvs !== null && uvs.length >= (i + 1) * 2) {
      vertices[o + 6] = uvs[i * 2];
      vertices[o + 7] = uvs[i * 2 + 1];
    }
  }
  return meshData(name, vertices, Uint32Array.from(triangles));
}

/** The (area-weighted, unnormalised) normal of triangle `a b c`. */
function faceNormal(
  positions: ArrayLike<number>,
  a: number,
  b: number,
  c: number,
): [number, number, number] {
  const ax = positions[a * 3], ay = positions[a * 3 + 1];
  const az = positions[a * 3 + 2];
  const ux = positions[b * 3] - ax, uy = positions[b * 3 + 1] - ay;
  const uz = positions[b * 3 + 2] - az;
  const vx = positions[c * 3] - ax, vy = positions[c * 3 + 1] - ay;
  const vz = positions[c * 3 + 2] - az;
  return [uy * vz - uz * vy, uz * vx - ux * vz, ux * vy - uy * vx];
}

/** Every face with its own three vertices and its face normal (flat shading). */
export function flatMesh(mesh: MeshData): MeshData {
  const source = mesh.vertices;
  const faces = mesh.indices.length / 3;
  const vertices = new Float32Array(faces * 3 * VERTEX_FLOATS);
  const positions = new Float64Array(9);
  for (let f = 0; f < faces; f++) {
    for (let k = 0; k < 3; k++) {
      const from = mesh.indices[f * 3 + k] * VERTEX_FLOATS;
      const to = (f * 3 + k) * VERTEX_FLOATS;
      vertices.set(source.subarray(from, from + VERTEX_FLOATS), to);
      positions.set(source.subarray(from, from + 3), k * 3);
    }
    const [nx, ny, nz] = faceNormal(positions, 0, 1, 2);
    const length = Math.hypot(nx, ny, nz) || 1;
    for (let k = 0; k < 3; k++) {
      const to = (f * 3 + k) * VERTEX_FLOATS;
      vertices[to + 3] = nx / length;
      vertices[to + 4] = ny / length;
      vertices[to + 5] = nz / length;
    }
  }
  const indices = new Uint32Array(faces * 3);
  for (let i = 0; i < indices.length; i++) indices[i] = i;
  return {
    name: `${mesh.name} flat`,
    vertices,
    indices,
    min: mesh.min,
    max: mesh.max,
  };
}

/** Normals reversed and every face wound the other way (the inside shows). */
export function invertedMesh(mesh: MeshData): MeshData {
  const vertices = mesh.vertices.slice();
  for (let i = 0; i < vertices.length; i += VERTEX_FLOATS) {
    vertices[i + 3] = -vertices[i + 3];
    vertices[i + 4] = -vertices[i + 4];
    vertices[i + 5] = -vertices[i + 5];
  }
  const indices = mesh.indices.slice();
  for (let i = 0; i + 2 < indices.length; i += 3) {
    const b = indices[i + 1];
    indices[i + 1] = indices[i + 2];
    indices[i + 2] = b;
  }
  return {
    name: `${mesh.name} inverted`,
    vertices,
    indices,
    min: mesh.min,
    max: mesh.max,
  };
}

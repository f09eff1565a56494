/**
 * Wavefront OBJ meshes: `v`, `vt`, `vn` and `f` (polygons as fans,
 * `v`, `v/vt`, `v//vn` and `v/vt/vn` corners, negative indices counting
 * back). Groups, objects, smoothing groups, materials and lines are
 * skipped; only the triangles are kept (Flitter also loads no materials).
 * Without `vn` on every corner, normals are averaged over the faces around
 * each vertex. Problems throw {@linkcode ModelFormatError} naming the line.
 *
 * @module
 */

import { type MeshData, meshData, meshFromTriangles } from "./mesh.ts";

/** A model file that cannot be read as a mesh. */
export class ModelFormatError extends Error {
  /** @param message the problem, with the line where there is one */
  constructor(message: string) {
    super(message);
    this.name = "ModelFormatError";
  }
}

/** Parses OBJ text into a mesh; `name` names it. */
export function parseObj(text: string, name: string): MeshData {
  const positions: number[] = [];
  const uvs: number[] = [];
  const normals: number[] = [];
  // Corners of all triangles as [v, vt, vn] (0-based, -1 absent).
  const corners: number[] = [];
  const lines = text.split(/\r?\n/);
  for (let n = 0; n < lines.length; n++) {
    let line = lines[n];
    const hash = line.indexOf("#");
    if (hash >= 0) line = line.slice(0, hash);
    const parts = line.trim().split(/\s+/);
    const keyword = parts[0];
    const where = `line ${n + 1}`;
    if (keyword === "v") {
      positions.push(...numbers(parts, 3, where, "v"));
    } else if (keyword === "vt") {
      const values = numbers(parts, 1, where, "vt");
      uvs.push(values[0], values[1] ?? 0);
    } else if (keyword === "vn") {
      normals.push(...numbers(parts, 3, where, "vn"));
    } else if (keyword === "f") {
      const face = parts.slice(1).map((corner) =>
        parseCorner(
          corner,
          where,
          positions.length / 3,
          uvs.length / 2,
          normals.length / 3,
        )
      );
      if (face.length < 3) {
        throw new ModelFormatError(
          `${where}: a face needs at least 3 corners, got ${face.length}`,
        );
      }
      for (let i = 1; i + 1 < face.length; i++) {
        corners.push(...face[0], ...face[i], ...face[i + 1]);
      }
    }
  }
  if (corners.length === 0) {
    throw new ModelFormatError("no faces (f lines) found");
  }
  const hasNormals = corners.every((value, i) => i % 3 !== 2 || value >= 0);
  const hasUvs = corners.some((value, i) => i % 3 === 1 && value >= 0);
  // One vertex per distinct corner.
  const ids = new Map<string, number>();
  const outPositions: number[] = [];
  const outUvs: number[] = [];
  const outNormals: number[] = [];
  const triangles: number[] = [];
  for (let i = 0; i < corners.length; i += 3) {
    const v = corners[i], vt = corners[i + 1], vn = corners[i + 2];
    const key = hasNormals ? `${v}/${vt}/${vn}` : `${v}/${vt}`;
    let id = ids.get(key);
    if (id === undefined) {
      id = outPositions.length / 3;
      ids.set(key, id);
      outPositions.push(
        positions[v * 3],
        positions[v * 3 + 1],
        positions[v * 3 + 2],
      );
      outUvs.push(vt >= 0 ? uvs[vt * 2] : 0, vt >= 0 ? uvs[vt * 2 + 1] : 0);
      if (hasNormals) {
        outNormals.push(
          normals[vn * 3],
          normals[vn * 3 + 1],
          normals[vn * 3 + 2],
        );
      }
    }
    triangles.push(id);
  }
  const mesh = meshFromTriangles(
    name,
    outPositions,
    triangles,
    hasUvs ? outUvs : null,
  );
  if (!hasNormals) return mesh;
  const vertices = mesh.vertices;
  for (let i = 0; i < outNormals.length / 3; i++) {
    const x = outNormals[i * 3], y = outNormals[i * 3 + 1];
    const z = outNormals[i * 3 + 2];
    const length = Math.hypot(x, y, z) || 1;
    vertices[i * 8 + 3] = x / length;
    vertices[i * 8 + 4] = y / length;
    vertices[i * 8 + 5] = z / length;
  }
  return meshData(name, vertices, mesh.indices);
}

/** At least `count` numbers after the keyword (more are kept: `v x y z w` keeps 4). */
function numbers(
  parts: string[],
  count: number,
  where: string,
  keyword: string,
): number[] {
  const values = parts.slice(1).map(Number);
  if (
    values.length < count || values.some((value) => !Number.isFinite(value))
  ) {
    throw new ModelFormatError(
      `${where}: "${keyword}" needs ${
        count === 1 ? "a number" : `${count} numbers`
      }, got "${parts.slice(1).join(" ")}"`,
    );
  }
  return keyword === "vt" ? values : values.slice(0, 3);
}

/** `v`, `v/vt`, `v//vn` or `v/vt/vn` → 0-based [v, vt, vn] (-1: absent). */
function parseCorner(
  text: string,
  where: string,
  positions: number,
  uvs: number,
  normals: number,
): [number, number, number] {
  const fields = text.split("/");
  const index = (field: string | undefined, count: number, what: string) => {
    if (field === undefined || field === "") return -1;
    const value = Number(field);
    if (!Number.isInteger(value) || value === 0) {
      throw new ModelFormatError(`${where}: bad ${what} index "${field}"`);
    }
    const resolved = value > 0 ? value - 1 : count + value;
    if (resolved < 0 || resolved >= count) {
      throw new ModelFormatError(
        `${where}: ${what} index ${value} is out of range (${count} so far)`,
      );
    }
    return resolved;
  };
  if (fields.length > 3 || fields[0] === "") {
    throw new ModelFormatError(`${where}: bad face corner "${text}"`);
  }
  return [
    index(fields[0], positions, "vertex"),
    index(fields[1], uvs, "texture coordinate"),
    index(fields[2], normals, "normal"),
  ];
}

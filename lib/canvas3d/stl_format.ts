/**
 * STL meshes, binary or ASCII. STL stores separate triangles; as trimesh
 * does for Flitter, corners at the same position are merged, so curved
 * surfaces shade smoothly (`flat=true` on the model gives facets). Problems
 * throw {@linkcode ModelFormatError}.
 *
 * @module
 */

import { type MeshData, meshFromTriangles } from "./mesh.ts";
import { ModelFormatError } from "./obj_format.ts";

/** Parses STL bytes (binary or ASCII) into a mesh; `name` names it. */
export function parseStl(bytes: Uint8Array, name: string): MeshData {
  const corners = isBinary(bytes) ? binaryCorners(bytes) : asciiCorners(bytes);
  if (corners.length === 0) throw new ModelFormatError("no triangles found");
  const ids = new Map<string, number>();
  const positions: number[] = [];
  const triangles: number[] = [];
  for (let i = 0; i < corners.length; i += 3) {
    const key = `${corners[i]},${corners[i + 1]},${corners[i + 2]}`;
    let id = ids.get(key);
    if (id === undefined) {
      id = positions.length / 3;
      ids.set(key, id);
      positions.push(corners[i], corners[i + 1], corners[i + 2]);
    }
    triangles.push(id);
  }
  return meshFromTriangles(name, positions, triangles);
}

/** Binary when the size matches the triangle count (ASCII files start "solid" but so may binary headers). */
function isBinary(bytes: Uint8Array): boolean {
  if (bytes.length < 84) return false;
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const count = view.getUint32(80, true);
  if (84 + count * 50 === bytes.length) return true;
  const start = new TextDecoder().decode(bytes.subarray(0, 5));
  if (start === "solid") return false;
  throw new ModelFormatError(
    `binary STL says ${count} triangles (${
      84 + count * 50
    } bytes) but the file has ${bytes.length} bytes`,
  );
}

function binaryCorners(bytes: Uint8Array): Float32Array {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const count = view.getUint32(80, true);
  const corners = new Float32Array(count * 9);
  for (let t = 0; t < count; t++) {
    const base = 84 + t * 50 + 12; // after the facet normal
    for (let k = 0; k < 9; k++) {
      corners[t * 9 + k] = view.getFloat32(base + k * 4, true);
    }
  }
  if (!corners.every(Number.isFinite)) {
    throw new ModelFormatError(
      "binary STL holds a coordinate that is not a number",
    );
  }
  return corners;
}

function asciiCorners(bytes: Uint8Array): number[] {
  const text = new TextDecoder().decode(bytes);
  const corners: number[] = [];
  const lines = text.split(/\r?\n/);
  let inFacet = 0;
  for (let n = 0; n < lines.length; n++) {
    const parts = lines[n].trim().split(/\s+/);
    const where = `line ${n + 1}`;
    switch (parts[0]) {
      case "vertex": {
        const values = parts.slice(1, 4).map(Number);
        if (parts.length < 4 || !values.every(Number.isFinite)) {
          throw new ModelFormatError(
            `${where}: "vertex" needs 3 numbers, got "${
              parts.slice(1).join(" ")
            }"`,
          );
        }
        corners.push(...values);
        inFacet++;
        break;
      }
      case "facet":
        inFacet = 0;
        break;
      case "endfacet":
        if (inFacet !== 3) {
          throw new ModelFormatError(
            `${where}: a facet needs 3 vertices, got ${inFacet}`,
          );
        }
        break;
      case "solid":
      case "endsolid":
      case "outer":
      case "endloop":
      case "":
        break;
      default:
        throw new ModelFormatError(
          `${where}: unexpected "${parts[0]}" in an ASCII STL file`,
        );
    }
  }
  if (corners.length % 9 !== 0) {
    throw new ModelFormatError("the last facet is incomplete");
  }
  return corners;
}

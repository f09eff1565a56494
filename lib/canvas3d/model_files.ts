/**
 * Model files for `!model filename=`: OBJ and STL, read once and shared by
 * every node that names the same file, and read again when the file's
 * modification time changes (checked at most twice a second per file), as
 * Flitter reloads its models. A file that cannot be read or parsed throws
 * an error naming the file and the problem (with the line for text
 * formats); the caller decides what to keep drawing.
 *
 * @module
 */

import { extname } from "node:path";
import { flatMesh, invertedMesh, type MeshData } from "./mesh.ts";
import { parseObj } from "./obj_format.ts";
import { parseStl } from "./stl_format.ts";

/** How often a file's modification time is looked at, at most. */
const CHECK_INTERVAL_MS = 500;

interface Entry {
  modified: number | null;
  checkedAt: number;
  mesh: MeshData | null;
  error: Error | null;
}

const files = new Map<string, Entry>();
const derived = new WeakMap<MeshData, Map<string, MeshData>>();

/** File extensions (lower case) of the formats read. */
export const MODEL_EXTENSIONS: readonly string[] = [".obj", ".stl"];

/**
 * The mesh in the file at `path` (absolute), as `flat`/`invert` ask;
 * `shown` is how messages name it (as the scene wrote it).
 *
 * @throws {Error} `model file "NAME": PROBLEM` when it cannot be loaded
 */
export function loadModelFile(
  path: string,
  shown: string,
  flat: boolean,
  invert: boolean,
): MeshData {
  const now = performance.now();
  let entry = files.get(path);
  if (entry === undefined || now - entry.checkedAt >= CHECK_INTERVAL_MS) {
    entry = refresh(path, shown, entry, now);
    files.set(path, entry);
  }
  if (entry.error !== null) throw entry.error;
  return variant(entry.mesh!, flat, invert);
}

function refresh(
  path: string,
  shown: string,
  entry: Entry | undefined,
  now: number,
): Entry {
  let modified: number | null;
  try {
    modified = Deno.statSync(path).mtime?.getTime() ?? null;
  } catch (error) {
    return failed(
      now,
      null,
      `cannot read model file "${shown}": ${describe(error)}`,
    );
  }
  if (entry !== undefined && entry.modified === modified && modified !== null) {
    entry.checkedAt = now;
    return entry;
  }
  const extension = extname(path).toLowerCase();
  if (!MODEL_EXTENSIONS.includes(extension)) {
    return failed(
      now,
      modified,
      `model file "${shown}": unsupported format "${extension}" (OBJ and STL files are read)`,
    );
  }
  let bytes: Uint8Array;
  try {
    bytes = Deno.readFileSync(path);
  } catch (error) {
    return failed(
      now,
      modified,
      `cannot read model file "${shown}": ${describe(error)}`,
    );
  }
  try {
    const mesh = extension === ".obj"
      ? parseObj(new TextDecoder().decode(bytes), shown)
      : parseStl(bytes, shown);
    return { modified, checkedAt: now, mesh, error: null };
  } catch (error) {
    return failed(now, modified, `model file "${shown}": ${describe(error)}`);
  }
}

function failed(now: number, modified: number | null, message: string): Entry {
  return { modified, checkedAt: now, mesh: null, error: new Error(message) };
}

function describe(error: unknown): string {
  if (error instanceof Deno.errors.NotFound) return "no such file";
  if (error instanceof Deno.errors.PermissionDenied) return "permission denied";
  if (error instanceof Deno.errors.IsADirectory) return "it is a folder";
  return error instanceof Error ? error.message : String(error);
}

/** `mesh` flat and/or inverted (each variant made once). */
function variant(mesh: MeshData, flat: boolean, invert: boolean): MeshData {
  if (!flat && !invert) return mesh;
  let variants = derived.get(mesh);
  if (variants === undefined) {
    variants = new Map();
    derived.set(mesh, variants);
  }
  const key = `${flat}:${invert}`;
  let result = variants.get(key);
  if (result === undefined) {
    result = flat ? flatMesh(mesh) : mesh;
    if (invert) result = invertedMesh(result);
    variants.set(key, result);
  }
  return result;
}

/**
 * Reading and writing PNG and JPEG image files as RGBA8 pixels.
 *
 * Reading picks the format by the file's signature, not its name; writing
 * picks it by the extension and replaces the file atomically (a temporary
 * file in the same folder, then a rename), so a reader never sees a
 * partly written image.
 *
 * @example
 * ```ts
 * import { readImageFile, writeImageFile } from "./image_file.ts";
 * const path = await Deno.makeTempFile({ suffix: ".png" });
 * const red = new Uint8Array([255, 0, 0, 255]);
 * await writeImageFile(path, { width: 1, height: 1, data: red });
 * const image = await readImageFile(path);
 * console.assert(image.data[0] === 255 && image.data[1] === 0);
 * await Deno.remove(path);
 * ```
 *
 * @module
 */

import { dirname } from "node:path";
import { writeFileAtomic, writeFileAtomicSync } from "./atomic_write.ts";
import {
  type DecodedImage,
  decodeImage,
  encodeImage,
  type ImageFormat,
  imageFormatOfPath,
} from "./image_codec.ts";
import { MediaError } from "./media_error.ts";

export type { DecodedImage, ImageFormat } from "./image_codec.ts";
export { detectImageFormat, flipRows } from "./image_codec.ts";
export { MediaError } from "./media_error.ts";

/** Options of {@linkcode writeImageFile}. */
export interface WriteImageOptions {
  /** JPEG quality from 1 to 100 (default 90); ignored for PNG. */
  quality?: number;
}

/**
 * Reads a PNG or JPEG file (recognised by its content) as RGBA8 pixels,
 * rows top-down.
 *
 * @throws {MediaError} when the file is missing, unreadable, not a PNG or
 *   JPEG image, or damaged.
 */
export async function readImageFile(path: string): Promise<DecodedImage> {
  let bytes: Uint8Array;
  try {
    bytes = await Deno.readFile(path);
  } catch (error) {
    throw fileError(path, error, "read");
  }
  return decodeImage(bytes, path);
}

/** Synchronous {@linkcode readImageFile}. */
export function readImageFileSync(path: string): DecodedImage {
  let bytes: Uint8Array;
  try {
    bytes = Deno.readFileSync(path);
  } catch (error) {
    throw fileError(path, error, "read");
  }
  return decodeImage(bytes, path);
}

/**
 * Writes `image` (RGBA8, rows top-down) as PNG or JPEG, chosen by the
 * extension of `path` (`.png`, `.jpg`, `.jpeg`). JPEG drops the alpha
 * channel. The file appears complete or not at all.
 *
 * @throws {MediaError} for another extension or when the file cannot be
 *   written; {@linkcode TypeError} for a malformed image.
 */
export async function writeImageFile(
  path: string,
  image: DecodedImage,
  options: WriteImageOptions = {},
): Promise<void> {
  const bytes = encodeImage(image, formatFor(path), options);
  try {
    await writeFileAtomic(path, bytes);
  } catch (error) {
    throw fileError(path, error, "write");
  }
}

/**
 * Synchronous {@linkcode writeImageFile}, for use where nothing can be
 * awaited (at exit, in an `unload` handler).
 */
export function writeImageFileSync(
  path: string,
  image: DecodedImage,
  options: WriteImageOptions = {},
): void {
  const bytes = encodeImage(image, formatFor(path), options);
  try {
    writeFileAtomicSync(path, bytes);
  } catch (error) {
    throw fileError(path, error, "write");
  }
}

function formatFor(path: string): ImageFormat {
  const format = imageFormatOfPath(path);
  if (format === null) {
    throw new MediaError(
      path,
      "unsupported image file extension (use .png, .jpg or .jpeg)",
    );
  }
  return format;
}

function fileError(
  path: string,
  error: unknown,
  action: "read" | "write",
): MediaError {
  let problem: string;
  if (error instanceof Deno.errors.NotFound) {
    problem = action === "read"
      ? "file not found"
      : `folder "${dirname(path)}" does not exist`;
  } else if (error instanceof Deno.errors.PermissionDenied) {
    problem = `permission denied to ${action} the file`;
  } else if (error instanceof Deno.errors.IsADirectory) {
    problem = "is a folder, not an image file";
  } else {
    const reason = error instanceof Error ? error.message : String(error);
    problem = `cannot ${action} the file (${reason})`;
  }
  return new MediaError(path, problem, { cause: error });
}

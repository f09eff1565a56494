/**
 * The error type of image and video file I/O.
 *
 * @module
 */

/**
 * A file could not be read, decoded, encoded or written, or ffmpeg failed.
 * The message names the file and the problem:
 * `scene/logo.png: not a PNG or JPEG image`.
 *
 * @example
 * ```ts
 * import { MediaError } from "./media_error.ts";
 * const error = new MediaError("scene/logo.png", "not a PNG or JPEG image");
 * console.assert(error.message === "scene/logo.png: not a PNG or JPEG image");
 * ```
 */
export class MediaError extends Error {
  /** The file concerned, as the caller named it. */
  readonly path: string;
  /** What went wrong, without the file name. */
  readonly problem: string;

  /** Creates an error about `path`; the message is `path: problem`. */
  constructor(path: string, problem: string, options?: ErrorOptions) {
    super(`${path}: ${problem}`, options);
    this.name = "MediaError";
    this.path = path;
    this.problem = problem;
  }
}

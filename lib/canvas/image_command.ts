/**
 * `!image filename=` on a canvas: a picture file (PNG, JPEG, WebP, GIF,
 * AVIF or SVG, decoded by Skia) drawn with its top-left corner at
 * `point=`, at its own size or `size=`; `fill=` covers a box of that size
 * (cropping the picture), `fit=` fits the whole picture inside one. It
 * takes the current paint's blend mode and filters. The file is read
 * again when it changes (checked at most once a second); a missing or
 * unreadable file is an error naming the file and the place, and the rest
 * of the canvas is drawn.
 *
 * @module
 */

import type { RenderContext } from "../scene/node.ts";
import { CanvasCommand, registerCanvasCommand } from "./command.ts";
import type { DrawContext } from "./draw_context.ts";
import { applyFill } from "./paint.ts";
import { type SkiaImage, skiaModule } from "./skia.ts";

/** How often a file is checked for changes, in milliseconds. */
const RECHECK_MS = 1000;
const CACHE_LIMIT = 16;

const decoded = new Map<string, { mtime: number; image: SkiaImage }>();

/** The image at `path` decoded (from the cache while its `mtime` holds). */
function decodedImage(path: string, name: string, mtime: number): SkiaImage {
  const cached = decoded.get(path);
  if (cached !== undefined && cached.mtime === mtime) return cached.image;
  const image = new (skiaModule()!.Image)();
  image.src = Deno.readFileSync(path);
  if (image.width === 0 || image.height === 0) {
    throw new Error(
      `Cannot read image "${name}": not a picture Skia can decode`,
    );
  }
  decoded.delete(path);
  decoded.set(path, { mtime, image });
  while (decoded.size > CACHE_LIMIT) {
    decoded.delete(decoded.keys().next().value!);
  }
  return image;
}

/** An `!image` drawing command. */
class ImageCommand extends CanvasCommand {
  #path: string | null = null;
  #checkedAt = -Infinity;
  #mtime = -1;
  #image: SkiaImage | null = null;
  #error: Error | null = null;

  /** Reads the file when it is new or changed; throws (each frame) while it cannot. */
  protected override rendered(ctx: RenderContext): void {
    const name = this.attrs?.string("filename", null) ?? null;
    const path = name === null || name === "" ? null : ctx.resolvePath(name);
    if (path !== this.#path) {
      this.#path = path;
      this.#checkedAt = -Infinity;
      this.#mtime = -1;
      this.#forget();
    }
    if (path === null || name === null || skiaModule() === null) return;
    const now = performance.now();
    if (now - this.#checkedAt < RECHECK_MS) {
      if (this.#error !== null) throw this.#error;
      return;
    }
    this.#checkedAt = now;
    this.#error = null;
    try {
      const mtime = Deno.statSync(path).mtime?.getTime() ?? 0;
      if (mtime !== this.#mtime || this.#image === null) {
        const image = decodedImage(path, name, mtime);
        this.#mtime = mtime;
        if (image !== this.#image) {
          this.#image = image;
          this.markChanged();
        }
      }
    } catch (error) {
      this.#forget();
      this.#error = error instanceof Deno.errors.NotFound
        ? new Error(`Cannot read image "${name}": no such file`)
        : error instanceof Error
        ? error
        : new Error(String(error));
      throw this.#error;
    }
  }

  #forget(): void {
    if (this.#image !== null) this.markChanged();
    this.#image = null;
  }

  draw(dc: DrawContext): void {
    const attrs = this.attrs;
    const image = this.#image;
    if (attrs === null || image === null) return;
    const width = image.width, height = image.height;
    const [x, y] = attrs.vector("point", 2, [0, 0]);
    let src = [0, 0, width, height];
    let dst: number[];
    const fill = attrs.vector("fill", 2, null);
    const fit = attrs.vector("fit", 2, null);
    if (fill !== null && fill[1] !== 0) {
      const aspect = fill[0] / fill[1];
      if (width / height > aspect) {
        const w = height * aspect;
        src = [(width - w) / 2, 0, w, height];
      } else {
        const h = width / aspect;
        src = [0, (height - h) / 2, width, h];
      }
      dst = [x, y, fill[0], fill[1]];
    } else if (fit !== null && fit[1] !== 0) {
      const aspect = width / height;
      if (fit[0] / fit[1] > aspect) {
        const w = fit[1] * aspect;
        dst = [x + (fit[0] - w) / 2, y, w, fit[1]];
      } else {
        const h = fit[0] / aspect;
        dst = [x, y + (fit[1] - h) / 2, fit[0], h];
      }
    } else {
      const [w, h] = attrs.vector("size", 2, [width, height]);
      dst = [x, y, w, h];
    }
    applyFill(dc.ctx, dc.paint);
    dc.ctx.drawImage(
      image,
      src[0],
      src[1],
      src[2],
      src[3],
      dst[0],
      dst[1],
      dst[2],
      dst[3],
    );
  }
}

registerCanvasCommand(
  "image",
  ["filename", "point", "fill", "fit"],
  () => new ImageCommand(),
);

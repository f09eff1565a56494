/**
 * Skia's 2D canvas, from `npm:@napi-rs/canvas` (a native N-API addon with
 * prebuilt binaries in optional platform packages such as
 * `@napi-rs/canvas-linux-x64-gnu`), loaded on first use.
 *
 * Loading takes about 0.2 s (the addon and the system's fonts), so it is
 * not done by importing the engine: {@linkcode loadSkia} starts it, and
 * the scene loader awaits it for scenes holding a `!canvas` (the kind's
 * `load`). Until it has finished, {@linkcode skiaModule} is `null` and
 * canvases draw nothing; when it failed, {@linkcode skiaFailure} says why.
 *
 * @module
 */

import type * as NapiCanvas from "npm:@napi-rs/canvas@1.2.1";

/** The `@napi-rs/canvas` module. */
export type SkiaModule = typeof NapiCanvas;
/** A Skia canvas (the surface). */
export type SkiaCanvas = NapiCanvas.Canvas;
/** Its 2D drawing context. */
export type Skia2D = NapiCanvas.SKRSContext2D;
/** A path object. */
export type SkiaPath = NapiCanvas.Path2D;
/** A decoded image. */
export type SkiaImage = NapiCanvas.Image;
/** A gradient paint. */
export type SkiaGradient = ReturnType<Skia2D["createLinearGradient"]>;

let loading: Promise<void> | null = null;
let loaded: SkiaModule | null = null;
let failure: string | null = null;

/**
 * Loads `@napi-rs/canvas` (once; later calls return the same promise).
 * Never rejects: a failure is kept for {@linkcode skiaFailure}.
 */
export function loadSkia(): Promise<void> {
  loading ??= import("npm:@napi-rs/canvas@1.2.1").then(
    (module) => {
      loaded = module;
    },
    (error) => {
      failure = error instanceof Error ? error.message : String(error);
    },
  );
  return loading;
}

/** The module once {@linkcode loadSkia} has finished, else `null`. */
export function skiaModule(): SkiaModule | null {
  return loaded;
}

/** Why loading failed, or `null` (not failed, or not tried yet). */
export function skiaFailure(): string | null {
  return failure;
}

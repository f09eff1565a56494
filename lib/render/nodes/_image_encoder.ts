/**
 * Encoding of PNG/JPEG frames off the render thread for `!record`: a shared
 * worker, kept while some node uses it, with a synchronous fallback when no
 * worker can run (or too many frames wait).
 *
 * @module
 */

import {
  type DecodedImage,
  encodeImage,
  type ImageFormat,
} from "../../media/image_codec.ts";

/** Frames waiting in the worker beyond which encoding happens in place. */
const MAX_PENDING = 3;

interface Pending {
  resolve(bytes: Uint8Array): void;
  reject(error: Error): void;
  image: DecodedImage;
  format: ImageFormat;
  quality?: number;
}

let worker: Worker | null = null;
let broken = false;
let users = 0;
let nextId = 1;
const pending = new Map<number, Pending>();

function startWorker(): Worker | null {
  if (broken) return null;
  if (worker !== null) return worker;
  try {
    worker = new Worker(
      new URL("./_image_encoder_worker.ts", import.meta.url),
      { type: "module" },
    );
  } catch {
    broken = true;
    return null;
  }
  worker.onmessage = (
    event: MessageEvent<{ id: number; bytes?: Uint8Array; error?: string }>,
  ) => {
    const job = pending.get(event.data.id);
    if (job === undefined) return;
    pending.delete(event.data.id);
    if (event.data.bytes !== undefined) job.resolve(event.data.bytes);
    else job.reject(new Error(event.data.error ?? "image encoding failed"));
    stopWhenIdle();
  };
  worker.onerror = (event) => {
    // The worker cannot run (e.g. its module is missing): encode in place.
    event.preventDefault();
    broken = true;
    worker?.terminate();
    worker = null;
    for (const [id, job] of pending) {
      pending.delete(id);
      try {
        job.resolve(
          encodeImage(job.image, job.format, { quality: job.quality }),
        );
      } catch (error) {
        job.reject(error instanceof Error ? error : new Error(String(error)));
      }
    }
  };
  return worker;
}

function stopWhenIdle(): void {
  if (users === 0 && pending.size === 0 && worker !== null) {
    worker.terminate();
    worker = null;
  }
}

/** Registers a user (a recording node); the worker lives while any exists. */
export function useImageEncoder(): void {
  users++;
}

/** Unregisters a user; the worker stops once no user and no job is left. */
export function releaseImageEncoder(): void {
  users = Math.max(0, users - 1);
  stopWhenIdle();
}

/**
 * Encodes `image` (its `data` is copied) in the worker, or right here when
 * no worker runs or several frames already wait.
 */
export function encodeImageInBackground(
  image: DecodedImage,
  format: ImageFormat,
  quality?: number,
): Promise<Uint8Array> {
  const target = pending.size < MAX_PENDING ? startWorker() : null;
  if (target === null) {
    try {
      return Promise.resolve(encodeImage(image, format, { quality }));
    } catch (error) {
      return Promise.reject(error);
    }
  }
  const data = image.data.slice();
  const job = { width: image.width, height: image.height, data };
  return new Promise((resolve, reject) => {
    const id = nextId++;
    pending.set(id, { resolve, reject, image: { ...job }, format, quality });
    target.postMessage({ id, ...job, format, quality });
  });
}

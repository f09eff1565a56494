/**
 * Worker that encodes PNG/JPEG frames for `!record`, so the render loop
 * never waits for an encoder. Message in: `{ id, width, height, data,
 * format, quality }`; out: `{ id, bytes }` or `{ id, error }`.
 *
 * @module
 */

import { encodeImage, type ImageFormat } from "../../media/image_codec.ts";

interface Job {
  id: number;
  width: number;
  height: number;
  data: Uint8Array;
  format: ImageFormat;
  quality?: number;
}

const scope = self as unknown as {
  onmessage: ((event: MessageEvent<Job>) => void) | null;
  postMessage(message: unknown, transfer?: Transferable[]): void;
};

scope.onmessage = (event) => {
  const { id, width, height, data, format, quality } = event.data;
  try {
    const encoded = encodeImage({ width, height, data }, format, { quality });
    const bytes = encoded.slice(); // its own buffer, to transfer
    scope.postMessage({ id, bytes }, [bytes.buffer]);
  } catch (error) {
    scope.postMessage({
      id,
      error: error instanceof Error ? error.message : String(error),
    });
  }
};

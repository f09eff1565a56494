/**
 * Whether the GL renderer draws on the CPU (Mesa llvmpipe, softpipe,
 * swrast, lavapipe). There shader passes cost far more than libyuv on the
 * CPU, so `!webrtc` nodes in `"auto"` mode convert video with libyuv (see
 * `SendConversion` in `video_sender.ts` and `FrameConversion` in
 * `video_receiver.ts`).
 *
 * @module
 */

import type { GLContext } from "../gl/context.ts";

const SOFTWARE_RENDERER = /llvmpipe|softpipe|swrast|lavapipe/i;

/** Whether `gl` renders in software (see the module documentation). */
export function isSoftwareRenderer(gl: GLContext): boolean {
  return SOFTWARE_RENDERER.test(gl.renderer);
}

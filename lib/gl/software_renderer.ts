/**
 * Whether the GL renderer draws on the CPU (Mesa llvmpipe, softpipe,
 * swrast, lavapipe). There a shader pass costs far more than the same work
 * done by a CPU library, so nodes that could convert pixels either way
 * choose the CPU: `!webrtc` converts video with libyuv, `!video` has
 * ffmpeg hand over RGBA.
 *
 * @module
 */

import type { GLContext } from "./context.ts";

const SOFTWARE_RENDERER = /llvmpipe|softpipe|swrast|lavapipe/i;

/** Whether `gl` renders in software (see the module documentation). */
export function isSoftwareRenderer(gl: GLContext): boolean {
  return SOFTWARE_RENDERER.test(gl.renderer);
}

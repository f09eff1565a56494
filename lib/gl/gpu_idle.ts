/**
 * Waiting for the GPU without blocking the thread: a fence polled every
 * millisecond, so timers and callbacks (e.g. arriving video frames) run
 * while the GPU (llvmpipe's threads, or a real one) works.
 *
 * @module
 */

import type { GLContext } from "./context.ts";

const SYNC_GPU_COMMANDS_COMPLETE = 0x9117;
const SYNC_FLUSH_COMMANDS_BIT = 0x1;
const TIMEOUT_EXPIRED = 0x911b;
const WAIT_FAILED = 0x911d;

/**
 * Resolves once the GPU has finished every command `ctx` issued so far, or
 * after `limitMs`; resolves to whether the work finished.
 */
export async function gpuIdle(
  ctx: GLContext,
  limitMs: number,
): Promise<boolean> {
  const gl = ctx.gl;
  const fence = gl.glFenceSync(SYNC_GPU_COMMANDS_COMPLETE, 0);
  if (fence === null) return false;
  const deadline = performance.now() + limitMs;
  try {
    let flags = SYNC_FLUSH_COMMANDS_BIT;
    while (true) {
      const status = gl.glClientWaitSync(fence, flags, 0n);
      if (status !== TIMEOUT_EXPIRED) return status !== WAIT_FAILED;
      flags = 0;
      if (performance.now() > deadline) return false;
      await new Promise((resolve) => setTimeout(resolve, 1));
      ctx.ensureCurrent(); // another engine may have rendered meanwhile
    }
  } finally {
    gl.glDeleteSync(fence);
  }
}

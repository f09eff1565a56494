/**
 * Whether the GL renderer draws on the CPU (Mesa llvmpipe, softpipe,
 * swrast, lavapipe). There shader passes cost far more than libyuv on the
 * CPU, so `!webrtc` nodes in `"auto"` mode convert video with libyuv (see
 * `SendConversion` in `video_sender.ts` and `FrameConversion` in
 * `video_receiver.ts`). The test itself lives in `lib/gl/`.
 *
 * @module
 */

export { isSoftwareRenderer } from "../gl/software_renderer.ts";

/**
 * Helper process of video_writer_test.ts: records `FRAMES` flushed frames
 * to the file named by the first argument and ends without `close()`.
 *
 * @module
 */

import { VideoWriter } from "../../lib/media/video_writer.ts";

const FRAMES = 10;
const writer = VideoWriter.start(Deno.args[0], {
  width: 64,
  height: 64,
  fps: 30,
});
for (let i = 0; i < FRAMES; i++) {
  writer.write(new Uint8Array(64 * 64 * 4).fill(200));
  await writer.flush();
}
console.log("wrote", writer.stats.written);

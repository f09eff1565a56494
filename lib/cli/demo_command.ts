/**
 * `flitter_webrtc demo`: renders the built-in example scene to a short video
 * and a still image, and says where they went.
 *
 * @module
 */

import { resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { Engine } from "../engine/engine.ts";
import { getLogger } from "../log/logger.ts";

/** The demo scene shipped with the project. */
export const DEMO_SCENE = fileURLToPath(
  new URL("../../examples/demo.toml", import.meta.url),
);

/** Renders the demo into `outputFolder` (default `out/`); returns the exit status. */
export async function runDemo(outputFolder = "out"): Promise<number> {
  const log = getLogger("demo");
  const folder = resolve(outputFolder);
  await Deno.mkdir(folder, { recursive: true });
  const video = resolve(folder, "demo.mp4");
  const still = resolve(folder, "demo.png");
  const engine = await Engine.open(DEMO_SCENE, {
    fps: 30,
    lockstep: true,
    runtime: 6,
    watch: false,
    defines: new Map([["VIDEO", video], ["STILL", still]]),
  });
  log.info(`Rendering ${DEMO_SCENE} (6 s at 30 fps) on ${engine.gl.renderer}`);
  const began = performance.now();
  // Ctrl-C or SIGTERM end the render early with complete files.
  const stop = () => engine.stop();
  Deno.addSignalListener("SIGINT", stop);
  Deno.addSignalListener("SIGTERM", stop);
  try {
    await engine.run();
  } finally {
    Deno.removeSignalListener("SIGINT", stop);
    Deno.removeSignalListener("SIGTERM", stop);
  }
  const seconds = (performance.now() - began) / 1000;
  console.log(
    `Demo rendered in ${
      seconds.toFixed(1)
    } s:\n  video: ${video}\n  last frame: ${still}`,
  );
  return 0;
}

/**
 * Run by `lazy_wrtc_test.ts` as its own process: imports `mod.ts`, renders a
 * scene and prints one JSON line saying which native addons (`*.node`
 * files) the process has mapped, from `/proc/self/maps`, at each step.
 *
 * `deno run -A tests/engine/_wrtc_probe.ts plain|webrtc`:
 * - `plain`: a scene without `!webrtc`; also what making a peer session or
 *   converting with libyuv says before the addon is loaded;
 * - `webrtc`: a scene with a `!webrtc` node (no signalling), before and
 *   after the engine's tracked work (the addon's loading) settled;
 * - `file`: the same scene read from a file (`Engine.open`): what is ready
 *   before its first frame (the addon, libwebrtc's field trials).
 *
 * @module
 */

import {
  Engine,
  isWrtcLoaded,
  setLogLevel,
  WrtcPeerSession,
} from "../../mod.ts";
import { rgbaToI420 } from "../../lib/webrtc/yuv.ts";
import { libwebrtcFieldTrials } from "../../lib/webrtc/field_trials.ts";

setLogLevel("error");

/** Paths of the native addons mapped into this process. */
function mappedAddons(): string[] {
  const paths = new Set<string>();
  for (const line of Deno.readTextFileSync("/proc/self/maps").split("\n")) {
    const path = line.trim().split(/\s+/).slice(5).join(" ");
    if (path.endsWith(".node")) paths.add(path);
  }
  return [...paths];
}

function failure(work: () => unknown): string | null {
  try {
    work();
    return null;
  } catch (error) {
    return (error as Error).message;
  }
}

const SHADER = `
  [[nodes.children]]
  kind = "!shader"
  fragment = "\${HEADER}\\nout vec4 color;\\nvoid main() { color = vec4(1.0, 0.0, 0.0, 1.0); }"
`;

const mode = Deno.args[0];
const report: Record<string, unknown> = { atStart: mappedAddons() };
if (mode === "plain") {
  const engine = Engine.fromText(
    `[[nodes]]\nkind = "!offscreen"\nid = "out"\nsize = [8, 8]\ncolorbits = 8\n${SHADER}`,
  );
  engine.renderFrame();
  engine.renderFrame();
  report.pixel = [...engine.readImage("out").data.slice(0, 4)];
  await engine.dispose();
  report.loaded = isWrtcLoaded();
  report.sessionError = failure(() =>
    new WrtcPeerSession({ width: 8, height: 8 })
  );
  report.libyuvError = failure(() =>
    rgbaToI420(new Uint8Array(4 * 4 * 4), 4, 4)
  );
} else if (mode === "webrtc") {
  const engine = Engine.fromText(
    `[[nodes]]\nkind = "!webrtc"\nid = "out"\nsize = [8, 8]\n${SHADER}`,
  );
  engine.renderFrame();
  report.afterFirstFrame = mappedAddons();
  report.pixel = [...engine.readImage("out").data.slice(0, 4)];
  await engine.settled(); // the node's loading of the addon is tracked
  engine.renderFrame();
  report.loaded = isWrtcLoaded();
  await engine.dispose();
} else if (mode === "file") {
  const file = await Deno.makeTempFile({ suffix: ".toml" });
  await Deno.writeTextFile(
    file,
    `[[nodes]]\nkind = "!webrtc"\nid = "out"\nsize = [8, 8]\n${SHADER}`,
  );
  const engine = await Engine.open(file, { watch: false });
  report.loadedBeforeFirstFrame = isWrtcLoaded();
  report.trialsBeforeFirstFrame = libwebrtcFieldTrials();
  engine.renderFrame();
  report.pixel = [...engine.readImage("out").data.slice(0, 4)];
  await engine.dispose();
  await Deno.remove(file);
} else {
  throw new Error(`unknown mode ${mode}`);
}
report.atEnd = mappedAddons();
console.log(JSON.stringify(report));
// A process that loaded wrtc may crash in Deno's teardown (see lib/webrtc/_wrtc.ts).
Deno.exit(0);

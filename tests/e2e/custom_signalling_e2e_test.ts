// deno-test-isolated: starts endpoint processes (WebRTC runs in them); its own process lets the runner run e2e files two at a time
// End to end with a signalling kind added by a script: the folder_call and
// folder_answer examples, each run by examples/custom_signalling.ts (which
// registers `!folder`, then runs the command line), meet through a temporary
// folder. Run inside the loopback network namespace
// (scripts/in_loopback_netns.sh; `deno task test` does).
import assert from "node:assert/strict";
import { join } from "node:path";
import {
  Endpoint,
  probeFiles,
  regionColour,
  type Rgb,
  ROOT,
  waitForState,
  waitUntil,
  withEndpoints,
  withTomlProbes,
} from "./_endpoint.ts";

const SCRIPT = join(ROOT, "examples/custom_signalling.ts");

/** folder_call's look: green dominates. */
const greenish = (rgb: Rgb | null) =>
  rgb !== null && rgb[1] > rgb[0] + 40 && rgb[1] > rgb[2] + 40;
/** folder_answer's look: red and blue dominate green. */
const magentaish = (rgb: Rgb | null) =>
  rgb !== null && rgb[0] > rgb[1] + 40 && rgb[2] > rgb[1] + 40;

Deno.test("the custom !folder signalling example connects two endpoints through a folder and each shows the other's picture", async () => {
  await withEndpoints(async (dir, endpoints) => {
    const size: [number, number] = [160, 96];
    const folder = join(dir, "calls");
    const files = (name: string) => probeFiles(dir, name);
    for (const name of ["folder_answer", "folder_call"]) {
      const example = await Deno.readTextFile(
        join(ROOT, `examples/${name}.toml`),
      );
      await Deno.writeTextFile(
        join(dir, `${name}.toml`),
        withTomlProbes(example, "main", size),
      );
      endpoints.push(Endpoint.start({
        name,
        entry: SCRIPT,
        scene: join(dir, `${name}.toml`),
        defines: {
          ...files(name),
          FOLDER: folder,
          WIDTH: size[0],
          HEIGHT: size[1],
        },
      }));
    }
    for (const name of ["folder_answer", "folder_call"]) {
      await waitForState(name, files(name).STATE, "connected", endpoints);
    }
    const centre = (name: string) =>
      regionColour(files(name).OUT, 0.2, 0.2, 0.8, 0.8);
    await waitUntil(
      () =>
        `folder_call to show folder_answer's magenta picture (${
          centre("folder_call")
        })`,
      () => magentaish(centre("folder_call")),
      endpoints,
    );
    await waitUntil(
      () =>
        `folder_answer to show folder_call's green picture (${
          centre("folder_answer")
        })`,
      () => greenish(centre("folder_answer")),
      endpoints,
    );
    // The offer and the answer were taken from the folder by the other side.
    const left = [...Deno.readDirSync(folder)].map((entry) => entry.name);
    assert.deepEqual(left, []);
    for (const endpoint of endpoints) {
      assert.doesNotMatch(endpoint.output, /\b(WARN|ERROR)\b/);
    }
  });
});

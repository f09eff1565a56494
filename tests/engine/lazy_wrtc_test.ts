/**
 * The native WebRTC addon (`@roamhq/wrtc`) is loaded only by what needs it:
 * a process that imports `mod.ts` (the engine) and renders a scene without
 * `!webrtc`, or runs `server.ts` serving a client, never maps the addon's
 * `.node` file; a scene with `!webrtc` does (so the check can fail), after
 * its first frame rendered.
 *
 * @module
 */

import assert from "node:assert/strict";
import { join } from "node:path";
import { TestClient } from "../server/_ws_client.ts";
import { startServer } from "../server/_server_process.ts";

const ROOT = new URL("../../", import.meta.url).pathname;
const PROBE = new URL("./_wrtc_probe.ts", import.meta.url).pathname;

/** The real paths of the wrtc addon's native files (`wrtc.node`) under `node_modules/.deno`. */
function wrtcAddonFiles(): string[] {
  const store = join(ROOT, "node_modules", ".deno");
  const found: string[] = [];
  const walk = (folder: string) => {
    for (const entry of Deno.readDirSync(folder)) {
      const path = join(folder, entry.name);
      if (entry.isDirectory) walk(path);
      else if (entry.name.endsWith(".node")) {
        found.push(Deno.realPathSync(path));
      }
    }
  };
  for (const entry of Deno.readDirSync(store)) {
    if (entry.name.startsWith("@roamhq+wrtc")) walk(join(store, entry.name));
  }
  return found;
}

const ADDON = wrtcAddonFiles();

function mapsAddon(paths: readonly string[]): boolean {
  return paths.some((path) => ADDON.includes(path));
}

/** Runs the probe in `mode`; its JSON report. */
async function probe(mode: string): Promise<Record<string, unknown>> {
  const { code, stdout, stderr } = await new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", PROBE, mode],
    cwd: ROOT,
    stdout: "piped",
    stderr: "piped",
  }).output();
  const text = new TextDecoder().decode(stdout);
  assert.equal(code, 0, `probe ${mode}: ${new TextDecoder().decode(stderr)}`);
  return JSON.parse(text.trim().split("\n").at(-1)!);
}

Deno.test("the wrtc addon's native file is found to look for", () => {
  assert.ok(
    ADDON.some((path) => path.endsWith("/wrtc.node")),
    `no wrtc.node under node_modules/.deno/@roamhq+wrtc*: ${ADDON}`,
  );
});

Deno.test("importing mod.ts and rendering a scene without !webrtc does not load the wrtc addon", async () => {
  const report = await probe("plain");
  assert.deepEqual(report.pixel, [255, 0, 0, 255], "the scene rendered");
  assert.equal(report.loaded, false);
  assert.ok(!mapsAddon(report.atEnd as string[]), JSON.stringify(report));
  // What needs the addon says how to load it.
  assert.match(String(report.sessionError), /await loadWrtc\(\)/);
  assert.match(String(report.libyuvError), /await loadWrtc\(\)/);
});

Deno.test("a scene with !webrtc loads the wrtc addon, after rendering its first frame", async () => {
  const report = await probe("webrtc");
  assert.ok(!mapsAddon(report.atStart as string[]), JSON.stringify(report));
  assert.ok(
    !mapsAddon(report.afterFirstFrame as string[]),
    "the first frame does not wait for the addon",
  );
  assert.deepEqual(report.pixel, [255, 0, 0, 255], "its children were shown");
  assert.equal(report.loaded, true);
  assert.ok(mapsAddon(report.atEnd as string[]), JSON.stringify(report));
});

Deno.test("a scene file with !webrtc is loaded with the addon and libwebrtc's field trials ready before its first frame", async () => {
  const report = await probe("file");
  assert.ok(!mapsAddon(report.atStart as string[]), JSON.stringify(report));
  assert.equal(report.loadedBeforeFirstFrame, true, JSON.stringify(report));
  assert.match(
    String(report.trialsBeforeFirstFrame),
    /WebRTC-ForcePlayoutDelay/,
    "the built-in field trials are set",
  );
  assert.deepEqual(report.pixel, [255, 0, 0, 255], "its children were shown");
});

Deno.test("server.ts serving a WebSocket client does not load the wrtc addon", async () => {
  const server = await startServer([]);
  try {
    const alice = await TestClient.joined(server.url, "alice", "lobby");
    const bob = await TestClient.joined(server.url, "bob", "lobby");
    bob.send({ type: "call", to: "alice", offer: "o" });
    await alice.next((m) => m.type === "call" && m.from === "bob");
    const maps = Deno.readTextFileSync(`/proc/${server.child.pid}/maps`);
    const mapped = maps.split("\n").map((line) =>
      line.trim().split(/\s+/).slice(5).join(" ")
    );
    assert.ok(mapped.length > 10, "the server's memory map was read");
    assert.ok(!mapsAddon(mapped), "server.ts mapped wrtc.node");
    alice.socket.close();
    bob.socket.close();
  } finally {
    await server.stop();
  }
});

// deno-test-isolated: starts endpoint processes (WebRTC runs in them), and loads wrtc itself
// Where libwebrtc's field trials cannot be set, a warning says so and calls
// run with libwebrtc's defaults (README, "Latency"). Provoked for real: each
// endpoint runs in a mount namespace of its own where the wrtc addon file is
// replaced (bind mount) by a copy without its symbol table, as a stripped
// build would be, so the function that sets the trials cannot be found.
// Needs root (a mount namespace); run inside the loopback network namespace
// (scripts/in_loopback_netns.sh; `deno task test` does).
import assert from "node:assert/strict";
import { join } from "node:path";
import { loadWrtc, requireWrtc } from "../../lib/webrtc/_wrtc.ts";
import { holdUdpPort } from "../_udp_port.ts";
import {
  broadcastNode,
  Endpoint,
  probeFiles,
  type Rgb,
  waitForCall,
  withEndpoints,
  writeCallScene,
} from "./_endpoint.ts";

const RED: Rgb = [255, 0, 0];
const BLUE: Rgb = [0, 0, 255];

const unavailable = Deno.uid() !== 0
  ? "replacing the wrtc addon in a mount namespace needs root"
  : undefined;
if (unavailable) {
  console.warn(`Skipping the field-trials warning test: ${unavailable}`);
}

/** The path of the wrtc addon this process loaded (as `/proc/self/maps` shows it). */
async function loadedAddonPath(): Promise<string> {
  await loadWrtc();
  assert.equal(typeof requireWrtc("the test").RTCPeerConnection, "function");
  for (const line of Deno.readTextFileSync("/proc/self/maps").split("\n")) {
    const fields = line.trim().split(/\s+/);
    const path = fields.slice(5).join(" ");
    if (path.endsWith("/wrtc.node")) return path;
  }
  throw new Error("wrtc.node is not mapped in this process");
}

/** A copy of a 64-bit little-endian ELF file whose symbol table sections are marked unused (as `strip` leaves it). */
function withoutSymbolTable(elf: Uint8Array): Uint8Array {
  const copy = elf.slice();
  const view = new DataView(copy.buffer);
  assert.deepEqual([...copy.subarray(0, 6)], [0x7f, 0x45, 0x4c, 0x46, 2, 1]);
  const offset = Number(view.getBigUint64(0x28, true));
  const size = view.getUint16(0x3a, true);
  const count = view.getUint16(0x3c, true);
  let found = 0;
  for (let i = 0; i < count; i++) {
    const type = offset + i * size + 4;
    if (view.getUint32(type, true) === 2) { // SHT_SYMTAB
      view.setUint32(type, 0, true); // SHT_NULL
      found++;
    }
  }
  assert.ok(found > 0, "the addon has no symbol table to remove");
  return copy;
}

Deno.test({
  name:
    "with field trials impossible to set (a wrtc build without its symbol table) each endpoint warns once and the call still connects",
  ignore: unavailable !== undefined,
  async fn() {
    await using held = await holdUdpPort();
    await withEndpoints(async (dir, endpoints) => {
      const addon = await loadedAddonPath();
      const stripped = join(dir, "wrtc.node");
      await Deno.writeFile(
        stripped,
        withoutSymbolTable(await Deno.readFile(addon)),
        { mode: 0o755 },
      );
      // Private mounts: the replacement is seen by that process alone.
      const wrap = [
        ..."unshare --mount --propagation private sh -c".split(" "),
        'mount --bind "$1" "$2" && shift 2 && exec "$@"',
        "sh",
        stripped,
        addon,
      ];
      const files = (name: string) => probeFiles(dir, name);
      for (
        const [name, colour, role] of [["a", RED, "call"], [
          "b",
          BLUE,
          "answer",
        ]] as const
      ) {
        const scene = await writeCallScene(dir, name, {
          colour,
          signalling: broadcastNode(role, "trials", held.port),
        });
        endpoints.push(
          Endpoint.start({ name, scene, defines: files(name), wrap }),
        );
      }
      await waitForCall([
        { who: "A", files: files("a"), receives: BLUE },
        { who: "B", files: files("b"), receives: RED },
      ], endpoints);
      for (const endpoint of endpoints) {
        const warnings = endpoint.output.split("\n").filter((line) =>
          line.includes("cannot set libwebrtc field trials")
        );
        assert.equal(warnings.length, 1, endpoint.describe());
        assert.match(
          warnings[0],
          /WARN .*cannot set libwebrtc field trials: .*has no symbol _ZN6webrtc11field_trial25InitFieldTrialsFromStringEPKc; calls use libwebrtc's default jitter buffer and pacing/,
        );
      }
    });
  },
});

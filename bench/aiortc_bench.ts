/**
 * Reference benchmark: aiortc's own cost for a 720p30 call both ways on this
 * machine (see `bench/_aiortc_reference.ts` for what is measured and how).
 *
 * Run: `deno run -A bench/aiortc_bench.ts [--warmup=S] [--seconds=S]` (it
 * re-runs itself inside `scripts/in_loopback_netns.sh` when not already
 * there; needs Debian's python3-aiortc, which `scripts/setup.sh --test`
 * installs) → `bench/results/aiortc.json` and a line per peer and variant.
 * `deno run -A bench/call_bench.ts --bitrate=1500000 --aiortc` measures it
 * next to our endpoints.
 *
 * @module
 */

import {
  aiortcUnavailable,
  measureAiortcReference,
} from "./_aiortc_reference.ts";
import { rerunInLoopbackNetns } from "./_loopback_netns.ts";

const ROOT = new URL("../", import.meta.url).pathname;
/** `--warmup=S`: seconds between both peers connected and the window. */
const WARMUP_SECONDS = Number(
  Deno.args.find((arg) => arg.startsWith("--warmup="))?.slice(9) ?? 15,
);
/** `--seconds=S`: length of the measured window. */
const MEASURE_SECONDS = Number(
  Deno.args.find((arg) => arg.startsWith("--seconds="))?.slice(10) ?? 10,
);

// WebRTC must only see `lo`: run again inside a loopback-only namespace.
await rerunInLoopbackNetns(import.meta.url);

const unavailable = await aiortcUnavailable();
if (unavailable !== undefined) {
  console.error(`aiortc benchmark skipped: ${unavailable}`);
  Deno.exit(1);
}

const reference = await measureAiortcReference(WARMUP_SECONDS, MEASURE_SECONDS);
for (const [name, call] of Object.entries(reference.calls)) {
  for (const peer of call.peers) {
    console.log(
      `aiortc ${name} peer ${peer.peer}: ${peer.cpuPercentOfOneCore} % of a core, received ${peer.receivedFps} fps at ${peer.receivedSize}, sending ${peer.sendKbps} kbps`,
    );
  }
}
console.log(
  `aiortc :connected over websocket: median ${reference.connectWebsocket.median} ms (${
    reference.connectWebsocket.runsMs.join(", ")
  })`,
);
const path = `${ROOT}bench/results/aiortc.json`;
await Deno.writeTextFile(
  path,
  JSON.stringify(
    {
      date: new Date().toISOString(),
      cores: navigator.hardwareConcurrency,
      ...reference,
    },
    null,
    2,
  ) + "\n",
);
console.log(`→ ${path}`);

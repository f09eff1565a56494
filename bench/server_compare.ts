/**
 * Compares the CPU per relayed message of two signalling server scripts
 * (say this repository's `server.ts` and a changed copy of it in another
 * worktree) under the same load, in alternating rounds, so that this
 * machine's drift (the same code measures up to a third apart from minute
 * to minute) falls on both alike.
 *
 * Both servers run at once, each its own process on 127.0.0.1; each round
 * loads one and then the other (the order alternates) with `npm:ws` client
 * pairs bouncing 3 KB messages (10 pairs × 8 in flight, then 4 × 32), for
 * 2 s after 0.3 s of warm-up, and reads the server's user + system time
 * from /proc. Printed per shape: each server's median, and the median of
 * the paired differences (second − first), which is the figure to trust.
 *
 * Run: `deno run -A bench/server_compare.ts FIRST.ts SECOND.ts [ROUNDS]`
 * (default 8 rounds; the same script twice to compare Deno flags alone).
 * `--first-flags="…"` and `--second-flags="…"` replace the Deno flags of
 * one server (default: `deno task serve`'s,
 * `--v8-flags=--max-semi-space-size=4`). Nothing is written.
 *
 * @module
 */

import { startBouncingPairs } from "./_ws_clients.ts";
import {
  cpuSeconds,
  type ServerProcess,
  startServerProcess,
} from "./_server_process.ts";

/** Server CPU µs per relayed message over one round of `pairs` × `window`. */
async function round(
  server: ServerProcess,
  pairs: number,
  window: number,
): Promise<number> {
  const bouncing = await startBouncingPairs(server.url, pairs, window, "ws");
  await new Promise((resolve) => setTimeout(resolve, 300));
  const relayedBefore = bouncing.relayed();
  const cpuBefore = cpuSeconds(server.pid);
  await new Promise((resolve) => setTimeout(resolve, 2000));
  const perMessage = (cpuSeconds(server.pid) - cpuBefore) * 1e6 /
    (bouncing.relayed() - relayedBefore);
  await bouncing.stop();
  return perMessage;
}

const median = (values: number[]) =>
  [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)];
const fixed = (values: number[]) => values.map((v) => v.toFixed(1)).join(" ");

const flagsOption = (name: string) => {
  const value = Deno.args.find((arg) => arg.startsWith(`--${name}=`))
    ?.slice(name.length + 3);
  return value === undefined ? undefined : value.split(" ").filter(Boolean);
};
const [firstScript, secondScript, roundsArg] = Deno.args.filter((arg) =>
  !arg.startsWith("--")
);
if (!firstScript || !secondScript) {
  console.error(
    "usage: deno run -A bench/server_compare.ts FIRST.ts SECOND.ts [ROUNDS]",
  );
  Deno.exit(2);
}
const rounds = Number(roundsArg ?? 8);
const first = await startServerProcess({
  script: firstScript,
  denoFlags: flagsOption("first-flags"),
  stderr: "null",
});
const second = await startServerProcess({
  script: secondScript,
  denoFlags: flagsOption("second-flags"),
  stderr: "null",
});
try {
  for (const [pairs, window] of [[10, 8], [4, 32]]) {
    const a: number[] = [], b: number[] = [], differences: number[] = [];
    for (let i = 0; i < rounds; i++) {
      let x: number, y: number;
      if (i % 2 === 0) {
        x = await round(first, pairs, window);
        y = await round(second, pairs, window);
      } else {
        y = await round(second, pairs, window);
        x = await round(first, pairs, window);
      }
      a.push(x);
      b.push(y);
      differences.push(y - x);
    }
    console.log(
      `${pairs} × ${window}: first ${median(a).toFixed(2)} µs/message ` +
        `[${fixed(a)}], second ${median(b).toFixed(2)} [${fixed(b)}]; ` +
        `paired difference (second − first) median ${
          median(differences).toFixed(2)
        } µs`,
    );
  }
} finally {
  await first.stop();
  await second.stop();
}

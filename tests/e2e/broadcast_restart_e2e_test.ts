// deno-test-isolated: starts endpoint processes (WebRTC runs in them); its own process lets the runner run e2e files two at a time
// End to end over !broadcast, when an endpoint goes: a caller killed with
// SIGKILL and started again at once connects again (several times over),
// and the answerer goes back to its own picture when its caller's scene
// hangs up, when the caller exits cleanly, and when it crashes. Real `cli.ts run` processes in the loopback network
// namespace (scripts/in_loopback_netns.sh; `deno task test` does), observed
// through the PNG files their scenes record. How fast all this happens is
// measured by bench/reconnect_bench.ts, not here.
import assert from "node:assert/strict";
import { holdUdpPort } from "../_udp_port.ts";
import {
  broadcastNode,
  Endpoint,
  probeFiles,
  readState,
  type Rgb,
  waitForColour,
  waitForState,
  waitUntil,
  withEndpoints,
  writeCallScene,
} from "./_endpoint.ts";

const RED: Rgb = [255, 0, 0];
const BLUE: Rgb = [0, 0, 255];
/** Kill/restart cycles of the caller (the benchmark runs more). */
const CYCLES = 3;

/** Writes the caller (red) and answerer (blue) scenes for connection `id` on `port`. */
async function writeScenes(folder: string, id: string, port: number) {
  return {
    caller: await writeCallScene(folder, "caller", {
      colour: RED,
      signalling: broadcastNode("call", id, port),
    }),
    answerer: await writeCallScene(folder, "answerer", {
      colour: BLUE,
      signalling: broadcastNode("answer", id, port),
    }),
  };
}

Deno.test("a broadcast caller killed with SIGKILL and started again at once connects again, cycle after cycle", async () => {
  await using held = await holdUdpPort();
  const port = held.port;
  await withEndpoints(async (dir, endpoints) => {
    const scenes = await writeScenes(dir, "restart", port);
    const b = probeFiles(dir, "b");
    endpoints.push(
      Endpoint.start({ name: "B", scene: scenes.answerer, defines: b }),
    );
    let caller: Endpoint | undefined;
    for (let run = 1; run <= CYCLES + 1; run++) {
      if (caller !== undefined) {
        const killed = await caller.kill();
        assert.equal(killed.signal, "SIGKILL");
        endpoints.splice(endpoints.indexOf(caller), 1);
      }
      const a = probeFiles(dir, `a${run}`);
      caller = Endpoint.start({
        name: `A (run ${run})`,
        scene: scenes.caller,
        defines: a,
      });
      endpoints.push(caller);
      // Each run writes its own files, so these show this run's call: A
      // connected, and receiving B's blue.
      await waitForState(`A (run ${run})`, a.STATE, "connected", endpoints);
      await waitForColour(`A (run ${run})`, a.OUT, BLUE, endpoints);
      await waitForColour("B", b.OUT, RED, endpoints);
    }
  });
});

Deno.test("a broadcast answerer goes back to its own picture when its caller's scene hangs up, when the caller exits cleanly, and when it crashes", async () => {
  await using held = await holdUdpPort();
  const port = held.port;
  await withEndpoints(async (dir, endpoints) => {
    const scenes = await writeScenes(dir, "leave", port);
    const callerScene = await Deno.readTextFile(scenes.caller);
    const b = probeFiles(dir, "b");
    endpoints.push(
      Endpoint.start({ name: "B", scene: scenes.answerer, defines: b }),
    );
    /** Waits until B has left the call and shows its own (blue) picture. */
    const bAlone = async (after: string) => {
      await waitUntil(
        `B to leave :connected after ${after}`,
        () => readState(b.STATE) !== "connected",
        endpoints,
      );
      await waitForColour("B", b.OUT, BLUE, endpoints);
    };
    for (const how of ["SIGTERM", "SIGKILL"] as const) {
      const a = probeFiles(dir, `a_${how}`);
      const caller = Endpoint.start({
        name: `A (${how} next)`,
        scene: scenes.caller,
        defines: a,
      });
      endpoints.push(caller);
      await waitForState("A", a.STATE, "connected", endpoints);
      await waitForColour("B", b.OUT, RED, endpoints);
      if (how === "SIGTERM") {
        // A scene edit that hangs up (it now calls someone else), then the
        // scene as it was: the call comes back.
        const edited = callerScene.replace(
          '"call": "leave"',
          '"call": "elsewhere"',
        );
        assert.notEqual(edited, callerScene);
        await Deno.writeTextFile(scenes.caller, edited);
        await bAlone("A's scene edit");
        await Deno.writeTextFile(scenes.caller, callerScene);
        await waitForState("B", b.STATE, "connected", endpoints);
        await waitForColour("B", b.OUT, RED, endpoints);
      }
      const status = how === "SIGTERM"
        ? await caller.stop()
        : await caller.kill();
      if (how === "SIGKILL") assert.equal(status.signal, "SIGKILL");
      else assert.equal(status.code, 0, caller.describe());
      endpoints.splice(endpoints.indexOf(caller), 1);
      await bAlone(`A's ${how}`);
    }
    const answerer = endpoints[0];
    assert.match(answerer.output, /the peer hung up/, answerer.describe());
    assert.match(answerer.output, /nothing from the peer for/);
  });
});

// deno-test-isolated: starts endpoint processes (WebRTC runs in them); its own process lets the runner run e2e files two at a time
// End to end over !broadcast: real `cli.ts run` processes in the loopback
// network namespace (scripts/in_loopback_netns.sh; `deno task test` does),
// observed through the PNG files their scenes record.
import assert from "node:assert/strict";
import { join } from "node:path";
import {
  broadcastNode,
  Endpoint,
  LOOPBACK_BROADCAST,
  probeFiles,
  readState,
  type Rgb,
  ROOT,
  waitForCall,
  waitForColour,
  waitForState,
  waitUntil,
  withEndpoints,
  writeCallScene,
} from "./_endpoint.ts";
import { holdUdpPort } from "../_udp_port.ts";

const RED: Rgb = [255, 0, 0];
const BLUE: Rgb = [0, 0, 255];
const YELLOW: Rgb = [255, 255, 0];

Deno.test("two endpoints call each other over !broadcast, reach :connected and each receives the other's colour", async () => {
  await using held = await holdUdpPort();
  const port = held.port;
  await withEndpoints(async (dir, endpoints) => {
    const sceneA = await writeCallScene(dir, "a", {
      colour: RED,
      signalling: broadcastNode("call", "e2e", port),
    });
    const sceneB = await writeCallScene(dir, "b", {
      colour: BLUE,
      signalling: broadcastNode("answer", "e2e", port),
    });
    const files = (name: string) => probeFiles(dir, name);
    const a = Endpoint.start({ name: "A", scene: sceneA, defines: files("a") });
    endpoints.push(a);
    const b = Endpoint.start({ name: "B", scene: sceneB, defines: files("b") });
    endpoints.push(b);

    await waitForCall([
      { who: "A", files: files("a"), receives: BLUE },
      { who: "B", files: files("b"), receives: RED },
    ], endpoints);
  });
});

Deno.test("after one endpoint is killed the other leaves :connected, and a restarted endpoint connects again", async () => {
  await using held = await holdUdpPort();
  const port = held.port;
  await withEndpoints(async (dir, endpoints) => {
    const sceneA = await writeCallScene(dir, "a", {
      colour: RED,
      signalling: broadcastNode("call", "again", port),
    });
    const sceneB = await writeCallScene(dir, "b", {
      colour: BLUE,
      signalling: broadcastNode("answer", "again", port),
    });
    // Each run of A gets its own files: a killed process leaves its last ones.
    const files = (name: string) => probeFiles(dir, name);
    const b = Endpoint.start({ name: "B", scene: sceneB, defines: files("b") });
    endpoints.push(b);
    const a1 = Endpoint.start({
      name: "A (first run)",
      scene: sceneA,
      defines: files("a1"),
    });
    endpoints.push(a1);
    await waitForState("B", files("b").STATE, "connected", endpoints);
    await waitForColour("B", files("b").OUT, RED, endpoints);
    await waitForColour("A", files("a1").OUT, BLUE, endpoints);

    const killed = await a1.kill();
    assert.equal(killed.signal, "SIGKILL");
    endpoints.splice(endpoints.indexOf(a1), 1);
    const left = await waitUntil(
      "B to leave :connected after A was killed",
      () => {
        const state = readState(files("b").STATE);
        return state !== "connected" && state;
      },
      endpoints,
      40_000,
    );
    assert.notEqual(left, "connected");

    const a2 = Endpoint.start({
      name: "A (restarted)",
      scene: sceneA,
      defines: files("a2"),
    });
    endpoints.push(a2);
    await waitForCall([
      { who: "A", files: files("a2"), receives: BLUE },
      { who: "B", files: files("b"), receives: RED },
    ], endpoints);
  });
});

Deno.test("the tranceiver example relays a caller's colour to the receiver and the receiver's colour back", async () => {
  await using held = await holdUdpPort();
  const port = held.port;
  await withEndpoints(async (dir, endpoints) => {
    // A calls "tranceiver", the example relays to "receiver" (C), all with
    // the default secret, on one port of the loopback broadcast address.
    const sceneA = await writeCallScene(dir, "a", {
      colour: RED,
      signalling: broadcastNode("call", "tranceiver", port),
    });
    const sceneC = await writeCallScene(dir, "c", {
      colour: YELLOW,
      signalling: broadcastNode("answer", "receiver", port),
    });
    const files = (name: string) => probeFiles(dir, name);
    const c = Endpoint.start({ name: "C", scene: sceneC, defines: files("c") });
    endpoints.push(c);
    const b = Endpoint.start({
      name: "B (examples/tranceiver.toml)",
      scene: join(ROOT, "examples/tranceiver.toml"),
      defines: {
        BROADCAST: LOOPBACK_BROADCAST,
        PORT: port,
        WIDTH: 160,
        HEIGHT: 120,
      },
    });
    endpoints.push(b);
    const a = Endpoint.start({ name: "A", scene: sceneA, defines: files("a") });
    endpoints.push(a);

    await waitForState("A", files("a").STATE, "connected", endpoints);
    await waitForState("C", files("c").STATE, "connected", endpoints);
    // Only B connects to both: A's colour at C, C's colour at A.
    await waitForColour("C", files("c").OUT, RED, endpoints);
    await waitForColour("A", files("a").OUT, YELLOW, endpoints);
  });
});

// deno-test-isolated: starts endpoint processes (WebRTC runs in them); its own process lets the runner run e2e files two at a time
// End to end between two "machines": each endpoint runs in its own network
// namespace on a veth LAN that the test builds (tests/e2e/_lan.ts), so the
// call goes over a real subnet, not loopback — signalling by broadcast to
// the subnet's broadcast address, and through a signalling server on one of
// the machines, as the README's "Calling between two machines" describes.
import { startServer } from "../server/_server_process.ts";
import { createLan, type Lan, lanUnavailable } from "./_lan.ts";
import {
  broadcastNode,
  Endpoint,
  probeFiles,
  type Rgb,
  type SceneNodeJson,
  waitForCall,
  websocketNode,
  withEndpoints,
  writeCallScene,
} from "./_endpoint.ts";

// Channels of 0 or 255 only: they survive the sRGB encoding exactly.
const YELLOW: Rgb = [255, 255, 0];
const CYAN: Rgb = [0, 255, 255];

/**
 * Why the LAN cannot be built here (not root, no `ip`: the tests are then
 * skipped), or `undefined`. Any other failure to build it fails the test.
 */
const unavailable = await lanUnavailable();
if (unavailable) console.warn(`Skipping the LAN tests: ${unavailable}`);

/** Runs `body` with a fresh LAN, removing it afterwards. */
async function withLan(body: (lan: Lan) => Promise<void>): Promise<void> {
  const lan = await createLan();
  try {
    await body(lan);
  } finally {
    await lan.remove();
  }
}

/** A caller on the first host and an answerer on the second; both must connect and see each other's colour. */
async function callAcross(
  lan: Lan,
  caller: SceneNodeJson,
  answerer: SceneNodeJson,
): Promise<void> {
  await withEndpoints(async (dir, endpoints) => {
    const files = (name: string) => probeFiles(dir, name);
    const scenes = {
      a: await writeCallScene(dir, "a", {
        colour: YELLOW,
        signalling: caller,
      }),
      b: await writeCallScene(dir, "b", {
        colour: CYAN,
        signalling: answerer,
      }),
    };
    endpoints.push(Endpoint.start({
      name: `B (answering, on ${lan.hosts[1].address})`,
      scene: scenes.b,
      defines: files("b"),
      netns: lan.hosts[1].netns,
    }));
    endpoints.push(Endpoint.start({
      name: `A (calling, on ${lan.hosts[0].address})`,
      scene: scenes.a,
      defines: files("a"),
      netns: lan.hosts[0].netns,
    }));
    await waitForCall([
      { who: "A", files: files("a"), receives: CYAN },
      { who: "B", files: files("b"), receives: YELLOW },
    ], endpoints);
  });
}

Deno.test({
  name:
    "two machines on one LAN call each other over !broadcast to the subnet's broadcast address",
  ignore: unavailable !== undefined,
  fn: () =>
    withLan(async (lan) => {
      // The namespaces are new and private: the default port is free there.
      const port = 5111;
      const broadcast = (role: "call" | "answer") => ({
        ...broadcastNode(role, "lan", port, lan.broadcast),
        secret: "two rigs",
      });
      await callAcross(lan, broadcast("call"), broadcast("answer"));
    }),
});

Deno.test({
  name:
    "two machines on one LAN call each other through a signalling server running on one of them",
  ignore: unavailable !== undefined,
  fn: () =>
    withLan(async (lan) => {
      const server = await startServer([], {
        host: lan.hosts[0].address,
        netns: lan.hosts[0].netns,
      });
      try {
        const websocket = (id: string, call?: string) =>
          websocketNode(server.url.replace(/^ws:/, "http:"), id, {
            room: "lan",
            ...(call ? { call } : {}),
          });
        await callAcross(lan, websocket("a", "b"), websocket("b"));
      } finally {
        await server.stop();
      }
    }),
});

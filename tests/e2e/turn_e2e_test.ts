// deno-test-isolated: starts endpoint processes (WebRTC runs in them) and a TURN server; its own process lets the runner run e2e files two at a time
// End to end through a real TURN server (Debian's coturn): two rigs in
// network namespaces of their own that reach a third one, holding coturn
// and a signalling server, but not each other (tests/e2e/_turn_net.ts).
// Each rig is a `cli.ts run` process with `ice=turn:USER:PASSWORD@HOST:PORT`
// and `stats=`; a probe recorded from `stats=` says whether the call's
// selected candidate pair goes through the relay, and each records the
// other's picture. With a direct link between them as well and
// `ice_policy=:relay`, no packet may cross that link.
import assert from "node:assert/strict";
import { join } from "node:path";
import { startServer } from "../server/_server_process.ts";
import { startTurnServer, turnUnavailable } from "../_turn_server.ts";
import { lanUnavailable } from "./_lan.ts";
import { createTurnNet, type TurnNet } from "./_turn_net.ts";
import {
  Endpoint,
  probeFiles,
  probeNodes,
  regionColour,
  type Rgb,
  solidShader,
  stopAll,
  tempFolder,
  waitForColour,
  waitForState,
  waitUntil,
} from "./_endpoint.ts";

// Channels of 0 or 255 only: they survive the sRGB encoding exactly.
const MAGENTA: Rgb = [255, 0, 255];
const CYAN: Rgb = [0, 255, 255];

const unavailable = await lanUnavailable() ?? await turnUnavailable();
if (unavailable) console.warn(`Skipping the TURN e2e tests: ${unavailable}`);

/** What the RELAY probe shows, by colour. */
const PROBE: ReadonlyArray<[string, Rgb]> = [
  ["relay", [0, 255, 0]], // the selected pair goes through the relay
  ["direct", [255, 0, 0]], // figures, but neither end of the pair is relay
  ["none", [0, 0, 255]], // no figures (no call)
];

/**
 * A scene: `!webrtc` (id `call`, state `:webrtc`, figures under `:stats`)
 * sending `colour` with `signalling` and `attributes` (`ice=`, …), the
 * OUT and STATE probes of `_endpoint.ts`, and RELAY: green while the
 * selected candidate pair has a relay candidate at `ends` (`"either"` end,
 * or `"both"`), red while it does not, blue without figures.
 */
function turnScene(
  colour: Rgb,
  signalling: Record<string, unknown>,
  attributes: Record<string, unknown>,
  ends: "either" | "both",
): string {
  const local = "$(:stats;:candidate) == :relay";
  const remote = "$(:stats;:remote_candidate) == :relay";
  const relayed = ends === "both"
    ? `${local} and ${remote}`
    : `${local} or ${remote}`;
  const size: [number, number] = [160, 120];
  return JSON.stringify({
    nodes: [
      {
        kind: "!webrtc",
        id: "call",
        size,
        state: ":webrtc",
        stats: ":stats",
        ...attributes,
        children: [signalling, solidShader(colour)],
      },
      ...probeNodes("call", size),
      {
        kind: "!record",
        filename: "=RELAY",
        size: [8, 8],
        children: [{
          ...solidShader([0, 0, 0]),
          fill: `=((0;1;0) if ${relayed} else (1;0;0)) if $:stats else (0;0;1)`,
        }],
      },
    ],
  });
}

/** What the RELAY probe PNG at `path` shows, or `null` before it exists. */
function readRelayProbe(path: string): string | null {
  const colour = regionColour(path, 0, 0, 1, 1);
  if (colour === null) return null;
  const found = PROBE.find(([, expected]) =>
    expected.every((value, i) => Math.abs(colour[i] - value) <= 30)
  );
  return found?.[0] ?? `unexpected colour ${colour}`;
}

/**
 * Builds the network (with a direct A–B link when `direct`), starts coturn
 * and a signalling server in T, then A (calling) and B (answering) with
 * `attributes` on their `!webrtc`; waits until both are connected, the
 * RELAY probes show `relay` (`ends` of the pair: see {@linkcode turnScene})
 * and each shows the other's colour. `ready` runs once the network is
 * built, before anything is started in it; `check` after the call is
 * shown to work, still in the call.
 */
async function callThroughTurn(
  options: {
    direct: boolean;
    attributes: (turnUrl: string) => Record<string, unknown>;
    ends: "either" | "both";
    ready?: (net: TurnNet) => Promise<void>;
    check?: (net: TurnNet) => Promise<void>;
  },
): Promise<void> {
  const net = await createTurnNet({ direct: options.direct });
  const dir = await tempFolder();
  const endpoints: Endpoint[] = [];
  let turn: Awaited<ReturnType<typeof startTurnServer>> | undefined;
  let server: Awaited<ReturnType<typeof startServer>> | undefined;
  try {
    await options.ready?.(net);
    turn = await startTurnServer({
      address: net.t.address,
      netns: net.t.netns,
    });
    server = await startServer([], {
      host: net.t.address,
      netns: net.t.netns,
    });
    const files = (name: string) => ({
      ...probeFiles(dir.path, name),
      RELAY: join(dir.path, `${name}_relay.png`),
    });
    const websocket = (id: string, call?: string) => ({
      kind: "!websocket",
      url: server!.url,
      room: "turn",
      id,
      ...(call ? { call } : {}),
    });
    const attributes = options.attributes(turn.url);
    for (
      const [name, colour, signalling] of [
        ["b", CYAN, websocket("b")],
        ["a", MAGENTA, websocket("a", "b")],
      ] as const
    ) {
      const scene = join(dir.path, `${name}.json`);
      await Deno.writeTextFile(
        scene,
        turnScene(colour, signalling, attributes, options.ends),
      );
      const host = name === "a" ? net.a : net.b;
      endpoints.push(Endpoint.start({
        name: `${name.toUpperCase()} (on ${host.address})`,
        scene,
        defines: files(name),
        netns: host.netns,
      }));
    }
    await waitForState("A", files("a").STATE, "connected", endpoints);
    await waitForState("B", files("b").STATE, "connected", endpoints);
    for (const name of ["a", "b"]) {
      let seen: string | null = null;
      await waitUntil(
        () =>
          `${name.toUpperCase()}'s selected pair to go through the relay (RELAY probe: ${seen})`,
        () => (seen = readRelayProbe(files(name).RELAY)) === "relay",
        endpoints,
      );
    }
    await waitForColour("A", files("a").OUT, CYAN, endpoints);
    await waitForColour("B", files("b").OUT, MAGENTA, endpoints);
    await options.check?.(net);
  } catch (error) {
    const log = turn ? (await turn.log()).slice(-2000) : "(not started)";
    throw new Error(
      `${(error as Error).message}\n--- coturn log:\n${log}`,
      { cause: error },
    );
  } finally {
    await stopAll(endpoints);
    await server?.stop();
    await turn?.stop();
    await dir.remove();
    await net.remove();
  }
}

Deno.test({
  name:
    "two rigs with no route to each other call through a coturn server (ice=turn:USER:PASSWORD@HOST:PORT) and see each other's picture",
  ignore: unavailable !== undefined,
  fn: () =>
    callThroughTurn({
      direct: false,
      attributes: (url) => ({ ice: url }),
      // A's host candidate can reach B's relay candidate (on T) directly,
      // so one end of the pair may be a host candidate: the call still
      // goes through the relay.
      ends: "either",
    }),
});

Deno.test({
  name:
    "with ice_policy=:relay, two rigs on a direct link as well call through the relay only: no packet crosses the direct link",
  ignore: unavailable !== undefined,
  fn: async () => {
    let before = 0;
    await callThroughTurn({
      direct: true,
      attributes: (url) => ({ ice: url, ice_policy: ":relay" }),
      // Only relay candidates on either side.
      ends: "both",
      ready: async (net) => {
        before = await net.directPackets();
      },
      check: async (net) => {
        const during = await net.directPackets();
        assert.equal(
          during - before,
          0,
          "packets crossed the direct link during the call",
        );
        // The link works and is counted: a datagram sent across it shows.
        const send = await new Deno.Command("ip", {
          args: [
            "netns",
            "exec",
            net.a.netns,
            "bash",
            "-c",
            `echo probe > /dev/udp/${net.direct!.b}/9`,
          ],
        }).output();
        assert.ok(send.success, "sending a datagram across the direct link");
        assert.ok(
          await net.directPackets() > during,
          "the datagram across the direct link is counted",
        );
      },
    });
  },
});

// deno-test-isolated: libwebrtc may abort when Deno tears this runtime down
// WebRTC needs a network namespace with only `lo`: run inside
// scripts/in_loopback_netns.sh (`deno task test` does).
//
// Peer sessions through a real TURN server (Debian's coturn, on 127.0.0.1
// in the test namespace): with iceTransportPolicy "relay" the SDPs carry
// relay candidates only and the call runs through the relay; with "all"
// (the default) the same server adds a relay candidate beside the host ones
// and the call goes direct.
import assert from "node:assert/strict";
import { Engine } from "../../lib/engine/engine.ts";
import { setLogLevel } from "../../lib/log/logger.ts";
import { readCallFigures } from "../../lib/webrtc/call_stats.ts";
import { parseIceServer } from "../../lib/webrtc/ice_servers.ts";
import {
  type IceTransportPolicy,
  WrtcPeerSession,
} from "../../lib/webrtc/peer_session.ts";
import { holdUdpPort } from "../_udp_port.ts";
import { startTurnServer, turnUnavailable } from "../_turn_server.ts";
import type { WebrtcNode } from "../../lib/webrtc/webrtc_node.ts";
import { halves, waitFor } from "./_helpers.ts";

setLogLevel(Deno.env.get("FLITTER_TEST_LOG") === "debug" ? "debug" : "warn");

const missing = await turnUnavailable();
if (missing) console.warn(`Skipping the TURN relay tests: ${missing}`);

const WIDTH = 160;
const HEIGHT = 120;

/** The candidate types (`host`, `relay`, …) of the `a=candidate` lines of `sdp`. */
function candidateTypes(sdp: string): string[] {
  return [...sdp.matchAll(/^a=candidate:.* typ (\w+)/gm)].map((m) => m[1]);
}

/** A and B call each other through a fresh coturn with `policy`; `body` checks the call. */
async function callThroughTurn(
  policy: IceTransportPolicy,
  body: (call: {
    a: WrtcPeerSession;
    b: WrtcPeerSession;
    offer: string;
    answer: string;
  }) => Promise<void>,
): Promise<void> {
  await using held = await holdUdpPort("127.0.0.1");
  const turn = await startTurnServer({ port: held.port });
  const options = {
    width: WIDTH,
    height: HEIGHT,
    iceServers: [parseIceServer(turn.url)],
    iceTransportPolicy: policy,
  };
  const a = await WrtcPeerSession.create(options);
  const b = await WrtcPeerSession.create(options);
  const image = halves(WIDTH, HEIGHT, [200, 40, 40], [20, 20, 200], false);
  const timer = setInterval(() => {
    a.sendFrame(image, WIDTH, HEIGHT, false);
    b.sendFrame(image, WIDTH, HEIGHT, false);
  }, 33);
  try {
    const offer = await a.createOffer();
    const answer = await b.acceptOffer(offer);
    await a.acceptAnswer(answer);
    await waitFor(
      () =>
        a.connectionState === "connected" &&
        b.connectionState === "connected" &&
        a.latestFrame() !== null && b.latestFrame() !== null,
      "both sessions to connect and receive a frame",
      15_000,
    );
    await body({ a, b, offer, answer });
  } catch (error) {
    throw new Error(
      `${(error as Error).message}\n--- coturn log:\n${
        (await turn.log()).slice(-2000)
      }`,
      { cause: error },
    );
  } finally {
    clearInterval(timer);
    a.close();
    b.close();
    await turn.stop();
  }
}

/** The candidate types of the selected pair of `session`'s call: [ours, the peer's]. */
async function selectedPair(session: WrtcPeerSession): Promise<string[]> {
  const report = await session.statsReport();
  assert.ok(report !== null, "a report while the call is up");
  const { figures } = readCallFigures(report, null, performance.now());
  return [String(figures.candidate), String(figures.remoteCandidate)];
}

Deno.test({
  name:
    "with iceTransportPolicy relay, the offer and answer carry only relay candidates and the call runs through the TURN server",
  ignore: missing !== undefined,
  fn: () =>
    callThroughTurn("relay", async ({ a, b, offer, answer }) => {
      assert.equal(a.iceTransportPolicy, "relay");
      for (const [what, sdp] of [["offer", offer], ["answer", answer]]) {
        const types = candidateTypes(sdp);
        assert.ok(types.length > 0, `the ${what} has candidates`);
        assert.deepEqual(
          [...new Set(types)],
          ["relay"],
          `the ${what} has relay candidates only: ${types}`,
        );
        assert.doesNotMatch(sdp, / typ host/);
      }
      assert.deepEqual(await selectedPair(a), ["relay", "relay"]);
      assert.deepEqual(await selectedPair(b), ["relay", "relay"]);
    }),
});

Deno.test({
  name:
    "with the default policy the same TURN server adds a relay candidate beside the host ones, and the call goes direct",
  ignore: missing !== undefined,
  fn: () =>
    callThroughTurn("all", async ({ a, offer }) => {
      assert.equal(a.iceTransportPolicy, "all");
      const types = candidateTypes(offer);
      assert.ok(types.includes("host"), `host candidates: ${types}`);
      assert.ok(types.includes("relay"), `a relay candidate: ${types}`);
      assert.deepEqual(await selectedPair(a), ["host", "host"]);
    }),
});

Deno.test("ice_policy= on !webrtc sets the session's policy; a bad value, or :relay without a TURN server, is warned about", async () => {
  await using held = await holdUdpPort();
  const scene = (attributes: string) => `
[[nodes]]
kind = "!webrtc"
id = "w"
size = [64, 48]
${attributes}
  [[nodes.children]]
  kind = "!broadcast"
  answer = "policy-test"
  port = ${held.port}
  broadcast = "127.255.255.255"
`;
  const printed: string[] = [];
  const { error } = console;
  console.error = (...args: unknown[]) => printed.push(args.join(" "));
  const engine = Engine.fromText(
    scene(`ice = "turn:rig:pw@127.0.0.1:9"\nice_policy = ":relay"`),
    "policy.toml",
  );
  try {
    const session = () => (engine.node("w") as WebrtcNode).session;
    const renderUntil = (what: string, condition: () => boolean) =>
      waitFor(() => {
        engine.renderFrame();
        return condition();
      }, what);
    await renderUntil("a session", () => session() !== null);
    assert.equal(session()!.iceTransportPolicy, "relay");
    assert.deepEqual(printed, []);
    const relaySession = session();

    engine.replaceText(
      scene(`ice = "turn:rig:pw@127.0.0.1:9"\nice_policy = ":direct"`),
    );
    await renderUntil("a new session", () => session() !== relaySession);
    assert.equal(session()!.iceTransportPolicy, "all", "a bad value: :all");
    assert.equal(printed.length, 1, printed.join("\n"));
    assert.match(
      printed[0],
      /policy\.toml: nodes\[0\]\.ice_policy: expected :all or :relay, got :direct/,
    );

    engine.replaceText(scene(`ice_policy = ":relay"`));
    await renderUntil(
      "a session without servers",
      () => session()!.iceServers.length === 0,
    );
    assert.equal(session()!.iceTransportPolicy, "relay");
    assert.equal(printed.length, 2, printed.join("\n"));
    assert.match(printed[1], /ice_policy=:relay needs a TURN server in ice=/);
  } finally {
    console.error = error;
    await engine.dispose();
  }
});

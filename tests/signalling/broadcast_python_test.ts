// deno-test-isolated: libwebrtc may abort when Deno tears this runtime down
/**
 * Wire compatibility: our `!broadcast` signalling with a real
 * `WrtcPeerSession` against the independent Python (aiortc) test peer, in
 * both roles, and with our caller starting before the Python answerer.
 * Needs /usr/bin/python3 with python3-aiortc (skipped otherwise) and a
 * network namespace with only `lo` (scripts/in_loopback_netns.sh).
 */
import { deepStrictEqual as assertEquals } from "node:assert/strict";
import { setLogLevel } from "../../lib/log/logger.ts";
import {
  type BroadcastConfig,
  startBroadcast,
} from "../../lib/signalling/broadcast.ts";
import type { ConnectionState } from "../../lib/signalling/signalling.ts";
import { loadWrtc, WrtcPeerSession } from "../../lib/webrtc/peer_session.ts";
import {
  type PeerEvent,
  type PythonPeer,
  pythonPeerUnavailable,
  startPythonPeer,
  stateIs,
} from "../peer/python_peer.ts";
import { holdUdpPort } from "../_udp_port.ts";
import { waitFor as waitUntil } from "../_wait.ts";

setLogLevel(Deno.env.get("FLITTER_TEST_LOG") === "trace" ? "trace" : "warn");

const missing = await pythonPeerUnavailable();
if (missing) {
  console.warn(
    `Skipping the broadcast tests against the Python peer: ${missing}`,
  );
}

// Sessions are made in plain functions below: load the addon once first.
await loadWrtc();

const WAIT_MS = 30_000;
const SECRET = "python-interop";

const waitFor = (
  what: string,
  condition: () => boolean,
  timeoutMs = WAIT_MS,
) => waitUntil(what, condition, timeoutMs, 20);

const steps = (peer: PythonPeer, step: string) =>
  peer.history.filter((event: PeerEvent) =>
    event.event === "signalling" && event.step === step
  )
    .length;

/** Our side: a wrtc session and broadcast signalling with `config`. */
function ourSide(config: BroadcastConfig) {
  const session = new WrtcPeerSession({ width: 160, height: 120 });
  const states: Array<ConnectionState | null> = [];
  session.onConnectionStateChange((state) => states.push(state));
  const signalling = startBroadcast(config, session);
  return {
    session,
    states,
    signalling,
    async close() {
      await signalling.close();
      session.close();
    },
  };
}

Deno.test({
  name: "our broadcast caller connects to a Python broadcast answerer",
  ignore: missing !== undefined,
  async fn() {
    await using held = await holdUdpPort();
    const port = held.port;
    const python = startPythonPeer([
      "--broadcast-answer",
      "py-answer",
      "--secret",
      SECRET,
      "--port",
      String(port),
    ]);
    let ours: ReturnType<typeof ourSide> | undefined;
    try {
      await python.waitFor(
        (event) => event.event === "ready",
        WAIT_MS,
        "ready",
      );
      ours = ourSide({
        role: "call",
        id: "py-answer",
        secret: SECRET,
        port,
        host: "127.0.0.1",
        broadcast: "127.255.255.255",
      });
      await python.waitFor(stateIs("connected"), WAIT_MS, "connected state");
      await waitFor(
        "our session connected",
        () => ours!.session.connectionState === "connected",
      );
      assertEquals(steps(python, "offer-received"), 1);
      assertEquals(ours.states.filter((state) => state === "new").length, 1);
    } finally {
      await ours?.close();
      await python.stop();
    }
  },
});

Deno.test({
  name: "a Python broadcast caller connects to our broadcast answerer",
  ignore: missing !== undefined,
  async fn() {
    await using held = await holdUdpPort();
    const port = held.port;
    const ours = ourSide({
      role: "answer",
      id: "py-call",
      secret: SECRET,
      port,
      host: "0.0.0.0",
      broadcast: "127.255.255.255",
    });
    let python: PythonPeer | undefined;
    try {
      await waitFor(
        "our answerer bound",
        () => ours.signalling.localPort === port,
      );
      python = startPythonPeer([
        "--broadcast-call",
        "py-call",
        "--secret",
        SECRET,
        "--port",
        String(port),
      ]);
      await python.waitFor(stateIs("connected"), WAIT_MS, "connected state");
      await waitFor(
        "our session connected",
        () => ours.session.connectionState === "connected",
      );
      assertEquals(steps(python, "answer-received"), 1);
      assertEquals(ours.states.filter((state) => state === "new").length, 1);
    } finally {
      await python?.stop();
      await ours.close();
    }
  },
});

Deno.test({
  name:
    "our broadcast caller started before a Python answerer connects once it starts",
  ignore: missing !== undefined,
  async fn() {
    await using held = await holdUdpPort();
    const port = held.port;
    const ours = ourSide({
      role: "call",
      id: "py-late",
      secret: SECRET,
      port,
      host: "127.0.0.1",
      broadcast: "127.255.255.255",
    });
    let python: PythonPeer | undefined;
    try {
      // The held port sees our broadcast offers: the Python answerer starts
      // only after our offer went out twice with nobody answering.
      await waitFor("two unanswered offers", () => held.received.length >= 2);
      python = startPythonPeer([
        "--broadcast-answer",
        "py-late",
        "--secret",
        SECRET,
        "--port",
        String(port),
      ]);
      await python.waitFor(stateIs("connected"), WAIT_MS, "connected state");
      await waitFor(
        "our session connected",
        () => ours.session.connectionState === "connected",
      );
      // Our repeated offers did not make the Python side start over.
      assertEquals(steps(python, "offer-received"), 1);
      assertEquals(ours.states.filter((state) => state === "new").length, 1);
    } finally {
      await python?.stop();
      await ours.close();
    }
  },
});

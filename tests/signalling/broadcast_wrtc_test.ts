// deno-test-isolated: libwebrtc may abort when Deno tears this runtime down
/**
 * End to end: two real `WrtcPeerSession`s (libwebrtc) find each other with
 * `!broadcast` signalling over loopback UDP and reach "connected". Needs a
 * network namespace with only `lo`: run inside scripts/in_loopback_netns.sh
 * (`deno task test` does).
 */
import { deepStrictEqual as assertEquals } from "node:assert/strict";
import { setLogLevel } from "../../lib/log/logger.ts";
import {
  type BroadcastConfig,
  startBroadcast,
} from "../../lib/signalling/broadcast.ts";
import type { ConnectionState } from "../../lib/signalling/signalling.ts";
import { WrtcPeerSession } from "../../lib/webrtc/peer_session.ts";
import { holdUdpPort } from "../_udp_port.ts";
import { waitFor } from "../_wait.ts";

setLogLevel(Deno.env.get("FLITTER_TEST_LOG") === "trace" ? "trace" : "warn");

/**
 * Runs a broadcast call between two wrtc sessions. `"answerer"` first: the
 * caller starts once the answerer's socket is bound. `"caller"` first: the
 * answerer starts once the caller's offer has gone out twice unanswered
 * (seen on the held port, which broadcasts reach too).
 */
async function callOverBroadcast(first: "answerer" | "caller"): Promise<void> {
  await using held = await holdUdpPort();
  const common = {
    id: "wrtc-e2e",
    secret: "e2e",
    port: held.port,
    broadcast: "127.255.255.255",
  };
  const callConfig: BroadcastConfig = {
    ...common,
    role: "call",
    host: "127.0.0.1",
  };
  const answerConfig: BroadcastConfig = {
    ...common,
    role: "answer",
    host: "0.0.0.0",
  };
  const caller = await WrtcPeerSession.create({ width: 160, height: 120 });
  const answerer = await WrtcPeerSession.create({ width: 160, height: 120 });
  const callerStates: Array<ConnectionState | null> = [];
  const answererStates: Array<ConnectionState | null> = [];
  caller.onConnectionStateChange((state) => callerStates.push(state));
  answerer.onConnectionStateChange((state) => answererStates.push(state));
  let calling: ReturnType<typeof startBroadcast> | null = null;
  let answering: ReturnType<typeof startBroadcast> | null = null;
  try {
    if (first === "answerer") {
      answering = startBroadcast(answerConfig, answerer);
      await waitFor(
        "the answerer's socket",
        () => answering!.localPort !== null,
      );
      assertEquals(held.received.length, 0);
      calling = startBroadcast(callConfig, caller);
    } else {
      calling = startBroadcast(callConfig, caller);
      await waitFor("two unanswered offers", () => held.received.length >= 2);
      assertEquals(answererStates, []);
      answering = startBroadcast(answerConfig, answerer);
    }
    await waitFor(
      "both sessions connected",
      () =>
        caller.connectionState === "connected" &&
        answerer.connectionState === "connected",
    );
    // One offer, one answer: no peer connection was replaced on either side.
    assertEquals(callerStates.filter((state) => state === "new").length, 1);
    assertEquals(answererStates.filter((state) => state === "new").length, 1);
    assertEquals(callerStates.includes(null), false);
    // The caller's socket goes once connected; the answerer keeps listening.
    await waitFor("caller socket released", () => calling!.localPort === null);
    assertEquals(answering!.localPort, answerConfig.port);
  } finally {
    await calling?.close();
    await answering?.close();
    caller.close();
    answerer.close();
  }
}

Deno.test("two wrtc peer sessions connect over broadcast signalling, answerer first", async () => {
  await callOverBroadcast("answerer");
});

Deno.test("two wrtc peer sessions connect over broadcast signalling, caller first (its offer unanswered until the answerer starts)", async () => {
  await callOverBroadcast("caller");
});

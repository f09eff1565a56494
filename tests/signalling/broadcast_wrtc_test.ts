// deno-test-isolated: libwebrtc may abort when Deno tears this runtime down
/**
 * End to end: two real `WrtcPeerSession`s (libwebrtc) find each other with
 * `!broadcast` signalling over loopback UDP and reach "connected". Needs a
 * network namespace with only `lo`: run inside scripts/in_loopback_netns.sh
 * (`deno task test` does).
 */
import { deepStrictEqual as assertEquals } from "node:assert/strict";
import dgram from "node:dgram";
import { setLogLevel } from "../../lib/log/logger.ts";
import {
  type BroadcastConfig,
  startBroadcast,
} from "../../lib/signalling/broadcast.ts";
import type { ConnectionState } from "../../lib/signalling/signalling.ts";
import { WrtcPeerSession } from "../../lib/webrtc/peer_session.ts";

setLogLevel(Deno.env.get("FLITTER_TEST_LOG") === "trace" ? "trace" : "warn");

async function freePort(): Promise<number> {
  const socket = dgram.createSocket("udp4");
  await new Promise<void>((resolve) => socket.bind(0, "0.0.0.0", resolve));
  const port = socket.address().port;
  await new Promise<void>((resolve) => socket.close(() => resolve()));
  return port;
}

async function waitFor(
  what: string,
  condition: () => boolean,
  timeoutMs = 20_000,
): Promise<void> {
  const start = performance.now();
  while (!condition()) {
    if (performance.now() - start > timeoutMs) {
      throw new Error(`Timed out waiting for ${what}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

/** Runs a broadcast call between two wrtc sessions; the answerer starts `answererDelayMs` after the caller. */
async function callOverBroadcast(answererDelayMs: number): Promise<void> {
  const port = await freePort();
  const common = {
    id: "wrtc-e2e",
    secret: "e2e",
    port,
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
  const caller = new WrtcPeerSession({ width: 160, height: 120 });
  const answerer = new WrtcPeerSession({ width: 160, height: 120 });
  const callerStates: Array<ConnectionState | null> = [];
  const answererStates: Array<ConnectionState | null> = [];
  caller.onConnectionStateChange((state) => callerStates.push(state));
  answerer.onConnectionStateChange((state) => answererStates.push(state));
  const calling = startBroadcast(callConfig, caller);
  let answering: ReturnType<typeof startBroadcast> | null = null;
  try {
    if (answererDelayMs > 0) {
      await new Promise((resolve) => setTimeout(resolve, answererDelayMs));
    }
    answering = startBroadcast(answerConfig, answerer);
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
    await waitFor("caller socket released", () => calling.localPort === null);
    assertEquals(answering.localPort, port);
  } finally {
    await calling.close();
    await answering?.close();
    caller.close();
    answerer.close();
  }
}

Deno.test("two wrtc peer sessions connect over broadcast signalling, answerer first", async () => {
  await callOverBroadcast(0);
});

Deno.test("two wrtc peer sessions connect over broadcast signalling when the answerer starts 1 s late", async () => {
  await callOverBroadcast(1000);
});

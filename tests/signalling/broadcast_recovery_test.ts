/**
 * How `!broadcast` signalling survives bad offers, a peer that restarted,
 * hung up or went silent, over real UDP on loopback with test doubles for
 * the peer connections (see `_broadcast_doubles.ts`): the thing under test
 * is the signalling. The doubles report the peer's activity when asked to,
 * as `WrtcPeerSession` does; the tests set what the peer did.
 */
import {
  deepStrictEqual as assertEquals,
  ok as assert,
} from "node:assert/strict";
import { setLogLevel } from "../../lib/log/logger.ts";
import { startBroadcast } from "../../lib/signalling/broadcast.ts";
import { BroadcastCipher } from "../../lib/signalling/broadcast_cipher.ts";
import {
  captureWarnings,
  configs,
  fakeSdp,
  linkedPair,
  LOOPBACK_BROADCAST,
  PeerDouble,
  RawPeer,
  waitFor,
} from "./_broadcast_doubles.ts";
import { holdUdpPort } from "../_udp_port.ts";

setLogLevel(Deno.env.get("FLITTER_TEST_LOG") === "trace" ? "trace" : "warn");

const SECRET = "broadcast-recovery-secret";
/** Long enough that a test waiting through a retry pause fails instead. */
const NEVER_MS = 3_600_000;

Deno.test("broadcast answerer ignores sealed offers whose SDP does not parse, warns once, keeps its socket and answers the next offer", async () => {
  const answerer = new PeerDouble("answerer");
  // As libwebrtc: an SDP without a proper origin line is refused.
  answerer.rejects = (offer) => offer.includes("refused by the peer");
  await using held = await holdUdpPort();
  const port = held.port;
  const answering = startBroadcast(configs(port, SECRET).answer, answerer, {
    retryDelayMs: NEVER_MS,
    warningIntervalMs: 60_000,
  });
  const raw = await RawPeer.open();
  const warnings = captureWarnings();
  try {
    await waitFor("answerer bound", () => answering.localPort === port);
    const cipher = await BroadcastCipher.forId(SECRET, "cam-test");
    const bad = [
      "not an SDP at all",
      "v=0\r\ns=no origin line\r\n",
      "v=0\r\no=too few fields\r\n",
      "v=0\r\no=- 1 1 IN IP4 0.0.0.0\r\ns=refused by the peer\r\n",
    ];
    for (const offer of bad) {
      await raw.send(await cipher.encode({ offer }), port, LOOPBACK_BROADCAST);
    }
    const good = fakeSdp("offer", 4001, "a good caller");
    await raw.send(
      await cipher.encode({ offer: good }),
      port,
      LOOPBACK_BROADCAST,
    );
    await waitFor(
      "the answer to the good offer",
      () => raw.received.length > 0,
    );
    assertEquals(raw.received.length, 1);
    assertEquals(await cipher.decode(raw.received[0].data), {
      answer: answerer.answers.at(-1),
    });
    assertEquals(answerer.acceptedOffers, [good]);
    assertEquals(answering.localPort, port);
    const offerWarnings = warnings.lines.filter((line) =>
      line.includes("ignoring an offer")
    );
    assertEquals(offerWarnings.length, 1, offerWarnings.join("\n"));
    assert(offerWarnings[0].includes("does not start with v=0"));
    assert(!warnings.lines.some((line) => line.includes("retrying")));
  } finally {
    warnings.restore();
    await raw.close();
    await answering.close();
  }
});

Deno.test("broadcast answerer keeps a healthy call from a second caller, and lets a caller that restarted replace a silent one", async () => {
  const [caller, answerer] = linkedPair({ activity: true });
  await using held = await holdUdpPort();
  const port = held.port;
  const { call, answer } = configs(port, SECRET);
  const answering = startBroadcast(answer, answerer);
  const calling = startBroadcast(call, caller);
  const raw = await RawPeer.open();
  try {
    await waitFor(
      "the first call connected",
      () =>
        caller.connectionState === "connected" &&
        answerer.connectionState === "connected",
    );
    answerer.activity.silentMs = 0; // its peer is sending
    const cipher = await BroadcastCipher.forId(SECRET, "cam-test");
    const current = caller.offers[0];
    const hijack = fakeSdp("offer", 5001, "a second caller");
    await raw.send(await cipher.encode({ offer: hijack }), port);
    // The current call's offer again, from the raw peer: its answer comes
    // back once the answerer has dealt with the second caller's offer.
    await raw.send(await cipher.encode({ offer: current }), port);
    await waitFor("the repeated answer", () => raw.received.length === 1);
    assertEquals(await cipher.decode(raw.received[0].data), {
      answer: answerer.answers[0],
    });
    assertEquals(answerer.acceptedOffers, [current]);
    assertEquals(answerer.connectionState, "connected");

    // The first caller crashes: nothing comes from it any more, and a
    // restarted caller offers anew.
    answerer.activity.silentMs = 1_500;
    const restarted = fakeSdp("offer", 5002, "the restarted caller");
    await raw.send(await cipher.encode({ offer: restarted }), port);
    await waitFor(
      "the answer to the restarted caller",
      () => raw.received.length === 2,
    );
    assertEquals(await cipher.decode(raw.received[1].data), {
      answer: answerer.answers[1],
    });
    assertEquals(answerer.acceptedOffers, [current, restarted]);
    assertEquals(answering.localPort, port);
  } finally {
    await raw.close();
    await calling.close();
    await answering.close();
  }
});

Deno.test("broadcast answerer ignores an offer sealed before the offer of the call it is making", async () => {
  const answerer = new PeerDouble("answerer");
  await using held = await holdUdpPort();
  const port = held.port;
  const answering = startBroadcast(configs(port, SECRET).answer, answerer);
  const raw = await RawPeer.open();
  try {
    await waitFor("answerer bound", () => answering.localPort === port);
    const cipher = await BroadcastCipher.forId(SECRET, "cam-test");
    const now = Math.floor(Date.now() / 1000);
    const fresh = fakeSdp("offer", 6001, "fresh");
    const stale = fakeSdp("offer", 6002, "stale");
    await raw.send(await cipher.encode({ offer: fresh }, { time: now }), port);
    await waitFor("the first answer", () => raw.received.length === 1);
    // Still within the 10 s time-to-live, but older than the current offer.
    await raw.send(
      await cipher.encode({ offer: stale }, { time: now - 5 }),
      port,
    );
    await raw.send(await cipher.encode({ offer: fresh }), port);
    await waitFor("the repeated answer", () => raw.received.length === 2);
    assertEquals(answerer.acceptedOffers, [fresh]);
    assertEquals(await cipher.decode(raw.received[1].data), {
      answer: answerer.answers[0],
    });
  } finally {
    await raw.close();
    await answering.close();
  }
});

Deno.test("broadcast answerer closes a call whose peer hung up and answers the next caller on the same socket", async () => {
  const [caller, answerer] = linkedPair({ activity: true });
  await using held = await holdUdpPort();
  const port = held.port;
  const { call, answer } = configs(port, SECRET);
  const answering = startBroadcast(answer, answerer);
  const calling = startBroadcast(call, caller);
  const raw = await RawPeer.open();
  try {
    await waitFor(
      "the call connected",
      () =>
        caller.connectionState === "connected" &&
        answerer.connectionState === "connected",
    );
    await calling.close();
    answerer.activity.closedByPeer = true;
    await waitFor(
      "the answerer closed the call",
      () => answerer.connectionState === null,
    );
    assertEquals(answering.localPort, port);
    const cipher = await BroadcastCipher.forId(SECRET, "cam-test");
    const next = fakeSdp("offer", 7001, "the next caller");
    await raw.send(await cipher.encode({ offer: next }), port);
    await waitFor("the answer", () => raw.received.length === 1);
    assertEquals(answerer.acceptedOffers, [caller.offers[0], next]);
  } finally {
    await raw.close();
    await calling.close();
    await answering.close();
  }
});

Deno.test("broadcast caller and answerer both start over when the peer goes silent, and connect again", async () => {
  const [caller, answerer] = linkedPair({ activity: true });
  await using held = await holdUdpPort();
  const { call, answer } = configs(held.port, SECRET);
  const answering = startBroadcast(answer, answerer);
  const calling = startBroadcast(call, caller);
  try {
    await waitFor(
      "the first call connected",
      () =>
        caller.connectionState === "connected" &&
        answerer.connectionState === "connected",
    );
    // The path between them is cut for longer than peerSilenceMs (3 s).
    caller.activity.silentMs = 5_000;
    answerer.activity.silentMs = 5_000;
    await waitFor(
      "a second call connected",
      () =>
        caller.offers.length === 2 && caller.connectionState === "connected" &&
        answerer.connectionState === "connected",
    );
    assertEquals(answerer.acceptedOffers, caller.offers);
    assertEquals(caller.acceptedAnswers, answerer.answers);
  } finally {
    await calling.close();
    await answering.close();
  }
});

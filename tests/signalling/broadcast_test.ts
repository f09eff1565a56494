/**
 * The `!broadcast` state machine over real UDP on loopback (answerer bound
 * to any address, offers broadcast to 127.255.255.255). The peer
 * connections are test doubles that record the offers and answers they are
 * given: the thing under test is the signalling.
 */
import {
  deepStrictEqual as assertEquals,
  ok as assert,
} from "node:assert/strict";
import dgram from "node:dgram";
import { Attributes } from "../../lib/scene/attributes.ts";
import {
  getLogger,
  getLogLevel,
  type LogLevel,
  setLogLevel,
} from "../../lib/log/logger.ts";
import type { Value } from "../../lib/expr/values.ts";
import {
  broadcastKind,
  type BroadcastTimings,
  DEFAULT_BROADCAST_ADDRESS,
  offerResendDelaysMs,
  startBroadcast,
} from "../../lib/signalling/broadcast.ts";
import { BroadcastCipher } from "../../lib/signalling/broadcast_cipher.ts";
import { getSignallingKind } from "../../lib/signalling/signalling.ts";
import { holdUdpPort } from "../_udp_port.ts";
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

setLogLevel(Deno.env.get("FLITTER_TEST_LOG") === "trace" ? "trace" : "warn");

const SECRET = "broadcast-test-secret";

/** Log records printed while it is open (at `level` and above), instead of printing them. */
interface LogCapture extends Disposable {
  readonly lines: string[];
  /** Records that include `text`. */
  count(text: string): number;
}

/** Captures what the (console) loggers print from now until disposed. */
function captureLog(level: LogLevel): LogCapture {
  const lines: string[] = [];
  const { log, error } = console;
  const levelBefore = getLogLevel();
  const record = (...args: unknown[]) => lines.push(args.map(String).join(" "));
  console.log = record;
  console.error = record;
  setLogLevel(level);
  return {
    lines,
    count: (text) => lines.filter((line) => line.includes(text)).length,
    [Symbol.dispose]() {
      console.log = log;
      console.error = error;
      setLogLevel(levelBefore);
    },
  };
}

function attrs(values: Record<string, Value>): Attributes {
  return new Attributes(
    "nodes[0].children[0]",
    new Map(Object.entries(values)),
    "test.fl",
  );
}

Deno.test("broadcast kind is registered with its attributes", () => {
  const kind = getSignallingKind("broadcast");
  assertEquals(kind, broadcastKind);
  assertEquals([...kind!.attributes], [
    "call",
    "answer",
    "secret",
    "port",
    "host",
    "broadcast",
  ]);
});

Deno.test("broadcast configuration prefers call over answer and fills the original's defaults", () => {
  const log = getLogger("test");
  assertEquals(
    broadcastKind.configure(attrs({ call: "a", answer: "b" }), log),
    {
      role: "call",
      id: "a",
      secret: "flitter_webrtc",
      port: 5111,
      host: "0.0.0.0",
      broadcast: DEFAULT_BROADCAST_ADDRESS,
    },
  );
  assertEquals(
    broadcastKind.configure(
      attrs({
        answer: "b",
        secret: "s",
        port: 6000,
        host: "127.0.0.1",
        broadcast: "127.255.255.255",
      }),
      log,
    ),
    {
      role: "answer",
      id: "b",
      secret: "s",
      port: 6000,
      host: "127.0.0.1",
      broadcast: "127.255.255.255",
    },
  );
  assertEquals(broadcastKind.configure(attrs({ answer: 42 }), log)?.id, "42");
  assertEquals(broadcastKind.configure(attrs({ secret: "s" }), log), null);
  assertEquals(
    broadcastKind.configure(attrs({ call: "a", port: 70000 }), log),
    null,
  );
  assertEquals(
    broadcastKind.configure(attrs({ call: "a", port: 5.5 }), log),
    null,
  );
});

Deno.test("broadcast offer re-send schedule starts fast and keeps the original's 25 s window", () => {
  const delays = offerResendDelaysMs();
  assertEquals(delays[0], 250);
  assertEquals(delays.reduce((a, b) => a + b, 0), 25_000);
  assert(delays.every((delay, i) => i === 0 || delay >= delays[i - 1]));
});

Deno.test("broadcast caller and answerer exchange offer and answer and connect", async () => {
  const [caller, answerer] = linkedPair();
  // The answerer binds a port of its own choosing; the caller is told it.
  const answering = startBroadcast(configs(0, SECRET).answer, answerer);
  let calling: ReturnType<typeof startBroadcast> | undefined;
  try {
    await waitFor("answerer bound", () => answering.localPort !== null);
    calling = startBroadcast(
      configs(answering.localPort!, SECRET).call,
      caller,
    );
    await waitFor(
      "both connected",
      () =>
        caller.connectionState === "connected" &&
        answerer.connectionState === "connected",
    );
    assertEquals(answerer.acceptedOffers, [caller.offers[0]]);
    assertEquals(caller.acceptedAnswers, [answerer.answers[0]]);
    assertEquals(caller.offers.length, 1);
    // The caller's socket goes once connected; the answerer keeps listening.
    await waitFor("caller socket released", () => calling!.localPort === null);
    assertEquals(answering.localPort !== null, true);
  } finally {
    await calling?.close();
    await answering.close();
  }
});

Deno.test("broadcast caller whose offer went unanswered before the answerer started still connects, with one answer", async () => {
  const [caller, answerer] = linkedPair();
  // The held port sees the broadcast offers: the answerer starts only
  // after the caller has sent its offer twice with nobody answering.
  await using held = await holdUdpPort();
  const { call, answer } = configs(held.port, SECRET);
  const calling = startBroadcast(call, caller);
  let answering: ReturnType<typeof startBroadcast> | undefined;
  try {
    await waitFor("two unanswered offers", () => held.received.length >= 2);
    assertEquals(caller.acceptedAnswers, []);
    answering = startBroadcast(answer, answerer);
    await waitFor(
      "both connected",
      () =>
        caller.connectionState === "connected" &&
        answerer.connectionState === "connected",
    );
    assertEquals(caller.offers.length, 1);
    assertEquals(answerer.acceptedOffers, [caller.offers[0]]);
    assertEquals(caller.acceptedAnswers, [answerer.answers[0]]);
  } finally {
    await calling.close();
    await answering?.close();
  }
});

Deno.test("broadcast answerer ignores garbage, wrong-key, expired, oversized and unexpected datagrams", async () => {
  const [caller, answerer] = linkedPair();
  const answering = startBroadcast(configs(0, SECRET).answer, answerer);
  const raw = await RawPeer.open();
  try {
    await waitFor("answerer bound", () => answering.localPort !== null);
    const port = answering.localPort!;
    const { call } = configs(port, SECRET);
    const mine = await BroadcastCipher.forId(SECRET, "cam-test");
    const theirs = await BroadcastCipher.forId(SECRET, "someone-else");
    const now = Math.floor(Date.now() / 1000);
    const bad = [
      new Uint8Array(0),
      new TextEncoder().encode("not a token at all"),
      crypto.getRandomValues(new Uint8Array(200)),
      await theirs.encode({ offer: "v=0\r\nfrom another call\r\n" }),
      await mine.encode({ offer: "v=0\r\nexpired\r\n" }, { time: now - 60 }),
      await mine.encode({ offer: "v=0\r\nfuture\r\n" }, { time: now + 600 }),
      await mine.seal(crypto.getRandomValues(new Uint8Array(1600))),
      await mine.seal(new Uint8Array([1, 2, 3])),
      await mine.encode({ hello: "unexpected" }),
      await mine.encode({
        answer: "v=0\r\nan answer sent to the answerer\r\n",
      }),
    ];
    for (const datagram of bad) await raw.send(datagram, port);
    const calling = startBroadcast(call, caller);
    try {
      for (const datagram of bad) await raw.send(datagram, port);
      await waitFor(
        "both connected",
        () =>
          caller.connectionState === "connected" &&
          answerer.connectionState === "connected",
      );
      assertEquals(answerer.acceptedOffers, [caller.offers[0]]);
      assertEquals(raw.received.length, 0);
    } finally {
      await calling.close();
    }
  } finally {
    await raw.close();
    await answering.close();
  }
});

Deno.test("broadcast answerer re-sends the same answer to a repeated offer and takes a new offer", async () => {
  const answerer = new PeerDouble("answerer");
  const answering = startBroadcast(configs(0, SECRET).answer, answerer);
  const raw = await RawPeer.open();
  try {
    await waitFor("answerer bound", () => answering.localPort !== null);
    const port = answering.localPort!;
    const cipher = await BroadcastCipher.forId(SECRET, "cam-test");
    const decode = async (i: number) =>
      await cipher.decode(raw.received[i].data);
    const first = fakeSdp("offer", 1001, "python caller");
    const second = fakeSdp("offer", 1002, "python caller");
    await raw.send(
      await cipher.encode({ offer: first }),
      port,
      LOOPBACK_BROADCAST,
    );
    await waitFor("first answer", () => raw.received.length === 1);
    assertEquals(await decode(0), { answer: answerer.answers[0] });
    await raw.send(
      await cipher.encode({ offer: first }),
      port,
      LOOPBACK_BROADCAST,
    );
    await waitFor("repeated answer", () => raw.received.length === 2);
    assertEquals(await decode(1), { answer: answerer.answers[0] });
    assertEquals(answerer.acceptedOffers, [first]);
    await raw.send(
      await cipher.encode({ offer: second }),
      port,
      LOOPBACK_BROADCAST,
    );
    await waitFor("answer to the new offer", () => raw.received.length === 3);
    assertEquals(await decode(2), { answer: answerer.answers[1] });
    // The replaced offer is ignored; the queue is in order, so once the
    // repeat of the second offer is answered the first has been handled.
    await raw.send(
      await cipher.encode({ offer: first }),
      port,
      LOOPBACK_BROADCAST,
    );
    await raw.send(
      await cipher.encode({ offer: second }),
      port,
      LOOPBACK_BROADCAST,
    );
    await waitFor(
      "answer to the repeated new offer",
      () => raw.received.length >= 4,
    );
    assertEquals(raw.received.length, 4);
    assertEquals(await decode(3), { answer: answerer.answers[1] });
    assertEquals(answerer.acceptedOffers, [first, second]);
    assert(raw.received.every((datagram) => datagram.port === port));
  } finally {
    await raw.close();
    await answering.close();
  }
});

Deno.test("broadcast caller repeats one offer, stops once answered and ignores later answers", async () => {
  const caller = new PeerDouble("caller");
  // The raw peer holds the port the caller broadcasts to, and answers.
  const raw = await RawPeer.open(0, "0.0.0.0");
  using log = captureLog("trace");
  // Re-sends every 50 ms; with no connection 1 s after the answer it starts
  // over (a new offer from a new socket): the end of the first attempt.
  const calling = startBroadcast(configs(raw.port, SECRET).call, caller, {
    offerResendDelaysMs: Array(400).fill(50),
    connectWaitMs: 1000,
  });
  try {
    const cipher = await BroadcastCipher.forId(SECRET, "cam-test");
    const offers: string[] = [];
    const decodeReceived = async () => {
      while (offers.length < raw.received.length) {
        const message = await cipher.decode(raw.received[offers.length].data);
        offers.push(message.offer as string);
      }
    };
    await waitFor("two offers", () => raw.received.length >= 2);
    await decodeReceived();
    assert(offers.every((offer) => offer === caller.offers[0]));
    const { port: callerPort, address } = raw.received[0];
    assertEquals(address, "127.0.0.1");
    const answer = fakeSdp("answer", 2001, "python answerer");
    await raw.send(await cipher.encode({ answer }), callerPort);
    await waitFor("answer applied", () => caller.acceptedAnswers.length === 1);
    assertEquals(caller.acceptedAnswers, [answer]);
    await raw.send(
      await cipher.encode({ answer: fakeSdp("answer", 2002, "late") }),
      callerPort,
    );
    await waitFor(
      "the late answer to be read and ignored",
      () => log.count("ignoring a late message") === 1,
    );
    assertEquals(caller.acceptedAnswers, [answer]);
    assertEquals(caller.offers.length, 1);
    // How many times the offer had gone out when the answer came.
    const sends = Number(
      /answer from 127\.0\.0\.1:\d+ after (\d+) offer\(s\)/.exec(
        log.lines.join("\n"),
      )?.[1],
    );
    assert(sends >= 2, log.lines.join("\n"));
    // The first attempt ends (its socket closed) before the second offer is
    // sent, so once that offer is here every datagram of the first is too:
    // none went out after the answer, for all of the 1 s of waiting.
    await waitFor("the caller to start over", () => caller.offers.length === 2);
    await waitFor("the second offer", async () => {
      await decodeReceived();
      return offers.includes(caller.offers[1]);
    });
    assertEquals(offers.filter((o) => o === caller.offers[0]).length, sends);
  } finally {
    await calling.close();
    await raw.close();
  }
});

Deno.test("broadcast caller starts over with a new offer when nobody answers in its window", async () => {
  const caller = new PeerDouble("caller");
  const timings: Partial<BroadcastTimings> = {
    offerResendDelaysMs: [50, 50, 50],
  };
  await using held = await holdUdpPort(); // where the offers go
  const calling = startBroadcast(
    configs(held.port, SECRET).call,
    caller,
    timings,
  );
  try {
    await waitFor("three offers", () => caller.offers.length >= 3);
    assertEquals(new Set(caller.offers).size, caller.offers.length);
    assert(caller.states.includes(null), "the old peer connection was closed");
  } finally {
    await calling.close();
  }
});

Deno.test("broadcast signalling restarts when a connected call fails and connects again", async () => {
  const [caller, answerer] = linkedPair();
  // Held for the whole test: the answerer binds it again when it restarts.
  await using held = await holdUdpPort();
  const { call, answer } = configs(held.port, SECRET);
  const answering = startBroadcast(answer, answerer);
  const calling = startBroadcast(call, caller);
  try {
    await waitFor(
      "first connection",
      () =>
        caller.connectionState === "connected" &&
        answerer.connectionState === "connected",
    );
    answerer.setState("failed");
    caller.setState("failed");
    await waitFor(
      "second connection",
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

Deno.test("broadcast signalling closes promptly while the peer is still making its offer", async () => {
  let settle: (() => void) | null = null;
  const session = new PeerDouble("slow");
  session.createOffer = () =>
    new Promise<string>((resolve) => settle = () => resolve("v=0\r\n"));
  await using held = await holdUdpPort();
  const calling = startBroadcast(configs(held.port, SECRET).call, session);
  await waitFor("offer requested", () => settle !== null);
  assert(calling.localPort !== null);
  await calling.close();
  assertEquals(calling.localPort, null);
  settle!();
  await calling.close();
});

Deno.test("broadcast answerer reports a port in use by a non-reusing socket and keeps trying", async () => {
  const blocker = dgram.createSocket({ type: "udp4", reuseAddr: false });
  await new Promise<void>((resolve) => blocker.bind(0, "0.0.0.0", resolve));
  const port = blocker.address().port;
  const answerer = new PeerDouble("answerer");
  const log = captureLog("warn");
  const answering = startBroadcast(configs(port, SECRET).answer, answerer, {
    retryDelayMs: 50,
  });
  try {
    await waitFor(
      "two failed attempts to bind",
      () => log.count(`cannot bind UDP 0.0.0.0:${port}`) >= 2,
    );
    assertEquals(answering.localPort, null);
  } finally {
    log[Symbol.dispose]();
    await new Promise<void>((resolve) => blocker.close(() => resolve()));
  }
  try {
    await waitFor(
      "answerer bound after the port was freed",
      () => answering.localPort === port,
    );
  } finally {
    await answering.close();
  }
});

Deno.test("broadcast signalling rides out a short disconnection but restarts after a long one", async () => {
  const [caller, answerer] = linkedPair();
  await using held = await holdUdpPort();
  const { call, answer } = configs(held.port, SECRET);
  // The answerer's grace period is twice the caller's: it serves as the
  // clock that says the caller's grace period is long over.
  const answering = startBroadcast(answer, answerer, {
    disconnectedGraceMs: 600,
  });
  const calling = startBroadcast(call, caller, { disconnectedGraceMs: 300 });
  try {
    await waitFor(
      "first connection",
      () => caller.state === "connected" && answerer.state === "connected",
    );
    const closesBefore = caller.closes;
    const answererCloses = answerer.closes;
    // Both connections drop at once; the caller's comes back as soon as its
    // signalling has seen it disconnected (and started its grace period).
    caller.setState("disconnected");
    answerer.setState("disconnected");
    await waitFor(
      "the caller's signalling to see the disconnection",
      () => caller.disconnectedReads > 0,
    );
    caller.setState("connected");
    await waitFor(
      "the answerer to start over after its grace period",
      () => answerer.closes > answererCloses,
    );
    assertEquals(caller.offers.length, 1);
    assertEquals(caller.closes, closesBefore);
    // Now the caller's connection drops for good.
    caller.setState("disconnected");
    await waitFor(
      "a new offer after the grace period",
      () => caller.offers.length === 2,
    );
    await waitFor(
      "second connection",
      () => caller.state === "connected" && answerer.state === "connected",
    );
    assertEquals(answerer.acceptedOffers, caller.offers);
  } finally {
    await calling.close();
    await answering.close();
  }
});

Deno.test("broadcast warns about a burst of bad datagrams once, and keeps answering", async () => {
  const answerer = new PeerDouble("answerer");
  const answering = startBroadcast(configs(0, SECRET).answer, answerer, {
    warningIntervalMs: 60_000,
  });
  const raw = await RawPeer.open();
  const warnings = captureWarnings();
  try {
    await waitFor("answerer bound", () => answering.localPort !== null);
    const port = answering.localPort!;
    const cipher = await BroadcastCipher.forId(SECRET, "cam-test");
    for (let i = 0; i < 20; i++) {
      await raw.send(crypto.getRandomValues(new Uint8Array(100)), port);
    }
    const offer = fakeSdp("offer", 3001, "after the burst");
    await raw.send(await cipher.encode({ offer }), port);
    await waitFor("the answer", () => raw.received.length === 1);
    assertEquals(await cipher.decode(raw.received[0].data), {
      answer: answerer.answers[0],
    });
    const broadcastWarnings = warnings.lines.filter((line) =>
      line.includes("broadcast:")
    );
    assertEquals(broadcastWarnings.length, 1);
    assert(broadcastWarnings[0].includes("ignoring a datagram from 127.0.0.1"));
  } finally {
    warnings.restore();
    await raw.close();
    await answering.close();
  }
});

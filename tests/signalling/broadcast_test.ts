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
import { getLogger, setLogLevel } from "../../lib/log/logger.ts";
import type { Value } from "../../lib/expr/values.ts";
import {
  type BroadcastConfig,
  broadcastKind,
  type BroadcastTimings,
  DEFAULT_BROADCAST_ADDRESS,
  offerResendDelaysMs,
  startBroadcast,
} from "../../lib/signalling/broadcast.ts";
import { BroadcastCipher } from "../../lib/signalling/broadcast_cipher.ts";
import {
  type ConnectionState,
  getSignallingKind,
  type PeerSession,
} from "../../lib/signalling/signalling.ts";

setLogLevel(Deno.env.get("FLITTER_TEST_LOG") === "trace" ? "trace" : "warn");

const LOOPBACK_BROADCAST = "127.255.255.255";
const SECRET = "broadcast-test-secret";

/** Both sides of a call made of two doubles: connects when the exchange was right. */
class Link {
  caller!: PeerDouble;
  answerer!: PeerDouble;
  /** Set to make the next connection fail instead. */
  connectable = true;

  /** Connects both sides once the caller holds the answer to its own current offer. */
  check(): void {
    const offer = this.caller.offers.at(-1);
    const answer = this.caller.acceptedAnswers.at(-1);
    if (!this.connectable || offer === undefined || answer === undefined) {
      return;
    }
    if (this.answerer.acceptedOffers.at(-1) !== offer) return;
    if (this.answerer.answers.at(-1) !== answer) return;
    setTimeout(() => {
      this.answerer.setState("connected");
      this.caller.setState("connected");
    }, 20);
  }
}

/** A long, SDP-like text that is different for each `n`. */
function fakeSdp(kind: string, n: number, from: string): string {
  const lines = [
    `v=0`,
    `o=- ${n} ${n} IN IP4 0.0.0.0`,
    `s=${kind} ${n} from ${from}`,
  ];
  for (let i = 0; i < 12; i++) {
    lines.push(
      `a=candidate:${i}${n} 1 udp 2130706431 127.0.0.1 ${50000 + i} typ host`,
    );
  }
  return lines.join("\r\n") + "\r\n";
}

let sdpCounter = 0;

/** A PeerSession double that records what signalling gives it. */
class PeerDouble implements PeerSession {
  connectionState: ConnectionState | null = null;
  readonly offers: string[] = [];
  readonly acceptedOffers: string[] = [];
  readonly answers: string[] = [];
  readonly acceptedAnswers: string[] = [];
  readonly states: Array<ConnectionState | null> = [];
  closes = 0;
  readonly #listeners = new Set<(state: ConnectionState | null) => void>();

  constructor(readonly name: string, readonly link?: Link) {}

  createOffer(): Promise<string> {
    this.close();
    const offer = fakeSdp("offer", ++sdpCounter, this.name);
    this.offers.push(offer);
    this.setState("new");
    return Promise.resolve(offer);
  }

  acceptOffer(offer: string): Promise<string> {
    this.close();
    this.acceptedOffers.push(offer);
    const answer = fakeSdp("answer", ++sdpCounter, this.name);
    this.answers.push(answer);
    this.setState("new");
    return Promise.resolve(answer);
  }

  acceptAnswer(answer: string): Promise<void> {
    this.acceptedAnswers.push(answer);
    this.setState("connecting");
    this.link?.check();
    return Promise.resolve();
  }

  close(): void {
    this.closes++;
    if (this.connectionState !== null) this.setState(null);
  }

  setState(state: ConnectionState | null): void {
    this.connectionState = state;
    this.states.push(state);
    for (const listener of this.#listeners) listener(state);
  }

  onConnectionStateChange(
    listener: (state: ConnectionState | null) => void,
  ): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }
}

function linkedPair(): [PeerDouble, PeerDouble, Link] {
  const link = new Link();
  link.caller = new PeerDouble("caller", link);
  link.answerer = new PeerDouble("answerer", link);
  return [link.caller, link.answerer, link];
}

/** A UDP port that was free a moment ago. */
async function freePort(): Promise<number> {
  const socket = dgram.createSocket("udp4");
  await new Promise<void>((resolve) => socket.bind(0, "0.0.0.0", resolve));
  const port = socket.address().port;
  await new Promise<void>((resolve) => socket.close(() => resolve()));
  return port;
}

function configs(
  port: number,
  id = "cam-test",
): { call: BroadcastConfig; answer: BroadcastConfig } {
  const common = { id, secret: SECRET, port, broadcast: LOOPBACK_BROADCAST };
  return {
    call: { ...common, role: "call", host: "127.0.0.1" },
    answer: { ...common, role: "answer", host: "0.0.0.0" },
  };
}

/** Polls `condition` until it holds; fails the test after `timeoutMs`. */
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
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** A raw UDP socket standing in for the other side (as a Python peer would be). */
class RawPeer {
  readonly received: Array<
    { data: Uint8Array; address: string; port: number }
  > = [];
  private constructor(readonly socket: dgram.Socket) {
    socket.on("message", (data: Uint8Array, remote: dgram.RemoteInfo) => {
      this.received.push({
        data: new Uint8Array(data),
        address: remote.address,
        port: remote.port,
      });
    });
  }
  static async open(port = 0, host = "127.0.0.1"): Promise<RawPeer> {
    const socket = dgram.createSocket({ type: "udp4", reuseAddr: true });
    await new Promise<void>((resolve) => socket.bind(port, host, resolve));
    socket.setBroadcast(true);
    return new RawPeer(socket);
  }
  get port(): number {
    return this.socket.address().port;
  }
  send(data: Uint8Array, port: number, address = "127.0.0.1"): Promise<void> {
    return new Promise((resolve, reject) =>
      this.socket.send(
        data,
        port,
        address,
        (error) => error ? reject(error) : resolve(),
      )
    );
  }
  close(): Promise<void> {
    return new Promise((resolve) => this.socket.close(() => resolve()));
  }
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
  const port = await freePort();
  const { call, answer } = configs(port);
  const answering = startBroadcast(answer, answerer);
  const calling = startBroadcast(call, caller);
  try {
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
    await waitFor("caller socket released", () => calling.localPort === null);
    assertEquals(answering.localPort, port);
  } finally {
    await calling.close();
    await answering.close();
  }
});

Deno.test("broadcast caller started 1 s before the answerer still connects, with one answer", async () => {
  const [caller, answerer] = linkedPair();
  const { call, answer } = configs(await freePort());
  const calling = startBroadcast(call, caller);
  await sleep(1000);
  const answering = startBroadcast(answer, answerer);
  try {
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
    await answering.close();
  }
});

Deno.test("broadcast answerer ignores garbage, wrong-key, expired, oversized and unexpected datagrams", async () => {
  const [caller, answerer] = linkedPair();
  const port = await freePort();
  const { call, answer } = configs(port);
  const answering = startBroadcast(answer, answerer);
  const raw = await RawPeer.open();
  try {
    await waitFor("answerer bound", () => answering.localPort === port);
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
  const port = await freePort();
  const answering = startBroadcast(configs(port).answer, answerer);
  const raw = await RawPeer.open();
  try {
    await waitFor("answerer bound", () => answering.localPort === port);
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
  const port = await freePort();
  const raw = await RawPeer.open(port, "0.0.0.0");
  const calling = startBroadcast(configs(port).call, caller);
  try {
    const cipher = await BroadcastCipher.forId(SECRET, "cam-test");
    await waitFor("two offers", () => raw.received.length >= 2);
    const offers = await Promise.all(
      raw.received.map((d) => cipher.decode(d.data)),
    );
    assert(offers.every((message) => message.offer === caller.offers[0]));
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
    await sleep(50); // an offer already on its way may still land
    const offersSoFar = raw.received.length;
    await sleep(800); // more than three re-send intervals
    assertEquals(raw.received.length, offersSoFar);
    assertEquals(caller.acceptedAnswers, [answer]);
    assertEquals(caller.offers.length, 1);
    caller.setState("connected");
    await waitFor("socket released", () => calling.localPort === null);
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
  const calling = startBroadcast(
    configs(await freePort()).call,
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
  const { call, answer } = configs(await freePort());
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
  let settle = () => {};
  const session = new PeerDouble("slow");
  session.createOffer = () =>
    new Promise<string>((resolve) => settle = () => resolve("v=0\r\n"));
  const calling = startBroadcast(configs(await freePort()).call, session);
  await waitFor("offer requested", () => calling.localPort !== null);
  await sleep(100);
  await calling.close();
  assertEquals(calling.localPort, null);
  settle();
  await calling.close();
});

Deno.test("broadcast answerer reports a port in use by a non-reusing socket and keeps trying", async () => {
  const blocker = dgram.createSocket({ type: "udp4", reuseAddr: false });
  await new Promise<void>((resolve) => blocker.bind(0, "0.0.0.0", resolve));
  const port = blocker.address().port;
  const answerer = new PeerDouble("answerer");
  const answering = startBroadcast(configs(port).answer, answerer, {
    retryDelayMs: 50,
  });
  try {
    await sleep(200);
    assertEquals(answering.localPort, null);
  } finally {
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
  const { call, answer } = configs(await freePort());
  const timings: Partial<BroadcastTimings> = { disconnectedGraceMs: 300 };
  const answering = startBroadcast(answer, answerer, timings);
  const calling = startBroadcast(call, caller, timings);
  try {
    await waitFor(
      "first connection",
      () =>
        caller.connectionState === "connected" &&
        answerer.connectionState === "connected",
    );
    const closesBefore = caller.closes;
    caller.setState("disconnected");
    await sleep(50);
    caller.setState("connected");
    await sleep(600); // twice the grace period
    assertEquals(caller.offers.length, 1);
    assertEquals(caller.closes, closesBefore);
    caller.setState("disconnected");
    answerer.setState("disconnected");
    await waitFor(
      "a new offer after the grace period",
      () => caller.offers.length === 2,
    );
    await waitFor(
      "second connection",
      () =>
        caller.connectionState === "connected" &&
        answerer.connectionState === "connected",
    );
    assertEquals(answerer.acceptedOffers, caller.offers);
  } finally {
    await calling.close();
    await answering.close();
  }
});

Deno.test("broadcast warns about a burst of bad datagrams once, and keeps answering", async () => {
  const answerer = new PeerDouble("answerer");
  const port = await freePort();
  const answering = startBroadcast(configs(port).answer, answerer, {
    warningIntervalMs: 60_000,
  });
  const raw = await RawPeer.open();
  const warnings: string[] = [];
  const consoleError = console.error;
  console.error = (...args: unknown[]) =>
    warnings.push(args.map(String).join(" "));
  try {
    await waitFor("answerer bound", () => answering.localPort === port);
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
    const broadcastWarnings = warnings.filter((line) =>
      line.includes("broadcast:")
    );
    assertEquals(broadcastWarnings.length, 1);
    assert(broadcastWarnings[0].includes("ignoring a datagram from 127.0.0.1"));
  } finally {
    console.error = consoleError;
    await raw.close();
    await answering.close();
  }
});

// deno-test-isolated: libwebrtc may abort when Deno tears this runtime down
// WebRTC needs a network namespace with only `lo`: run inside
// scripts/in_loopback_netns.sh (`deno task test` does).
import assert from "node:assert/strict";
import { Logger, type LogLevel } from "../../lib/log/logger.ts";
import type { ConnectionState } from "../../lib/signalling/signalling.ts";
import {
  type ReceivedFrame,
  WrtcPeerSession,
} from "../../lib/webrtc/peer_session.ts";
import {
  STEERING_MARK,
  type VideoCodec,
  videoCodecOrder,
} from "../../lib/webrtc/sdp.ts";
import {
  halves,
  meanColour,
  near,
  type Rgb,
  show,
  waitFor,
} from "./_helpers.ts";
import { startStunServer } from "./_stun_server.ts";

const WIDTH = 320;
const HEIGHT = 240;
const A_TOP: Rgb = [200, 40, 40];
const A_BOTTOM: Rgb = [20, 20, 20];
const B_TOP: Rgb = [30, 160, 220];
const B_BOTTOM: Rgb = [240, 240, 240];
const TOLERANCE = 16;

/** A logger that keeps its records (`level message`) instead of printing them. */
class RecordingLogger extends Logger {
  readonly records: string[] = [];

  constructor() {
    super("webrtc");
  }

  override log(level: LogLevel, message: string): void {
    this.records.push(`${level} ${message}`);
  }

  /** Records that include `text`. */
  including(text: string): string[] {
    return this.records.filter((record) => record.includes(text));
  }
}

/** What `WrtcPeerSession` logs when an offer or answer goes out on the UDP grace period, without waiting for the TCP candidates. */
const SENT_ON_UDP = "sending the SDP with the UDP candidates";
/** What it logs when ICE gathering ran out of time. */
const GATHERING_TIMED_OUT = "ICE gathering did not finish";

/** Two connected sessions, A calling B, each sending its two-colour image at ~30 fps. */
async function call(codec: VideoCodec) {
  const a = await WrtcPeerSession.create({
    width: WIDTH,
    height: HEIGHT,
    codec,
  });
  const b = await WrtcPeerSession.create({
    width: WIDTH,
    height: HEIGHT,
    codec,
  });
  const statesA: (ConnectionState | null)[] = [];
  const statesB: (ConnectionState | null)[] = [];
  a.onConnectionStateChange((s) => statesA.push(s));
  b.onConnectionStateChange((s) => statesB.push(s));
  // A sends bottom-up rows (as glReadPixels gives them), B top-down.
  const imageA = halves(WIDTH, HEIGHT, A_TOP, A_BOTTOM, true);
  const imageB = halves(WIDTH, HEIGHT, B_TOP, B_BOTTOM, false);
  const timer = setInterval(() => {
    a.sendFrame(imageA, WIDTH, HEIGHT, true);
    b.sendFrame(imageB, WIDTH, HEIGHT, false);
  }, 33);
  const stop = () => clearInterval(timer);
  try {
    const offer = await a.createOffer();
    const answer = await b.acceptOffer(offer);
    await a.acceptAnswer(answer);
    return { a, b, statesA, statesB, offer, answer, stop };
  } catch (error) {
    stop();
    a.close();
    b.close();
    throw error;
  }
}

/** Waits for a frame whose top and bottom quarters show `top` and `bottom`; returns the last colours seen. */
async function expectHalves(
  session: WrtcPeerSession,
  top: Rgb,
  bottom: Rgb,
  who: string,
): Promise<ReceivedFrame> {
  let seen = "no frame";
  let good: ReceivedFrame | null = null;
  try {
    await waitFor(() => {
      const frame = session.latestFrame();
      if (frame === null) return false;
      const upper = meanColour(frame, 0.05, 0.45);
      const lower = meanColour(frame, 0.55, 0.95);
      seen = `top ${show(upper)}, bottom ${
        show(lower)
      } at ${frame.width}x${frame.height}`;
      if (near(upper, top, TOLERANCE) && near(lower, bottom, TOLERANCE)) {
        good = frame;
      }
      return good !== null;
    }, `${who} to receive top ${show(top)} / bottom ${show(bottom)}`);
  } catch (error) {
    throw new Error(`${(error as Error).message}; last seen: ${seen}`);
  }
  return good!;
}

async function receivesBothWays(codec: VideoCodec) {
  const { a, b, statesA, statesB, offer, answer, stop } = await call(codec);
  try {
    assert.equal(videoCodecOrder(offer)[0], codec.toUpperCase());
    assert.equal(videoCodecOrder(answer)[0], codec.toUpperCase());
    await waitFor(
      () =>
        a.connectionState === "connected" && b.connectionState === "connected",
      "both sessions to connect",
    );
    const atB = await expectHalves(b, A_TOP, A_BOTTOM, "B");
    const atA = await expectHalves(a, B_TOP, B_BOTTOM, "A");
    assert.ok(atB.count >= 1 && atA.count >= 1);
    assert.equal(statesA[0], "new");
    assert.ok(statesA.includes("connected") && statesB.includes("connected"));
    a.close();
    assert.equal(a.connectionState, null);
    assert.equal(a.latestFrame(), null);
    assert.equal(statesA.at(-1), null);
    assert.equal(
      a.sendFrame(new Uint8Array(WIDTH * HEIGHT * 4), WIDTH, HEIGHT, false),
      false,
    );
  } finally {
    stop();
    a.close();
    b.close();
  }
}

Deno.test("two peer sessions connect and each receives the other's picture the right way up (vp8)", async () => {
  await receivesBothWays("vp8");
});

Deno.test("two peer sessions that prefer vp9 negotiate vp9 and exchange pictures", async () => {
  await receivesBothWays("vp9");
});

Deno.test("a peer session sees the call end after the other side closes", async () => {
  const { a, b, statesB, stop } = await call("vp8");
  try {
    await waitFor(() => b.connectionState === "connected", "B to connect");
    await waitFor(() => b.latestFrame() !== null, "B to receive a frame");
    assert.equal(b.peerActivity()?.closedByPeer, false);
    stop();
    a.close();
    // WebRTC has no BYE: libwebrtc's own state stays "connected" until its
    // ICE consent checks fail (~18 s on loopback), but the peer's DTLS
    // transport says it closed, which the session reports at once.
    await waitFor(
      () => b.peerActivity()?.closedByPeer === true,
      "B to see that A closed",
    );
    assert.ok(statesB.includes("connected"));
  } finally {
    stop();
    a.close();
    b.close();
  }
});

Deno.test("a new offer replaces the previous peer connection without a null state in between", async () => {
  const a = await WrtcPeerSession.create({ width: WIDTH, height: HEIGHT });
  const states: (ConnectionState | null)[] = [];
  a.onConnectionStateChange((s) => states.push(s));
  try {
    const first = await a.createOffer();
    const second = await a.createOffer();
    assert.notEqual(first, second);
    assert.deepEqual(states, ["new", "new"]);
    assert.equal(a.connectionState, "new");
    assert.match(second, /a=candidate:.* 127\.0\.0\.1 /);
  } finally {
    a.close();
  }
  assert.deepEqual(states, ["new", "new", null]);
});

Deno.test("the caller steers its frames; an answerer steers only when the offer does not say that its maker steers", async () => {
  const a = await WrtcPeerSession.create({ width: WIDTH, height: HEIGHT });
  const b = await WrtcPeerSession.create({ width: WIDTH, height: HEIGHT });
  try {
    assert.equal(a.steers, false, "no peer connection, no steering");
    const offer = await a.createOffer();
    assert.equal(a.steers, true, "the caller steers");
    assert.ok(offer.includes(`\r\n${STEERING_MARK}\r\nm=`), offer);
    await b.acceptOffer(offer);
    assert.equal(
      b.steers,
      false,
      "our caller steers, so its answerer does not",
    );
    // An offer from an endpoint without the mark (a browser, aiortc): libwebrtc
    // takes it all the same, and the answerer steers.
    const answer = await b.acceptOffer(
      offer.replace(`${STEERING_MARK}\r\n`, ""),
    );
    assert.equal(b.steers, true, "the answerer of an unmarked offer steers");
    assert.ok(!answer.includes(STEERING_MARK), "answers carry no mark");
    await a.acceptAnswer(answer);
  } finally {
    a.close();
    b.close();
  }
  assert.equal(b.steers, false);
});

Deno.test("an offer carries the UDP host candidates without waiting for the TCP ones; waitForTcpCandidates waits for all", async () => {
  const quickLog = new RecordingLogger();
  const fullLog = new RecordingLogger();
  const quick = await WrtcPeerSession.create({
    width: WIDTH,
    height: HEIGHT,
    prepare: false,
    log: quickLog,
  });
  const full = await WrtcPeerSession.create({
    width: WIDTH,
    height: HEIGHT,
    waitForTcpCandidates: true,
    prepare: false,
    log: fullLog,
  });
  const answerer = await WrtcPeerSession.create({
    width: WIDTH,
    height: HEIGHT,
  });
  try {
    const offer = await quick.createOffer();
    const candidates = (sdp: string) =>
      sdp.split(/\r?\n/).filter((line) => line.startsWith("a=candidate:"));
    assert.ok(
      candidates(offer).some((line) => / udp /i.test(line)),
      `no UDP candidate in the offer:\n${offer}`,
    );
    // It went out on the short grace after the UDP candidates, not when
    // gathering (TCP included, ~100 ms later) was complete.
    assert.equal(
      quickLog.including(SENT_ON_UDP).length,
      1,
      quickLog.records.join("\n"),
    );
    assert.deepEqual(quickLog.including(GATHERING_TIMED_OUT), []);
    const answer = await answerer.acceptOffer(offer);
    assert.ok(candidates(answer).some((line) => / udp /i.test(line)));
    await quick.acceptAnswer(answer);
    await waitFor(
      () =>
        quick.connectionState === "connected" &&
        answerer.connectionState === "connected",
      "connected on the UDP candidates",
    );
    const fullOffer = await full.createOffer();
    assert.ok(candidates(fullOffer).some((line) => / udp /i.test(line)));
    assert.ok(
      candidates(fullOffer).some((line) => / tcp /i.test(line)),
      `no TCP candidate with waitForTcpCandidates:\n${fullOffer}`,
    );
    assert.deepEqual(fullLog.including(SENT_ON_UDP), []);
    assert.deepEqual(fullLog.including(GATHERING_TIMED_OUT), []);
  } finally {
    quick.close();
    full.close();
    answerer.close();
  }
});

Deno.test("a prepared session gathers ahead: an offer made soon has every UDP candidate, one made later the TCP ones too, at once", async () => {
  const udp = (sdp: string) =>
    sdp.split(/\r?\n/).filter((line) =>
      line.startsWith("a=candidate:") && / udp /i.test(line)
    ).length;
  const tcp = (sdp: string) =>
    sdp.split(/\r?\n/).filter((line) =>
      line.startsWith("a=candidate:") && / tcp /i.test(line)
    ).length;
  const plain = await WrtcPeerSession.create({
    width: WIDTH,
    height: HEIGHT,
    prepare: false,
  });
  const soon = await WrtcPeerSession.create({ width: WIDTH, height: HEIGHT });
  const laterLog = new RecordingLogger();
  const later = await WrtcPeerSession.create({
    width: WIDTH,
    height: HEIGHT,
    log: laterLog,
  });
  // Made after `later`, gathering everything (TCP included) only once asked:
  // when its offer is out, `later`, which began gathering first, is done.
  const reference = await WrtcPeerSession.create({
    width: WIDTH,
    height: HEIGHT,
    waitForTcpCandidates: true,
    prepare: false,
  });
  const unused = await WrtcPeerSession.create({ width: WIDTH, height: HEIGHT });
  try {
    // `soon` began gathering before `plain`: once `plain` has its UDP
    // candidates, `soon` has them too, but not (yet) the TCP ones.
    const plainOffer = await plain.createOffer();
    const soonOffer = await soon.createOffer();
    assert.equal(udp(soonOffer), udp(plainOffer), soonOffer);
    const referenceOffer = await reference.createOffer();
    assert.ok(tcp(referenceOffer) > 0, referenceOffer);
    const laterOffer = await later.createOffer();
    assert.equal(udp(laterOffer), udp(plainOffer), laterOffer);
    // It does not wait for TCP candidates, yet has them: gathered ahead.
    assert.ok(tcp(laterOffer) > 0, `no TCP candidates:\n${laterOffer}`);
    // At once: gathering was complete, so no grace period was waited for.
    assert.deepEqual(
      [
        ...laterLog.including(SENT_ON_UDP),
        ...laterLog.including(GATHERING_TIMED_OUT),
      ],
      [],
    );
    // A call comes up on the prepared connection that made the offer.
    const answer = await soon.acceptOffer(laterOffer);
    await later.acceptAnswer(answer);
    await waitFor(
      () =>
        later.connectionState === "connected" &&
        soon.connectionState === "connected",
      "connected on prepared connections",
    );
  } finally {
    plain.close();
    soon.close();
    later.close();
    reference.close();
    unused.close(); // closes its unused prepared connection
    assert.equal(unused.connectionState, null);
  }
});

Deno.test("with a STUN server the offer carries its server-reflexive candidate, and the call still connects", async () => {
  const stun = await startStunServer({
    mapped: { address: "127.0.0.9", port: 40_123 },
  });
  const a = await WrtcPeerSession.create({
    width: WIDTH,
    height: HEIGHT,
    iceServers: [{ urls: stun.url }],
  });
  const b = await WrtcPeerSession.create({ width: WIDTH, height: HEIGHT });
  try {
    const offer = await a.createOffer();
    assert.ok(stun.requests > 0, "no Binding request reached the STUN server");
    assert.match(
      offer,
      /a=candidate:\S+ 1 udp \d+ 127\.0\.0\.9 40123 typ srflx raddr 127\.0\.0\.1 /,
      "no server-reflexive candidate in the offer",
    );
    assert.match(offer, / typ host /);
    await a.acceptAnswer(await b.acceptOffer(offer));
    await waitFor(
      () =>
        a.connectionState === "connected" && b.connectionState === "connected",
      "both connected",
    );
  } finally {
    a.close();
    b.close();
    await stun.close();
  }
});

Deno.test("an unanswering STUN server delays the offer by iceServerWaitMs at most; it goes out with the host candidates", async () => {
  const stun = await startStunServer({
    mapped: { address: "127.0.0.9", port: 40_123 },
    silent: true,
  });
  const log = new RecordingLogger();
  const a = await WrtcPeerSession.create({
    width: WIDTH,
    height: HEIGHT,
    iceServers: [{ urls: stun.url }],
    iceServerWaitMs: 300,
    // Far beyond iceServerWaitMs: the offer must not come from this one.
    iceGatheringTimeoutMs: 60_000,
    prepare: false,
    log,
  });
  try {
    const offer = await a.createOffer();
    assert.ok(stun.requests > 0, "no Binding request reached the STUN server");
    // The offer waited for the STUN server, and went out when
    // iceServerWaitMs ended that wait (not when gathering gave up).
    assert.deepEqual(
      log.records.filter((record) => record.startsWith("warn ")),
      [
        "warn no srflx candidate from the ICE servers within 300 ms; sending the host candidates",
      ],
    );
    assert.doesNotMatch(offer, / typ srflx /);
    assert.match(offer, /127\.0\.0\.1 \d+ typ host/);
  } finally {
    a.close();
    await stun.close();
  }
});

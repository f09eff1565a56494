/**
 * Broadcast signalling benchmark: PBKDF2 key derivation (and whether the
 * event loop keeps running meanwhile), encode/decode time per message, and
 * with real `WrtcPeerSession`s the time to "connected" when the answerer
 * starts first and when the caller starts first (answerer late), with our
 * offer re-send schedule and with the original's (5 s between sends).
 *
 * Run: `scripts/in_loopback_netns.sh deno run -A bench/broadcast_bench.ts`
 * → `bench/results/broadcast.json`. Outside a loopback-only network
 * namespace the WebRTC part is skipped.
 *
 * @module
 */

import dgram from "node:dgram";
import { setLogLevel } from "../lib/log/logger.ts";
import {
  type BroadcastConfig,
  type BroadcastTimings,
  offerResendDelaysMs,
  startBroadcast,
} from "../lib/signalling/broadcast.ts";
import {
  BroadcastCipher,
  deriveKey,
  PBKDF2_ITERATIONS,
} from "../lib/signalling/broadcast_cipher.ts";
import { Fernet } from "../lib/signalling/fernet.ts";

setLogLevel("warn");

const round = (value: number, digits = 3) => Number(value.toFixed(digits));
const median = (values: number[]) =>
  [...values].sort((a, b) => a - b)[values.length >> 1];
const summary = (values: number[]) => ({
  median: round(median(values)),
  min: round(Math.min(...values)),
  max: round(Math.max(...values)),
  runs: values.length,
});

/** PBKDF2 derivation time, and the longest event-loop stall while it ran. */
async function benchDerivation(runs: number) {
  const times: number[] = [];
  let longestStallMs = 0;
  let ticks = 0;
  for (let i = 0; i < runs; i++) {
    let last = performance.now();
    const timer = setInterval(() => {
      const now = performance.now();
      longestStallMs = Math.max(longestStallMs, now - last);
      last = now;
      ticks++;
    }, 2);
    const start = performance.now();
    await deriveKey("flitter_webrtc", `bench-${i}-${Math.random()}`);
    times.push(performance.now() - start);
    clearInterval(timer);
  }
  return {
    iterations: PBKDF2_ITERATIONS,
    ms: summary(times),
    timerTicksDuring: ticks,
    longestEventLoopStallMs: round(longestStallMs),
  };
}

/** A libwebrtc-like SDP of about 3 KB (the size of a one-candidate wrtc offer). */
function sampleSdp(): string {
  const lines = [
    "v=0",
    "o=- 4611731400430051336 2 IN IP4 127.0.0.1",
    "s=-",
    "t=0 0",
  ];
  lines.push(
    "a=group:BUNDLE 0",
    "a=extmap-allow-mixed",
    "a=msid-semantic: WMS",
  );
  lines.push(
    "m=video 9 UDP/TLS/RTP/SAVPF 96 97 98 99 100 101 102 103 104 105 106 107 108",
  );
  lines.push("c=IN IP4 0.0.0.0", "a=rtcp:9 IN IP4 0.0.0.0");
  lines.push(
    "a=candidate:1738328306 1 udp 2122260223 127.0.0.1 51234 typ host generation 0 network-id 1",
  );
  lines.push(
    "a=ice-ufrag:AbCd",
    "a=ice-pwd:0123456789abcdefghijklmn",
    "a=ice-options:trickle",
  );
  const fingerprint = Array.from(
    { length: 32 },
    (_, i) => (i * 37 % 256).toString(16).padStart(2, "0"),
  );
  lines.push(
    `a=fingerprint:sha-256 ${fingerprint.join(":").toUpperCase()}`,
    "a=setup:actpass",
    "a=mid:0",
  );
  const extensions = [
    "toffset",
    "abs-send-time",
    "video-orientation",
    "transport-wide-cc-01",
    "playout-delay",
    "video-content-type",
    "video-timing",
    "color-space",
    "sdes:mid",
  ];
  extensions.forEach((name, i) =>
    lines.push(`a=extmap:${i + 1} urn:ietf:params:rtp-hdrext:${name}`)
  );
  lines.push(
    "a=sendrecv",
    "a=msid:- 8c3f1d2e-5b6a-4c7d-9e8f-0a1b2c3d4e5f",
    "a=rtcp-mux",
    "a=rtcp-rsize",
  );
  const codecs = [
    "VP8",
    "rtx",
    "VP9",
    "rtx",
    "VP9",
    "rtx",
    "H264",
    "rtx",
    "H264",
    "rtx",
    "AV1",
    "rtx",
    "red",
  ];
  codecs.forEach((codec, i) => {
    const pt = 96 + i;
    lines.push(`a=rtpmap:${pt} ${codec}/90000`);
    if (codec === "rtx") lines.push(`a=fmtp:${pt} apt=${pt - 1}`);
    else {lines.push(
        `a=rtcp-fb:${pt} goog-remb`,
        `a=rtcp-fb:${pt} transport-cc`,
        `a=rtcp-fb:${pt} ccm fir`,
        `a=rtcp-fb:${pt} nack`,
        `a=rtcp-fb:${pt} nack pli`,
      );}
    if (codec === "H264") {
      lines.push(
        `a=fmtp:${pt} level-asymmetry-allowed=1;packetization-mode=1;profile-level-id=42e01f`,
      );
    }
  });
  lines.push(
    "a=ssrc-group:FID 1234567890 987654321",
    "a=ssrc:1234567890 cname:AbCdEfGhIjKlMnOp",
    "a=ssrc:987654321 cname:AbCdEfGhIjKlMnOp",
  );
  return lines.join("\r\n") + "\r\n";
}

/** Encode and decode time per message (key already derived). */
async function benchCodec(runs: number) {
  const cipher = await BroadcastCipher.forId("flitter_webrtc", "bench-codec");
  const message = { offer: sampleSdp() };
  let datagram = await cipher.encode(message);
  for (let i = 0; i < 20; i++) {
    await cipher.decode(await cipher.encode(message));
  }
  let start = performance.now();
  for (let i = 0; i < runs; i++) datagram = await cipher.encode(message);
  const encodeMs = (performance.now() - start) / runs;
  start = performance.now();
  for (let i = 0; i < runs; i++) await cipher.decode(datagram);
  const decodeMs = (performance.now() - start) / runs;
  const fernet = await Fernet.fromKey(Fernet.generateKey());
  const raw = new Uint8Array(1200);
  start = performance.now();
  for (let i = 0; i < runs; i++) {
    await fernet.decrypt(await fernet.encrypt(raw));
  }
  const fernetRoundTripMs = (performance.now() - start) / runs;
  return {
    sdpChars: message.offer.length,
    datagramBytes: datagram.length,
    encodeMs: round(encodeMs, 4),
    decodeMs: round(decodeMs, 4),
    fernet1200ByteRoundTripMs: round(fernetRoundTripMs, 4),
    runs,
  };
}

async function freePort(): Promise<number> {
  const socket = dgram.createSocket("udp4");
  await new Promise<void>((resolve) => socket.bind(0, "0.0.0.0", resolve));
  const port = socket.address().port;
  await new Promise<void>((resolve) => socket.close(() => resolve()));
  return port;
}

/**
 * One call between two wrtc sessions; the answerer starts `answererDelayMs`
 * after the caller. Returns ms from the later start to both connected.
 */
async function timeToConnected(
  answererDelayMs: number,
  timings: Partial<BroadcastTimings>,
): Promise<number> {
  const { WrtcPeerSession } = await import("../lib/webrtc/peer_session.ts");
  const port = await freePort();
  // A fresh ID each run, so key derivation is part of the figure (as in a fresh process).
  const common = {
    id: `bench-${Math.random()}`,
    secret: "bench",
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
  const caller = await WrtcPeerSession.create({ width: 160, height: 120 });
  const answerer = await WrtcPeerSession.create({ width: 160, height: 120 });
  const connected = new Promise<number>((resolve) => {
    const check = () => {
      if (
        caller.connectionState === "connected" &&
        answerer.connectionState === "connected"
      ) {
        resolve(performance.now());
      }
    };
    caller.onConnectionStateChange(check);
    answerer.onConnectionStateChange(check);
  });
  const calling = startBroadcast(callConfig, caller, timings);
  await new Promise((resolve) => setTimeout(resolve, answererDelayMs));
  const started = performance.now();
  const answering = startBroadcast(answerConfig, answerer, timings);
  try {
    const end = await Promise.race([
      connected,
      new Promise<number>((_, reject) =>
        setTimeout(() => reject(new Error("no connection in 30 s")), 30_000)
      ),
    ]);
    return end - started;
  } finally {
    await calling.close();
    await answering.close();
    caller.close();
    answerer.close();
  }
}

/** `[250, 250, 500]` → `"250 ms ×2, 500 ms ×1"`. */
function describeSchedule(delays: readonly number[]): string {
  const parts: string[] = [];
  for (let i = 0; i < delays.length;) {
    let j = i;
    while (j < delays.length && delays[j] === delays[i]) j++;
    parts.push(`${delays[i]} ms ×${j - i}`);
    i = j;
  }
  return parts.join(", ");
}

async function benchConnect() {
  if (Deno.env.get("FLITTER_IN_NETNS") !== "1") {
    return { skipped: "not inside scripts/in_loopback_netns.sh" };
  }
  const original = { offerResendDelaysMs: [5000, 5000, 5000, 5000, 5000] };
  // Answerer start offsets spread over the caller's re-send phases.
  const lateOffsets = [1000, 1100, 1200, 2600, 2800, 3000, 6000, 6300];
  const callerFirst = async (
    timings: Partial<BroadcastTimings>,
    offsets: number[],
  ) => {
    const byOffset: Record<string, number> = {};
    for (const offset of offsets) {
      byOffset[offset] = round(await timeToConnected(offset, timings), 1);
    }
    return {
      ms: summary(Object.values(byOffset)),
      byAnswererDelayMs: byOffset,
    };
  };
  const answererFirst = async (
    timings: Partial<BroadcastTimings>,
    count: number,
  ) => {
    const times: number[] = [];
    for (let i = 0; i < count; i++) {
      times.push(await timeToConnected(0, timings));
    }
    return summary(times);
  };
  return {
    note:
      "ms from the later side's start to both sessions connected (wrtc 160x120, loopback, key derivation included)",
    ours: {
      offerSchedule: describeSchedule(offerResendDelaysMs()),
      answererFirst: await answererFirst({}, 3),
      callerFirst: await callerFirst({}, lateOffsets),
    },
    originalSchedule: {
      offerSchedule: describeSchedule(original.offerResendDelaysMs),
      answererFirst: await answererFirst(original, 1),
      callerFirst: await callerFirst(original, [1000, 2600]),
    },
  };
}

const result = {
  date: new Date().toISOString(),
  cores: navigator.hardwareConcurrency,
  deno: Deno.version.deno,
  pbkdf2: await benchDerivation(5),
  message: await benchCodec(500),
  connect: await benchConnect(),
};
console.log(JSON.stringify(result, null, 2));
await Deno.mkdir(new URL("./results/", import.meta.url), { recursive: true });
await Deno.writeTextFile(
  new URL("./results/broadcast.json", import.meta.url),
  JSON.stringify(result, null, 2) + "\n",
);

// libwebrtc's native teardown makes a process that loaded wrtc exit with
// status 1; the figures are written, so end cleanly.
Deno.exit(0);

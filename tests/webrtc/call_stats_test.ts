// Figures from getStats reports, and how CallStats asks for them (off the
// frame path) and publishes them under a `stats=` key, with fake reports in
// the shape libwebrtc gives (no peer connection here; the real call is in
// call_stats_call_test.ts).
import assert from "node:assert/strict";
import { MapStateStore } from "../../lib/engine/state_store.ts";
import { compileExpression } from "../../lib/expr/expression.ts";
import { sym, type Value } from "../../lib/expr/values.ts";
import { Logger, type LogLevel, setVerbose } from "../../lib/log/logger.ts";
import {
  CallStats,
  FIGURE_NAMES,
  figureKey,
  formatCallFigures,
  readCallFigures,
  STATS_INTERVAL_MS,
  STATS_LOG_INTERVAL_MS,
  type StatsReport,
  type StatsSource,
} from "../../lib/webrtc/call_stats.ts";

/** A report in libwebrtc's shape: `frames`/`bytes` counters each way, the selected pair `local`→`remote`. */
function report(options: {
  frames: number;
  bytes: number;
  local?: string;
  remote?: string;
  pairRtt?: number;
  remoteRtt?: number;
}): StatsReport {
  const entries: Record<string, unknown>[] = [
    { id: "T", type: "transport", selectedCandidatePairId: "P" },
    {
      id: "P",
      type: "candidate-pair",
      localCandidateId: "L",
      remoteCandidateId: "R",
      nominated: true,
      state: "succeeded",
      currentRoundTripTime: options.pairRtt ?? 0.004,
    },
    // Another pair, not selected.
    {
      id: "Q",
      type: "candidate-pair",
      localCandidateId: "R",
      remoteCandidateId: "L",
      nominated: false,
      state: "succeeded",
    },
    {
      id: "L",
      type: "local-candidate",
      candidateType: options.local ?? "host",
    },
    {
      id: "R",
      type: "remote-candidate",
      candidateType: options.remote ?? "srflx",
    },
    { id: "C1", type: "codec", mimeType: "video/VP8" },
    { id: "C2", type: "codec", mimeType: "video/VP9" },
    {
      id: "O",
      type: "outbound-rtp",
      kind: "video",
      codecId: "C1",
      framesSent: options.frames,
      framesEncoded: options.frames,
      bytesSent: options.bytes,
    },
    {
      id: "I",
      type: "inbound-rtp",
      kind: "video",
      codecId: "C2",
      framesDecoded: options.frames * 2,
      bytesReceived: options.bytes * 2,
      packetsLost: 3,
      jitter: 0.0125,
      frameWidth: 640,
      frameHeight: 360,
    },
    ...(options.remoteRtt === undefined ? [] : [{
      id: "RI",
      type: "remote-inbound-rtp",
      kind: "video",
      roundTripTime: options.remoteRtt,
    }]),
  ];
  return new Map(entries.map((entry) => [entry.id as string, entry]));
}

Deno.test("readCallFigures: rates from the change since the previous report, the rest from the report", () => {
  const first = readCallFigures(report({ frames: 30, bytes: 1000 }), null, 0);
  assert.equal(first.figures.fpsSent, null, "no rate from one report");
  assert.equal(first.figures.bpsReceived, null);
  assert.equal(first.figures.candidate, "host");
  const { figures } = readCallFigures(
    report({ frames: 60, bytes: 126_000 }),
    first.counters,
    500,
  );
  assert.deepEqual(figures, {
    fpsSent: 60,
    fpsReceived: 120,
    bpsSent: 8 * 125_000 * 2,
    bpsReceived: 8 * 250_000 * 2,
    rtt: 0.004,
    packetsLost: 3,
    jitter: 0.0125,
    width: 640,
    height: 360,
    codecSent: "vp8",
    codecReceived: "vp9",
    candidate: "host",
    remoteCandidate: "srflx",
  });
  assert.equal(
    formatCallFigures(figures),
    "sent 60.0 fps 2.00 Mbps vp8, received 120.0 fps 4.00 Mbps vp9 640x360, rtt 4.0 ms, jitter 12.5 ms, 3 packets lost, candidates host → srflx",
  );
});

Deno.test("readCallFigures: counters that went down (a new connection) give no rates; an RTT of 0 ms is refined by the RTCP one", () => {
  const before = readCallFigures(report({ frames: 90, bytes: 9000 }), null, 0);
  const after = readCallFigures(
    report({ frames: 5, bytes: 500, pairRtt: 0, remoteRtt: 0.0004 }),
    before.counters,
    1000,
  );
  assert.equal(after.figures.fpsSent, null);
  assert.equal(after.figures.bpsSent, null);
  assert.equal(after.figures.rtt, 0.0004);
  const empty = readCallFigures(new Map(), null, 0).figures;
  assert.ok(Object.values(empty).every((value) => value === null));
});

/** A stats source whose reports the test hands out one by one. */
class FakeSource implements StatsSource {
  readonly requests: Array<(report: StatsReport | null) => void> = [];
  statsReport(): Promise<StatsReport | null> {
    return new Promise((resolve) => this.requests.push(resolve));
  }
  /** Answers the oldest request and lets its callbacks run. */
  async answer(report: StatsReport | null): Promise<void> {
    this.requests.shift()!(report);
    for (let i = 0; i < 3; i++) await Promise.resolve();
  }
}

class RecordingLogger extends Logger {
  readonly records: string[] = [];
  constructor() {
    super("webrtc");
  }
  override log(level: LogLevel, message: string): void {
    this.records.push(`${level} ${message}`);
  }
}

function stateOf(store: MapStateStore, source: string): Value {
  return compileExpression(source).evaluate({
    lookup: () => undefined,
    state: (key) => store.get(key),
    readText: () => null,
  });
}

Deno.test("CallStats asks once a second without awaiting, publishes under KEY;:NAME for scene expressions, and clears at the end of a call", async () => {
  const store = new MapStateStore();
  const log = new RecordingLogger();
  const stats = new CallStats(store, log);
  const source = new FakeSource();
  const key = sym("stats");
  stats.update(key, null, "call", 0);
  assert.equal(store.get(key), null, "null without a call");
  assert.equal(source.requests.length, 0);

  stats.update(key, source, "call", 0);
  assert.equal(source.requests.length, 1, "asked at once when the call is up");
  stats.update(key, source, "call", 10);
  assert.equal(source.requests.length, 1, "one request at a time");
  assert.equal(store.get(key), null, "nothing until the report is back");
  await source.answer(report({ frames: 0, bytes: 0 }));
  stats.update(key, source, "call", 20);
  assert.equal(store.get(key), 1);
  assert.equal(store.get(figureKey(key, "candidate")), sym("host"));
  assert.equal(store.get(figureKey(key, "fps_sent")), null, "no rate yet");
  assert.equal(source.requests.length, 0, "not asked again before a second");

  stats.update(key, source, "call", STATS_INTERVAL_MS);
  assert.equal(source.requests.length, 1);
  await source.answer(report({ frames: 30, bytes: 1000 }));
  stats.update(key, source, "call", STATS_INTERVAL_MS + 20);
  assert.ok((store.get(figureKey(key, "fps_sent")) as number) > 0);
  assert.deepEqual(store.get(figureKey(key, "size")), [640, 360]);
  assert.equal(stateOf(store, "$(:stats;:codec_received) == :vp9"), 1);
  assert.equal(stateOf(store, "$(:stats;:remote_candidate)"), sym("srflx"));
  assert.equal(stateOf(store, "$(:stats;:size)[1]"), 360);
  assert.deepEqual(log.records, [], "nothing logged without --verbose");

  // Another key: the old one is cleared.
  const other = [sym("call"), 2];
  stats.update(other, source, "call", STATS_INTERVAL_MS + 40);
  assert.equal(store.get(key), null);
  assert.equal(store.get(figureKey(key, "candidate")), null);
  assert.equal(store.get(figureKey(other, "candidate")), sym("host"));
  assert.equal(stateOf(store, "$(:call;2;:candidate)"), sym("host"));

  // The call ends: every figure is null, and a late report is dropped.
  stats.update(other, source, "call", 2 * STATS_INTERVAL_MS);
  assert.equal(source.requests.length, 1);
  stats.update(other, null, "call", 2 * STATS_INTERVAL_MS + 10);
  await source.answer(report({ frames: 60, bytes: 2000 }));
  stats.update(other, null, "call", 2 * STATS_INTERVAL_MS + 20);
  assert.equal(store.get(other), null);
  for (const name of FIGURE_NAMES) {
    assert.equal(store.get(figureKey(other, name)), null, name);
  }
  assert.equal(stats.figures, null);
});

Deno.test("CallStats asks for nothing without a stats= key or --verbose; with --verbose it logs a line every few seconds", async () => {
  const store = new MapStateStore();
  const log = new RecordingLogger();
  const stats = new CallStats(store, log);
  const source = new FakeSource();
  stats.update(null, source, "!webrtc a call", 0);
  stats.update(null, source, "!webrtc a call", 5 * STATS_INTERVAL_MS);
  assert.equal(source.requests.length, 0);
  stats.destroy();
  setVerbose(true);
  try {
    const verbose = new CallStats(store, log);
    const end = 2 * STATS_LOG_INTERVAL_MS;
    for (let now = 0; now <= end; now += STATS_INTERVAL_MS / 2) {
      verbose.update(null, source, "!webrtc a call", now);
      if (source.requests.length > 0) {
        await source.answer(report({ frames: now / 10, bytes: now }));
      }
    }
    assert.equal(log.records.length, 2, log.records.join("\n"));
    assert.match(
      log.records[1],
      /^info !webrtc a call: sent 100\.0 fps 0\.01 Mbps vp8, received 200\.0 fps 0\.02 Mbps vp9 640x360, rtt 4\.0 ms, jitter 12\.5 ms, 3 packets lost, candidates host → srflx$/,
    );
    verbose.destroy();
  } finally {
    setVerbose(false);
  }
  assert.deepEqual([...store.entries()], [], "no key: nothing published");
});

/**
 * A call's figures for the scene (`stats=KEY` on `!webrtc`) and for
 * `--verbose`: frames and bits per second each way, round-trip time,
 * packets lost, jitter, the received frame size, the codecs and the types
 * of the selected ICE candidates.
 *
 * The figures come from `RTCPeerConnection.getStats()`, asked for about
 * once a second while a call is up (connected, or disconnected for a
 * moment), and only where someone looks at them: a `stats=` key or
 * `--verbose`. The request is never awaited by a frame: a frame starts it
 * and a later frame publishes what came back. Rates are the change of the
 * counters between two reports, so they appear with the second report.
 *
 * In the scene state, each figure has a key of its own, the `stats=` key
 * followed by the figure's name (Flitter's vector keys): with
 * `stats = ":stats"`, `$(:stats;:fps_received)` is the frame rate received.
 * `$:stats` itself is `true` (1) while there are figures. Every key is
 * `null` without a call, and a figure not known yet (or not reported by
 * the peer) is `null` too:
 *
 * | name               | value                                                               |
 * | ------------------ | ------------------------------------------------------------------- |
 * | `fps_sent`         | frames per second encoded and sent                                  |
 * | `fps_received`     | frames per second received and decoded                              |
 * | `bps_sent`         | bits per second of video sent (RTP payload)                         |
 * | `bps_received`     | bits per second of video received (RTP payload)                     |
 * | `rtt`              | round-trip time to the peer, seconds                                |
 * | `packets_lost`     | video packets from the peer lost in this call                       |
 * | `jitter`           | jitter of the video received, seconds                               |
 * | `size`             | width;height of the frames received                                 |
 * | `codec_sent`       | codec of the video sent: `:vp8`, `:vp9`, `:av1`, `:h264`            |
 * | `codec_received`   | codec of the video received                                         |
 * | `candidate`        | type of our candidate in the selected pair: `:host`, `:srflx`, `:prflx` or `:relay` |
 * | `remote_candidate` | the peer's candidate type in the selected pair                      |
 *
 * @module
 */

import {
  items,
  type Scalar,
  sym,
  type Value,
  valuesEqual,
} from "../expr/values.ts";
import { isVerbose, type Logger } from "../log/logger.ts";
import type { StateStore } from "../scene/node.ts";

/** One `getStats()` report: entries by ID. */
export type StatsReport = ReadonlyMap<
  string,
  Readonly<Record<string, unknown>>
>;

/** What {@linkcode CallStats} asks for reports: a peer session, as far as it is used here. */
export interface StatsSource {
  /** The current connection's report, or `null` when there is none. */
  statsReport(): Promise<StatsReport | null>;
}

/** A call's figures (see the module documentation); `null` where not known. */
export interface CallFigures {
  /** Frames per second encoded and sent. */
  fpsSent: number | null;
  /** Frames per second decoded from the peer's video. */
  fpsReceived: number | null;
  /** Bits per second of video sent (RTP payload). */
  bpsSent: number | null;
  /** Bits per second of video received (RTP payload). */
  bpsReceived: number | null;
  /** Round-trip time, seconds. */
  rtt: number | null;
  /** Packets of the peer's video lost in this call. */
  packetsLost: number | null;
  /** Jitter of the peer's video, seconds. */
  jitter: number | null;
  /** Width of the frames received. */
  width: number | null;
  /** Height of the frames received. */
  height: number | null;
  /** Codec sent, lower case (`"vp8"`). */
  codecSent: string | null;
  /** Codec received, lower case. */
  codecReceived: string | null;
  /** Our candidate type in the selected pair (`"host"`, `"srflx"`, `"prflx"`, `"relay"`). */
  candidate: string | null;
  /** The peer's candidate type in the selected pair. */
  remoteCandidate: string | null;
}

/** Counters of one report, from which the next one's rates are worked out. */
export interface StatsCounters {
  /** `performance.now()` when the report came. */
  at: number;
  /** Video frames sent (encoded, where `framesSent` is missing). */
  framesSent: number;
  /** Video frames decoded. */
  framesReceived: number;
  /** Video payload bytes sent. */
  bytesSent: number;
  /** Video payload bytes received. */
  bytesReceived: number;
}

/** How often (ms) figures are asked for while a call is up. */
export const STATS_INTERVAL_MS = 1000;
/** How often (ms) `--verbose` logs a call's figures. */
export const STATS_LOG_INTERVAL_MS = 5000;

function num(value: unknown): number | null {
  return typeof value === "number" && Number.isFinite(value) ? value : null;
}

function isVideo(entry: Readonly<Record<string, unknown>>): boolean {
  return entry.kind === "video" || entry.mediaType === "video";
}

function codecName(
  report: StatsReport,
  codecId: unknown,
): string | null {
  if (typeof codecId !== "string") return null;
  const mime = report.get(codecId)?.mimeType;
  if (typeof mime !== "string") return null;
  return mime.replace(/^[a-z]+\//i, "").toLowerCase();
}

/** The selected candidate pair: the transport's, else a nominated one that succeeded. */
function selectedPair(
  report: StatsReport,
): Readonly<Record<string, unknown>> | null {
  for (const entry of report.values()) {
    if (entry.type !== "transport") continue;
    const id = entry.selectedCandidatePairId;
    const pair = typeof id === "string" ? report.get(id) : undefined;
    if (pair !== undefined) return pair;
  }
  for (const entry of report.values()) {
    if (
      entry.type === "candidate-pair" && entry.nominated === true &&
      entry.state === "succeeded"
    ) return entry;
  }
  return null;
}

function candidateType(report: StatsReport, id: unknown): string | null {
  if (typeof id !== "string") return null;
  const type = report.get(id)?.candidateType;
  return typeof type === "string" ? type : null;
}

/**
 * The figures of `report`, taken at `at` (`performance.now()`), with rates
 * from the change since `previous` (the counters of the report before, on
 * the same connection): without it, or when a counter went down (a new
 * connection), the rates are `null`.
 */
export function readCallFigures(
  report: StatsReport,
  previous: StatsCounters | null,
  at: number,
): { figures: CallFigures; counters: StatsCounters } {
  const counters: StatsCounters = {
    at,
    framesSent: 0,
    framesReceived: 0,
    bytesSent: 0,
    bytesReceived: 0,
  };
  const figures: CallFigures = {
    fpsSent: null,
    fpsReceived: null,
    bpsSent: null,
    bpsReceived: null,
    rtt: null,
    packetsLost: null,
    jitter: null,
    width: null,
    height: null,
    codecSent: null,
    codecReceived: null,
    candidate: null,
    remoteCandidate: null,
  };
  let remoteRtt: number | null = null;
  for (const entry of report.values()) {
    if (!isVideo(entry)) continue;
    if (entry.type === "outbound-rtp") {
      counters.framesSent += num(entry.framesSent) ??
        num(entry.framesEncoded) ?? 0;
      counters.bytesSent += num(entry.bytesSent) ?? 0;
      figures.codecSent ??= codecName(report, entry.codecId);
    } else if (entry.type === "inbound-rtp") {
      counters.framesReceived += num(entry.framesDecoded) ?? 0;
      counters.bytesReceived += num(entry.bytesReceived) ?? 0;
      figures.codecReceived ??= codecName(report, entry.codecId);
      const lost = num(entry.packetsLost);
      if (lost !== null) {
        figures.packetsLost = (figures.packetsLost ?? 0) + lost;
      }
      figures.jitter ??= num(entry.jitter);
      figures.width ??= num(entry.frameWidth);
      figures.height ??= num(entry.frameHeight);
    } else if (entry.type === "remote-inbound-rtp") {
      remoteRtt ??= num(entry.roundTripTime);
    }
  }
  const pair = selectedPair(report);
  if (pair !== null) {
    figures.candidate = candidateType(report, pair.localCandidateId);
    figures.remoteCandidate = candidateType(report, pair.remoteCandidateId);
    figures.rtt = num(pair.currentRoundTripTime);
  }
  // libwebrtc reports the pair's RTT in whole milliseconds, so 0 on one
  // machine; the RTCP one (from the peer's receiver reports) is finer.
  if (figures.rtt === null || (figures.rtt === 0 && remoteRtt !== null)) {
    figures.rtt = remoteRtt ?? figures.rtt;
  }
  const seconds = previous === null ? 0 : (at - previous.at) / 1000;
  const grew = previous !== null &&
    counters.framesSent >= previous.framesSent &&
    counters.framesReceived >= previous.framesReceived &&
    counters.bytesSent >= previous.bytesSent &&
    counters.bytesReceived >= previous.bytesReceived;
  if (previous !== null && grew && seconds > 0) {
    figures.fpsSent = (counters.framesSent - previous.framesSent) / seconds;
    figures.fpsReceived = (counters.framesReceived - previous.framesReceived) /
      seconds;
    figures.bpsSent = 8 * (counters.bytesSent - previous.bytesSent) / seconds;
    figures.bpsReceived = 8 *
      (counters.bytesReceived - previous.bytesReceived) /
      seconds;
  }
  return { figures, counters };
}

/** Figures as scene values, by the name under the `stats=` key. */
export function figureValues(figures: CallFigures): [string, Value][] {
  const symbol = (name: string | null) => name === null ? null : sym(name);
  return [
    ["fps_sent", figures.fpsSent],
    ["fps_received", figures.fpsReceived],
    ["bps_sent", figures.bpsSent],
    ["bps_received", figures.bpsReceived],
    ["rtt", figures.rtt],
    ["packets_lost", figures.packetsLost],
    ["jitter", figures.jitter],
    [
      "size",
      figures.width === null || figures.height === null
        ? null
        : [figures.width, figures.height],
    ],
    ["codec_sent", symbol(figures.codecSent)],
    ["codec_received", symbol(figures.codecReceived)],
    ["candidate", symbol(figures.candidate)],
    ["remote_candidate", symbol(figures.remoteCandidate)],
  ];
}

/** The names under a `stats=` key (see the module documentation). */
export const FIGURE_NAMES: readonly string[] = figureValues(
  readCallFigures(new Map(), null, 0).figures,
).map(([name]) => name);

/** The state key of figure `name` under `key`: `key;:name`. */
export function figureKey(key: Value, name: string): Value {
  return [...items(key), sym(name)] as Scalar[];
}

/** One line for the log: `sent 30.0 fps 1.23 Mbps vp8, received …`. */
export function formatCallFigures(figures: CallFigures): string {
  const fps = (value: number | null) =>
    value === null ? "? fps" : `${value.toFixed(1)} fps`;
  const bps = (value: number | null) =>
    value === null ? "? Mbps" : `${(value / 1e6).toFixed(2)} Mbps`;
  const ms = (value: number | null) =>
    value === null ? "?" : `${(value * 1000).toFixed(1)} ms`;
  const size = figures.width === null || figures.height === null
    ? "?x?"
    : `${figures.width}x${figures.height}`;
  return `sent ${fps(figures.fpsSent)} ${bps(figures.bpsSent)} ${
    figures.codecSent ?? "?"
  }, received ${fps(figures.fpsReceived)} ${bps(figures.bpsReceived)} ${
    figures.codecReceived ?? "?"
  } ${size}, rtt ${ms(figures.rtt)}, jitter ${ms(figures.jitter)}, ${
    figures.packetsLost ?? "?"
  } packets lost, candidates ${figures.candidate ?? "?"} → ${
    figures.remoteCandidate ?? "?"
  }`;
}

/**
 * One `!webrtc` node's figures: asks for reports while its call is up and
 * someone looks, and publishes them under its `stats=` key (see the module
 * documentation).
 */
export class CallStats {
  readonly #store: StateStore;
  readonly #log: Logger;
  /** The call being measured (a live session), or `null`. */
  #source: StatsSource | null = null;
  /** Bumped when the call changes or ends: reports of an older one are dropped. */
  #generation = 0;
  #pending = false;
  #nextAt = 0;
  #nextLogAt = 0;
  #counters: StatsCounters | null = null;
  #figures: CallFigures | null = null;
  /** The key published under, and the figures it shows. */
  #key: Value = null;
  #published: CallFigures | null = null;

  /**
   * @param store the scene state to publish in
   * @param log where `--verbose` lines go
   */
  constructor(store: StateStore, log: Logger) {
    this.#store = store;
    this.#log = log;
  }

  /** The newest figures of the call now up, or `null`. */
  get figures(): CallFigures | null {
    return this.#figures;
  }

  /**
   * Called every frame with the `stats=` key (or `null`) and the live
   * session (`null` without a call up): starts a report when one is due
   * (not awaited), publishes the newest figures and, with `--verbose`,
   * logs them every {@linkcode STATS_LOG_INTERVAL_MS} as `label: …`.
   */
  update(
    key: Value,
    source: StatsSource | null,
    label: string,
    now = performance.now(),
  ): void {
    if (source !== this.#source) {
      this.#source = source;
      this.#generation++;
      this.#pending = false;
      this.#counters = null;
      this.#figures = null;
      this.#nextAt = now;
      this.#nextLogAt = now + STATS_LOG_INTERVAL_MS;
    }
    const verbose = isVerbose();
    if (
      source !== null && (key !== null || verbose) && !this.#pending &&
      now >= this.#nextAt
    ) {
      this.#nextAt = now + STATS_INTERVAL_MS;
      this.#request(source, now);
    }
    this.#publish(key);
    if (verbose && this.#figures !== null && now >= this.#nextLogAt) {
      this.#nextLogAt = now + STATS_LOG_INTERVAL_MS;
      this.#log.info(`${label}: ${formatCallFigures(this.#figures)}`);
    }
  }

  /** Clears the published keys; later reports are dropped. */
  destroy(): void {
    this.#generation++;
    this.#source = null;
    this.#figures = null;
    this.#publish(null);
  }

  /** Asks `source` for a report; its rates count from `now` (when asked). */
  #request(source: StatsSource, now: number): void {
    const generation = this.#generation;
    this.#pending = true;
    source.statsReport().then((report) => {
      if (generation !== this.#generation || report === null) return;
      const { figures, counters } = readCallFigures(
        report,
        this.#counters,
        now,
      );
      this.#counters = counters;
      this.#figures = figures;
    }).catch((error) => {
      this.#log.debug(`getStats failed: ${error}`);
    }).finally(() => {
      if (generation === this.#generation) this.#pending = false;
    });
  }

  /** Writes the figures under `key` when the key or the figures changed; clears a previous key. */
  #publish(key: Value): void {
    const figures = this.#figures;
    const sameKey = valuesEqual(key, this.#key);
    if (sameKey && figures === this.#published) return;
    const store = this.#store;
    if (!sameKey && this.#key !== null) {
      store.set(this.#key, null);
      for (const name of FIGURE_NAMES) {
        store.set(figureKey(this.#key, name), null);
      }
    }
    this.#key = key;
    this.#published = figures;
    if (key === null) return;
    store.set(key, figures === null ? null : 1);
    if (figures === null) {
      for (const name of FIGURE_NAMES) store.set(figureKey(key, name), null);
      return;
    }
    for (const [name, value] of figureValues(figures)) {
      store.set(figureKey(key, name), value);
    }
  }
}

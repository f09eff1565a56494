/**
 * The configuration of `!broadcast` signalling: the attributes a scene
 * gives (`call`, `answer`, `secret`, `port`, `host`, `broadcast`), turned
 * into a {@linkcode BroadcastConfig}, and the {@linkcode BroadcastTimings}
 * the signalling loops wait by (the defaults, which tests and benchmarks
 * may shorten).
 *
 * @example
 * ```ts
 * import { DEFAULT_TIMINGS, offerResendDelaysMs } from "./broadcast_config.ts";
 * console.assert(offerResendDelaysMs()[0] === 250);
 * console.assert(DEFAULT_TIMINGS.retryDelayMs === 5000);
 * ```
 *
 * @module
 */

import type { Logger } from "../log/logger.ts";
import type { Attributes } from "../scene/attributes.ts";
import { formatProblem } from "../scene/errors.ts";
import { DEFAULT_SECRET } from "./broadcast_cipher.ts";

/** UDP port used when a scene gives none. */
export const DEFAULT_PORT = 5111;
/** Where offers go by default (the limited broadcast address, as the original). */
export const DEFAULT_BROADCAST_ADDRESS = "255.255.255.255";
/** The local address bound when a scene gives no `host=` (any). */
export const ANY_HOST = "0.0.0.0";

/** The configuration of one `!broadcast` node. */
export interface BroadcastConfig {
  /** `"call"` (sends offers) or `"answer"` (waits for them). */
  role: "call" | "answer";
  /** Connection ID (the `call=` or `answer=` value); salts the key. */
  id: string;
  /** Shared secret; the key is derived from it and the ID. */
  secret: string;
  /** Answerer: port to bind; caller: port to send offers to. */
  port: number;
  /** Local address to bind (`"0.0.0.0"` for any). */
  host: string;
  /** Destination address of the caller's offers. */
  broadcast: string;
}

/** How long each step waits (milliseconds); tests and benchmarks may shorten them. */
export interface BroadcastTimings {
  /** Caller: waits after each offer send before sending again; the sum is the window before a restart. */
  offerResendDelaysMs: readonly number[];
  /** Answerer: how long after the last offer to wait for a connection before starting over. */
  answerWaitMs: number;
  /** Caller: how long after applying the answer to wait for a connection before starting over. */
  connectWaitMs: number;
  /** How long a connection may stay `disconnected` before signalling starts over. */
  disconnectedGraceMs: number;
  /**
   * How long a call that is up may go without anything from the peer
   * (see `PeerSession.peerActivity`) before it counts as lost: the peer
   * crashed or the path is gone. Longer than libwebrtc's 2.5 s between ICE
   * checks, so a call stays up even while neither side sends video.
   */
  peerSilenceMs: number;
  /**
   * Answerer: a new offer replaces a call that is up only once nothing has
   * come from that call's peer for this long (or the peer hung up): a
   * caller that restarted after a crash gets through, a second caller does
   * not take a healthy call over.
   */
  replaceSilenceMs: number;
  /** How often a call that is up is checked for a peer that hung up or went silent. */
  activityCheckMs: number;
  /** Pause before retrying after a bind failure or an unexpected error. */
  retryDelayMs: number;
  /** Minimum interval between two warnings about bad datagrams. */
  warningIntervalMs: number;
}

/**
 * The caller's re-send schedule: every 0.25 s for the first 2 s, every 0.5 s
 * up to 10 s, then every second up to the original's 25 s window (5 sends
 * 5 s apart), 39 sends in all.
 */
export function offerResendDelaysMs(): number[] {
  const delays: number[] = [];
  let total = 0;
  while (total < 25_000) {
    const delay = total < 2_000 ? 250 : total < 10_000 ? 500 : 1_000;
    delays.push(delay);
    total += delay;
  }
  return delays;
}

/** The timings used unless a caller of {@linkcode startBroadcast} overrides them. */
export const DEFAULT_TIMINGS: Readonly<BroadcastTimings> = Object.freeze({
  offerResendDelaysMs: Object.freeze(offerResendDelaysMs()),
  answerWaitMs: 25_000,
  connectWaitMs: 25_000,
  disconnectedGraceMs: 5_000,
  peerSilenceMs: 3_000,
  replaceSilenceMs: 1_000,
  activityCheckMs: 100,
  retryDelayMs: 5_000,
  warningIntervalMs: 5_000,
});

/**
 * Turns `!broadcast` attributes into a configuration (`null` after a
 * warning, which the node's logger prints once, when neither `call=` nor
 * `answer=` is given or `port=` is bad).
 */
export function configureBroadcast(
  attrs: Attributes,
  logger: Logger,
): BroadcastConfig | null {
  const call = attrs.string("call", null);
  const answer = attrs.string("answer", null);
  const id = call || answer;
  if (!id) {
    logger.warn(
      formatProblem(
        attrs.location(),
        "!broadcast needs call= or answer= (a connection ID)",
      ),
    );
    return null;
  }
  const port = attrs.number("port", DEFAULT_PORT);
  if (!Number.isInteger(port) || port < 1 || port > 65535) {
    logger.warn(
      formatProblem(
        attrs.location(),
        `!broadcast port= must be a whole number 1–65535, got ${port}`,
      ),
    );
    return null;
  }
  const host = attrs.string("host", "");
  return {
    role: call ? "call" : "answer",
    id,
    secret: attrs.string("secret", DEFAULT_SECRET),
    port,
    host: host === "" || host === "any" ? ANY_HOST : host,
    broadcast: attrs.string("broadcast", "") || DEFAULT_BROADCAST_ADDRESS,
  };
}

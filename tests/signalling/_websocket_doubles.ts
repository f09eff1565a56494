/**
 * Test doubles for the `!websocket` (and `!whip`) signalling tests, which
 * run against the real signalling server: a {@linkcode RecordingLogger}
 * that keeps its records, a {@linkcode RecordingSession} that records what
 * signalling asks of the peer connection, and a {@linkcode VideoSession}
 * that also has video arriving from the peer.
 *
 * @module
 */

import { Logger, type LogLevel } from "../../lib/log/logger.ts";
import type {
  ConnectionState,
  PeerSession,
} from "../../lib/signalling/signalling.ts";
import type { WebSocketConfig } from "../../lib/signalling/websocket.ts";
import { waitFor } from "../_wait.ts";

/**
 * A logger that keeps every record (`level message`, at any level) instead
 * of printing it; with `TEST_LOG=trace` it prints them as well.
 */
export class RecordingLogger extends Logger {
  readonly records: string[] = [];

  constructor(name = "websocket") {
    super(name);
  }

  override log(level: LogLevel, message: string): void {
    this.records.push(`${level} ${message}`);
    if (Deno.env.get("TEST_LOG") === "trace") console.log(level, message);
  }

  /** How many records include `text`. */
  count(text: string): number {
    return this.records.filter((record) => record.includes(text)).length;
  }

  /** Whether a record includes `text`. */
  has(text: string): boolean {
    return this.records.some((record) => record.includes(text));
  }
}

/**
 * A PeerSession double that records what signalling asks of it. A new
 * connection (an offer made or accepted) replaces the current one, which
 * first reports `"closed"`.
 */
export class RecordingSession implements PeerSession {
  readonly calls: string[] = [];
  connectionState: ConnectionState | null = null;
  #offers = 0;
  #listeners = new Set<(state: ConnectionState | null) => void>();

  constructor(readonly name: string) {}

  #set(state: ConnectionState | null): void {
    this.connectionState = state;
    for (const listener of this.#listeners) listener(state);
  }

  /** What becomes of the current connection when a new one replaces it. */
  protected replace(): void {
    if (this.connectionState !== null) this.#set("closed");
  }

  createOffer(): Promise<string> {
    this.replace();
    const offer = `offer ${this.name} ${++this.#offers}`;
    this.calls.push("createOffer");
    this.#set("new");
    return Promise.resolve(offer);
  }

  acceptOffer(offer: string): Promise<string> {
    this.replace();
    this.calls.push(`acceptOffer ${offer}`);
    this.#set("connecting");
    return Promise.resolve(`answer ${this.name} to ${offer}`);
  }

  acceptAnswer(answer: string): Promise<void> {
    this.calls.push(`acceptAnswer ${answer}`);
    this.#set("connecting");
    return Promise.resolve();
  }

  close(): void {
    this.calls.push("close");
    if (this.connectionState !== null) this.#set(null);
  }

  /** Simulates the connection reaching `state`. */
  reach(state: ConnectionState): void {
    this.#set(state);
  }

  onConnectionStateChange(
    listener: (state: ConnectionState | null) => void,
  ): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  /** Calls other than `close`. */
  get work(): string[] {
    return this.calls.filter((call) => call !== "close");
  }
}

/**
 * A {@linkcode RecordingSession} with `lastReceivedAt` kept fresh while
 * {@linkcode receiving} is on (video arriving from the peer). A replaced
 * connection goes without reporting `"closed"`; its video stops counting.
 */
export class VideoSession extends RecordingSession {
  lastReceivedAt: number | null = null;
  #video: ReturnType<typeof setInterval> | undefined;

  protected override replace(): void {
    this.lastReceivedAt = null;
  }

  override close(): void {
    this.receiving(false);
    this.lastReceivedAt = null;
    super.close();
  }

  /** Video from the peer arrives (every 20 ms) while `on`. */
  receiving(on: boolean): void {
    clearInterval(this.#video);
    this.#video = undefined;
    if (!on) return;
    this.lastReceivedAt = performance.now();
    this.#video = setInterval(
      () => this.lastReceivedAt = performance.now(),
      20,
    );
  }
}

/** Resolves once `condition()` holds (checked every 5 ms); fails after `timeoutMs`. */
export function until(
  condition: () => boolean,
  what: string,
  timeoutMs = 15_000,
): Promise<void> {
  return waitFor(what, condition, timeoutMs, 5);
}

/** A `!websocket` configuration (verifying certificates) for member `id` of `room`, calling `call`. */
export function config(
  url: string,
  id: string,
  call: string | null,
  room = "studio",
): WebSocketConfig {
  return { url, room, id, call, verify: true };
}

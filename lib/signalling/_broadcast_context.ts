/**
 * What the two `!broadcast` signalling loops (the caller's and the
 * answerer's) share: the configuration and the peer session they drive,
 * one UDP socket at a time with its event queue (datagrams and connection
 * state changes), sealed sending and checked receiving, rate-limited
 * warnings, cancellation when signalling is closed, and the watch over a
 * call that is up ({@linkcode CallWatch}).
 *
 * @module
 */

import { getLogger, type LogLevel } from "../log/logger.ts";
import {
  type BroadcastCipher,
  type BroadcastMessage,
  InvalidMessageError,
  MAX_DATAGRAM_BYTES,
} from "./broadcast_cipher.ts";
import type { BroadcastConfig, BroadcastTimings } from "./broadcast_config.ts";
import { DeadlineQueue, QueueAbortedError } from "./_broadcast_queue.ts";
import { type Datagram, UdpSocket } from "./_udp_socket.ts";
import type { PeerSession } from "./signalling.ts";

/** The logger of broadcast signalling. */
export const log = getLogger("broadcast");

/** What the loops wait for: a datagram, or a change of the connection state. */
export type Event = { kind: "datagram"; datagram: Datagram } | {
  kind: "state";
};

/** How one round of signalling ended: a connection is up, or start over. */
export type Outcome = "connected" | "restart";

/** A datagram socket error or decode problem that must not stop the loop. */
export class RetryLater extends Error {}

/** The state the caller and answerer loops share (see the module documentation). */
export class BroadcastContext {
  /** The configuration (a copy). */
  readonly config: BroadcastConfig;
  /** Events, in order of arrival; waits end when signalling is closed. */
  readonly events: DeadlineQueue<Event>;
  #socket: UdpSocket | null = null;
  /** Per kind of warning: when it was last printed, and how many were held back since. */
  readonly #warnings = new Map<string, { last: number; held: number }>();

  /**
   * @param config the node's configuration
   * @param session the peer session the loops drive
   * @param timings how long each step waits
   * @param signal fires when signalling is closed
   */
  constructor(
    config: BroadcastConfig,
    readonly session: PeerSession,
    readonly timings: BroadcastTimings,
    readonly signal: AbortSignal,
  ) {
    this.config = { ...config };
    this.events = new DeadlineQueue<Event>(signal);
  }

  /** A short description for log records. */
  get description(): string {
    const { role, id, host, port, broadcast } = this.config;
    return role === "call"
      ? `call '${id}' via ${broadcast}:${port}`
      : `answer '${id}' on ${host}:${port}`;
  }

  /** The local port of the current socket (`null` when none is open). */
  get localPort(): number | null {
    return this.#socket?.local.port ?? null;
  }

  /**
   * How the connection being made has turned out: `"connected"`,
   * `"restart"` (after saying why) when it failed or closed, `null` while
   * it is still being made.
   */
  connectionOutcome(): Outcome | null {
    const state = this.session.connectionState;
    if (state === "connected") return "connected";
    if (state === "failed" || state === "closed" || state === null) {
      log.info(`${this.description}: peer connection ${state}; starting over`);
      return "restart";
    }
    return null;
  }

  /** After connecting: returns why the call was lost (see {@linkcode CallWatch}). */
  async watchConnection(): Promise<string> {
    const watch = new CallWatch(this);
    while (true) {
      const lost = watch.lost();
      if (lost !== null) return lost;
      await this.events.next(watch.nextLook()); // any event is a reason to look again
    }
  }

  /** Binds a new socket (closing the previous one) on the configured host. */
  async openSocket(port: number, broadcast: boolean): Promise<UdpSocket> {
    await this.closeSocket();
    this.events.clear(); // whatever the previous attempt left is stale
    const host = this.config.host;
    let socket: UdpSocket;
    try {
      socket = await UdpSocket.open(
        { host, port, broadcast, reuseAddress: true },
        (datagram) => {
          if (!this.events.push({ kind: "datagram", datagram })) {
            this.warn(
              `dropped a datagram from ${datagram.address}: too many queued`,
            );
          }
        },
        (error) => this.warn(`socket error: ${error.message}`),
      );
    } catch (error) {
      throw new RetryLater(
        `cannot bind UDP ${host}:${port} (${(error as Error).message})`,
      );
    }
    if (this.signal.aborted) {
      await socket.close();
      throw new QueueAbortedError();
    }
    this.#socket = socket;
    log.trace(`${this.description}: bound UDP ${host}:${socket.local.port}`);
    return socket;
  }

  /** Closes the current socket, if any. */
  async closeSocket(): Promise<void> {
    const socket = this.#socket;
    this.#socket = null;
    await socket?.close();
  }

  /** Seals `message` and sends it to `address:port`; a failure is only warned about. */
  async send(
    socket: UdpSocket,
    cipher: BroadcastCipher,
    message: BroadcastMessage,
    address: string,
    port: number,
  ): Promise<void> {
    const datagram = await cipher.encode(message);
    if (datagram.length > MAX_DATAGRAM_BYTES) {
      this.warn(
        `sending ${
          Object.keys(message)
        } of ${datagram.length} bytes: peers read at most ${MAX_DATAGRAM_BYTES} and will reject it`,
      );
    }
    try {
      await socket.send(datagram, port, address);
      log.trace(
        `${this.description}: sent ${
          Object.keys(message)
        } (${datagram.length} bytes) to ${address}:${port}`,
      );
    } catch (error) {
      this.warn(
        `cannot send to ${address}:${port}: ${(error as Error).message}`,
      );
    }
  }

  /** The message in `datagram`, or `null` (after a rate-limited warning) when it is not valid. */
  async receive(
    cipher: BroadcastCipher,
    datagram: Datagram,
  ): Promise<BroadcastMessage | null> {
    const source = `${datagram.address}:${datagram.port}`;
    try {
      const message = await cipher.decode(datagram.data);
      log.trace(
        `${this.description}: received ${
          Object.keys(message)
        } (${datagram.data.length} bytes) from ${source}`,
      );
      return message;
    } catch (error) {
      if (!(error instanceof InvalidMessageError)) throw error;
      const hint = error.wrongKey ? " (may not be intended for us)" : "";
      this.warn(`ignoring a datagram from ${source}: ${error.message}${hint}`);
      return null;
    }
  }

  /**
   * Warns at most once per warning interval for each `kind` of problem,
   * counting the ones held back (bad datagrams and socket errors share the
   * kind `"datagram"`).
   */
  warn(message: string, kind = "datagram"): void {
    this.note("warn", message, kind);
  }

  /** Logs `message` at `level`, at most once per warning interval for each `kind`. */
  note(level: LogLevel, message: string, kind: string): void {
    const now = performance.now();
    const entry = this.#warnings.get(kind) ?? { last: -Infinity, held: 0 };
    this.#warnings.set(kind, entry);
    if (now - entry.last < this.timings.warningIntervalMs) {
      entry.held++;
      return;
    }
    const more = entry.held > 0
      ? ` (and ${entry.held} similar message(s) held back)`
      : "";
    entry.last = now;
    entry.held = 0;
    log.log(level, `${this.description}: ${message}${more}`);
  }

  /** Waits `ms`, ignoring events; throws once closed. */
  async sleep(ms: number): Promise<void> {
    const deadline = performance.now() + ms;
    while (await this.events.next(deadline) !== undefined) {
      // events during a pause are stale
    }
  }

  /** `promise`, or a {@linkcode QueueAbortedError} as soon as signalling is closed. */
  abortable<T>(promise: Promise<T>): Promise<T> {
    const signal = this.signal;
    return new Promise<T>((resolve, reject) => {
      if (signal.aborted) {
        promise.catch(() => {});
        reject(new QueueAbortedError());
        return;
      }
      const onAbort = () => reject(new QueueAbortedError());
      signal.addEventListener("abort", onAbort, { once: true });
      promise.then(
        (value) => {
          signal.removeEventListener("abort", onAbort);
          resolve(value);
        },
        (error) => {
          signal.removeEventListener("abort", onAbort);
          reject(error);
        },
      );
    });
  }
}

/**
 * The watch over a call that is up: it is lost when the connection fails or
 * closes, stays `disconnected` for the grace period, or (with a session that
 * reports {@linkcode PeerSession.peerActivity}) when the peer hung up or
 * nothing has come from it for `peerSilenceMs`. Make one when the call
 * connects; ask {@linkcode CallWatch.lost} at {@linkcode CallWatch.nextLook}
 * and on every event.
 */
export class CallWatch {
  #graceEnd = Infinity;

  /** @param ctx the signalling whose session holds the call */
  constructor(readonly ctx: BroadcastContext) {}

  /** Why the call is lost, or `null` while it is not. */
  lost(): string | null {
    const { session, timings } = this.ctx;
    const state = session.connectionState;
    if (state === "failed" || state === "closed" || state === null) {
      return `peer connection ${state}`;
    }
    const activity = session.peerActivity?.() ?? null;
    if (activity?.closedByPeer) return "the peer hung up";
    const silent = activity?.silentMs ?? null;
    if (silent !== null && silent >= timings.peerSilenceMs) {
      return `nothing from the peer for ${Math.round(silent)} ms`;
    }
    if (state !== "disconnected") {
      this.#graceEnd = Infinity;
    } else if (this.#graceEnd === Infinity) {
      this.#graceEnd = performance.now() + timings.disconnectedGraceMs;
    } else if (performance.now() >= this.#graceEnd) {
      return `disconnected for ${timings.disconnectedGraceMs} ms`;
    }
    return null;
  }

  /** When (a `performance.now()` time) to look again without an event. */
  nextLook(): number {
    const { session, timings } = this.ctx;
    const poll = session.peerActivity
      ? performance.now() + timings.activityCheckMs
      : Infinity;
    return Math.min(this.#graceEnd, poll);
  }
}

/**
 * One connection of the `!websocket` signalling to its server, and the
 * schedule of waits between reconnection attempts.
 *
 * {@linkcode ServerConnection} opens the WebSocket, pings the server so a
 * server that vanished without closing (half-open TCP) is noticed, and
 * reports what happens as {@linkcode ConnectionEvent}s. The socket is
 * `npm:ws`, not Deno's own: it can turn certificate checks off for one
 * connection (`verify=false`) and sets TCP_NODELAY (Deno's client waits
 * ~40 ms for delayed ACKs on messages over about 1 KB).
 *
 * {@linkcode reconnectDelayMs} spaces the attempts after a lost connection:
 * quick at first (a restarted server is rejoined within a fraction of a
 * second of listening again), then further apart, each wait scaled by a
 * random factor so that many endpoints that lost the same server do not all
 * come back at the same moment.
 *
 * @module
 */

import WebSocket from "npm:ws@8.18.3";

/** What happens on a {@linkcode ServerConnection}. */
export type ConnectionEvent =
  | { kind: "open" }
  | { kind: "message"; data: string }
  | { kind: "binary" }
  | { kind: "closed"; why: string };

/** How a {@linkcode ServerConnection} connects. */
export interface ConnectionOptions {
  /** Whether to check the server's TLS certificate. */
  verify: boolean;
  /** Give up waiting for the WebSocket handshake after this long (ms). */
  connectTimeoutMs: number;
  /** Ping the server this often (ms); a server that has not answered by the next ping is given up. */
  heartbeatMs: number;
}

/** The waits between reconnection attempts, before the random factor. */
export interface ReconnectSchedule {
  /** The first wait after a connection is lost (ms). */
  firstMs: number;
  /** The longest wait (ms); each failed attempt doubles the wait up to this. */
  maxMs: number;
}

/**
 * The wait before reconnection attempt `attempt` (0 for the first after a
 * loss): `firstMs · 2^attempt`, at most `maxMs`, multiplied by a random
 * factor from 0.5 to 1.5 (`0.5 + random()`), so the mean is the nominal
 * wait and endpoints that lost the same server spread out.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { reconnectDelayMs } from "./_websocket_connection.ts";
 * const schedule = { firstMs: 250, maxMs: 4000 };
 * assert.equal(reconnectDelayMs(0, schedule, () => 0.5), 250);
 * assert.equal(reconnectDelayMs(2, schedule, () => 0), 500);
 * assert.equal(reconnectDelayMs(9, schedule, () => 0.5), 4000);
 * ```
 */
export function reconnectDelayMs(
  attempt: number,
  schedule: ReconnectSchedule,
  random: () => number = Math.random,
): number {
  const doubled = schedule.firstMs * 2 ** Math.min(Math.max(0, attempt), 30);
  return Math.min(schedule.maxMs, doubled) * (0.5 + random());
}

/** One WebSocket connection to the signalling server. */
export class ServerConnection {
  readonly #socket: WebSocket;
  #heartbeat: ReturnType<typeof setInterval> | undefined;

  /** Connects to `url`, reporting everything that happens to `onEvent`. */
  constructor(
    url: string,
    options: ConnectionOptions,
    onEvent: (event: ConnectionEvent) => void,
  ) {
    const socket = new WebSocket(url, {
      rejectUnauthorized: options.verify,
      handshakeTimeout: options.connectTimeoutMs,
      maxPayload: 16 * 1024 * 1024,
    });
    this.#socket = socket;
    // A server that vanished without closing (half-open TCP) stops answering pings.
    let answered = true;
    socket.on("pong", () => answered = true);
    socket.on("open", () => {
      this.#heartbeat = setInterval(() => {
        if (!answered) {
          onEvent({
            kind: "closed",
            why: `no answer to a ping in ${options.heartbeatMs / 1000} s`,
          });
          return;
        }
        answered = false;
        if (socket.readyState === WebSocket.OPEN) socket.ping();
      }, options.heartbeatMs);
      onEvent({ kind: "open" });
    });
    socket.on("message", (data: WebSocket.RawData, isBinary: boolean) => {
      onEvent(
        isBinary ? { kind: "binary" } : { kind: "message", data: String(data) },
      );
    });
    socket.on(
      "error",
      (error: Error) => onEvent({ kind: "closed", why: error.message }),
    );
    socket.on("close", (code: number, reason: Uint8Array) => {
      const text = new TextDecoder().decode(reason);
      onEvent({
        kind: "closed",
        why: `server closed the connection (${code}${text ? " " + text : ""})`,
      });
    });
  }

  /** Sends `text` when the connection is open (otherwise it is dropped). */
  send(text: string): void {
    if (this.#socket.readyState === WebSocket.OPEN) this.#socket.send(text);
  }

  /**
   * Closes the connection (code 1000, after what was sent), resolving once
   * it is closed; cut off after a second. No events are reported after it.
   */
  close(): Promise<void> {
    clearInterval(this.#heartbeat);
    const socket = this.#socket;
    socket.removeAllListeners();
    socket.on("error", () => {});
    if (socket.readyState === WebSocket.CLOSED) return Promise.resolve();
    return new Promise<void>((resolve) => {
      const timer = setTimeout(() => socket.terminate(), 1000);
      socket.once("close", () => {
        clearTimeout(timer);
        resolve();
      });
      if (socket.readyState === WebSocket.CONNECTING) socket.terminate();
      else socket.close(1000);
    });
  }
}

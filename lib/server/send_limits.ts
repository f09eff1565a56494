/**
 * What the server may queue for its clients: a client whose unsent
 * messages pass `maxBufferedBytes` is not reading them and is closed
 * (1008); when all queues together pass `maxTotalBufferedBytes`, the
 * clients with the longest queues are closed first (1013) until the total
 * fits. A message sent to a whole room (a members list) is encoded once and
 * its frame shared, so it counts once in the total.
 *
 * @module
 */

import { CLOSE_POLICY } from "./rooms.ts";
import type { QueueTotal, ServerWebSocket } from "./websocket_connection.ts";
import { encodeTextFrame } from "./websocket_frames.ts";

/** Close code for a client dropped because all queues together are too long. */
export const CLOSE_OVERLOADED = 1013;

/** A client as the limits see it: its socket. */
export interface LimitedClient {
  readonly socket: ServerWebSocket;
}

/** The limits and what they act on. */
export interface SendLimitsOptions<C extends LimitedClient> {
  /** Bytes one client may have waiting. */
  readonly maxBufferedBytes: number;
  /** Bytes all clients together may have waiting. */
  readonly maxTotalBufferedBytes: number;
  /** The running total of every client's queue. */
  readonly total: QueueTotal;
  /** The connected clients. */
  readonly clients: Iterable<C>;
  /** A client as log lines name it. */
  describe(client: C): string;
  /** Reports a dropped client (rate-limited by the caller). */
  warn(message: string): void;
}

/** Sends within the limits, dropping clients that break them. */
export class SendLimits<C extends LimitedClient> {
  // The last text encoded, so a members list sent to a whole room is one frame.
  #lastText: string | undefined;
  #lastFrame: Uint8Array = new Uint8Array(0);

  /** @param options the limits and what they act on */
  constructor(readonly options: SendLimitsOptions<C>) {}

  /** Queues `text` for `client`, or drops the client when it would pass its limit. */
  send(client: C, text: string): void {
    const { socket } = client;
    if (socket.state !== "open") return;
    if (text !== this.#lastText) {
      this.#lastFrame = encodeTextFrame(text);
      this.#lastText = text;
    }
    const frame = this.#lastFrame;
    const queued = socket.queuedBytes + frame.length;
    if (socket.queuedBytes > 0 && queued > this.options.maxBufferedBytes) {
      this.#dropUnread(client, queued);
      return;
    }
    socket.send(frame);
    if (this.options.total.bytes > this.options.maxTotalBufferedBytes) {
      this.#shed();
    }
  }

  /** Checks the limits after the socket queued a frame of its own (a pong). */
  check(client: C): void {
    const { socket } = client;
    if (socket.queuedBytes > this.options.maxBufferedBytes) {
      this.#dropUnread(client, socket.queuedBytes);
    } else if (this.options.total.bytes > this.options.maxTotalBufferedBytes) {
      this.#shed();
    }
  }

  #dropUnread(client: C, queued: number): void {
    this.options.warn(
      `${
        this.options.describe(client)
      }: closed, it is not reading its messages (${queued} bytes would wait for it, the limit is ${this.options.maxBufferedBytes})`,
    );
    client.socket.close(CLOSE_POLICY, "Too many unread messages", true);
  }

  /** Closes the clients with the longest queues until the total fits again. */
  #shed(): void {
    const { total, maxTotalBufferedBytes } = this.options;
    const queued = [...this.options.clients].filter((client) =>
      client.socket.queuedBytes > 0
    );
    queued.sort((a, b) => b.socket.queuedBytes - a.socket.queuedBytes);
    for (const client of queued) {
      if (total.bytes <= maxTotalBufferedBytes) return;
      const { socket } = client;
      if (socket.state === "open") {
        this.options.warn(
          `${
            this.options.describe(client)
          }: closed, ${socket.queuedBytes} bytes wait for it and all clients together have over ${maxTotalBufferedBytes} waiting`,
        );
        socket.close(CLOSE_OVERLOADED, "Server overloaded", true);
      } else {
        socket.abort(); // its close frame is still stuck behind a write
      }
    }
  }
}

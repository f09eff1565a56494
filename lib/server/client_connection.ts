/**
 * One signalling client as the server keeps it: its WebSocket, its number
 * and address for log lines, and the way its events reach the server.
 *
 * A server may hold tens of thousands of idle clients, so a client is kept
 * small: the socket's events arrive as method calls on this object (no
 * closures per client), which hands them to one {@linkcode ClientEvents}
 * object shared by all clients, and the log label is built only when a log
 * line needs it.
 *
 * @module
 */

import type { ByteConn } from "./byte_conn.ts";
import type { MemberConnection } from "./rooms.ts";
import {
  ServerWebSocket,
  type ServerWebSocketHandlers,
  type ServerWebSocketOptions,
} from "./websocket_connection.ts";

/** What the server does with every client's events (one object for all). */
export interface ClientEvents {
  /** Queues `text` for `client`, within the server's limits. */
  send(client: ClientConnection, text: string): void;
  /** `client` sent a text message. */
  text(client: ClientConnection, text: string): void;
  /** `client` sent a binary message (signalling ignores them). */
  binary(client: ClientConnection): void;
  /** `client`'s socket queued a frame of its own (a pong). */
  queued(client: ClientConnection): void;
  /** `client` broke the protocol; its connection is being closed with `code`. */
  protocolError(client: ClientConnection, code: number, problem: string): void;
  /** `client` stopped being open. */
  ended(client: ClientConnection): void;
  /** `client`'s connection is closed. */
  closed(client: ClientConnection): void;
}

/** One connected client. */
export class ClientConnection
  implements MemberConnection, ServerWebSocketHandlers {
  /** The client's WebSocket. */
  readonly socket: ServerWebSocket;
  readonly #number: number;
  readonly #peer: string;
  readonly #events: ClientEvents;

  /**
   * @param conn the connection, its upgrade request read
   * @param options the socket's limits
   * @param number the client's number, for log lines
   * @param peer `address:port`, for log lines
   * @param events where the client's events go
   */
  constructor(
    conn: ByteConn,
    options: ServerWebSocketOptions,
    number: number,
    peer: string,
    events: ClientEvents,
  ) {
    this.#number = number;
    this.#peer = peer;
    this.#events = events;
    this.socket = new ServerWebSocket(conn, options, this);
  }

  /** `client N (address:port)`, for log lines. */
  get label(): string {
    return `client ${this.#number} (${this.#peer})`;
  }

  /** Sends one text message (within the server's limits). */
  send(text: string): void {
    this.#events.send(this, text);
  }

  /** Starts the closing handshake. */
  close(code: number, reason: string): void {
    this.socket.close(code, reason);
  }

  /** From the socket: a text message. */
  text(text: string): void {
    this.#events.text(this, text);
  }

  /** From the socket: a binary message. */
  binary(): void {
    this.#events.binary(this);
  }

  /** From the socket: it queued a frame of its own. */
  queued(): void {
    this.#events.queued(this);
  }

  /** From the socket: the client broke the protocol. */
  protocolError(code: number, problem: string): void {
    this.#events.protocolError(this, code, problem);
  }

  /** From the socket: no longer open. */
  ended(): void {
    this.#events.ended(this);
  }

  /** From the socket: the connection is closed. */
  closed(): void {
    this.#events.closed(this);
  }
}

/**
 * The options of a signalling server and what starting one gives back
 * (`startSignallingServer` in `signalling_server.ts`).
 *
 * @module
 */

import type { Logger } from "../log/logger.ts";
import type { RoomRegistry } from "./rooms.ts";
import type { HttpRoutesOptions } from "./http_routes.ts";

/**
 * Options of `startSignallingServer`; the WHIP/WHEP and browser page ones
 * (`token`, `whipTimeout`, `page`) come from {@linkcode HttpRoutesOptions}.
 */
export interface SignallingServerOptions extends HttpRoutesOptions {
  /** Interface to listen on (default `"0.0.0.0"`, any IPv4 address). */
  host?: string;
  /** Port; `0` picks a free one (default 8080, or 8443 with a certificate). */
  port?: number;
  /** PEM certificate (chain) text; when given the server speaks TLS (`wss:`). */
  certificate?: string;
  /** PEM private key text (default: the PRIVATE KEY block of `certificate`). */
  key?: string;
  /** Seconds of silence (including an unanswered ping) before a client is dropped (default 30; 0: never). */
  idleTimeout?: number;
  /** Largest accepted message in bytes (default 64 KiB); larger ones close the client (1009). */
  maxMessageBytes?: number;
  /**
   * Per client: when a message would leave more than this many bytes
   * waiting in the server to be sent to one client, that client is closed
   * (1008) and its queue freed (default 1 MiB, a few hundred signalling
   * messages). A message is always accepted into an empty queue.
   */
  maxBufferedBytes?: number;
  /**
   * All clients together: when more than this many bytes wait to be sent,
   * the clients with the longest queues are closed (1013) until the total
   * is back under it (default 64 MiB). A frame queued for many clients at
   * once (a members list) counts once.
   */
  maxTotalBufferedBytes?: number;
  /**
   * Seconds a connection may take from connecting (TLS handshake included)
   * to the end of its HTTP request head; slower ones are closed (default 10).
   */
  headerTimeout?: number;
  /** Logger (default `getLogger("server")`). */
  log?: Logger;
}

/** A running signalling server. */
export interface SignallingServer {
  /** The port it listens on (the chosen one when `port: 0` was asked for). */
  readonly port: number;
  /** The host it listens on. */
  readonly host: string;
  /** `ws://host:port/` or `wss://host:port/`. */
  readonly url: string;
  /** The room state (for tests and statistics). */
  readonly rooms: RoomRegistry;
  /** Bytes waiting in the server to be sent, all clients together (for tests and statistics). */
  readonly bufferedBytes: number;
  /** Closes every client (1001) and stops listening. */
  close(): Promise<void>;
  /** Resolves when the server has stopped. */
  readonly finished: Promise<void>;
}

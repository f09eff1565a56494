/**
 * The `!websocket` signalling kind: endpoints meet in a room of a WebSocket
 * signalling server (ours, `server.ts`, or the original Python one) and
 * exchange offer and answer through it. Registered on import.
 *
 * ```toml
 * # inside a !webrtc node
 * [[nodes.children]]
 * kind = "websocket"
 * url = "wss://example.org:8443/"
 * room = "studio"
 * id = "stage"
 * call = "booth"   # leave out to wait for a call
 * verify = false   # accept a self-signed server certificate
 * ```
 *
 * This module runs the connections to the server one after another and
 * hands what happens on each to the call protocol, one event at a time. Its
 * parts: the attributes (`websocket_config.ts`), one connection and the
 * waits between them (`_websocket_connection.ts`), and the call protocol
 * with its rules for peers that restart, hang up or vanish
 * (`_websocket_call.ts`).
 *
 * A server `error` or a lost connection closes the peer connection, unless
 * a call is up (a live call survives losing the server), and reconnects
 * after a short wait that grows with each failed attempt (0.25 s, doubling
 * to 4 s, each scaled by a random factor from 0.5 to 1.5; the original
 * always waits 5 s); an undecodable message after `decodeErrorDelayMs`
 * (1 s). A failed or closed peer connection reconnects at once. Closing the
 * signalling while a call is up tells a peer that stays in the room that
 * the call has ended (`!webrtc` closes the call with its signalling).
 *
 * @module
 */

import { getLogger, type Logger } from "../log/logger.ts";
import {
  type PeerSession,
  registerSignallingKind,
  type Signalling,
  type SignallingKind,
} from "./signalling.ts";
import { EventQueue } from "./_websocket_queue.ts";
import {
  configureWebSocket,
  WEBSOCKET_ATTRIBUTES,
  type WebSocketConfig,
} from "./websocket_config.ts";
import {
  type ConnectionEvent,
  reconnectDelayMs,
  type ReconnectSchedule,
  ServerConnection,
} from "./_websocket_connection.ts";
import { CallProtocol, type Ending } from "./_websocket_call.ts";
import type { CallTimer } from "./_websocket_timers.ts";
import { MessageError } from "./_websocket_messages.ts";
import { warmUpWebSocketClient } from "./_websocket_warmup.ts";

export {
  configureWebSocket,
  normaliseSignallingUrl,
  WEBSOCKET_ATTRIBUTES,
  type WebSocketConfig,
} from "./websocket_config.ts";

/** Delays and limits of the client. */
export interface WebSocketTiming {
  /**
   * First wait before reconnecting after a server error or a lost
   * connection (default 250 ms; the original always waits 5000 ms). Each
   * further attempt that does not get into the room doubles it, up to
   * `retryMaxDelayMs`; every wait is multiplied by a random factor from
   * 0.5 to 1.5, so endpoints that lost the same server spread out.
   */
  retryDelayMs?: number;
  /** Longest wait between reconnection attempts, before the random factor (default 4000 ms). */
  retryMaxDelayMs?: number;
  /** Random numbers in [0, 1) for the reconnection waits (default `Math.random`). */
  random?: () => number;
  /** Wait after an undecodable message (default 1000 ms). */
  decodeErrorDelayMs?: number;
  /** Give up waiting for a WebSocket handshake after this long (default 10000 ms). */
  connectTimeoutMs?: number;
  /** Start again when an `answer` or `finished` has not come after this long (default 30000 ms). */
  signallingTimeoutMs?: number;
  /** Ping the server this often; a server that has not answered by the next ping is given up (default 15000 ms). */
  heartbeatMs?: number;
  /**
   * A peer that stays in the room during the call (as ours do) and is
   * missing from it is taken as gone, and the call closed, once no video
   * has come from it for this long (default 1000 ms).
   */
  peerSilenceMs?: number;
  /**
   * How often a call that is up looks whether the peer closed its
   * connection (default 200 ms; the session itself looks every 100 ms).
   */
  peerWatchMs?: number;
}

type Event =
  | ConnectionEvent
  | { kind: "state" }
  | { kind: "timer"; timer: CallTimer; generation: number }
  | { kind: "stop" };

/** A running `!websocket` signalling. */
class WebSocketSignalling implements Signalling {
  readonly #config: WebSocketConfig;
  readonly #session: PeerSession;
  readonly #log: Logger;
  readonly #protocol: CallProtocol;
  readonly #schedule: ReconnectSchedule;
  readonly #random: () => number;
  readonly #decodeErrorDelayMs: number;
  readonly #connectTimeoutMs: number;
  readonly #heartbeatMs: number;
  #stopped = false;
  #events: EventQueue<Event> | null = null;
  #wakeSleep: (() => void) | null = null;
  #socketClosed: Promise<void> = Promise.resolve();
  readonly #finished: Promise<void>;

  constructor(
    config: WebSocketConfig,
    session: PeerSession,
    log: Logger,
    timing: WebSocketTiming,
  ) {
    this.#config = config;
    this.#session = session;
    this.#log = log;
    this.#schedule = {
      firstMs: timing.retryDelayMs ?? 250,
      maxMs: timing.retryMaxDelayMs ?? 4000,
    };
    this.#random = timing.random ?? Math.random;
    this.#decodeErrorDelayMs = timing.decodeErrorDelayMs ?? 1000;
    this.#connectTimeoutMs = timing.connectTimeoutMs ?? 10_000;
    this.#heartbeatMs = timing.heartbeatMs ?? 15_000;
    this.#protocol = new CallProtocol(
      config,
      session,
      log,
      {
        signallingTimeoutMs: timing.signallingTimeoutMs ?? 30_000,
        peerSilenceMs: timing.peerSilenceMs ?? 1000,
        peerWatchMs: timing.peerWatchMs ?? 200,
      },
      () => this.#stopped,
    );
    this.#finished = this.#run();
  }

  async close(): Promise<void> {
    this.#stopped = true;
    this.#events?.push({ kind: "stop" });
    this.#wakeSleep?.();
    await this.#finished;
    await this.#socketClosed;
  }

  async #run(): Promise<void> {
    const { url, room, id } = this.#config;
    this.#log.debug(
      `Started websocket signalling as "${id}" in room "${room}" at ${url}`,
    );
    let keepCall = false;
    let attempt = 0;
    while (!this.#stopped) {
      let ending: Ending;
      try {
        ending = await this.#connection(keepCall);
      } catch (error) {
        this.#log.error(`Unexpected error in websocket signalling: ${error}`);
        ending = "lost";
      }
      if (this.#protocol.joined) attempt = 0;
      keepCall = this.#protocol.callUp;
      if (ending === "stopped" || this.#stopped) break;
      if (!keepCall || ending === "restart") this.#session.close();
      if (ending === "restart") keepCall = false;
      const delay = ending === "restart"
        ? 0
        : ending === "undecodable"
        ? this.#decodeErrorDelayMs
        : reconnectDelayMs(attempt++, this.#schedule, this.#random);
      if (delay > 0) {
        this.#log.debug(
          `Reconnecting to ${url} in ${(delay / 1000).toFixed(2)} s`,
        );
        await this.#sleep(delay);
      }
    }
    this.#log.debug("Stopped websocket signalling");
  }

  #sleep(ms: number): Promise<void> {
    return new Promise<void>((resolve) => {
      const timer = setTimeout(done, ms);
      function done() {
        clearTimeout(timer);
        resolve();
      }
      this.#wakeSleep = done;
    }).finally(() => this.#wakeSleep = null);
  }

  /** One connection to the server, from connecting to its end. */
  async #connection(keepCall: boolean): Promise<Ending> {
    const events = new EventQueue<Event>();
    this.#events = events;
    const connection = new ServerConnection(
      this.#config.url,
      {
        verify: this.#config.verify,
        connectTimeoutMs: this.#connectTimeoutMs,
        heartbeatMs: this.#heartbeatMs,
      },
      (event) => events.push(event),
    );
    const unsubscribe = this.#session.onConnectionStateChange(() =>
      events.push({ kind: "state" })
    );
    this.#protocol.begin({
      send: (message) => {
        const text = JSON.stringify(message);
        this.#log.trace(`Sent: ${text}`);
        connection.send(text);
      },
      later: (ms, timer, generation) => {
        const handle = setTimeout(
          () => events.push({ kind: "timer", timer, generation }),
          ms,
        );
        return () => clearTimeout(handle);
      },
    }, keepCall);
    let ending: Ending | null = null;
    try {
      ending = await this.#handleEvents(events);
      return ending;
    } finally {
      if (ending === "stopped") this.#protocol.stopping();
      this.#protocol.end();
      unsubscribe();
      this.#events = null;
      this.#socketClosed = connection.close();
    }
  }

  /** Handles the connection's events in order until one ends it. */
  async #handleEvents(events: EventQueue<Event>): Promise<Ending> {
    if (this.#stopped) return "stopped";
    while (true) {
      const event = await events.next();
      if (this.#stopped || event.kind === "stop") return "stopped";
      const ending = await this.#handle(event);
      if (ending !== null) return ending;
      if (this.#stopped) return "stopped";
    }
  }

  /** Handles one event; returns how the connection ends, or `null` to go on. */
  async #handle(event: Event): Promise<Ending | null> {
    const url = this.#config.url;
    switch (event.kind) {
      case "open":
        this.#log.info(`Connected to signalling server ${url}`);
        return this.#protocol.opened();
      case "closed":
        this.#log.error(`Signalling connection to ${url} failed: ${event.why}`);
        return "lost";
      case "binary":
        this.#log.warn("Ignored a binary message from the signalling server");
        return null;
      case "message":
        this.#log.trace(`Received: ${event.data}`);
        try {
          return await this.#protocol.receive(event.data);
        } catch (error) {
          if (!(error instanceof MessageError)) throw error;
          this.#log.error(
            `Undecodable message from signalling server: ${error.message}`,
          );
          return "undecodable";
        }
      case "state":
        return this.#protocol.stateChanged();
      case "timer":
        return await this.#protocol.timerFired(event.timer, event.generation);
      case "stop":
        return "stopped";
    }
  }
}

/**
 * Starts `!websocket` signalling for `session`; `timing` changes its
 * delays (for tests).
 */
export function startWebSocket(
  config: WebSocketConfig,
  session: PeerSession,
  log: Logger = getLogger("websocket"),
  timing: WebSocketTiming = {},
): Signalling {
  return new WebSocketSignalling(config, session, log, timing);
}

/** The `websocket` signalling kind. */
export const websocketKind: SignallingKind<WebSocketConfig> = {
  name: "websocket",
  attributes: WEBSOCKET_ATTRIBUTES,
  configure: configureWebSocket,
  // Its own "websocket" logger (as broadcast has "broadcast"), not the node's.
  start: (config, session) => startWebSocket(config, session),
  // The first connection of a process is several times slower than later ones.
  prepare: () => warmUpWebSocketClient(),
};

registerSignallingKind(websocketKind);

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
 * Protocol (the original plugin's): join; a caller waits for a `members` list
 * holding its peer, sends `call` with the offer, applies the peer's
 * `answer` and sends `finished`; an answerer answers any `call` and waits
 * for `finished`. A `members` list without the current peer during
 * signalling starts it again; a server `error` or a lost connection closes
 * the peer connection and reconnects after `retryDelayMs` (5 s); an
 * undecodable message after `decodeErrorDelayMs` (1 s).
 *
 * After signalling completes this client stays joined (the original leaves;
 * both are compatible). It then no longer treats the peer's absence from
 * the room as a failure, since an original peer leaves on purpose; a live
 * call also survives losing the server. While joined, an answerer answers
 * any new `call` at once (a restarted caller gets through without waiting
 * for the old connection to time out), and a caller calls again when its
 * peer reappears in the room after having left (the peer has restarted).
 * When the peer connection fails or closes, signalling starts again at once
 * with a fresh connection to the server, so a caller that stayed joined
 * sees this endpoint come back. A `call` with `"hangup_on_leave": true`
 * (the server's WHIP and WHEP sessions send it: they stay in the room for
 * the life of the call) comes from a peer whose leaving ends the call: when
 * a member list shows it gone, the call is closed at once and the endpoint
 * waits for the next one, instead of until the connection times out.
 *
 * The WebSocket is `npm:ws`, not Deno's own: it can turn certificate checks
 * off for one connection (`verify=false`) and sets TCP_NODELAY (Deno's
 * client waits ~40 ms for delayed ACKs on messages over about 1 KB).
 *
 * @module
 */

import WebSocket from "npm:ws@8.18.3";
import type { Attributes } from "../scene/attributes.ts";
import { formatProblem } from "../scene/errors.ts";
import { getLogger, type Logger } from "../log/logger.ts";
import {
  type ConnectionState,
  type PeerSession,
  registerSignallingKind,
  type Signalling,
  type SignallingKind,
} from "./signalling.ts";
import { EventQueue } from "./_websocket_queue.ts";

/** Configuration of one `!websocket` node. */
export interface WebSocketConfig {
  /** Server URL, normalised to `ws:` or `wss:`. */
  url: string;
  /** Room to join. */
  room: string;
  /** This endpoint's ID in the room. */
  id: string;
  /** Peer to call, or `null` to wait for a call. */
  call: string | null;
  /** Whether to check the server's TLS certificate. */
  verify: boolean;
}

/** Delays and limits of the client; the defaults are the original's. */
export interface WebSocketTiming {
  /** Wait after a server error or a lost connection (default 5000 ms). */
  retryDelayMs?: number;
  /** Wait after an undecodable message (default 1000 ms). */
  decodeErrorDelayMs?: number;
  /** Give up waiting for a WebSocket handshake after this long (default 10000 ms). */
  connectTimeoutMs?: number;
  /** Start again when an `answer` or `finished` has not come after this long (default 30000 ms). */
  signallingTimeoutMs?: number;
  /** Ping the server this often; a server that has not answered by the next ping is given up (default 15000 ms). */
  heartbeatMs?: number;
}

/** Attributes the `!websocket` node understands. */
export const WEBSOCKET_ATTRIBUTES = [
  "url",
  "room",
  "id",
  "call",
  "verify",
] as const;

const SCHEMES: Record<string, string> = {
  "http:": "ws:",
  "https:": "wss:",
  "ws:": "ws:",
  "wss:": "wss:",
};

/**
 * `url` with `http:`/`https:` turned into `ws:`/`wss:`, or `null` when it
 * is not an absolute URL of one of those four schemes.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { normaliseSignallingUrl } from "./websocket.ts";
 * assert.equal(normaliseSignallingUrl("https://example.org:8443"), "wss://example.org:8443/");
 * ```
 */
export function normaliseSignallingUrl(url: string): string | null {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    return null;
  }
  const scheme = SCHEMES[parsed.protocol];
  if (scheme === undefined) return null;
  // URL will not change a special scheme's protocol in place; rebuild it.
  return scheme + parsed.href.slice(parsed.protocol.length);
}

/**
 * Reads a `!websocket` node's attributes; `null` (after a warning, which the
 * node's logger prints once) when unusable: `url=` and `id=` must be
 * non-empty, `room=` present (the empty room is allowed), and `call=` must
 * not be the node's own `id=`.
 */
export function configureWebSocket(
  attrs: Attributes,
  log: Logger,
): WebSocketConfig | null {
  const rawUrl = attrs.string("url", null) || null;
  const id = attrs.string("id", null) || null;
  const room = attrs.string("room", null);
  const missing = [
    rawUrl === null && "url=",
    room === null && "room=",
    id === null && "id=",
  ].filter(Boolean);
  if (missing.length > 0) {
    log.warn(
      formatProblem(
        attrs.location(),
        `!websocket needs ${missing.join(", ")}`,
      ),
    );
    return null;
  }
  const url = normaliseSignallingUrl(rawUrl!);
  if (url === null) {
    log.warn(
      formatProblem(
        attrs.location("url"),
        `expected an http, https, ws or wss URL, got "${rawUrl}"`,
      ),
    );
    return null;
  }
  const call = attrs.string("call", null);
  if (call === id) {
    log.warn(
      formatProblem(attrs.location("call"), `"${call}" is this node's own id=`),
    );
    return null;
  }
  return {
    url,
    room: room!,
    id: id!,
    call: call === "" ? null : call,
    verify: attrs.boolean("verify", true),
  };
}

type Event =
  | { kind: "open" }
  | { kind: "message"; data: string }
  | { kind: "binary" }
  | { kind: "closed"; why: string }
  | { kind: "state" }
  | { kind: "timeout"; generation: number }
  | { kind: "stop" };

type Step =
  | "waiting-members"
  | "waiting-call"
  | "waiting-answer"
  | "waiting-finished"
  | "complete";

/** How one connection to the server ended. */
type Ending = "stopped" | "lost" | "undecodable" | "restart";

class MessageError extends Error {}

const LIVE_STATES: ReadonlySet<ConnectionState | null> = new Set([
  "new",
  "connecting",
  "connected",
  "disconnected",
]);

function field(message: Record<string, unknown>, name: string): string {
  const value = message[name];
  if (typeof value !== "string") {
    throw new MessageError(
      `"${message.type}" message without a string "${name}"`,
    );
  }
  return value;
}

/** Closes `socket` (1000), resolving once it is closed; cut off after a second. */
function closeSocket(socket: WebSocket): Promise<void> {
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

/** A running `!websocket` signalling. */
class WebSocketSignalling implements Signalling {
  readonly #config: WebSocketConfig;
  readonly #session: PeerSession;
  readonly #log: Logger;
  readonly #retryDelayMs: number;
  readonly #decodeErrorDelayMs: number;
  readonly #connectTimeoutMs: number;
  readonly #signallingTimeoutMs: number;
  readonly #heartbeatMs: number;
  #stopped = false;
  #events: EventQueue<Event> | null = null;
  #wakeSleep: (() => void) | null = null;
  #socketClosed: Promise<void> = Promise.resolve();
  readonly #finished: Promise<void>;

  // State of the current server connection.
  #socket: WebSocket | null = null;
  #step: Step = "waiting-call";
  #peer: string | null = null;
  #peerPresent: boolean | null = null;
  #members: ReadonlySet<string> = new Set();
  /** The current peer's call said its leaving the room ends the call. */
  #hangupOnLeave = false;
  #timeoutGeneration = 0;
  #timer: ReturnType<typeof setTimeout> | undefined;

  constructor(
    config: WebSocketConfig,
    session: PeerSession,
    log: Logger,
    timing: WebSocketTiming,
  ) {
    this.#config = config;
    this.#session = session;
    this.#log = log;
    this.#retryDelayMs = timing.retryDelayMs ?? 5000;
    this.#decodeErrorDelayMs = timing.decodeErrorDelayMs ?? 1000;
    this.#connectTimeoutMs = timing.connectTimeoutMs ?? 10_000;
    this.#signallingTimeoutMs = timing.signallingTimeoutMs ?? 30_000;
    this.#heartbeatMs = timing.heartbeatMs ?? 15_000;
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
    let complete = false;
    while (!this.#stopped) {
      let ending: Ending;
      try {
        ending = await this.#connection(complete);
      } catch (error) {
        this.#log.error(`Unexpected error in websocket signalling: ${error}`);
        ending = "lost";
      }
      complete = this.#step === "complete" &&
        LIVE_STATES.has(this.#session.connectionState);
      if (ending === "stopped" || this.#stopped) break;
      if (!complete || ending === "restart") this.#session.close();
      if (ending === "restart") complete = false;
      const delay = ending === "restart"
        ? 0
        : ending === "undecodable"
        ? this.#decodeErrorDelayMs
        : this.#retryDelayMs;
      if (delay > 0) {
        this.#log.debug(`Reconnecting to ${url} in ${delay / 1000} s`);
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
  async #connection(complete: boolean): Promise<Ending> {
    const { url, room, id, call, verify } = this.#config;
    const events = new EventQueue<Event>();
    this.#events = events;
    const socket = new WebSocket(url, {
      rejectUnauthorized: verify,
      handshakeTimeout: this.#connectTimeoutMs,
      maxPayload: 16 * 1024 * 1024,
    });
    this.#socket = socket;
    // A server that vanished without closing (half-open TCP) stops answering pings.
    let answered = true;
    let heartbeat: ReturnType<typeof setInterval> | undefined;
    socket.on("pong", () => answered = true);
    socket.on("open", () => {
      heartbeat = setInterval(() => {
        if (!answered) {
          events.push({
            kind: "closed",
            why: `no answer to a ping in ${this.#heartbeatMs / 1000} s`,
          });
          return;
        }
        answered = false;
        if (socket.readyState === WebSocket.OPEN) socket.ping();
      }, this.#heartbeatMs);
      events.push({ kind: "open" });
    });
    socket.on("message", (data: WebSocket.RawData, isBinary: boolean) => {
      events.push(
        isBinary ? { kind: "binary" } : { kind: "message", data: String(data) },
      );
    });
    socket.on(
      "error",
      (error: Error) => events.push({ kind: "closed", why: error.message }),
    );
    socket.on("close", (code: number, reason: Uint8Array) => {
      const text = new TextDecoder().decode(reason);
      events.push({
        kind: "closed",
        why: `server closed the connection (${code}${text ? " " + text : ""})`,
      });
    });
    const unsubscribe = this.#session.onConnectionStateChange(() =>
      events.push({ kind: "state" })
    );
    this.#step = complete
      ? "complete"
      : call !== null
      ? "waiting-members"
      : "waiting-call";
    this.#peer = complete ? this.#peer : call;
    this.#peerPresent = null;
    this.#members = new Set();
    try {
      if (this.#stopped) return "stopped";
      while (true) {
        const event = await events.next();
        if (this.#stopped || event.kind === "stop") return "stopped";
        switch (event.kind) {
          case "open":
            this.#log.info(`Connected to signalling server ${url}`);
            this.#send({ type: "join", id, room });
            if (this.#step === "complete") {
              // A call kept across a reconnection may have ended meanwhile.
              const ending = this.#stateChanged();
              if (ending !== null) return ending;
            }
            break;
          case "closed":
            this.#log.error(
              `Signalling connection to ${url} failed: ${event.why}`,
            );
            return "lost";
          case "binary":
            this.#log.warn(
              "Ignored a binary message from the signalling server",
            );
            break;
          case "message": {
            this.#log.trace(`Received: ${event.data}`);
            let ending: Ending | null;
            try {
              ending = await this.#receive(event.data);
            } catch (error) {
              if (!(error instanceof MessageError)) throw error;
              this.#log.error(
                `Undecodable message from signalling server: ${error.message}`,
              );
              return "undecodable";
            }
            if (ending !== null) return ending;
            break;
          }
          case "state": {
            const ending = this.#stateChanged();
            if (ending !== null) return ending;
            break;
          }
          case "timeout":
            if (event.generation !== this.#timeoutGeneration) break;
            if (this.#waitingForPeer()) {
              this.#log.warn(
                `No reply from "${this.#peer}" in ${
                  this.#signallingTimeoutMs / 1000
                } s; starting again`,
              );
              return "restart";
            }
            break;
        }
        if (this.#stopped) return "stopped";
      }
    } finally {
      clearInterval(heartbeat);
      unsubscribe();
      this.#cancelTimeout();
      this.#events = null;
      this.#socket = null;
      this.#socketClosed = closeSocket(socket);
    }
  }

  /** Whether a call or answer has been sent and the peer's reply is due. */
  #waitingForPeer(): boolean {
    return this.#step === "waiting-answer" || this.#step === "waiting-finished";
  }

  #send(message: Record<string, unknown>): void {
    const text = JSON.stringify(message);
    this.#log.trace(`Sent: ${text}`);
    if (this.#socket?.readyState === WebSocket.OPEN) this.#socket.send(text);
  }

  #armTimeout(): void {
    this.#cancelTimeout();
    const generation = ++this.#timeoutGeneration;
    const events = this.#events;
    this.#timer = setTimeout(
      () => events?.push({ kind: "timeout", generation }),
      this.#signallingTimeoutMs,
    );
  }

  #cancelTimeout(): void {
    clearTimeout(this.#timer);
    this.#timer = undefined;
    this.#timeoutGeneration++;
  }

  /** Handles one server message; returns how the connection ends, or `null` to go on. */
  async #receive(text: string): Promise<Ending | null> {
    let message: unknown;
    try {
      message = JSON.parse(text);
    } catch {
      throw new MessageError("not JSON");
    }
    if (
      typeof message !== "object" || message === null || Array.isArray(message)
    ) {
      throw new MessageError("not a JSON object");
    }
    const msg = message as Record<string, unknown>;
    const call = this.#config.call;
    switch (msg.type) {
      case "error":
        this.#log.error(`Signalling server error: ${String(msg.error)}`);
        return "lost";
      case "members": {
        if (
          !Array.isArray(msg.members) ||
          !msg.members.every((m) => typeof m === "string")
        ) {
          throw new MessageError(`"members" message without a list of IDs`);
        }
        this.#members = new Set(msg.members as string[]);
        if (this.#step === "complete") {
          const wasPresent = this.#peerPresent;
          this.#peerPresent = this.#peer !== null &&
            this.#members.has(this.#peer);
          if (this.#hangupOnLeave && wasPresent && !this.#peerPresent) {
            this.#log.info(
              `Peer "${this.#peer}" left the room, which ends its call`,
            );
            this.#session.close();
            this.#restartOnSocket();
            return null;
          }
          if (call !== null && wasPresent === false && this.#peerPresent) {
            this.#log.info(
              `Peer "${call}" came back to the room; calling again`,
            );
            await this.#makeCall(call);
          }
          return null;
        }
        if (
          this.#peer !== null && !this.#members.has(this.#peer) &&
          this.#step !== "waiting-members"
        ) {
          this.#log.info(`Peer "${this.#peer}" left the room; starting again`);
          this.#session.close();
          this.#restartOnSocket();
        }
        if (
          this.#step === "waiting-members" && call !== null &&
          this.#members.has(call)
        ) {
          await this.#makeCall(call);
        }
        this.#peerPresent = this.#peer !== null &&
          this.#members.has(this.#peer);
        return null;
      }
      case "call": {
        if (!this.#acceptsCallFrom(msg.from)) {
          this.#log.debug(
            `Ignored a call from "${String(msg.from)}" while ${this.#step}`,
          );
          return null;
        }
        const from = field(msg, "from");
        const offer = field(msg, "offer");
        this.#peer = from;
        this.#hangupOnLeave = msg.hangup_on_leave === true;
        this.#log.info(`Answering call from "${from}"`);
        const answer = await this.#session.acceptOffer(offer);
        if (this.#stopped) return "stopped";
        this.#send({ type: "answer", to: from, answer });
        this.#step = "waiting-finished";
        this.#armTimeout();
        return null;
      }
      case "answer": {
        if (this.#step !== "waiting-answer" || msg.from !== this.#peer) {
          this.#log.debug(
            `Ignored an answer from "${String(msg.from)}" while ${this.#step}`,
          );
          return null;
        }
        const answer = field(msg, "answer");
        await this.#session.acceptAnswer(answer);
        if (this.#stopped) return "stopped";
        this.#send({ type: "finished", to: this.#peer });
        this.#complete();
        return null;
      }
      case "finished":
        if (this.#step !== "waiting-finished" || msg.from !== this.#peer) {
          this.#log.debug(
            `Ignored "finished" from "${String(msg.from)}" while ${this.#step}`,
          );
          return null;
        }
        this.#complete();
        return null;
      default:
        this.#log.debug(`Ignored a "${String(msg.type)}" message`);
        return null;
    }
  }

  /**
   * Whether a `call` from `from` is answered now: a caller answers only
   * before it has called (as the original); an answerer answers anyone
   * while it waits, then only its current peer calling again (a restarted
   * caller), or anyone once the current connection has ended, so a third
   * member cannot take over a live call.
   */
  #acceptsCallFrom(from: unknown): boolean {
    if (this.#config.call !== null) return this.#step === "waiting-members";
    if (this.#step === "waiting-call" || from === this.#peer) return true;
    return this.#step === "complete" &&
      !LIVE_STATES.has(this.#session.connectionState);
  }

  async #makeCall(peer: string): Promise<void> {
    this.#peer = peer;
    this.#hangupOnLeave = false;
    this.#log.info(`Calling "${peer}"`);
    const offer = await this.#session.createOffer();
    if (this.#stopped) return;
    this.#send({ type: "call", to: peer, offer });
    this.#step = "waiting-answer";
    this.#armTimeout();
  }

  #complete(): void {
    this.#cancelTimeout();
    this.#step = "complete";
    this.#peerPresent = this.#peer !== null && this.#members.has(this.#peer);
    this.#log.info(`Signalling with "${this.#peer}" complete`);
  }

  /** Back to the first step, on the same server connection. */
  #restartOnSocket(): void {
    this.#cancelTimeout();
    const call = this.#config.call;
    this.#peer = call;
    this.#hangupOnLeave = false;
    this.#step = call !== null ? "waiting-members" : "waiting-call";
  }

  /** Reacts to a peer connection state change (checked when it is handled, not when it happened). */
  #stateChanged(): Ending | null {
    const state = this.#session.connectionState;
    const signalled = this.#step === "waiting-answer" ||
      this.#step === "waiting-finished" || this.#step === "complete";
    if (!signalled) return null;
    if (
      state === "failed" || state === "closed" ||
      (state === null && this.#step === "complete")
    ) {
      this.#log.info(
        `Connection with "${this.#peer}" ${
          state ?? "closed"
        }; signalling again`,
      );
      return "restart";
    }
    if (this.#step === "waiting-finished" && state === "connected") {
      // The call works; `finished` (a courtesy) may be lost with the server.
      this.#complete();
    }
    return null;
  }
}

/**
 * Starts `!websocket` signalling for `session`; `timing` shortens the
 * original's delays (for tests).
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
};

registerSignallingKind(websocketKind);

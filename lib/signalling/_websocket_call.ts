/**
 * The call protocol of `!websocket` signalling: what an endpoint does with
 * the server's messages, its peer connection's state changes and its timers
 * while connected to the server (see PROTOCOL.md for the wire messages).
 *
 * A caller waits for a `members` list holding its peer, sends `call` with
 * the offer, applies the peer's `answer` and sends `finished`; an answerer
 * answers any `call` and waits for `finished`. A `members` list without the
 * current peer during signalling starts it again.
 *
 * After signalling this endpoint stays joined (the original leaves; both
 * are compatible) and tells its peer so with `{"type": "stay"}`, a message
 * the original never reads (it has stopped reading by then). A peer that
 * said `stay` and ends the call on purpose (its scene stops, or changes its
 * signalling) sends `{"type": "hangup"}`: the call is closed at once. A peer
 * that said `stay` and is missing from the room while no video comes from
 * it ({@linkcode CallTiming.peerSilenceMs}) has crashed: the call is closed
 * too. Such a peer that lost only the server keeps its call (its video
 * still arrives), as does this endpoint when it loses the server. Peers
 * that never said `stay` (the original, older endpoints, the browser page)
 * keep the old rules: their absence from the room is no failure, and a
 * caller calls again when its peer reappears after having been missing.
 *
 * While joined, an answerer answers any new `call` from its peer at once (a
 * restarted caller gets through without waiting for the old connection to
 * time out). When the peer connection fails or closes, signalling starts
 * again with a fresh connection to the server, so a peer that stayed joined
 * sees this endpoint come back.
 *
 * @module
 */

import type { Logger } from "../log/logger.ts";
import type { ConnectionState, PeerSession } from "./signalling.ts";
import type { WebSocketConfig } from "./websocket_config.ts";
import { type CallTimer, CallTimers } from "./_websocket_timers.ts";
import {
  decodeServerMessage,
  field,
  memberIds,
} from "./_websocket_messages.ts";

/** How one connection to the server ended. */
export type Ending = "stopped" | "lost" | "undecodable" | "restart";

/** What the protocol needs from the server connection it runs on. */
export interface CallLink {
  /** Sends one message to the server (dropped when the connection is not open). */
  send(message: Record<string, unknown>): void;
  /**
   * Calls {@linkcode CallProtocol.timerFired} with `timer` and `generation`,
   * through the connection's event queue, after `ms`; returns a function
   * that cancels it.
   */
  later(ms: number, timer: CallTimer, generation: number): () => void;
}

/** Timings of the call protocol. */
export interface CallTiming {
  /** Start again when an `answer` or `finished` has not come after this long (ms). */
  signallingTimeoutMs: number;
  /** A peer that said `stay` is gone once it is missing from the room and silent this long (ms). */
  peerSilenceMs: number;
  /**
   * How often (ms) a call that is up asks the session whether the peer
   * closed its connection ({@linkcode PeerSession.peerActivity}).
   */
  peerWatchMs: number;
}

type Step =
  | "waiting-members"
  | "waiting-call"
  | "waiting-answer"
  | "waiting-finished"
  | "complete";

const LIVE_STATES: ReadonlySet<ConnectionState | null> = new Set([
  "new",
  "connecting",
  "connected",
  "disconnected",
]);

/** The state of one endpoint's calls, kept across its connections to the server. */
export class CallProtocol {
  readonly #config: WebSocketConfig;
  readonly #session: PeerSession;
  readonly #log: Logger;
  readonly #timing: CallTiming;
  readonly #stopped: () => boolean;
  #link: CallLink | null = null;

  #step: Step = "waiting-call";
  #peer: string | null = null;
  /** The current peer said `stay`: it stays in the room during the call. */
  #peerStays = false;
  /** `performance.now()` when signalling with the current peer completed. */
  #completedAt = 0;
  #members: ReadonlySet<string> = new Set();
  /** Whether a `members` list on this connection listed this endpoint. */
  #joined = false;
  /** Whether the peer was in the last `members` list (`null`: none yet on this connection). */
  #peerPresent: boolean | null = null;
  /** Whether the peer was seen leaving the room on this connection during the call. */
  #peerLeft = false;
  /** A peer that said `stay` went missing from the room (`backAt`: when it reappeared). */
  #missing: { backAt: number | null } | null = null;
  readonly #timers = new CallTimers();

  /**
   * @param config the node's configuration
   * @param session the peer session signalling drives
   * @param log where protocol events are logged
   * @param timing the protocol's timeouts
   * @param stopped whether signalling has been closed (checked after each wait)
   */
  constructor(
    config: WebSocketConfig,
    session: PeerSession,
    log: Logger,
    timing: CallTiming,
    stopped: () => boolean,
  ) {
    this.#config = config;
    this.#session = session;
    this.#log = log;
    this.#timing = timing;
    this.#stopped = stopped;
  }

  /** Whether signalling completed and that call's peer connection is still up. */
  get callUp(): boolean {
    return this.#step === "complete" &&
      LIVE_STATES.has(this.#session.connectionState);
  }

  /** Whether the server listed this endpoint in a room on the current connection. */
  get joined(): boolean {
    return this.#joined;
  }

  /** Starts on a new server connection; `keepCall`: the call that is up goes on. */
  begin(link: CallLink, keepCall: boolean): void {
    this.#link = link;
    const call = this.#config.call;
    if (keepCall) {
      this.#step = "complete";
      this.#watchPeer();
    } else {
      this.#step = call !== null ? "waiting-members" : "waiting-call";
      this.#peer = call;
      this.#peerStays = false;
    }
    this.#peerPresent = null;
    this.#peerLeft = false;
    this.#missing = null;
    this.#members = new Set();
    this.#joined = false;
  }

  /** The connection has ended: its timers are cancelled. */
  end(): void {
    this.#timers.cancelAll();
    this.#link = null;
  }

  /** The connection is open: joins the room. */
  opened(): Ending | null {
    const { id, room } = this.#config;
    this.#send({ type: "join", id, room });
    // A call kept across a reconnection may have ended meanwhile.
    return this.#step === "complete" ? this.stateChanged() : null;
  }

  /** Signalling is being closed: a peer that stays in the room is told the call is over. */
  stopping(): void {
    if (this.#step === "complete") this.#hangUp();
  }

  /**
   * Handles one server message; returns how the connection ends, or `null`
   * to go on.
   *
   * @throws {MessageError} when the message cannot be understood
   */
  async receive(text: string): Promise<Ending | null> {
    const msg = decodeServerMessage(text);
    const call = this.#config.call;
    switch (msg.type) {
      case "error":
        this.#log.error(`Signalling server error: ${String(msg.error)}`);
        return "lost";
      case "members": {
        this.#members = new Set(memberIds(msg));
        if (this.#members.has(this.#config.id)) this.#joined = true;
        if (this.#step === "complete") {
          await this.#membersDuringCall();
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
        this.#peerStays = false;
        this.#missing = null;
        this.#log.info(`Answering call from "${from}"`);
        const answer = await this.#session.acceptOffer(offer);
        if (this.#stopped()) return "stopped";
        this.#send({ type: "answer", to: from, answer });
        this.#step = "waiting-finished";
        this.#arm("reply", this.#timing.signallingTimeoutMs);
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
        if (this.#stopped()) return "stopped";
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
      case "stay":
        if (!this.#signalled() || msg.from !== this.#peer) {
          this.#log.debug(`Ignored "stay" from "${String(msg.from)}"`);
          return null;
        }
        this.#peerStays = true;
        this.#log.debug(`"${this.#peer}" stays in the room during the call`);
        return null;
      case "hangup":
        if (!this.#signalled() || msg.from !== this.#peer) {
          this.#log.debug(`Ignored "hangup" from "${String(msg.from)}"`);
          return null;
        }
        this.#log.info(`"${this.#peer}" ended the call; starting again`);
        await this.#endCall(false);
        return null;
      default:
        this.#log.debug(`Ignored a "${String(msg.type)}" message`);
        return null;
    }
  }

  /** Reacts to a peer connection state change (checked when it is handled, not when it happened). */
  stateChanged(): Ending | null {
    const state = this.#session.connectionState;
    if (!this.#signalled()) return null;
    const closedHere = state === null && this.#step === "complete";
    if (state === "failed" || state === "closed" || closedHere) {
      this.#log.info(
        `Connection with "${this.#peer}" ${
          state ?? "closed"
        }; signalling again`,
      );
      // Closed on purpose by its owner (the scene stops): tell the peer.
      if (closedHere) this.#hangUp();
      return "restart";
    }
    if (this.#step === "waiting-finished" && state === "connected") {
      // The call works; `finished` (a courtesy) may be lost with the server.
      this.#complete();
    }
    return null;
  }

  /** Handles a timer set with {@linkcode CallLink.later}. */
  async timerFired(
    timer: CallTimer,
    generation: number,
  ): Promise<Ending | null> {
    if (!this.#timers.fired(timer, generation)) return null;
    if (timer === "peer-check") {
      await this.#checkMissingPeer();
      return this.#stopped() ? "stopped" : null;
    }
    if (timer === "peer-watch") return this.#peerWatch();
    if (this.#waitingForPeer()) {
      this.#log.warn(
        `No reply from "${this.#peer}" in ${
          this.#timing.signallingTimeoutMs / 1000
        } s; starting again`,
      );
      return "restart";
    }
    return null;
  }

  /**
   * While a call is up: a peer that closed its connection (its DTLS said so,
   * as the original's endpoints do, without a word to the server)
   * ends the call now, not when libwebrtc gives it up 8–15 s later.
   */
  #peerWatch(): Ending | null {
    if (this.#step !== "complete") return null;
    if (this.#session.peerActivity?.()?.closedByPeer) {
      this.#log.info(`"${this.#peer}" closed its connection; signalling again`);
      return "restart";
    }
    this.#watchPeer();
    return null;
  }

  #watchPeer(): void {
    if (this.#session.peerActivity === undefined) return;
    this.#arm("peer-watch", this.#timing.peerWatchMs);
  }

  /** Whether a call or answer has been sent and the peer's reply is due. */
  #waitingForPeer(): boolean {
    return this.#step === "waiting-answer" || this.#step === "waiting-finished";
  }

  /** Whether an offer or answer has gone to the current peer (a call exists or is being made). */
  #signalled(): boolean {
    return this.#waitingForPeer() || this.#step === "complete";
  }

  #send(message: Record<string, unknown>): void {
    this.#link?.send(message);
  }

  #arm(timer: CallTimer, ms: number): void {
    this.#timers.arm(timer, ms, this.#link);
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
    this.#peerStays = false;
    this.#missing = null;
    this.#log.info(`Calling "${peer}"`);
    const offer = await this.#session.createOffer();
    if (this.#stopped()) return;
    this.#send({ type: "call", to: peer, offer });
    this.#step = "waiting-answer";
    this.#arm("reply", this.#timing.signallingTimeoutMs);
  }

  #complete(): void {
    this.#timers.cancel("reply");
    this.#step = "complete";
    this.#completedAt = performance.now();
    this.#peerPresent = this.#peer !== null && this.#members.has(this.#peer);
    this.#peerLeft = false;
    this.#missing = null;
    this.#log.info(`Signalling with "${this.#peer}" complete`);
    this.#watchPeer();
    // We stay joined during the call: our leaving the room means we are gone.
    if (this.#peer !== null) this.#send({ type: "stay", to: this.#peer });
  }

  /** Tells a peer that stays in the room that the call has ended. */
  #hangUp(): void {
    if (this.#peer === null || !this.#peerStays) return;
    this.#log.info(`Telling "${this.#peer}" that the call has ended`);
    this.#send({ type: "hangup", to: this.#peer });
  }

  /** Closes the peer connection and goes back to the first step; a caller whose peer is in the room calls it again when `callNow`. */
  async #endCall(callNow: boolean): Promise<void> {
    this.#session.close();
    this.#restartOnSocket();
    const call = this.#config.call;
    if (callNow && call !== null && this.#members.has(call)) {
      this.#log.info(`Peer "${call}" is in the room; calling again`);
      await this.#makeCall(call);
    }
  }

  /** Back to the first step, on the same server connection. */
  #restartOnSocket(): void {
    this.#timers.cancelAll();
    const call = this.#config.call;
    this.#peer = call;
    this.#peerStays = false;
    this.#missing = null;
    this.#step = call !== null ? "waiting-members" : "waiting-call";
  }

  /** A `members` list while a call is up. */
  async #membersDuringCall(): Promise<void> {
    const call = this.#config.call;
    const wasPresent = this.#peerPresent;
    const present = this.#peer !== null && this.#members.has(this.#peer);
    this.#peerPresent = present;
    if (wasPresent === true && !present) this.#peerLeft = true;
    if (this.#peerStays && this.#session.lastReceivedAt !== undefined) {
      // Its leaving means it is gone, unless its video still comes.
      if (!present) this.#missing = { backAt: null };
      else if (this.#missing !== null) this.#missing.backAt ??= now();
      if (this.#missing !== null) await this.#checkMissingPeer();
      return;
    }
    // An original peer leaves the room after signalling: no failure. It
    // comes back when its connection has failed (it restarted). (One that
    // was only missing when this endpoint rejoined after losing the server
    // has not restarted.)
    if (call !== null && this.#peerLeft && present) {
      this.#peerLeft = false;
      this.#log.info(`Peer "${call}" came back to the room; calling again`);
      await this.#makeCall(call);
    }
  }

  /**
   * A peer that stays in the room went missing from it: the call is over
   * once no video has come from it for `peerSilenceMs` (since it left, or
   * since signalling completed); it goes on once video comes after the
   * peer is back in the room.
   */
  async #checkMissingPeer(): Promise<void> {
    const missing = this.#missing;
    if (this.#step !== "complete" || missing === null) return;
    const last = this.#session.lastReceivedAt ?? null;
    if (missing.backAt !== null && last !== null && last > missing.backAt) {
      this.#log.debug(
        `"${this.#peer}" is back in the room, its video going on`,
      );
      this.#missing = null;
      this.#timers.cancel("peer-check");
      return;
    }
    const silentMs = now() - Math.max(last ?? 0, this.#completedAt);
    const limit = this.#timing.peerSilenceMs;
    if (silentMs >= limit) {
      this.#log.info(
        `Peer "${this.#peer}" ${
          missing.backAt === null ? "left the room" : "rejoined the room"
        } and no video has come from it for ${
          (silentMs / 1000).toFixed(1)
        } s; ending the call`,
      );
      await this.#endCall(true);
      return;
    }
    this.#log.debug(
      `Peer "${this.#peer}" is ${
        missing.backAt === null ? "missing from" : "back in"
      } the room; its video came ${Math.round(silentMs)} ms ago`,
    );
    this.#arm("peer-check", Math.max(10, limit - silentMs));
  }
}

function now(): number {
  return performance.now();
}

/**
 * Test doubles for `!broadcast` signalling tests: a {@linkcode PeerSession}
 * that records the offers and answers it is given (and can report a peer's
 * activity), a {@linkcode Link} that connects two of them once the exchange
 * was right, and a {@linkcode RawPeer}: a bare UDP socket standing in for
 * the other side, as a Python peer would be.
 *
 * @module
 */

import dgram from "node:dgram";
import type { BroadcastConfig } from "../../lib/signalling/broadcast.ts";
import type {
  ConnectionState,
  PeerActivity,
  PeerSession,
} from "../../lib/signalling/signalling.ts";

/** Where offers go on loopback. */
export const LOOPBACK_BROADCAST = "127.255.255.255";

/** A long, SDP-like text that is different for each `n` (parses as far as signalling checks). */
export function fakeSdp(kind: string, n: number, from: string): string {
  const lines = [
    `v=0`,
    `o=- ${n} ${n} IN IP4 0.0.0.0`,
    `s=${kind} ${n} from ${from}`,
  ];
  for (let i = 0; i < 12; i++) {
    lines.push(
      `a=candidate:${i}${n} 1 udp 2130706431 127.0.0.1 ${50000 + i} typ host`,
    );
  }
  return lines.join("\r\n") + "\r\n";
}

let sdpCounter = 0;

/** Both sides of a call made of two doubles: connects when the exchange was right. */
export class Link {
  caller!: PeerDouble;
  answerer!: PeerDouble;

  /** Connects both sides once the caller holds the answer to its own current offer. */
  check(): void {
    const offer = this.caller.offers.at(-1);
    const answer = this.caller.acceptedAnswers.at(-1);
    if (offer === undefined || answer === undefined) return;
    if (this.answerer.acceptedOffers.at(-1) !== offer) return;
    if (this.answerer.answers.at(-1) !== answer) return;
    setTimeout(() => {
      this.answerer.setState("connected");
      this.caller.setState("connected");
    }, 20);
  }
}

/** Options of a {@linkcode PeerDouble}. */
export interface PeerDoubleOptions {
  /**
   * Report {@linkcode PeerSession.peerActivity}: the test sets what the
   * peer did (each new connection starts as heard just now).
   */
  activity?: boolean;
}

/** A PeerSession double that records what signalling gives it (see {@linkcode PeerDoubleOptions}). */
export class PeerDouble implements PeerSession {
  #state: ConnectionState | null = null;
  /** How often `connectionState` was read while `"disconnected"` (by signalling: tests read {@linkcode state}). */
  disconnectedReads = 0;
  readonly offers: string[] = [];
  readonly acceptedOffers: string[] = [];
  readonly answers: string[] = [];
  readonly acceptedAnswers: string[] = [];
  /** Every state set, in order. */
  readonly states: Array<ConnectionState | null> = [];
  closes = 0;
  /** What the peer of the current connection did (with `activity` only). */
  activity: { closedByPeer: boolean; silentMs: number | null } = {
    closedByPeer: false,
    silentMs: null,
  };
  /** Offers this double refuses, as libwebrtc refuses an SDP it cannot parse. */
  rejects: (offer: string) => boolean = () => false;
  peerActivity?: () => PeerActivity | null;
  readonly #listeners = new Set<(state: ConnectionState | null) => void>();

  constructor(
    readonly name: string,
    readonly link?: Link,
    options: PeerDoubleOptions = {},
  ) {
    if (options.activity) {
      this.peerActivity = () =>
        this.#state === null ? null : { ...this.activity };
    }
  }

  get connectionState(): ConnectionState | null {
    if (this.#state === "disconnected") this.disconnectedReads++;
    return this.#state;
  }

  /** The state, without counting the read. */
  get state(): ConnectionState | null {
    return this.#state;
  }

  createOffer(): Promise<string> {
    this.#open();
    const offer = fakeSdp("offer", ++sdpCounter, this.name);
    this.offers.push(offer);
    return Promise.resolve(offer);
  }

  acceptOffer(offer: string): Promise<string> {
    this.#open();
    if (this.rejects(offer)) {
      return Promise.reject(new TypeError("Expect line: o="));
    }
    this.acceptedOffers.push(offer);
    const answer = fakeSdp("answer", ++sdpCounter, this.name);
    this.answers.push(answer);
    return Promise.resolve(answer);
  }

  acceptAnswer(answer: string): Promise<void> {
    this.acceptedAnswers.push(answer);
    this.setState("connecting");
    this.link?.check();
    return Promise.resolve();
  }

  close(): void {
    this.closes++;
    if (this.#state !== null) this.setState(null);
  }

  setState(state: ConnectionState | null): void {
    this.#state = state;
    this.states.push(state);
    for (const listener of this.#listeners) listener(state);
  }

  onConnectionStateChange(
    listener: (state: ConnectionState | null) => void,
  ): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  /** A new connection (as the real session: the previous one is replaced, without a `null` state in between). */
  #open(): void {
    this.activity = { closedByPeer: false, silentMs: null };
    this.setState("new");
  }
}

/** A caller and an answerer double, linked. */
export function linkedPair(
  options: PeerDoubleOptions = {},
): [PeerDouble, PeerDouble, Link] {
  const link = new Link();
  link.caller = new PeerDouble("caller", link, options);
  link.answerer = new PeerDouble("answerer", link, options);
  return [link.caller, link.answerer, link];
}

/** Caller and answerer configurations on loopback for `port`. */
export function configs(
  port: number,
  secret: string,
  id = "cam-test",
): { call: BroadcastConfig; answer: BroadcastConfig } {
  const common = { id, secret, port, broadcast: LOOPBACK_BROADCAST };
  return {
    call: { ...common, role: "call", host: "127.0.0.1" },
    answer: { ...common, role: "answer", host: "0.0.0.0" },
  };
}

/** Polls a condition until it holds (see `tests/_wait.ts`). */
export { waitFor } from "../_wait.ts";

/** A raw UDP socket standing in for the other side (as a Python peer would be). */
export class RawPeer {
  readonly received: Array<
    { data: Uint8Array; address: string; port: number }
  > = [];
  private constructor(readonly socket: dgram.Socket) {
    socket.on("message", (data: Uint8Array, remote: dgram.RemoteInfo) => {
      this.received.push({
        data: new Uint8Array(data),
        address: remote.address,
        port: remote.port,
      });
    });
  }
  static async open(port = 0, host = "127.0.0.1"): Promise<RawPeer> {
    const socket = dgram.createSocket({ type: "udp4", reuseAddr: true });
    await new Promise<void>((resolve) => socket.bind(port, host, resolve));
    socket.setBroadcast(true);
    return new RawPeer(socket);
  }
  get port(): number {
    return this.socket.address().port;
  }
  send(data: Uint8Array, port: number, address = "127.0.0.1"): Promise<void> {
    return new Promise((resolve, reject) =>
      this.socket.send(
        data,
        port,
        address,
        (error) => error ? reject(error) : resolve(),
      )
    );
  }
  close(): Promise<void> {
    return new Promise((resolve) => this.socket.close(() => resolve()));
  }
}

/** Collects what is printed with `console.error` (warnings and errors) until restored. */
export function captureWarnings(): { lines: string[]; restore(): void } {
  const lines: string[] = [];
  const original = console.error;
  console.error = (...args: unknown[]) =>
    lines.push(args.map(String).join(" "));
  return { lines, restore: () => console.error = original };
}

/**
 * The signalling plugin API: how a `!webrtc` node finds its peer.
 *
 * A signalling kind (`broadcast`, `websocket`, or one registered by another
 * script) appears in a scene as a child node of `!webrtc` (`!broadcast
 * call=…`). Each frame the `!webrtc` node turns that child's attributes into
 * a configuration with {@linkcode SignallingKind.configure}; when the
 * configuration changes (compared as JSON) the running signalling is closed
 * and a new one started with {@linkcode SignallingKind.start}. The signalling
 * drives the {@linkcode PeerSession} it is given: it creates offers and
 * answers through it and carries them to the other side.
 *
 * @module
 */

import type { Attributes } from "../scene/attributes.ts";
import type { Logger } from "../log/logger.ts";

/** `RTCPeerConnection.connectionState` values. */
export type ConnectionState =
  | "new"
  | "connecting"
  | "connected"
  | "disconnected"
  | "failed"
  | "closed";

/**
 * What a {@linkcode PeerSession} has seen of the peer on its current
 * connection, beyond the connection state: libwebrtc takes 5–15 s to report
 * a peer that crashed or hung up, while these facts show it within a
 * fraction of a second (a hang-up) or as long as the caller chooses to wait
 * (silence).
 */
export interface PeerActivity {
  /** The peer ended the connection (its DTLS transport sent `close_notify`). */
  readonly closedByPeer: boolean;
  /**
   * How long nothing at all (video, RTCP, ICE checks) had come from the
   * peer when the session last looked, in milliseconds; `null` until the
   * connection is first `connected`. While a call is up both sides send
   * video and its feedback, so gaps are well under 0.2 s; with no video
   * either way, libwebrtc's ICE checks still arrive every 2.5 s.
   */
  readonly silentMs: number | null;
}

/**
 * One endpoint's side of a call, as signalling sees it. Offers and answers
 * are complete, non-trickle SDP (ICE gathering finished before they are
 * returned).
 */
export interface PeerSession {
  /** Closes any current peer connection, opens a new one and returns its offer. */
  createOffer(): Promise<string>;
  /** Closes any current peer connection, opens a new one for `offer`, returns the answer. */
  acceptOffer(offer: string): Promise<string>;
  /** Applies the remote `answer` to the connection made by `createOffer`. */
  acceptAnswer(answer: string): Promise<void>;
  /** Closes the current peer connection, if any (state becomes `null`). */
  close(): void;
  /** State of the current peer connection, or `null` when there is none. */
  readonly connectionState: ConnectionState | null;
  /**
   * `performance.now()` when video last came from the peer on the current
   * peer connection, or `null` when none has. Optional: `!websocket` uses it
   * to tell a peer that has gone (its video stopped) from one that only
   * lost the signalling server; without it, a vanished peer is noticed only
   * when the connection fails.
   */
  readonly lastReceivedAt?: number | null;
  /** Calls `listener` on every state change; returns a function that unsubscribes. */
  onConnectionStateChange(
    listener: (state: ConnectionState | null) => void,
  ): () => void;
  /**
   * What has been seen of the peer on the current connection (`null` when
   * there is none). Optional: signalling that finds it notices a peer that
   * left or crashed sooner than the connection state tells.
   */
  peerActivity?(): PeerActivity | null;
}

/** A running signalling protocol; closed when its node goes or its configuration changes. */
export interface Signalling {
  /** Stops the protocol and frees its sockets; does not close the peer connection. */
  close(): void | Promise<void>;
}

/** A kind of signalling, registered by name. */
export interface SignallingKind<Config = unknown> {
  /** Node name without `!` (`"broadcast"`). */
  readonly name: string;
  /** Attribute names it understands. */
  readonly attributes: readonly string[];
  /**
   * Validates attributes and returns a JSON-comparable configuration;
   * returns `null` (after logging) when the attributes are not usable, in
   * which case no signalling runs. It is called every frame: `log` prints
   * each distinct record once (a `LogOnce` logger, forgotten when a working
   * configuration comes), so it may report the same problem every time.
   */
  configure(attrs: Attributes, log: Logger): Config | null;
  /** Starts signalling for `session` with `config`. */
  start(config: Config, session: PeerSession, log: Logger): Signalling;
  /**
   * Optional work to finish before a scene read from a file first renders
   * (awaited once per load, with the `!webrtc` node's own preparation),
   * e.g. warming a client library so that the first connection is as
   * quick as later ones. It must not fail (a failure is ignored).
   */
  prepare?(): Promise<void>;
}

/** Signalling failures that are worth a clear message (bad URL, bad config…). */
export class SignallingError extends Error {
  /**
   * Creates the error.
   *
   * @param message what went wrong, for the user
   * @param options standard error options (e.g. `cause`)
   */
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = "SignallingError";
  }
}

const kinds = new Map<string, SignallingKind>();
const listeners: Array<(kind: SignallingKind) => void> = [];

/**
 * Registers a signalling kind, so scenes can use `!NAME` inside `!webrtc`.
 * A later registration of the same name replaces the earlier one.
 */
export function registerSignallingKind<Config>(
  kind: SignallingKind<Config>,
): void {
  kinds.set(kind.name, kind as SignallingKind);
  for (const listener of listeners) listener(kind as SignallingKind);
}

/** The signalling kind called `name`, if registered. */
export function getSignallingKind(name: string): SignallingKind | undefined {
  return kinds.get(name);
}

/** Names of all registered signalling kinds. */
export function signallingKindNames(): string[] {
  return [...kinds.keys()];
}

/** Calls `listener` for every kind registered from now on and for those already registered. */
export function onSignallingKindRegistered(
  listener: (kind: SignallingKind) => void,
): void {
  listeners.push(listener);
  for (const kind of kinds.values()) listener(kind);
}

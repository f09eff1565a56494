/**
 * `!broadcast` signalling: finds the peer on the local network with
 * encrypted UDP datagrams, wire-compatible with the original plugin.
 *
 * The calling side (`call=ID`) broadcasts `{"offer": SDP}` to
 * `broadcast:port`; the answering side (`answer=ID`), bound to `host:port`,
 * replies `{"answer": SDP}` unicast to the offer's source address. Messages
 * are sealed with {@linkcode BroadcastCipher} (key from `secret` and the ID).
 *
 * Differences from the original that stay compatible with it:
 * - The caller re-sends its offer quickly (every 0.25 s at first, backing off
 *   to 1 s) within the original's 25 s window, so a call made before the
 *   answerer starts connects within about a second of it starting; it stops
 *   as soon as an answer arrives and ignores later (duplicate) answers.
 * - The answerer answers a repeated offer by re-sending the same answer
 *   (no new peer connection), and a new offer (the caller restarted) by
 *   starting over with it; an offer it has already replaced is ignored.
 * - The answerer binds its socket while the key is still being derived, so
 *   offers that arrive meanwhile are not lost.
 *
 * Importing this module registers the kind.
 *
 * @example
 * ```ts ignore
 * import "./broadcast.ts";
 * // scene: !webrtc … ; !broadcast call="cam1" secret="studio"
 * ```
 *
 * @module
 */

import { getLogger, type Logger } from "../log/logger.ts";
import type { Attributes } from "../scene/attributes.ts";
import { formatProblem } from "../scene/errors.ts";
import {
  BroadcastCipher,
  type BroadcastMessage,
  DEFAULT_SECRET,
  InvalidMessageError,
  MAX_DATAGRAM_BYTES,
} from "./broadcast_cipher.ts";
import { DeadlineQueue, QueueAbortedError } from "./_broadcast_queue.ts";
import { type Datagram, UdpSocket } from "./_udp_socket.ts";
import {
  type PeerSession,
  registerSignallingKind,
  type Signalling,
  type SignallingKind,
} from "./signalling.ts";

/** UDP port used when a scene gives none. */
export const DEFAULT_PORT = 5111;
/** Where offers go by default (the limited broadcast address, as the original). */
export const DEFAULT_BROADCAST_ADDRESS = "255.255.255.255";
/** The local address bound when a scene gives no `host=` (any). */
export const ANY_HOST = "0.0.0.0";

/** The configuration of one `!broadcast` node. */
export interface BroadcastConfig {
  /** `"call"` (sends offers) or `"answer"` (waits for them). */
  role: "call" | "answer";
  /** Connection ID (the `call=` or `answer=` value); salts the key. */
  id: string;
  /** Shared secret; the key is derived from it and the ID. */
  secret: string;
  /** Answerer: port to bind; caller: port to send offers to. */
  port: number;
  /** Local address to bind (`"0.0.0.0"` for any). */
  host: string;
  /** Destination address of the caller's offers. */
  broadcast: string;
}

/** How long each step waits (milliseconds); tests and benchmarks may shorten them. */
export interface BroadcastTimings {
  /** Caller: waits after each offer send before sending again; the sum is the window before a restart. */
  offerResendDelaysMs: readonly number[];
  /** Answerer: how long after the last offer to wait for a connection before starting over. */
  answerWaitMs: number;
  /** Caller: how long after applying the answer to wait for a connection before starting over. */
  connectWaitMs: number;
  /** How long a connection may stay `disconnected` before signalling starts over. */
  disconnectedGraceMs: number;
  /** Pause before retrying after a bind failure or an unexpected error. */
  retryDelayMs: number;
  /** Minimum interval between two warnings about bad datagrams. */
  warningIntervalMs: number;
}

/**
 * The caller's re-send schedule: every 0.25 s for the first 2 s, every 0.5 s
 * up to 10 s, then every second up to the original's 25 s window (5 sends
 * 5 s apart), 39 sends in all.
 */
export function offerResendDelaysMs(): number[] {
  const delays: number[] = [];
  let total = 0;
  while (total < 25_000) {
    const delay = total < 2_000 ? 250 : total < 10_000 ? 500 : 1_000;
    delays.push(delay);
    total += delay;
  }
  return delays;
}

/** The timings used unless a caller of {@linkcode startBroadcast} overrides them. */
export const DEFAULT_TIMINGS: Readonly<BroadcastTimings> = Object.freeze({
  offerResendDelaysMs: Object.freeze(offerResendDelaysMs()),
  answerWaitMs: 25_000,
  connectWaitMs: 25_000,
  disconnectedGraceMs: 5_000,
  retryDelayMs: 5_000,
  warningIntervalMs: 5_000,
});

const log = getLogger("broadcast");
/**
 * Turns `!broadcast` attributes into a configuration (`null` after a
 * warning, which the node's logger prints once, when neither `call=` nor
 * `answer=` is given or `port=` is bad).
 */
export function configureBroadcast(
  attrs: Attributes,
  logger: Logger,
): BroadcastConfig | null {
  const call = attrs.string("call", null);
  const answer = attrs.string("answer", null);
  const id = call || answer;
  if (!id) {
    logger.warn(
      formatProblem(
        attrs.location(),
        "!broadcast needs call= or answer= (a connection ID)",
      ),
    );
    return null;
  }
  const port = attrs.number("port", DEFAULT_PORT);
  if (!Number.isInteger(port) || port < 1 || port > 65535) {
    logger.warn(
      formatProblem(
        attrs.location(),
        `!broadcast port= must be a whole number 1–65535, got ${port}`,
      ),
    );
    return null;
  }
  const host = attrs.string("host", "");
  return {
    role: call ? "call" : "answer",
    id,
    secret: attrs.string("secret", DEFAULT_SECRET),
    port,
    host: host === "" || host === "any" ? ANY_HOST : host,
    broadcast: attrs.string("broadcast", "") || DEFAULT_BROADCAST_ADDRESS,
  };
}

/** Starts broadcast signalling for `session`; close the result to stop it. */
export function startBroadcast(
  config: BroadcastConfig,
  session: PeerSession,
  timings: Partial<BroadcastTimings> = {},
): BroadcastSignalling {
  return new BroadcastSignalling(config, session, {
    ...DEFAULT_TIMINGS,
    ...timings,
  });
}

/** The `broadcast` signalling kind (registered when this module is imported). */
export const broadcastKind: SignallingKind<BroadcastConfig> = {
  name: "broadcast",
  attributes: ["call", "answer", "secret", "port", "host", "broadcast"],
  configure: configureBroadcast,
  start: (config, session) => startBroadcast(config, session),
};

registerSignallingKind(broadcastKind);

type Event = { kind: "datagram"; datagram: Datagram } | { kind: "state" };
type Outcome = "connected" | "restart";

/** A datagram socket error or decode problem that must not stop the loop. */
class RetryLater extends Error {}

/** One running broadcast signalling loop (see the module documentation). */
export class BroadcastSignalling implements Signalling {
  readonly #config: BroadcastConfig;
  readonly #session: PeerSession;
  readonly #timings: BroadcastTimings;
  readonly #abort = new AbortController();
  readonly #events: DeadlineQueue<Event>;
  readonly #unsubscribe: () => void;
  readonly #done: Promise<void>;
  #socket: UdpSocket | null = null;
  #lastWarning = -Infinity;
  #suppressedWarnings = 0;

  /** Use {@linkcode startBroadcast}. */
  constructor(
    config: BroadcastConfig,
    session: PeerSession,
    timings: BroadcastTimings,
  ) {
    this.#config = { ...config };
    this.#session = session;
    this.#timings = timings;
    this.#events = new DeadlineQueue<Event>(this.#abort.signal);
    this.#unsubscribe = session.onConnectionStateChange(() =>
      this.#events.push({ kind: "state" })
    );
    this.#done = this.#run();
  }

  /** A short description for log records. */
  get description(): string {
    const { role, id, host, port, broadcast } = this.#config;
    return role === "call"
      ? `call '${id}' via ${broadcast}:${port}`
      : `answer '${id}' on ${host}:${port}`;
  }

  /** The local port of the current socket (`null` when none is open). */
  get localPort(): number | null {
    return this.#socket?.local.port ?? null;
  }

  /** Stops signalling and releases the socket; leaves the peer connection alone. */
  async close(): Promise<void> {
    if (!this.#abort.signal.aborted) {
      this.#abort.abort();
      this.#unsubscribe();
    }
    await this.#done;
  }

  async #run(): Promise<void> {
    log.info(`Started broadcast signalling: ${this.description}`);
    // Derivation starts now, in the background; the answerer binds meanwhile.
    const cipher = BroadcastCipher.forId(this.#config.secret, this.#config.id);
    cipher.catch(() => {}); // reported where it is awaited
    try {
      while (true) {
        let outcome: Outcome;
        try {
          outcome = this.#config.role === "call"
            ? await this.#call(cipher)
            : await this.#answer(cipher);
        } catch (error) {
          if (error instanceof QueueAbortedError) throw error;
          const reason = error instanceof RetryLater
            ? error.message
            : String(error);
          log.error(
            `${this.description}: ${reason}; retrying in ${this.#timings.retryDelayMs} ms`,
          );
          this.#session.close();
          await this.#sleep(this.#timings.retryDelayMs);
          continue;
        }
        if (outcome === "connected") {
          log.info(`${this.description}: connected; signalling paused`);
          await this.#watchConnection();
          log.info(`${this.description}: connection lost; signalling again`);
        }
        this.#session.close();
      }
    } catch (error) {
      if (!(error instanceof QueueAbortedError)) {
        log.error(
          `${this.description}: unexpected error, signalling stopped`,
          error,
        );
      }
    } finally {
      await this.#closeSocket();
      log.info(`Stopped broadcast signalling: ${this.description}`);
    }
  }

  /** Calling side: one offer, re-sent until answered or the window ends. */
  async #call(cipherPromise: Promise<BroadcastCipher>): Promise<Outcome> {
    const { broadcast, port } = this.#config;
    const socket = await this.#openSocket(0, true);
    try {
      // The offer is made while the key is derived (both take a while).
      const [cipher, offer] = await Promise.all([
        this.#abortable(cipherPromise),
        this.#abortable(this.#session.createOffer()),
      ]);
      this.#events.clear(); // state changes and datagrams of the previous attempt
      log.info(`${this.description}: offering from port ${socket.local.port}`);
      let sends = 0;
      for (const delay of this.#timings.offerResendDelaysMs) {
        await this.#send(socket, cipher, { offer }, broadcast, port);
        sends++;
        const deadline = performance.now() + delay;
        let event: Event | undefined;
        while ((event = await this.#events.next(deadline)) !== undefined) {
          if (event.kind === "state") {
            const state = this.#session.connectionState;
            if (state === "failed" || state === "closed" || state === null) {
              log.info(
                `${this.description}: peer connection ${state}; starting over`,
              );
              return "restart";
            }
            continue;
          }
          const message = await this.#receive(cipher, event.datagram);
          if (typeof message?.answer !== "string") {
            if (message) {
              log.debug(`${this.description}: ignoring unexpected message`);
            }
            continue;
          }
          const { address, port: from } = event.datagram;
          log.info(
            `${this.description}: answer from ${address}:${from} after ${sends} offer(s)`,
          );
          await this.#abortable(this.#session.acceptAnswer(message.answer));
          return await this.#awaitConnection(cipher);
        }
      }
      log.info(
        `${this.description}: no answer after ${sends} offers; starting over`,
      );
      return "restart";
    } finally {
      await this.#closeSocket();
    }
  }

  /**
   * How the connection being made has turned out: `"connected"`,
   * `"restart"` (after saying why) when it failed or closed, `null` while
   * it is still being made.
   */
  #connectionOutcome(): Outcome | null {
    const state = this.#session.connectionState;
    if (state === "connected") return "connected";
    if (state === "failed" || state === "closed" || state === null) {
      log.info(`${this.description}: peer connection ${state}; starting over`);
      return "restart";
    }
    return null;
  }

  /** Caller after applying the answer: waits for the connection, ignoring late answers. */
  async #awaitConnection(cipher: BroadcastCipher): Promise<Outcome> {
    const deadline = performance.now() + this.#timings.connectWaitMs;
    while (true) {
      const outcome = this.#connectionOutcome();
      if (outcome !== null) return outcome;
      const event = await this.#events.next(deadline);
      if (event === undefined) {
        log.info(
          `${this.description}: not connected ${this.#timings.connectWaitMs} ms after the answer; starting over`,
        );
        return "restart";
      }
      if (event.kind === "datagram") {
        const message = await this.#receive(cipher, event.datagram);
        if (message) log.trace(`${this.description}: ignoring a late message`);
      }
    }
  }

  /** Answering side: answers offers until the connection is made. */
  async #answer(cipherPromise: Promise<BroadcastCipher>): Promise<Outcome> {
    const socket = await this.#openSocket(this.#config.port, false);
    try {
      log.info(`${this.description}: waiting for an offer`);
      const cipher = await this.#abortable(cipherPromise);
      let offer: string | null = null;
      let answer: string | null = null;
      const replaced = new Set<string>();
      let deadline = Infinity;
      /** Sends `sdp` to the sender of `to`; the wait for the connection starts again. */
      const sendAnswer = async (sdp: string, to: Datagram) => {
        await this.#send(socket, cipher, { answer: sdp }, to.address, to.port);
        deadline = performance.now() + this.#timings.answerWaitMs;
      };
      while (true) {
        const event = await this.#events.next(deadline);
        if (event === undefined) {
          log.info(
            `${this.description}: not connected ${this.#timings.answerWaitMs} ms after answering; starting over`,
          );
          return "restart";
        }
        if (event.kind === "state") {
          if (answer === null) continue; // only the connection we answered for counts
          const outcome = this.#connectionOutcome();
          if (outcome !== null) return outcome;
          continue;
        }
        const { datagram } = event;
        const message = await this.#receive(cipher, datagram);
        if (message === null) continue;
        if (typeof message.offer !== "string") {
          log.debug(`${this.description}: ignoring unexpected message`);
          continue;
        }
        const source = `${datagram.address}:${datagram.port}`;
        if (message.offer === offer) {
          if (answer !== null) {
            log.trace(
              `${this.description}: repeated offer from ${source}; re-sending the answer`,
            );
            await sendAnswer(answer, datagram);
          }
          continue;
        }
        if (replaced.has(message.offer)) {
          log.debug(`${this.description}: ignoring an offer already replaced`);
          continue;
        }
        if (offer !== null) {
          replaced.add(offer);
          log.info(
            `${this.description}: a new offer from ${source} replaces the previous one`,
          );
        } else {
          log.info(`${this.description}: offer from ${source}; answering`);
        }
        offer = message.offer;
        answer = null;
        answer = await this.#abortable(this.#session.acceptOffer(offer));
        await sendAnswer(answer, datagram);
        const state = this.#session.connectionState;
        if (state === "connected") return "connected";
      }
    } finally {
      await this.#closeSocket();
    }
  }

  /** After connecting: returns when the connection fails, closes, or stays disconnected. */
  async #watchConnection(): Promise<void> {
    let deadline = Infinity;
    while (true) {
      const state = this.#session.connectionState;
      if (state === "failed" || state === "closed" || state === null) return;
      if (state === "disconnected") {
        if (deadline === Infinity) {
          deadline = performance.now() + this.#timings.disconnectedGraceMs;
        }
      } else {
        deadline = Infinity;
      }
      const event = await this.#events.next(deadline);
      if (event === undefined) return; // disconnected for the whole grace period
    }
  }

  async #openSocket(port: number, broadcast: boolean): Promise<UdpSocket> {
    await this.#closeSocket();
    this.#events.clear(); // whatever the previous attempt left is stale
    const host = this.#config.host;
    let socket: UdpSocket;
    try {
      socket = await UdpSocket.open(
        { host, port, broadcast, reuseAddress: true },
        (datagram) => {
          if (!this.#events.push({ kind: "datagram", datagram })) {
            this.#warn(
              `dropped a datagram from ${datagram.address}: too many queued`,
            );
          }
        },
        (error) => this.#warn(`socket error: ${error.message}`),
      );
    } catch (error) {
      throw new RetryLater(
        `cannot bind UDP ${host}:${port} (${(error as Error).message})`,
      );
    }
    if (this.#abort.signal.aborted) {
      await socket.close();
      throw new QueueAbortedError();
    }
    this.#socket = socket;
    log.trace(`${this.description}: bound UDP ${host}:${socket.local.port}`);
    return socket;
  }

  async #closeSocket(): Promise<void> {
    const socket = this.#socket;
    this.#socket = null;
    await socket?.close();
  }

  async #send(
    socket: UdpSocket,
    cipher: BroadcastCipher,
    message: BroadcastMessage,
    address: string,
    port: number,
  ): Promise<void> {
    const datagram = await cipher.encode(message);
    if (datagram.length > MAX_DATAGRAM_BYTES) {
      this.#warn(
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
      this.#warn(
        `cannot send to ${address}:${port}: ${(error as Error).message}`,
      );
    }
  }

  /** The message in `datagram`, or `null` (after a rate-limited warning) when it is not valid. */
  async #receive(
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
      this.#warn(`ignoring a datagram from ${source}: ${error.message}${hint}`);
      return null;
    }
  }

  /** Warns at most once per warning interval, counting the ones held back. */
  #warn(message: string): void {
    const now = performance.now();
    if (now - this.#lastWarning < this.#timings.warningIntervalMs) {
      this.#suppressedWarnings++;
      return;
    }
    const suppressed = this.#suppressedWarnings;
    this.#lastWarning = now;
    this.#suppressedWarnings = 0;
    const more = suppressed > 0
      ? ` (and ${suppressed} similar warning(s) held back)`
      : "";
    log.warn(`${this.description}: ${message}${more}`);
  }

  /** Waits `ms`, ignoring events; throws once closed. */
  async #sleep(ms: number): Promise<void> {
    const deadline = performance.now() + ms;
    while (await this.#events.next(deadline) !== undefined) {
      // events during a pause are stale
    }
  }

  /** `promise`, or a {@linkcode QueueAbortedError} as soon as signalling is closed. */
  #abortable<T>(promise: Promise<T>): Promise<T> {
    const signal = this.#abort.signal;
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

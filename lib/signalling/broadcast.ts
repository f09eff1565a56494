/**
 * `!broadcast` signalling: finds the peer on the local network with
 * encrypted UDP datagrams, wire-compatible with the original plugin.
 *
 * The calling side (`call=ID`) broadcasts `{"offer": SDP}` to
 * `broadcast:port`; the answering side (`answer=ID`), bound to `host:port`,
 * replies `{"answer": SDP}` unicast to the offer's source address. Messages
 * are sealed with {@linkcode BroadcastCipher} (key from `secret` and the ID).
 *
 * Differences from the original that stay compatible with it (nothing
 * new goes on the wire):
 * - The caller re-sends its offer quickly (every 0.25 s at first, backing off
 *   to 1 s) within the original's 25 s window, so a call made before the
 *   answerer starts connects within about a second of it starting; it stops
 *   as soon as an answer arrives and ignores later (duplicate) answers.
 * - The answerer keeps its socket open for as long as it runs, while a call
 *   is up too, and survives anything a datagram holds (garbage, another
 *   key, an offer whose SDP does not parse). It answers a repeated offer by
 *   re-sending the same answer (no new peer connection); a new offer
 *   replaces a call that is still being made, or one that is up only once
 *   its peer hung up or fell silent (a caller that restarted after a
 *   crash): see `_broadcast_answerer.ts`.
 * - A call that is up is watched (`CallWatch` in `_broadcast_context.ts`):
 *   with a session that reports its peer's activity, a peer that hung up is
 *   noticed within a fraction of a second and one that went silent (crashed)
 *   after `peerSilenceMs` (3 s), where libwebrtc takes 5–15 s; the call is
 *   closed and signalling starts again at once.
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

import { BroadcastCipher } from "./broadcast_cipher.ts";
import {
  type BroadcastConfig,
  type BroadcastTimings,
  configureBroadcast,
  DEFAULT_TIMINGS,
} from "./broadcast_config.ts";
import { BroadcastContext, log, RetryLater } from "./_broadcast_context.ts";
import { runAnswerer } from "./_broadcast_answerer.ts";
import { runCaller } from "./_broadcast_caller.ts";
import { QueueAbortedError } from "./_broadcast_queue.ts";
import {
  type PeerSession,
  registerSignallingKind,
  type Signalling,
  type SignallingKind,
} from "./signalling.ts";

export {
  ANY_HOST,
  type BroadcastConfig,
  type BroadcastTimings,
  configureBroadcast,
  DEFAULT_BROADCAST_ADDRESS,
  DEFAULT_PORT,
  DEFAULT_TIMINGS,
  offerResendDelaysMs,
} from "./broadcast_config.ts";

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

/** One running broadcast signalling loop (see the module documentation). */
export class BroadcastSignalling implements Signalling {
  readonly #abort = new AbortController();
  readonly #ctx: BroadcastContext;
  readonly #unsubscribe: () => void;
  readonly #done: Promise<void>;

  /** Use {@linkcode startBroadcast}. */
  constructor(
    config: BroadcastConfig,
    session: PeerSession,
    timings: BroadcastTimings,
  ) {
    this.#ctx = new BroadcastContext(
      config,
      session,
      timings,
      this.#abort.signal,
    );
    this.#unsubscribe = session.onConnectionStateChange(() =>
      this.#ctx.events.push({ kind: "state" })
    );
    this.#done = this.#run();
  }

  /** A short description for log records. */
  get description(): string {
    return this.#ctx.description;
  }

  /** The local port of the current socket (`null` when none is open). */
  get localPort(): number | null {
    return this.#ctx.localPort;
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
    const ctx = this.#ctx;
    const { config, session, timings } = ctx;
    log.info(`Started broadcast signalling: ${ctx.description}`);
    // Derivation starts now, in the background; the answerer binds meanwhile.
    const cipher = BroadcastCipher.forId(config.secret, config.id);
    cipher.catch(() => {}); // reported where it is awaited
    try {
      while (true) {
        try {
          if (config.role === "call") await runCaller(ctx, cipher);
          else await runAnswerer(ctx, cipher);
        } catch (error) {
          if (error instanceof QueueAbortedError) throw error;
          const reason = error instanceof RetryLater
            ? error.message
            : String(error);
          log.error(
            `${ctx.description}: ${reason}; retrying in ${timings.retryDelayMs} ms`,
          );
          session.close();
          await ctx.sleep(timings.retryDelayMs);
          continue;
        }
        session.close();
      }
    } catch (error) {
      if (!(error instanceof QueueAbortedError)) {
        log.error(
          `${ctx.description}: unexpected error, signalling stopped`,
          error,
        );
      }
    } finally {
      await ctx.closeSocket();
      log.info(`Stopped broadcast signalling: ${ctx.description}`);
    }
  }
}

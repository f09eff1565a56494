/**
 * The `!whip` and `!whep` signalling kinds: the rig as a WHIP client (RFC
 * 9725), publishing its `!webrtc` node's outgoing video to any WHIP server,
 * or as a WHEP client, playing a WHEP server's video as the node's incoming
 * video. Registered on import.
 *
 * ```toml
 * # inside a !webrtc node
 * [[nodes.children]]
 * kind = "whip"                      # or "whep"
 * url = "https://example.org/whip/studio/stage"
 * token = "s3cret"                   # optional: Authorization: Bearer s3cret
 * ```
 *
 * The offer is the session's own, complete (non-trickle: every candidate
 * in it, which WHIP allows), with its video set to `sendonly` (`!whip`) or
 * `recvonly` (`!whep`); the server's `201 Created` gives the answer and the
 * session's URL (`Location`). When the call fails or closes, the session is
 * DELETEd and a new offer POSTed: at once after a call that connected,
 * otherwise after a backoff (1 s, doubling up to 30 s) that any failure
 * lengthens (an HTTP error, no answer, a connection that never comes up
 * within 30 s). Closing the signalling (the node goes, or its attributes
 * change) DELETEs the session too. STUN and TURN servers come from the
 * node's `ice=`; those a server offers in `Link` headers are logged, not
 * used.
 *
 * @module
 */

import type { Attributes } from "../scene/attributes.ts";
import { formatProblem } from "../scene/errors.ts";
import { getLogger, type Logger } from "../log/logger.ts";
import {
  type PeerSession,
  registerSignallingKind,
  type Signalling,
  type SignallingKind,
} from "./signalling.ts";
import {
  deleteSession,
  type HttpSession,
  postOffer,
  WhipHttpError,
  withVideoDirection,
} from "./_whip_http.ts";

/** Configuration of one `!whip` or `!whep` node. */
export interface WhipConfig {
  /** `whip` publishes (video `sendonly`), `whep` watches (`recvonly`). */
  kind: "whip" | "whep";
  /** The endpoint URL to POST offers to (`http:` or `https:`). */
  url: string;
  /** Bearer token, or `null` for none. */
  token: string | null;
}

/** Delays and limits of the client (tests shorten them). */
export interface WhipTiming {
  /** First wait after a failure (default 1000 ms); it doubles with each failure in a row. */
  retryDelayMs?: number;
  /** Longest wait between attempts (default 30000 ms). */
  maxRetryDelayMs?: number;
  /** Give up a POST after this long (default 20000 ms). */
  requestTimeoutMs?: number;
  /** Give up a DELETE after this long (default 5000 ms). */
  deleteTimeoutMs?: number;
  /** Start again when the call has not connected after this long (default 30000 ms). */
  connectTimeoutMs?: number;
}

/** Attributes of `!whip` and `!whep`. */
export const WHIP_ATTRIBUTES = ["url", "token"] as const;

/**
 * Reads a `!whip` or `!whep` node's attributes; `null` (after a warning)
 * when `url=` is missing or not an `http:`/`https:` URL, or `token=` is
 * not printable ASCII without spaces.
 */
export function configureWhip(
  kind: "whip" | "whep",
  attrs: Attributes,
  log: Logger,
): WhipConfig | null {
  const url = attrs.string("url", null) || null;
  if (url === null) {
    log.warn(formatProblem(attrs.location(), `!${kind} needs url=`));
    return null;
  }
  let parsed: URL | null = null;
  try {
    parsed = new URL(url);
  } catch {
    // Reported below.
  }
  if (parsed === null || !/^https?:$/.test(parsed.protocol)) {
    log.warn(
      formatProblem(
        attrs.location("url"),
        `expected an http or https URL, got "${url}"`,
      ),
    );
    return null;
  }
  const token = attrs.string("token", null) || null;
  if (token !== null && !/^[\x21-\x7e]+$/.test(token)) {
    log.warn(
      formatProblem(
        attrs.location("token"),
        "a token is printable ASCII without spaces (it goes in an HTTP header)",
      ),
    );
    return null;
  }
  return { kind, url: parsed.href, token };
}

/** How one attempt ended. */
type Outcome = "stopped" | "ended" | "failed";

/** A running `!whip` or `!whep` client. */
class WhipSignalling implements Signalling {
  readonly #config: WhipConfig;
  readonly #session: PeerSession;
  readonly #log: Logger;
  readonly #retryDelayMs: number;
  readonly #maxRetryDelayMs: number;
  readonly #requestTimeoutMs: number;
  readonly #deleteTimeoutMs: number;
  readonly #connectTimeoutMs: number;
  readonly #stop = new AbortController();
  readonly #finished: Promise<void>;
  /** Wakes whatever the client waits for (a backoff, the call's end). */
  #wake: (() => void) | null = null;

  constructor(
    config: WhipConfig,
    session: PeerSession,
    log: Logger,
    timing: WhipTiming,
  ) {
    this.#config = config;
    this.#session = session;
    this.#log = log;
    this.#retryDelayMs = timing.retryDelayMs ?? 1000;
    this.#maxRetryDelayMs = timing.maxRetryDelayMs ?? 30_000;
    this.#requestTimeoutMs = timing.requestTimeoutMs ?? 20_000;
    this.#deleteTimeoutMs = timing.deleteTimeoutMs ?? 5000;
    this.#connectTimeoutMs = timing.connectTimeoutMs ?? 30_000;
    this.#finished = this.#run();
  }

  get #stopped(): boolean {
    return this.#stop.signal.aborted;
  }

  get #name(): string {
    return this.#config.kind.toUpperCase();
  }

  async close(): Promise<void> {
    this.#stop.abort();
    this.#wake?.();
    await this.#finished;
  }

  async #run(): Promise<void> {
    this.#log.debug(`Started ${this.#name} signalling to ${this.#config.url}`);
    let failures = 0;
    while (!this.#stopped) {
      let outcome: Outcome;
      try {
        outcome = await this.#attempt();
      } catch (error) {
        this.#log.error(
          `Unexpected error in ${this.#name} signalling: ${error}`,
        );
        outcome = "failed";
      }
      if (outcome === "stopped" || this.#stopped) break;
      failures = outcome === "ended" ? 0 : failures + 1;
      if (failures > 0) {
        const delay = Math.min(
          this.#maxRetryDelayMs,
          this.#retryDelayMs * 2 ** (failures - 1),
        );
        this.#log.debug(
          `Trying ${this.#config.url} again in ${delay / 1000} s`,
        );
        await this.#wait(delay, () => false);
      }
    }
    this.#log.debug(`Stopped ${this.#name} signalling`);
  }

  /** Waits up to `ms` (forever when `Infinity`) until `done()` holds after a wake-up or the client stops. */
  #wait(ms: number, done: () => boolean): Promise<void> {
    return new Promise<void>((resolve) => {
      const timer = Number.isFinite(ms) ? setTimeout(finish, ms) : undefined;
      const wake = () => {
        if (this.#stopped || done()) finish();
      };
      const unsubscribe = this.#session.onConnectionStateChange(wake);
      function finish() {
        clearTimeout(timer);
        unsubscribe();
        resolve();
      }
      this.#wake = finish;
      wake();
    }).finally(() => this.#wake = null);
  }

  /** One session: POST, answer, the call's life, DELETE. */
  async #attempt(): Promise<Outcome> {
    const { url, token, kind } = this.#config;
    const offer = withVideoDirection(
      await this.#session.createOffer(),
      kind === "whip" ? "sendonly" : "recvonly",
    );
    if (this.#stopped) return "stopped";
    let http: HttpSession;
    try {
      http = await postOffer(
        url,
        offer,
        token,
        AbortSignal.any([
          this.#stop.signal,
          AbortSignal.timeout(this.#requestTimeoutMs),
        ]),
      );
    } catch (error) {
      if (this.#stopped) return "stopped";
      if (!(error instanceof WhipHttpError)) throw error;
      this.#log.warn(`${this.#name}: ${error.message}`);
      this.#session.close();
      return "failed";
    }
    if (http.iceServerLinks.length > 0) {
      this.#log.debug(
        `${this.#name}: the server offers ICE servers (${
          http.iceServerLinks.join(", ")
        }); set ice= on !webrtc to use them`,
      );
    }
    this.#log.info(`${this.#name} session ${http.location}`);
    let connected = false;
    try {
      if (this.#stopped) return "stopped";
      await this.#session.acceptAnswer(http.answer);
      // Until the call ends, the client stops, or it fails to come up in time.
      const state = () => this.#session.connectionState;
      await this.#wait(this.#connectTimeoutMs, () => {
        if (state() === "connected") connected = true;
        return connected || state() === null || state() === "failed" ||
          state() === "closed";
      });
      if (connected && !this.#stopped) {
        await this.#wait(Infinity, () => {
          const now = state();
          return now === null || now === "failed" || now === "closed";
        });
      }
      if (this.#stopped) return "stopped";
      this.#log.info(
        connected
          ? `${this.#name} call ${state() ?? "closed"}; starting again`
          : `${this.#name} call did not connect (${
            state() ?? "closed"
          }); starting again`,
      );
      this.#session.close();
      return connected ? "ended" : "failed";
    } catch (error) {
      if (this.#stopped) return "stopped";
      this.#log.warn(`${this.#name}: cannot use the answer: ${error}`);
      this.#session.close();
      return "failed";
    } finally {
      await this.#delete(http.location);
    }
  }

  async #delete(location: string): Promise<void> {
    try {
      await deleteSession(
        location,
        this.#config.token,
        AbortSignal.timeout(this.#deleteTimeoutMs),
      );
      this.#log.debug(`${this.#name}: deleted ${location}`);
    } catch (error) {
      this.#log.warn(
        `${this.#name}: ${error instanceof Error ? error.message : error}`,
      );
    }
  }
}

/** Starts a `!whip` or `!whep` client for `session`; `timing` shortens its delays (for tests). */
export function startWhip(
  config: WhipConfig,
  session: PeerSession,
  log: Logger = getLogger(config.kind),
  timing: WhipTiming = {},
): Signalling {
  return new WhipSignalling(config, session, log, timing);
}

/** The `whip` signalling kind: publishes the node's video to a WHIP server. */
export const whipKind: SignallingKind<WhipConfig> = {
  name: "whip",
  attributes: WHIP_ATTRIBUTES,
  configure: (attrs, log) => configureWhip("whip", attrs, log),
  start: (config, session) => startWhip(config, session),
};

/** The `whep` signalling kind: plays a WHEP server's video as the node's incoming video. */
export const whepKind: SignallingKind<WhipConfig> = {
  name: "whep",
  attributes: WHIP_ATTRIBUTES,
  configure: (attrs, log) => configureWhip("whep", attrs, log),
  start: (config, session) => startWhip(config, session),
};

registerSignallingKind(whipKind);
registerSignallingKind(whepKind);

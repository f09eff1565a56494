/**
 * The life of a `!webrtc` node's call: which signalling runs, with which
 * peer session, and what the scene is told about it.
 *
 * Each frame {@linkcode CallLifecycle.update} reads what the node wants: the
 * first child that is a signalling node (`!broadcast`, `!websocket`, or any
 * registered kind) and its configuration, `codec=`, `bitrate=`, `ice=`
 * (STUN/TURN servers) and `ice_policy=`. When any of it changes, the
 * running signalling is stopped, the call torn down and signalling started
 * again; restarts run one after another, and one replaced by a later change
 * is skipped. The peer session is kept while codec, bitrate, ICE servers and
 * ICE policy stay the same. `state=KEY` gets the peer connection's state as a symbol each frame, and
 * `stats=KEY` the call's figures (see `call_stats.ts`). `ice_policy=:relay`
 * restricts calls to a TURN server's relay candidates.
 *
 * The wrtc addon is loaded when the lifecycle is made (the node is
 * created), with libwebrtc's field trials set once it is in (see
 * `field_trials.ts`: before the first peer connection, and not in the
 * middle of a call start); the node renders its children meanwhile, and the
 * first call starts once it has loaded.
 *
 * @module
 */

import {
  formatValue,
  items,
  sym,
  type Value,
  valuesEqual,
} from "../expr/values.ts";
import { getLogger } from "../log/logger.ts";
import { LogOnce } from "../log/log_once.ts";
import type { Attributes } from "../scene/attributes.ts";
import { formatProblem } from "../scene/errors.ts";
import type { RenderContext, SceneNode } from "../scene/node.ts";
import type { Signalling } from "../signalling/signalling.ts";
import { loadWrtc, requireWrtc } from "./_wrtc.ts";
import { ensureWrtcFieldTrials } from "./field_trials.ts";
import {
  hasTurnServer,
  type IceServer,
  IceServerError,
  parseIceServer,
} from "./ice_servers.ts";
import { type IceTransportPolicy, WrtcPeerSession } from "./peer_session.ts";
import { CallStats } from "./call_stats.ts";
import { VIDEO_CODECS, type VideoCodec } from "./sdp.ts";
import { SignallingNode } from "./signalling_node.ts";

const log = getLogger("webrtc");

let warmedUp = false;

/**
 * What a scene with `!webrtc` nodes needs before its first call: the wrtc
 * addon, libwebrtc's field trials (the built-in set, unless some were set
 * already), and libwebrtc's first peer connection of the process (which
 * starts its threads; about 10 ms), made and closed at once. The kind's
 * `load` hook: `loadSceneFile` awaits it before the first frame, so neither
 * that frame nor the first call waits for any of it.
 */
export async function prepareForCalls(): Promise<void> {
  await loadWrtc();
  ensureWrtcFieldTrials(log);
  if (warmedUp) return;
  warmedUp = true;
  const { RTCPeerConnection } = requireWrtc("prepareForCalls");
  new RTCPeerConnection({ iceServers: [] }).close();
}

async function stopQuietly(signalling: Signalling): Promise<void> {
  try {
    await signalling.close();
  } catch (error) {
    log.error(
      `stopping signalling failed: ${
        error instanceof Error ? error.message : String(error)
      }`,
    );
  }
}

/** What the node wants running: a signalling configuration and session settings. */
interface Wanted {
  /** Compared between frames: signalling kind, configuration, codec and bitrate. */
  key: string;
  node: SignallingNode | null;
  codec: VideoCodec;
  bitrate: number | null;
  iceServers: IceServer[];
  iceTransportPolicy: IceTransportPolicy;
}

/** Connection states in which the peer's video is shown and ours is sent. */
const LIVE = new Set(["connected", "disconnected"]);

/** Runs one `!webrtc` node's signalling and peer session (see the module documentation). */
export class CallLifecycle {
  #session: WrtcPeerSession | null = null;
  #signalling: Signalling | null = null;
  /** Key of what runs (or is being started). */
  #wantedKey: string | null = null;
  #generation = 0;
  /** Restarts run one after another. */
  #queue: Promise<void> = Promise.resolve();
  #destroyed = false;
  /** The engine's context the node was created with. */
  readonly #ctx: RenderContext;
  /** The node's size now (sessions are made at it). */
  readonly #size: () => readonly [number, number];
  /** Settles when the addon is loaded and field trials are set. */
  readonly #ready: Promise<void>;
  #stateKey: Value = null;
  /** The last `ice=` value and what it gave. */
  #ice: { value: Value; servers: IceServer[] } | null = null;
  /** `ice=` problems already reported. */
  #iceWarnings = new LogOnce();
  /** The call's figures for `stats=` and `--verbose`. */
  readonly #stats: CallStats;

  /**
   * Starts loading the wrtc addon.
   *
   * @param ctx the engine's context (the addon's loading, restarts and hang-ups are tracked there)
   * @param size the node's size now, read when a session is made
   */
  constructor(ctx: RenderContext, size: () => readonly [number, number]) {
    this.#ctx = ctx;
    this.#size = size;
    this.#stats = new CallStats(ctx.state, log);
    this.#ready = loadWrtc().then(() => ensureWrtcFieldTrials(log));
    ctx.track(this.#ready, "loading the wrtc addon");
  }

  /** The peer session (`null` before signalling first started). */
  get session(): WrtcPeerSession | null {
    return this.#session;
  }

  /** The running signalling, if any. */
  get signalling(): Signalling | null {
    return this.#signalling;
  }

  /** The session while its call is up (video is sent and shown), else `null`. */
  get liveSession(): WrtcPeerSession | null {
    const state = this.#session?.connectionState ?? null;
    return state !== null && LIVE.has(state) ? this.#session : null;
  }

  /**
   * Starts, restarts or stops signalling when what `attrs` and `children`
   * ask for changed, then publishes the connection state to `state=` and
   * the call's figures to `stats=` (asked for off the frame path).
   */
  update(attrs: Attributes, children: readonly SceneNode[]): void {
    this.#manage(attrs, children);
    this.#publishState(attrs, this.#session?.connectionState ?? null);
    const id = attrs.string("id", null);
    this.#stats.update(
      attrs.get("stats"),
      this.liveSession,
      id === null ? "!webrtc call" : `!webrtc ${id} call`,
    );
  }

  /** Starts, restarts or stops signalling when what is wanted changed. */
  #manage(attrs: Attributes, children: readonly SceneNode[]): void {
    const isSignalling = (child: SceneNode): child is SignallingNode =>
      child instanceof SignallingNode;
    const node = children.find(isSignalling) ?? null;
    const codecName = attrs.symbol("codec", "vp8");
    const known = (VIDEO_CODECS as readonly string[]).includes(codecName);
    if (!known) {
      attrs.warnShape("codec", attrs.get("codec"), "one of :vp8 :vp9 :av1");
    }
    const codec = known ? codecName as VideoCodec : "vp8";
    let bitrate = attrs.number("bitrate", null);
    if (bitrate !== null && !(bitrate > 0)) {
      attrs.warnShape(
        "bitrate",
        attrs.get("bitrate"),
        "bits per second (a positive number)",
      );
      bitrate = null;
    }
    const iceServers = this.#iceServers(attrs);
    const iceTransportPolicy = this.#icePolicy(attrs, iceServers);
    const configKey = node?.configKey ?? null;
    const key = configKey === null ? null : JSON.stringify([
      configKey,
      codec,
      bitrate,
      iceServers,
      iceTransportPolicy,
    ]);
    if (key === this.#wantedKey) return;
    this.#wantedKey = key;
    this.#restart(
      key === null
        ? null
        : { key, node, codec, bitrate, iceServers, iceTransportPolicy },
    );
  }

  /**
   * `ice_policy=`: `:all` (default) or `:relay` (only relay candidates from
   * the TURN servers of `ice=`; warned about, once, without one).
   */
  #icePolicy(
    attrs: Attributes,
    iceServers: readonly IceServer[],
  ): IceTransportPolicy {
    const policy = attrs.symbol("ice_policy", "all");
    if (policy !== "all" && policy !== "relay") {
      attrs.warnShape("ice_policy", attrs.get("ice_policy"), ":all or :relay");
      return "all";
    }
    if (policy === "relay" && !hasTurnServer(iceServers)) {
      this.#iceWarnings.warn(
        log,
        formatProblem(
          attrs.location("ice_policy"),
          "ice_policy=:relay needs a TURN server in ice= (turn:USER:PASSWORD@HOST): without one there is no candidate to call with",
        ),
      );
    }
    return policy;
  }

  /** `ice=`: STUN/TURN server URLs (see `ice_servers.ts`); bad ones are left out with a warning (once each). */
  #iceServers(attrs: Attributes): IceServer[] {
    const value = attrs.get("ice");
    // Parsed again only when the value changes (the attribute is read every frame).
    if (this.#ice !== null && valuesEqual(value, this.#ice.value)) {
      return this.#ice.servers;
    }
    const servers: IceServer[] = [];
    this.#ice = { value, servers };
    for (const item of items(value)) {
      try {
        if (typeof item !== "string") {
          throw new IceServerError(
            formatValue(item),
            "expected a URL string",
          );
        }
        servers.push(parseIceServer(item));
      } catch (error) {
        const message = (error as Error).message;
        this.#iceWarnings.warn(
          log,
          formatProblem(attrs.location("ice"), `${message}; left out`),
        );
      }
    }
    return servers;
  }

  #restart(wanted: Wanted | null): void {
    const generation = ++this.#generation;
    const config = wanted?.node?.config;
    const kind = wanted?.node?.kind;
    this.#queue = this.#queue.then(async () => {
      if (generation !== this.#generation) return; // a later change replaces this one
      const old = this.#signalling;
      this.#signalling = null;
      if (old !== null) {
        log.info("signalling changed; ending the current call");
        await stopQuietly(old);
      }
      this.#session?.close();
      if (
        generation !== this.#generation || this.#destroyed || !wanted || !kind
      ) return;
      const { codec, bitrate, iceServers, iceTransportPolicy } = wanted;
      try {
        await this.#ready; // at once, but for the first call of a process
        if (generation !== this.#generation || this.#destroyed) return;
        const session = this.#session;
        if (
          session === null || session.codec !== codec ||
          (bitrate !== null && session.bitrate !== bitrate) ||
          JSON.stringify(session.iceServers) !==
            JSON.stringify(iceServers) ||
          session.iceTransportPolicy !== iceTransportPolicy
        ) {
          const [width, height] = this.#size();
          this.#session = new WrtcPeerSession({
            width,
            height,
            codec,
            bitrate: bitrate ?? undefined,
            iceServers,
            iceTransportPolicy,
            log,
          });
        }
        this.#signalling = kind.start(
          config,
          this.#session!,
          getLogger("signalling"),
        );
        log.info(
          `started !${kind.name} signalling (${codec}, ${
            Math.round(this.#session!.bitrate / 1000)
          } kbps${
            iceServers.length === 0
              ? ""
              : `, ICE servers ${
                iceServers.map((server) => server.urls).join(" ")
              }`
          }${iceTransportPolicy === "relay" ? ", relay candidates only" : ""})`,
        );
      } catch (error) {
        log.error(
          `cannot start !${kind.name} signalling: ${
            error instanceof Error ? error.message : String(error)
          }`,
        );
      }
    });
    this.#ctx.track(this.#queue, "restarting a call");
  }

  #publishState(attrs: Attributes, state: string | null): void {
    const key = attrs.get("state");
    const store = this.#ctx.state;
    if (this.#stateKey !== null && !valuesEqual(key, this.#stateKey)) {
      store.set(this.#stateKey, null);
    }
    this.#stateKey = key;
    if (key !== null) store.set(key, state === null ? null : sym(state));
  }

  /** Stops signalling, closes the call (tracked by the engine) and clears `state=` and `stats=`. */
  destroy(): void {
    this.#destroyed = true;
    this.#stats.destroy();
    this.#generation++;
    const signalling = this.#signalling;
    this.#signalling = null;
    const session = this.#session;
    session?.close();
    this.#ctx.track(
      this.#queue.then(async () => {
        if (signalling !== null) await stopQuietly(signalling);
        session?.close();
      }),
      "closing a call",
    );
    if (this.#stateKey !== null) this.#ctx.state.set(this.#stateKey, null);
  }
}

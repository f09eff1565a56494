/**
 * The contract between the engine and every node kind of a scene.
 *
 * Each frame the engine walks the evaluated tree depth first. For each node it
 * calls {@linkcode SceneNode.prepare} (attributes for this frame and what
 * the parent passes down, {@linkcode Inherited}: a default size and render
 * settings; it returns what its own children inherit), then the children,
 * then {@linkcode SceneNode.render} with the children's instances, so the
 * node can composite their `output` textures. Node instances live across
 * frames and across live reloads while their place in the tree and their
 * kind stay the same; `destroy` is called when they leave. Work that
 * outlives a frame or the node itself (a video file being completed, a call
 * being hung up) is handed to the engine with {@linkcode RenderContext.track},
 * so the engine can await it before it is disposed.
 *
 * Kinds are looked up by name in a {@linkcode KindRegistry}: the global one
 * ({@linkcode registerNodeKind}) for the nodes of a scene, unless a kind
 * declares {@linkcode NodeKind.childKinds}: then the nodes below it are
 * taken from that registry instead. That is how a kind whose children are
 * its own little language rather than render nodes (the drawing commands of
 * `!canvas`) gets them: they are nodes like any other (instantiated,
 * evaluated every frame, `if=`, kept across live reloads), so the parent's
 * `render` receives their instances, in order, and reads what they prepared.
 *
 * @module
 */

import type { Attributes } from "./attributes.ts";
import type { Value } from "../expr/values.ts";
import type { Logger } from "../log/logger.ts";
import type { GLContext } from "../gl/context.ts";
import type { Texture } from "../gl/texture.ts";
import type { WindowManager } from "../window/windows.ts";

/** Clock and tempo of the frame being rendered (Flitter's names). */
export interface FrameInfo {
  /** Beat-clock time in seconds since start (`time`). */
  time: number;
  /** Wall-clock time in seconds since the Unix epoch (`clock`). */
  clock: number;
  /** Frame counter, from 0. */
  frame: number;
  /** Target frames per second. */
  fps: number;
  /** Current beat (time × tempo / 60). */
  beat: number;
  /** Beats per minute. */
  tempo: number;
  /** Seconds since the previous frame. */
  delta: number;
  /** `performance.now()` (ms) when this frame began. */
  startedAt: number;
}

/** The scene's state, read by `$KEY` in expressions and written by nodes. */
export interface StateStore {
  /** The value under `key`, or `null`. */
  get(key: Value): Value;
  /** Sets (or, with `null`, clears) `key`. */
  set(key: Value, value: Value): void;
}

/**
 * Settings of one engine for node kinds, by kind name without the `!`
 * (`EngineOptions.nodeOptions`): choices a program makes for every node of
 * a kind and scenes do not, e.g. `{ webrtc: { frameConversion: "cpu" } }`
 * (see `WebrtcNodeOptions`). A kind reads its own entry in
 * {@linkcode NodeKind.create} and checks it.
 */
export interface NodeOptions {
  /** The options of the kind named `kind`, if any were given. */
  readonly [kind: string]: object | undefined;
}

/** What the engine offers nodes while preparing and rendering. */
export interface RenderContext {
  /** The GL context (current on this thread). */
  readonly gl: GLContext;
  /** Clock of this frame. */
  readonly frame: FrameInfo;
  /** The scene state (`state=` keys, `$KEY`). */
  readonly state: StateStore;
  /** Logger for node messages. */
  readonly log: Logger;
  /** The engine's settings for node kinds, by kind name (see {@linkcode NodeOptions}). */
  readonly nodeOptions: NodeOptions;
  /** The node with `id=ID` in the current tree, if any. */
  lookup(id: string): SceneNode | undefined;
  /** A path from the scene resolved relative to the scene file's folder. */
  resolvePath(path: string): string;
  /**
   * Whether the engine runs in lockstep (every frame matters, none may be
   * dropped: recorders wait rather than skip).
   */
  readonly lockstep: boolean;
  /**
   * Hands the engine work that must finish before the next frame in
   * lockstep (e.g. a video encoder draining); ignored in real time.
   */
  defer(work: Promise<unknown>): void;
  /**
   * Hands the engine work that outlives the frame or the node itself (a
   * video file being completed after `destroy`, a call being hung up): the
   * engine awaits all of it in `Engine.dispose`, and logs a failure as
   * `what: message`. Nodes keep the context they were created with
   * ({@linkcode NodeKind.create}) to call this from `destroy`.
   */
  track(work: Promise<unknown>, what: string): void;
  /**
   * Asks the real-time loop to begin the next frame up to `ms` earlier,
   * moving the phase of the frame schedule (not its rate); e.g. so video
   * from a peer arrives just before it is sampled. One `owner` steers at a
   * time; returns whether this request was taken (never in lockstep).
   */
  advanceFrames(owner: object, ms: number): boolean;
  /** Gives up steering the frame schedule (see {@linkcode advanceFrames}). */
  releaseFrames(owner: object): void;
  /**
   * On-screen windows for `!window` nodes: whether they can open, the
   * command line's window defaults, event polling. Absent (as in tests
   * and tools that render headless): every `!window` renders offscreen.
   */
  readonly windows?: WindowManager;
  /**
   * Asks the engine to end the run cleanly after this frame (e.g. the user
   * closed a window), logging `reason`; absent where there is no run.
   */
  endRun?(reason: string): void;
}

/** Width and height in pixels. */
export type Size = readonly [number, number];

/**
 * What a node passes down to its children in `prepare`: the size children
 * without `size=` take, and the `colorbits=` children without one take
 * (`null`: each kind's own default). The engine passes its default size and
 * `colorbits: null` to the top-level nodes.
 */
export interface Inherited {
  /** Default size of the children, in pixels. */
  readonly size: Size;
  /** Default `colorbits=` of the children, or `null` for each kind's own. */
  readonly colorbits: number | null;
}

/**
 * What a node passes down, kept between frames: {@linkcode PassedDown.set}
 * gives the same {@linkcode Inherited} object while the size and
 * `colorbits=` stay the same (so a node whose settings did not change
 * allocates nothing per frame), a new one when they change.
 */
export class PassedDown {
  #current: Inherited | null = null;

  /** What the children inherit: `width`×`height` and `colorbits`. */
  set(width: number, height: number, colorbits: number | null): Inherited {
    const current = this.#current;
    if (
      current !== null && current.size[0] === width &&
      current.size[1] === height && current.colorbits === colorbits
    ) return current;
    return this.#current = { size: [width, height], colorbits };
  }
}

/** One live node of a scene (render node, signalling node, …). */
export abstract class SceneNode {
  /** `id=` of the node, set by the engine before `prepare`. */
  id: string | null = null;
  /** `hidden=` of the node: rendered, but not composited by its parent. */
  hidden = false;

  /** The node's output image after `render`, or `null` if it has none. */
  get output(): Texture | null {
    return null;
  }

  /**
   * Takes this frame's attributes and what the parent passes down; returns
   * what the children inherit (normally the node's own size, and the
   * `colorbits=` default unchanged; a node that passes nothing of its own
   * returns `inherited`).
   */
  abstract prepare(
    ctx: RenderContext,
    attrs: Attributes,
    inherited: Inherited,
  ): Inherited;

  /** Draws the node; the children were prepared and rendered already. */
  abstract render(ctx: RenderContext, children: readonly SceneNode[]): void;

  /**
   * Work to await after the children rendered and before {@linkcode render},
   * while the event loop runs (e.g. letting the GPU finish the children's
   * drawing while arriving video frames are delivered), or `null` for none.
   * Only real-time frames (`Engine.renderFrameAsync`) await it, and only
   * for kinds registered with `settles: true`; `Engine.renderFrame` goes
   * straight on.
   */
  settle(
    _ctx: RenderContext,
    _children: readonly SceneNode[],
  ): Promise<unknown> | null {
    return null;
  }

  /**
   * Frees GL objects, sockets and connections; called once. Work that must
   * go on after it (closing a file or a call) goes to
   * {@linkcode RenderContext.track}.
   */
  destroy(): void {}
}

/** Registration record of one node kind. */
export interface NodeKind {
  /** Name without the `!` (`"shader"`). */
  readonly name: string;
  /** Attribute names it understands (warned about otherwise, with a hint). */
  readonly attributes: readonly string[];
  /**
   * Whether any other attribute is meaningful too (e.g. custom shader
   * uniforms), so unknown names are not warned about.
   */
  readonly openAttributes?: boolean;
  /**
   * Attributes that make a node of this kind open as
   * {@linkcode openAttributes} does, when given (e.g. a custom `fragment=`,
   * whose uniforms other attributes may set); otherwise unknown names are
   * warned about.
   */
  readonly openWith?: readonly string[];
  /**
   * Whether `id=` names ANOTHER node (as `!reference id=` does) rather than
   * this one, so the engine does not register the node under it.
   */
  readonly idRefersToOther?: boolean;
  /**
   * Whether its nodes may have work to await in {@linkcode SceneNode.settle};
   * real-time frames render trees without such nodes straight through.
   */
  readonly settles?: boolean;
  /**
   * The registry the kinds of this node's descendants are looked up in,
   * instead of the one this kind is in (the global one for ordinary
   * kinds): every node below it, down to one whose kind names a registry of
   * its own. For kinds whose children are commands they interpret rather
   * than render nodes (`!canvas`): the children are prepared and rendered
   * as usual, first, and the node's `render` gets their instances.
   */
  readonly childKinds?: KindRegistry;
  /**
   * Work to finish before nodes of this kind first render, e.g. loading a
   * native addon. `loadSceneFile` awaits it (once per load) for
   * every kind its scene uses, so the first frame of a scene read from a
   * file already has it; a scene given as text does not wait, and its
   * nodes must cope meanwhile (drawing nothing). A failure is not the
   * loader's to report: the kind's nodes say what is missing.
   */
  load?(): Promise<void>;
  /** Creates a new instance. */
  create(ctx: RenderContext): SceneNode;
}

/** Options of a {@linkcode KindRegistry}. */
export interface KindRegistryOptions {
  /**
   * The kind whose subtree uses the registry (without `!`), for messages:
   * `Unknown node kind "!fil" inside !canvas`.
   */
  readonly owner?: string;
  /**
   * Whether a name not in the registry is a warning (and the node, with its
   * subtree, is left out of the scene) rather than an error that rejects
   * the scene. The global registry says no; drawing commands say yes, so
   * one bad command does not stop the rest of the drawing.
   */
  readonly unknownIsWarning?: boolean;
}

/** Node kinds by name: the global registry, or one a kind gives its subtree. */
export class KindRegistry {
  readonly #kinds = new Map<string, NodeKind>();
  /** See {@linkcode KindRegistryOptions.owner} (`null` for the global registry). */
  readonly owner: string | null;
  /** See {@linkcode KindRegistryOptions.unknownIsWarning}. */
  readonly unknownIsWarning: boolean;

  /** An empty registry. */
  constructor(options: KindRegistryOptions = {}) {
    this.owner = options.owner ?? null;
    this.unknownIsWarning = options.unknownIsWarning ?? false;
    registries.add(this);
  }

  /** Adds a kind; a later registration of the same name replaces it. */
  register(kind: NodeKind): void {
    this.#kinds.set(kind.name, kind);
  }

  /** The kind called `name` (without `!`), if registered. */
  get(name: string): NodeKind | undefined {
    return this.#kinds.get(name);
  }

  /** Names of all kinds registered. */
  names(): string[] {
    return [...this.#kinds.keys()];
  }
}

const registries = new Set<KindRegistry>();

/**
 * The kinds that give their subtree a registry (other than `except`)
 * holding a kind called `name`: where a node of that kind may stand (for
 * messages such as `"!box" exists only inside !canvas3d`).
 */
export function ownersOfKind(
  name: string,
  except: KindRegistry | null = null,
): string[] {
  const owners: string[] = [];
  for (const registry of registries) {
    if (registry === except || registry.owner === null) continue;
    if (registry.get(name) !== undefined) owners.push(registry.owner);
  }
  return owners;
}

/** The global registry: the kinds of top-level nodes and their subtrees. */
export const NODE_KINDS: KindRegistry = new KindRegistry();

/** Adds a node kind; a later registration of the same name replaces it. */
export function registerNodeKind(kind: NodeKind): void {
  NODE_KINDS.register(kind);
}

/** The node kind called `name` (without `!`), if registered. */
export function getNodeKind(name: string): NodeKind | undefined {
  return NODE_KINDS.get(name);
}

/** Names of all registered node kinds. */
export function nodeKindNames(): string[] {
  return NODE_KINDS.names();
}

/** Attributes every node kind accepts. */
export const COMMON_ATTRIBUTES: readonly string[] = ["id", "hidden", "size"];

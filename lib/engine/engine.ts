/**
 * The engine: owns the GL context, the current scene and its live tree, the
 * clock and the state; renders frames at a steady rate (or as fast as
 * possible with `lockstep`), and reloads the scene when its files change.
 *
 * @module
 */

import { FramePacer } from "./frame_pacer.ts";
import { dirname, resolve } from "node:path";
import type { Value } from "../expr/values.ts";
import type { GLContext } from "../gl/context.ts";
import { getLogger, isVerbose, type Logger } from "../log/logger.ts";
import type {
  FrameInfo,
  Inherited,
  NodeOptions,
  RenderContext,
  SceneNode,
  Size,
} from "../scene/node.ts";
import { SceneError } from "../scene/errors.ts";
import { loadSceneFile, loadSceneText } from "../scene/load_scene.ts";
import type { SceneModel } from "../scene/model.ts";
import { FileCache } from "./file_cache.ts";
import { FileWatcher } from "./file_watcher.ts";
import { FrameScope } from "./frame_scope.ts";
import { FrameStatistics } from "./frame_statistics.ts";
import { type LiveNode, reconcile } from "./live_tree.ts";
import { MapStateStore } from "./state_store.ts";
import { WindowManager, type WindowOptions } from "../window/windows.ts";
import "../kinds.ts";

/** How an engine runs. */
export interface EngineOptions {
  /** Values for names in expressions (`--define NAME=VALUE`). */
  defines?: Record<string, Value> | ReadonlyMap<string, Value>;
  /** Frames per second (default 60). */
  fps?: number;
  /** Render as fast as possible with an evenly stepped clock (default false). */
  lockstep?: boolean;
  /** Stop after this many seconds of scene time (default: run until stopped). */
  runtime?: number | null;
  /** Reload the scene when its files change (default true for files). */
  watch?: boolean;
  /** Beats per minute (default 120). */
  tempo?: number;
  /** Size inherited by top-level nodes without `size=` (default 512x512). */
  defaultSize?: Size;
  /** Logger (default "engine"). */
  log?: Logger;
  /**
   * Settings for node kinds, by kind name without `!` (default none), e.g.
   * `{ webrtc: { sendConversion: "gpu" } }` (see `WebrtcNodeOptions`).
   */
  nodeOptions?: NodeOptions;
  /**
   * On-screen windows: given, a `!window` opens one when a display is
   * available (`DISPLAY` or `WAYLAND_DISPLAY`), with these defaults; absent
   * (the default for library use), every `!window` renders offscreen.
   */
  windows?: WindowOptions;
}

const STATISTICS_PERIOD_SECONDS = 5;

/** Renders one scene, frame by frame. */
export class Engine {
  /** The engine's own GL context, created with it and destroyed by {@linkcode Engine.close}. */
  readonly gl: GLContext;
  /** The scene state (`$KEY` in expressions, written by nodes such as `!webrtc state=`). */
  readonly state: MapStateStore = new MapStateStore();
  /** Clock of the current frame; the engine updates this object in place every frame. */
  readonly frame: FrameInfo;
  /** Logger for engine messages (from {@linkcode EngineOptions.log}, default `"engine"`). */
  readonly log: Logger;
  /** Frames per second {@linkcode Engine.run} aims for (default 60). */
  readonly fps: number;
  /** Whether frames are rendered as fast as possible with a clock that advances `1 / fps` per frame. */
  readonly lockstep: boolean;
  /**
   * When {@linkcode Engine.run} begins real-time frames; a loop of one's
   * own around {@linkcode Engine.renderFrame} should use it too, so nodes
   * can steer it (see {@linkcode RenderContext.advanceFrames}).
   */
  readonly pacer: FramePacer;
  /** Seconds of scene time after which {@linkcode Engine.run} stops, or `null` to run until stopped. */
  readonly runtime: number | null;
  /** On-screen windows (whether they can open, and why not). */
  readonly windows: WindowManager;
  #file: string;
  #model: SceneModel;
  #roots: LiveNode[] = [];
  readonly #ids = new Map<string, SceneNode>();
  readonly #files = new FileCache();
  readonly #scope: FrameScope;
  readonly #context: RenderContext;
  /** What the top-level nodes inherit: the default size, no `colorbits=`. */
  readonly #rootInheritance: Inherited;
  /** Work handed over with `ctx.track` that has not finished yet. */
  readonly #tracked = new Set<Promise<void>>();
  #watcher: FileWatcher | null = null;
  #stopped = false;
  #closed = false;
  #deferred: Promise<unknown>[] = [];
  #wake: (() => void) | null = null;
  #startMs = 0;
  #reloads = 0;
  /** Settles when the real-time frame being rendered ends. */
  #frameInProgress: Promise<void> | null = null;
  readonly #statistics = new FrameStatistics();

  private constructor(file: string, model: SceneModel, options: EngineOptions) {
    this.#file = file;
    this.#model = model;
    this.log = options.log ?? getLogger("engine");
    this.fps = options.fps ?? 60;
    this.pacer = new FramePacer(this.fps);
    this.lockstep = options.lockstep ?? false;
    this.runtime = options.runtime ?? null;
    this.#rootInheritance = {
      size: options.defaultSize ?? [512, 512],
      colorbits: null,
    };
    const tempo = options.tempo ?? 120;
    this.frame = {
      time: 0,
      clock: Date.now() / 1000,
      frame: 0,
      fps: this.fps,
      beat: 0,
      tempo,
      delta: 0,
      startedAt: 0,
    };
    const defines = options.defines instanceof Map
      ? options.defines
      : new Map(Object.entries(options.defines ?? {}));
    this.#scope = new FrameScope(
      this.frame,
      defines,
      this.state,
      this.#files,
      dirname(resolve(file)),
    );
    this.windows = new WindowManager(options.windows);
    this.gl = this.windows.createContext();
    this.#context = {
      gl: this.gl,
      frame: this.frame,
      state: this.state,
      log: this.log,
      nodeOptions: options.nodeOptions ?? {},
      lookup: (id) => this.#ids.get(id),
      resolvePath: (path) => resolve(this.#scope.folder, path),
      lockstep: this.lockstep,
      defer: (work) => {
        if (this.lockstep) this.#deferred.push(work);
      },
      advanceFrames: (owner, ms) =>
        !this.lockstep && this.pacer.advance(owner, ms),
      releaseFrames: (owner) => this.pacer.release(owner),
      track: (work, what) => this.#track(work, what),
      windows: this.windows,
      endRun: (reason) => {
        if (!this.#stopped) this.log.info(`${reason}: ending the run`);
        this.stop();
      },
    };
    this.#install(model);
  }

  /**
   * Loads the scene file `file` and creates an engine for it; throws
   * {@linkcode SceneError} when the scene cannot be loaded.
   */
  static async open(
    file: string,
    options: EngineOptions = {},
  ): Promise<Engine> {
    const model = await loadSceneFile(file);
    const engine = new Engine(file, model, options);
    if (options.watch ?? true) engine.#startWatching();
    return engine;
  }

  /** Creates an engine for scene text (no file watching); `name` is used in messages. */
  static fromText(
    text: string,
    name = "scene.toml",
    options: EngineOptions = {},
  ): Engine {
    return new Engine(name, loadSceneText(text, name), options);
  }

  /** The scene model being rendered. */
  get model(): SceneModel {
    return this.#model;
  }

  /** How many reloads have replaced the scene. */
  get reloads(): number {
    return this.#reloads;
  }

  /** The node with `id=ID`, if present. */
  node(id: string): SceneNode | undefined {
    return this.#ids.get(id);
  }

  /**
   * The output image of the node with `id=ID` as 8-bit sRGB RGBA, top row
   * first (reads back from the GPU: for tests and tools, not per frame).
   */
  readImage(id: string): { width: number; height: number; data: Uint8Array } {
    const output = this.#ids.get(id)?.output;
    if (!output) {
      throw new RangeError(`No node with id "${id}" has an output image`);
    }
    this.gl.ensureCurrent();
    const converted = this.gl.convert(output, { flip: true });
    const data = this.gl.readPixels(0, 0, converted.width, converted.height);
    return { width: converted.width, height: converted.height, data };
  }

  /** Instances of the top-level nodes present in the last frame. */
  get roots(): SceneNode[] {
    return this.#roots.flatMap((live) => live.instance ? [live.instance] : []);
  }

  /**
   * Re-reads the scene file; on success the new scene replaces the old,
   * keeping nodes that still match. A broken scene is logged and the old
   * one stays. Returns whether the scene was replaced.
   */
  async reload(): Promise<boolean> {
    this.#files.invalidate();
    try {
      const model = await loadSceneFile(this.#file);
      while (this.#frameInProgress !== null) await this.#frameInProgress;
      this.#install(model);
      this.#reloads++;
      this.log.info(`Reloaded ${this.#file}`);
      return true;
    } catch (error) {
      return this.#keepLastGood(error);
    }
  }

  /** Replaces the scene with `text` (as if the file had changed to it). */
  replaceText(text: string): boolean {
    try {
      this.#install(loadSceneText(text, this.#file));
      this.#reloads++;
      return true;
    } catch (error) {
      return this.#keepLastGood(error);
    }
  }

  /** Logs a scene that cannot replace the current one; rethrows anything else. */
  #keepLastGood(error: unknown): false {
    if (!(error instanceof SceneError)) throw error;
    this.log.error(`${error.message} (keeping the last good scene)`);
    return false;
  }

  #install(model: SceneModel): void {
    for (const warning of model.warnings) this.log.warn(warning);
    this.#model = model;
    this.#scope.setLets(model.lets);
    this.#roots = reconcile(model.nodes, this.#roots, model.file, this.#ids);
  }

  #startWatching(): void {
    this.#watcher = new FileWatcher((changed) => {
      for (const file of changed) this.#files.invalidate(file);
      const sceneChanged = changed.includes(resolve(this.#file));
      if (sceneChanged) this.reload().then(() => this.#updateWatchList());
      else this.log.info(`Re-read ${changed.join(", ")}`);
    });
    this.#updateWatchList();
  }

  #updateWatchList(): void {
    this.#watcher?.watch([resolve(this.#file), ...this.#files.paths()]);
  }

  /** Advances the clock to `time` seconds and renders one frame. */
  renderFrame(time?: number): void {
    this.gl.ensureCurrent();
    const knownFiles = this.#beginFrame(time);
    const scope = this.#scope;
    const inherited = this.#rootInheritance;
    for (const root of this.#roots) {
      root.update(this.#context, scope, inherited, this.#ids, this.log);
    }
    this.#endFrame(knownFiles);
  }

  /**
   * As {@linkcode renderFrame}, but nodes may let the event loop run in the
   * middle of the frame (`SceneNode.settle`): a `!webrtc` node lets the GPU
   * finish its children while the peer's newest frame is delivered, so that
   * frame is shown in this frame rather than the next. Scene reloads wait
   * for the frame to end. `run()` renders real-time frames this way.
   */
  async renderFrameAsync(time?: number): Promise<void> {
    if (!this.#roots.some((root) => root.maySettle)) {
      return this.renderFrame(time); // nothing to wait for: straight through
    }
    this.gl.ensureCurrent();
    const knownFiles = this.#beginFrame(time);
    const scope = this.#scope;
    const inherited = this.#rootInheritance;
    let done!: () => void;
    this.#frameInProgress = new Promise<void>((resolve) => done = resolve);
    try {
      for (const root of [...this.#roots]) {
        await root.updateAsync(
          this.#context,
          scope,
          inherited,
          this.#ids,
          this.log,
        );
      }
      this.#endFrame(knownFiles);
    } finally {
      this.#frameInProgress = null;
      done();
    }
  }

  /** Sets this frame's clock; returns how many files were known before it. */
  #beginFrame(time?: number): number {
    this.#pollWindows();
    const frame = this.frame;
    frame.startedAt = performance.now();
    const now = time ??
      (this.lockstep
        ? frame.frame / this.fps
        : (performance.now() - this.#startMs) / 1000);
    frame.delta = frame.frame === 0 ? 0 : now - frame.time;
    frame.time = now;
    frame.clock = Date.now() / 1000;
    frame.beat = now * frame.tempo / 60;
    this.#scope.evaluateLets();
    return this.#files.size;
  }

  /** Takes window events; ends the run when the display went away. */
  #pollWindows(): void {
    const windows = this.windows;
    windows.poll();
    if (windows.lost !== null && !this.#stopped) {
      this.log.warn(`${windows.lost}: ending the run`);
      this.stop();
    }
  }

  #endFrame(knownFiles: number): void {
    this.frame.frame++;
    if (this.#watcher && this.#files.size !== knownFiles) {
      this.#updateWatchList();
    }
  }

  /**
   * Renders frames until `stop()`, the runtime is reached, or forever;
   * then closes the engine.
   */
  async run(): Promise<void> {
    this.#startMs = performance.now();
    this.pacer.start(this.#startMs);
    try {
      while (!this.#stopped) {
        if (this.runtime !== null) {
          const sceneTime = this.lockstep
            ? this.frame.frame / this.fps
            : (performance.now() - this.#startMs) / 1000;
          if (sceneTime >= this.runtime) break;
        }
        const began = performance.now();
        if (this.lockstep) this.renderFrame();
        else await this.renderFrameAsync();
        const ended = performance.now();
        this.#statistics.add(ended - began);
        if (
          isVerbose() && this.#statistics.elapsed >= STATISTICS_PERIOD_SECONDS
        ) {
          this.log.info(this.#statistics.takeSummary());
        }
        if (this.lockstep) {
          if (this.#deferred.length > 0) {
            const work = this.#deferred;
            this.#deferred = [];
            await Promise.allSettled(work);
          }
          await this.#pause(0);
        } else {
          const next = this.pacer.nextStart(ended);
          await this.#pause(Math.max(0, next - performance.now()));
        }
      }
    } finally {
      await this.dispose();
    }
  }

  /**
   * Closes the engine and waits until the work its nodes handed over with
   * `ctx.track` is done (recordings complete, calls hung up); await it
   * before the process exits.
   */
  async dispose(): Promise<void> {
    this.close();
    await this.settled();
  }

  /**
   * Resolves when all work handed over with `ctx.track` so far has finished
   * (including work tracked while waiting), e.g. what nodes removed by a
   * reload were closing.
   */
  async settled(): Promise<void> {
    while (this.#tracked.size > 0) await Promise.allSettled(this.#tracked);
  }

  #track(work: Promise<unknown>, what: string): void {
    const tracked: Promise<void> = work.then(
      () => {},
      (error) => {
        this.log.error(
          `${what}: ${error instanceof Error ? error.message : String(error)}`,
        );
      },
    ).finally(() => this.#tracked.delete(tracked));
    this.#tracked.add(tracked);
  }

  #pause(milliseconds: number): Promise<void> {
    return new Promise((done) => {
      const timer = setTimeout(() => {
        this.#wake = null;
        done();
      }, milliseconds);
      this.#wake = () => {
        clearTimeout(timer);
        this.#wake = null;
        done();
      };
    });
  }

  /**
   * As {@linkcode run}, but Ctrl-C (SIGINT) or SIGTERM stop it after the
   * current frame, so recordings are completed and calls hung up (what the
   * command line does).
   */
  async runUntilSignalled(): Promise<void> {
    const stop = () => this.stop();
    Deno.addSignalListener("SIGINT", stop);
    Deno.addSignalListener("SIGTERM", stop);
    try {
      await this.run();
    } finally {
      Deno.removeSignalListener("SIGINT", stop);
      Deno.removeSignalListener("SIGTERM", stop);
    }
  }

  /** Asks `run()` to finish after the current frame. */
  stop(): void {
    this.#stopped = true;
    this.#wake?.();
  }

  /** Destroys all nodes (files are completed) and the GL context. */
  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    this.#stopped = true;
    this.#watcher?.close();
    this.#watcher = null;
    for (const root of this.#roots) root.destroy(this.#ids);
    this.#roots = [];
    this.gl.destroy();
    this.windows.dispose();
  }
}

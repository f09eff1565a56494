/**
 * A tiny stand-in for the engine in render tests: builds node instances from
 * a plain tree, and prepares/renders them depth first exactly as
 * `lib/scene/node.ts` documents (ids registered, `hidden=` set, children
 * between `prepare` and `render`).
 *
 * @module
 */

import { GLContext } from "../../lib/gl/context.ts";
import { FramePacer } from "../../lib/engine/frame_pacer.ts";
import { getLogger } from "../../lib/log/logger.ts";
import { Attributes } from "../../lib/scene/attributes.ts";
import type { Value } from "../../lib/expr/values.ts";
import {
  type FrameInfo,
  getNodeKind,
  type Inherited,
  type RenderContext,
  type SceneNode,
} from "../../lib/scene/node.ts";
import "../../lib/render/nodes/mod.ts";

/** What the engine passes to top-level nodes: 512x512, no `colorbits=`. */
const ROOT_INHERITANCE: Inherited = { size: [512, 512], colorbits: null };

/** A node of a test scene. */
export interface TestNode {
  kind: string;
  attrs?: Record<string, Value>;
  children?: TestNode[];
}

interface Live {
  model: TestNode;
  instance: SceneNode;
  attributes: Attributes;
  children: Live[];
}

/** Renders a test scene frame by frame on a real GL context. */
export class TestScene {
  readonly gl: GLContext;
  /** The frame schedule nodes may steer (`ctx.advanceFrames`), at 60 fps. */
  readonly pacer: FramePacer = new FramePacer(60);
  readonly ids = new Map<string, SceneNode>();
  readonly frame: FrameInfo = {
    time: 0,
    clock: 0,
    frame: 0,
    fps: 30,
    beat: 0,
    tempo: 60,
    delta: 0,
    startedAt: 0,
  };
  readonly ctx: RenderContext;
  roots: Live[] = [];
  /** Errors thrown by nodes in the last frame. */
  errors: unknown[] = [];
  /** Work handed to `ctx.defer` during the last frame. */
  deferred: Promise<unknown>[] = [];
  /** Work handed to `ctx.track` (awaited by {@linkcode destroy}). */
  readonly tracked: Promise<unknown>[] = [];

  /**
   * @param roots the scene's top-level nodes
   * @param folder where relative file names resolve
   * @param lockstep what `ctx.lockstep` says (then await {@linkcode settle} after each frame)
   */
  constructor(roots: TestNode[], readonly folder = ".", lockstep = false) {
    this.gl = GLContext.create();
    const state = new Map<unknown, Value>();
    this.ctx = {
      gl: this.gl,
      frame: this.frame,
      state: {
        get: (key) => state.get(key) ?? null,
        set: (key, value) => void state.set(key, value),
      },
      log: getLogger("test"),
      nodeOptions: {},
      lookup: (id) => this.ids.get(id),
      resolvePath: (path) =>
        path.startsWith("/") ? path : `${this.folder}/${path}`,
      lockstep,
      defer: (work) => void this.deferred.push(work),
      advanceFrames: (owner, ms) => !lockstep && this.pacer.advance(owner, ms),
      releaseFrames: (owner) => this.pacer.release(owner),
      track: (work) => void this.tracked.push(work),
    };
    this.roots = roots.map((root, i) => this.#build(root, `nodes[${i}]`));
  }

  #build(model: TestNode, path: string): Live {
    const kind = getNodeKind(model.kind);
    if (kind === undefined) throw new Error(`No node kind ${model.kind}`);
    const attributes = new Attributes(
      path,
      new Map(Object.entries(model.attrs ?? {})),
    );
    return {
      model,
      instance: kind.create(this.ctx),
      attributes,
      children: (model.children ?? []).map((child, i) =>
        this.#build(child, `${path}.children[${i}]`)
      ),
    };
  }

  /** Sets attribute `name` of the node at `path` (indices from the roots). */
  set(path: number[], name: string, value: Value): void {
    let live = this.roots[path[0]];
    for (const index of path.slice(1)) live = live.children[index];
    live.attributes.set(name, value);
  }

  /** The instance at `path`. */
  node(path: number[]): SceneNode {
    let live = this.roots[path[0]];
    for (const index of path.slice(1)) live = live.children[index];
    return live.instance;
  }

  /** Renders one frame; `beat` advances by `beats` (time by the same seconds at 60 bpm). */
  render(beats = 1): void {
    this.errors = [];
    this.deferred = [];
    this.frame.startedAt = performance.now();
    for (const root of this.roots) this.#update(root, ROOT_INHERITANCE);
    this.frame.frame++;
    this.frame.beat += beats;
    this.frame.time += beats;
    this.frame.delta = beats;
  }

  #update(live: Live, inherited: Inherited): void {
    const { instance, attributes } = live;
    const kind = getNodeKind(live.model.kind)!;
    const id = attributes.has("id") && !kind.idRefersToOther
      ? String(attributes.get("id"))
      : null;
    instance.id = id;
    if (id !== null) this.ids.set(id, instance);
    instance.hidden = attributes.boolean("hidden", false);
    let passed = inherited;
    try {
      passed = instance.prepare(this.ctx, attributes, inherited);
    } catch (error) {
      this.errors.push(error);
    }
    for (const child of live.children) this.#update(child, passed);
    try {
      instance.render(this.ctx, live.children.map((child) => child.instance));
    } catch (error) {
      this.errors.push(error);
    }
  }

  /** Waits for the work nodes deferred in the last frame (lockstep). */
  async settle(): Promise<void> {
    await Promise.all(this.deferred);
  }

  /** RGBA8 (sRGB, top row first) of the node at `path`. */
  read(
    path: number[],
    unpremultiply = false,
  ): { width: number; height: number; data: Uint8Array } {
    const output = this.node(path).output;
    if (output === null) throw new Error(`Node ${path} has no output`);
    const data = this.gl.readTarget(output, undefined, { unpremultiply });
    return { width: output.width, height: output.height, data };
  }

  /**
   * Destroys every node (children first) and the GL context, then waits
   * for the work nodes handed over with `ctx.track` (files completed).
   */
  async destroy(): Promise<void> {
    const destroy = (live: Live) => {
      for (const child of live.children) destroy(child);
      live.instance.destroy();
    };
    for (const root of this.roots) destroy(root);
    this.gl.destroy();
    await Promise.all(this.tracked);
  }
}

/** sRGB byte of a linear value (as the read-back encodes it). */
export function srgbByte(linear: number): number {
  const c = Math.min(1, Math.max(0, linear));
  const encoded = c <= 0.0031308
    ? c * 12.92
    : 1.055 * Math.pow(c, 1 / 2.4) - 0.055;
  return Math.round(encoded * 255);
}

/** The expected read-back of a linear premultiplied RGBA colour. */
export function expectedBytes(rgba: readonly number[]): number[] {
  return [
    srgbByte(rgba[0]),
    srgbByte(rgba[1]),
    srgbByte(rgba[2]),
    Math.round(Math.min(1, Math.max(0, rgba[3])) * 255),
  ];
}

/** A fragment shader filling with uniform `fill` (vec4). */
export const FILL_SHADER = `\${HEADER}
in vec2 coord;
out vec4 color;
uniform vec4 fill;
void main() {
    color = fill;
}
`;

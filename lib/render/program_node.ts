/**
 * {@linkcode ProgramNode}: the base of every node that runs a full-screen
 * shader program into its own output image (Flitter's "program nodes":
 * `!window`, `!offscreen`, `!shader`, `!transform`, `!feedback`, `!record`).
 *
 * Each frame it gathers the outputs of its non-hidden children as
 * `texture0…N`, compiles its program when the source text changes (programs
 * are shared between nodes with equal sources), sets the standard uniforms,
 * uniforms named like attributes, and runs `passes=` passes. The `last`
 * sampler is the node's previous output (or the previous pass's); targets
 * are only double-buffered when a program asks for `last` or has several
 * passes.
 *
 * @module
 */

import type { Attributes } from "../scene/attributes.ts";
import { formatLocation } from "../scene/errors.ts";
import { isTruthy, type Value } from "../expr/values.ts";
import type { GLContext } from "../gl/context.ts";
import { DEFAULT_VERTEX_SOURCE } from "../gl/context.ts";
import { GL } from "../gl/gles.ts";
import {
  isIntegerType,
  ShaderProgram,
  uniformComponents,
  type UniformInfo,
} from "../gl/shader.ts";
import {
  formatForColorbits,
  RenderTarget,
  type SamplingOptions,
  Texture,
  type TextureFormat,
} from "../gl/texture.ts";
import {
  compositeFragmentSource,
  type CompositeMode,
  isCompositeMode,
} from "./glsl_library.ts";
import {
  type FrameInfo,
  type RenderContext,
  SceneNode,
  type Size,
} from "./node.ts";
import {
  isTemplate,
  ShaderTemplate,
  type TemplateValue,
} from "./shader_template.ts";

// ---------------------------------------------------------------------------
// Per-context shared state: program cache, zero texture, tree colour depth.

interface SharedProgram {
  readonly key: string;
  readonly program: ShaderProgram;
  users: number;
}

interface ContextShared {
  programs: Map<string, SharedProgram>;
  zero: Texture | null;
  colorbits: number | null;
}

const shared = new WeakMap<GLContext, ContextShared>();

function sharedOf(gl: GLContext): ContextShared {
  let state = shared.get(gl);
  if (state === undefined) {
    state = { programs: new Map(), zero: null, colorbits: null };
    shared.set(gl, state);
  }
  return state;
}

function acquireProgram(
  gl: GLContext,
  vertex: string,
  fragment: string,
  name: string,
): SharedProgram {
  const programs = sharedOf(gl).programs;
  const key = `${vertex}\u0000${fragment}`;
  let entry = programs.get(key);
  if (entry === undefined) {
    entry = {
      key,
      program: ShaderProgram.compile(gl, vertex, fragment, name),
      users: 0,
    };
    programs.set(key, entry);
  }
  entry.users++;
  return entry;
}

function releaseProgram(gl: GLContext, entry: SharedProgram): void {
  entry.users--;
  if (entry.users <= 0) {
    sharedOf(gl).programs.delete(entry.key);
    entry.program.destroy();
  }
}

/** Number of programs compiled and alive in `gl`'s cache (for tests). */
export function cachedProgramCount(gl: GLContext): number {
  return sharedOf(gl).programs.size;
}

/** A 1x1 transparent texture for samplers with nothing to sample. */
export function zeroTexture(gl: GLContext): Texture {
  const state = sharedOf(gl);
  if (state.zero === null) {
    state.zero = new Texture(gl, 1, 1, "rgba8");
    state.zero.upload(new Uint8Array(4));
  }
  return state.zero;
}

/**
 * Sets the `colorbits=` that nodes below the current top-level node inherit
 * (a `!window` or `!offscreen` calls this in `prepare`, before its subtree
 * is prepared).
 */
export function setTreeColorbits(
  gl: GLContext,
  colorbits: number | null,
): void {
  sharedOf(gl).colorbits = colorbits;
}

/** The `colorbits=` inherited by nodes of the tree being prepared. */
export function treeColorbits(gl: GLContext): number | null {
  return sharedOf(gl).colorbits;
}

// ---------------------------------------------------------------------------
// Uniform plan: how each active uniform gets its value, decided once per
// program, then written each frame into preallocated arrays.

const enum Source {
  Size,
  Time,
  Clock,
  Beat,
  Tempo,
  Delta,
  Fps,
  Performance,
  Pass,
  Passes,
  Attribute,
  Node,
  Child,
  Last,
  First,
  Zero,
}

const STANDARD: Record<string, Source> = {
  size: Source.Size,
  time: Source.Time,
  clock: Source.Clock,
  beat: Source.Beat,
  tempo: Source.Tempo,
  delta: Source.Delta,
  fps: Source.Fps,
  performance: Source.Performance,
  pass: Source.Pass,
  passes: Source.Passes,
  last: Source.Last,
  first: Source.First,
};

interface Slot {
  readonly info: UniformInfo;
  readonly source: Source;
  /** Child index for `Child` samplers. */
  readonly index: number;
  readonly data: Float32Array<ArrayBuffer> | Int32Array<ArrayBuffer>;
  /** Value used when the attribute is missing. */
  readonly fallback: readonly number[];
}

const TEXTURE_NAME = /^texture(\d+)$/;

/** Sampler options shared by the node's inputs. */
interface Sampling extends SamplingOptions {
  border: [number, number, number, number] | null;
  repeat: [boolean, boolean];
  nearest: boolean;
}

/** Base class of nodes that draw a full-screen program into their output. */
export abstract class ProgramNode extends SceneNode {
  /** This frame's attributes (set in `prepare`). */
  protected attrs: Attributes | null = null;
  /** Output width and height for this frame. */
  protected width = 512;
  /** Output height for this frame. */
  protected height = 512;
  /** Output format for this frame. */
  protected format: TextureFormat = "rgba16f";
  /** Whether `render` has drawn at least once into the current targets. */
  protected rendered = false;

  #gl: GLContext | null = null;
  #front: RenderTarget | null = null;
  #back: RenderTarget | null = null;
  #first: RenderTarget | null = null;
  #program: SharedProgram | null = null;
  #failedKey: string | null = null;
  #failure: unknown = null;
  #plan: Slot[] = [];
  #usesLast = false;
  #usesFirst = false;
  readonly #textures: Texture[] = [];
  readonly #sampling: Sampling = {
    border: [0, 0, 0, 0],
    repeat: [false, false],
    nearest: false,
  };
  #passed: Texture | null = null;
  readonly #batchTargets: [RenderTarget | null, RenderTarget | null] = [
    null,
    null,
  ];
  readonly #batchPrograms = new Map<string, SharedProgram>();
  #templated = false;
  #frame: FrameInfo | null = null;
  /** Attribute values the program's sources were built from. */
  readonly #sourceInputs: {
    fragment: Value | undefined;
    vertex: Value | undefined;
    composite: Value | undefined;
    children: number;
  } = {
    fragment: undefined,
    vertex: undefined,
    composite: undefined,
    children: -1,
  };
  #beatBefore: number | null = null;
  #beatDelta = 0;

  /**
   * The output image once rendered: the last pass's target, or the only
   * child's image when the node passes it through unchanged.
   */
  override get output(): Texture | null {
    if (!this.rendered) return null;
    return this.#passed ?? this.#front?.texture ?? null;
  }

  /**
   * The node's own render target, when this frame drew into it (`null`
   * when nothing was rendered or the child's image was passed through; use
   * `output` with `GLContext.readTarget` to read either).
   */
  get target(): RenderTarget | null {
    return this.rendered && this.#passed === null ? this.#front : null;
  }

  /**
   * Whether the default compositing may be skipped when it would copy one
   * child's image unchanged, making the child's image this node's `output`
   * (and `target` null). Off by default; `!window`, `!offscreen` and
   * `!shader` turn it on. Subclasses that read their own `target` keep it off.
   */
  protected allowsPassThrough(): boolean {
    return false;
  }

  /** Size when `size=` is absent (default: the parent's size). */
  protected defaultSize(inherited: Size): Size {
    return inherited;
  }

  /**
   * Fragment source for this frame (default: `fragment=` or compositing).
   * Sources are only rebuilt when `fragment=`, `vertex=`, `composite=` or
   * the number of children change, so an override may depend on no more.
   */
  protected fragmentSource(attrs: Attributes, childCount: number): string {
    const custom = attrs.string("fragment", null);
    if (custom !== null && custom.trim() !== "") {
      return this.#expand(custom, attrs, childCount);
    }
    return compositeFragmentSource(childCount, this.compositeMode(attrs));
  }

  /** Vertex source for this frame (default: `vertex=` or Flitter's). */
  protected vertexSource(attrs: Attributes, childCount = 0): string {
    const custom = attrs.string("vertex", null);
    return custom !== null && custom.trim() !== ""
      ? this.#expand(custom, attrs, childCount)
      : DEFAULT_VERTEX_SOURCE;
  }

  /**
   * Runs a custom source through Flitter's (Mako) templating when it uses
   * any (see `shader_template.ts`), with the node's attributes, the
   * standard values, `child_textures` and `composite`.
   */
  #expand(source: string, attrs: Attributes, childCount: number): string {
    if (!isTemplate(source)) return source;
    this.#templated = true;
    const values = new Map<string, TemplateValue>();
    for (const [name, value] of attrs.entries()) {
      if (name === "fragment" || name === "vertex") continue;
      values.set(name, templateValue(value));
    }
    const frame = this.#frame;
    if (frame !== null) {
      for (const name of ["time", "clock", "beat", "tempo", "fps"] as const) {
        if (!values.has(name)) values.set(name, frame[name]);
      }
    }
    values.set("size", [this.width, this.height]);
    values.set("delta", this.#beatDelta);
    if (!values.has("alpha")) values.set("alpha", 1);
    if (!values.has("gamma")) values.set("gamma", 1);
    if (!values.has("passes")) values.set("passes", 1);
    values.set("composite", this.compositeMode(attrs));
    values.set(
      "child_textures",
      Array.from({ length: childCount }, (_, i) => `texture${i}`),
    );
    return templateFor(source).render(values);
  }

  /** `composite=` (or Flitter's older `blend=`), default `:over`. */
  protected compositeMode(attrs: Attributes): CompositeMode {
    const mode = attrs.symbol("composite", null) ??
      attrs.symbol("blend", "over");
    if (isCompositeMode(mode)) return mode;
    attrs.warnShape(
      "composite",
      attrs.get("composite"),
      `one of :over :dest_over :lighten :darken :add :difference :multiply`,
    );
    return "over";
  }

  /** Sampling of inputs without `border=`/`repeat=` (Flitter: transparent outside). */
  protected defaultSampling(): {
    border: [number, number, number, number] | null;
    repeat: [boolean, boolean];
  } {
    return { border: [0, 0, 0, 0], repeat: [false, false] };
  }

  /** Uniform values the node computes itself, by name (see `writeNodeUniform`). */
  protected nodeUniforms(): ReadonlySet<string> {
    return NO_NAMES;
  }

  /** Writes the value of node uniform `name` for this frame into `out`. */
  protected writeNodeUniform(
    _name: string,
    _out: Float32Array | Int32Array,
  ): void {}

  /** Defaults of attribute-driven uniforms (missing attributes give these, else 0). */
  protected uniformDefaults(): Readonly<Record<string, readonly number[]>> {
    return BASE_DEFAULTS;
  }

  /** Attributes → size and format; subclasses extend with `super.prepare`. */
  prepare(ctx: RenderContext, attrs: Attributes, inherited: Size): Size {
    this.#gl = ctx.gl;
    this.attrs = attrs;
    const size = attrs.vector("size", 2, null);
    let [width, height] = size ?? this.defaultSize(inherited);
    width = Math.max(1, Math.round(width));
    height = Math.max(1, Math.round(height));
    if (!Number.isFinite(width) || !Number.isFinite(height)) {
      [width, height] = [512, 512];
    }
    this.width = width;
    this.height = height;
    const colorbits = attrs.number("colorbits", null) ?? treeColorbits(ctx.gl);
    this.format = formatForColorbits(colorbits);
    return [width, height];
  }

  /** Composites the children with the node's program. */
  render(ctx: RenderContext, children: readonly SceneNode[]): void {
    const attrs = this.attrs;
    if (attrs === null) return;
    const gl = ctx.gl;
    const textures = this.#textures;
    textures.length = 0;
    for (const child of children) {
      if (child.hidden) continue;
      const output = child.output;
      if (output !== null) textures.push(output);
    }
    const passes = Math.max(
      1,
      Math.min(64, Math.round(attrs.number("passes", 1))),
    );
    this.#updateBeat(ctx);
    if (this.#passesThrough(attrs, textures, passes)) {
      this.#passed = textures[0];
      this.rendered = true;
      return;
    }
    this.#passed = null;
    this.#updateSampling(attrs);
    // Reserve units for `last` and `first`.
    const inputLimit = gl.drawUnits - 2;
    if (textures.length > inputLimit) {
      if (this.#hasCustomSource(attrs)) {
        throw new Error(
          `A custom shader can sample at most ${inputLimit} children here; this node has ${textures.length}`,
        );
      }
      this.#precomposite(gl, textures, this.compositeMode(attrs), inputLimit);
    }
    const failure = this.#ensureProgram(gl, attrs, textures.length);
    this.#ensureTargets(gl, passes);
    this.beforeDraw(ctx);
    const program = this.#program!.program;
    program.use();
    gl.setBlend(false);
    for (let pass = 0; pass < passes; pass++) {
      const drawInto = this.#usesLast || passes > 1
        ? this.#back!
        : this.#front!;
      this.#setUniforms(ctx, pass, passes, drawInto);
      drawInto.bind();
      gl.drawQuad();
      if (drawInto !== this.#front) {
        this.#back = this.#front;
        this.#front = drawInto;
      }
      if (pass === 0 && this.#usesFirst && passes > 2) this.#copyFirst(gl);
    }
    this.rendered = true;
    if (failure !== null) throw failure;
  }

  #hasCustomSource(attrs: Attributes): boolean {
    return attrs.string("fragment", "").trim() !== "" ||
      attrs.string("vertex", "").trim() !== "";
  }

  /**
   * Composites more children than a draw can sample in batches into an
   * internal target (in order, with the node's composite mode and
   * sampling), and leaves that one image as the only input.
   */
  #precomposite(
    gl: GLContext,
    textures: Texture[],
    mode: CompositeMode,
    limit: number,
  ): void {
    let accumulated: Texture | null = null;
    let index = 0;
    let which = 0;
    const batch: Texture[] = [];
    while (index < textures.length) {
      batch.length = 0;
      if (accumulated !== null) batch.push(accumulated);
      while (batch.length < limit && index < textures.length) {
        batch.push(textures[index++]);
      }
      let target = this.#batchTargets[which];
      if (
        target === null || !target.matches(this.width, this.height, this.format)
      ) {
        target?.destroy();
        target = this.#batchTargets[which] = new RenderTarget(
          gl,
          this.width,
          this.height,
          this.format,
        );
      }
      which ^= 1;
      let entry = this.#batchPrograms.get(`${batch.length} ${mode}`);
      if (entry === undefined) {
        entry = acquireProgram(
          gl,
          DEFAULT_VERTEX_SOURCE,
          compositeFragmentSource(batch.length, mode),
          "composite",
        );
        this.#batchPrograms.set(`${batch.length} ${mode}`, entry);
      }
      const program = entry.program;
      program.use();
      program.set("alpha", 1);
      program.set("gamma", 1);
      for (let unit = 0; unit < batch.length; unit++) {
        batch[unit].setSampling(this.#sampling);
        gl.bindTexture(unit, batch[unit].id);
        program.set(`texture${unit}`, unit);
      }
      gl.drawFullscreen(program, target);
      accumulated = target.texture;
    }
    textures.length = 0;
    textures.push(accumulated!);
  }

  /**
   * Whether the default composite of this frame would copy the only child
   * pixel for pixel: no custom program, one pass, one child of the node's
   * size, `alpha=1` and `gamma=1`.
   */
  #passesThrough(
    attrs: Attributes,
    textures: readonly Texture[],
    passes: number,
  ): boolean {
    if (textures.length !== 1 || passes !== 1 || !this.allowsPassThrough()) {
      return false;
    }
    const texture = textures[0];
    if (texture.width !== this.width || texture.height !== this.height) {
      return false;
    }
    if (attrs.has("fragment") && attrs.string("fragment", "").trim() !== "") {
      return false;
    }
    if (attrs.has("vertex") && attrs.string("vertex", "").trim() !== "") {
      return false;
    }
    return attrs.number("alpha", 1) === 1 && attrs.number("gamma", 1) === 1;
  }

  /** Hook before the passes are drawn (node uniforms may be computed here). */
  protected beforeDraw(_ctx: RenderContext): void {}

  /** Beats since the previous frame this node rendered (0 on its first). */
  protected get beatDelta(): number {
    return this.#beatDelta;
  }

  #updateBeat(ctx: RenderContext): void {
    this.#frame = ctx.frame;
    const beat = ctx.frame.beat;
    this.#beatDelta = this.#beatBefore === null
      ? 0
      : Math.max(0, beat - this.#beatBefore);
    this.#beatBefore = beat;
  }

  /**
   * Compiles (or takes from the cache) the program for this frame's sources.
   * When that fails and an older program exists, the node keeps drawing with
   * it and returns the error, to be thrown once the frame is drawn.
   */
  #ensureProgram(
    gl: GLContext,
    attrs: Attributes,
    childCount: number,
  ): unknown {
    // Fast path: the attributes that pick the sources are the same values
    // as last frame (constant strings are the same objects).
    const inputs = this.#sourceInputs;
    const fragmentValue = attrs.get("fragment");
    const vertexValue = attrs.get("vertex");
    const compositeValue = attrs.get("composite") ?? attrs.get("blend");
    if (
      this.#program !== null && this.#failedKey === null &&
      inputs.fragment === fragmentValue && inputs.vertex === vertexValue &&
      inputs.composite === compositeValue && inputs.children === childCount
    ) return null;
    inputs.fragment = fragmentValue;
    inputs.vertex = vertexValue;
    inputs.composite = compositeValue;
    inputs.children = childCount;
    this.#templated = false;
    let vertex: string, fragment: string;
    try {
      vertex = this.vertexSource(attrs, childCount);
      fragment = this.fragmentSource(attrs, childCount);
    } catch (error) {
      // A template that fails to render: report it, keep the old program.
      inputs.children = -1;
      if (this.#program === null) throw error;
      return error;
    }
    // Templates depend on any attribute: expand them every frame.
    if (this.#templated) inputs.children = -1;
    const key = `${vertex}\u0000${fragment}`;
    if (this.#program !== null && this.#program.key === key) {
      this.#failedKey = null;
      this.#failure = null;
      return null;
    }
    let failure: unknown = null;
    if (this.#failedKey === key) failure = this.#failure;
    else {
      const where = formatLocation(attrs.location());
      try {
        const entry = acquireProgram(gl, vertex, fragment, where);
        if (this.#program !== null) releaseProgram(gl, this.#program);
        this.#program = entry;
        this.#failedKey = null;
        this.#failure = null;
        this.#buildPlan(entry.program);
        return null;
      } catch (error) {
        this.#failedKey = key;
        this.#failure = failure = error;
      }
    }
    if (this.#program === null) throw failure;
    return failure;
  }

  #buildPlan(program: ShaderProgram): void {
    const plan: Slot[] = [];
    const nodeNames = this.nodeUniforms();
    const defaults = this.uniformDefaults();
    this.#usesLast = false;
    this.#usesFirst = false;
    for (const info of program.uniforms.values()) {
      const name = info.name;
      let source: Source;
      let index = 0;
      const texture = TEXTURE_NAME.exec(name);
      if (nodeNames.has(name)) source = Source.Node;
      else if (texture !== null) {
        source = Source.Child;
        index = Number(texture[1]);
      } else if (name in STANDARD) source = STANDARD[name];
      else if (info.type === GL.SAMPLER_2D) source = Source.Zero;
      else source = Source.Attribute;
      if (source === Source.Last) this.#usesLast = true;
      if (source === Source.First) this.#usesFirst = true;
      const length = uniformComponents(info.type) * info.size;
      const data = isIntegerType(info.type)
        ? new Int32Array(length)
        : new Float32Array(length);
      plan.push({
        info,
        source,
        index,
        data,
        fallback: defaults[name] ?? ZERO,
      });
    }
    this.#plan = plan;
  }

  #ensureTargets(gl: GLContext, passes: number): void {
    const double = this.#usesLast || passes > 1;
    const { width, height, format } = this;
    const fresh = (target: RenderTarget | null): RenderTarget => {
      if (target !== null && target.matches(width, height, format)) {
        return target;
      }
      target?.destroy();
      const created = new RenderTarget(gl, width, height, format);
      created.clear();
      this.rendered = false;
      return created;
    };
    this.#front = fresh(this.#front);
    if (double) this.#back = fresh(this.#back);
    else if (this.#back !== null) {
      this.#back.destroy();
      this.#back = null;
    }
    if (this.#usesFirst && passes > 2) this.#first = fresh(this.#first);
    else if (this.#first !== null) {
      this.#first.destroy();
      this.#first = null;
    }
  }

  #copyFirst(gl: GLContext): void {
    gl.copyTarget(this.#front!, this.#first!);
  }

  #updateSampling(attrs: Attributes): void {
    const sampling = this.#sampling;
    const border = attrs.vector("border", 4, null);
    const repeat = attrs.has("repeat") ? attrs.get("repeat") : null;
    sampling.nearest = attrs.boolean("nearest", false);
    if (border !== null) {
      sampling.border = border as [number, number, number, number];
      sampling.repeat = [false, false];
    } else if (repeat !== null) {
      const values = Array.isArray(repeat) ? repeat : [repeat, repeat];
      sampling.border = null;
      sampling.repeat = [isTruthy(values[0]), isTruthy(values[1] ?? values[0])];
    } else {
      const fallback = this.defaultSampling();
      sampling.border = fallback.border;
      sampling.repeat = fallback.repeat;
    }
  }

  #setUniforms(
    ctx: RenderContext,
    pass: number,
    passes: number,
    drawInto: RenderTarget,
  ): void {
    const gl = ctx.gl;
    const program = this.#program!.program;
    const frame = ctx.frame;
    const attrs = this.attrs!;
    const textures = this.#textures;
    const sampling = this.#sampling;
    let unit = 0;
    for (const slot of this.#plan) {
      const data = slot.data;
      switch (slot.source) {
        case Source.Size:
          data[0] = drawInto.width;
          if (data.length > 1) data[1] = drawInto.height;
          break;
        case Source.Time:
          data.fill(frame.time);
          break;
        case Source.Clock:
          data.fill(frame.clock);
          break;
        case Source.Beat:
          data.fill(frame.beat);
          break;
        case Source.Tempo:
          data.fill(frame.tempo);
          break;
        case Source.Delta:
          data.fill(this.#beatDelta);
          break;
        case Source.Fps:
          data.fill(frame.fps);
          break;
        case Source.Performance:
          data.fill(1);
          break;
        case Source.Pass:
          data.fill(pass);
          break;
        case Source.Passes:
          data.fill(passes);
          break;
        case Source.Attribute:
          readAttribute(attrs, slot);
          break;
        case Source.Node:
          this.writeNodeUniform(slot.info.name, data);
          break;
        case Source.Child:
        case Source.Last:
        case Source.First:
        case Source.Zero: {
          let texture: Texture;
          if (slot.source === Source.Child) {
            texture = slot.index < textures.length
              ? textures[slot.index]
              : zeroTexture(gl);
          } else if (slot.source === Source.Last) {
            // Double-buffered: `front` holds the previous frame or pass.
            texture = this.#front !== drawInto
              ? this.#front!.texture
              : zeroTexture(gl);
          } else if (slot.source === Source.First) {
            texture = pass === 0
              ? zeroTexture(gl)
              : passes > 2 && this.#first !== null
              ? this.#first.texture
              : this.#front!.texture;
          } else texture = zeroTexture(gl);
          texture.setSampling(sampling);
          gl.bindTexture(unit, texture.id);
          data[0] = unit;
          unit++;
          break;
        }
      }
      program.setArray(slot.info, data, slot.info.size);
    }
  }

  /** Frees targets and releases the program. */
  override destroy(): void {
    this.#front?.destroy();
    this.#back?.destroy();
    this.#first?.destroy();
    this.#front = this.#back = this.#first = null;
    this.#passed = null;
    for (const target of this.#batchTargets) target?.destroy();
    this.#batchTargets[0] = this.#batchTargets[1] = null;
    if (this.#gl !== null) {
      for (const entry of this.#batchPrograms.values()) {
        releaseProgram(this.#gl, entry);
      }
    }
    this.#batchPrograms.clear();
    if (this.#program !== null && this.#gl !== null) {
      releaseProgram(this.#gl, this.#program);
    }
    this.#program = null;
    this.rendered = false;
  }
}

const templates = new Map<string, ShaderTemplate>();

/** The parsed template of `source` (a few are kept). */
function templateFor(source: string): ShaderTemplate {
  let template = templates.get(source);
  if (template === undefined) {
    template = new ShaderTemplate(source);
    templates.set(source, template);
    while (templates.size > 32) {
      templates.delete(templates.keys().next().value!);
    }
  }
  return template;
}

/** A scene value as a template value (symbols by name, vectors as lists). */
function templateValue(value: Value): TemplateValue {
  const convert = (item: Value): TemplateValue =>
    typeof item === "number" || typeof item === "string" || item === null
      ? item
      : Array.isArray(item)
      ? item.map((inner) => convert(inner as Value))
      : (item as { name: string }).name;
  return convert(value);
}

const NO_NAMES: ReadonlySet<string> = new Set();
const ZERO: readonly number[] = [0];
const BASE_DEFAULTS: Readonly<Record<string, readonly number[]>> = {
  alpha: [1],
  gamma: [1],
};

/**
 * Fills `slot.data` from the attribute of the same name: one number fills
 * every component, a vector fills as many elements as it covers (the rest
 * 0); missing or non-numeric values give the slot's fallback.
 */
function readAttribute(attrs: Attributes, slot: Slot): void {
  const data = slot.data;
  const value = attrs.get(slot.info.name);
  if (typeof value === "number") {
    data.fill(value);
    return;
  }
  if (Array.isArray(value)) {
    const components = uniformComponents(slot.info.type);
    const length = value.length;
    let numeric = length <= data.length && length % components === 0;
    for (let i = 0; numeric && i < length; i++) {
      numeric = typeof value[i] === "number";
    }
    if (numeric) {
      for (let i = 0; i < data.length; i++) {
        data[i] = i < length ? value[i] as number : 0;
      }
      return;
    }
    attrs.warnShape(
      slot.info.name,
      value,
      `${components} numbers per element for the shader uniform`,
    );
  } else if (value !== null) {
    attrs.warnShape(slot.info.name, value, "numbers for the shader uniform");
  }
  const fallback = slot.fallback;
  for (let i = 0; i < data.length; i++) data[i] = fallback[i % fallback.length];
}

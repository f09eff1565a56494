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
 * The parts live beside it: the shared program cache
 * (`program_cache.ts`), the uniform plan (`uniform_plan.ts`), template
 * expansion of custom sources (`shader_expansion.ts`), the pass targets
 * (`pass_targets.ts`) and batch compositing of many children
 * (`precomposite.ts`).
 *
 * @module
 */

import type { Attributes } from "../scene/attributes.ts";
import { formatLocation } from "../scene/errors.ts";
import type { GLContext } from "../gl/context.ts";
import { DEFAULT_VERTEX_SOURCE } from "../gl/context.ts";
import {
  formatForColorbits,
  type RenderTarget,
  type Texture,
  type TextureFormat,
} from "../gl/texture.ts";
import {
  compositeFragmentSource,
  type CompositeMode,
  isCompositeMode,
} from "./glsl_library.ts";
import {
  COMMON_ATTRIBUTES,
  type FrameInfo,
  type Inherited,
  PassedDown,
  type RenderContext,
  SceneNode,
  type Size,
} from "../scene/node.ts";
import { isTemplate } from "./shader_template.ts";
import { expandShaderSource, SourceInputs } from "./shader_expansion.ts";
import { ProgramHolder } from "./program_cache.ts";
import { PassInputs, UniformPlan } from "./uniform_plan.ts";
import { PassTargets } from "./pass_targets.ts";
import { Precompositor } from "./precomposite.ts";

/** Attributes of every program node. */
export const PROGRAM_ATTRIBUTES: readonly string[] = [
  ...COMMON_ATTRIBUTES,
  "colorbits",
  "composite",
  "blend",
  "alpha",
  "gamma",
  "fragment",
  "vertex",
  "passes",
  "border",
  "repeat",
  "nearest",
];

/** Base class of nodes that draw a full-screen program into their output. */
export abstract class ProgramNode extends SceneNode {
  /** What the children inherit (the same object while nothing changes). */
  readonly #passedDown = new PassedDown();
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
  readonly #targets = new PassTargets();
  readonly #program = new ProgramHolder();
  #plan: UniformPlan | null = null;
  readonly #inputs = new PassInputs((name, out) =>
    this.writeNodeUniform(name, out)
  );
  readonly #defaultSampling = () => this.defaultSampling();
  #passed: Texture | null = null;
  readonly #precompositor = new Precompositor();
  readonly #sources = new SourceInputs();
  #templated = false;
  #frame: FrameInfo | null = null;
  #beatBefore: number | null = null;
  #beatDelta = 0;

  /**
   * The output image once rendered: the last pass's target, or the only
   * child's image when the node passes it through unchanged.
   */
  override get output(): Texture | null {
    if (!this.rendered) return null;
    return this.#passed ?? this.#targets.front?.texture ?? null;
  }

  /**
   * The node's own render target, when this frame drew into it (`null`
   * when nothing was rendered or the child's image was passed through; use
   * `output` with `GLContext.readTarget` to read either).
   */
  get target(): RenderTarget | null {
    return this.rendered && this.#passed === null ? this.#targets.front : null;
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
   * any (see `shader_expansion.ts`).
   */
  #expand(source: string, attrs: Attributes, childCount: number): string {
    if (!isTemplate(source)) return source;
    this.#templated = true;
    return expandShaderSource(source, attrs, {
      frame: this.#frame,
      width: this.width,
      height: this.height,
      beatDelta: this.#beatDelta,
      composite: this.compositeMode(attrs),
      childCount,
    });
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

  /**
   * `colorbits=` default the children inherit: by default what this node
   * inherited (only `!window`, `!offscreen` and `!webrtc` set it for their
   * subtree).
   */
  protected childColorbits(
    _attrs: Attributes,
    inherited: Inherited,
  ): number | null {
    return inherited.colorbits;
  }

  /**
   * Attributes → size and format (`colorbits=`, else the inherited
   * default); the children inherit the node's size. Subclasses extend with
   * `super.prepare`.
   */
  prepare(
    ctx: RenderContext,
    attrs: Attributes,
    inherited: Inherited,
  ): Inherited {
    this.#gl = ctx.gl;
    this.attrs = attrs;
    const size = attrs.vector("size", 2, null);
    let [width, height] = size ?? this.defaultSize(inherited.size);
    width = Math.max(1, Math.round(width));
    height = Math.max(1, Math.round(height));
    if (!Number.isFinite(width) || !Number.isFinite(height)) {
      [width, height] = [512, 512];
    }
    this.width = width;
    this.height = height;
    const colorbits = attrs.number("colorbits", null) ?? inherited.colorbits;
    this.format = formatForColorbits(colorbits);
    return this.#passedDown.set(
      width,
      height,
      this.childColorbits(attrs, inherited),
    );
  }

  /** Composites the children with the node's program. */
  render(ctx: RenderContext, children: readonly SceneNode[]): void {
    const attrs = this.attrs;
    if (attrs === null) return;
    const gl = ctx.gl;
    const inputs = this.#inputs;
    const textures = inputs.textures;
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
    inputs.sampling.read(attrs, this.#defaultSampling);
    // Reserve units for `last` and `first`.
    const inputLimit = gl.drawUnits - 2;
    if (textures.length > inputLimit) {
      if (this.#hasCustomSource(attrs)) {
        throw new Error(
          `A custom shader can sample at most ${inputLimit} children here; this node has ${textures.length}`,
        );
      }
      this.#precompositor.composite(
        gl,
        textures,
        this.compositeMode(attrs),
        inputLimit,
        this.width,
        this.height,
        this.format,
        inputs.sampling,
      );
    }
    const failure = this.#ensureProgram(gl, attrs, textures.length);
    const plan = this.#plan!;
    const double = plan.usesLast || passes > 1;
    const keepFirst = plan.usesFirst && passes > 2;
    const targets = this.#targets;
    const { width, height, format } = this;
    if (targets.ensure(gl, width, height, format, double, keepFirst)) {
      this.rendered = false;
    }
    this.beforeDraw(ctx);
    const program = this.#program.program!;
    program.use();
    gl.setBlend(false);
    inputs.frame = ctx.frame;
    inputs.attrs = attrs;
    inputs.beatDelta = this.#beatDelta;
    inputs.passes = passes;
    for (let pass = 0; pass < passes; pass++) {
      const drawInto = targets.drawTarget(double);
      inputs.pass = pass;
      inputs.width = drawInto.width;
      inputs.height = drawInto.height;
      inputs.last = targets.last(drawInto);
      inputs.first = targets.first(pass, passes);
      plan.write(gl, program, inputs);
      drawInto.bind();
      gl.drawQuad();
      targets.drew(drawInto);
      if (pass === 0 && keepFirst) targets.keepFirst(gl);
    }
    this.rendered = true;
    if (failure !== null) throw failure;
  }

  #hasCustomSource(attrs: Attributes): boolean {
    return attrs.string("fragment", "").trim() !== "" ||
      attrs.string("vertex", "").trim() !== "";
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
    if (this.#hasCustomSource(attrs)) return false;
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
    const holder = this.#program;
    const sources = this.#sources;
    if (
      sources.update(attrs, childCount) && holder.program !== null &&
      !holder.failing
    ) return null;
    this.#templated = false;
    let vertex: string, fragment: string;
    try {
      vertex = this.vertexSource(attrs, childCount);
      fragment = this.fragmentSource(attrs, childCount);
    } catch (error) {
      // A template that fails to render: report it, keep the old program.
      sources.forget();
      if (holder.program === null) throw error;
      return error;
    }
    // Templates depend on any attribute: expand them every frame.
    if (this.#templated) sources.forget();
    const held = holder.program;
    const where = formatLocation(attrs.location());
    const failure = holder.select(gl, vertex, fragment, where);
    if (holder.program !== held) {
      this.#plan = new UniformPlan(
        holder.program!,
        this.nodeUniforms(),
        this.uniformDefaults(),
      );
    }
    return failure;
  }

  /** Frees targets and releases the program. */
  override destroy(): void {
    this.#targets.destroy();
    this.#passed = null;
    this.#precompositor.destroy(this.#gl);
    if (this.#gl !== null) this.#program.release(this.#gl);
    this.rendered = false;
  }
}

const NO_NAMES: ReadonlySet<string> = new Set();
const BASE_DEFAULTS: Readonly<Record<string, readonly number[]>> = {
  alpha: [1],
  gamma: [1],
};

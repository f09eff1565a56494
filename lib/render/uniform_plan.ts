/**
 * The uniform plan of a program node: how each active uniform of its
 * program gets its value, decided once per program, then written each pass
 * from arrays allocated with the plan (so a frame allocates nothing).
 *
 * A uniform is, in this order of precedence: a value the node computes
 * itself (its `nodeUniforms()`), a child's image (`texture0…N`), a standard
 * value (`size time clock beat tempo delta fps performance pass passes`, or
 * the samplers `last` and `first`), a sampler with nothing to sample (the
 * zero texture), or else the attribute of the same name (a number fills
 * every component, a vector as many elements as it covers; missing, the
 * node's default for it or 0). Every sampled image is sampled as the node's
 * {@linkcode InputSampling} says (`border=`, `repeat=`, `nearest=`).
 *
 * @module
 */

import type { Attributes } from "../scene/attributes.ts";
import { isTruthy } from "../expr/values.ts";
import type { FrameInfo } from "../scene/node.ts";
import type { GLContext } from "../gl/context.ts";
import { GL } from "../gl/gles.ts";
import {
  isIntegerType,
  type ShaderProgram,
  uniformComponents,
  type UniformInfo,
} from "../gl/shader.ts";
import type { SamplingOptions, Texture } from "../gl/texture.ts";
import { zeroTexture } from "./program_cache.ts";

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

const TEXTURE_NAME = /^texture(\d+)$/;
const ZERO: readonly number[] = [0];

interface Slot {
  readonly info: UniformInfo;
  readonly source: Source;
  /** Child index for `Child` samplers. */
  readonly index: number;
  readonly data: Float32Array<ArrayBuffer> | Int32Array<ArrayBuffer>;
  /** Value used when the attribute is missing. */
  readonly fallback: readonly number[];
}

/**
 * How a node's inputs are sampled: `border=` (colour outside), else
 * `repeat=` (one flag, or horizontal and vertical), else the node's default;
 * `nearest=` for nearest-pixel filtering.
 */
export class InputSampling implements SamplingOptions {
  /** Premultiplied colour outside the image, or `null` to clamp or repeat. */
  border: [number, number, number, number] | null = [0, 0, 0, 0];
  /** Repeat horizontally / vertically (when `border` is `null`). */
  repeat: [boolean, boolean] = [false, false];
  /** Nearest-pixel instead of linear filtering. */
  nearest = false;

  /**
   * Reads `border=`, `repeat=` and `nearest=`; with neither `border=` nor
   * `repeat=`, takes `border` and `repeat` from `fallback()`.
   */
  read(
    attrs: Attributes,
    fallback: () => {
      border: [number, number, number, number] | null;
      repeat: [boolean, boolean];
    },
  ): void {
    const border = attrs.vector("border", 4, null);
    const repeat = attrs.has("repeat") ? attrs.get("repeat") : null;
    this.nearest = attrs.boolean("nearest", false);
    if (border !== null) {
      this.border = border as [number, number, number, number];
      this.repeat = [false, false];
    } else if (repeat !== null) {
      const values = Array.isArray(repeat) ? repeat : [repeat, repeat];
      this.border = null;
      this.repeat = [isTruthy(values[0]), isTruthy(values[1] ?? values[0])];
    } else {
      const chosen = fallback();
      this.border = chosen.border;
      this.repeat = chosen.repeat;
    }
  }
}

/**
 * What one pass of a node gives its uniforms: a node keeps one of these,
 * fills `textures` and `sampling` each frame and the rest before each
 * {@linkcode UniformPlan.write}.
 */
export class PassInputs {
  /** The frame being rendered. */
  frame: FrameInfo | null = null;
  /** The node's attributes this frame. */
  attrs: Attributes | null = null;
  /** Beats since the node's previous frame (`delta`). */
  beatDelta = 0;
  /** This pass, from 0 (`pass`). */
  pass = 0;
  /** Passes this frame (`passes`). */
  passes = 1;
  /** Width of the target drawn into (`size`). */
  width = 0;
  /** Height of the target drawn into (`size`). */
  height = 0;
  /** The children's images (`texture0…N`; missing ones sample zero). */
  readonly textures: Texture[] = [];
  /** The previous pass's or frame's image (`last`), or `null` for zero. */
  last: Texture | null = null;
  /** The first pass's image (`first`), or `null` for zero. */
  first: Texture | null = null;
  /** How every sampled image is sampled. */
  readonly sampling: InputSampling = new InputSampling();

  /**
   * Inputs with no frame yet, and no images.
   *
   * @param writeNodeUniform writes the value of a node uniform (one of the
   *   plan's `nodeNames`) into `out`
   */
  constructor(
    readonly writeNodeUniform: (
      name: string,
      out: Float32Array | Int32Array,
    ) => void,
  ) {}
}

/** How each active uniform of one program gets its value. */
export class UniformPlan {
  /** Whether the program samples `last` (so targets are double-buffered). */
  readonly usesLast: boolean;
  /** Whether the program samples `first`. */
  readonly usesFirst: boolean;
  readonly #slots: Slot[] = [];

  /**
   * Plans every active uniform of `program`.
   *
   * @param program the program whose active uniforms are planned
   * @param nodeNames uniforms whose values the node computes itself
   * @param defaults values of attribute uniforms whose attribute is missing
   */
  constructor(
    program: ShaderProgram,
    nodeNames: ReadonlySet<string>,
    defaults: Readonly<Record<string, readonly number[]>>,
  ) {
    let usesLast = false;
    let usesFirst = false;
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
      if (source === Source.Last) usesLast = true;
      if (source === Source.First) usesFirst = true;
      const length = uniformComponents(info.type) * info.size;
      const data = isIntegerType(info.type)
        ? new Int32Array(length)
        : new Float32Array(length);
      this.#slots.push({
        info,
        source,
        index,
        data,
        fallback: defaults[name] ?? ZERO,
      });
    }
    this.usesLast = usesLast;
    this.usesFirst = usesFirst;
  }

  /**
   * Sets every planned uniform of `program` (in use) for one pass, binding
   * the sampled images to texture units from 0 on.
   */
  write(gl: GLContext, program: ShaderProgram, inputs: PassInputs): void {
    const frame = inputs.frame!;
    const textures = inputs.textures;
    let unit = 0;
    for (const slot of this.#slots) {
      const data = slot.data;
      switch (slot.source) {
        case Source.Size:
          data[0] = inputs.width;
          if (data.length > 1) data[1] = inputs.height;
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
          data.fill(inputs.beatDelta);
          break;
        case Source.Fps:
          data.fill(frame.fps);
          break;
        case Source.Performance:
          data.fill(1);
          break;
        case Source.Pass:
          data.fill(inputs.pass);
          break;
        case Source.Passes:
          data.fill(inputs.passes);
          break;
        case Source.Attribute:
          readAttribute(inputs.attrs!, slot);
          break;
        case Source.Node:
          inputs.writeNodeUniform(slot.info.name, data);
          break;
        case Source.Child:
        case Source.Last:
        case Source.First:
        case Source.Zero: {
          const texture = (slot.source === Source.Child
            ? textures[slot.index]
            : slot.source === Source.Last
            ? inputs.last
            : slot.source === Source.First
            ? inputs.first
            : null) ?? zeroTexture(gl);
          texture.setSampling(inputs.sampling);
          gl.bindTexture(unit, texture.id);
          data[0] = unit;
          unit++;
          break;
        }
      }
      program.setArray(slot.info, data, slot.info.size);
    }
  }
}

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

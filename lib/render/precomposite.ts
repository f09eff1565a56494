/**
 * Compositing of more children than one draw can sample: a program node
 * composites them in batches (in order, with its composite mode and
 * sampling) through two internal targets, each batch over the previous
 * batches' image, until one image is left as its only input.
 *
 * @module
 */

import type { GLContext } from "../gl/context.ts";
import { DEFAULT_VERTEX_SOURCE } from "../gl/context.ts";
import {
  RenderTarget,
  type SamplingOptions,
  type Texture,
  type TextureFormat,
} from "../gl/texture.ts";
import { compositeFragmentSource, type CompositeMode } from "./glsl_library.ts";
import {
  acquireProgram,
  releaseProgram,
  type SharedProgram,
} from "./program_cache.ts";

/** One node's batch targets and compositing programs. */
export class Precompositor {
  readonly #targets: [RenderTarget | null, RenderTarget | null] = [null, null];
  readonly #programs = new Map<string, SharedProgram>();

  /**
   * Composites `textures` in batches of at most `limit` images into a
   * `width` x `height` image of `format`, and leaves that image as the only
   * element of `textures`.
   */
  composite(
    gl: GLContext,
    textures: Texture[],
    mode: CompositeMode,
    limit: number,
    width: number,
    height: number,
    format: TextureFormat,
    sampling: SamplingOptions,
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
      let target = this.#targets[which];
      if (target === null || !target.matches(width, height, format)) {
        target?.destroy();
        target = this.#targets[which] = new RenderTarget(
          gl,
          width,
          height,
          format,
        );
      }
      which ^= 1;
      let entry = this.#programs.get(`${batch.length} ${mode}`);
      if (entry === undefined) {
        entry = acquireProgram(
          gl,
          DEFAULT_VERTEX_SOURCE,
          compositeFragmentSource(batch.length, mode),
          "composite",
        );
        this.#programs.set(`${batch.length} ${mode}`, entry);
      }
      const program = entry.program;
      program.use();
      program.set("alpha", 1);
      program.set("gamma", 1);
      for (let unit = 0; unit < batch.length; unit++) {
        batch[unit].setSampling(sampling);
        gl.bindTexture(unit, batch[unit].id);
        program.set(`texture${unit}`, unit);
      }
      gl.drawFullscreen(program, target);
      accumulated = target.texture;
    }
    textures.length = 0;
    textures.push(accumulated!);
  }

  /** Frees the targets and releases the programs (`gl`: where they live). */
  destroy(gl: GLContext | null): void {
    for (const target of this.#targets) target?.destroy();
    this.#targets[0] = this.#targets[1] = null;
    if (gl !== null) {
      for (const entry of this.#programs.values()) releaseProgram(gl, entry);
    }
    this.#programs.clear();
  }
}

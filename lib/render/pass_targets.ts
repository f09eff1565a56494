/**
 * The render targets a program node draws its passes into: one, or two
 * swapped after every pass when the program samples `last` or runs several
 * passes (the front one always holds the latest image, which `last`
 * samples), and a copy of the first pass's image when the program samples
 * `first` over more than two passes.
 *
 * @module
 */

import type { GLContext } from "../gl/context.ts";
import {
  RenderTarget,
  type Texture,
  type TextureFormat,
} from "../gl/texture.ts";

/** A program node's front, back and first-pass targets. */
export class PassTargets {
  #front: RenderTarget | null = null;
  #back: RenderTarget | null = null;
  #first: RenderTarget | null = null;

  /** The target holding the latest image, once {@linkcode ensure}d. */
  get front(): RenderTarget | null {
    return this.#front;
  }

  /**
   * Makes the targets this frame needs match `width`, `height` and
   * `format` (new ones cleared) and frees those it does not need: a back
   * target when `double`, a first-pass copy when `keepFirst`. Returns
   * whether any target was created, so earlier images are gone.
   */
  ensure(
    gl: GLContext,
    width: number,
    height: number,
    format: TextureFormat,
    double: boolean,
    keepFirst: boolean,
  ): boolean {
    let created = false;
    const fresh = (target: RenderTarget | null): RenderTarget => {
      if (target !== null && target.matches(width, height, format)) {
        return target;
      }
      target?.destroy();
      const made = new RenderTarget(gl, width, height, format);
      made.clear();
      created = true;
      return made;
    };
    this.#front = fresh(this.#front);
    if (double) this.#back = fresh(this.#back);
    else if (this.#back !== null) {
      this.#back.destroy();
      this.#back = null;
    }
    if (keepFirst) this.#first = fresh(this.#first);
    else if (this.#first !== null) {
      this.#first.destroy();
      this.#first = null;
    }
    return created;
  }

  /** Where a pass draws: the back target when `double`, else the front. */
  drawTarget(double: boolean): RenderTarget {
    return double ? this.#back! : this.#front!;
  }

  /** The previous image while drawing into `drawInto`, or `null`. */
  last(drawInto: RenderTarget): Texture | null {
    return this.#front !== drawInto ? this.#front!.texture : null;
  }

  /** The first pass's image while drawing pass `pass` of `passes`. */
  first(pass: number, passes: number): Texture | null {
    if (pass === 0) return null;
    return passes > 2 && this.#first !== null
      ? this.#first.texture
      : this.#front!.texture;
  }

  /** After a pass drew into `drawInto`: it becomes the front target. */
  drew(drawInto: RenderTarget): void {
    if (drawInto !== this.#front) {
      this.#back = this.#front;
      this.#front = drawInto;
    }
  }

  /** Copies the front image into the first-pass target. */
  keepFirst(gl: GLContext): void {
    gl.copyTarget(this.#front!, this.#first!);
  }

  /** Frees all targets. */
  destroy(): void {
    this.#front?.destroy();
    this.#back?.destroy();
    this.#first?.destroy();
    this.#front = this.#back = this.#first = null;
  }
}

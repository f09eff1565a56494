/**
 * {@linkcode AttributeMemo}: keeps what a 3D node computed from some of
 * its attributes (a material, a local matrix, a mesh) and hands it back
 * while those attributes hold the same values, so a scene of constants
 * costs little per frame. Values are compared by identity: constants are
 * the same objects every frame, expressions give new vectors (and so are
 * computed again), numbers compare by value.
 *
 * @module
 */

import type { Attributes } from "../scene/attributes.ts";
import type { Value } from "../expr/values.ts";

/** One remembered result. */
export class AttributeMemo<T> {
  #attrs: Attributes | null = null;
  #input: unknown = undefined;
  #values: Value[] = [];
  #count = 0;
  #result: T | undefined = undefined;

  /**
   * The result for the values of `names` in `attrs` and `input` (compared
   * by identity too): the remembered one while nothing changed, else
   * `compute()`, remembered.
   */
  get(
    attrs: Attributes,
    names: ReadonlySet<string>,
    input: unknown,
    compute: () => T,
  ): T {
    let same = attrs === this.#attrs && input === this.#input;
    let count = 0;
    const values = this.#values;
    for (const name of attrs.names()) {
      if (!names.has(name)) continue;
      const value = attrs.get(name);
      if (count < values.length) {
        if (values[count] !== value) {
          same = false;
          values[count] = value;
        }
      } else {
        same = false;
        values.push(value);
      }
      count++;
    }
    if (same && count === this.#count) return this.#result as T;
    this.#attrs = null; // until computed: a throw leaves nothing remembered
    this.#result = compute();
    this.#attrs = attrs;
    this.#input = input;
    this.#count = count;
    return this.#result;
  }

  /** Forgets the result. */
  clear(): void {
    this.#attrs = null;
    this.#result = undefined;
    this.#values.length = 0;
    this.#count = 0;
  }
}

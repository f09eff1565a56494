/**
 * The names an expression can see in a frame: the clock (`time`, `clock`,
 * `frame`, `fps`, `beat`, `tempo`, `delta`), `let` bindings and `--define`
 * values, plus `$KEY` state and `read(path)`.
 *
 * @module
 */

import type { EvaluationScope } from "../expr/expression.ts";
import type { Value } from "../expr/values.ts";
import type { FrameInfo, StateStore } from "../scene/node.ts";
import type { AttributeSource } from "../scene/model.ts";
import type { FileCache } from "./file_cache.ts";
import { resolve } from "node:path";

/** Evaluation scope of one engine, updated in place every frame. */
export class FrameScope implements EvaluationScope {
  readonly #lets = new Map<string, Value>();
  #letSources: ReadonlyArray<readonly [string, AttributeSource]> = [];

  /**
   * @param frame the clock, mutated by the engine each frame
   * @param defines `--define` values
   * @param store the scene state
   * @param files cache for `read()`
   * @param folder the scene file's folder, for relative paths
   */
  constructor(
    readonly frame: FrameInfo,
    readonly defines: ReadonlyMap<string, Value>,
    readonly store: StateStore,
    readonly files: FileCache,
    public folder: string,
  ) {}

  /** Sets the `let` bindings of the current scene. */
  setLets(lets: ReadonlyArray<readonly [string, AttributeSource]>): void {
    this.#letSources = lets;
    this.#lets.clear();
  }

  /** Evaluates the `let` bindings for this frame, in order. */
  evaluateLets(): void {
    const lets = this.#lets;
    lets.clear();
    for (const [name, source] of this.#letSources) {
      lets.set(
        name,
        source.constant ? source.value : source.expression.evaluate(this),
      );
    }
  }

  /** The value of a free name, or `undefined` when unbound. */
  lookup(name: string): Value | undefined {
    switch (name) {
      case "time":
        return this.frame.time;
      case "clock":
        return this.frame.clock;
      case "frame":
        return this.frame.frame;
      case "fps":
        return this.frame.fps;
      case "beat":
        return this.frame.beat;
      case "tempo":
        return this.frame.tempo;
      case "delta":
        return this.frame.delta;
    }
    const bound = this.#lets.get(name);
    if (bound !== undefined) return bound;
    return this.defines.get(name);
  }

  /** `$KEY`. */
  state(key: Value): Value {
    return this.store.get(key);
  }

  /** `read(path)`, relative to the scene's folder. */
  readText(path: string): string | null {
    return this.files.read(resolve(this.folder, path));
  }
}

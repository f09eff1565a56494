/**
 * Picks the faster of two ways of doing the same job by timing both on the
 * machine at hand: the first calls alternate between them, then the one
 * with the lower median time is kept. (The `!webrtc` node uses it to choose
 * between reading RGBA back for libyuv and packing I420 on the GPU.)
 *
 * ```ts
 * import { FasterPath } from "./faster_path.ts";
 * const choice = new FasterPath<"cpu" | "gpu">(["cpu", "gpu"], 4);
 * while (choice.chosen === null) {
 *   const path = choice.next();
 *   const started = performance.now();
 *   // … do the job the `path` way …
 *   choice.record(path, performance.now() - started);
 * }
 * ```
 *
 * @module
 */

/** Times two paths (see the module documentation). */
export class FasterPath<Path extends string> {
  readonly #paths: readonly [Path, Path];
  readonly #samples: number;
  readonly #times = new Map<Path, number[]>();
  #turn = 0;
  #chosen: Path | null = null;

  /**
   * @param paths the two paths, tried in turn starting with the first
   * @param samples timed calls kept per path (after one untimed warm-up call each)
   */
  constructor(paths: readonly [Path, Path], samples = 8) {
    this.#paths = paths;
    this.#samples = samples;
    for (const path of paths) this.#times.set(path, []);
  }

  /** The path to take now: the chosen one, or the next to time. */
  next(): Path {
    return this.#chosen ?? this.#paths[this.#turn % 2];
  }

  /** The faster path once both are timed, else `null`. */
  get chosen(): Path | null {
    return this.#chosen;
  }

  /** Median ms per call of each path so far. */
  medians(): Record<Path, number | null> {
    const result = {} as Record<Path, number | null>;
    for (const [path, times] of this.#times) {
      // The first call of each path (compilation, allocation) is not counted.
      const timed = times.slice(1).sort((a, b) => a - b);
      result[path] = timed.length === 0
        ? null
        : timed[Math.floor(timed.length / 2)];
    }
    return result;
  }

  /** Records that `path` took `ms`; returns the chosen path when this call decided it. */
  record(path: Path, ms: number): Path | null {
    if (this.#chosen !== null) return null;
    this.#times.get(path)!.push(ms);
    this.#turn++;
    const done = this.#paths.every((p) =>
      this.#times.get(p)!.length > this.#samples
    );
    if (!done) return null;
    const medians = this.medians();
    const [a, b] = this.#paths;
    this.#chosen = medians[b]! < medians[a]! ? b : a;
    return this.#chosen;
  }
}

/**
 * Frame-time statistics for `--verbose`: frames per second and the spread
 * of frame times over a reporting period.
 *
 * @module
 */

/** Collects frame times and summarises them. */
export class FrameStatistics {
  #times: number[] = [];
  #periodStart = performance.now();

  /** Records one frame's work time in milliseconds. */
  add(milliseconds: number): void {
    this.#times.push(milliseconds);
  }

  /** Seconds since the period began. */
  get elapsed(): number {
    return (performance.now() - this.#periodStart) / 1000;
  }

  /** Summary of the period so far, then starts a new period. */
  takeSummary(): string {
    const times = this.#times.sort((a, b) => a - b);
    const seconds = this.elapsed;
    const count = times.length;
    this.#times = [];
    this.#periodStart = performance.now();
    if (count === 0) return "no frames";
    const mean = times.reduce((sum, t) => sum + t, 0) / count;
    const p95 = times[Math.min(count - 1, Math.floor(count * 0.95))];
    return `${(count / seconds).toFixed(1)} fps; frame time mean ${
      mean.toFixed(2)
    } ms, p95 ${p95.toFixed(2)} ms, max ${times[count - 1].toFixed(2)} ms`;
  }
}

/**
 * Text of files read by scenes (`read(path)`), cached until they change, and
 * remembered as dependencies for live reload.
 *
 * @module
 */

/** Caches file texts by absolute path; records every path asked for. */
export class FileCache {
  readonly #texts = new Map<string, string | null>();

  /** The text of `path` (absolute), or `null` if it cannot be read. */
  read(path: string): string | null {
    let text = this.#texts.get(path);
    if (text === undefined) {
      try {
        text = Deno.readTextFileSync(path);
      } catch {
        text = null;
      }
      this.#texts.set(path, text);
    }
    return text;
  }

  /** Forgets `path` (or everything), so the next read sees the new text. */
  invalidate(path?: string): void {
    if (path === undefined) this.#texts.clear();
    else this.#texts.delete(path);
  }

  /** How many paths have been read. */
  get size(): number {
    return this.#texts.size;
  }

  /** Paths read so far. */
  paths(): string[] {
    return [...this.#texts.keys()];
  }
}

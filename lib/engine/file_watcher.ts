/**
 * Watches a set of files (the scene and what it reads) and reports changes,
 * debounced, so an editor's save (often several events) gives one reload.
 *
 * @module
 */

import { dirname, resolve } from "node:path";

/** Watches files by watching their folders; call `close()` when done. */
export class FileWatcher {
  readonly #watchers = new Map<string, Deno.FsWatcher>();
  #files = new Set<string>();
  #pending = new Set<string>();
  #timer: ReturnType<typeof setTimeout> | undefined;
  #closed = false;

  /**
   * @param onChange called with the changed files (absolute paths)
   * @param debounceMs quiet time before reporting
   */
  constructor(
    readonly onChange: (files: string[]) => void,
    readonly debounceMs = 60,
  ) {}

  /** Sets the files to watch (absolute or relative paths). */
  watch(files: Iterable<string>): void {
    if (this.#closed) return;
    this.#files = new Set([...files].map((file) => resolve(file)));
    const folders = new Set([...this.#files].map((file) => dirname(file)));
    for (const [folder, watcher] of this.#watchers) {
      if (!folders.has(folder)) {
        watcher.close();
        this.#watchers.delete(folder);
      }
    }
    for (const folder of folders) {
      if (this.#watchers.has(folder)) continue;
      let watcher: Deno.FsWatcher;
      try {
        watcher = Deno.watchFs(folder, { recursive: false });
      } catch {
        continue;
      }
      this.#watchers.set(folder, watcher);
      this.#pump(watcher);
    }
  }

  async #pump(watcher: Deno.FsWatcher): Promise<void> {
    try {
      for await (const event of watcher) {
        for (const path of event.paths) {
          const file = resolve(path);
          if (this.#files.has(file)) this.#pending.add(file);
        }
        if (this.#pending.size > 0) this.#schedule();
      }
    } catch {
      // watcher closed
    }
  }

  #schedule(): void {
    if (this.#timer !== undefined) clearTimeout(this.#timer);
    this.#timer = setTimeout(() => {
      this.#timer = undefined;
      const files = [...this.#pending];
      this.#pending.clear();
      if (!this.#closed) this.onChange(files);
    }, this.debounceMs);
  }

  /** Stops watching. */
  close(): void {
    this.#closed = true;
    if (this.#timer !== undefined) clearTimeout(this.#timer);
    for (const watcher of this.#watchers.values()) watcher.close();
    this.#watchers.clear();
  }
}

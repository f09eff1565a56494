/**
 * Replacing a file atomically: the bytes go to a hidden temporary file in
 * the same folder, which is then renamed over the target. A reader sees the
 * old file or the new one, never a partly written one (a rename within one
 * file system is atomic). On failure the temporary file is removed and the
 * target is left as it was.
 *
 * @example
 * ```ts
 * import { writeFileAtomic } from "./atomic_write.ts";
 * const dir = await Deno.makeTempDir();
 * await writeFileAtomic(`${dir}/frame.png`, new Uint8Array([1, 2, 3]));
 * console.assert((await Deno.readFile(`${dir}/frame.png`)).length === 3);
 * await Deno.remove(dir, { recursive: true });
 * ```
 *
 * @module
 */

import { basename, dirname, join } from "node:path";

/**
 * Writes `bytes` to `path` atomically (temporary file beside it, then a
 * rename).
 *
 * @throws the file system's error (`Deno.errors.NotFound` for a missing
 *   folder, …); the target is then unchanged.
 */
export async function writeFileAtomic(
  path: string,
  bytes: Uint8Array,
): Promise<void> {
  const temporary = temporaryPathBeside(path);
  try {
    await Deno.writeFile(temporary, bytes);
    await Deno.rename(temporary, path);
  } catch (error) {
    await Deno.remove(temporary).catch(() => {});
    throw error;
  }
}

/**
 * Synchronous {@linkcode writeFileAtomic}, for use where nothing can be
 * awaited (at exit, in an `unload` handler).
 */
export function writeFileAtomicSync(path: string, bytes: Uint8Array): void {
  const temporary = temporaryPathBeside(path);
  try {
    Deno.writeFileSync(temporary, bytes);
    Deno.renameSync(temporary, path);
  } catch (error) {
    try {
      Deno.removeSync(temporary);
    } catch {
      // It was never created.
    }
    throw error;
  }
}

/**
 * A hidden name in the folder of `path`, unique to this process and call:
 * `.NAME.PID-RANDOM.tmp`.
 */
export function temporaryPathBeside(path: string): string {
  const suffix = `${Deno.pid}-${crypto.randomUUID().slice(0, 8)}`;
  return join(dirname(path), `.${basename(path)}.${suffix}.tmp`);
}

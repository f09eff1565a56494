/**
 * Starting ffmpeg-family processes in a session of their own (util-linux
 * `setsid`, when present), so that Ctrl-C in the terminal reaches only this
 * process, which then ends them itself: a recording is completed, a
 * decoder stopped. `setsid` replaces itself with the command (this
 * process's children lead no process group), so signalling the child
 * signals the command.
 *
 * @module
 */

/** Where the child's standard streams go. */
export interface SessionStdio {
  /** Standard input. */
  stdin: "piped" | "null";
  /** Standard output. */
  stdout: "piped" | "null";
  /** Standard error. */
  stderr: "piped" | "null";
}

/**
 * Spawns `command` with `args` in a session of its own, or directly where
 * `setsid` is missing.
 *
 * @throws {Deno.errors.NotFound} when `command` itself is missing
 */
export function spawnInOwnSession(
  command: string,
  args: string[],
  stdio: SessionStdio,
): Deno.ChildProcess {
  try {
    return new Deno.Command("setsid", {
      args: ["-w", command, ...args],
      ...stdio,
    })
      .spawn();
  } catch (error) {
    if (!(error instanceof Deno.errors.NotFound)) throw error;
    return new Deno.Command(command, { args, ...stdio }).spawn();
  }
}

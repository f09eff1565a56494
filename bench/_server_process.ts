/**
 * `server.ts` as a process of its own for the server benchmarks, and what
 * /proc says of a process's CPU time and memory (Linux).
 *
 * @module
 */

const SERVER = new URL("../server.ts", import.meta.url).pathname;

/** A running `server.ts`. */
export interface ServerProcess {
  url: string;
  port: number;
  pid: number;
  /** SIGTERM (SIGKILL after 5 s), then waits for the exit. */
  stop: () => Promise<void>;
}

/** How {@linkcode startServerProcess} runs the server. */
export interface ServerProcessOptions {
  /** Arguments after the script. */
  args?: string[];
  /** Deno flags before the script (default: `deno task serve`'s V8 flag). */
  denoFlags?: string[];
  /** The server script (default: this repository's `server.ts`). */
  script?: string;
  /** Where its stderr goes (default: inherited). */
  stderr?: "inherit" | "null";
}

/** Starts a server on 127.0.0.1 (a free port); resolves once it prints its URL. */
export async function startServerProcess(
  options: ServerProcessOptions = {},
): Promise<ServerProcess> {
  const child = new Deno.Command(Deno.execPath(), {
    args: [
      "run",
      "-A",
      // As `deno task serve` runs it (see the README's server section).
      ...(options.denoFlags ?? ["--v8-flags=--max-semi-space-size=4"]),
      options.script ?? SERVER,
      "--host=127.0.0.1",
      "--port=0",
      ...(options.args ?? []),
    ],
    stdout: "piped",
    stderr: options.stderr ?? "inherit",
  }).spawn();
  const reader = child.stdout.pipeThrough(new TextDecoderStream()).getReader();
  let text = "";
  let url: string | undefined;
  while (url === undefined) {
    const { value, done } = await reader.read();
    if (done) throw new Error(`server.ts printed no URL: ${text}`);
    text += value;
    url = text.match(/listening on (\S+)/)?.[1];
  }
  const drain = (async () => {
    while (!(await reader.read()).done);
  })();
  return {
    url,
    port: Number(new URL(url).port),
    pid: child.pid,
    stop: async () => {
      child.kill("SIGTERM");
      const timer = setTimeout(() => child.kill("SIGKILL"), 5000);
      await child.status;
      clearTimeout(timer);
      await drain;
    },
  };
}

/** CPU seconds process `pid` has used in user space and in the kernel, from /proc. */
export function cpuTimes(
  pid: number | "self",
): { user: number; system: number } {
  const stat = Deno.readTextFileSync(`/proc/${pid}/stat`);
  const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
  // utime and stime, in clock ticks of 1/100 s
  return { user: Number(fields[11]) / 100, system: Number(fields[12]) / 100 };
}

/** CPU seconds (user + system) process `pid` has used, from /proc. */
export function cpuSeconds(pid: number | "self"): number {
  const { user, system } = cpuTimes(pid);
  return user + system;
}

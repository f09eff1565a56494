/**
 * A child process whose output (stdout and stderr) is kept for failure
 * messages, stopped by a signal with SIGKILL after a grace period.
 *
 * @module
 */

/** How a {@linkcode LoggedProcess} is started. */
export interface LoggedProcessOptions {
  /** Extra environment variables. */
  env?: Record<string, string>;
  /** The working folder. */
  cwd?: string;
  /** A named network namespace to run it in (`ip netns exec NAME …`). */
  netns?: string;
  /** How much of the output to keep, in characters (default 100,000). */
  outputLimit?: number;
}

/** Whether `command` can be run (it is installed); runs it with `args` to find out. */
export async function isInstalled(
  command: string,
  args: string[] = ["--version"],
): Promise<boolean> {
  try {
    await new Deno.Command(command, { args, stdout: "null", stderr: "null" })
      .output();
    return true;
  } catch (error) {
    if (error instanceof Deno.errors.NotFound) return false;
    throw error;
  }
}

/** One running program and the last of its output. */
export class LoggedProcess {
  readonly #child: Deno.ChildProcess;
  readonly #pumps: Promise<void>;
  #output = "";
  #status: Deno.CommandStatus | null = null;

  constructor(
    command: string,
    args: string[],
    options: LoggedProcessOptions = {},
  ) {
    // `ip netns exec` execs the command, so the pid and signals are its own.
    const line = options.netns === undefined
      ? [command, ...args]
      : ["ip", "netns", "exec", options.netns, command, ...args];
    this.#child = new Deno.Command(line[0], {
      args: line.slice(1),
      env: options.env,
      cwd: options.cwd,
      stdin: "null",
      stdout: "piped",
      stderr: "piped",
    }).spawn();
    const limit = options.outputLimit ?? 100_000;
    const pump = async (stream: ReadableStream<Uint8Array>) => {
      for await (const text of stream.pipeThrough(new TextDecoderStream())) {
        this.#output = (this.#output + text).slice(-limit);
      }
    };
    this.#pumps = Promise.all([
      pump(this.#child.stdout),
      pump(this.#child.stderr),
    ]).then(() => {});
    this.#child.status.then((status) => this.#status = status);
  }

  /** The process id. */
  get pid(): number {
    return this.#child.pid;
  }

  /** Everything printed so far (the last `outputLimit` characters). */
  get output(): string {
    return this.#output;
  }

  /** The exit status once it has ended, else `null`. */
  get status(): Deno.CommandStatus | null {
    return this.#status;
  }

  /** Resolves with the exit status once the process has ended and all its output is read. */
  get exited(): Promise<Deno.CommandStatus> {
    return this.#pumps.then(() => this.#child.status);
  }

  /** Resolves once `pattern` appears in the output; rejects if the process ends first or after `timeoutMs`. */
  async waitFor(pattern: RegExp, what: string, timeoutMs = 20_000) {
    const deadline = Date.now() + timeoutMs;
    while (!pattern.test(this.#output)) {
      if (this.#status !== null) {
        throw new Error(
          `${what}: the process ended (${this.#status.code}) first:\n${
            this.#output.slice(-3000)
          }`,
        );
      }
      if (Date.now() > deadline) {
        throw new Error(
          `${what}: not seen in ${timeoutMs} ms:\n${this.#output.slice(-3000)}`,
        );
      }
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  }

  /** Sends `signal` (SIGKILL after `graceMs`) and waits for the exit and all output. */
  async stop(
    signal: Deno.Signal = "SIGTERM",
    graceMs = 10_000,
  ): Promise<Deno.CommandStatus> {
    const send = (which: Deno.Signal) => {
      if (this.#status !== null) return;
      try {
        this.#child.kill(which);
      } catch {
        // Already gone.
      }
    };
    send(signal);
    const timer = setTimeout(() => send("SIGKILL"), graceMs);
    try {
      const status = await this.#child.status;
      await this.#pumps;
      return status;
    } finally {
      clearTimeout(timer);
    }
  }
}

/**
 * Runs the signalling server as a real process (`deno run -A server.ts
 * --host=127.0.0.1 --port=0 …`) and finds its URL in its output.
 *
 * @module
 */

const SERVER = new URL("../../server.ts", import.meta.url).pathname;

/** A running server process and its output. */
export interface ServerProcess {
  /** The process (with `wrap`, the wrapper, which execs the server: the same process). */
  child: Deno.ChildProcess;
  url: string;
  output: () => string;
  stop: () => Promise<{ code: number; output: string }>;
}

/** Where {@linkcode startServer} runs the server. */
export interface ServerPlace {
  /** The address to listen on (default 127.0.0.1). */
  host?: string;
  /** A named network namespace to run it in (`ip netns exec NAME …`). */
  netns?: string;
  /**
   * A command that runs the rest of the command line by `exec`, e.g.
   * `unshare -n …` (so the child process is the server itself).
   */
  wrap?: string[];
  /** `--port=0` (the default), or `"default"` to give no `--port=` at all. */
  port?: 0 | "default";
}

/** Starts `server.ts` with `args` (after `--host=127.0.0.1 --port=0`) and waits for its URL. */
export async function startServer(
  args: string[],
  place: ServerPlace = {},
): Promise<ServerProcess> {
  const command = [
    Deno.execPath(),
    "run",
    "-A",
    SERVER,
    `--host=${place.host ?? "127.0.0.1"}`,
    ...(place.port === "default" ? [] : ["--port=0"]),
    ...args,
  ];
  if (place.netns !== undefined) {
    command.unshift("ip", "netns", "exec", place.netns);
  }
  if (place.wrap !== undefined) command.unshift(...place.wrap);
  const child = new Deno.Command(command[0], {
    args: command.slice(1),
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  let text = "";
  const decoder = new TextDecoder();
  const pump = async (stream: ReadableStream<Uint8Array>) => {
    for await (const chunk of stream) {
      text += decoder.decode(chunk, { stream: true });
    }
  };
  const pumps = Promise.all([pump(child.stdout), pump(child.stderr)]);
  const deadline = Date.now() + 15_000;
  let url: string | undefined;
  while (url === undefined) {
    url = text.match(/listening on (\S+)/)?.[1];
    if (url) break;
    if (Date.now() > deadline) {
      child.kill("SIGKILL");
      await child.status;
      await pumps;
      throw new Error(`The server printed no URL:\n${text}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
  return {
    child,
    url,
    output: () => text,
    stop: async () => {
      child.kill("SIGTERM");
      const status = await child.status;
      await pumps;
      return { code: status.code, output: text };
    },
  };
}

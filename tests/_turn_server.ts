/**
 * A real TURN server for tests: Debian's coturn (`turnserver`), run with a
 * static user and password (long-term credentials, `--user` and `--realm`),
 * UDP only (`--no-tls --no-dtls --no-tcp`), no configuration file, no
 * command-line interface, and every port it opens bound to one address
 * (`--listening-ip`, `--relay-ip`): a test's own namespace address, or
 * 127.0.0.1 inside the loopback-only test namespace (then with
 * `--allow-loopback-peers`, since the peers are on loopback too). Its log,
 * PID file and user database go into a temporary folder, removed when it
 * stops.
 *
 * {@linkcode startTurnServer} returns once the server's UDP port is bound
 * (seen with `ss` in its namespace), and fails with the server's log when
 * it exits or does not bind within 10 s.
 *
 * @module
 */

import { join } from "node:path";

/** A running coturn. */
export interface TurnServer {
  /** The address it listens and relays on. */
  readonly address: string;
  /** Its UDP port. */
  readonly port: number;
  /** `turn:USER:PASSWORD@ADDRESS:PORT`, as `ice=` takes it. */
  readonly url: string;
  /** Its log so far. */
  log(): Promise<string>;
  /** Stops it (SIGTERM, then SIGKILL) and removes its folder. */
  stop(): Promise<void>;
}

/** Options of {@linkcode startTurnServer}. */
export interface TurnServerOptions {
  /** The address to listen and relay on (default 127.0.0.1). */
  address?: string;
  /** The UDP port (default 3478). */
  port?: number;
  /** A named network namespace to run it in (`ip netns exec`). */
  netns?: string;
  /** User name (default `rig`). */
  user?: string;
  /** Password (default `s3cret`). */
  password?: string;
}

/** Why no TURN server can be started here (no `turnserver`), or `undefined`. */
export async function turnUnavailable(): Promise<string | undefined> {
  try {
    await new Deno.Command("turnserver", {
      args: ["--version"],
      stdout: "null",
      stderr: "null",
    }).output();
  } catch (error) {
    if (error instanceof Deno.errors.NotFound) {
      return "turnserver (Debian's coturn) is not installed";
    }
    throw error;
  }
  return undefined;
}

/** In `netns` (or here): whether a UDP socket is bound to `address:port`. */
async function udpBound(
  address: string,
  port: number,
  netns?: string,
): Promise<boolean> {
  const ss = ["ss", "-Hlun", "src", `${address}:${port}`];
  const command = netns === undefined
    ? ss
    : ["ip", "netns", "exec", netns, ...ss];
  const { success, stdout } = await new Deno.Command(command[0], {
    args: command.slice(1),
    stdout: "piped",
    stderr: "null",
  }).output();
  return success && new TextDecoder().decode(stdout).trim() !== "";
}

/** Starts coturn (see the module documentation). */
export async function startTurnServer(
  options: TurnServerOptions = {},
): Promise<TurnServer> {
  const address = options.address ?? "127.0.0.1";
  const port = options.port ?? 3478;
  const user = options.user ?? "rig";
  const password = options.password ?? "s3cret";
  const dir = await Deno.makeTempDir({ prefix: "flitter_turn_" });
  const logFile = join(dir, "turn.log");
  const args = [
    "-n", // no configuration file
    "--no-cli",
    "--no-tls",
    "--no-dtls",
    "--no-tcp",
    "--no-tcp-relay",
    "--listening-ip",
    address,
    "--relay-ip",
    address,
    "--listening-port",
    String(port),
    "--lt-cred-mech",
    "--user",
    `${user}:${password}`,
    "--realm",
    "flitter.test",
    "--log-file",
    logFile,
    "--simple-log",
    "--no-stdout-log",
    "--pidfile",
    join(dir, "turnserver.pid"),
    "--userdb",
    join(dir, "turndb"),
    ...(address.startsWith("127.") ? ["--allow-loopback-peers"] : []),
  ];
  const command = options.netns === undefined
    ? ["turnserver", ...args]
    : ["ip", "netns", "exec", options.netns, "turnserver", ...args];
  const child = new Deno.Command(command[0], {
    args: command.slice(1),
    stdin: "null",
    stdout: "null",
    stderr: "piped",
  }).spawn();
  let exited: Deno.CommandStatus | null = null;
  const status = child.status.then((s) => exited = s);
  const stderr = new Response(child.stderr).text();
  const log = async () => {
    const text = await Deno.readTextFile(logFile).catch(() => "");
    return exited === null ? text : `${text}${await stderr}`;
  };
  const stop = async () => {
    if (exited === null) {
      try {
        child.kill("SIGTERM");
      } catch { /* gone already */ }
      const timer = setTimeout(() => {
        try {
          child.kill("SIGKILL");
        } catch { /* gone already */ }
      }, 3000);
      await status;
      clearTimeout(timer);
    }
    await stderr.catch(() => "");
    await Deno.remove(dir, { recursive: true }).catch(() => {});
  };
  const deadline = performance.now() + 10_000;
  while (!await udpBound(address, port, options.netns)) {
    if (exited !== null || performance.now() > deadline) {
      const why = exited !== null
        ? `exited with ${(exited as Deno.CommandStatus).code}`
        : "did not bind its port within 10 s";
      const text = await log();
      await stop();
      throw new Error(
        `turnserver on ${address}:${port} ${why}:\n${text.slice(-3000)}`,
      );
    }
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  return {
    address,
    port,
    url: `turn:${user}:${password}@${address}:${port}`,
    log,
    stop,
  };
}

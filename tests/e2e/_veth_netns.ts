/**
 * A named network namespace holding `lo` and a veth pair with one end
 * addressed (`10.232.N.1/24`): for programs whose ICE (libnice: GStreamer,
 * Janus) ignores loopback addresses. Everything run in it with `ip netns
 * exec` sees only that namespace. Needs root.
 *
 * @module
 */

/** Runs a command and returns its output; throws with its error output when it fails. */
export async function runCommand(
  command: string,
  ...args: string[]
): Promise<string> {
  const { success, stdout, stderr } = await new Deno.Command(command, {
    args,
    stdout: "piped",
    stderr: "piped",
  }).output();
  if (!success) {
    throw new Error(
      `${command} ${args.join(" ")}: ${
        new TextDecoder().decode(stderr).trim()
      }`,
    );
  }
  return new TextDecoder().decode(stdout);
}

/** A network namespace made by {@linkcode createVethNamespace}. */
export interface VethNamespace {
  /** Its name, for `ip netns exec`. */
  readonly name: string;
  /** The address on its veth end. */
  readonly address: string;
  /** Deletes the namespace (and its links). */
  remove(): Promise<void>;
}

/** Creates a namespace named `PREFIX-PID` with `lo` and an addressed veth pair. */
export async function createVethNamespace(
  prefix: string,
): Promise<VethNamespace> {
  const name = `${prefix}-${Deno.pid}`;
  const link = `${prefix.slice(0, 5)}${Deno.pid % 100000}`;
  const address = `10.232.${Deno.pid % 250}.1`;
  const ip = (...args: string[]) => runCommand("ip", "-n", name, ...args);
  await runCommand("ip", "netns", "add", name);
  const remove = async () => {
    await runCommand("ip", "netns", "del", name).catch(() => {});
  };
  try {
    await ip("link", "set", "lo", "up");
    await ip("link", "add", link, "type", "veth", "peer", "name", `${link}p`);
    await ip("addr", "add", `${address}/24`, "dev", link);
    await ip("link", "set", `${link}p`, "up");
    await ip("link", "set", link, "up");
  } catch (error) {
    await remove();
    throw error;
  }
  return { name, address, remove };
}

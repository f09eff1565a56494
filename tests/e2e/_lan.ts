/**
 * A two-machine local network for end-to-end tests: two named network
 * namespaces (`ip netns add`), each holding `lo` and one end of a veth pair,
 * on a private /24 of their own. Processes started in them
 * (`ip netns exec NAME …`, see `EndpointOptions.netns`) see only that
 * network, as two rigs on one switch would: libwebrtc leaves loopback alone
 * there and uses the veth addresses, and a datagram to the subnet's
 * broadcast address reaches the other namespace and nothing else. Needs
 * root and the `ip` command ({@linkcode lanUnavailable} says when either is
 * missing: the only reasons to skip); any other failure to build it is an
 * error. The test removes it again ({@linkcode Lan.remove}); removing a
 * namespace removes its veth end.
 *
 * @module
 */

import { runCommand } from "./_veth_netns.ts";

/** One host of the network. */
export interface LanHost {
  /** The namespace's name (for `ip netns exec`). */
  netns: string;
  /** Its IPv4 address on the network. */
  address: string;
}

/** A network of two hosts. */
export interface Lan {
  hosts: [LanHost, LanHost];
  /** The subnet's broadcast address. */
  broadcast: string;
  /** Deletes both namespaces (and so the veth pair). */
  remove(): Promise<void>;
}

async function ip(...args: string[]): Promise<void> {
  await runCommand("ip", ...args);
}

/**
 * Why this machine cannot build the network at all: not root, or no `ip`
 * command (iproute2). `undefined` when both are there; then a failure of
 * {@linkcode createLan} is a real error, not a reason to skip.
 */
export async function lanUnavailable(): Promise<string | undefined> {
  if (Deno.uid() !== 0) return "creating network namespaces needs root";
  try {
    await new Deno.Command("ip", {
      args: ["-V"],
      stdout: "null",
      stderr: "null",
    }).output();
  } catch (error) {
    if (error instanceof Deno.errors.NotFound) {
      return "the ip command (iproute2) is not installed";
    }
    throw error;
  }
  return undefined;
}

/**
 * Creates the network (subnet 10.231.N.0/24, N from the process ID, so
 * parallel test files do not collide).
 *
 * @throws {Error} when it cannot be built (whatever was made is removed again)
 */
export async function createLan(): Promise<Lan> {
  const tag = `${Deno.pid}`;
  const subnet = `10.231.${Deno.pid % 250}`;
  const names = [`flt-lan-a-${tag}`, `flt-lan-b-${tag}`];
  // Interface names: at most 15 characters, unique in this namespace.
  const links = [`fla${Deno.pid % 100000}`, `flb${Deno.pid % 100000}`];
  const hosts: [LanHost, LanHost] = [
    { netns: names[0], address: `${subnet}.1` },
    { netns: names[1], address: `${subnet}.2` },
  ];
  const created: string[] = [];
  const remove = async () => {
    for (const name of created.splice(0)) {
      await ip("netns", "del", name).catch(() => {});
    }
  };
  try {
    for (const name of names) {
      await ip("netns", "add", name);
      created.push(name);
    }
    await ip("link", "add", links[0], "type", "veth", "peer", "name", links[1]);
    for (let i = 0; i < 2; i++) {
      await ip("link", "set", links[i], "netns", names[i]);
      const inside = ["-n", names[i]];
      await ip(...inside, "link", "set", "lo", "up");
      await ip(
        ...inside,
        "addr",
        "add",
        `${hosts[i].address}/24`,
        "broadcast",
        `${subnet}.255`,
        "dev",
        links[i],
      );
      await ip(...inside, "link", "set", links[i], "up");
    }
  } catch (error) {
    await ip("link", "del", links[0]).catch(() => {});
    await remove();
    throw new Error(
      `cannot build the test network: ${(error as Error).message}`,
      { cause: error },
    );
  }
  return { hosts, broadcast: `${subnet}.255`, remove };
}

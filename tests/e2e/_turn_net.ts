/**
 * A network for calls through a TURN server: three named network
 * namespaces, two rigs (A and B) and a server host (T), built with
 * `ip netns` and veth pairs as `_lan.ts` does:
 *
 * ```
 *   A 10.233.N.2 ── 10.233.N.1 ┐
 *                              T (10.235.N.1 on its lo: TURN and signalling)
 *   B 10.234.N.2 ── 10.234.N.1 ┘
 *   A 10.236.N.1 ── 10.236.N.2 B   (only with `direct: true`)
 * ```
 *
 * A and B each have a route to T's service address (10.235.N.1) through
 * their link to T and no other route: T does not forward (a new namespace
 * starts with forwarding off), so without the direct link A and B cannot
 * reach each other at all, and with it they can only over it. The direct
 * link has IPv6 turned off, so nothing the kernel sends by itself (router
 * solicitations, duplicate address detection) shows in its counters:
 * {@linkcode TurnNet.directPackets} counts what crosses it. Needs root and
 * `ip` (see `lanUnavailable` in `_lan.ts`). The test removes it again with
 * {@linkcode TurnNet.remove}; removing a namespace removes its veth ends.
 *
 * @module
 */

import { runCommand } from "./_veth_netns.ts";

/** One host of the network. */
export interface TurnNetHost {
  /** The namespace's name (for `ip netns exec`). */
  netns: string;
  /** Its address on its link to T (A and B), or T's service address. */
  address: string;
}

/** The network (see the module documentation). */
export interface TurnNet {
  a: TurnNetHost;
  b: TurnNetHost;
  /** T, with its service address (where TURN and signalling listen). */
  t: TurnNetHost;
  /** A's and B's addresses on the direct link, when there is one. */
  direct: { a: string; b: string } | null;
  /** Packets sent plus received so far by A's and B's ends of the direct link. */
  directPackets(): Promise<number>;
  /** Deletes the namespaces (and so the veth pairs). */
  remove(): Promise<void>;
}

function ip(...args: string[]): Promise<string> {
  return runCommand("ip", ...args);
}

/**
 * Creates the network (N from the process ID, so parallel test files do not
 * collide); with `direct`, also the link between A and B.
 *
 * @throws {Error} when it cannot be built (whatever was made is removed again)
 */
export async function createTurnNet(
  options: { direct?: boolean } = {},
): Promise<TurnNet> {
  const n = Deno.pid % 250;
  const tag = Deno.pid % 100000;
  const names = {
    a: `flt-turn-a-${Deno.pid}`,
    b: `flt-turn-b-${Deno.pid}`,
    t: `flt-turn-t-${Deno.pid}`,
  };
  const service = `10.235.${n}.1`;
  const created: string[] = [];
  /** veth pairs made: deleted here if building fails before they moved. */
  const made: string[] = [];
  const remove = async () => {
    for (const name of created.splice(0)) {
      await ip("netns", "del", name).catch(() => {});
    }
  };
  /** A veth pair, one end in each namespace, with an address each (/24). */
  const link = async (
    name: string,
    ends: [[string, string], [string, string]],
    ipv6: boolean,
  ) => {
    const devices = [`${name}0`, `${name}1`];
    await ip(
      "link",
      "add",
      devices[0],
      "type",
      "veth",
      "peer",
      "name",
      devices[1],
    );
    made.push(devices[0]);
    for (let i = 0; i < 2; i++) {
      const [netns, address] = ends[i];
      await ip("link", "set", devices[i], "netns", netns);
      if (!ipv6) {
        // Before the link is up, so it never sends an IPv6 packet.
        await ip("-n", netns, "link", "set", devices[i], "addrgenmode", "none");
      }
      await ip("-n", netns, "addr", "add", `${address}/24`, "dev", devices[i]);
      await ip("-n", netns, "link", "set", devices[i], "up");
    }
    return devices;
  };
  try {
    for (const name of Object.values(names)) {
      await ip("netns", "add", name);
      created.push(name);
      await ip("-n", name, "link", "set", "lo", "up");
    }
    await ip("-n", names.t, "addr", "add", `${service}/32`, "dev", "lo");
    await link(`fta${tag}`, [[names.a, `10.233.${n}.2`], [
      names.t,
      `10.233.${n}.1`,
    ]], true);
    await link(`ftb${tag}`, [[names.b, `10.234.${n}.2`], [
      names.t,
      `10.234.${n}.1`,
    ]], true);
    await ip(
      "-n",
      names.a,
      "route",
      "add",
      `${service}/32`,
      "via",
      `10.233.${n}.1`,
    );
    await ip(
      "-n",
      names.b,
      "route",
      "add",
      `${service}/32`,
      "via",
      `10.234.${n}.1`,
    );
    let directDevices: string[] | null = null;
    if (options.direct) {
      directDevices = await link(`ftd${tag}`, [[names.a, `10.236.${n}.1`], [
        names.b,
        `10.236.${n}.2`,
      ]], false);
    }
    const directPackets = async () => {
      if (directDevices === null) return 0;
      let packets = 0;
      for (
        const [netns, device] of [[names.a, directDevices[0]], [
          names.b,
          directDevices[1],
        ]]
      ) {
        const [info] = JSON.parse(
          await ip("-n", netns, "-s", "-j", "link", "show", "dev", device),
        );
        const stats = info.stats64 ?? info.stats;
        packets += stats.tx.packets + stats.rx.packets;
      }
      return packets;
    };
    return {
      a: { netns: names.a, address: `10.233.${n}.2` },
      b: { netns: names.b, address: `10.234.${n}.2` },
      t: { netns: names.t, address: service },
      direct: options.direct
        ? { a: `10.236.${n}.1`, b: `10.236.${n}.2` }
        : null,
      directPackets,
      remove,
    };
  } catch (error) {
    for (const device of made) await ip("link", "del", device).catch(() => {});
    await remove();
    throw new Error(
      `cannot build the test network: ${(error as Error).message}`,
      { cause: error },
    );
  }
}

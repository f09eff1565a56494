/**
 * Immediate TCP acknowledgements on loopback, for the one server benchmark
 * part that needs them to measure the server at all.
 *
 * Deno's own `WebSocket` client turns Nagle's algorithm on for its socket
 * (`setsockopt(TCP_NODELAY, 0)`) and writes each frame's header and payload
 * apart, so the payload of a 3 KB message waits until the server's kernel
 * acknowledges the header, and Linux delays that acknowledgement by up to
 * 40 ms. Ten pairs of such clients with 8 messages in flight each then relay
 * about 1,900 messages a second whatever the server does: the figure is the
 * client's. The `quickack` attribute of the route to 127.0.0.1 makes the
 * kernel acknowledge at once, which lets those clients run at full speed.
 *
 * The route is changed only inside the benchmark's own network namespace
 * (`scripts/in_loopback_netns.sh` sets `FLITTER_IN_NETNS=1`; the namespace
 * and its routes go away with it), never on the machine's own, and put back
 * afterwards.
 *
 * @module
 */

const ROUTE = [
  "route",
  "replace",
  "local",
  "127.0.0.1",
  "dev",
  "lo",
  "table",
  "local",
  "proto",
  "kernel",
  "scope",
  "host",
  "src",
  "127.0.0.1",
];

async function ip(args: string[]): Promise<string | null> {
  try {
    const { success, stderr } = await new Deno.Command("ip", {
      args,
      stdout: "null",
      stderr: "piped",
    }).output();
    return success ? null : new TextDecoder().decode(stderr).trim();
  } catch (error) {
    return String(error);
  }
}

/**
 * Runs `body` with the loopback route's `quickack` on; returns why not
 * (and runs nothing) outside the benchmark's network namespace or where the
 * route cannot be changed.
 */
export async function withLoopbackQuickAck<T>(
  body: () => Promise<T>,
): Promise<T | { skipped: string }> {
  if (Deno.env.get("FLITTER_IN_NETNS") !== "1") {
    return {
      skipped:
        "not inside scripts/in_loopback_netns.sh: this machine's own routes are left alone",
    };
  }
  const problem = await ip([...ROUTE, "quickack", "1"]);
  if (problem !== null) {
    return { skipped: `cannot set quickack on the loopback route: ${problem}` };
  }
  try {
    return await body();
  } finally {
    await ip(ROUTE);
  }
}

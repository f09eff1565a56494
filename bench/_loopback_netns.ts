/**
 * For benchmarks that open WebRTC peer connections: libwebrtc must see only
 * `lo`, so a script calls {@linkcode rerunInLoopbackNetns} first, which runs
 * the same script with the same arguments inside
 * `scripts/in_loopback_netns.sh` and exits with its status, unless this
 * process already runs there.
 *
 * @module
 */

const SCRIPT = new URL("../scripts/in_loopback_netns.sh", import.meta.url)
  .pathname;

/** Re-runs `script` (its `import.meta.url`) inside a loopback-only namespace and exits, unless already inside one. */
export async function rerunInLoopbackNetns(script: string): Promise<void> {
  if (Deno.env.get("FLITTER_IN_NETNS") === "1") return;
  const { code } = await new Deno.Command(SCRIPT, {
    args: [
      Deno.execPath(),
      "run",
      "-A",
      new URL(script).pathname,
      ...Deno.args,
    ],
    stdout: "inherit",
    stderr: "inherit",
  }).output();
  Deno.exit(code);
}

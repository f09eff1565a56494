// deno-test-isolated: two example endpoints call each other (WebRTC in their processes) with their windows on its own Xvfb
// The call examples on screen: examples/caller.toml (warm stripes) and
// examples/receiver.toml (cool rings) run as two processes with their
// `!window`s open on one X server (Xvfb) and call each other over
// `!broadcast` on loopback. Each window first shows its own picture, then,
// once the call is up, the other side's: the X server's screenshot of the
// caller's window turns cool and the receiver's warm. Run inside the
// loopback network namespace (`deno task test` does).
import assert from "node:assert/strict";
import { join } from "node:path";
import { holdUdpPort } from "../_udp_port.ts";
import { CLI, Endpoint, ROOT, stopAll } from "../e2e/_endpoint.ts";
import { type Geometry, type Screenshot, waitFor, Xvfb } from "./_x11.ts";

/** Mean colour of the left half of a window's lower half (away from the inset in the top-right corner). */
function meanColour(shot: Screenshot, window: Geometry): number[] {
  const sum = [0, 0, 0];
  let count = 0;
  const x1 = window.x + Math.floor(window.width / 2);
  const y1 = window.y + window.height - 2;
  for (let y = window.y + Math.floor(window.height / 2); y < y1; y++) {
    for (let x = window.x + 2; x < x1; x++) {
      const i = (y * shot.width + x) * 4;
      for (let c = 0; c < 3; c++) sum[c] += shot.data[i + c];
      count++;
    }
  }
  return sum.map((value) => Math.round(value / count));
}

const warm = ([r, , b]: number[]) => r > b + 30;
const cool = ([r, , b]: number[]) => b > r + 30;

Deno.test("the call examples' windows each show the other side's picture", async () => {
  const xvfb = await Xvfb.start(640, 480);
  const saved = Deno.env.get("DISPLAY");
  Deno.env.set("DISPLAY", xvfb.display);
  await using held = await holdUdpPort();
  const port = held.port;
  const defines = {
    WIDTH: 160,
    HEIGHT: 120,
    BROADCAST: "127.255.255.255",
    PORT: port,
  };
  const start = (name: string) =>
    Endpoint.start({
      name,
      entry: CLI,
      scene: join(ROOT, "examples", `${name}.toml`),
      defines,
      fps: 15,
    });
  const endpoints: Endpoint[] = [];
  try {
    endpoints.push(start("receiver"));
    endpoints.push(start("caller"));
    const find = async (title: string) => {
      const [id] = await waitFor(
        () => `the window ${title}\n${endpoints.map((e) => e.describe())}`,
        async () => {
          const ids = await xvfb.find(`^${title}$`);
          return ids.length === 1 && ids;
        },
        () => {},
        20_000,
      );
      return id;
    };
    const callerId = await find("caller.toml");
    const receiverId = await find("receiver.toml");
    // Both open centred: side by side instead.
    await xvfb.xdotool("windowmove", callerId, "40", "40");
    await xvfb.xdotool("windowmove", receiverId, "360", "240");
    const caller = await xvfb.geometry(callerId);
    const receiver = await xvfb.geometry(receiverId);
    assert.deepEqual([caller.width, caller.height], [160, 120]);
    let seen = "";
    await waitFor(
      () =>
        `the caller's window to show the receiver's cool picture and the receiver's the caller's warm one (${seen})\n${
          endpoints.map((endpoint) => endpoint.describe()).join("\n")
        }`,
      async () => {
        const shot = await xvfb.screenshot();
        const inCaller = meanColour(shot, caller);
        const inReceiver = meanColour(shot, receiver);
        seen = `caller window ${inCaller}, receiver window ${inReceiver}`;
        return cool(inCaller) && warm(inReceiver);
      },
      () => {
        if (endpoints.some((endpoint) => endpoint.status !== null)) {
          throw new Error(
            `An endpoint exited:\n${endpoints.map((e) => e.describe())}`,
          );
        }
      },
      30_000,
    );
    for (const endpoint of endpoints) {
      assert.doesNotMatch(endpoint.output, /\b(ERROR|WARN)\b/);
    }
  } finally {
    await stopAll(endpoints);
    if (saved === undefined) Deno.env.delete("DISPLAY");
    else Deno.env.set("DISPLAY", saved);
    await xvfb.stop();
  }
});

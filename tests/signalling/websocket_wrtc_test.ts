// deno-test-isolated: libwebrtc may abort when Deno tears this runtime down
/**
 * End to end: two real `WrtcPeerSession`s (libwebrtc) find each other with
 * `!websocket` signalling through our server, over `ws:` and over `wss:`
 * with a self-signed certificate and `verify=false`, reach "connected" and
 * see each other's video. Needs a network namespace with only `lo`: run
 * inside scripts/in_loopback_netns.sh (`deno task test` does).
 */

import {
  deepStrictEqual as assertEquals,
  ok as assert,
} from "node:assert/strict";
import { setLogLevel } from "../../lib/log/logger.ts";
import { startWebSocket } from "../../lib/signalling/websocket.ts";
import { WrtcPeerSession } from "../../lib/webrtc/peer_session.ts";
import { selfSignedCertificate } from "../server/_certificate.ts";
import { startServer } from "../server/_server_process.ts";
import { waitFor } from "../_wait.ts";

setLogLevel((Deno.env.get("TEST_LOG") as "trace" | undefined) ?? "warn");

const WIDTH = 160, HEIGHT = 120;

function solid(r: number, g: number, b: number): Uint8Array {
  const rgba = new Uint8Array(WIDTH * HEIGHT * 4);
  for (let i = 0; i < rgba.length; i += 4) rgba.set([r, g, b, 255], i);
  return rgba;
}

/** Mean of the Y (luma) plane of the newest frame `session` received. */
function meanLuma(session: WrtcPeerSession): number | null {
  const frame = session.latestFrame();
  if (frame === null) return null;
  let sum = 0;
  const size = frame.width * frame.height;
  for (let i = 0; i < size; i++) sum += frame.data[i];
  return sum / size;
}

/**
 * The server runs as its own process: with `Deno.serve` in the same process
 * as libwebrtc, Deno 2.9.6 sometimes panics at exit ("attempt to access
 * Handle hosted by disposed Isolate").
 */
async function callThroughServer(
  serverArgs: string[],
  verify: boolean,
): Promise<void> {
  const server = await startServer(["--debug", ...serverArgs]);
  const caller = await WrtcPeerSession.create({ width: WIDTH, height: HEIGHT });
  const answerer = await WrtcPeerSession.create({
    width: WIDTH,
    height: HEIGHT,
  });
  const timing = { retryDelayMs: 200, decodeErrorDelayMs: 200 };
  const room = "e2e";
  const answering = startWebSocket(
    { url: server.url, room, id: "answerer", call: null, verify },
    answerer,
    undefined,
    timing,
  );
  const calling = startWebSocket(
    { url: server.url, room, id: "caller", call: "answerer", verify },
    caller,
    undefined,
    timing,
  );
  const white = solid(255, 255, 255), black = solid(0, 0, 0);
  const sender = setInterval(() => {
    if (caller.active) caller.sendFrame(white, WIDTH, HEIGHT, false);
    if (answerer.active) answerer.sendFrame(black, WIDTH, HEIGHT, false);
  }, 33);
  try {
    await waitFor(
      "both sessions connected",
      () =>
        caller.connectionState === "connected" &&
        answerer.connectionState === "connected",
    );
    await waitFor(
      "video both ways",
      () => (meanLuma(caller) !== null && meanLuma(answerer) !== null),
    );
    // The answerer sees the caller's white, the caller the answerer's black.
    await waitFor("the answerer to see white", () => meanLuma(answerer)! > 200);
    assert(meanLuma(caller)! < 40, `caller sees luma ${meanLuma(caller)}`);
    assertEquals([
      answerer.latestFrame()!.width,
      answerer.latestFrame()!.height,
    ], [WIDTH, HEIGHT]);
    // Both stayed joined after signalling.
    assert(server.output().includes(`"caller" joined room "${room}"`));
    assert(!server.output().includes("left room"));
  } finally {
    clearInterval(sender);
    await calling.close();
    await answering.close();
    caller.close();
    answerer.close();
    assertEquals((await server.stop()).code, 0);
  }
}

Deno.test("two wrtc peer sessions connect through the WebSocket server over ws", async () => {
  await callThroughServer([], true);
});

Deno.test("two wrtc peer sessions connect over wss with a self-signed certificate and verify=false", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const { certificate, key } = await selfSignedCertificate(dir);
    await Deno.writeTextFile(`${dir}/both.pem`, certificate + key);
    await callThroughServer([`--certificate=${dir}/both.pem`], false);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

// deno-test-isolated: makes peer connections in this process (libwebrtc may abort at teardown)
// A rig that waits in a room of our server (a real `cli.ts run` process with
// !websocket, nothing WHIP-specific in its scene) taking a WHIP publisher's
// video and feeding a WHEP viewer, the HTTP client being a libwebrtc
// session in this process that posts a sendonly or recvonly offer. Runs in
// the loopback network namespace (scripts/in_loopback_netns.sh).
import assert from "node:assert/strict";
import { setLogLevel } from "../../lib/log/logger.ts";
import {
  type ReceivedFrame,
  WrtcPeerSession,
} from "../../lib/webrtc/peer_session.ts";
import { direction, mediaSections } from "../../lib/server/sdp_check.ts";
import { type ServerProcess, startServer } from "../server/_server_process.ts";
import { halves, meanColour } from "../webrtc/_helpers.ts";
import {
  Endpoint,
  near,
  probeFiles,
  type Rgb,
  stopAll,
  tempFolder,
  TOLERANCE,
  waitForColour,
  waitForState,
  waitUntil,
  websocketNode,
  writeCallScene,
} from "./_endpoint.ts";

setLogLevel("warn");

const MAGENTA: Rgb = [255, 0, 255];
const GREEN: Rgb = [0, 255, 0];
const BLUE: Rgb = [0, 0, 255];
const WIDTH = 160;
const HEIGHT = 120;

/** `sdp` with its video sections' direction set to `to` (the session offers sendrecv). */
function withVideoDirection(sdp: string, to: "sendonly" | "recvonly"): string {
  return sdp.replace(
    /(m=video[^]*?)a=sendrecv/g,
    (_match, head: string) => `${head}a=${to}`,
  );
}

/** The direction of the first video section of `sdp`. */
function videoDirection(sdp: string): string {
  return direction(mediaSections(sdp).find((s) => s.kind === "video")!);
}

/** An HTTP client's call: its session, and the Location of its resource. */
interface HttpCall {
  session: WrtcPeerSession;
  location: string;
  answer: string;
}

/** POSTs an offer of `session` going `to` (sendonly: WHIP, recvonly: WHEP) to `url`. */
async function httpCall(
  session: WrtcPeerSession,
  url: string,
  to: "sendonly" | "recvonly",
): Promise<HttpCall> {
  const offer = withVideoDirection(await session.createOffer(), to);
  const response = await fetch(url, {
    method: "POST",
    headers: { "content-type": "application/sdp" },
    body: offer,
  });
  const answer = await response.text();
  assert.equal(response.status, 201, `${response.status} ${answer}`);
  await session.acceptAnswer(answer);
  return {
    session,
    location: new URL(response.headers.get("location")!, url).href,
    answer,
  };
}

/** Sends `colour` from `session` at 15 fps until the returned function is called. */
function pump(session: WrtcPeerSession, colour: Rgb): () => void {
  const rgba = halves(WIDTH, HEIGHT, colour, colour, false);
  const timer = setInterval(
    () => session.sendFrame(rgba, WIDTH, HEIGHT, false),
    1000 / 15,
  );
  return () => clearInterval(timer);
}

async function withRig(
  body: (
    server: ServerProcess,
    rig: Endpoint,
    files: { OUT: string; STATE: string },
  ) => Promise<void>,
): Promise<void> {
  const dir = await tempFolder();
  let server: ServerProcess | undefined;
  const endpoints: Endpoint[] = [];
  try {
    server = await startServer([]);
    const scene = await writeCallScene(dir.path, "rig", {
      colour: MAGENTA,
      signalling: websocketNode(server.url, "stage", { room: "studio" }),
    });
    const files = probeFiles(dir.path, "rig");
    const rig = Endpoint.start({ name: "rig", scene, defines: files });
    endpoints.push(rig);
    await waitForState("rig", files.STATE, "none", endpoints);
    await body(server, rig, files);
  } finally {
    await stopAll(endpoints);
    await server?.stop();
    await dir.remove();
  }
}

/** Makes `call` until it gets through: 404 (no room, no endpoint) until the rig has joined. */
async function whenJoined(
  rig: Endpoint,
  call: () => Promise<HttpCall>,
): Promise<HttpCall> {
  for (let attempt = 0;; attempt++) {
    try {
      return await call();
    } catch (error) {
      if (!/\b404\b/.test(String(error)) || attempt >= 100) throw error;
      if (rig.status !== null) throw new Error(rig.describe());
      await new Promise((resolve) => setTimeout(resolve, 200));
    }
  }
}

Deno.test("WHIP into an unchanged rig: the rig shows the publisher's video and answers recvonly; DELETE ends its call at once and a new publisher gets through", async () => {
  await withRig(async (server, rig, files) => {
    const base = server.url.replace(/^ws/, "http");
    const url = `${base}whip/studio/stage`;
    const first = await WrtcPeerSession.create({
      width: WIDTH,
      height: HEIGHT,
    });
    const second = await WrtcPeerSession.create({
      width: WIDTH,
      height: HEIGHT,
    });
    const stops: Array<() => void> = [];
    try {
      stops.push(pump(first, GREEN));
      const call = await whenJoined(
        rig,
        () => httpCall(first, url, "sendonly"),
      );
      assert.equal(videoDirection(call.answer), "recvonly");
      await waitForState("rig", files.STATE, "connected", [rig]);
      await waitForColour("rig", files.OUT, GREEN, [rig]);
      // DELETE while this side goes on sending: only the server's "hangup"
      // can end the rig's call (its connection would live on, and video
      // still arrives, so the rig's rule for a missing peer does not apply).
      const deleted = await fetch(call.location, { method: "DELETE" });
      assert.equal(deleted.status, 200);
      await deleted.body?.cancel();
      await waitForState("rig", files.STATE, "none", [rig], 5000);
      assert.notEqual(first.connectionState, null);
      stops.push(pump(second, BLUE));
      const again = await httpCall(second, url, "sendonly");
      await waitForState("rig", files.STATE, "connected", [rig]);
      await waitForColour("rig", files.OUT, BLUE, [rig]);
      const ended = await fetch(again.location, { method: "DELETE" });
      assert.equal(ended.status, 200);
      await ended.body?.cancel();
    } finally {
      for (const stop of stops) stop();
      first.close();
      second.close();
    }
  });
});

Deno.test("WHEP from an unchanged rig: a recvonly offer is answered sendonly and the viewer receives the rig's video", async () => {
  await withRig(async (server, rig) => {
    const base = server.url.replace(/^ws/, "http");
    const url = `${base}whep/studio/stage`;
    const viewer = await WrtcPeerSession.create({
      width: WIDTH,
      height: HEIGHT,
    });
    try {
      const call = await whenJoined(
        rig,
        () => httpCall(viewer, url, "recvonly"),
      );
      assert.equal(videoDirection(call.answer), "sendonly");
      let last: Rgb | null = null;
      await waitUntil(
        () => `the viewer to receive magenta (last: ${last})`,
        () => {
          const frame: ReceivedFrame | null = viewer.latestFrame();
          if (frame === null) return false;
          last = meanColour(frame, 0.25, 0.75) as Rgb;
          return near(last, MAGENTA, TOLERANCE);
        },
        [rig],
      );
      const deleted = await fetch(call.location, { method: "DELETE" });
      assert.equal(deleted.status, 200);
      await deleted.body?.cancel();
    } finally {
      viewer.close();
    }
  });
});

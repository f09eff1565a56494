// deno-test-isolated: libwebrtc may abort when Deno tears this runtime down
/**
 * Baseline for the interop tests: the Python (aiortc) peer exchanges video
 * with a bare `@roamhq/wrtc` peer connection (libwebrtc, no code of ours)
 * through the Python signalling server, in both call directions. When this
 * passes and a test of our endpoints against the Python peer fails, the fault
 * is in our code, not in the stacks or the test tools.
 */

import wrtc from "npm:@roamhq/wrtc@0.10.0";
import {
  deepStrictEqual as assertEquals,
  ok as assert,
} from "node:assert/strict";
import {
  frameNear,
  type PythonPeer,
  pythonPeerUnavailable,
  type PythonServer,
  startPythonPeer,
  startPythonServer,
  stateIs,
} from "./python_peer.ts";

const missing = await pythonPeerUnavailable({ websocket: true });
if (missing) console.warn(`Skipping the aiortc/wrtc interop tests: ${missing}`);

const WAIT_MS = 30_000;
const WIDTH = 320;
const HEIGHT = 240;
// BT.601 limited-range YUV of pure green, and of pure blue.
const GREEN_YUV = [145, 54, 34];
const BLUE_YUV = [41, 240, 110];

// deno-lint-ignore no-explicit-any
type Any = any;
const { RTCPeerConnection, nonstandard } = wrtc as Any;

/** A wrtc peer connection sending solid green and sampling what it receives. */
function wrtcPeer() {
  const pc = new RTCPeerConnection({ iceServers: [] });
  const source = new nonstandard.RTCVideoSource();
  const track = source.createTrack();
  pc.addTrack(track);
  const i420 = new Uint8ClampedArray(WIDTH * HEIGHT * 3 / 2);
  i420.fill(GREEN_YUV[0], 0, WIDTH * HEIGHT);
  i420.fill(GREEN_YUV[1], WIDTH * HEIGHT, WIDTH * HEIGHT * 5 / 4);
  i420.fill(GREEN_YUV[2], WIDTH * HEIGHT * 5 / 4);
  const timer = setInterval(
    () => source.onFrame({ width: WIDTH, height: HEIGHT, data: i420 }),
    33,
  );
  const received: { width: number; height: number; yuv: number[] }[] = [];
  const sinks: Any[] = [];
  pc.ontrack = (event: Any) => {
    const sink = new nonstandard.RTCVideoSink(event.track);
    sinks.push(sink);
    sink.onframe = ({ frame }: Any) => {
      const { width, height, data } = frame;
      const chroma = (height / 4) * (width / 2) + width / 4;
      received.push({
        width,
        height,
        yuv: [
          data[(height / 2) * width + width / 2],
          data[width * height + chroma],
          data[width * height * 5 / 4 + chroma],
        ],
      });
    };
  };
  const describe = async () => {
    while (pc.iceGatheringState !== "complete") {
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    return pc.localDescription.sdp as string;
  };
  const close = () => {
    clearInterval(timer);
    for (const sink of sinks) sink.stop();
    track.stop();
    pc.close();
  };
  return { pc, received, describe, close };
}

/** A signalling client on a raw WebSocket; `onMessage` sees each message. */
async function join(
  server: PythonServer,
  id: string,
  onMessage: (message: Record<string, Any>, send: (m: unknown) => void) => void,
) {
  const socket = new WebSocket(server.url);
  const closed = new Promise((resolve) => socket.onclose = resolve);
  await new Promise((resolve, reject) => {
    socket.onopen = resolve;
    socket.onerror = () => reject(new Error(`Cannot connect to ${server.url}`));
  });
  const send = (message: unknown) => socket.send(JSON.stringify(message));
  socket.onmessage = (event) => onMessage(JSON.parse(event.data), send);
  send({ type: "join", id, room: "interop" });
  return async () => {
    socket.close();
    await closed;
  };
}

async function expectExchange(
  py: PythonPeer,
  local: ReturnType<typeof wrtcPeer>,
): Promise<void> {
  await py.waitFor(stateIs("connected"), WAIT_MS, "connected state");
  await py.waitFor(frameNear([0, 255, 0], 24), WAIT_MS, "a green frame");
  const deadline = Date.now() + WAIT_MS;
  while (local.received.length < 5 && Date.now() < deadline) {
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  const last = local.received.at(-1);
  assert(last, "the wrtc peer received no frame from the Python peer");
  assertEquals([last.width, last.height], [WIDTH, HEIGHT]);
  last.yuv.forEach((value, i) =>
    assert(
      Math.abs(value - BLUE_YUV[i]) <= 12,
      `wrtc peer: expected blue YUV ${BLUE_YUV}, got ${last.yuv}`,
    )
  );
}

Deno.test({
  name:
    "a bare wrtc peer calls the Python peer through the Python server and both see video",
  ignore: missing !== undefined,
  async fn() {
    const server = await startPythonServer();
    const py = startPythonPeer([
      ...["--websocket", server.url, "--room", "interop", "--id", "py"],
      ...["--colour", "0,0,255"],
    ]);
    const local = wrtcPeer();
    let leave: (() => Promise<void>) | undefined;
    try {
      await py.waitFor((e) => e.event === "members", WAIT_MS, "members");
      let offered = false;
      leave = await join(server, "wrtc", async (message, send) => {
        if (
          message.type === "members" && message.members.includes("py") &&
          !offered
        ) {
          offered = true;
          await local.pc.setLocalDescription(await local.pc.createOffer());
          send({ type: "call", to: "py", offer: await local.describe() });
        } else if (message.type === "answer" && message.from === "py") {
          await local.pc.setRemoteDescription({
            type: "answer",
            sdp: message.answer,
          });
          send({ type: "finished", to: "py" });
        }
      });
      await expectExchange(py, local);
    } finally {
      await leave?.();
      local.close();
      await py.stop();
      await server.stop();
    }
  },
});

Deno.test({
  name:
    "the Python peer calls a bare wrtc peer through the Python server and both see video",
  ignore: missing !== undefined,
  async fn() {
    const server = await startPythonServer();
    const local = wrtcPeer();
    let py: PythonPeer | undefined;
    let leave: (() => Promise<void>) | undefined;
    try {
      leave = await join(server, "wrtc", async (message, send) => {
        if (message.type === "call") {
          await local.pc.setRemoteDescription({
            type: "offer",
            sdp: message.offer,
          });
          await local.pc.setLocalDescription(await local.pc.createAnswer());
          send({
            type: "answer",
            to: message.from,
            answer: await local.describe(),
          });
        }
      });
      py = startPythonPeer([
        ...["--websocket", server.url, "--room", "interop", "--id", "py"],
        ...["--call", "wrtc", "--colour", "0,0,255"],
      ]);
      await py.waitFor(
        (e) => e.event === "signalling" && e.step === "sent-finished",
        WAIT_MS,
        "the call to be finished",
      );
      await expectExchange(py, local);
    } finally {
      await leave?.();
      local.close();
      await py?.stop();
      await server.stop();
    }
  },
});

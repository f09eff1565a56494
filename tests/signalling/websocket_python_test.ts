// deno-test-isolated: libwebrtc may abort when Deno tears this runtime down
/**
 * Interoperability of the WebSocket signalling with an independent Python
 * (aiortc) implementation of the original's protocol
 * (tests/peer/flitter_peer.py, flitter_server.py): Python peers through our
 * server (plain and TLS), and our `!websocket` client with a real
 * `WrtcPeerSession` against the Python server and a Python peer, in both
 * call directions. Needs /usr/bin/python3 with aiortc and websockets, and a
 * loopback-only network namespace (scripts/in_loopback_netns.sh).
 */

import { ok as assert } from "node:assert/strict";
import { type Logger, setLogLevel } from "../../lib/log/logger.ts";
import { startWebSocket } from "../../lib/signalling/websocket.ts";
import { loadWrtc, WrtcPeerSession } from "../../lib/webrtc/peer_session.ts";
import {
  frameNear,
  type PythonPeer,
  pythonPeerUnavailable,
  startPythonPeer,
  startPythonServer,
  stateIs,
} from "../peer/python_peer.ts";
import { selfSignedCertificate } from "../server/_certificate.ts";
import { type ServerProcess, startServer } from "../server/_server_process.ts";
import { RecordingLogger } from "./_websocket_doubles.ts";
import { waitFor as waitUntil } from "../_wait.ts";

setLogLevel((Deno.env.get("TEST_LOG") as "trace" | undefined) ?? "warn");

const missing = await pythonPeerUnavailable({ websocket: true });
if (missing) {
  console.warn(`Skipping the Python WebSocket interop tests: ${missing}`);
}

// Sessions are made in plain functions below: load the addon once first.
await loadWrtc();

const WAIT_MS = 30_000;
const WIDTH = 320, HEIGHT = 240;
// BT.601 limited-range Y, U, V of pure blue (what the Python peer sends).
const BLUE_YUV = [41, 240, 110];

const waitFor = (
  what: string,
  condition: () => boolean,
  timeoutMs = WAIT_MS,
) => waitUntil(what, condition, timeoutMs, 20);

/** Y, U, V at the centre of the newest frame `session` received. */
function centreYuv(session: WrtcPeerSession): number[] | null {
  const frame = session.latestFrame();
  if (frame === null) return null;
  const { width, height, data } = frame;
  const cw = (width + 1) >> 1, ch = (height + 1) >> 1;
  const y = data[(height >> 1) * width + (width >> 1)];
  const u = data[width * height + (ch >> 1) * cw + (cw >> 1)];
  const v = data[width * height + cw * ch + (ch >> 1) * cw + (cw >> 1)];
  return [y, u, v];
}

/** A WrtcPeerSession sending white, with a sender timer to stop. */
function whiteSession(): { session: WrtcPeerSession; stop: () => void } {
  const session = new WrtcPeerSession({ width: WIDTH, height: HEIGHT });
  const white = new Uint8Array(WIDTH * HEIGHT * 4).fill(255);
  const timer = setInterval(() => {
    if (session.active) session.sendFrame(white, WIDTH, HEIGHT, false);
  }, 33);
  return {
    session,
    stop: () => {
      clearInterval(timer);
      session.close();
    },
  };
}

/** Checks that `session` sees the Python peer's blue and the Python peer our white. */
async function expectExchange(
  session: WrtcPeerSession,
  py: PythonPeer,
): Promise<void> {
  await waitFor(
    "our session to connect",
    () => session.connectionState === "connected",
  );
  await py.waitFor(
    frameNear([255, 255, 255], 40),
    WAIT_MS,
    "the Python peer to see white",
  );
  await waitFor("our session to see blue", () => {
    const yuv = centreYuv(session);
    return yuv !== null &&
      yuv.every((value, i) => Math.abs(value - BLUE_YUV[i]) <= 20);
  });
}

Deno.test({
  name:
    "two Python peers call each other through our server process, over ws and over wss without verification",
  ignore: missing !== undefined,
  async fn() {
    const dir = await Deno.makeTempDir();
    try {
      const { certificate, key } = await selfSignedCertificate(dir);
      await Deno.writeTextFile(`${dir}/both.pem`, certificate + key);
      for (const tls of [false, true]) {
        const server = await startServer([
          "--debug",
          ...(tls ? [`--certificate=${dir}/both.pem`] : []),
        ]);
        const common = [
          "--websocket",
          server.url,
          "--room",
          "python",
          ...(tls ? ["--no-verify"] : []),
        ];
        const answerer = startPythonPeer([
          ...common,
          "--id",
          "answerer",
          "--colour",
          "0,255,0",
        ]);
        const caller = startPythonPeer([
          ...common,
          "--id",
          "caller",
          "--call",
          "answerer",
          "--colour",
          "255,0,0",
        ]);
        try {
          await caller.waitFor(
            frameNear([0, 255, 0], 40),
            WAIT_MS,
            "the caller to see green",
          );
          await answerer.waitFor(
            frameNear([255, 0, 0], 40),
            WAIT_MS,
            "the answerer to see red",
          );
          assert(server.output().includes('"caller" joined room "python"'));
        } finally {
          await caller.stop();
          await answerer.stop();
          await server.stop();
        }
      }
    } finally {
      await Deno.remove(dir, { recursive: true });
    }
  },
});

Deno.test({
  name:
    "our !websocket caller reaches a Python answerer through the Python server and both see video",
  ignore: missing !== undefined,
  async fn() {
    const server = await startPythonServer();
    const py = startPythonPeer([
      "--websocket",
      server.url,
      "--room",
      "interop",
      "--id",
      "py",
      "--colour",
      "0,0,255",
    ]);
    const ours = whiteSession();
    const signalling = startWebSocket(
      {
        url: server.url,
        room: "interop",
        id: "deno",
        call: "py",
        verify: true,
      },
      ours.session,
      undefined,
      { retryDelayMs: 500 },
    );
    try {
      await py.waitFor(
        stateIs("connected"),
        WAIT_MS,
        "the Python peer to connect",
      );
      await expectExchange(ours.session, py);
    } finally {
      await signalling.close();
      ours.stop();
      await py.stop();
      await server.stop();
    }
  },
});

/**
 * Our `!websocket` answerer (a white `WrtcPeerSession`, id "deno") in room
 * "interop" of our server, and a Python caller ("py", blue) started once
 * the answerer has joined; runs `body`, then stops everything.
 */
async function withPythonCaller(
  log: Logger | undefined,
  body: (
    call: { server: ServerProcess; ours: WrtcPeerSession; py: PythonPeer },
  ) => Promise<void>,
): Promise<void> {
  const server = await startServer(["--debug"]);
  const ours = whiteSession();
  const signalling = startWebSocket(
    {
      url: server.url,
      room: "interop",
      id: "deno",
      call: null,
      verify: true,
    },
    ours.session,
    log,
    { retryDelayMs: 500 },
  );
  let py: PythonPeer | undefined;
  try {
    await waitFor(
      "our answerer to join",
      () => server.output().includes('"deno" joined room "interop"'),
    );
    py = startPythonPeer([
      ...["--websocket", server.url, "--room", "interop", "--id", "py"],
      ...["--call", "deno", "--colour", "0,0,255"],
    ]);
    await body({ server, ours: ours.session, py });
  } finally {
    await signalling.close();
    ours.stop();
    await py?.stop();
    await server.stop();
  }
}

Deno.test({
  name:
    "a Python caller that leaves the room after signalling reaches our !websocket answerer through our server",
  ignore: missing !== undefined,
  fn: () =>
    withPythonCaller(undefined, async ({ server, ours, py }) => {
      await py.waitFor(
        (e) => e.event === "signalling" && e.step === "left-room",
        WAIT_MS,
        "the caller to leave",
      );
      await expectExchange(ours, py);
      // The caller left the room; our answerer kept the call.
      assert(server.output().includes('"py" left room "interop"'));
      assert(ours.connectionState === "connected");
    }),
});

Deno.test({
  name:
    "when a Python caller (which never says stay) exits, our !websocket answerer ends the call as the peer's DTLS closes, not when libwebrtc gives the connection up",
  ignore: missing !== undefined,
  fn: () => {
    const log = new RecordingLogger();
    return withPythonCaller(log, async ({ ours, py }) => {
      await expectExchange(ours, py);
      const exit = await py.stop();
      assert(exit.code === 0, `the Python peer exited with ${exit.code}`);
      await waitFor(
        "our answerer to end the call",
        () => ours.connectionState !== "connected",
      );
      // Ended for the reason under test: libwebrtc would have said
      // "disconnected" or "failed" only seconds later.
      assert(
        log.has('"py" closed its connection; signalling again'),
        log.records.join("\n"),
      );
    });
  },
});

// deno-test-isolated: starts endpoint processes (WebRTC runs in them); its own process lets the runner run e2e files two at a time
// End to end against the independent Python (aiortc) peer: our `cli.ts run`
// process and `tests/peer/flitter_peer.py` call each other both ways, over
// !broadcast and over !websocket (our server, and once the Python server).
// Each checks the other's pixels: the Python peer reports the colour it
// receives, ours records it to a PNG. Run inside the loopback network
// namespace (scripts/in_loopback_netns.sh; `deno task test` does).
import { join } from "node:path";
import {
  frameNear,
  type PythonPeer,
  pythonPeerUnavailable,
  type PythonServer,
  startPythonPeer,
  startPythonServer,
} from "../peer/python_peer.ts";
import { holdUdpPort } from "../_udp_port.ts";
import { type ServerProcess, startServer } from "../server/_server_process.ts";
import {
  callScene,
  CONNECT_TIMEOUT_MS,
  Endpoint,
  type Rgb,
  type SceneNodeJson,
  tempFolder,
  TOLERANCE,
  waitForColour,
  waitForState,
} from "./_endpoint.ts";

const missing = await pythonPeerUnavailable({ websocket: true });
if (missing) console.warn(`Skipping the Python peer e2e tests: ${missing}`);

/** What our endpoint sends. */
const OURS: Rgb = [255, 0, 0];
/** What the Python peer sends. */
const THEIRS: Rgb = [0, 0, 255];
const PYTHON_COMMON = [
  "--colour",
  THEIRS.join(","),
  "--size",
  "160x120",
  "--fps",
  "15",
];

/**
 * Runs our endpoint with `signalling` and the Python peer with `pythonArgs`
 * (plus the colour, size and rate), and checks both receive the other's
 * colour and our endpoint reaches :connected.
 */
async function callPython(
  signalling: SceneNodeJson,
  pythonArgs: string[],
): Promise<void> {
  const dir = await tempFolder();
  let ours: Endpoint | undefined;
  let python: PythonPeer | undefined;
  try {
    const scene = join(dir.path, "ours.json");
    await Deno.writeTextFile(scene, callScene({ colour: OURS, signalling }));
    const files = {
      OUT: join(dir.path, "out.png"),
      STATE: join(dir.path, "state.png"),
    };
    ours = Endpoint.start({ name: "ours", scene, defines: files });
    python = startPythonPeer([...pythonArgs, ...PYTHON_COMMON]);
    await python.waitFor(
      frameNear(OURS, TOLERANCE),
      CONNECT_TIMEOUT_MS,
      `a frame of our colour ${OURS}`,
    );
    await waitForState("ours", files.STATE, "connected", [ours]);
    await waitForColour("ours", files.OUT, THEIRS, [ours]);
  } finally {
    await Promise.allSettled([ours?.stop(), python?.stop()]);
    await dir.remove();
  }
}

Deno.test({
  name:
    "the Python peer calls our endpoint over !broadcast and each receives the other's colour",
  ignore: missing !== undefined,
  async fn() {
    await using held = await holdUdpPort();
    const port = held.port;
    await callPython(
      { kind: "!broadcast", answer: "py-calls", port },
      [
        "--broadcast-call",
        "py-calls",
        "--port",
        String(port),
        "--broadcast-address",
        "127.255.255.255",
      ],
    );
  },
});

Deno.test({
  name:
    "our endpoint calls the Python peer over !broadcast and each receives the other's colour",
  ignore: missing !== undefined,
  async fn() {
    await using held = await holdUdpPort();
    const port = held.port;
    await callPython(
      {
        kind: "!broadcast",
        call: "we-call",
        port,
        broadcast: "127.255.255.255",
      },
      ["--broadcast-answer", "we-call", "--port", String(port)],
    );
  },
});

Deno.test({
  name:
    "the Python peer calls our endpoint over !websocket through our server and each receives the other's colour",
  ignore: missing !== undefined,
  async fn() {
    let server: ServerProcess | undefined;
    try {
      server = await startServer([]);
      await callPython(
        { kind: "!websocket", url: server.url, room: "py", id: "ours" },
        [
          "--websocket",
          server.url,
          "--room",
          "py",
          "--id",
          "python",
          "--call",
          "ours",
        ],
      );
    } finally {
      await server?.stop();
    }
  },
});

Deno.test({
  name:
    "our endpoint calls the Python peer over !websocket through our server and each receives the other's colour",
  ignore: missing !== undefined,
  async fn() {
    let server: ServerProcess | undefined;
    try {
      server = await startServer([]);
      await callPython(
        {
          kind: "!websocket",
          url: server.url,
          room: "py",
          id: "ours",
          call: "python",
        },
        ["--websocket", server.url, "--room", "py", "--id", "python"],
      );
    } finally {
      await server?.stop();
    }
  },
});

Deno.test({
  name:
    "our endpoint calls the Python peer through the Python signalling server and each receives the other's colour",
  ignore: missing !== undefined,
  async fn() {
    let server: PythonServer | undefined;
    try {
      server = await startPythonServer();
      await callPython(
        {
          kind: "!websocket",
          url: server.url,
          room: "py",
          id: "ours",
          call: "python",
        },
        ["--websocket", server.url, "--room", "py", "--id", "python"],
      );
    } finally {
      await server?.stop();
    }
  },
});

/**
 * Proves the independent Python test peer and server against themselves, so
 * that a failure of our endpoints against them can be trusted: two Python
 * peers connect over broadcast and over the Python signalling server and each
 * sees the other's colour; the server relays with a forged-proof `from`; the
 * peer's cipher agrees with the original's vectors.
 */

import {
  deepStrictEqual as assertEquals,
  ok as assert,
} from "node:assert/strict";
import {
  type FrameEvent,
  frameNear,
  PEER_SCRIPT,
  PYTHON,
  type PythonPeer,
  pythonPeerUnavailable,
  startPythonPeer,
  startPythonServer,
  stateIs,
} from "./python_peer.ts";
import { holdUdpPort } from "../_udp_port.ts";

const missingPeer = await pythonPeerUnavailable();
const missingWebsocket = missingPeer ??
  await pythonPeerUnavailable({ websocket: true });
if (missingPeer) {
  console.warn(`Skipping the Python peer self-tests: ${missingPeer}`);
} else if (missingWebsocket) {
  console.warn(`Skipping the Python WebSocket self-tests: ${missingWebsocket}`);
}

const WAIT_MS = 30_000;
const TOLERANCE = 24;
const RED: [number, number, number] = [255, 0, 0];
const GREEN: [number, number, number] = [0, 255, 0];
const BLUE: [number, number, number] = [0, 0, 255];
const YELLOW: [number, number, number] = [255, 255, 0];

async function stopAll(...peers: (PythonPeer | undefined)[]): Promise<void> {
  await Promise.all(peers.map((peer) => peer?.stop()));
}

Deno.test({
  name:
    "two Python peers connect over broadcast signalling and each sees the other's colour",
  ignore: missingPeer !== undefined,
  async fn() {
    await using held = await holdUdpPort();
    const port = String(held.port);
    const answerer = startPythonPeer([
      "--broadcast-answer",
      "selftest",
      "--port",
      port,
      "--colour",
      BLUE.join(","),
    ]);
    let caller: PythonPeer | undefined;
    try {
      await answerer.waitFor((e) => e.event === "ready", WAIT_MS, "ready");
      caller = startPythonPeer([
        "--broadcast-call",
        "selftest",
        "--port",
        port,
        "--colour",
        GREEN.join(","),
        "--bottom-colour",
        YELLOW.join(","),
      ]);
      await caller.waitFor(stateIs("connected"), WAIT_MS, "connected state");
      await answerer.waitFor(stateIs("connected"), WAIT_MS, "connected state");
      const seenByCaller = await caller.waitFor<FrameEvent>(
        frameNear(BLUE, TOLERANCE, { top: BLUE, bottom: BLUE }),
        WAIT_MS,
        "a blue frame",
      );
      const seenByAnswerer = await answerer.waitFor<FrameEvent>(
        frameNear(undefined, TOLERANCE, { top: GREEN, bottom: YELLOW }),
        WAIT_MS,
        "a green-over-yellow frame",
      );
      assertEquals([seenByCaller.width, seenByCaller.height], [320, 240]);
      assertEquals([seenByAnswerer.width, seenByAnswerer.height], [320, 240]);
      assert(seenByAnswerer.count > 0);
      const offers = caller.history.filter((e) =>
        e.event === "signalling" && e.step === "offer-sent"
      );
      assert(offers.length >= 1, "the caller sent no offer");
      assert(
        offers.every((e) => (e.bytes as number) <= 1500),
        "an offer datagram exceeds 1500 bytes",
      );
    } finally {
      await stopAll(caller, answerer);
    }
    assertEquals(
      answerer.history.at(-1),
      { event: "exit", reason: "SIGTERM" },
      "the answerer did not exit cleanly on SIGTERM",
    );
  },
});

Deno.test({
  name:
    "Python peers with --moving send moving content and report CPU time and bytes sent (the aiortc benchmark's figures)",
  ignore: missingPeer !== undefined,
  async fn() {
    await using held = await holdUdpPort();
    const port = String(held.port);
    const common = ["--port", port, "--moving", "--size", "160x96"];
    const answerer = startPythonPeer([
      "--broadcast-answer",
      "moving",
      ...common,
      "--rgb",
      "--report-interval",
      "0.2",
    ]);
    let caller: PythonPeer | undefined;
    try {
      await answerer.waitFor((e) => e.event === "ready", WAIT_MS, "ready");
      caller = startPythonPeer(["--broadcast-call", "moving", ...common]);
      await caller.waitFor(stateIs("connected"), WAIT_MS, "connected state");
      const isFrame = (e: { event: string }) => e.event === "frame";
      const first = await answerer.waitFor<FrameEvent>(
        isFrame,
        WAIT_MS,
        "a frame",
      );
      // Frames keep arriving, and (sliding bars) the picture changes from
      // report to report: wait for 20 more frames in three colours or more.
      const colours = new Set<string>();
      const last = await answerer.waitFor<FrameEvent>(
        (e) => {
          if (!isFrame(e)) return false;
          const report = e as FrameEvent;
          colours.add(report.rgb.join(","));
          return report.count > first.count + 20 && colours.size >= 3;
        },
        WAIT_MS,
        "20 more frames, in three colours or more",
      );
      assertEquals([last.width, last.height], [160, 96]);
      assert(last.cpu > first.cpu && first.cpu > 0, "CPU time not reported");
      const sentBytes = (e: { event: string }) =>
        isFrame(e) ? (e as FrameEvent).sent_bytes ?? 0 : -1;
      const firstSent = await caller.waitFor(
        (e) => sentBytes(e) >= 0,
        WAIT_MS,
        "a frame report from the caller",
      );
      await caller.waitFor(
        (e) => sentBytes(e) > sentBytes(firstSent),
        WAIT_MS,
        "the caller's bytes sent to grow",
      );
    } finally {
      await stopAll(caller, answerer);
    }
  },
});

Deno.test({
  name:
    "a Python broadcast answerer ignores offers encrypted with another secret",
  ignore: missingPeer !== undefined,
  async fn() {
    await using held = await holdUdpPort();
    const port = String(held.port);
    const answerer = startPythonPeer([
      "--broadcast-answer",
      "selftest",
      "--port",
      port,
    ]);
    let caller: PythonPeer | undefined;
    try {
      await answerer.waitFor((e) => e.event === "ready", WAIT_MS, "ready");
      caller = startPythonPeer([
        "--broadcast-call",
        "selftest",
        "--secret",
        "not the same secret",
        "--port",
        port,
      ]);
      const warning = await answerer.waitFor(
        (e) => e.event === "warning",
        WAIT_MS,
        "a warning about the datagram",
      );
      assert(String(warning.warning).includes("InvalidToken"));
      assert(
        !answerer.history.some((e) =>
          e.event === "signalling" && e.step === "answer-sent"
        ),
        "the answerer answered an offer it cannot have decrypted",
      );
    } finally {
      await stopAll(caller, answerer);
    }
  },
});

Deno.test({
  name:
    "two Python peers connect through the Python signalling server and each sees the other's colour",
  ignore: missingWebsocket !== undefined,
  async fn() {
    const server = await startPythonServer();
    let answerer: PythonPeer | undefined;
    let caller: PythonPeer | undefined;
    try {
      answerer = startPythonPeer([
        "--websocket",
        server.url.replace("ws://", "http://"),
        "--room",
        "selftest",
        "--id",
        "answerer",
        "--colour",
        RED.join(","),
      ]);
      await answerer.waitFor(
        (e) => e.event === "members",
        WAIT_MS,
        "a members list",
      );
      caller = startPythonPeer([
        "--websocket",
        server.url,
        "--room",
        "selftest",
        "--id",
        "caller",
        "--call",
        "answerer",
        "--colour",
        BLUE.join(","),
      ]);
      await caller.waitFor(stateIs("connected"), WAIT_MS, "connected state");
      await answerer.waitFor(stateIs("connected"), WAIT_MS, "connected state");
      await caller.waitFor(frameNear(RED, TOLERANCE), WAIT_MS, "a red frame");
      await answerer.waitFor(
        frameNear(BLUE, TOLERANCE),
        WAIT_MS,
        "a blue frame",
      );
      const members = answerer.history.filter((e) => e.event === "members")
        .map((e) => e.members);
      assertEquals(members.slice(0, 2), [["answerer"], ["answerer", "caller"]]);
      const log = server.stderr();
      assert(log.includes("relay call 'caller' → 'answerer'"), log);
      assert(log.includes("relay answer 'answerer' → 'caller'"), log);
      assert(log.includes("relay finished 'caller' → 'answerer'"), log);
    } finally {
      await stopAll(caller, answerer);
      await server.stop();
    }
  },
});

/** Opens a WebSocket and collects its messages. */
async function openClient(url: string) {
  const socket = new WebSocket(url);
  const messages: Record<string, unknown>[] = [];
  let wake = () => {};
  socket.onmessage = (event) => {
    messages.push(JSON.parse(event.data));
    wake();
  };
  const closed = new Promise<void>((resolve) => {
    socket.onclose = () => {
      wake();
      resolve();
    };
  });
  await new Promise<void>((resolve, reject) => {
    socket.onopen = () => resolve();
    socket.onerror = () => reject(new Error(`Cannot connect to "${url}"`));
  });
  const next = async (): Promise<Record<string, unknown>> => {
    while (messages.length === 0) {
      if (socket.readyState === WebSocket.CLOSED) {
        throw new Error("The server closed the socket");
      }
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, WAIT_MS);
        wake = () => {
          clearTimeout(timer);
          resolve();
        };
      });
    }
    return messages.shift()!;
  };
  const send = (message: unknown) => socket.send(JSON.stringify(message));
  const close = async () => {
    if (socket.readyState !== WebSocket.CLOSED) socket.close();
    await closed;
  };
  return { next, send, close, closed };
}

Deno.test({
  name:
    "the Python signalling server relays with the sender's ID as from and refuses a taken ID",
  ignore: missingWebsocket !== undefined,
  async fn() {
    const server = await startPythonServer();
    const clients: Awaited<ReturnType<typeof openClient>>[] = [];
    try {
      const a = await openClient(server.url);
      clients.push(a);
      a.send({ type: "join", id: "a", room: "r" });
      assertEquals(await a.next(), { type: "members", members: ["a"] });
      const b = await openClient(server.url);
      clients.push(b);
      b.send({ type: "join", id: "b", room: "r" });
      assertEquals(await b.next(), { type: "members", members: ["a", "b"] });
      assertEquals(await a.next(), { type: "members", members: ["a", "b"] });
      b.send({ type: "call", to: "a", from: "forged", offer: "v=0\r\n" });
      assertEquals(await a.next(), {
        type: "call",
        to: "a",
        from: "b",
        offer: "v=0\r\n",
      });
      const again = await openClient(server.url);
      clients.push(again);
      again.send({ type: "join", id: "a", room: "r" });
      assertEquals(await again.next(), {
        type: "error",
        error: "User ID already taken",
      });
      await again.closed;
      await b.close();
      assertEquals(await a.next(), { type: "members", members: ["a"] });
    } finally {
      await Promise.all(clients.map((client) => client.close()));
      await server.stop();
    }
  },
});

Deno.test({
  name:
    "the Python peer's cipher reproduces the original's keys and decodes its tokens",
  ignore: missingPeer !== undefined,
  async fn() {
    const vectors = new URL("../fixtures/cipher_vectors.json", import.meta.url)
      .pathname;
    const script = `
import base64, json, sys
sys.path.insert(0, ${JSON.stringify(PEER_SCRIPT.replace(/\/[^/]*$/, ""))})
import flitter_peer
for v in json.load(open(${JSON.stringify(vectors)}))["vectors"]:
    cipher = flitter_peer.Cipher(v["secret"], v["id"])
    datagram = base64.b64decode(v["token_raw_b64"])
    message = cipher.decode(datagram, now=v["fernet_time"] + 1)
    print(json.dumps([v["name"], cipher.key.decode() == v["fernet_key"], message == v["message"]]))
`;
    const { success, stdout, stderr } = await new Deno.Command(PYTHON, {
      args: ["-B", "-c", script],
      stdout: "piped",
      stderr: "piped",
    }).output();
    assert(success, new TextDecoder().decode(stderr));
    const rows = new TextDecoder().decode(stdout).trim().split("\n").map((
      line,
    ) => JSON.parse(line));
    assert(rows.length >= 1, "no vectors were checked");
    for (const [name, keyMatches, messageMatches] of rows) {
      assert(keyMatches, `vector "${name}": derived key differs`);
      assert(messageMatches, `vector "${name}": decoded message differs`);
    }
  },
});

Deno.test({
  name:
    "a Python WebSocket answerer reports a malformed offer and still answers the next call",
  ignore: missingWebsocket !== undefined,
  async fn() {
    const server = await startPythonServer();
    const clients: Awaited<ReturnType<typeof openClient>>[] = [];
    let answerer: PythonPeer | undefined;
    let caller: PythonPeer | undefined;
    try {
      answerer = startPythonPeer([
        ...["--websocket", server.url, "--room", "robust", "--id", "py"],
        ...["--retry-delay", "0.5"],
      ]);
      await answerer.waitFor((e) => e.event === "members", WAIT_MS, "members");
      const rogue = await openClient(server.url);
      clients.push(rogue);
      rogue.send({ type: "join", id: "rogue", room: "robust" });
      rogue.send({ type: "call", to: "py", offer: "not an SDP" });
      const error = await answerer.waitFor(
        (e) => e.event === "error",
        WAIT_MS,
        "an error about the offer",
      );
      assertEquals(error.source, "peer");
      await rogue.close();
      caller = startPythonPeer([
        ...["--websocket", server.url, "--room", "robust", "--id", "caller"],
        ...["--call", "py", "--colour", GREEN.join(",")],
      ]);
      await answerer.waitFor(frameNear(GREEN, TOLERANCE), WAIT_MS, "green");
    } finally {
      await Promise.all(clients.map((client) => client.close()));
      await stopAll(caller, answerer);
      await server.stop();
    }
  },
});

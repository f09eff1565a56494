/**
 * The `!websocket` state machine against the real signalling server, with
 * recording PeerSession doubles (the thing under test is the signalling;
 * real peer connections are in websocket_wrtc_test.ts) and raw WebSocket
 * clients playing an original peer.
 */

import {
  deepStrictEqual as assertEquals,
  ok as assert,
} from "node:assert/strict";
import { getLogger, setLogLevel } from "../../lib/log/logger.ts";
import { Attributes } from "../../lib/scene/attributes.ts";
import type { Signalling } from "../../lib/signalling/signalling.ts";
import { getSignallingKind } from "../../lib/signalling/signalling.ts";
import {
  configureWebSocket,
  normaliseSignallingUrl,
  startWebSocket,
} from "../../lib/signalling/websocket.ts";
import { startSignallingServer } from "../../lib/server/signalling_server.ts";
import type { Value } from "../../lib/expr/values.ts";
import { TestClient } from "../server/_ws_client.ts";
import { selfSignedCertificate } from "../server/_certificate.ts";
import {
  config,
  RecordingLogger,
  RecordingSession,
  until,
} from "./_websocket_doubles.ts";

setLogLevel((Deno.env.get("TEST_LOG") as "trace" | undefined) ?? "error");
const log = getLogger("websocket");
const FAST = { retryDelayMs: 100, decodeErrorDelayMs: 100 };

Deno.test("configure reads url, room, id, call and verify, turning http into ws", () => {
  const attrs = new Attributes(
    "nodes[0].children[0]",
    new Map<string, Value>([
      ["url", "https://example.org:8443/signal"],
      ["room", "studio"],
      ["id", "stage"],
      [
        "call",
        "booth",
      ],
      ["verify", 0],
    ]),
  );
  assertEquals(configureWebSocket(attrs, log), {
    url: "wss://example.org:8443/signal",
    room: "studio",
    id: "stage",
    call: "booth",
    verify: false,
  });
  assertEquals(
    normaliseSignallingUrl("http://127.0.0.1:8080"),
    "ws://127.0.0.1:8080/",
  );
  assertEquals(normaliseSignallingUrl("ws://[::1]:9/"), "ws://[::1]:9/");
  assertEquals(normaliseSignallingUrl("ftp://example.org/"), null);
  assertEquals(normaliseSignallingUrl("example.org:8080"), null);
  const answering = new Attributes(
    "n",
    new Map<string, Value>([["url", "ws://h/"], ["room", "r"], ["id", "i"]]),
  );
  assertEquals(configureWebSocket(answering, log), {
    url: "ws://h/",
    room: "r",
    id: "i",
    call: null,
    verify: true,
  });
  setLogLevel((Deno.env.get("TEST_LOG") as "trace" | undefined) ?? "error");
  for (const missing of ["url", "room", "id"]) {
    const values = new Map<string, Value>([["url", "ws://h/"], ["room", "r"], [
      "id",
      "i",
    ]]);
    values.delete(missing);
    assertEquals(
      configureWebSocket(new Attributes("n", values), log),
      null,
      missing,
    );
  }
  assertEquals(
    configureWebSocket(
      new Attributes(
        "n",
        new Map<string, Value>([["url", "mailto:x"], ["room", "r"], [
          "id",
          "i",
        ]]),
      ),
      log,
    ),
    null,
  );
  const selfCall = new Map<string, Value>([["url", "ws://h/"], ["room", "r"], [
    "id",
    "i",
  ], ["call", "i"]]);
  assertEquals(configureWebSocket(new Attributes("n", selfCall), log), null);
  const emptyId = new Map<string, Value>([["url", "ws://h/"], ["room", ""], [
    "id",
    "",
  ]]);
  assertEquals(configureWebSocket(new Attributes("n", emptyId), log), null);
  const emptyRoom = new Map<string, Value>([["url", "ws://h/"], ["room", ""], [
    "id",
    "i",
  ]]);
  assertEquals(
    configureWebSocket(new Attributes("n", emptyRoom), log)?.room,
    "",
  );
  assertEquals(getSignallingKind("websocket")?.attributes, [
    "url",
    "room",
    "id",
    "call",
    "verify",
  ]);
});

Deno.test("a caller and an answerer exchange offer and answer through the server, in either order", async () => {
  const server = await startSignallingServer({ host: "127.0.0.1", port: 0 });
  try {
    for (const callerFirst of [true, false]) {
      const caller = new RecordingSession("a");
      const answerer = new RecordingSession("b");
      const room = `room ${callerFirst}`;
      const running: Signalling[] = [];
      const startCaller = () =>
        running.push(
          startWebSocket(
            config(server.url, "a", "b", room),
            caller,
            log,
            FAST,
          ),
        );
      const startAnswerer = () =>
        running.push(
          startWebSocket(
            config(server.url, "b", null, room),
            answerer,
            log,
            FAST,
          ),
        );
      if (callerFirst) {
        startCaller();
        await until(
          () => server.rooms.members(room).includes("a"),
          "the caller has joined",
        );
        startAnswerer();
      } else {
        startAnswerer();
        await until(
          () => server.rooms.members(room).includes("b"),
          "the answerer has joined",
        );
        startCaller();
      }
      await until(
        () => caller.work.length === 2,
        "the caller applied the answer",
      );
      assertEquals(caller.work, [
        "createOffer",
        "acceptAnswer answer b to offer a 1",
      ]);
      assertEquals(answerer.work, ["acceptOffer offer a 1"]);
      // Both stay joined after signalling.
      assertEquals(server.rooms.members(room).sort(), ["a", "b"]);
      // Closing the caller's signalling leaves its own connection alone (the
      // answerer, told that the call is over, closes its own).
      await running[callerFirst ? 0 : 1].close();
      assertEquals(
        caller.connectionState,
        "connecting",
        "closing signalling leaves the connection alone",
      );
      for (const signalling of running) await signalling.close();
    }
  } finally {
    await server.close();
  }
});

Deno.test("the answerer speaks the wire protocol to a raw caller and waits for finished", async () => {
  const server = await startSignallingServer({ host: "127.0.0.1", port: 0 });
  const answerer = new RecordingSession("b");
  const signalling = startWebSocket(
    config(server.url, "b", null),
    answerer,
    log,
    FAST,
  );
  try {
    const raw = await TestClient.joined(server.url, "a", "studio");
    await raw.latestMembers((m) => m.includes("b"));
    raw.send({ type: "call", to: "b", offer: "v=0 raw offer" });
    assertEquals(await raw.next((m) => m.type === "answer"), {
      type: "answer",
      to: "a",
      answer: "answer b to v=0 raw offer",
      from: "b",
    });
    raw.send({ type: "finished", to: "b" });
    // A second call (a restarted caller) is answered at once.
    raw.send({ type: "call", to: "b", offer: "second" });
    assertEquals(
      (await raw.next((m) => m.type === "answer")).answer,
      "answer b to second",
    );
    raw.send({ type: "finished", to: "b" });
    // A third member cannot take over the live call…
    answerer.reach("connected");
    const intruder = await TestClient.joined(server.url, "c", "studio");
    intruder.send({ type: "call", to: "b", offer: "intrusion" });
    // (When the marker reaches the peer, the intrusion has been relayed to b,
    // so b sees it before the peer's next call, which is still answered.)
    intruder.send({ type: "marker", to: "a" });
    await raw.next((m) => m.type === "marker");
    raw.send({ type: "call", to: "b", offer: "third" });
    assertEquals(
      (await raw.next((m) => m.type === "answer")).answer,
      "answer b to third",
    );
    raw.send({ type: "finished", to: "b" });
    assertEquals(intruder.received.filter((m) => m.type === "answer"), []);
    // …but once that call has ended, anyone may call.
    answerer.reach("failed");
    // The answerer reconnects: the room sees it leave and come back.
    await intruder.members((m) => !m.includes("b"));
    await intruder.members((m) => m.includes("b"));
    intruder.send({ type: "call", to: "b", offer: "now welcome" });
    assertEquals(
      (await intruder.next((m) => m.type === "answer")).answer,
      "answer b to now welcome",
    );
    assertEquals(answerer.work, [
      "acceptOffer v=0 raw offer",
      "acceptOffer second",
      "acceptOffer third",
      "acceptOffer now welcome",
    ]);
    await intruder.close();
    await raw.close();
  } finally {
    await signalling.close();
    await server.close();
  }
});

Deno.test("the caller waits for its peer, sends call, then finished after the answer", async () => {
  const server = await startSignallingServer({ host: "127.0.0.1", port: 0 });
  const caller = new RecordingSession("a");
  const signalling = startWebSocket(
    config(server.url, "a", "b"),
    caller,
    log,
    FAST,
  );
  try {
    await until(
      () => server.rooms.members("studio").includes("a"),
      "the caller has joined",
    );
    assertEquals(caller.work, []);
    const raw = await TestClient.joined(server.url, "b", "studio");
    assertEquals(await raw.next((m) => m.type === "call"), {
      type: "call",
      to: "b",
      offer: "offer a 1",
      from: "a",
    });
    raw.send({ type: "answer", to: "a", answer: "raw answer" });
    assertEquals(await raw.next((m) => m.type === "finished"), {
      type: "finished",
      to: "b",
      from: "a",
    });
    assertEquals(caller.work, ["createOffer", "acceptAnswer raw answer"]);
    // An original peer leaves the room after signalling: that is no failure.
    await raw.close();
    await until(
      () => server.rooms.members("studio").length === 1,
      "the peer has left",
    );
    assertEquals(caller.calls.includes("close"), false);
    // When the peer comes back (it restarted), the caller calls again.
    const back = await TestClient.joined(server.url, "b", "studio");
    assertEquals(
      (await back.next((m) => m.type === "call")).offer,
      "offer a 2",
    );
    await back.close();
  } finally {
    await signalling.close();
    await server.close();
  }
});

Deno.test("a peer leaving during signalling makes the caller close the connection and start again", async () => {
  const server = await startSignallingServer({ host: "127.0.0.1", port: 0 });
  const caller = new RecordingSession("a");
  const signalling = startWebSocket(
    config(server.url, "a", "b"),
    caller,
    log,
    FAST,
  );
  try {
    const raw = await TestClient.joined(server.url, "b", "studio");
    await raw.next((m) => m.type === "call");
    await raw.close();
    await until(
      () => caller.calls.at(-1) === "close",
      "the caller closed its connection",
    );
    assertEquals(caller.connectionState, null);
    const again = await TestClient.joined(server.url, "b", "studio");
    assertEquals(
      (await again.next((m) => m.type === "call")).offer,
      "offer a 2",
    );
    await again.close();
  } finally {
    await signalling.close();
    await server.close();
  }
});

Deno.test("a failed connection restarts signalling at once on either side", async () => {
  const server = await startSignallingServer({ host: "127.0.0.1", port: 0 });
  const caller = new RecordingSession("a");
  const answerer = new RecordingSession("b");
  const running = [
    startWebSocket(
      config(server.url, "b", null),
      answerer,
      log,
      FAST,
    ),
    startWebSocket(config(server.url, "a", "b"), caller, log, FAST),
  ];
  try {
    await until(() => caller.work.length === 2, "the first call is made");
    caller.reach("failed");
    await until(() => caller.work.length === 4, "the caller called again");
    assertEquals(caller.work.slice(2), [
      "createOffer",
      "acceptAnswer answer b to offer a 2",
    ]);
    answerer.reach("closed");
    // The answerer rejoins; the caller sees it come back and calls again.
    await until(
      () => caller.work.length === 6,
      "the caller called a third time",
    );
    assertEquals(answerer.work, [
      "acceptOffer offer a 1",
      "acceptOffer offer a 2",
      "acceptOffer offer a 3",
    ]);
    caller.reach("connected");
    answerer.reach("connected");
    assertEquals(caller.work.length, 6);
  } finally {
    for (const signalling of running) await signalling.close();
    await server.close();
  }
});

Deno.test("a taken ID gets the server's error; the client retries and gets in once it is free", async () => {
  const server = await startSignallingServer({ host: "127.0.0.1", port: 0 });
  const squatter = await TestClient.joined(server.url, "a", "studio");
  const caller = new RecordingSession("a");
  const callerLog = new RecordingLogger();
  const signalling = startWebSocket(
    config(server.url, "a", "b"),
    caller,
    callerLog,
    FAST,
  );
  const refused = () =>
    callerLog.count("error Signalling server error: User ID already taken");
  try {
    const peer = await TestClient.joined(server.url, "b", "studio");
    // Refused again (a join tried while "b" was in the room) is the sign.
    const refusedBefore = refused();
    await until(() => refused() > refusedBefore, "the client is refused again");
    assertEquals(caller.work, [], "no call while the ID is taken");
    await squatter.close();
    assertEquals((await peer.next((m) => m.type === "call")).from, "a");
    await peer.close();
  } finally {
    await signalling.close();
    await server.close();
  }
});

Deno.test("an undecodable message makes the client reconnect, and signalling then completes", async () => {
  const server = await startSignallingServer({ host: "127.0.0.1", port: 0 });
  const answerer = new RecordingSession("b");
  const signalling = startWebSocket(
    config(server.url, "b", null),
    answerer,
    log,
    FAST,
  );
  try {
    const raw = await TestClient.joined(server.url, "a", "studio");
    await raw.latestMembers((m) => m.includes("b"));
    // The server relays anything with "to": here a members list that is not a list.
    raw.send({ type: "members", to: "b", members: "everyone" });
    await raw.members((m) => !m.includes("b"));
    await raw.latestMembers((m) => m.includes("b"));
    raw.send({ type: "call", to: "b", offer: "after reconnecting" });
    assertEquals(
      (await raw.next((m) => m.type === "answer")).answer,
      "answer b to after reconnecting",
    );
    await raw.close();
  } finally {
    await signalling.close();
    await server.close();
  }
});

Deno.test("verify=false reaches a TLS server with a self-signed certificate; verify=true refuses it", async () => {
  const dir = await Deno.makeTempDir();
  const { certificate, key } = await selfSignedCertificate(dir);
  const server = await startSignallingServer({
    host: "127.0.0.1",
    port: 0,
    certificate,
    key,
  });
  const trusting = new RecordingSession("a");
  const checking = new RecordingSession("c");
  const checkingLog = new RecordingLogger();
  const running = [
    startWebSocket(
      { ...config(server.url, "c", "b"), verify: true },
      checking,
      checkingLog,
      FAST,
    ),
    startWebSocket(
      { ...config(server.url, "a", "b"), verify: false },
      trusting,
      log,
      FAST,
    ),
  ];
  try {
    const peer = await TestClient.connect(server.url, false);
    peer.send({ type: "join", id: "b", room: "studio" });
    assertEquals((await peer.next((m) => m.type === "call")).from, "a");
    // The checking client tried, and refused the certificate.
    await until(
      () => checkingLog.count("self-signed certificate") > 0,
      "the checking client to refuse the certificate",
    );
    assert(!server.rooms.members("studio").includes("c"));
    assertEquals(checking.work, []);
    await peer.close();
  } finally {
    for (const signalling of running) await signalling.close();
    await server.close();
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("when both sides see the connection fail at once they signal again and complete", async () => {
  const server = await startSignallingServer({ host: "127.0.0.1", port: 0 });
  const caller = new RecordingSession("a");
  const answerer = new RecordingSession("b");
  const running = [
    startWebSocket(
      config(server.url, "b", null),
      answerer,
      log,
      FAST,
    ),
    startWebSocket(config(server.url, "a", "b"), caller, log, FAST),
  ];
  try {
    await until(() => caller.work.length === 2, "the first call is made");
    caller.reach("failed");
    answerer.reach("failed");
    await until(
      () =>
        caller.work.at(-1)?.startsWith("acceptAnswer") === true &&
        caller.work.length >= 4,
      "a second call completes",
    );
    const lastOffer = caller.work.filter((call) =>
      call === "createOffer"
    ).length;
    assertEquals(
      caller.work.at(-1),
      `acceptAnswer answer b to offer a ${lastOffer}`,
    );
    assertEquals(answerer.work.at(-1), `acceptOffer offer a ${lastOffer}`);
  } finally {
    for (const signalling of running) await signalling.close();
    await server.close();
  }
});

Deno.test("a live call survives losing the server, and signalling rejoins when it is back", async () => {
  let server = await startSignallingServer({ host: "127.0.0.1", port: 0 });
  // The server comes back on the same port (the same URL): what the test is about.
  const port = server.port;
  const caller = new RecordingSession("a");
  const answerer = new RecordingSession("b");
  const logs = [new RecordingLogger(), new RecordingLogger()];
  const running = [
    startWebSocket(
      config(server.url, "b", null),
      answerer,
      logs[0],
      FAST,
    ),
    startWebSocket(
      config(server.url, "a", "b"),
      caller,
      logs[1],
      FAST,
    ),
  ];
  try {
    await until(() => caller.work.length === 2, "the call is made");
    caller.reach("connected");
    answerer.reach("connected");
    await server.close();
    // Both have seen the server go, and failed to reach it again.
    await until(
      () =>
        logs.every((log) =>
          log.count(`error Signalling connection to ${server.url} failed`) >= 2
        ),
      "both clients to lose the server and fail to reconnect",
    );
    assertEquals(caller.work.length, 2);
    assertEquals([caller.connectionState, answerer.connectionState], [
      "connected",
      "connected",
    ]);
    server = await startSignallingServer({ host: "127.0.0.1", port });
    await until(
      () => server.rooms.members("studio").length === 2,
      "both rejoin",
    );
    assertEquals(caller.calls, [
      "createOffer",
      "acceptAnswer answer b to offer a 1",
    ]);
    assertEquals(answerer.calls, ["acceptOffer offer a 1"]);
    assertEquals([caller.connectionState, answerer.connectionState], [
      "connected",
      "connected",
    ]);
    // The call can still be restarted through the new server.
    caller.reach("failed");
    await until(() => caller.work.length === 4, "the caller called again");
    assertEquals(answerer.work.at(-1), "acceptOffer offer a 2");
  } finally {
    for (const signalling of running) await signalling.close();
    await server.close();
  }
});

Deno.test("a server that goes silent after the handshake is given up after an unanswered ping", async () => {
  // A raw TCP "server": completes the WebSocket handshake, then never sends or answers anything.
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const connections: Deno.Conn[] = [];
  const accepting = (async () => {
    for await (const conn of listener) {
      connections.push(conn);
      const buffer = new Uint8Array(4096);
      const n = await conn.read(buffer);
      const request = new TextDecoder().decode(buffer.subarray(0, n ?? 0));
      const key = request.match(/sec-websocket-key: *(\S+)/i)?.[1] ?? "";
      const digest = await crypto.subtle.digest(
        "SHA-1",
        new TextEncoder().encode(key + "258EAFA5-E914-47DA-95CA-C5AB0DC85B11"),
      );
      const accept = btoa(String.fromCharCode(...new Uint8Array(digest)));
      await conn.write(new TextEncoder().encode(
        `HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Accept: ${accept}\r\n\r\n`,
      ));
    }
  })();
  const session = new RecordingSession("a");
  const url = `ws://127.0.0.1:${(listener.addr as Deno.NetAddr).port}/`;
  const signalling = startWebSocket(
    config(url, "a", "b"),
    session,
    log,
    { ...FAST, heartbeatMs: 100 },
  );
  try {
    await until(
      () => connections.length >= 2,
      "the client to give up and connect again",
    );
  } finally {
    await signalling.close();
    listener.close();
    await accepting.catch(() => {});
    for (const conn of connections) {
      try {
        conn.close();
      } catch {
        // already closed
      }
    }
  }
});

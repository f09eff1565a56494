/**
 * `!websocket` across restarts and exits, against the real signalling
 * server with peer-session doubles and raw clients: the reconnection
 * schedule (deterministic, with an injected random source), `stay` and
 * `hangup` between our endpoints, a peer that vanishes from the room while
 * its video stops, one that only loses the server, and a server restart
 * during a call. Real processes and peer connections are in
 * tests/e2e/websocket_restart_e2e_test.ts.
 */

import { deepStrictEqual as assertEquals } from "node:assert/strict";
import { setLogLevel } from "../../lib/log/logger.ts";
import type { Signalling } from "../../lib/signalling/signalling.ts";
import {
  startWebSocket,
  type WebSocketTiming,
} from "../../lib/signalling/websocket.ts";
import { reconnectDelayMs } from "../../lib/signalling/_websocket_connection.ts";
import {
  type SignallingServer,
  startSignallingServer,
} from "../../lib/server/signalling_server.ts";
import { TestClient } from "../server/_ws_client.ts";
import {
  config,
  RecordingLogger,
  until,
  VideoSession,
} from "./_websocket_doubles.ts";

setLogLevel((Deno.env.get("TEST_LOG") as "trace" | undefined) ?? "error");

const FAST: WebSocketTiming = { retryDelayMs: 50, retryMaxDelayMs: 200 };

/** A seeded pseudo-random source (mulberry32), for reproducible spreads. */
function seeded(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

Deno.test("the reconnection waits start at 0.25 s, double up to 4 s, and the random factor spreads them from half to one and a half times", () => {
  const schedule = { firstMs: 250, maxMs: 4000 };
  const nominal = [0, 1, 2, 3, 4, 5, 6, 20, 1000].map((attempt) =>
    reconnectDelayMs(attempt, schedule, () => 0.5)
  );
  assertEquals(nominal, [250, 500, 1000, 2000, 4000, 4000, 4000, 4000, 4000]);
  assertEquals(reconnectDelayMs(0, schedule, () => 0), 125);
  assertEquals(reconnectDelayMs(4, schedule, () => 0), 2000);
  assertEquals(reconnectDelayMs(4, schedule, () => 0.75), 5000);
  // A thousand endpoints that lost the same server: their first attempts
  // spread over the whole window instead of coming at one moment.
  const random = seeded(9);
  const first = Array.from(
    { length: 1000 },
    () => reconnectDelayMs(0, schedule, random),
  );
  assertEquals(first.every((ms) => ms >= 125 && ms < 375), true);
  const buckets = new Array(10).fill(0);
  for (const ms of first) buckets[Math.floor((ms - 125) / 25)]++;
  assertEquals(
    buckets.every((count) => count > 60 && count < 140),
    true,
    `first waits per 25 ms: ${buckets}`,
  );
});

Deno.test("a client without a server retries on the growing schedule, and after getting in starts again from the first wait", async () => {
  const probe = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const port = (probe.addr as Deno.NetAddr).port;
  probe.close();
  const url = `ws://127.0.0.1:${port}/`;
  const log = new RecordingLogger();
  const waits = () =>
    log.records.flatMap((record) =>
      record.match(/Reconnecting to \S+ in (\S+) s/)?.[1] ?? []
    );
  const session = new VideoSession("a");
  const signalling = startWebSocket(config(url, "a", "b"), session, log, {
    retryDelayMs: 20,
    retryMaxDelayMs: 80,
    random: () => 0.5,
  });
  let server: SignallingServer | undefined;
  try {
    await until(() => waits().length >= 4, "four refused attempts");
    assertEquals(waits().slice(0, 4), ["0.02", "0.04", "0.08", "0.08"]);
    server = await startSignallingServer({ host: "127.0.0.1", port });
    await until(
      () => log.has('Received: {"type":"members","members":["a"]}'),
      "the client has joined",
    );
    const before = waits().length;
    await server.close();
    await until(() => waits().length > before, "a wait after the loss");
    assertEquals(waits()[before], "0.02");
  } finally {
    await signalling.close();
    await server?.close();
  }
});

Deno.test("our endpoints say stay after signalling, and a hangup from the peer closes the call at once", async () => {
  const server = await startSignallingServer({ host: "127.0.0.1", port: 0 });
  const answerer = new VideoSession("b");
  const signalling = startWebSocket(
    config(server.url, "b", null),
    answerer,
    new RecordingLogger(),
    FAST,
  );
  try {
    const raw = await TestClient.joined(server.url, "a", "studio");
    await raw.latestMembers((m) => m.includes("b"));
    raw.send({ type: "call", to: "b", offer: "first" });
    await raw.next((m) => m.type === "answer");
    raw.send({ type: "finished", to: "b" });
    assertEquals(await raw.next((m) => m.type === "stay"), {
      type: "stay",
      to: "a",
      from: "b",
    });
    answerer.reach("connected");
    raw.send({ type: "stay", to: "b" });
    raw.send({ type: "hangup", to: "b" });
    await until(
      () => answerer.calls.at(-1) === "close",
      "the answerer closed the call",
    );
    assertEquals(answerer.connectionState, null);
    // It waits for the next call.
    raw.send({ type: "call", to: "b", offer: "second" });
    assertEquals(
      (await raw.next((m) => m.type === "answer")).answer,
      "answer b to second",
    );
    await raw.close();
  } finally {
    await signalling.close();
    await server.close();
  }
});

Deno.test("closing signalling during a call, or closing the call, sends hangup to a peer that said stay, and to no other", async () => {
  const server = await startSignallingServer({ host: "127.0.0.1", port: 0 });
  const running: Signalling[] = [];
  try {
    for (const how of ["signalling", "call"] as const) {
      for (const stays of [true, false]) {
        const caller = new VideoSession("a");
        const log = new RecordingLogger();
        const signalling = startWebSocket(
          config(server.url, "a", "b"),
          caller,
          log,
          FAST,
        );
        running.push(signalling);
        const raw = await TestClient.joined(server.url, "b", "studio");
        await raw.next((m) => m.type === "call");
        raw.send({ type: "answer", to: "a", answer: "raw answer" });
        await raw.next((m) => m.type === "stay");
        if (stays) {
          raw.send({ type: "stay", to: "a" });
          await until(() => log.has('"b" stays'), "the caller has the stay");
        }
        if (how === "signalling") await signalling.close();
        else caller.close();
        // The caller leaves the room (its signalling ends, or reconnects):
        // a hangup, if any, comes before that.
        await raw.next((m) => m.type === "members" && !m.members.includes("a"));
        const hangups = raw.received.filter((m) => m.type === "hangup");
        assertEquals(
          hangups,
          stays ? [{ type: "hangup", to: "b", from: "a" }] : [],
          `${how} closed, peer ${stays ? "stays" : "left"}`,
        );
        await signalling.close();
        await raw.close();
        await until(
          () => server.rooms.members("studio").length === 0,
          "the room is empty",
        );
      }
    }
  } finally {
    for (const signalling of running) await signalling.close();
    await server.close();
  }
});

Deno.test("a peer that said stay and leaves the room while its video stops is taken as gone; the caller calls it again when it is back", async () => {
  const server = await startSignallingServer({ host: "127.0.0.1", port: 0 });
  const caller = new VideoSession("a");
  const log = new RecordingLogger();
  const signalling = startWebSocket(
    config(server.url, "a", "b"),
    caller,
    log,
    FAST,
  );
  try {
    const raw = await TestClient.joined(server.url, "b", "studio");
    await raw.next((m) => m.type === "call");
    raw.send({ type: "answer", to: "a", answer: "raw answer" });
    raw.send({ type: "stay", to: "a" });
    caller.reach("connected");
    caller.receiving(true);
    await until(() => log.has('"b" stays'), "the caller has the stay");
    // It crashes: its video stops and the server sees its socket close.
    caller.receiving(false);
    raw.socket.terminate();
    await until(
      () => caller.calls.at(-1) === "close",
      "the caller closed the call",
    );
    assertEquals(caller.connectionState, null);
    assertEquals(log.has("left the room and no video has come"), true);
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

Deno.test("a peer that said stay and loses only the server keeps its call while its video comes", async () => {
  const server = await startSignallingServer({ host: "127.0.0.1", port: 0 });
  const answerer = new VideoSession("b");
  const log = new RecordingLogger();
  const signalling = startWebSocket(
    config(server.url, "b", null),
    answerer,
    log,
    { ...FAST, peerSilenceMs: 200 },
  );
  try {
    const raw = await TestClient.joined(server.url, "a", "studio");
    await raw.latestMembers((m) => m.includes("b"));
    raw.send({ type: "call", to: "b", offer: "first" });
    await raw.next((m) => m.type === "answer");
    raw.send({ type: "finished", to: "b" });
    raw.send({ type: "stay", to: "b" });
    answerer.reach("connected");
    answerer.receiving(true);
    await until(() => log.has('"a" stays'), "the answerer has the stay");
    await raw.close();
    // Missing from the room past peerSilenceMs (three checks), its video
    // still coming.
    const missing = () =>
      log.records.filter((r) => r.includes('"a" is missing from the room'))
        .length;
    await until(() => missing() >= 3, "three checks while it is missing");
    const back = await TestClient.joined(server.url, "a", "studio");
    await until(
      () => log.has("is back in the room, its video going on"),
      "the answerer to see the caller back with its video",
    );
    assertEquals(answerer.calls, ["acceptOffer first"]);
    assertEquals(answerer.connectionState, "connected");
    await back.close();
  } finally {
    answerer.receiving(false);
    await signalling.close();
    await server.close();
  }
});

Deno.test("a call between our endpoints is kept across a server restart, whichever rejoins first, and ends through the new server", async () => {
  let server = await startSignallingServer({ host: "127.0.0.1", port: 0 });
  const port = server.port;
  try {
    // The side that retries sooner tends to rejoin first.
    for (const callerSooner of [true, false]) {
      const caller = new VideoSession("a");
      const answerer = new VideoSession("b");
      const callerLog = new RecordingLogger();
      const answererLog = new RecordingLogger();
      const timing = (sooner: boolean) => ({
        retryDelayMs: sooner ? 10 : 300,
        retryMaxDelayMs: 300,
        random: () => 0.5,
      });
      const running = [
        startWebSocket(
          config(server.url, "b", null),
          answerer,
          answererLog,
          timing(!callerSooner),
        ),
        startWebSocket(
          config(server.url, "a", "b"),
          caller,
          callerLog,
          timing(callerSooner),
        ),
      ];
      try {
        await until(() => caller.calls.length === 2, "the call is made");
        await until(
          () => callerLog.has('"b" stays') && answererLog.has('"a" stays'),
          "both have said stay",
        );
        caller.reach("connected");
        answerer.reach("connected");
        caller.receiving(true);
        answerer.receiving(true);
        await server.close();
        server = await startSignallingServer({ host: "127.0.0.1", port });
        await until(
          () => server.rooms.members("studio").length === 2,
          "both rejoin",
        );
        // The answerer ends the call: its hangup reaches the caller through
        // the new server, after the members lists of the rejoining.
        answerer.close();
        await until(
          () => caller.calls.includes("close"),
          "the caller closed the call",
        );
        // (The answerer rejoins after closing; the caller then calls again.)
        assertEquals(caller.calls.slice(0, 3), [
          "createOffer",
          "acceptAnswer answer b to offer a 1",
          "close",
        ], `caller ${callerSooner ? "sooner" : "later"}`);
      } finally {
        caller.receiving(false);
        answerer.receiving(false);
        for (const signalling of running) await signalling.close();
      }
      await until(
        () => server.rooms.members("studio").length === 0,
        "the room is empty",
      );
    }
  } finally {
    await server.close();
  }
});

/**
 * What hostile clients may cost the server, on a real server and real
 * sockets on 127.0.0.1: clients that never read (per-client and total
 * send-queue limits), request heads that trickle in or never come, and
 * malformed upgrade requests.
 */

import {
  deepStrictEqual as assertEquals,
  match,
  ok as assert,
} from "node:assert/strict";
import { Logger, type LogLevel, setLogLevel } from "../../lib/log/logger.ts";
import {
  type SignallingServer,
  type SignallingServerOptions,
  startSignallingServer,
} from "../../lib/server/signalling_server.ts";
import { TestClient } from "./_ws_client.ts";
import {
  clientFrame,
  clientTextFrame,
  RawClient,
  upgradeHead,
} from "./_raw_client.ts";
import { QueueTotal } from "../../lib/server/websocket_connection.ts";

setLogLevel("error");

/** A logger that keeps its records (whatever the level) instead of printing them. */
class RecordingLogger extends Logger {
  readonly records: string[] = [];
  constructor() {
    super("server");
  }
  override log(level: LogLevel, message: string): void {
    this.records.push(`${level} ${message}`);
  }
}

async function withServer(
  options: SignallingServerOptions,
  body: (server: SignallingServer, log: RecordingLogger) => Promise<void>,
): Promise<void> {
  const log = new RecordingLogger();
  const server = await startSignallingServer({
    host: "127.0.0.1",
    port: 0,
    log,
    ...options,
  });
  try {
    await body(server, log);
  } finally {
    await server.close();
  }
}

const tick = () => new Promise((resolve) => setTimeout(resolve, 1));

/** A 60 KB message to `to`, different each time (`n`). */
function bulk(to: string, n: number): string {
  return JSON.stringify({ type: "offer", to, n, sdp: "x".repeat(60_000) });
}

/**
 * Sends `flooder`'s messages to `to` until `done()` holds, at most `limit`
 * of them, and returns the largest `server.bufferedBytes` seen on the way.
 */
async function floodUntil(
  server: SignallingServer,
  flooder: TestClient,
  to: string,
  done: () => boolean,
  limit = 600,
  every25?: () => Promise<void>,
): Promise<number> {
  let most = 0;
  for (let n = 0; !done(); n++) {
    if (n % 25 === 0) await every25?.();
    if (n >= limit) {
      throw new Error(
        `Still not done after ${limit} messages to "${to}" (${server.bufferedBytes} bytes queued)`,
      );
    }
    flooder.send(bulk(to, n));
    // Keep the flooder's own send buffer short; let the server work.
    while (flooder.socket.bufferedAmount > 256 * 1024) await tick();
    await tick();
    most = Math.max(most, server.bufferedBytes);
  }
  return most;
}

Deno.test("a client that never reads is dropped once its queue passes the limit, and clients in other rooms are served throughout", async () => {
  const limit = 256 * 1024;
  await withServer({ maxBufferedBytes: limit }, async (server, log) => {
    const flooder = await TestClient.joined(server.url, "flooder", "lobby");
    const sink = await RawClient.joined(server.port, "sink", "lobby");
    await flooder.members((m) => m.includes("sink"));
    const alice = await TestClient.joined(server.url, "alice", "calm");
    const bob = await TestClient.joined(server.url, "bob", "calm");
    let calls = 0;
    const call = async () => {
      alice.send({ type: "call", to: "bob", n: ++calls });
      assertEquals((await bob.next((m) => m.type === "call")).n, calls);
    };
    // The calm room relays while the flood goes on.
    const most = await floodUntil(
      server,
      flooder,
      "sink",
      () => !server.rooms.members("lobby").includes("sink"),
      600,
      call,
    );
    assert(calls >= 2, `${calls} calls`);
    await call();
    // The queue never held more than the limit and one message (plus the
    // odd members list for other clients).
    assert(most <= limit + 61_000, `${most} bytes were queued`);
    assertEquals(await flooder.members((m) => !m.includes("sink")), [
      "flooder",
    ]);
    // The drop freed the queue.
    assert(server.bufferedBytes < 64 * 1024, `${server.bufferedBytes} queued`);
    // The log names the client; the client (when it reads at last) gets 1008.
    const line = log.records.find((r) => r.includes("not reading"));
    assert(line !== undefined, log.records.join("\n"));
    match(
      line,
      /^warn client \d+ \(127\.0\.0\.1:\d+\) \("sink" in room "lobby"\): closed/,
    );
    assertEquals(await sink.closeCode(), 1008);
    sink.close();
    for (const client of [flooder, alice, bob]) await client.close();
  });
});

Deno.test("when all queues together pass the total limit, the clients with the longest queues are dropped first", async () => {
  const totalLimit = 1536 * 1024;
  await withServer({
    maxBufferedBytes: 16 * 1024 * 1024,
    maxTotalBufferedBytes: totalLimit,
  }, async (server, log) => {
    const flooder = await TestClient.joined(server.url, "flooder", "lobby");
    const first = await RawClient.joined(server.port, "first", "lobby");
    const second = await RawClient.joined(server.port, "second", "lobby");
    await flooder.members((m) => m.includes("first") && m.includes("second"));
    const inLobby = (id: string) => server.rooms.members("lobby").includes(id);
    // `first` gets a long queue, under the total limit.
    let most = await floodUntil(
      server,
      flooder,
      "first",
      () => server.bufferedBytes >= 1024 * 1024,
    );
    assert(inLobby("first"));
    // `second`'s queue pushes the total over: `first`, the longest, goes.
    most = Math.max(
      most,
      await floodUntil(server, flooder, "second", () => !inLobby("first")),
    );
    assert(inLobby("second"), "the shorter queue was dropped");
    // Alone, `second` is dropped too once it passes the total limit.
    most = Math.max(
      most,
      await floodUntil(server, flooder, "second", () => !inLobby("second")),
    );
    assert(most <= totalLimit + 61_000, `${most} bytes were queued`);
    assertEquals(await flooder.members((m) => m.length === 1), ["flooder"]);
    const lines = log.records.filter((r) => r.includes("all clients together"));
    assertEquals(lines.length, 2, log.records.join("\n"));
    match(lines[0], /"first" in room "lobby"/);
    match(lines[1], /"second" in room "lobby"/);
    assertEquals(await first.closeCode(), 1013);
    assertEquals(await second.closeCode(), 1013);
    first.close();
    second.close();
    await flooder.close();
  });
});

Deno.test("a client that sends pings and reads nothing is dropped once its pongs pass the limit", async () => {
  await withServer({ maxBufferedBytes: 64 * 1024 }, async (server, log) => {
    const watcher = await TestClient.joined(server.url, "watcher", "lobby");
    const pinger = await RawClient.joined(server.port, "pinger", "lobby");
    await watcher.members((m) => m.includes("pinger"));
    // 500 pings of 125 bytes per write; the kernel takes a few MiB of pongs
    // first. At most 200 writes (about 13 MB).
    const ping = clientFrame(new Uint8Array(125), 9);
    const batch = new Uint8Array(ping.length * 500);
    for (let i = 0; i < 500; i++) batch.set(ping, i * ping.length);
    let most = 0;
    for (let n = 0; server.rooms.members("lobby").includes("pinger"); n++) {
      if (n >= 200) throw new Error("The pongs queued without limit");
      await pinger.write(batch);
      await tick();
      most = Math.max(most, server.bufferedBytes);
    }
    assert(most <= 64 * 1024 + 200, `${most} bytes were queued`);
    assert(
      log.records.some((r) =>
        /"pinger" in room "lobby"\): closed, it is not reading/.test(r)
      ),
    );
    assertEquals(await watcher.members((m) => !m.includes("pinger")), [
      "watcher",
    ]);
    pinger.close();
    await watcher.close();
  });
});

Deno.test("a frame queued for many clients (a members list) counts once in the total", () => {
  const total = new QueueTotal();
  const list = new Uint8Array(1000);
  const other = new Uint8Array(10);
  for (let i = 0; i < 3; i++) total.add(list);
  total.add(other);
  assertEquals(total.bytes, 1010);
  total.release(list);
  total.release(list);
  assertEquals(total.bytes, 1010);
  total.release(list);
  assertEquals(total.bytes, 10);
  total.release(other);
  assertEquals(total.bytes, 0);
});

Deno.test("a request head that trickles in, or never comes, is closed after the header timeout", async () => {
  await withServer({ headerTimeout: 0.3 }, async (server, log) => {
    const silent = await RawClient.connect(server.port);
    const slow = await RawClient.connect(server.port);
    await slow.write("GET / HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Slow: ");
    // One byte every 20 ms, never ending the head; at most 10 s of it.
    let closedBy = "";
    let writeFailed = false;
    const ended = slow.readToEnd().then((response) => closedBy = response);
    for (let i = 0; i < 500 && closedBy === "" && !writeFailed; i++) {
      try {
        await slow.write("a");
      } catch {
        writeFailed = true; // the server has closed it
      }
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    if (closedBy === "" && !writeFailed) {
      slow.close();
      silent.close();
      throw new Error("The server kept a request head trickling in for 10 s");
    }
    await ended;
    match(closedBy, /^HTTP\/1\.1 408 /);
    assert(await silent.ended());
    assert(log.records.some((r) => /request head took over 0\.3 s/.test(r)));
    silent.close();
    slow.close();
    // The server still serves.
    const alice = await TestClient.joined(server.url, "alice", "lobby");
    await alice.close();
  });
});

Deno.test("malformed upgrade requests get 400, and the server keeps serving", async () => {
  await withServer({}, async (server) => {
    const cases: Array<[string, string, number]> = [
      ["version 8", upgradeHead({ version: "8" }), 400],
      ["no version", upgradeHead({ version: "" }), 400],
      ["a short key", upgradeHead({ key: "c2hvcnQ=" }), 400],
      ["a 17-byte key", upgradeHead({ key: "MDEyMzQ1Njc4OWFiY2RlZmc=" }), 400],
      [
        "a key that is not base64",
        upgradeHead({ key: "!!!!!!!!!!!!!!!!!!!!!!==" }),
        400,
      ],
      [
        "two keys",
        upgradeHead({
          extra: "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n",
        }),
        400,
      ],
      ["HTTP/1.0", upgradeHead({ http: "1.0" }), 400],
      [
        "no Connection: Upgrade",
        upgradeHead().replace("Connection: Upgrade\r\n", ""),
        400,
      ],
      ["HEAD", upgradeHead().replace(/^GET/, "HEAD"), 400],
      ["POST", upgradeHead().replace(/^GET/, "POST"), 405],
      ["a garbled request line", "GET /\r\n\r\n", 400],
      ["HTTP/2.0", upgradeHead({ http: "2.0" }), 505],
      [
        "a folded header line",
        upgradeHead({ extra: "X-A: 1\r\n continued\r\n" }),
        400,
      ],
      [
        "a request head over 16 KiB",
        upgradeHead({ extra: `X-Big: ${"b".repeat(17_000)}\r\n` }),
        431,
      ],
    ];
    for (const [what, head, status] of cases) {
      const client = await RawClient.connect(server.port);
      await client.write(head);
      const response = await client.readToEnd();
      assertEquals(
        response.split("\r\n")[0].split(" ")[1],
        String(status),
        what,
      );
      client.close();
    }
    // A valid upgrade, with a join frame right after the head in one write.
    const raw = await RawClient.connect(server.port);
    const head = new TextEncoder().encode(upgradeHead());
    const join = clientTextFrame(
      JSON.stringify({ type: "join", id: "raw", room: "lobby" }),
    );
    const both = new Uint8Array(head.length + join.length);
    both.set(head);
    both.set(join, head.length);
    await raw.write(both);
    match(await raw.readHead(), /^HTTP\/1\.1 101 Switching Protocols\r\n/);
    const members = await raw.nextFrame();
    assertEquals(JSON.parse(new TextDecoder().decode(members!.payload)), {
      type: "members",
      members: ["raw"],
    });
    raw.close();
    const alice = await TestClient.joined(server.url, "alice", "lobby");
    const bob = await TestClient.joined(server.url, "bob", "lobby");
    alice.send({ type: "call", to: "bob", offer: "o" });
    assertEquals((await bob.next((m) => m.type === "call")).from, "alice");
    await alice.close();
    await bob.close();
  });
});

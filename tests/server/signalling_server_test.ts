import {
  deepStrictEqual as assertEquals,
  ok as assert,
  rejects,
} from "node:assert/strict";
import { setLogLevel } from "../../lib/log/logger.ts";
import {
  type SignallingServer,
  startSignallingServer,
} from "../../lib/server/signalling_server.ts";
import { TestClient } from "./_ws_client.ts";
import { selfSignedCertificate } from "./_certificate.ts";
import { waitFor } from "../_wait.ts";

setLogLevel("error");

async function withServer(
  body: (server: SignallingServer) => Promise<void>,
  options: Parameters<typeof startSignallingServer>[0] = {},
): Promise<void> {
  const server = await startSignallingServer({
    host: "127.0.0.1",
    port: 0,
    ...options,
  });
  try {
    await body(server);
  } finally {
    await server.close();
  }
}

Deno.test("every member gets the room's members list when someone joins or leaves", async () => {
  await withServer(async (server) => {
    const alice = await TestClient.joined(server.url, "alice", "lobby");
    const bob = await TestClient.joined(server.url, "bob", "lobby");
    assertEquals(await alice.members((m) => m.length === 2), ["alice", "bob"]);
    assertEquals(bob.received.at(-1), {
      type: "members",
      members: ["alice", "bob"],
    });
    await bob.close();
    assertEquals(await alice.members((m) => m.length === 1), ["alice"]);
    await alice.close();
  });
});

Deno.test("a relayed message carries the sender's ID as from, overwriting a forged one", async () => {
  await withServer(async (server) => {
    const alice = await TestClient.joined(server.url, "alice", "lobby");
    const bob = await TestClient.joined(server.url, "bob", "lobby");
    const offer = "v=0\r\n" + "a=candidate:x\r\n".repeat(200);
    alice.send({ type: "call", to: "bob", offer, from: "mallory" });
    assertEquals(await bob.next((m) => m.type === "call"), {
      type: "call",
      to: "bob",
      offer,
      from: "alice",
    });
    bob.send({ to: "alice", anything: [1, 2, { deep: true }] });
    assertEquals(await alice.next((m) => "anything" in m), {
      to: "alice",
      anything: [1, 2, { deep: true }],
      from: "bob",
    });
    await alice.close();
    await bob.close();
  });
});

Deno.test("messages to unknown IDs or to other rooms are dropped", async () => {
  await withServer(async (server) => {
    const alice = await TestClient.joined(server.url, "alice", "one");
    const carol = await TestClient.joined(server.url, "carol", "two");
    const dave = await TestClient.joined(server.url, "dave", "two");
    alice.send({ type: "call", to: "carol", offer: "from another room" });
    alice.send({ type: "call", to: "nobody", offer: "lost" });
    alice.send({ type: "answer", to: "alice", answer: "to myself" });
    assertEquals(await alice.next((m) => m.type === "answer"), {
      type: "answer",
      to: "alice",
      answer: "to myself",
      from: "alice",
    });
    dave.send({ type: "call", to: "carol", offer: "same room" });
    const call = await carol.next((m) => m.type === "call");
    assertEquals(call.offer, "same room");
    assertEquals(carol.received.filter((m) => m.type === "call").length, 1);
    for (const client of [alice, carol, dave]) await client.close();
  });
});

Deno.test("a taken ID is refused with an error and a closed socket, the holder unharmed", async () => {
  await withServer(async (server) => {
    const first = await TestClient.joined(server.url, "alice", "lobby");
    const second = await TestClient.connect(server.url);
    second.send({ type: "join", id: "alice", room: "lobby" });
    assertEquals(await second.next(), {
      type: "error",
      error: "User ID already taken",
    });
    const { code } = await second.closed;
    assertEquals(code, 1008);
    assertEquals(server.rooms.members("lobby"), ["alice"]);
    // The same ID in another room is fine.
    const elsewhere = await TestClient.joined(server.url, "alice", "other");
    const bob = await TestClient.joined(server.url, "bob", "lobby");
    bob.send({ type: "call", to: "alice", offer: "o" });
    assertEquals((await first.next((m) => m.type === "call")).from, "bob");
    assertEquals(elsewhere.received.filter((m) => m.type === "call"), []);
    for (const client of [first, elsewhere, bob]) await client.close();
  });
});

Deno.test("an empty room is discarded and can be joined afresh with the same IDs", async () => {
  await withServer(async (server) => {
    const alice = await TestClient.joined(server.url, "alice", "lobby");
    assertEquals(server.rooms.roomNames(), ["lobby"]);
    await alice.close();
    await waitFor(
      "the room is discarded",
      () => server.rooms.roomNames().length === 0,
    );
    const again = await TestClient.joined(server.url, "alice", "lobby");
    assertEquals(again.received, [{ type: "members", members: ["alice"] }]);
    await again.close();
  });
});

Deno.test("a join without a room joins the room named by the empty string", async () => {
  await withServer(async (server) => {
    const alice = await TestClient.connect(server.url);
    alice.send({ type: "join", id: "alice" });
    assertEquals(await alice.next(), { type: "members", members: ["alice"] });
    assertEquals(server.rooms.members(""), ["alice"]);
    await alice.close();
  });
});

Deno.test("bad input is ignored or closes only the client that sent it", async () => {
  await withServer(async (server) => {
    const alice = await TestClient.joined(server.url, "alice", "lobby");
    const bob = await TestClient.joined(server.url, "bob", "lobby");
    // [frames to send, close code expected (null: stays open)]
    const cases: Array<
      [
        string,
        Array<string | Uint8Array | Record<string, unknown>>,
        number | null,
      ]
    > = [
      ["not JSON", ["{type: join"], 1007],
      ["JSON that is not an object", ["[1, 2]"], 1007],
      ["a JSON string", ['"join"'], 1007],
      ["null", ["null"], 1007],
      ["a join without an id", [{ type: "join", room: "lobby" }], 1008],
      [
        "a join with a numeric id",
        [{ type: "join", id: 7, room: "lobby" }],
        1008,
      ],
      ["a join with a list as room", [{
        type: "join",
        id: "x",
        room: ["lobby"],
      }], 1008],
      ["a message over 64 KiB", [
        JSON.stringify({ type: "join", id: "big", room: "x".repeat(70_000) }),
      ], 1009],
      ["a binary frame", [new Uint8Array([1, 2, 3])], null],
      ["a relay before joining", [{
        type: "call",
        to: "alice",
        offer: "sneaky",
      }], null],
      ["a message without type before joining", [{ hello: 1 }], null],
      ["a second join", [{ type: "join", id: "carol", room: "lobby" }, {
        type: "join",
        id: "dave",
        room: "lobby",
      }], null],
      ["a to that is not a string", [{
        type: "join",
        id: "erin",
        room: "lobby",
      }, { type: "call", to: ["alice"] }], null],
    ];
    for (const [what, frames, expected] of cases) {
      const client = await TestClient.connect(server.url);
      for (const frame of frames) client.send(frame);
      if (expected !== null) {
        const { code } = await client.closed;
        assertEquals(code, expected, what);
      } else {
        // A join after the bad input still works on the same connection.
        const id = `after ${what}`;
        if (
          frames.some((f) =>
            typeof f === "object" && !(f instanceof Uint8Array) &&
            f.type === "join"
          )
        ) {
          await client.next((m) => m.type === "members");
        } else {
          client.send({ type: "join", id, room: "lobby" });
          await client.members((m) => m.includes(id));
        }
        assert(!client.isClosed, what);
      }
      await client.close();
    }
    assertEquals(alice.received.filter((m) => m.type !== "members"), []);
    assert(!server.rooms.members("lobby").includes("dave"));
    // The room still relays between the original members.
    alice.send({ type: "call", to: "bob", offer: "still working" });
    assertEquals(
      (await bob.next((m) => m.type === "call")).offer,
      "still working",
    );
    await waitFor(
      "the test clients have left",
      () => server.rooms.members("lobby").length === 2,
    );
    await alice.close();
    await bob.close();
  });
});

Deno.test("fifty rooms of ten clients each see exactly their own room", async () => {
  await withServer(async (server) => {
    const rooms = 50, size = 10;
    const clients: TestClient[][] = [];
    for (let r = 0; r < rooms; r++) {
      clients.push(
        await Promise.all(
          Array.from(
            { length: size },
            (_, i) => TestClient.joined(server.url, `client ${i}`, `room ${r}`),
          ),
        ),
      );
    }
    const expected = Array.from({ length: size }, (_, i) => `client ${i}`)
      .sort();
    await Promise.all(
      clients.flat().map(async (client) => {
        const members = await client.latestMembers((m) => m.length === size);
        assertEquals([...members].sort(), expected);
      }),
    );
    // Each client calls the next one in its room; each gets exactly one call, from its room.
    for (let r = 0; r < rooms; r++) {
      for (let i = 0; i < size; i++) {
        clients[r][i].send({
          type: "call",
          to: `client ${(i + 1) % size}`,
          offer: `room ${r} from ${i}`,
        });
      }
    }
    await Promise.all(
      clients.flatMap((room, r) =>
        room.map(async (client, i) => {
          const call = await client.next((m) => m.type === "call");
          const from = (i + size - 1) % size;
          assertEquals(call, {
            type: "call",
            to: `client ${i}`,
            offer: `room ${r} from ${from}`,
            from: `client ${from}`,
          });
        })
      ),
    );
    assertEquals(server.rooms.size, rooms * size);
    await Promise.all(clients.flat().map((client) => client.close()));
    await waitFor(
      "every room is discarded",
      () => server.rooms.roomNames().length === 0,
    );
  });
});

function maskedTextFrame(text: string): Uint8Array {
  const payload = new TextEncoder().encode(text);
  if (payload.length > 125) throw new RangeError("Keep test frames short");
  const mask = crypto.getRandomValues(new Uint8Array(4));
  const frame = new Uint8Array(6 + payload.length);
  frame.set([0x81, 0x80 | payload.length, ...mask]);
  payload.forEach((byte, i) => frame[6 + i] = byte ^ mask[i % 4]);
  return frame;
}

Deno.test("a client that stops answering pings is dropped and its ID becomes free", async () => {
  await withServer(async (server) => {
    const watcher = await TestClient.joined(server.url, "watcher", "lobby");
    // A raw TCP client: handshake, join, then silence (it never answers a ping).
    const conn = await Deno.connect({
      hostname: "127.0.0.1",
      port: server.port,
    });
    await conn.write(new TextEncoder().encode(
      "GET / HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n" +
        "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n",
    ));
    const buffer = new Uint8Array(4096);
    const read = await conn.read(buffer);
    assert(
      new TextDecoder().decode(buffer.subarray(0, read ?? 0)).startsWith(
        "HTTP/1.1 101",
      ),
    );
    await conn.write(
      maskedTextFrame(
        JSON.stringify({ type: "join", id: "ghost", room: "lobby" }),
      ),
    );
    assertEquals(await watcher.members((m) => m.includes("ghost")), [
      "watcher",
      "ghost",
    ]);
    // While the ghost still holds the ID, a newcomer is refused.
    const early = await TestClient.connect(server.url);
    early.send({ type: "join", id: "ghost", room: "lobby" });
    assertEquals((await early.next()).type, "error");
    await early.closed;
    // The server pings, gets no pong and drops the ghost.
    assertEquals(await watcher.members((m) => !m.includes("ghost")), [
      "watcher",
    ]);
    const newcomer = await TestClient.joined(server.url, "ghost", "lobby");
    assertEquals(newcomer.received.at(-1), {
      type: "members",
      members: ["watcher", "ghost"],
    });
    conn.close();
    await newcomer.close();
    await watcher.close();
  }, { idleTimeout: 0.5 });
});

Deno.test("a client that reads nothing is closed and leaves its room once its backlog is too long", async () => {
  await withServer(async (server) => {
    const flooder = await TestClient.joined(server.url, "flooder", "lobby");
    // A raw TCP client that joins and then never reads a byte.
    const conn = await Deno.connect({
      hostname: "127.0.0.1",
      port: server.port,
    });
    await conn.write(new TextEncoder().encode(
      "GET / HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n" +
        "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n",
    ));
    await conn.write(
      maskedTextFrame(
        JSON.stringify({ type: "join", id: "sink", room: "lobby" }),
      ),
    );
    await flooder.members((m) => m.includes("sink"));
    const big = JSON.stringify({
      type: "call",
      to: "sink",
      offer: "x".repeat(60_000),
    });
    let sent = 0;
    while (server.rooms.members("lobby").includes("sink")) {
      if (sent >= 2000) {
        throw new Error(
          "The server kept queueing messages for a client that reads nothing",
        );
      }
      flooder.send(big);
      sent++;
      if (sent % 20 === 0) {
        await new Promise((resolve) => setTimeout(resolve, 5));
      }
    }
    assertEquals(await flooder.members((m) => !m.includes("sink")), [
      "flooder",
    ]);
    conn.close();
    await flooder.close();
  }, { maxBufferedBytes: 1024 * 1024 });
});

Deno.test("a plain GET of / gives a text page and other paths give 404", async () => {
  await withServer(async (server) => {
    const base = `http://127.0.0.1:${server.port}`;
    const page = await fetch(`${base}/`);
    assertEquals(page.status, 200);
    assert((await page.text()).includes("signalling server"));
    const missing = await fetch(`${base}/rooms`);
    assertEquals(missing.status, 404);
    await missing.body?.cancel();
    const post = await fetch(`${base}/`, { method: "POST", body: "x" });
    assertEquals(post.status, 405);
    await post.body?.cancel();
  });
});

Deno.test("closing the server closes every client connection", async () => {
  const server = await startSignallingServer({ host: "127.0.0.1", port: 0 });
  const alice = await TestClient.joined(server.url, "alice", "lobby");
  const bob = await TestClient.connect(server.url);
  await server.close();
  assertEquals((await alice.closed).code, 1001);
  assertEquals((await bob.closed).code, 1001);
});

Deno.test("a TLS server with a self-signed certificate serves clients that skip verification", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const { certificate, key } = await selfSignedCertificate(dir);
    // The key inside the certificate file, as the original allows.
    await withServer(async (server) => {
      assert(server.url.startsWith("wss://127.0.0.1:"));
      await rejects(TestClient.connect(server.url), /self-signed certificate/);
      const alice = await TestClient.connect(server.url, false);
      alice.send({ type: "join", id: "alice", room: "secure" });
      assertEquals(await alice.next(), { type: "members", members: ["alice"] });
      const bob = await TestClient.connect(server.url, false);
      bob.send({ type: "join", id: "bob", room: "secure" });
      await bob.members((m) => m.length === 2);
      bob.send({ type: "call", to: "alice", offer: "encrypted" });
      assertEquals((await alice.next((m) => m.type === "call")).from, "bob");
      await alice.close();
      await bob.close();
    }, { certificate: certificate + key });
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

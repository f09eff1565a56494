/**
 * The server's own HTTP and WebSocket layer: frame parsing and request
 * heads as pure functions, then the protocol on real sockets (fragments,
 * ping, the closing handshake, protocol errors) against `npm:ws` and a raw
 * client.
 */

import {
  deepStrictEqual as assertEquals,
  match,
  ok as assert,
  throws,
} from "node:assert/strict";
import WebSocket from "npm:ws@8.18.3";
import { setLogLevel } from "../../lib/log/logger.ts";
import {
  encodeFrame,
  FrameParser,
  WebSocketProtocolError,
} from "../../lib/server/websocket_frames.ts";
import {
  acceptValue,
  checkUpgrade,
  parseRequestHead,
  targetPath,
} from "../../lib/server/http_head.ts";
import {
  type SignallingServer,
  startSignallingServer,
} from "../../lib/server/signalling_server.ts";
import { TestClient } from "./_ws_client.ts";
import { clientFrame, clientTextFrame, RawClient } from "./_raw_client.ts";
import { selfSignedCertificate } from "./_certificate.ts";

setLogLevel("error");

const text = (s: string) => new TextEncoder().encode(s);

function parse(
  chunks: Uint8Array[],
  maxMessageBytes = 1024,
): Array<string> {
  const events: string[] = [];
  const parser = new FrameParser(maxMessageBytes, {
    message: (binary, data) =>
      events.push(
        binary
          ? `binary ${data.length}`
          : `text ${new TextDecoder().decode(data)}`,
      ),
    control: (opcode, payload) =>
      events.push(`control ${opcode} ${payload.length}`),
  });
  // The parser unmasks in place: give it copies, so frames can be reused.
  for (const chunk of chunks) parser.push(chunk.slice());
  return events;
}

function protocolError(chunks: Uint8Array[], maxMessageBytes = 1024): number {
  try {
    parse(chunks, maxMessageBytes);
  } catch (error) {
    if (error instanceof WebSocketProtocolError) return error.code;
    throw error;
  }
  throw new Error("No protocol error");
}

Deno.test("frames parse whole, byte by byte, fragmented with a ping inside, and at 64-bit lengths", () => {
  const hello = clientTextFrame("hello");
  assertEquals(parse([hello]), ["text hello"]);
  assertEquals(parse([...hello].map((b) => new Uint8Array([b]))), [
    "text hello",
  ]);
  const fragmented = [
    clientFrame(text("frag"), 1, false),
    clientFrame(text("!"), 9),
    clientFrame(text("men"), 0, false),
    clientFrame(text("ted"), 0, true),
  ];
  const joined = new Uint8Array(fragmented.reduce((n, f) => n + f.length, 0));
  let offset = 0;
  for (const frame of fragmented) {
    joined.set(frame, offset);
    offset += frame.length;
  }
  assertEquals(parse([joined]), ["control 9 1", "text fragmented"]);
  // Payloads unmasked in place at every alignment, and gathered across pushes.
  const long = "0123456789abcdef".repeat(64) + "xyz";
  for (let k = 0; k < 8; k++) {
    const first = clientTextFrame("k".repeat(k));
    const second = clientTextFrame(long);
    const chunk = new Uint8Array(first.length + second.length);
    chunk.set(first);
    chunk.set(second, first.length);
    assertEquals(parse([chunk], 2048), [
      `text ${"k".repeat(k)}`,
      `text ${long}`,
    ]);
    const cut = first.length + 5 + k * 3;
    assertEquals(
      parse([chunk.slice(0, cut), chunk.slice(cut)], 2048),
      [`text ${"k".repeat(k)}`, `text ${long}`],
    );
  }
  const big = new Uint8Array(70_000).fill(7);
  assertEquals(parse([clientFrame(big, 2)], 100_000), ["binary 70000"]);
  assertEquals(parse([clientFrame(new Uint8Array(0), 1)]), ["text "]);
});

Deno.test("parsers fed byte by byte in turn keep their own half-read headers", () => {
  const events: string[] = [];
  const parsers = ["a", "b"].map((name) =>
    new FrameParser(100_000, {
      message: (_binary, data) =>
        events.push(`${name} ${new TextDecoder().decode(data)}`),
      control: () => {},
    })
  );
  // Different header lengths: 2 + 4 bytes against 2 + 2 + 4 (126 form).
  const frames = [clientTextFrame("short"), clientTextFrame("x".repeat(300))];
  const longest = Math.max(...frames.map((frame) => frame.length));
  for (let i = 0; i < longest; i++) {
    frames.forEach((frame, k) => {
      if (i < frame.length) parsers[k].push(frame.slice(i, i + 1));
    });
  }
  assertEquals(events, ["a short", `b ${"x".repeat(300)}`]);
});

Deno.test("frames that break the protocol are refused with the right close code", () => {
  const unmasked = encodeFrame(1, text("hi"));
  assertEquals(protocolError([unmasked]), 1002);
  const reserved = clientTextFrame("hi");
  reserved[0] |= 0x40;
  assertEquals(protocolError([reserved]), 1002);
  assertEquals(protocolError([clientFrame(text("x"), 3)]), 1002);
  assertEquals(protocolError([clientFrame(new Uint8Array(126), 9)]), 1002);
  assertEquals(protocolError([clientFrame(text("x"), 9, false)]), 1002);
  assertEquals(protocolError([clientFrame(text("x"), 0)]), 1002);
  assertEquals(
    protocolError([
      clientFrame(text("a"), 1, false),
      clientFrame(text("b"), 1),
    ]),
    1002,
  );
  // Too big: refused from the header alone (only 14 bytes are given).
  const header = clientFrame(new Uint8Array(2000), 1).subarray(0, 8);
  assertEquals(protocolError([header], 1024), 1009);
  // Fragments that add up to too much.
  assertEquals(
    protocolError([
      clientFrame(new Uint8Array(600), 1, false),
      clientFrame(new Uint8Array(600), 0, true),
    ]),
    1009,
  );
  // After an error the parser takes nothing more.
  const parser = new FrameParser(1024, { message() {}, control() {} });
  throws(() => parser.push(unmasked), WebSocketProtocolError);
  throws(() => parser.push(clientTextFrame("ok")), WebSocketProtocolError);
});

Deno.test("request heads parse, join repeated fields and report what is wrong", async () => {
  const parsed = parseRequestHead(
    text("GET /?x=1 HTTP/1.1\r\nHost: a\r\nX-A: 1\r\nx-a: 2\r\n\r\nrest"),
  );
  assert("head" in parsed);
  assertEquals(parsed.head.method, "GET");
  assertEquals(parsed.head.version, "1.1");
  assertEquals(parsed.head.headers.get("x-a"), "1, 2");
  assertEquals(
    parsed.length,
    "GET /?x=1 HTTP/1.1\r\nHost: a\r\nX-A: 1\r\nx-a: 2\r\n\r\n".length,
  );
  assertEquals(targetPath(parsed.head.target), "/");
  assertEquals(targetPath("http://example.org/"), "/");
  assertEquals(targetPath("//evil/"), "//evil/");
  assertEquals(targetPath("*"), null);
  assertEquals(parseRequestHead(text("GET / HTTP/1.1\r\nHost: a\r\n")), {
    incomplete: true,
  });
  assertEquals(
    (parseRequestHead(text("GET / HTTP/1.1\r\nBad Name: x\r\n\r\n")) as {
      status: number;
    }).status,
    400,
  );
  // RFC 6455's own example key.
  assertEquals(
    await acceptValue("dGhlIHNhbXBsZSBub25jZQ=="),
    "s3pPLMBiTxaQ9kYGzzhZRbK+xOo=",
  );
  const upgrade = parseRequestHead(text(
    "GET / HTTP/1.1\r\nUpgrade: WebSocket\r\nConnection: keep-alive, Upgrade\r\n" +
      "Sec-WebSocket-Version: 13\r\nSec-WebSocket-Key: AQIDBAUGBwgJCgsMDQ4PEA==\r\n\r\n",
  ));
  assert("head" in upgrade);
  assertEquals(checkUpgrade(upgrade.head), { key: "AQIDBAUGBwgJCgsMDQ4PEA==" });
});

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

Deno.test("fragmented messages are relayed whole, pings are answered, and a client's close code is echoed", async () => {
  await withServer(async (server) => {
    const alice = await TestClient.joined(server.url, "alice", "lobby");
    const bob = await TestClient.joined(server.url, "bob", "lobby");
    const message = JSON.stringify({
      type: "call",
      to: "bob",
      sdp: "é".repeat(20_000),
    });
    const cut = 1000;
    alice.socket.send(message.slice(0, cut), { fin: false });
    alice.socket.send(message.slice(cut), { fin: true });
    assertEquals(
      (await bob.next((m) => m.type === "call")).sdp,
      "é".repeat(20_000),
    );
    const pong = new Promise<string>((resolve) =>
      alice.socket.once(
        "pong",
        (data: Uint8Array) => resolve(new TextDecoder().decode(data)),
      )
    );
    alice.socket.ping("are you there");
    assertEquals(await pong, "are you there");
    alice.socket.close(4321, "bye");
    assertEquals((await alice.closed).code, 4321);
    assertEquals(await bob.members((m) => !m.includes("alice")), ["bob"]);
    await bob.close();
  });
});

Deno.test("protocol errors close only that client, with 1002 or 1007", async () => {
  await withServer(async (server) => {
    const alice = await TestClient.joined(server.url, "alice", "lobby");
    const cases: Array<[string, Uint8Array, number]> = [
      ["an unmasked frame", encodeFrame(1, text('{"type":"join"}')), 1002],
      [
        "text that is not UTF-8",
        clientFrame(new Uint8Array([0x7b, 0xff, 0x7d])),
        1007,
      ],
      ["an unknown opcode", clientFrame(text("x"), 5), 1002],
      [
        "a close frame with a bad code",
        clientFrame(new Uint8Array([0x03, 0xe7]), 8),
        1002,
      ],
    ];
    for (const [what, frame, code] of cases) {
      const raw = await RawClient.upgraded(server.port);
      await raw.write(frame);
      assertEquals(await raw.closeCode(), code, what);
      assert(await raw.ended(), what);
      raw.close();
    }
    // A replacement character the client sent is text like any other.
    alice.send({ type: "call", to: "alice", offer: "self \uFFFD" });
    assertEquals(
      (await alice.next((m) => m.type === "call")).offer,
      "self \uFFFD",
    );
    await alice.close();
  });
});

Deno.test("a TLS connection that never says hello is closed after the header timeout, and HEAD gets the page's head without a body", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const { certificate, key } = await selfSignedCertificate(dir);
    await withServer(async (server) => {
      // A TCP connection that never starts the TLS handshake.
      const silent = await RawClient.connect(server.port);
      assert(await silent.ended());
      silent.close();
      const client = new WebSocket(server.url, { rejectUnauthorized: false });
      await new Promise((resolve, reject) => {
        client.once("open", resolve);
        client.once("error", reject);
      });
      client.close();
    }, { certificate: certificate + key, headerTimeout: 0.2 });
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
  await withServer(async (server) => {
    const raw = await RawClient.connect(server.port);
    await raw.write("HEAD / HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n");
    const response = await raw.readToEnd();
    match(response, /^HTTP\/1\.1 200 OK\r\n/);
    match(response, /Content-Length: \d+\r\n/);
    assert(response.endsWith("\r\n\r\n"), response);
    raw.close();
  });
});

// The bridge between a raw HTTP/1.1 connection and the Fetch API, as a
// server that parses request heads itself would use it in front of the
// WHIP routes: here a minimal such server (one request per connection) and
// an in-memory rig, reached by fetch like any WHIP client.
import {
  deepStrictEqual as assertEquals,
  match as assertMatch,
} from "node:assert/strict";
import { getLogger, setLogLevel } from "../../lib/log/logger.ts";
import {
  type HeadLike,
  readBody,
  responseBytes,
  toFetchRequest,
} from "../../lib/server/fetch_bridge.ts";
import { HttpRoutes } from "../../lib/server/http_routes.ts";
import { RoomRegistry } from "../../lib/server/rooms.ts";
import { MAX_OFFER_BYTES } from "../../lib/server/whip.ts";
import { sampleAnswer, sampleOffer } from "./_sdp_samples.ts";

setLogLevel("error");

function head(
  method: string,
  target: string,
  headers: Record<string, string>,
): HeadLike {
  return { method, target, headers: new Map(Object.entries(headers)) };
}

const bytes = (text: string) => new TextEncoder().encode(text);

Deno.test("readBody takes the bytes after the head, then reads up to Content-Length; refuses what it cannot take", async () => {
  const chunks = [bytes("lo, "), bytes("world")];
  const read = (buffer: Uint8Array) => {
    const chunk = chunks.shift();
    if (chunk === undefined) return Promise.resolve(null);
    buffer.set(chunk);
    return Promise.resolve(chunk.length);
  };
  const body = await readBody(
    head("POST", "/", { "content-length": "12" }),
    bytes("hel"),
    read,
    100,
  );
  assertEquals(new TextDecoder().decode(body as Uint8Array), "hello, world");
  const never = () => Promise.resolve(null);
  assertEquals(
    await readBody(head("GET", "/", {}), bytes(""), never, 100),
    null,
  );
  assertEquals(
    await readBody(
      head("POST", "/", { "content-length": "101" }),
      bytes(""),
      never,
      100,
    ),
    { status: 413, error: "Bodies are limited to 100 bytes" },
  );
  assertEquals(
    (await readBody(
      head("POST", "/", { "transfer-encoding": "chunked" }),
      bytes(""),
      never,
      100,
    ) as { status: number }).status,
    411,
  );
  assertEquals(
    (await readBody(
      head("POST", "/", { "content-length": "-1" }),
      bytes(""),
      never,
      100,
    ) as { status: number }).status,
    400,
  );
  assertEquals(
    (await readBody(
      head("POST", "/", { "content-length": "9" }),
      bytes("abc"),
      never,
      100,
    ) as { status: number }).status,
    400,
  );
});

Deno.test("responseBytes writes status, headers, length and body, and only the head for HEAD", async () => {
  const response = () =>
    new Response("v=0\r\n", {
      status: 201,
      headers: { location: "/whip/a/b/c", "content-type": "application/sdp" },
    });
  const text = new TextDecoder().decode(await responseBytes(response(), false));
  assertMatch(text, /^HTTP\/1\.1 201 Created\r\n/);
  assertMatch(text, /\r\nlocation: \/whip\/a\/b\/c\r\n/);
  assertMatch(
    text,
    /\r\ncontent-length: 5\r\nconnection: close\r\n\r\nv=0\r\n$/,
  );
  const only = new TextDecoder().decode(await responseBytes(response(), true));
  assertMatch(only, /content-length: 5\r\nconnection: close\r\n\r\n$/);
  const empty = new TextDecoder().decode(
    await responseBytes(new Response(null, { status: 204 }), false),
  );
  assertEquals(empty.includes("content-length"), false);
});

Deno.test("a raw HTTP/1.1 server with the bridge in front of the WHIP routes answers fetch like Deno.serve does", async () => {
  const rooms = new RoomRegistry();
  const routes = await HttpRoutes.create(rooms, {}, getLogger("server"));
  // An in-memory rig that answers every call.
  const rig = {
    send(text: string) {
      const message = JSON.parse(text);
      if (message.type === "call") {
        queueMicrotask(() =>
          rooms.relay(rig, {
            type: "answer",
            to: message.from,
            answer: sampleAnswer(),
          })
        );
      }
    },
    close() {},
  };
  rooms.join(rig, "stage", "studio");
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const origin = `http://127.0.0.1:${listener.addr.port}`;
  const serving = (async () => {
    for await (const conn of listener) {
      (async () => {
        const buffer = new Uint8Array(65536);
        let filled = 0;
        let end = -1;
        while (end < 0) {
          const n = await conn.read(buffer.subarray(filled));
          if (n === null) return conn.close();
          filled += n;
          end = new TextDecoder().decode(buffer.subarray(0, filled)).indexOf(
            "\r\n\r\n",
          );
        }
        const lines = new TextDecoder().decode(buffer.subarray(0, end))
          .split("\r\n");
        const [method, target] = lines[0].split(" ");
        const headers = new Map(
          lines.slice(1).map((line) => {
            const colon = line.indexOf(":");
            return [
              line.slice(0, colon).toLowerCase(),
              line.slice(colon + 1).trim(),
            ];
          }),
        );
        const parsed = { method, target, headers };
        const body = await readBody(
          parsed,
          buffer.subarray(end + 4, filled),
          (into) => conn.read(into),
          MAX_OFFER_BYTES,
        );
        const response = body !== null && "status" in body
          ? new Response(body.error, { status: body.status })
          : await routes.handle(toFetchRequest(parsed, body, origin)) ??
            new Response("Not found", { status: 404 });
        const out = await responseBytes(response, method === "HEAD");
        let written = 0;
        while (written < out.length) {
          written += await conn.write(out.subarray(written));
        }
        conn.close();
      })();
    }
  })();
  try {
    const posted = await fetch(`${origin}/whip/studio/stage`, {
      method: "POST",
      headers: { "content-type": "application/sdp" },
      body: sampleOffer(),
    });
    assertEquals(posted.status, 201);
    assertEquals(await posted.text(), sampleAnswer());
    const location = posted.headers.get("location")!;
    assertMatch(location, /^\/whip\/studio\/stage\//);
    assertEquals(rooms.members("studio"), ["stage", "whip:stage"]);
    const deleted = await fetch(`${origin}${location}`, { method: "DELETE" });
    assertEquals(deleted.status, 200);
    await deleted.body?.cancel();
    assertEquals(rooms.members("studio"), ["stage"]);
    const preflight = await fetch(`${origin}/whep/studio/stage`, {
      method: "OPTIONS",
    });
    assertEquals(preflight.status, 204);
    assertEquals(preflight.headers.get("access-control-allow-origin"), "*");
    await preflight.body?.cancel();
  } finally {
    listener.close();
    await serving.catch(() => {});
    routes.close();
    rooms.clear();
  }
});

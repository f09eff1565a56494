// The browser page served by the signalling server: in code with
// `page: true`, and by `server.ts` (a real process) unless `--no-page`,
// alongside the WebSocket at `/` and WHIP with a token from a file.
import {
  deepStrictEqual as assertEquals,
  match as assertMatch,
  ok as assert,
} from "node:assert/strict";
import { join } from "node:path";
import { setLogLevel } from "../../lib/log/logger.ts";
import { startSignallingServer } from "../../lib/server/signalling_server.ts";
import { TestClient } from "./_ws_client.ts";
import { startServer } from "./_server_process.ts";
import { sampleOffer } from "./_sdp_samples.ts";

setLogLevel("error");

const FOLDER = new URL("../../examples/browser/", import.meta.url);

Deno.test("with page: true, GET / and /client.js give the browser page's files; the WebSocket at / still works", async () => {
  const server = await startSignallingServer({
    host: "127.0.0.1",
    port: 0,
    page: true,
  });
  try {
    const base = `http://127.0.0.1:${server.port}`;
    const html = await Deno.readTextFile(new URL("index.html", FOLDER));
    const script = await Deno.readTextFile(new URL("client.js", FOLDER));
    for (const path of ["/", "/index.html"]) {
      const response = await fetch(`${base}${path}`);
      assertEquals(response.status, 200);
      assertEquals(
        response.headers.get("content-type"),
        "text/html; charset=utf-8",
      );
      assertEquals(await response.text(), html);
    }
    const js = await fetch(`${base}/client.js?v=1`);
    assertMatch(js.headers.get("content-type") ?? "", /^text\/javascript/);
    assertEquals(await js.text(), script);
    const head = await fetch(`${base}/`, { method: "HEAD" });
    assertEquals(head.status, 200);
    assertEquals(
      head.headers.get("content-length"),
      String(new TextEncoder().encode(html).length),
    );
    assertEquals(await head.text(), "");
    const client = await TestClient.joined(server.url, "phone", "studio");
    assertEquals(server.rooms.members("studio"), ["phone"]);
    await client.close();
    for (
      const [path, method, status] of [
        ["/client.css", "GET", 404],
        ["/../README.md", "GET", 404],
        ["/", "POST", 405],
      ] as const
    ) {
      const response = await fetch(`${base}${path}`, { method });
      assertEquals(response.status, status, `${method} ${path}`);
      await response.body?.cancel();
    }
  } finally {
    await server.close();
  }
});

Deno.test("without page: true, GET / gives the short text page", async () => {
  const server = await startSignallingServer({ host: "127.0.0.1", port: 0 });
  try {
    const response = await fetch(`http://127.0.0.1:${server.port}/`);
    assertEquals(
      response.headers.get("content-type"),
      "text/plain; charset=utf-8",
    );
    assert((await response.text()).includes("signalling server"));
  } finally {
    await server.close();
  }
});

Deno.test("server.ts serves the page and says where; --no-page turns it off; --token-file= protects WHIP", async () => {
  const dir = await Deno.makeTempDir({ prefix: "page_test_" });
  try {
    const tokenFile = join(dir, "token.txt");
    await Deno.writeTextFile(tokenFile, "t0ken\n");
    const server = await startServer([`--token-file=${tokenFile}`]);
    const base = server.url.replace(/^ws/, "http");
    try {
      const page = await fetch(base);
      assertMatch(page.headers.get("content-type") ?? "", /^text\/html/);
      assertMatch(await page.text(), /flitter-webrtc browser endpoint/);
      const rig = await TestClient.joined(server.url, "stage", "studio");
      const refused = await fetch(`${base}whip/studio/stage`, {
        method: "POST",
        headers: { "content-type": "application/sdp" },
        body: sampleOffer(),
      });
      assertEquals(refused.status, 401);
      await refused.body?.cancel();
      const accepted = fetch(`${base}whip/studio/stage`, {
        method: "POST",
        headers: {
          "content-type": "application/sdp",
          authorization: "Bearer t0ken",
        },
        body: sampleOffer(),
      });
      assertEquals(
        (await rig.next((m) => m.type === "call")).from,
        "whip:stage",
      );
      await rig.close();
      assertEquals((await accepted).status, 503); // the rig left unanswered
      await (await accepted).body?.cancel();
    } finally {
      const { output } = await server.stop();
      assertMatch(output, /Browser page at http:\/\/127\.0\.0\.1:\d+\//);
      assertMatch(output, /WHIP and WHEP at .*\(with a token\)/);
    }
    const bare = await startServer(["--no-page"]);
    try {
      const response = await fetch(bare.url.replace(/^ws/, "http"));
      assertEquals(
        response.headers.get("content-type"),
        "text/plain; charset=utf-8",
      );
      await response.body?.cancel();
    } finally {
      const { output } = await bare.stop();
      assert(!output.includes("Browser page"));
      assertMatch(output, /open to anyone: no --token/);
    }
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

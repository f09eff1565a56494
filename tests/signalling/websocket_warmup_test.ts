// Warming the WebSocket client while a scene loads: the `!websocket` kind's
// load hook makes one throwaway connection on loopback so that the first
// real connection is as quick as later ones (bench/call_bench.ts measures
// the time to :connected).
import assert from "node:assert/strict";

const ROOT = new URL("../../", import.meta.url).pathname;

Deno.test("loading the !websocket kind warms the WebSocket client with one connection on loopback (checked in a fresh process)", async () => {
  const script = `
    import { getNodeKind } from "./lib/scene/node.ts";
    import "./lib/kinds.ts";
    import { webSocketClientWarmed, warmUpWebSocketClient } from "./lib/signalling/_websocket_warmup.ts";
    if (webSocketClientWarmed()) throw new Error("warm before loading");
    const kind = getNodeKind("websocket");
    if (kind?.load === undefined) throw new Error("!websocket has no load hook");
    await kind.load();
    if (!webSocketClientWarmed()) throw new Error("not warm after loading");
    if (warmUpWebSocketClient() !== warmUpWebSocketClient()) throw new Error("warmed twice");
    console.log("warm");
    Deno.exit(0);
  `;
  const { code, stdout, stderr } = await new Deno.Command(Deno.execPath(), {
    args: ["eval", "--ext=ts", script],
    cwd: ROOT,
    stdout: "piped",
    stderr: "piped",
  }).output();
  const out = new TextDecoder().decode(stdout);
  assert.equal(code, 0, new TextDecoder().decode(stderr));
  assert.equal(out.trim(), "warm");
});

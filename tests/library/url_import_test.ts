/**
 * `mod.ts` imported by URL, as a user does: the checkout is served over HTTP
 * on 127.0.0.1, and a script in a folder outside it, run with `deno run -A
 * --no-config` (no import map, no node_modules), imports the library from
 * `http://127.0.0.1:PORT/mod.ts`, starts a signalling server, joins it and
 * renders a frame. Every import under `mod.ts` must therefore resolve from a
 * URL (`npm:NAME@VERSION`, relative paths): a bare specifier fails with
 * `Import "NAME" not a dependency`.
 *
 * The npm packages come from Deno's global cache (the user's `DENO_DIR`, not
 * changed here), so no registry is needed when they are cached there
 * (`scripts/setup.sh --test` caches them).
 *
 * @module
 */

import { assert, assertEquals } from "../_assert.ts";

const ROOT = new URL("../../", import.meta.url).pathname;

const TYPES: Record<string, string> = {
  ".ts": "application/typescript",
  ".js": "application/javascript",
  ".json": "application/json",
};

/** Serves the checkout's files (not node_modules/) on 127.0.0.1, port 0. */
function serveCheckout(): {
  port: number;
  served: string[];
  close(): Promise<void>;
} {
  const served: string[] = [];
  const server = Deno.serve(
    { hostname: "127.0.0.1", port: 0, onListen() {} },
    async (request) => {
      // URL parsing has already resolved any "..": the path stays in ROOT.
      const path = decodeURIComponent(new URL(request.url).pathname);
      if (path.startsWith("/node_modules/") || path.includes("\0")) {
        return new Response("not served", { status: 404 });
      }
      try {
        const body = await Deno.readFile(`${ROOT}${path.slice(1)}`);
        served.push(path);
        const extension = path.slice(path.lastIndexOf("."));
        return new Response(body, {
          headers: {
            "content-type": TYPES[extension] ?? "application/octet-stream",
          },
        });
      } catch {
        return new Response("not found", { status: 404 });
      }
    },
  );
  return {
    port: server.addr.port,
    served,
    close: () => server.shutdown(),
  };
}

/**
 * A proxy on 127.0.0.1 that refuses every request, and keeps the first line
 * of each (`CONNECT registry.npmjs.org:443 HTTP/1.1`).
 */
function refusingProxy(): {
  url: string;
  requests: string[];
  close(): Promise<void>;
} {
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const requests: string[] = [];
  const refuse = async (connection: Deno.Conn) => {
    try {
      const head = new Uint8Array(256);
      const length = await connection.read(head) ?? 0;
      requests.push(
        new TextDecoder().decode(head.subarray(0, length)).split("\r\n")[0],
      );
    } finally {
      connection.close();
    }
  };
  const accepting = (async () => {
    const refusals: Promise<void>[] = [];
    try {
      for await (const connection of listener) {
        refusals.push(refuse(connection));
      }
    } catch (error) {
      if (!(error instanceof Deno.errors.BadResource)) throw error;
    }
    await Promise.allSettled(refusals);
  })();
  return {
    url: `http://127.0.0.1:${listener.addr.port}`,
    requests,
    async close() {
      listener.close();
      await accepting;
    },
  };
}

/** The user's script: `BASE` is replaced by the served checkout's URL. */
const SCRIPT = `
import { Engine, startSignallingServer } from "BASE/mod.ts";

const server = await startSignallingServer({ host: "127.0.0.1", port: 0 });
const socket = new WebSocket(server.url);
const members = await new Promise((resolve, reject) => {
  socket.onopen = () =>
    socket.send(JSON.stringify({ type: "join", id: "user", room: "url" }));
  socket.onmessage = (event) => resolve(JSON.parse(event.data));
  socket.onerror = () => reject(new Error("no answer from the server"));
});
const closed = new Promise((resolve) => socket.onclose = resolve);
socket.close();
await closed;
await server.close();

const engine = Engine.fromText(\`
[[nodes]]
kind = "!offscreen"
id = "out"
size = [8, 8]
colorbits = 8

  [[nodes.children]]
  kind = "!shader"
  fragment = "\\\${HEADER}\\\\nout vec4 color;\\\\nvoid main() { color = vec4(0.0, 1.0, 0.0, 1.0); }"
\`);
engine.renderFrame();
const image = engine.readImage("out");
await engine.dispose();
console.log(JSON.stringify({
  members,
  size: [image.width, image.height],
  pixel: [...image.data.slice(0, 4)],
}));
Deno.exit(0);
`;

/** Where Deno caches remote modules (the user's `DENO_DIR`). */
async function remoteModulesCache(): Promise<string> {
  const { stdout } = await new Deno.Command(Deno.execPath(), {
    args: ["info", "--json"],
    stdout: "piped",
    stderr: "null",
  }).output();
  return JSON.parse(new TextDecoder().decode(stdout)).modulesCache;
}

Deno.test("a script outside the checkout imports mod.ts by URL, runs a server and renders a frame", async () => {
  const checkout = serveCheckout();
  const proxy = refusingProxy();
  const folder = await Deno.makeTempDir({ prefix: "flitter_url_import_" });
  const base = `http://127.0.0.1:${checkout.port}`;
  try {
    assert(
      !folder.startsWith(ROOT),
      `the script's folder ${folder} is inside the checkout`,
    );
    await Deno.writeTextFile(
      `${folder}/user.ts`,
      SCRIPT.replace("BASE", base),
    );
    // The user's command, with every connection beyond 127.0.0.1 sent to a
    // proxy that refuses it: npm packages must come from Deno's cache (and
    // Deno's own check for a newer release is off).
    const result = await new Deno.Command(Deno.execPath(), {
      args: ["run", "-A", "--no-config", "user.ts"],
      cwd: folder,
      env: {
        DENO_NO_UPDATE_CHECK: "1",
        HTTP_PROXY: proxy.url,
        HTTPS_PROXY: proxy.url,
        NO_PROXY: "127.0.0.1",
      },
      stdout: "piped",
      stderr: "piped",
    }).output();
    const stdout = new TextDecoder().decode(result.stdout);
    const stderr = new TextDecoder().decode(result.stderr);
    assert(
      result.success,
      "the script failed (a bare import under mod.ts fails with " +
        `'Import "NAME" not a dependency', a package missing from Deno's ` +
        "cache, which scripts/setup.sh --test fills, with 'Failed loading " +
        `https://registry.npmjs.org/…'):\n${stderr}`,
    );
    assertEquals(proxy.requests, [], "the script reached beyond 127.0.0.1");
    assert(checkout.served.includes("/mod.ts"), "mod.ts was not fetched");
    const report = JSON.parse(stdout.trim().split("\n").at(-1)!);
    assertEquals(report.members, { type: "members", members: ["user"] });
    assertEquals(report.size, [8, 8]);
    assertEquals(report.pixel, [0, 255, 0, 255]);
  } finally {
    await checkout.close();
    await proxy.close();
    await Deno.remove(folder, { recursive: true });
    // Leave no copy of this one-off origin in the user's cache.
    const cached =
      `${await remoteModulesCache()}/http/127.0.0.1_PORT${checkout.port}`;
    await Deno.remove(cached, { recursive: true }).catch(() => {});
  }
});

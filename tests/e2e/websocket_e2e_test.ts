// deno-test-isolated: starts endpoint processes (WebRTC runs in them); its own process lets the runner run e2e files two at a time
// End to end over !websocket through our signalling server (`server.ts`),
// each a real process in the loopback network namespace
// (scripts/in_loopback_netns.sh; `deno task test` does), observed through
// the PNG files the scenes record.
import assert from "node:assert/strict";
import { join } from "node:path";
import { selfSignedCertificate } from "../server/_certificate.ts";
import { type ServerProcess, startServer } from "../server/_server_process.ts";
import {
  Endpoint,
  probeFiles,
  readState,
  regionColour,
  type Rgb,
  ROOT,
  stopAll,
  tempFolder,
  waitForCall,
  waitForColour,
  waitForState,
  waitUntil,
  websocketNode,
  withTomlProbes,
  writeCallScene,
} from "./_endpoint.ts";

const GREEN: Rgb = [0, 255, 0];
const MAGENTA: Rgb = [255, 0, 255];

/** Runs a green caller and a magenta answerer through the server at `url`. */
async function callThrough(
  url: string,
  dir: string,
  extra: Record<string, unknown> = {},
): Promise<void> {
  const endpoints: Endpoint[] = [];
  try {
    const sceneA = await writeCallScene(dir, "a", {
      colour: GREEN,
      signalling: websocketNode(url, "a", { call: "b", ...extra }),
    });
    const sceneB = await writeCallScene(dir, "b", {
      colour: MAGENTA,
      signalling: websocketNode(url, "b", extra),
    });
    const files = (name: string) => probeFiles(dir, name);
    endpoints.push(
      Endpoint.start({ name: "A", scene: sceneA, defines: files("a") }),
      Endpoint.start({ name: "B", scene: sceneB, defines: files("b") }),
    );
    await waitForCall([
      { who: "A", files: files("a"), receives: MAGENTA },
      { who: "B", files: files("b"), receives: GREEN },
    ], endpoints);
  } finally {
    await stopAll(endpoints);
  }
}

Deno.test("two endpoints call each other over !websocket through our server on ws and each receives the other's colour", async () => {
  const dir = await tempFolder();
  let server: ServerProcess | undefined;
  try {
    server = await startServer([]);
    assert.match(server.url, /^ws:\/\/127\.0\.0\.1:\d+/);
    await callThrough(server.url, dir.path);
  } finally {
    await server?.stop();
    await dir.remove();
  }
});

Deno.test("two endpoints call each other over !websocket through our server on wss with a self-signed certificate and verify=false", async () => {
  const dir = await tempFolder();
  let server: ServerProcess | undefined;
  try {
    await selfSignedCertificate(dir.path);
    server = await startServer([
      `--certificate=${join(dir.path, "cert.pem")}`,
      `--key=${join(dir.path, "key.pem")}`,
    ]);
    assert.match(server.url, /^wss:\/\/127\.0\.0\.1:\d+/);
    await callThrough(server.url, dir.path, { verify: false });
  } finally {
    await server?.stop();
    await dir.remove();
  }
});

/** Whether red clearly dominates blue (the caller's warm look). */
const warm = (rgb: Rgb | null) => rgb !== null && rgb[0] > rgb[2] + 40;
/** Whether blue clearly dominates red (the receiver's cool look). */
const cool = (rgb: Rgb | null) => rgb !== null && rgb[2] > rgb[0] + 40;

Deno.test("the caller and receiver examples connect through our server and show the other's picture with their own in the corner", async () => {
  const dir = await tempFolder();
  let server: ServerProcess | undefined;
  const endpoints: Endpoint[] = [];
  try {
    server = await startServer([]);
    const size: [number, number] = [192, 108];
    const files = (name: string) => probeFiles(dir.path, name);
    for (const name of ["caller", "receiver"]) {
      const example = await Deno.readTextFile(
        join(ROOT, `examples/${name}.toml`),
      );
      await Deno.writeTextFile(
        join(dir.path, `${name}.toml`),
        withTomlProbes(example, "main", size),
      );
      endpoints.push(Endpoint.start({
        name,
        scene: join(dir.path, `${name}.toml`),
        defines: {
          ...files(name),
          URL: server.url,
          WIDTH: size[0],
          HEIGHT: size[1],
        },
      }));
    }
    // Centre: the other's picture; top-right corner: our own, small.
    const centre = (name: string) =>
      regionColour(files(name).OUT, 0.3, 0.3, 0.7, 0.7);
    const corner = (name: string) =>
      regionColour(files(name).OUT, 0.78, 0.03, 0.97, 0.22);
    for (const name of ["caller", "receiver"]) {
      await waitForState(name, files(name).STATE, "connected", endpoints);
    }
    await waitUntil(
      () =>
        `the caller to show the receiver's cool picture (centre ${
          centre("caller")
        }) with its own warm one in the corner (${corner("caller")})`,
      () => cool(centre("caller")) && warm(corner("caller")),
      endpoints,
    );
    await waitUntil(
      () =>
        `the receiver to show the caller's warm picture (centre ${
          centre("receiver")
        }) with its own cool one in the corner (${corner("receiver")})`,
      () => warm(centre("receiver")) && cool(corner("receiver")),
      endpoints,
    );
    for (const endpoint of endpoints) {
      assert.doesNotMatch(endpoint.output, /\b(WARN|ERROR)\b/);
    }
  } finally {
    await stopAll(endpoints);
    await server?.stop();
    await dir.remove();
  }
});

Deno.test("after the answering endpoint is killed the caller leaves :connected, and calls it again through our server once it restarts", async () => {
  const dir = await tempFolder();
  let server: ServerProcess | undefined;
  const endpoints: Endpoint[] = [];
  try {
    server = await startServer([]);
    const sceneA = await writeCallScene(dir.path, "a", {
      colour: GREEN,
      signalling: websocketNode(server.url, "a", { call: "b" }),
    });
    const sceneB = await writeCallScene(dir.path, "b", {
      colour: MAGENTA,
      signalling: websocketNode(server.url, "b"),
    });
    // Each run of B gets its own files: a killed process leaves its last ones.
    const files = (name: string) => probeFiles(dir.path, name);
    const a = Endpoint.start({ name: "A", scene: sceneA, defines: files("a") });
    const b1 = Endpoint.start({
      name: "B (first run)",
      scene: sceneB,
      defines: files("b1"),
    });
    endpoints.push(a, b1);
    await waitForColour("A", files("a").OUT, MAGENTA, endpoints);
    await waitForColour("B", files("b1").OUT, GREEN, endpoints);

    const killed = await b1.kill();
    assert.equal(killed.signal, "SIGKILL");
    endpoints.splice(endpoints.indexOf(b1), 1);
    await waitUntil(
      "A to leave :connected after B was killed",
      () => readState(files("a").STATE) !== "connected",
      endpoints,
      40_000,
    );

    const b2 = Endpoint.start({
      name: "B (restarted)",
      scene: sceneB,
      defines: files("b2"),
    });
    endpoints.push(b2);
    await waitForState("A", files("a").STATE, "connected", endpoints);
    await waitForState("B", files("b2").STATE, "connected", endpoints);
    await waitForColour("B", files("b2").OUT, GREEN, endpoints);
    await waitForColour("A", files("a").OUT, MAGENTA, endpoints);
  } finally {
    await stopAll(endpoints);
    await server?.stop();
    await dir.remove();
  }
});

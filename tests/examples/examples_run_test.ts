// deno-test-isolated: starts example processes (WebRTC runs in them); its own process keeps them apart from the shared run
// Runs every example scene from the command line for a moment of scene
// time and checks it exits cleanly without a warning or an error (unknown
// attributes, bad expressions, shader uniforms of the wrong shape…). Run
// inside the loopback network namespace (scripts/in_loopback_netns.sh;
// `deno task test` does): the call examples broadcast to 127.255.255.255.
import assert from "node:assert/strict";
import { join } from "node:path";
import { type HeldUdpPort, holdUdpPort } from "../_udp_port.ts";
import { CLI, Endpoint, ROOT, tempFolder } from "../e2e/_endpoint.ts";

const SCRIPT = join(ROOT, "examples/custom_signalling.ts");

Deno.test("every example scene runs from the command line without warnings or errors", async () => {
  const dir = await tempFolder();
  const small = { WIDTH: 128, HEIGHT: 72 };
  // A port of its own for each call example, held until the end.
  const held: HeldUdpPort[] = [];
  const broadcast = async () => {
    const port = await holdUdpPort();
    held.push(port);
    return { BROADCAST: "127.255.255.255", PORT: port.port };
  };
  const runs: Array<
    { example: string; entry: string; defines: Record<string, string | number> }
  > = [
    { example: "demo.toml", entry: CLI, defines: await broadcast() },
    { example: "plasma.toml", entry: CLI, defines: {} },
    { example: "canvas.toml", entry: CLI, defines: {} },
    {
      example: "caller.toml",
      entry: CLI,
      defines: { ...small, ...await broadcast() },
    },
    {
      example: "receiver.toml",
      entry: CLI,
      defines: { ...small, ...await broadcast() },
    },
    {
      example: "tranceiver.toml",
      entry: CLI,
      defines: { ...small, ...await broadcast() },
    },
    {
      example: "folder_call.toml",
      entry: SCRIPT,
      defines: { ...small, FOLDER: join(dir.path, "a") },
    },
    {
      example: "folder_answer.toml",
      entry: SCRIPT,
      defines: { ...small, FOLDER: join(dir.path, "b") },
    },
    {
      example: "stripes.toml",
      entry: join(ROOT, "examples/custom_node.ts"),
      defines: {},
    },
    { example: "caller3d.toml", entry: CLI, defines: await broadcast() },
    { example: "receiver3d.toml", entry: CLI, defines: await broadcast() },
    { example: "stats.toml", entry: CLI, defines: await broadcast() },
    { example: "canvas3d.toml", entry: CLI, defines: {} },
    { example: "video.toml", entry: CLI, defines: {} },
    { example: "spin.toml", entry: CLI, defines: {} },
    { example: "spin.json", entry: CLI, defines: {} },
    { example: "window.toml", entry: CLI, defines: {} },
    // Without URL= it publishes nothing (tests/e2e/janus_fanout_e2e_test.ts publishes with !whip).
    { example: "publish.toml", entry: CLI, defines: {} },
  ];
  // Every scene in examples/ is run: a new one cannot be forgotten here.
  const scenes = [...Deno.readDirSync(join(ROOT, "examples"))]
    .filter((entry) => /\.(toml|json)$/.test(entry.name))
    .map((entry) => entry.name);
  assert.deepEqual(
    scenes.filter((name) => !runs.some((run) => run.example === name)),
    [],
    "examples without a run here",
  );
  try {
    const problems: string[] = [];
    // Three at a time: quick on two cores.
    for (let i = 0; i < runs.length; i += 3) {
      await Promise.all(
        runs.slice(i, i + 3).map(async ({ example, entry, defines }) => {
          const endpoint = Endpoint.start({
            name: example,
            entry,
            scene: join(ROOT, "examples", example),
            defines,
            fps: 15,
            runtime: 1.5,
          });
          const status = await endpoint.exited;
          // The relay's own offers (to "receiver") reach its answering socket
          // (for "tranceiver") on the same port, as on a LAN: the original
          // warns about such datagrams too.
          const complaints = endpoint.output.split("\n").filter((line) =>
            /\b(WARN|ERROR)\b/.test(line) &&
            !line.includes("(may not be intended for us)")
          );
          if (status.code !== 0 || complaints.length > 0) {
            problems.push(endpoint.describe());
          }
        }),
      );
    }
    assert.deepEqual(problems, []);
  } finally {
    await Promise.all(held.map((port) => port.close()));
    await dir.remove();
  }
});

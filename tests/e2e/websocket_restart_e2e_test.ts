// deno-test-isolated: starts endpoint processes (WebRTC runs in them); its own process lets the runner run e2e files two at a time
// End to end over !websocket through our signalling server (`server.ts`):
// what a call does when one endpoint exits cleanly (SIGTERM), crashes
// (SIGKILL), changes its signalling in a scene edit, or when the server
// itself is killed and restarted on the same port. Each endpoint is a real
// `cli.ts run` process in the loopback network namespace
// (scripts/in_loopback_netns.sh; `deno task test` does), observed through
// the PNG files its scene records (tests/e2e/_endpoint.ts).
//
// The waits for the other side to show its own picture again are given
// 10 s: generous for signalling, which notices at once (a hangup) or after
// a second of silence (a crash), but shorter than the ~18 s libwebrtc takes
// to call the connection failed, so passing shows that signalling noticed.
// How long each takes is measured in bench/reconnect_websocket_bench.ts.
import assert from "node:assert/strict";
import { join } from "node:path";
import { type ServerProcess, startServer } from "../server/_server_process.ts";
import {
  centreColour,
  Endpoint,
  near,
  type ProbeFiles,
  probeFiles,
  readState,
  type Rgb,
  stopAll,
  tempFolder,
  waitForCall,
  waitUntil,
  websocketNode,
  writeCallScene,
} from "./_endpoint.ts";

const GREEN: Rgb = [0, 255, 0];
const MAGENTA: Rgb = [255, 0, 255];
/** How long the other side may take to show its own picture again (see above). */
const NOTICE_MS = 10_000;

/** A green caller `a` and a magenta answerer `b` through the server at `url`, each run with its own files. */
class Call {
  readonly endpoints: Endpoint[] = [];
  readonly #newest = new Map<
    string,
    { endpoint: Endpoint; files: ProbeFiles }
  >();
  #runs = 0;

  private constructor(readonly dir: string, readonly url: string) {}

  static async start(dir: string, url: string): Promise<Call> {
    const call = new Call(dir, url);
    await call.writeScene("a", GREEN, { call: "b" });
    await call.writeScene("b", MAGENTA);
    call.run("a");
    call.run("b");
    await call.connected();
    return call;
  }

  /** Writes endpoint `id`'s scene, sending `colour`. */
  writeScene(
    id: string,
    colour: Rgb,
    extra: Record<string, unknown> = {},
    as = id,
  ): Promise<string> {
    return writeCallScene(this.dir, id, {
      colour,
      signalling: websocketNode(this.url, as, extra),
    });
  }

  /** Starts (or restarts) endpoint `id`; each run writes its own files. */
  run(id: string): Endpoint {
    const run = ++this.#runs;
    const files = probeFiles(this.dir, `${id}${run}`);
    const endpoint = Endpoint.start({
      name: `${id.toUpperCase()} (run ${run})`,
      scene: join(this.dir, `${id}.json`),
      defines: files,
    });
    this.endpoints.push(endpoint);
    this.#newest.set(id, { endpoint, files });
    return endpoint;
  }

  /** The newest run of endpoint `id`. */
  endpoint(id: string): Endpoint {
    return this.#newest.get(id)!.endpoint;
  }

  /** The OUT and STATE files of the newest run of `id`. */
  files(id: string): ProbeFiles {
    return this.#newest.get(id)!.files;
  }

  /** Waits until both are `:connected` and each shows the other's colour. */
  async connected(): Promise<void> {
    await waitForCall([
      { who: "A", files: this.files("a"), receives: MAGENTA },
      { who: "B", files: this.files("b"), receives: GREEN },
    ], this.running());
  }

  /** Waits until `id` has left `:connected` and shows its own `colour` again. */
  async alone(id: string, colour: Rgb, why: string): Promise<void> {
    const files = this.files(id);
    await waitUntil(
      () =>
        `${id.toUpperCase()} to leave :connected and show its own colour ${colour} ${why} (state ${
          readState(files.STATE)
        }, picture ${centreColour(files.OUT)})`,
      () =>
        readState(files.STATE) !== "connected" &&
        near(centreColour(files.OUT), colour),
      this.running(),
      NOTICE_MS,
    );
  }

  /** The endpoints that have not exited. */
  running(): Endpoint[] {
    return this.endpoints.filter((endpoint) => endpoint.status === null);
  }

  stop(): Promise<void> {
    return stopAll(this.endpoints);
  }
}

async function withServer(
  test: (server: ServerProcess, dir: string) => Promise<void>,
): Promise<void> {
  const dir = await tempFolder();
  const server = await startServer(["--debug"]);
  try {
    await test(server, dir.path);
  } finally {
    await server.stop();
    await dir.remove();
  }
}

Deno.test("when one endpoint stops cleanly (SIGTERM) the other leaves :connected and shows its own picture at once, and the call comes back when it restarts", async () => {
  await withServer(async (server, dir) => {
    const call = await Call.start(dir, server.url);
    try {
      await call.endpoint("b").stop();
      await call.alone("a", GREEN, "after B stopped");
      call.run("b");
      await call.connected();
      await call.endpoint("a").stop();
      await call.alone("b", MAGENTA, "after A stopped");
      call.run("a");
      await call.connected();
    } finally {
      await call.stop();
    }
  });
});

Deno.test("when one endpoint is killed (SIGKILL) the other leaves :connected and shows its own picture, and the call comes back when it restarts", async () => {
  await withServer(async (server, dir) => {
    const call = await Call.start(dir, server.url);
    try {
      await call.endpoint("b").kill();
      await call.alone("a", GREEN, "after B was killed");
      call.run("b");
      await call.connected();
      await call.endpoint("a").kill();
      await call.alone("b", MAGENTA, "after A was killed");
      call.run("a");
      await call.connected();
    } finally {
      await call.stop();
    }
  });
});

Deno.test("a scene edit that changes the answerer's signalling ends the call on the caller's side at once", async () => {
  await withServer(async (server, dir) => {
    const call = await Call.start(dir, server.url);
    try {
      // B now answers as "b2": it hangs up and rejoins under the new ID.
      await call.writeScene("b", MAGENTA, {}, "b2");
      await call.alone("a", GREEN, "after B's signalling changed");
      await waitUntil(
        "the server to see B rejoin as b2",
        () => server.output().includes(`"b2" joined room "e2e"`),
        call.running(),
      );
    } finally {
      await call.stop();
    }
  });
});

Deno.test("after the server is killed and restarted on the same port both endpoints rejoin and keep their call, and the next call goes through the new server", async () => {
  const dir = await tempFolder();
  let server = await startServer(["--debug"]);
  let call: Call | undefined;
  try {
    call = await Call.start(dir.path, server.url);
    const port = new URL(server.url).port;
    server.child.kill("SIGKILL");
    await server.child.status;
    server = await startServer(["--debug", `--port=${port}`]);
    const restarted = server;
    await waitUntil(
      "both endpoints to rejoin the restarted server",
      () =>
        restarted.output().includes(`"a" joined room "e2e"`) &&
        restarted.output().includes(`"b" joined room "e2e"`),
      call.running(),
    );
    await call.connected();
    // The call was kept, not made again.
    const count = (text: string, what: string) => text.split(what).length - 1;
    assert.equal(count(call.endpoint("a").output, `Calling "b"`), 1);
    assert.equal(count(call.endpoint("b").output, `Answering call`), 1);
    // B stops: its hangup reaches A through the new server.
    await call.endpoint("b").stop();
    await call.alone("a", GREEN, "after B stopped");
    call.run("b");
    await call.connected();
  } finally {
    await call?.stop();
    await server.stop();
    await dir.remove();
  }
});

/**
 * Signalling server benchmark, against `server.ts` running as its own
 * process on 127.0.0.1 (clients in this process: `npm:ws`, or Deno's own
 * `WebSocket` where a part says so; see `_ws_clients.ts`):
 *
 * - relay throughput: pairs of clients bounce 3 KB messages through the
 *   server, each pair with a bounded number in flight (4 pairs × 32 and
 *   10 pairs × 8, each with both clients); messages relayed per second and
 *   the server's CPU time per message, best of 3 rounds (the original
 *   Python server, aiohttp, manages about 24k/s, 41 µs per message under
 *   10 × 8); the server's CPU time split into user and system time; Deno's
 *   client under 10 × 8 once more with immediate TCP acknowledgements
 *   (`_loopback_quick_ack.ts`: that client leaves Nagle's algorithm on);
 * - held clients: 10,000 clients connect and each joins a room of its own,
 *   held 8 s, against a server process of their own: its peak RSS;
 * - round trip: one 3 KB message A → server → B → server → A at a time,
 *   over `ws:` and over `wss:` (TLS);
 * - join storm: 1000 connected clients send `join` for one room at once;
 *   time until every one has seen a members list of all 1000;
 * - offer → answer: two `!websocket` state machines with instant sessions
 *   (3 KB SDP), from the caller's offer being ready to its answer applied;
 * - with real `WrtcPeerSession`s (inside the loopback network namespace):
 *   from the later side's start to both sessions "connected".
 *
 * Run: `scripts/in_loopback_netns.sh deno run -A bench/server_bench.ts` →
 * `bench/results/server.json` (outside the namespace the WebRTC part is
 * skipped). `--only=PART,…` runs just those parts and prints them (nothing
 * is written); `SERVER_BENCH_DENO_FLAGS` adds flags to the server's `deno
 * run` (e.g. `--cpu-prof`, or V8 flags).
 *
 * @module
 */

import {
  BENCH_SDP,
  type BenchClient,
  type ClientKind,
  closeClients,
  connectClient,
  joinClient,
  startBouncingPairs,
} from "./_ws_clients.ts";
import {
  cpuSeconds,
  cpuTimes,
  type ServerProcess,
  startServerProcess,
} from "./_server_process.ts";
import { withLoopbackQuickAck } from "./_loopback_quick_ack.ts";
import { setLogLevel } from "../lib/log/logger.ts";
import { startWebSocket } from "../lib/signalling/websocket.ts";
import type {
  ConnectionState,
  PeerSession,
} from "../lib/signalling/signalling.ts";

setLogLevel("warn");

const SDP = BENCH_SDP;
const round = (value: number, digits = 3) => Number(value.toFixed(digits));
const percentile = (values: number[], p: number) => {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor(p * sorted.length))];
};

/**
 * Pairs bounce 3 KB messages, `window` in flight per pair, for `seconds`,
 * with `kind` clients generating the load.
 */
async function relayThroughput(
  url: string,
  serverPid: number,
  pairs: number,
  window: number,
  seconds: number,
  kind: ClientKind,
) {
  const bouncing = await startBouncingPairs(url, pairs, window, kind);
  await new Promise((resolve) => setTimeout(resolve, 500)); // warm up
  const relayedBefore = bouncing.relayed();
  const begin = performance.now();
  const serverCpu = cpuTimes(serverPid), clientCpu = cpuSeconds("self");
  await new Promise((resolve) => setTimeout(resolve, seconds * 1000));
  const relayed = bouncing.relayed() - relayedBefore;
  const elapsed = (performance.now() - begin) / 1000;
  const serverCpuAfter = cpuTimes(serverPid);
  const serverUser = serverCpuAfter.user - serverCpu.user;
  const serverSystem = serverCpuAfter.system - serverCpu.system;
  const serverCpuUsed = serverUser + serverSystem;
  const clientCpuUsed = cpuSeconds("self") - clientCpu;
  await bouncing.stop();
  return {
    client: kind === "ws" ? "npm:ws" : "Deno WebSocket",
    pairs,
    inFlightPerPair: window,
    messageBytes:
      JSON.stringify({ type: "call", to: "b", offer: SDP, from: "a" }).length,
    seconds: round(elapsed),
    messagesPerSecond: Math.round(relayed / elapsed),
    megabytesPerSecond: round((relayed / elapsed) * (SDP.length + 40) / 1e6, 1),
    serverCpuShare: round(serverCpuUsed / elapsed, 2),
    clientCpuShare: round(clientCpuUsed / elapsed, 2),
    serverCpuMicrosecondsPerMessage: round(serverCpuUsed / relayed * 1e6, 2),
    // The same split: the server's own code and its runtime / the kernel's
    // (system calls, and on loopback the reader's TCP receive work as well).
    serverUserMicrosecondsPerMessage: round(serverUser / relayed * 1e6, 2),
    serverSystemMicrosecondsPerMessage: round(serverSystem / relayed * 1e6, 2),
    // What one fully used core would relay (the machine is shared with the clients).
    serverMessagesPerCpuSecond: Math.round(relayed / serverCpuUsed),
  };
}

/** The best (lowest server CPU per message) of `rounds` runs of `run`. */
async function bestOf<T extends { serverCpuMicrosecondsPerMessage: number }>(
  rounds: number,
  run: () => Promise<T>,
): Promise<T & { rounds: number[] }> {
  const results: T[] = [];
  for (let i = 0; i < rounds; i++) results.push(await run());
  const best = results.reduce((a, b) =>
    b.serverCpuMicrosecondsPerMessage < a.serverCpuMicrosecondsPerMessage
      ? b
      : a
  );
  return {
    ...best,
    rounds: results.map((result) => result.serverCpuMicrosecondsPerMessage),
  };
}

/** Resident memory of process `pid` in MB (10^6 bytes), from /proc (Linux). */
function rssMegabytes(pid: number): number {
  const status = Deno.readTextFileSync(`/proc/${pid}/status`);
  const kilobytes = Number(status.match(/VmRSS:\s+(\d+)/)?.[1] ?? NaN);
  return round(kilobytes * 1024 / 1e6, 1);
}

/**
 * `count` clients connect and each joins a room of its own; held for
 * `holdSeconds`; the server's RSS sampled every 100 ms throughout.
 */
async function heldClients(
  url: string,
  serverPid: number,
  count: number,
  holdSeconds: number,
) {
  const idle = rssMegabytes(serverPid);
  let peak = idle;
  const sampler = setInterval(() => {
    peak = Math.max(peak, rssMegabytes(serverPid));
  }, 100);
  const clients: BenchClient[] = [];
  const started = performance.now();
  try {
    for (let i = 0; i < count; i += 100) {
      clients.push(
        ...await Promise.all(
          Array.from(
            { length: Math.min(100, count - i) },
            (_, j) => joinClient(url, "held", `room ${i + j}`, "deno"),
          ),
        ),
      );
    }
    const joinedSeconds = (performance.now() - started) / 1000;
    await new Promise((resolve) => setTimeout(resolve, holdSeconds * 1000));
    const held = rssMegabytes(serverPid);
    peak = Math.max(peak, held);
    return {
      clients: count,
      holdSeconds,
      joinedInSeconds: round(joinedSeconds, 1),
      serverIdleRssMB: idle,
      serverHeldRssMB: held,
      serverPeakRssMB: peak,
      kilobytesPerClient: round((peak - idle) * 1e3 / count, 1),
    };
  } finally {
    clearInterval(sampler);
    await closeClients(clients);
  }
}

/** One message at a time: a → server → b → server → a. */
async function roundTrip(url: string, count: number) {
  const a = await joinClient(url, "a", "rtt", "ws");
  const b = await joinClient(url, "b", "rtt", "ws");
  const toB = JSON.stringify({ type: "call", to: "b", offer: SDP });
  const toA = JSON.stringify({ type: "answer", to: "a", answer: SDP });
  b.onMessage(() => b.send(toA));
  const times: number[] = [];
  for (let i = 0; i < count + 100; i++) {
    const start = performance.now();
    const back = new Promise((resolve) => a.onMessage(resolve));
    a.send(toB);
    await back;
    if (i >= 100) times.push(performance.now() - start);
  }
  await closeClients([a, b]);
  return {
    messages: count,
    p50Ms: round(percentile(times, 0.5)),
    p99Ms: round(percentile(times, 0.99)),
    maxMs: round(Math.max(...times)),
  };
}

/** `clients` connected clients join one room at once. */
async function joinStorm(url: string, clients: number) {
  const sockets: BenchClient[] = [];
  for (let i = 0; i < clients; i += 100) {
    sockets.push(
      ...await Promise.all(
        Array.from(
          { length: Math.min(100, clients - i) },
          () => connectClient(url, "ws"),
        ),
      ),
    );
  }
  let settled = 0;
  let listsReceived = 0;
  let bytesReceived = 0;
  const done = Promise.withResolvers<void>();
  const start = performance.now();
  const seenAt: number[] = [];
  sockets.forEach((socket, i) => {
    let complete = false;
    socket.onMessage((text) => {
      listsReceived++;
      bytesReceived += text.length;
      const message = JSON.parse(text);
      if (
        !complete && message.type === "members" &&
        message.members.length === clients
      ) {
        complete = true;
        seenAt[i] = performance.now() - start;
        if (++settled === clients) done.resolve();
      }
    });
  });
  sockets.forEach((socket, i) =>
    socket.send(
      JSON.stringify({ type: "join", id: `client-${i}`, room: "storm" }),
    )
  );
  let timer: ReturnType<typeof setTimeout> | undefined;
  await Promise.race([
    done.promise,
    new Promise((resolve) => timer = setTimeout(resolve, 30_000)),
  ]);
  clearTimeout(timer);
  const settledMs = performance.now() - start;
  await closeClients(sockets);
  return {
    clients,
    settled: settled === clients,
    settledMs: round(settledMs, 1),
    firstCompleteListMs: round(
      Math.min(...seenAt.filter((t) => t !== undefined)),
      1,
    ),
    listsReceived,
    listsPerClient: round(listsReceived / clients, 2),
    megabytesReceived: round(bytesReceived / 1e6, 1),
  };
}

/** A PeerSession whose SDP is ready at once, so only signalling is timed. */
class InstantSession implements PeerSession {
  connectionState: ConnectionState | null = null;
  offerReadyAt = 0;
  answered = Promise.withResolvers<number>();
  createOffer(): Promise<string> {
    this.connectionState = "new";
    this.offerReadyAt = performance.now();
    return Promise.resolve(SDP);
  }
  acceptOffer(): Promise<string> {
    this.connectionState = "connecting";
    return Promise.resolve(SDP);
  }
  acceptAnswer(): Promise<void> {
    this.connectionState = "connecting";
    this.answered.resolve(performance.now() - this.offerReadyAt);
    return Promise.resolve();
  }
  close(): void {
    this.connectionState = null;
  }
  onConnectionStateChange(): () => void {
    return () => {};
  }
}

/** Offer → answer over two `!websocket` state machines, `runs` times (fresh room each). */
async function offerToAnswer(url: string, runs: number) {
  const times: number[] = [];
  for (let i = 0; i < runs; i++) {
    const room = `signal ${i}`;
    const caller = new InstantSession();
    const answering = startWebSocket({
      url,
      room,
      id: "b",
      call: null,
      verify: true,
    }, new InstantSession());
    const calling = startWebSocket({
      url,
      room,
      id: "a",
      call: "b",
      verify: true,
    }, caller);
    times.push(await caller.answered.promise);
    await calling.close();
    await answering.close();
  }
  return {
    runs,
    p50Ms: round(percentile(times, 0.5)),
    p99Ms: round(percentile(times, 0.99)),
  };
}

/** Round trips through a TLS server with a throw-away self-signed certificate. */
async function roundTripTls(count: number) {
  const dir = await Deno.makeTempDir();
  try {
    const made = await new Deno.Command("openssl", {
      args: [
        ...[
          "req",
          "-x509",
          "-newkey",
          "ec",
          "-pkeyopt",
          "ec_paramgen_curve:prime256v1",
          "-nodes",
        ],
        ...[
          "-keyout",
          `${dir}/both.pem`,
          "-out",
          `${dir}/cert.pem`,
          "-days",
          "1",
          "-subj",
          "/CN=localhost",
        ],
      ],
      stdout: "null",
      stderr: "null",
    }).output();
    if (!made.success) return { skipped: "openssl failed" };
    await Deno.writeTextFile(
      `${dir}/both.pem`,
      await Deno.readTextFile(`${dir}/cert.pem`),
      { append: true },
    );
    const server = await startServer([`--certificate=${dir}/both.pem`]);
    try {
      return await roundTrip(server.url, count);
    } finally {
      await server.stop();
    }
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

/**
 * Two real `WrtcPeerSession`s (160×120) meet through the server: ms from
 * the later side's start to both "connected". Needs the loopback network
 * namespace (scripts/in_loopback_netns.sh).
 */
async function timeToConnected(url: string, runs: number) {
  if (Deno.env.get("FLITTER_IN_NETNS") !== "1") {
    return { skipped: "not inside scripts/in_loopback_netns.sh" };
  }
  const { WrtcPeerSession } = await import("../lib/webrtc/peer_session.ts");
  const once = async (callerFirst: boolean, run: number): Promise<number> => {
    const room = `wrtc ${callerFirst} ${run}`;
    const caller = await WrtcPeerSession.create({ width: 160, height: 120 });
    const answerer = await WrtcPeerSession.create({ width: 160, height: 120 });
    const connected = new Promise<number>((resolve) => {
      const check = () => {
        if (
          caller.connectionState === "connected" &&
          answerer.connectionState === "connected"
        ) {
          resolve(performance.now());
        }
      };
      caller.onConnectionStateChange(check);
      answerer.onConnectionStateChange(check);
    });
    const startCaller = () =>
      startWebSocket({
        url,
        room,
        id: "caller",
        call: "answerer",
        verify: true,
      }, caller);
    const startAnswerer = () =>
      startWebSocket({
        url,
        room,
        id: "answerer",
        call: null,
        verify: true,
      }, answerer);
    const first = callerFirst ? startCaller() : startAnswerer();
    await new Promise((resolve) => setTimeout(resolve, 200));
    const started = performance.now();
    const second = callerFirst ? startAnswerer() : startCaller();
    let timer: ReturnType<typeof setTimeout> | undefined;
    try {
      const end = await Promise.race([
        connected,
        new Promise<number>((_, reject) =>
          timer = setTimeout(
            () => reject(new Error("no connection in 30 s")),
            30_000,
          )
        ),
      ]);
      return end - started;
    } finally {
      clearTimeout(timer);
      await first.close();
      await second.close();
      caller.close();
      answerer.close();
    }
  };
  const callerFirst: number[] = [], answererFirst: number[] = [];
  for (let i = 0; i < runs; i++) {
    callerFirst.push(await once(true, i));
    answererFirst.push(await once(false, i));
  }
  const describe = (times: number[]) => ({
    p50Ms: round(percentile(times, 0.5), 1),
    maxMs: round(Math.max(...times), 1),
    runs: times.length,
  });
  return {
    callerFirst: describe(callerFirst),
    answererFirst: describe(answererFirst),
  };
}

/**
 * server.ts as `deno task serve` runs it, with `args`; `SERVER_BENCH_DENO_FLAGS`
 * adds Deno flags (e.g. `--cpu-prof --cpu-prof-dir=/tmp/prof`).
 */
function startServer(args: string[] = []): Promise<ServerProcess> {
  const extra = Deno.env.get("SERVER_BENCH_DENO_FLAGS")?.split(" ")
    .filter(Boolean) ?? [];
  return startServerProcess({
    args,
    denoFlags: ["--v8-flags=--max-semi-space-size=4", ...extra],
  });
}

/** Runs `body` against a server process of its own, stopped afterwards. */
async function withServer<T>(
  body: (server: { url: string; pid: number }) => Promise<T>,
): Promise<T> {
  const server = await startServer();
  try {
    return await body(server);
  } finally {
    await server.stop();
  }
}

/**
 * The parts, by name. `--only=NAME,...` runs just those and prints them
 * (for profiling one part; nothing is written then).
 */
const PARTS: Record<string, (server: { url: string; pid: number }) => unknown> =
  {
    // Best of 3 rounds each: the machine is shared, and the least disturbed
    // round is the closest to the server's own cost.
    relay: (server) =>
      bestOf(3, () => relayThroughput(server.url, server.pid, 4, 32, 3, "ws")),
    relayDenoClients: (server) =>
      bestOf(
        3,
        () => relayThroughput(server.url, server.pid, 4, 32, 3, "deno"),
      ),
    relay10x8: (server) =>
      bestOf(3, () => relayThroughput(server.url, server.pid, 10, 8, 3, "ws")),
    relay10x8DenoClients: (server) =>
      bestOf(
        3,
        () => relayThroughput(server.url, server.pid, 10, 8, 3, "deno"),
      ),
    // The same with the kernel acknowledging at once, so that Deno's client
    // (Nagle on, header and payload written apart) is not held up by
    // delayed acknowledgements and the figure is the server's again.
    relay10x8DenoClientsQuickAck: (server) =>
      withLoopbackQuickAck(() =>
        bestOf(
          3,
          () => relayThroughput(server.url, server.pid, 10, 8, 3, "deno"),
        )
      ),
    roundTrip: (server) => roundTrip(server.url, 2000),
    roundTripTls: () => roundTripTls(2000),
    joinStorm: (server) => joinStorm(server.url, 1000),
    // A server of its own, so that its memory is the held clients' alone.
    heldClients: () =>
      withServer((server) => heldClients(server.url, server.pid, 10_000, 8)),
    offerToAnswer: (server) => offerToAnswer(server.url, 50),
    wrtcTimeToConnected: (server) => timeToConnected(server.url, 10),
  };

const only = Deno.args.find((arg) => arg.startsWith("--only="))?.slice(7)
  .split(",");
const results: Record<string, unknown> = {
  date: new Date().toISOString(),
  deno: Deno.version.deno,
  cpus: navigator.hardwareConcurrency,
  note:
    "server.ts in its own process, clients (npm:ws unless the part says Deno WebSocket) in the benchmark process, all on 127.0.0.1; " +
    "relay messagesPerSecond is bounded by the CPU the clients and other processes leave the server (see serverCpuShare)",
};
await withServer(async (server) => {
  for (const [name, part] of Object.entries(PARTS)) {
    if (only && !only.includes(name)) continue;
    results[name] = await part(server);
    if (only) console.log(name, JSON.stringify(results[name], null, 2));
  }
});
if (!only) {
  console.log(JSON.stringify(results, null, 2));
  await Deno.mkdir(new URL("results/", import.meta.url), { recursive: true });
  await Deno.writeTextFile(
    new URL("results/server.json", import.meta.url),
    JSON.stringify(results, null, 2) + "\n",
  );
}
// libwebrtc may crash when the runtime is torn down after a call; the results are written.
Deno.exit(0);

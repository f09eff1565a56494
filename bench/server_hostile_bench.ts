/**
 * What hostile clients cost the signalling server: `server.ts` runs as its
 * own process on 127.0.0.1 with its default limits; the clients run here.
 *
 * - flood: `SINKS` raw TCP clients do the WebSocket handshake, join room
 *   `hostile` and then never read a byte, so TCP back-pressure builds; a
 *   flooder in the same room sends them 60 KB messages (round robin, its own
 *   send buffer kept under 2 MiB) until each sink is dropped from the room or
 *   `PER_SINK_LIMIT` bytes were sent to it. Meanwhile a pair in room `calm`
 *   bounces small messages. Figures: the server's peak RSS (`VmHWM`), its RSS
 *   after the flood and after the sinks hang up, how many sinks it dropped,
 *   and the calm pair's round trips;
 * - stalled handshakes: `STALLED` connections send half a request head and
 *   stop, as many connect and send nothing; how many the server has closed
 *   by `STALL_WAIT_MS` (the default header timeout is 10 s);
 * - idle clients: `IDLE` clients join a room each and stay silent; the
 *   server's RSS growth per client.
 *
 * Each part runs against a fresh server process. Everything is bounded in
 * count, bytes and time (under a minute).
 *
 * Run: `deno run -A bench/server_hostile_bench.ts [--label=NAME]
 * [--server=PATH]` → `bench/results/server_hostile.json` (the figures go
 * under `NAME`, default `current`; `--server=` runs another copy of
 * `server.ts`, for example an older checkout's).
 *
 * @module
 */

import WebSocket from "npm:ws@8.18.3";
import { cpuSeconds, startServerProcess } from "./_server_process.ts";

const SINKS = 50;
const MESSAGE_BYTES = 60_000;
const PER_SINK_LIMIT = 32 * 1024 * 1024;
const FLOOD_MS = 30_000;
const STALLED = 100;
const STALL_WAIT_MS = 15_000;
const IDLE = 500;

const args = Object.fromEntries(
  Deno.args.map((arg) => arg.replace(/^--/, "").split("=", 2)),
);
const label: string = args.label ?? "current";
const serverPath: string = args.server ??
  new URL("../server.ts", import.meta.url).pathname;
const resultPath = new URL("./results/server_hostile.json", import.meta.url);

const MiB = 1024 * 1024;
const round = (value: number, digits = 1) => Number(value.toFixed(digits));
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** `VmRSS` and `VmHWM` (peak RSS) of process `pid`, in MiB. */
function memory(pid: number): { rss: number; peak: number } {
  const status = Deno.readTextFileSync(`/proc/${pid}/status`);
  const kib = (field: string) =>
    Number(status.match(new RegExp(`^${field}:\\s+(\\d+)`, "m"))![1]);
  return { rss: round(kib("VmRSS") / 1024), peak: round(kib("VmHWM") / 1024) };
}

/** A ws client that joined `room` as `id` and tracks the room's members. */
async function join(url: string, id: string, room: string) {
  const socket = new WebSocket(url);
  await new Promise((resolve, reject) => {
    socket.once("open", resolve);
    socket.once("error", reject);
  });
  const state = {
    socket,
    members: [] as string[],
    listeners: [] as Array<(m: Record<string, unknown>) => void>,
  };
  socket.on("message", (data: WebSocket.RawData) => {
    const message = JSON.parse(String(data));
    if (message.type === "members") state.members = message.members;
    for (const listener of state.listeners) listener(message);
  });
  socket.send(JSON.stringify({ type: "join", id, room }));
  while (!state.members.includes(id)) await sleep(5);
  return state;
}

/**
 * A client text frame. The mask is zero (valid framing: the server XORs
 * with it), so one frame can be sent many times without masking costs.
 */
function clientTextFrame(text: string): Uint8Array {
  const payload = new TextEncoder().encode(text);
  const n = payload.length;
  const header = n < 126 ? 2 : n < 65536 ? 4 : 10;
  const frame = new Uint8Array(header + 4 + n);
  const view = new DataView(frame.buffer);
  frame[0] = 0x81;
  if (n < 126) frame[1] = 0x80 | n;
  else if (n < 65536) {
    frame[1] = 0x80 | 126;
    view.setUint16(2, n);
  } else {
    frame[1] = 0x80 | 127;
    view.setBigUint64(2, BigInt(n));
  }
  frame.set(payload, header + 4);
  return frame;
}

const HANDSHAKE = new TextEncoder().encode(
  "GET / HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n" +
    "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n",
);

/** A raw client: handshake, join, then it never reads again. */
async function sink(
  port: number,
  id: string,
  room = "hostile",
): Promise<Deno.TcpConn> {
  const conn = await Deno.connect({ hostname: "127.0.0.1", port });
  await conn.write(HANDSHAKE);
  const buffer = new Uint8Array(1024);
  let head = "";
  while (!head.includes("\r\n\r\n")) {
    const n = await conn.read(buffer);
    if (n === null) throw new Error("The server closed a sink's handshake");
    head += new TextDecoder().decode(buffer.subarray(0, n));
  }
  if (!head.startsWith("HTTP/1.1 101")) throw new Error(head);
  await conn.write(
    clientTextFrame(JSON.stringify({ type: "join", id, room })),
  );
  return conn;
}

/** A raw client that joined `room` as `id`, reads what it is sent and tracks the room's members. */
async function rawMember(port: number, id: string, room: string) {
  const conn = await Deno.connect({ hostname: "127.0.0.1", port });
  await conn.write(HANDSHAKE);
  const state = { conn, members: [] as string[] };
  const reading = (async () => {
    const chunk = new Uint8Array(256 * 1024);
    let pending = new Uint8Array(0);
    let head = true;
    while (true) {
      const n = await conn.read(chunk).catch(() => null);
      if (n === null) return;
      const joined = new Uint8Array(pending.length + n);
      joined.set(pending);
      joined.set(chunk.subarray(0, n), pending.length);
      pending = joined;
      if (head) {
        const end = new TextDecoder().decode(pending).indexOf("\r\n\r\n");
        if (end < 0) continue;
        pending = pending.slice(end + 4);
        head = false;
      }
      while (pending.length >= 2) {
        let length = pending[1] & 0x7f;
        let offset = 2;
        const view = new DataView(pending.buffer, pending.byteOffset);
        if (length === 126) {
          if (pending.length < 4) break;
          length = view.getUint16(2);
          offset = 4;
        } else if (length === 127) {
          if (pending.length < 10) break;
          length = Number(view.getBigUint64(2));
          offset = 10;
        }
        if (pending.length < offset + length) break;
        if ((pending[0] & 0x0f) === 1) {
          const message = JSON.parse(
            new TextDecoder().decode(pending.subarray(offset, offset + length)),
          );
          if (message.type === "members") state.members = message.members;
        }
        pending = pending.slice(offset + length);
      }
    }
  })();
  await conn.write(clientTextFrame(JSON.stringify({ type: "join", id, room })));
  while (!state.members.includes(id)) await sleep(5);
  return {
    ...state,
    get members() {
      return state.members;
    },
    reading,
  };
}

async function flood(server: { url: string; port: number; pid: number }) {
  const flooder = await rawMember(server.port, "flooder", "hostile");
  const sinks: Deno.TcpConn[] = [];
  const ids = Array.from({ length: SINKS }, (_, i) => `sink ${i}`);
  for (const id of ids) sinks.push(await sink(server.port, id));
  while (!ids.every((id) => flooder.members.includes(id))) await sleep(5);
  const a = await join(server.url, "a", "calm");
  const b = await join(server.url, "b", "calm");
  b.listeners.push((m) => {
    if (m.type === "ping") {
      b.socket.send(JSON.stringify({ type: "pong", to: "a" }));
    }
  });
  let calmRunning = true;
  const roundTrips: number[] = [];
  const calm = (async () => {
    while (calmRunning) {
      const start = performance.now();
      const back = new Promise<void>((resolve) => {
        const listener = (m: Record<string, unknown>) => {
          if (m.type !== "pong") return;
          a.listeners.splice(a.listeners.indexOf(listener), 1);
          resolve();
        };
        a.listeners.push(listener);
      });
      a.socket.send(JSON.stringify({ type: "ping", to: "b" }));
      await back;
      roundTrips.push(performance.now() - start);
      await sleep(10);
    }
  })();

  const before = memory(server.pid);
  const cpuBefore = cpuSeconds(server.pid);
  const sent = new Map(ids.map((id) => [id, 0]));
  const frames = new Map(ids.map((id) => [
    id,
    clientTextFrame(
      JSON.stringify({ type: "offer", to: id, sdp: "x".repeat(MESSAGE_BYTES) }),
    ),
  ]));
  let peakRss = 0;
  const begin = performance.now();
  while (performance.now() - begin < FLOOD_MS) {
    const active = ids.filter((id) =>
      flooder.members.includes(id) && sent.get(id)! < PER_SINK_LIMIT
    );
    if (active.length === 0) break;
    for (const id of active) {
      const frame = frames.get(id)!;
      for (let written = 0; written < frame.length;) {
        written += await flooder.conn.write(frame.subarray(written));
      }
      sent.set(id, sent.get(id)! + MESSAGE_BYTES);
    }
    peakRss = Math.max(peakRss, memory(server.pid).rss);
  }
  const floodSeconds = (performance.now() - begin) / 1000;
  await sleep(1000);
  const afterFlood = memory(server.pid);
  const dropped = ids.filter((id) => !flooder.members.includes(id)).length;
  calmRunning = false;
  await calm;
  for (const conn of sinks) conn.close();
  await sleep(1000);
  const afterHangUp = memory(server.pid);
  const sortedTrips = [...roundTrips].sort((x, y) => x - y);
  flooder.conn.close();
  await flooder.reading;
  for (const client of [a, b]) client.socket.close();
  return {
    sinks: SINKS,
    messageBytes: MESSAGE_BYTES,
    perSinkLimitMiB: PER_SINK_LIMIT / MiB,
    sentMiB: round([...sent.values()].reduce((x, y) => x + y, 0) / MiB),
    seconds: round(floodSeconds, 2),
    sinksDropped: dropped,
    serverCpuSeconds: round(cpuSeconds(server.pid) - cpuBefore, 2),
    rssBeforeMiB: before.rss,
    peakRssMiB: Math.max(afterFlood.peak, peakRss),
    rssAfterFloodMiB: afterFlood.rss,
    rssAfterSinksHangUpMiB: afterHangUp.rss,
    calmRoundTrips: roundTrips.length,
    calmRoundTripP50Ms: round(sortedTrips[sortedTrips.length >> 1] ?? NaN, 2),
    calmRoundTripMaxMs: round(sortedTrips.at(-1) ?? NaN, 2),
  };
}

async function stalled(server: { port: number; pid: number }) {
  const before = memory(server.pid);
  const conns: Deno.TcpConn[] = [];
  for (let i = 0; i < STALLED; i++) {
    const half = await Deno.connect({
      hostname: "127.0.0.1",
      port: server.port,
    });
    await half.write(
      new TextEncoder().encode("GET / HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgr"),
    );
    conns.push(half);
    conns.push(
      await Deno.connect({ hostname: "127.0.0.1", port: server.port }),
    );
  }
  const start = performance.now();
  let closed = 0;
  let lastClose = NaN;
  let waiting = true;
  const watches = conns.map(async (conn) => {
    try {
      await conn.read(new Uint8Array(1024));
    } catch {
      // reset: closed too
    }
    if (!waiting) return;
    closed++;
    lastClose = performance.now() - start;
  });
  await Promise.race([Promise.all(watches), sleep(STALL_WAIT_MS)]);
  waiting = false;
  const withThem = memory(server.pid);
  for (const conn of conns) {
    try {
      conn.close();
    } catch {
      // already closed
    }
  }
  await Promise.allSettled(watches);
  return {
    connections: conns.length,
    waitedMs: STALL_WAIT_MS,
    closedByServer: closed,
    lastClosedAfterMs: closed > 0 ? Math.round(lastClose) : null,
    rssGrowthMiB: round(withThem.rss - before.rss),
  };
}

/** `IDLE` clients each joined to a room of its own, then silent: what each costs. */
async function idle(server: { port: number; pid: number }) {
  const before = memory(server.pid);
  const conns: Deno.TcpConn[] = [];
  for (let i = 0; i < IDLE; i++) {
    const conn = await sink(server.port, `idle ${i}`, `idle ${i}`);
    // Its members list has come: it has joined.
    await conn.read(new Uint8Array(256));
    conns.push(conn);
  }
  await sleep(500);
  const withThem = memory(server.pid);
  for (const conn of conns) conn.close();
  return {
    clients: IDLE,
    rssGrowthMiB: round(withThem.rss - before.rss),
    kilobytesEach: Math.round((withThem.rss - before.rss) * 1024 / IDLE),
  };
}

/** Runs `phase` against a fresh server process. */
async function fresh<T>(
  phase: (server: { url: string; port: number; pid: number }) => Promise<T>,
): Promise<T> {
  const server = await startServerProcess({
    script: serverPath,
    denoFlags: [],
    stderr: "null",
  });
  try {
    return await phase(server);
  } finally {
    await server.stop();
  }
}

const flooded = await fresh(flood);
console.log("flood", flooded);
const stalledHandshakes = await fresh(stalled);
console.log("stalled handshakes", stalledHandshakes);
const idleClients = await fresh(idle);
console.log("idle clients", idleClients);
const figures = { flood: flooded, stalledHandshakes, idleClients };

let results: Record<string, unknown> = {};
try {
  results = JSON.parse(await Deno.readTextFile(resultPath));
} catch {
  // first run
}
results.note =
  "server.ts in its own process with default limits, hostile clients on 127.0.0.1 (bench/server_hostile_bench.ts); peakRssMiB is the server's VmHWM";
results[label] = {
  date: new Date().toISOString(),
  deno: Deno.version.deno,
  ...figures,
};
await Deno.writeTextFile(resultPath, JSON.stringify(results, null, 2) + "\n");
Deno.exit(0);

/** The server as a real process: `deno run -A server.ts …`. */

import {
  deepStrictEqual as assertEquals,
  match,
  ok as assert,
  throws,
} from "node:assert/strict";
import { parseServerArgs, ServerArgsError } from "../../lib/server/args.ts";
import {
  certificatesFromPem,
  privateKeyFromPem,
} from "../../lib/server/pem.ts";
import { TestClient } from "./_ws_client.ts";
import { selfSignedCertificate } from "./_certificate.ts";
import { startServer } from "./_server_process.ts";

const SERVER = new URL("../../server.ts", import.meta.url).pathname;

async function run(args: string[]): Promise<{ code: number; output: string }> {
  const result = await new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", SERVER, ...args],
  }).output();
  const decoder = new TextDecoder();
  return {
    code: result.code,
    output: decoder.decode(result.stdout) + decoder.decode(result.stderr),
  };
}

Deno.test("server options parse like the original's", () => {
  assertEquals(parseServerArgs([]), {
    log: { level: "info", verbose: false },
    host: undefined,
    port: undefined,
    certificate: undefined,
    key: undefined,
    user: undefined,
    group: undefined,
    idleTimeout: undefined,
    token: undefined,
    tokenFile: undefined,
    whipTimeout: undefined,
    page: true,
    help: false,
  });
  const args = parseServerArgs([
    "--quiet",
    "--host=::1",
    "--port=8443",
    "--certificate=c.pem",
    "--key",
    "k.pem",
  ]);
  assertEquals([
    args.log.level,
    args.host,
    args.port,
    args.certificate,
    args.key,
  ], ["warn", "::1", 8443, "c.pem", "k.pem"]);
  assertEquals(parseServerArgs(["--trace"]).log.level, "trace");
  assertEquals(parseServerArgs(["--verbose"]).log.verbose, true);
  assertEquals(parseServerArgs(["--idle-timeout=2.5"]).idleTimeout, 2.5);
  throws(
    () => parseServerArgs(["--port=http"]),
    /--port: expected an integer from 0 to 65535, got "http"/,
  );
  throws(() => parseServerArgs(["--port=70000"]), ServerArgsError);
  throws(() => parseServerArgs(["--colour=red"]), ServerArgsError);
  throws(() => parseServerArgs(["stray"]), ServerArgsError);
  throws(() => parseServerArgs(["--debug", "--quiet"]), /only one of/);
  throws(() => parseServerArgs(["--key=k.pem"]), /--key= needs --certificate=/);
  const whip = parseServerArgs([
    "--token=s3cret",
    "--whip-timeout=2",
    "--no-page",
  ]);
  assertEquals([whip.token, whip.whipTimeout, whip.page], ["s3cret", 2, false]);
  assertEquals(parseServerArgs(["--token-file=t.txt"]).tokenFile, "t.txt");
  throws(
    () => parseServerArgs(["--token=a", "--token-file=t.txt"]),
    /not both/,
  );
  throws(() => parseServerArgs(["--token=a b"]), /printable ASCII/);
  throws(() => parseServerArgs(["--whip-timeout=0"]), ServerArgsError);
});

Deno.test("PEM helpers split a combined certificate and key file", () => {
  const cert = "-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----";
  const key =
    "-----BEGIN EC PRIVATE KEY-----\nMHc\n-----END EC PRIVATE KEY-----";
  assertEquals(privateKeyFromPem(`${cert}\n${key}\n`), key + "\n");
  assertEquals(certificatesFromPem(`${key}\n${cert}\n`), cert + "\n");
  assertEquals(privateKeyFromPem(cert), null);
});

Deno.test("the server process prints its URL, serves clients and stops cleanly on SIGTERM", async () => {
  const server = await startServer(["--debug"]);
  match(server.url, /^ws:\/\/127\.0\.0\.1:\d+\/$/);
  const alice = await TestClient.joined(server.url, "alice", "lobby");
  const bob = await TestClient.joined(server.url, "bob", "lobby");
  bob.send({ type: "call", to: "alice", offer: "o", from: "eve" });
  assertEquals(await alice.next((m) => m.type === "call"), {
    type: "call",
    to: "alice",
    offer: "o",
    from: "bob",
  });
  const { code, output } = await server.stop();
  assertEquals(code, 0);
  assertEquals((await alice.closed).code, 1001);
  await bob.closed;
  match(output, /"alice" joined room "lobby"/);
  match(output, /Signalling server stopped/);
});

Deno.test("the server process speaks TLS with the key taken from the certificate file", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const { certificate, key } = await selfSignedCertificate(dir);
    await Deno.writeTextFile(`${dir}/both.pem`, certificate + key);
    const server = await startServer([`--certificate=${dir}/both.pem`]);
    try {
      match(server.url, /^wss:\/\/127\.0\.0\.1:\d+\/$/);
      const client = await TestClient.connect(server.url, false);
      client.send({ type: "join", id: "alice", room: "secure" });
      assertEquals(await client.next(), {
        type: "members",
        members: ["alice"],
      });
      await client.close();
    } finally {
      assertEquals((await server.stop()).code, 0);
    }
    const missingKey = await run([`--certificate=${dir}/cert.pem`, "--port=0"]);
    assertEquals(missingKey.code, 1);
    match(missingKey.output, /no PRIVATE KEY block; give the key with --key=/);
    const keyIsCertificate = await run([
      `--certificate=${dir}/cert.pem`,
      `--key=${dir}/cert.pem`,
    ]);
    assertEquals(keyIsCertificate.code, 1);
    match(
      keyIsCertificate.output,
      /--key: ".*cert.pem" holds no PEM PRIVATE KEY block/,
    );
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("bad command lines and unreadable files end the server with a message", async () => {
  const bad = await run(["--port=eighty"]);
  assertEquals(bad.code, 2);
  match(bad.output, /--port: expected an integer/);
  match(bad.output, /Usage: flitter_webrtc/);
  const missing = await run(["--certificate=/nonexistent/cert.pem"]);
  assertEquals(missing.code, 1);
  match(missing.output, /--certificate: cannot read "\/nonexistent\/cert.pem"/);
  const help = await run(["--help"]);
  assertEquals(help.code, 0);
  match(help.output, /--certificate=FILE/);
});

Deno.test({
  name: "--user= drops root privileges after binding",
  ignore: Deno.uid() !== 0 ||
    !Deno.readTextFileSync("/etc/passwd").includes("\nnobody:"),
  fn: async () => {
    const server = await startServer(["--user=nobody"]);
    try {
      const status = await Deno.readTextFile(
        `/proc/${server.child.pid}/status`,
      );
      const uid = status.match(/^Uid:\s+(\d+)\s+(\d+)\s+(\d+)/m)!;
      const nobody =
        Deno.readTextFileSync("/etc/passwd").split("\n").find((l) =>
          l.startsWith("nobody:")
        )!.split(":")[2];
      assertEquals([uid[1], uid[2], uid[3]], [nobody, nobody, nobody]);
      const groups = status.match(/^Groups:[ \t]*(.*)$/m)![1].trim();
      assertEquals(groups, "");
      const client = await TestClient.joined(server.url, "alice", "lobby");
      await client.close();
      assert(server.output().includes('Running as user "nobody"'));
    } finally {
      assertEquals((await server.stop()).code, 0);
    }
  },
});

/** The fields of the line of `name` in `/etc/passwd` or `/etc/group`, if any. */
function tableEntry(
  file: "/etc/passwd" | "/etc/group",
  name: string,
): string[] | undefined {
  return Deno.readTextFileSync(file).split("\n").map((line) => line.split(":"))
    .find((fields) => fields[0] === name);
}

/** A process's user and group IDs (real, effective, saved, filesystem) and supplementary groups. */
async function credentials(
  pid: number,
): Promise<{ uid: string[]; gid: string[]; groups: string }> {
  const status = await Deno.readTextFile(`/proc/${pid}/status`);
  const ids = (name: string) =>
    status.match(new RegExp(`^${name}:\\s+(.*)$`, "m"))![1].trim().split(
      /\s+/,
    );
  return {
    uid: ids("Uid"),
    gid: ids("Gid"),
    groups: status.match(/^Groups:[ \t]*(.*)$/m)![1].trim(),
  };
}

Deno.test({
  name:
    "--group= switches the server's group after binding, alone and over --user='s own group",
  ignore: Deno.uid() !== 0 || tableEntry("/etc/group", "users") === undefined ||
    tableEntry("/etc/passwd", "nobody") === undefined,
  fn: async () => {
    const users = tableEntry("/etc/group", "users")![2];
    const [, , nobody, nobodysGroup] = tableEntry("/etc/passwd", "nobody")!;
    assert(users !== nobodysGroup, "the test needs two different groups");
    const alone = await startServer(["--group=users"]);
    try {
      assertEquals(await credentials(alone.child.pid), {
        uid: ["0", "0", "0", "0"],
        gid: [users, users, users, users],
        groups: "",
      });
      const client = await TestClient.joined(alone.url, "alice", "lobby");
      await client.close();
      match(alone.output(), /Running as group "users"/);
    } finally {
      assertEquals((await alone.stop()).code, 0);
    }
    const both = await startServer(["--user=nobody", "--group=users"]);
    try {
      assertEquals(await credentials(both.child.pid), {
        uid: [nobody, nobody, nobody, nobody],
        gid: [users, users, users, users],
        groups: "",
      });
      const client = await TestClient.joined(both.url, "bob", "lobby");
      await client.close();
      match(both.output(), /Running as user "nobody" and group "users"/);
    } finally {
      assertEquals((await both.stop()).code, 0);
    }
  },
});

/**
 * Runs `server.ts` with no `--port=` in a network namespace of its own (so
 * the default port cannot collide with anything), checks the URL it
 * prints, and joins it from a client in that namespace.
 */
async function serverOnDefaultPort(
  args: string[],
  url: string,
  clientFlags: string[],
): Promise<void> {
  const server = await startServer(args, {
    port: "default",
    wrap: [
      "unshare",
      "--net",
      "sh",
      "-c",
      'ip link set lo up && exec "$@"',
      "sh",
    ],
  });
  try {
    assertEquals(server.url, url);
    const client = await new Deno.Command("nsenter", {
      args: [
        `--net=/proc/${server.child.pid}/ns/net`,
        Deno.execPath(),
        "eval",
        ...clientFlags,
        `const socket = new WebSocket(${JSON.stringify(url)});
socket.onopen = () => socket.send('{"type":"join","id":"probe","room":"r"}');
socket.onmessage = (event) => { console.log(event.data); Deno.exit(0); };
socket.onerror = (event) => { console.error(event.message); Deno.exit(1); };`,
      ],
      stdout: "piped",
      stderr: "piped",
    }).output();
    const decode = (bytes: Uint8Array) => new TextDecoder().decode(bytes);
    assert(client.success, decode(client.stderr));
    assertEquals(JSON.parse(decode(client.stdout)), {
      type: "members",
      members: ["probe"],
    });
  } finally {
    assertEquals((await server.stop()).code, 0);
  }
}

Deno.test({
  name:
    "without --port= the server listens on 8080, or on 8443 with a certificate",
  // A network namespace of its own needs root.
  ignore: Deno.uid() !== 0,
  fn: async () => {
    await serverOnDefaultPort([], "ws://127.0.0.1:8080/", []);
    const dir = await Deno.makeTempDir();
    try {
      await selfSignedCertificate(dir);
      await serverOnDefaultPort(
        [`--certificate=${dir}/cert.pem`, `--key=${dir}/key.pem`],
        "wss://127.0.0.1:8443/",
        // (a CA-style self-signed certificate: rustls will not take it as a server's own)
        ["--unsafely-ignore-certificate-errors=127.0.0.1"],
      );
    } finally {
      await Deno.remove(dir, { recursive: true });
    }
  },
});

/** Opcodes of the WebSocket frames the server sends on `conn` (unmasked, as servers send), until it closes. */
async function serverFrames(conn: Deno.Conn, frames: number[]): Promise<void> {
  let buffer = new Uint8Array(0);
  const chunk = new Uint8Array(4096);
  while (true) {
    // One complete frame at the start of the buffer: take it.
    if (buffer.length >= 2) {
      let length = buffer[1] & 0x7f;
      let at = 2;
      if (length === 126 && buffer.length >= 4) {
        length = (buffer[2] << 8) | buffer[3];
        at = 4;
      } else if (length === 127 && buffer.length >= 10) {
        length = Number(new DataView(buffer.buffer).getBigUint64(2));
        at = 10;
      }
      if (length < 126 && buffer.length >= at + length) {
        const opcode = buffer[0] & 0x0f;
        frames.push(opcode);
        if (opcode === 0x8) return; // close
        buffer = buffer.slice(at + length);
        continue;
      }
    }
    const read = await conn.read(chunk).catch(() => null);
    if (read === null) return;
    const joined = new Uint8Array(buffer.length + read);
    joined.set(buffer);
    joined.set(chunk.subarray(0, read), buffer.length);
    buffer = joined;
  }
}

Deno.test("--idle-timeout= reaches the server: a client that answers no ping is pinged and dropped", async () => {
  // 1 s here; the default (30 s) would outlast the members wait below (15 s).
  const server = await startServer(["--idle-timeout=1"]);
  try {
    const watcher = await TestClient.joined(server.url, "watcher", "lobby");
    // A raw TCP client: handshake, join, then silence (it never answers a ping).
    const conn = await Deno.connect({
      hostname: "127.0.0.1",
      port: Number(new URL(server.url).port),
    });
    await conn.write(new TextEncoder().encode(
      "GET / HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n" +
        "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n",
    ));
    let response = "";
    const bytes = new Uint8Array(1);
    while (!response.endsWith("\r\n\r\n")) {
      assert(await conn.read(bytes) === 1, `handshake: ${response}`);
      response += String.fromCharCode(bytes[0]);
    }
    assert(response.startsWith("HTTP/1.1 101"), response);
    await conn.write(
      maskedTextFrame('{"type":"join","id":"ghost","room":"lobby"}'),
    );
    const frames: number[] = [];
    const reading = serverFrames(conn, frames);
    try {
      await watcher.members((m) => m.includes("ghost"));
      assertEquals(await watcher.members((m) => !m.includes("ghost")), [
        "watcher",
      ]);
      await reading; // everything the server sent, up to its close
    } finally {
      conn.close();
      await reading;
    }
    // The ghost was pinged before it was dropped.
    assert(frames.includes(0x9), `frames from the server: ${frames}`);
    // The watcher answers pings: it is still there.
    assert(!watcher.isClosed);
    await watcher.close();
  } finally {
    assertEquals((await server.stop()).code, 0);
  }
});

/** A masked text frame (clients must mask), at most 125 bytes. */
function maskedTextFrame(text: string): Uint8Array {
  const payload = new TextEncoder().encode(text);
  assert(payload.length <= 125, "keep test frames short");
  const mask = crypto.getRandomValues(new Uint8Array(4));
  const frame = new Uint8Array(6 + payload.length);
  frame.set([0x81, 0x80 | payload.length, ...mask]);
  payload.forEach((byte, i) => frame[6 + i] = byte ^ mask[i % 4]);
  return frame;
}

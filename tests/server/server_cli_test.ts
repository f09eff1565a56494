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

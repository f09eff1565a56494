import { deepStrictEqual as assertEquals, rejects } from "node:assert/strict";
import { deflateSync } from "node:zlib";
import {
  BroadcastCipher,
  compressMessage,
  deriveKey,
  InvalidMessageError,
  keySalt,
  MAX_DATAGRAM_BYTES,
} from "../../lib/signalling/broadcast_cipher.ts";
import {
  decodeBase64Url,
  encodeBase64Url,
  Fernet,
} from "../../lib/signalling/fernet.ts";
import { pythonJsonDumps } from "../../lib/signalling/_python_json.ts";

/** Vectors made by the original Python plugin's own Cipher (tests/fixtures/). */
const VECTORS = new URL("../fixtures/cipher_vectors.json", import.meta.url);

interface CipherVector {
  name: string;
  secret: string;
  id: string;
  salt_hex: string;
  iterations: number;
  derived_key_hex: string;
  fernet_key: string;
  message: Record<string, unknown>;
  plaintext_json: string;
  zlib9_b64: string;
  fernet_time: number;
  fernet_iv_hex: string;
  token_raw_b64: string;
  token_urlsafe_b64: string;
  token_raw_len: number;
}

const vectors: CipherVector[] =
  JSON.parse(await Deno.readTextFile(VECTORS)).vectors;
const hex = (bytes: Uint8Array) =>
  [...bytes].map((b) => b.toString(16).padStart(2, "0")).join("");
const fromHex = (text: string) =>
  Uint8Array.from(text.match(/../g)!, (b) => parseInt(b, 16));
const fromBase64 = (text: string) =>
  Uint8Array.from(atob(text), (c) => c.charCodeAt(0));

Deno.test("cipher vectors are present", () => {
  assertEquals(vectors.length >= 6, true);
});

Deno.test("broadcast cipher derives the original's salt and key for every vector", async () => {
  for (const vector of vectors) {
    assertEquals(hex(await keySalt(vector.id)), vector.salt_hex, vector.name);
    const key = await deriveKey(vector.secret, vector.id, vector.iterations);
    assertEquals(hex(key), vector.derived_key_hex, vector.name);
    assertEquals(encodeBase64Url(key), vector.fernet_key, vector.name);
  }
});

Deno.test("broadcast cipher writes the original's JSON and zlib bytes and token for every vector", async () => {
  for (const vector of vectors) {
    assertEquals(
      pythonJsonDumps(vector.message),
      vector.plaintext_json,
      vector.name,
    );
    const compressed = compressMessage(vector.plaintext_json);
    assertEquals(
      encodeBase64Url(compressed),
      encodeBase64Url(fromBase64(vector.zlib9_b64)),
    );
    const cipher = await BroadcastCipher.forId(vector.secret, vector.id);
    const options = {
      time: vector.fernet_time,
      iv: fromHex(vector.fernet_iv_hex),
    };
    const sealed = await cipher.seal(fromBase64(vector.zlib9_b64), options);
    assertEquals(sealed.length, vector.token_raw_len, vector.name);
    assertEquals(
      encodeBase64Url(sealed),
      vector.token_urlsafe_b64,
      vector.name,
    );
    const encoded = await cipher.encode(vector.message, options);
    assertEquals(
      encodeBase64Url(encoded),
      vector.token_urlsafe_b64,
      vector.name,
    );
  }
});

Deno.test("broadcast cipher decodes the original's tokens to their messages near their time", async () => {
  for (const vector of vectors) {
    const cipher = await BroadcastCipher.forId(vector.secret, vector.id);
    const datagram = fromBase64(vector.token_raw_b64);
    assertEquals(
      await cipher.decode(datagram, vector.fernet_time + 3),
      vector.message,
    );
    await rejects(cipher.decode(datagram, vector.fernet_time + 11), /expired/);
    await rejects(cipher.decode(datagram, vector.fernet_time - 61), /future/);
    assertEquals(decodeBase64Url(vector.token_urlsafe_b64), datagram);
  }
});

Deno.test("broadcast cipher round-trips a message with unicode and a realistic SDP", async () => {
  const cipher = await BroadcastCipher.forId("pässwörd ✓", "ünïcöde-摄像机");
  const sdp = vectors[0].message.offer as string;
  for (
    const message of [{ offer: sdp }, { answer: "v=0\r\ns=café ☕ 😀\r\n" }, {}]
  ) {
    const datagram = await cipher.encode(message);
    assertEquals(datagram.length <= MAX_DATAGRAM_BYTES, true);
    assertEquals(datagram[0], 0x80);
    assertEquals(await cipher.decode(datagram), message);
  }
});

Deno.test("broadcast cipher caches one key derivation per secret and ID", async () => {
  const first = BroadcastCipher.forId("cache-secret", "cache-id");
  const second = BroadcastCipher.forId("cache-secret", "cache-id");
  assertEquals(first === second, true);
  const other = await BroadcastCipher.forId("cache-secret", "cache-id-2");
  assertEquals(other === await first, false);
});

Deno.test("broadcast cipher rejects another key's message as wrong-key", async () => {
  const mine = await BroadcastCipher.forId("flitter_webrtc", "cam1");
  const theirs = await BroadcastCipher.forId("flitter_webrtc", "cam2");
  const datagram = await theirs.encode({ offer: "v=0" });
  const error = await mine.decode(datagram).catch((e) => e);
  assertEquals(error instanceof InvalidMessageError, true);
  assertEquals(error.wrongKey, true);
});

Deno.test("broadcast cipher rejects oversized, garbage, non-zlib, non-JSON and bomb payloads", async () => {
  const cipher = await BroadcastCipher.forId("flitter_webrtc", "cam1");
  const fernet = cipher.fernet;
  const big = await fernet.encrypt(new Uint8Array(MAX_DATAGRAM_BYTES));
  await rejects(cipher.decode(big), /exceeds 1500/);
  await rejects(
    cipher.decode(new TextEncoder().encode("hello world")),
    InvalidMessageError,
  );
  await rejects(
    cipher.decode(await fernet.encrypt(new Uint8Array([1, 2, 3]))),
    /not zlib/,
  );
  const notJson = new Uint8Array(
    deflateSync(new TextEncoder().encode("{offer")),
  );
  await rejects(cipher.decode(await fernet.encrypt(notJson)), /not JSON/);
  const list = new Uint8Array(deflateSync(new TextEncoder().encode("[1, 2]")));
  await rejects(cipher.decode(await fernet.encrypt(list)), /not a JSON object/);
  const bomb = new Uint8Array(
    deflateSync(new Uint8Array(1_000_000), { level: 9 }),
  );
  assertEquals(bomb.length < 1400, true);
  await rejects(
    cipher.decode(await fernet.encrypt(bomb)),
    /at most 65536 bytes/,
  );
  const latin1 = new Uint8Array(
    deflateSync(new Uint8Array([0x7b, 0xe9, 0x7d])),
  );
  await rejects(cipher.decode(await fernet.encrypt(latin1)), /UTF-8/);
});

Deno.test("python-style JSON escapes non-ASCII and DEL like json.dumps", () => {
  assertEquals(
    pythonJsonDumps({ a: "é\x7f😀\n", b: [1, 2.5, null, true] }),
    '{"a": "\\u00e9\\u007f\\ud83d\\ude00\\n", "b": [1, 2.5, null, true]}',
  );
  assertEquals(JSON.parse(pythonJsonDumps({ a: "é\x7f😀\n" })), {
    a: "é\x7f😀\n",
  });
});

Deno.test("fernet key text from a vector decrypts that vector's token", async () => {
  const vector = vectors[2];
  const fernet = await Fernet.fromKey(vector.fernet_key);
  const data = await fernet.decrypt(vector.token_urlsafe_b64, {
    now: vector.fernet_time,
  });
  assertEquals(
    encodeBase64Url(data),
    encodeBase64Url(fromBase64(vector.zlib9_b64)),
  );
});

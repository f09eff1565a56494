import { deepStrictEqual as assertEquals, rejects } from "node:assert/strict";
import {
  decodeBase64Url,
  encodeBase64Url,
  Fernet,
  InvalidTokenError,
} from "../../lib/signalling/fernet.ts";

/** The official spec vectors (github.com/fernet/spec), in tests/fixtures/. */
const SPEC = new URL("../fixtures/fernet-spec/", import.meta.url);

interface SpecVector {
  desc?: string;
  token: string;
  now: string;
  iv?: number[];
  src?: string;
  ttl_sec?: number;
  secret: string;
}

async function vectors(name: string): Promise<SpecVector[]> {
  const url = new URL(`${name}.json`, SPEC);
  return JSON.parse(await Deno.readTextFile(url));
}

const seconds = (iso: string) => Date.parse(iso) / 1000;
const text = (bytes: Uint8Array) => new TextDecoder().decode(bytes);

Deno.test("fernet encrypts the spec's generate vectors to the exact tokens", async () => {
  const list = await vectors("generate");
  assertEquals(list.length > 0, true);
  for (const vector of list) {
    const fernet = await Fernet.fromKey(vector.secret);
    const token = await fernet.encrypt(new TextEncoder().encode(vector.src!), {
      time: seconds(vector.now),
      iv: new Uint8Array(vector.iv!),
    });
    assertEquals(encodeBase64Url(token), vector.token);
  }
});

Deno.test("fernet decrypts the spec's verify vectors from text and from raw bytes", async () => {
  const list = await vectors("verify");
  assertEquals(list.length > 0, true);
  for (const vector of list) {
    const fernet = await Fernet.fromKey(decodeBase64Url(vector.secret));
    const options = { ttl: vector.ttl_sec, now: seconds(vector.now) };
    assertEquals(text(await fernet.decrypt(vector.token, options)), vector.src);
    const raw = decodeBase64Url(vector.token);
    assertEquals(text(await fernet.decrypt(raw, options)), vector.src);
  }
});

Deno.test("fernet rejects every one of the spec's invalid tokens", async () => {
  const list = await vectors("invalid");
  assertEquals(list.length >= 8, true);
  for (const vector of list) {
    const fernet = await Fernet.fromKey(vector.secret);
    await rejects(
      fernet.decrypt(vector.token, {
        ttl: vector.ttl_sec,
        now: seconds(vector.now),
      }),
      InvalidTokenError,
      `expected rejection: ${vector.desc}`,
    );
  }
});

Deno.test("fernet rejects a token made with another key", async () => {
  const mine = await Fernet.fromKey(Fernet.generateKey());
  const theirs = await Fernet.fromKey(Fernet.generateKey());
  const token = await theirs.encrypt(new Uint8Array([1, 2, 3]));
  await rejects(mine.decrypt(token, { ttl: 10 }), /HMAC mismatch/);
  assertEquals([...await theirs.decrypt(token, { ttl: 10 })], [1, 2, 3]);
});

Deno.test("fernet accepts a token at exactly its ttl and rejects it a second later", async () => {
  const fernet = await Fernet.fromKey(Fernet.generateKey());
  const token = await fernet.encrypt(new Uint8Array([7]), { time: 1000 });
  assertEquals([...await fernet.decrypt(token, { ttl: 10, now: 1010 })], [7]);
  assertEquals([...await fernet.decrypt(token, { ttl: 10, now: 1010.9 })], [7]);
  await rejects(fernet.decrypt(token, { ttl: 10, now: 1011 }), /expired/);
  assertEquals([...await fernet.decrypt(token, { now: 99999 })], [7]);
  await rejects(fernet.decrypt(token, { ttl: 10, now: 939 }), /future/);
  assertEquals([...await fernet.decrypt(token, { ttl: 10, now: 940 })], [7]);
});

Deno.test("fernet rejects an altered token and an empty one", async () => {
  const fernet = await Fernet.fromKey(Fernet.generateKey());
  const token = await fernet.encrypt(
    new TextEncoder().encode("some secret text"),
  );
  for (const index of [1, 9, 30, token.length - 1]) {
    const altered = token.slice();
    altered[index] ^= 1;
    await rejects(fernet.decrypt(altered, { ttl: 60 }), InvalidTokenError);
  }
  await rejects(fernet.decrypt(new Uint8Array(0)), InvalidTokenError);
  await rejects(fernet.decrypt(""), InvalidTokenError);
});

Deno.test("fernet key must be 32 bytes", async () => {
  await rejects(Fernet.fromKey(new Uint8Array(16)), RangeError);
});

Deno.test("base64url helpers round-trip every byte value with and without padding", () => {
  const bytes = Uint8Array.from({ length: 256 }, (_, i) => i);
  for (const length of [0, 1, 2, 3, 4, 255, 256]) {
    const part = bytes.subarray(0, length);
    const encoded = encodeBase64Url(part);
    assertEquals(/^[A-Za-z0-9_=-]*$/.test(encoded), true);
    assertEquals(decodeBase64Url(encoded), part);
    assertEquals(decodeBase64Url(encoded.replace(/=+$/, "")), part);
  }
});

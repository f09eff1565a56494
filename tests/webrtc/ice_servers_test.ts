import assert from "node:assert/strict";
import {
  hasTurnServer,
  IceServerError,
  parseIceServer,
  parseIceServers,
} from "../../lib/webrtc/ice_servers.ts";

Deno.test("STUN URLs parse with and without a port, IPv6 hosts included", () => {
  assert.deepEqual(
    parseIceServers([
      "stun:stun.example.net",
      "stun:stun.example.net:19302",
      "stun:[2001:db8::1]:3478",
      " stun:192.0.2.7 ",
    ]),
    [
      { urls: "stun:stun.example.net" },
      { urls: "stun:stun.example.net:19302" },
      { urls: "stun:[2001:db8::1]:3478" },
      { urls: "stun:192.0.2.7" },
    ],
  );
});

Deno.test("TURN URLs carry the user name and password, percent-decoded, out of the URL", () => {
  assert.deepEqual(
    parseIceServer("turn:rig:s3cret@turn.example.net:3478?transport=tcp"),
    {
      urls: "turn:turn.example.net:3478?transport=tcp",
      username: "rig",
      credential: "s3cret",
    },
  );
  assert.deepEqual(parseIceServer("turns:a%40b:p%3Aw%40d@turn.example.net"), {
    urls: "turns:turn.example.net",
    username: "a@b",
    credential: "p:w@d",
  });
  assert.ok(hasTurnServer(parseIceServers(["stun:s", "turn:u:p@t"])));
  assert.ok(!hasTurnServer(parseIceServers(["stun:s"])));
});

Deno.test("bad ICE server URLs are refused with the URL and the problem", () => {
  const cases: [string, RegExp][] = [
    ["http://stun.example.net", /expected stun:HOST/],
    ["stun:", /expected stun:HOST/],
    ["stun:host:99999", /port 99999 is out of range/],
    ["stun:user:pw@host", /STUN server takes no user name/],
    ["stun:host?transport=udp", /STUN server takes no user name/],
    ["turn:turn.example.net", /needs a user name and password/],
    ["turn:justuser@turn.example.net", /needs a user name and password/],
    ["turn:u:%zz@host", /percent-encoding/],
    ["turn:u:p@host?transport=sctp", /expected stun:HOST/],
  ];
  for (const [url, problem] of cases) {
    assert.throws(
      () => parseIceServer(url),
      (error: unknown) =>
        error instanceof IceServerError && error.url === url &&
        error.message.startsWith(`ICE server "${url}": `) &&
        problem.test(error.message),
      url,
    );
  }
});

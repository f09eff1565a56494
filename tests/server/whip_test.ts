// WHIP and WHEP on the signalling server, with WebSocket test clients
// standing in for rigs (they answer with sample SDP): what the HTTP client
// gets, what the rig sees, and that refusals touch no one else.
import {
  deepStrictEqual as assertEquals,
  match as assertMatch,
  ok as assert,
} from "node:assert/strict";
import { setLogLevel } from "../../lib/log/logger.ts";
import {
  type SignallingServer,
  type SignallingServerOptions,
  startSignallingServer,
} from "../../lib/server/signalling_server.ts";
import { TestClient } from "./_ws_client.ts";
import { RawClient } from "./_raw_client.ts";
import { sampleAnswer, sampleOffer } from "./_sdp_samples.ts";

setLogLevel("error");

async function withServer(
  body: (server: SignallingServer, base: string) => Promise<void>,
  options: SignallingServerOptions = {},
): Promise<void> {
  const server = await startSignallingServer({
    host: "127.0.0.1",
    port: 0,
    ...options,
  });
  try {
    await body(server, `http://127.0.0.1:${server.port}`);
  } finally {
    await server.close();
  }
}

/** POSTs `offer` as `application/sdp` (or `type`) to `url`. */
function post(
  url: string,
  offer: string,
  headers: Record<string, string> = {},
): Promise<Response> {
  return fetch(url, {
    method: "POST",
    headers: { "content-type": "application/sdp", ...headers },
    body: offer,
  });
}

/** Status and body text of `response` (the body is always read). */
async function outcome(response: Response): Promise<[number, string]> {
  return [response.status, await response.text()];
}

/** A rig stand-in: answers the next call it gets with `answer` and returns that call. */
async function answerNextCall(
  rig: TestClient,
  answer = sampleAnswer(),
): Promise<Record<string, unknown>> {
  const call = await rig.next((m) => m.type === "call");
  rig.send({ type: "answer", to: call.from, answer });
  return call;
}

Deno.test("WHIP: the offer reaches the rig as a call from whip:ID, its answer comes back as 201 with a Location that DELETE ends", async () => {
  await withServer(async (server, base) => {
    const rig = await TestClient.joined(server.url, "stage", "studio");
    const offer = sampleOffer("sendonly");
    const [response, call] = await Promise.all([
      post(`${base}/whip/studio/stage`, offer),
      answerNextCall(rig),
    ]);
    assertEquals(call, {
      type: "call",
      to: "stage",
      offer,
      from: "whip:stage",
    });
    assertEquals(response.status, 201);
    assertEquals(response.headers.get("content-type"), "application/sdp");
    assertEquals(response.headers.get("access-control-allow-origin"), "*");
    assertMatch(
      response.headers.get("access-control-expose-headers") ?? "",
      /Location/,
    );
    const location = response.headers.get("location") ?? "";
    assertMatch(location, /^\/whip\/studio\/stage\/[0-9a-f-]{36}$/);
    assertEquals(await response.text(), sampleAnswer());
    // Like a calling endpoint, the server says "finished", and "stay": its
    // member stays joined for the call.
    assertEquals(
      (await rig.next((m) => m.type === "finished")).from,
      "whip:stage",
    );
    assertEquals(await rig.next(), {
      type: "stay",
      to: "stage",
      from: "whip:stage",
    });
    await rig.latestMembers((m) => m.includes("whip:stage"));
    // PATCH (trickle ICE, ICE restart) is refused as RFC 9725 asks.
    const patch = await fetch(`${base}${location}`, {
      method: "PATCH",
      headers: { "content-type": "application/trickle-ice-sdpfrag" },
      body: "a=end-of-candidates\r\n",
    });
    assertEquals(patch.status, 405);
    assertMatch(patch.headers.get("allow") ?? "", /DELETE/);
    await patch.body?.cancel();
    // DELETE: the rig is told "hangup", and the session's member leaves.
    assertEquals(
      await outcome(await fetch(`${base}${location}`, { method: "DELETE" })),
      [200, ""],
    );
    assertEquals(
      (await rig.next((m) => m.type === "hangup")).from,
      "whip:stage",
    );
    assertEquals(
      await rig.latestMembers((m) => !m.includes("whip:stage")),
      ["stage"],
    );
    const again = await fetch(`${base}${location}`, { method: "DELETE" });
    assertEquals(again.status, 404);
    await again.body?.cancel();
    await rig.close();
  });
});

Deno.test("WHEP: a recvonly offer reaches the rig from whep:ID; room and ID are percent-encoded path segments", async () => {
  await withServer(async (server, base) => {
    const rig = await TestClient.joined(server.url, "stage 1/a", "my room");
    const offer = sampleOffer("recvonly");
    const [response, call] = await Promise.all([
      post(`${base}/whep/my%20room/stage%201%2Fa`, offer),
      answerNextCall(rig, sampleAnswer("sendonly")),
    ]);
    assertEquals([call.from, call.offer], ["whep:stage 1/a", offer]);
    assertEquals(response.status, 201);
    assertMatch(
      response.headers.get("location") ?? "",
      /^\/whep\/my%20room\/stage%201%2Fa\/[0-9a-f-]{36}$/,
    );
    assertEquals(await response.text(), sampleAnswer("sendonly"));
    // A WHEP session URL is not a WHIP one.
    const location = response.headers.get("location")!;
    const wrongKind = await fetch(
      `${base}${location.replace("/whep/", "/whip/")}`,
      { method: "DELETE" },
    );
    assertEquals(wrongKind.status, 404);
    await wrongKind.body?.cancel();
    const deleted = await fetch(`${base}${location}`, { method: "DELETE" });
    assertEquals(deleted.status, 200);
    await deleted.body?.cancel();
    await rig.close();
  });
});

Deno.test("CORS: OPTIONS answers the preflight of the endpoint and the session without a token", async () => {
  await withServer(async (_server, base) => {
    const preflight = await fetch(`${base}/whip/studio/stage`, {
      method: "OPTIONS",
      headers: {
        origin: "https://example.org",
        "access-control-request-method": "POST",
        "access-control-request-headers": "authorization, content-type",
      },
    });
    assertEquals(preflight.status, 204);
    const h = preflight.headers;
    assertEquals(h.get("access-control-allow-origin"), "*");
    assertMatch(h.get("access-control-allow-methods") ?? "", /POST/);
    assertMatch(h.get("access-control-allow-headers") ?? "", /Authorization/);
    assertMatch(h.get("access-control-allow-headers") ?? "", /Content-Type/);
    assertEquals(h.get("accept-post"), "application/sdp");
    await preflight.body?.cancel();
    const session = await fetch(`${base}/whip/studio/stage/some-session`, {
      method: "OPTIONS",
    });
    assertEquals(session.status, 204);
    assertMatch(
      session.headers.get("access-control-allow-methods") ?? "",
      /DELETE/,
    );
    await session.body?.cancel();
  }, { token: "s3cret" });
});

Deno.test("a token: POST and DELETE need Authorization: Bearer, refused with 401 and WWW-Authenticate", async () => {
  await withServer(async (server, base) => {
    const rig = await TestClient.joined(server.url, "stage", "studio");
    const url = `${base}/whip/studio/stage`;
    const none = await post(url, sampleOffer());
    assertEquals(none.status, 401);
    assertMatch(none.headers.get("www-authenticate") ?? "", /^Bearer /);
    await none.body?.cancel();
    const wrong = await post(url, sampleOffer(), {
      authorization: "Bearer guess",
    });
    assertEquals(wrong.status, 401);
    assertMatch(
      wrong.headers.get("www-authenticate") ?? "",
      /error="invalid_token"/,
    );
    await wrong.body?.cancel();
    const auth = { authorization: "Bearer s3cret" };
    const [response] = await Promise.all([
      post(url, sampleOffer(), auth),
      answerNextCall(rig),
    ]);
    assertEquals(response.status, 201);
    await response.body?.cancel();
    // The refused offers never reached the rig.
    assertEquals(rig.received.filter((m) => m.type === "call").length, 1);
    const location = `${base}${response.headers.get("location")}`;
    const anonymous = await fetch(location, { method: "DELETE" });
    assertEquals(anonymous.status, 401);
    await anonymous.body?.cancel();
    assert(server.rooms.members("studio").includes("whip:stage"));
    const deleted = await fetch(location, { method: "DELETE", headers: auth });
    assertEquals(deleted.status, 200);
    await deleted.body?.cancel();
    await rig.latestMembers((m) => !m.includes("whip:stage"));
    await rig.close();
  }, { token: "s3cret" });
});

Deno.test("bad requests get clear 4xx answers and never reach the rig", async () => {
  await withServer(async (server, base) => {
    const rig = await TestClient.joined(server.url, "stage", "studio");
    const url = `${base}/whip/studio/stage`;
    const [status, text] = await outcome(await post(url, "hello"));
    assertEquals(status, 400);
    assertMatch(text, /not SDP/);
    assertEquals(
      (await outcome(await post(url, sampleOffer("recvonly"))))[0],
      400,
    );
    const json = await post(url, sampleOffer(), {
      "content-type": "application/json",
    });
    assertEquals(json.status, 415);
    assertEquals(json.headers.get("accept-post"), "application/sdp");
    await json.body?.cancel();
    const big = sampleOffer() + "a=x-padding:" + "x".repeat(70_000) + "\r\n";
    assertEquals((await outcome(await post(url, big)))[0], 413);
    const [noRoom, noRoomText] = await outcome(
      await post(`${base}/whip/elsewhere/stage`, sampleOffer()),
    );
    assertEquals([noRoom, noRoomText], [404, 'No room "elsewhere"\n']);
    const [noId, noIdText] = await outcome(
      await post(`${base}/whip/studio/nobody`, sampleOffer()),
    );
    assertEquals([noId, noIdText], [
      404,
      'No endpoint "nobody" in room "studio"\n',
    ]);
    assertEquals((await outcome(await fetch(url)))[0], 405);
    assertEquals((await outcome(await fetch(`${base}/whip/studio`)))[0], 404);
    assertEquals(
      (await outcome(await fetch(`${base}/whip/%E0%A4%A/x`)))[0],
      400,
    );
    // None of it reached the rig: the first call it sees is a good one.
    const [response, call] = await Promise.all([
      post(url, sampleOffer()),
      answerNextCall(rig),
    ]);
    assertEquals(call.offer, sampleOffer());
    assertEquals(response.status, 201);
    await response.body?.cancel();
    await rig.close();
  });
});

Deno.test("a rig that does not answer in time: 504, the session's member leaves, the room goes on", async () => {
  await withServer(async (server, base) => {
    const rig = await TestClient.joined(server.url, "stage", "studio");
    const other = await TestClient.joined(server.url, "other", "studio");
    const response = post(`${base}/whip/studio/stage`, sampleOffer());
    await rig.next((m) => m.type === "call");
    const [status, text] = await outcome(await response);
    assertEquals(status, 504);
    assertEquals(text, '"stage" did not answer within 0.3 s\n');
    // What the rig may have started is called off.
    assertEquals(
      (await rig.next((m) => m.type === "hangup")).from,
      "whip:stage",
    );
    await rig.latestMembers((m) => !m.includes("whip:stage"));
    // A late answer goes nowhere; the other members still talk.
    rig.send({ type: "answer", to: "whip:stage", answer: sampleAnswer() });
    other.send({ type: "hello", to: "stage" });
    assertEquals((await rig.next((m) => m.type === "hello")).from, "other");
    assertEquals(server.rooms.members("studio"), ["stage", "other"]);
    await rig.close();
    await other.close();
  }, { whipTimeout: 0.3 });
});

Deno.test("a rig that leaves before answering gives 503; an answer without video gives 422", async () => {
  await withServer(async (server, base) => {
    const rig = await TestClient.joined(server.url, "stage", "studio");
    const first = post(`${base}/whip/studio/stage`, sampleOffer());
    await rig.next((m) => m.type === "call");
    await rig.close();
    const [status, text] = await outcome(await first);
    assertEquals(status, 503);
    assertMatch(text, /left room "studio" before answering/);
    const rig2 = await TestClient.joined(server.url, "stage", "studio");
    const [refused] = await Promise.all([
      post(`${base}/whip/studio/stage`, sampleOffer()),
      answerNextCall(rig2, sampleAnswer("recvonly", 0)),
    ]);
    assertEquals(refused.status, 422);
    await refused.body?.cancel();
    await rig2.latestMembers((m) => !m.includes("whip:stage"));
    await rig2.close();
  });
});

Deno.test("a new WHIP session to the same endpoint replaces the old one, which the rig sees leave first", async () => {
  await withServer(async (server, base) => {
    const rig = await TestClient.joined(server.url, "stage", "studio");
    const url = `${base}/whip/studio/stage`;
    const [one] = await Promise.all([
      post(url, sampleOffer()),
      answerNextCall(rig),
    ]);
    await one.body?.cancel();
    await rig.latestMembers((m) => m.includes("whip:stage"));
    const [two] = await Promise.all([
      post(url, sampleOffer()),
      answerNextCall(rig),
    ]);
    await two.body?.cancel();
    assertEquals(two.status, 201);
    assert(one.headers.get("location") !== two.headers.get("location"));
    // The old member left before the new one joined under the same name.
    const lists = rig.received.filter((m) => m.type === "members")
      .map((m) => m.members.includes("whip:stage"));
    assertEquals(lists.slice(lists.indexOf(true)).includes(false), true);
    const stale = await fetch(`${base}${one.headers.get("location")}`, {
      method: "DELETE",
    });
    assertEquals(stale.status, 404);
    await stale.body?.cancel();
    assertEquals(server.rooms.members("studio"), ["stage", "whip:stage"]);
    await rig.close();
  });
});

Deno.test("a WebSocket client holding whip:ID gets 409; closing the server answers a waiting POST with 503", async () => {
  const server = await startSignallingServer({ host: "127.0.0.1", port: 0 });
  const base = `http://127.0.0.1:${server.port}`;
  const rig = await TestClient.joined(server.url, "stage", "studio");
  const squatter = await TestClient.joined(server.url, "whip:stage", "studio");
  const [status] = await outcome(
    await post(`${base}/whip/studio/stage`, sampleOffer()),
  );
  assertEquals(status, 409);
  assertEquals(squatter.isClosed, false);
  const waiting = post(`${base}/whep/studio/stage`, sampleOffer("recvonly"));
  await rig.next((m) => m.type === "call");
  await server.close();
  assertEquals((await outcome(await waiting))[0], 503);
  await rig.closed;
  // Closing the server hangs up nothing: calls may go on without it.
  assertEquals(rig.received.filter((m) => m.type === "hangup"), []);
  await squatter.closed;
});

Deno.test("raw HTTP: the token is checked before an oversized body (401), a chunked body gets 411, and a body that stops coming is cut off at the header timeout", async () => {
  await withServer(async (server) => {
    const rig = await TestClient.joined(server.url, "stage", "studio");
    const head = (extra: string) =>
      `POST /whip/studio/stage HTTP/1.1\r\nHost: x\r\n` +
      `Content-Type: application/sdp\r\n${extra}\r\n`;
    const big = await RawClient.connect(server.port);
    await big.write(head("Content-Length: 70000\r\n"));
    assertMatch(await big.readToEnd(), /^HTTP\/1\.1 401 /);
    const authorized = await RawClient.connect(server.port);
    await authorized.write(
      head("Content-Length: 70000\r\nAuthorization: Bearer s3cret\r\n"),
    );
    assertMatch(await authorized.readToEnd(), /^HTTP\/1\.1 413 /);
    const chunked = await RawClient.connect(server.port);
    await chunked.write(head("Transfer-Encoding: chunked\r\n"));
    assertMatch(await chunked.readToEnd(), /^HTTP\/1\.1 411 /);
    const slow = await RawClient.connect(server.port);
    const started = performance.now();
    await slow.write(head("Content-Length: 100\r\n") + "v=0\r\n");
    assertEquals(await slow.readToEnd(), "");
    const waited = performance.now() - started;
    assert(waited >= 250 && waited < 5000, `cut off after ${waited} ms`);
    // None of it reached the rig, and the server goes on answering.
    const [response, call] = await Promise.all([
      post(`http://127.0.0.1:${server.port}/whip/studio/stage`, sampleOffer(), {
        authorization: "Bearer s3cret",
      }),
      answerNextCall(rig),
    ]);
    assertEquals(call.offer, sampleOffer());
    assertEquals(response.status, 201);
    await response.body?.cancel();
    await rig.close();
  }, { token: "s3cret", headerTimeout: 0.3 });
});

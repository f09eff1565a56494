import assert from "node:assert/strict";
import {
  offererSteers,
  STEERING_MARK,
  withSteeringMark,
} from "../../lib/webrtc/steering_mark.ts";

/** A two-section offer (audio, then video with `direction`), lines ended by `eol`. */
function offer(direction: string, eol = "\r\n"): string {
  return [
    "v=0",
    "o=- 4611731400430051336 2 IN IP4 127.0.0.1",
    "s=-",
    "t=0 0",
    "a=group:BUNDLE 0 1",
    "m=audio 9 UDP/TLS/RTP/SAVPF 111",
    "a=mid:0",
    "a=sendrecv",
    "m=video 9 UDP/TLS/RTP/SAVPF 96",
    "a=mid:1",
    `a=${direction}`,
    "a=rtpmap:96 VP8/90000",
    "",
  ].join(eol);
}

Deno.test("withSteeringMark puts the mark at the end of the session section, once, keeping the line ends", () => {
  for (const eol of ["\r\n", "\n"]) {
    const marked = withSteeringMark(offer("sendrecv", eol));
    const lines = marked.split(eol);
    assert.equal(lines.indexOf(STEERING_MARK), 5, "right before the first m=");
    assert.equal(lines[6], "m=audio 9 UDP/TLS/RTP/SAVPF 111");
    assert.equal(lines.length, offer("sendrecv", eol).split(eol).length + 1);
    assert.equal(
      withSteeringMark(marked),
      marked,
      "marking twice adds nothing",
    );
    if (eol === "\n") assert.ok(!marked.includes("\r"));
  }
  assert.equal(
    withSteeringMark("v=0\r\nt=0 0\r\n"),
    `v=0\r\nt=0 0\r\n${STEERING_MARK}\r\n`,
  );
});

Deno.test("offererSteers: a marked offer whose maker receives video; unmarked, send-only or mark in a media section do not count", () => {
  assert.equal(
    offererSteers(offer("sendrecv")),
    false,
    "unmarked (a browser, aiortc)",
  );
  assert.equal(offererSteers(withSteeringMark(offer("sendrecv"))), true);
  assert.equal(offererSteers(withSteeringMark(offer("sendrecv", "\n"))), true);
  assert.equal(
    offererSteers(withSteeringMark(offer("recvonly"))),
    true,
    "a watcher receives video",
  );
  assert.equal(
    offererSteers(withSteeringMark(offer("sendonly"))),
    false,
    "a send-only publisher has no video to steer by",
  );
  assert.equal(offererSteers(withSteeringMark(offer("inactive"))), false);
  const inMedia = offer("sendrecv").replace(
    "a=mid:1",
    `a=mid:1\r\n${STEERING_MARK}`,
  );
  assert.equal(
    offererSteers(inMedia),
    false,
    "only the session section counts",
  );
  assert.equal(
    offererSteers(withSteeringMark("v=0\r\nt=0 0\r\n")),
    false,
    "no video at all",
  );
});

import assert from "node:assert/strict";
import {
  applyBitrate,
  bitrateLimits,
  offererSteers,
  preferCodec,
  STEERING_MARK,
  videoCodecOrder,
  withSteeringMark,
} from "../../lib/webrtc/sdp.ts";

// A trimmed libwebrtc offer (as @roamhq/wrtc 0.10 makes it), plus an audio section.
const OFFER = [
  "v=0",
  "o=- 1 2 IN IP4 127.0.0.1",
  "s=-",
  "t=0 0",
  "a=group:BUNDLE 0 1",
  "m=video 9 UDP/TLS/RTP/SAVPF 96 97 39 40 98 99 100 101 125 124 127",
  "c=IN IP4 0.0.0.0",
  "a=rtcp:9 IN IP4 0.0.0.0",
  "a=mid:0",
  "a=sendrecv",
  "a=rtpmap:96 VP8/90000",
  "a=rtcp-fb:96 nack",
  "a=rtcp-fb:96 nack pli",
  "a=rtpmap:97 rtx/90000",
  "a=fmtp:97 apt=96",
  "a=rtpmap:39 AV1/90000",
  "a=rtpmap:40 rtx/90000",
  "a=fmtp:40 apt=39",
  "a=rtpmap:98 VP9/90000",
  "a=fmtp:98 profile-id=0",
  "a=rtpmap:99 rtx/90000",
  "a=fmtp:99 apt=98",
  "a=rtpmap:100 VP9/90000",
  "a=fmtp:100 profile-id=2",
  "a=rtpmap:101 rtx/90000",
  "a=fmtp:101 apt=100",
  "a=rtpmap:125 red/90000",
  "a=rtpmap:124 rtx/90000",
  "a=fmtp:124 apt=125",
  "a=rtpmap:127 ulpfec/90000",
  "m=audio 9 UDP/TLS/RTP/SAVPF 111",
  "c=IN IP4 0.0.0.0",
  "a=mid:1",
  "a=rtpmap:111 opus/48000/2",
  "a=fmtp:111 minptime=10;useinbandfec=1",
  "",
].join("\r\n");

function section(sdp: string, kind: string): string[] {
  const lines = sdp.split("\r\n");
  const start = lines.findIndex((l) => l.startsWith(`m=${kind} `));
  let end = lines.findIndex((l, i) => i > start && l.startsWith("m="));
  if (end < 0) end = lines.length;
  return lines.slice(start, end);
}

Deno.test("preferCodec moves vp9 and its rtx types to the front and keeps the rest in order", () => {
  const sdp = preferCodec(OFFER, "vp9");
  assert.equal(
    section(sdp, "video")[0],
    "m=video 9 UDP/TLS/RTP/SAVPF 98 100 99 101 96 97 39 40 125 124 127",
  );
  assert.deepEqual(videoCodecOrder(sdp).slice(0, 4), [
    "VP9",
    "VP9",
    "RTX",
    "RTX",
  ]);
  assert.equal(
    sdp.replace(/^m=video.*$/m, ""),
    OFFER.replace(/^m=video.*$/m, ""),
  );
});

Deno.test("preferCodec puts av1 first and leaves a description without the codec unchanged", () => {
  assert.deepEqual(videoCodecOrder(preferCodec(OFFER, "av1")).slice(0, 3), [
    "AV1",
    "RTX",
    "VP8",
  ]);
  const noAv1 = OFFER.replace(
    "a=rtpmap:39 AV1/90000",
    "a=rtpmap:39 H264/90000",
  );
  assert.equal(preferCodec(noAv1, "av1"), noAv1);
});

Deno.test("applyBitrate writes b=AS, b=TIAS and x-google bitrates on real video codecs only", () => {
  const sdp = applyBitrate(OFFER, bitrateLimits(2_000_000));
  const video = section(sdp, "video");
  assert.deepEqual(video.slice(0, 4), [
    "m=video 9 UDP/TLS/RTP/SAVPF 96 97 39 40 98 99 100 101 125 124 127",
    "c=IN IP4 0.0.0.0",
    "b=AS:2000",
    "b=TIAS:2000000",
  ]);
  const google =
    "x-google-start-bitrate=2000;x-google-min-bitrate=300;x-google-max-bitrate=2000";
  assert.ok(video.includes(`a=fmtp:96 ${google}`), "VP8 gets a new fmtp line");
  assert.ok(video.includes(`a=fmtp:39 ${google}`), "AV1 gets a new fmtp line");
  assert.ok(
    video.includes(`a=fmtp:98 profile-id=0;${google}`),
    "VP9 keeps its profile",
  );
  assert.ok(video.includes(`a=fmtp:100 profile-id=2;${google}`));
  assert.ok(video.includes("a=fmtp:97 apt=96"), "RTX is untouched");
  assert.ok(
    !video.some((l) => /^a=fmtp:(97|40|99|101|124|125|127) .*x-google/.test(l)),
  );
  // The new VP8 fmtp comes right after its rtcp-fb lines, before the next rtpmap.
  const at = video.indexOf(`a=fmtp:96 ${google}`);
  assert.equal(video[at - 1], "a=rtcp-fb:96 nack pli");
  assert.deepEqual(section(sdp, "audio"), section(OFFER, "audio"));
});

Deno.test("applyBitrate replaces earlier bitrate lines instead of adding more", () => {
  const once = applyBitrate(OFFER, bitrateLimits(2_000_000));
  const twice = applyBitrate(once, bitrateLimits(500_000));
  const video = section(twice, "video");
  assert.deepEqual(video.filter((l) => l.startsWith("b=")), [
    "b=AS:500",
    "b=TIAS:500000",
  ]);
  assert.ok(video.includes(
    "a=fmtp:98 profile-id=0;x-google-start-bitrate=500;x-google-min-bitrate=125;x-google-max-bitrate=500",
  ));
  assert.equal(video.filter((l) => l.startsWith("a=fmtp:96 ")).length, 1);
  assert.equal(twice, applyBitrate(OFFER, bitrateLimits(500_000)));
});

Deno.test("applyBitrate keeps \\n line endings when the description uses them", () => {
  const sdp = applyBitrate(
    OFFER.replaceAll("\r\n", "\n"),
    bitrateLimits(1_000_000),
  );
  assert.ok(!sdp.includes("\r"));
  assert.ok(sdp.includes("\nb=AS:1000\n"));
});

/** A two-section offer (audio, then video with `direction`), lines ended by `eol`. */
function directedOffer(direction: string, eol = "\r\n"): string {
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
    const marked = withSteeringMark(directedOffer("sendrecv", eol));
    const lines = marked.split(eol);
    assert.equal(lines.indexOf(STEERING_MARK), 5, "right before the first m=");
    assert.equal(lines[6], "m=audio 9 UDP/TLS/RTP/SAVPF 111");
    assert.equal(
      lines.length,
      directedOffer("sendrecv", eol).split(eol).length + 1,
    );
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
    offererSteers(directedOffer("sendrecv")),
    false,
    "unmarked (a browser, aiortc)",
  );
  assert.equal(
    offererSteers(withSteeringMark(directedOffer("sendrecv"))),
    true,
  );
  assert.equal(
    offererSteers(withSteeringMark(directedOffer("sendrecv", "\n"))),
    true,
  );
  assert.equal(
    offererSteers(withSteeringMark(directedOffer("recvonly"))),
    true,
    "a watcher receives video",
  );
  assert.equal(
    offererSteers(withSteeringMark(directedOffer("sendonly"))),
    false,
    "a send-only publisher has no video to steer by",
  );
  assert.equal(
    offererSteers(withSteeringMark(directedOffer("inactive"))),
    false,
  );
  const inMedia = directedOffer("sendrecv").replace(
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

import { deepStrictEqual as assertEquals } from "node:assert/strict";
import {
  answerHasVideo,
  direction,
  mediaSections,
  offerProblem,
} from "../../lib/server/sdp_check.ts";
import { sampleAnswer, sampleOffer } from "./_sdp_samples.ts";

Deno.test("a WHIP offer that sends video and a WHEP offer that receives it pass", () => {
  assertEquals(offerProblem(sampleOffer("sendonly"), "whip"), null);
  assertEquals(offerProblem(sampleOffer("sendrecv"), "whip"), null);
  assertEquals(offerProblem(sampleOffer("recvonly"), "whep"), null);
  assertEquals(offerProblem(sampleOffer("sendrecv"), "whep"), null);
  // Line ends may be bare LF, and a bundled section may have port 0.
  assertEquals(
    offerProblem(sampleOffer().replaceAll("\r\n", "\n"), "whip"),
    null,
  );
  const bundleOnly = sampleOffer().replace("m=video 9", "m=video 0")
    .replace("a=mid:0", "a=mid:0\r\na=bundle-only");
  assertEquals(offerProblem(bundleOnly, "whip"), null);
});

Deno.test("offers a rig's libwebrtc would refuse or could not use are named precisely", () => {
  const offer = sampleOffer();
  const cases: Array<[string, string, "whip" | "whep"]> = [
    ["hello", "the body is not SDP: it does not start with v=0", "whip"],
    [
      offer.replace("s=-", "s=-\r\nnonsense"),
      'the body is not SDP: line 4 is not "x=…"',
      "whip",
    ],
    [offer.replace(/o=.*\r\n/, ""), "the offer has no o= line", "whip"],
    [
      offer.replace("m=video 9 UDP/TLS/RTP/SAVPF 96 97", "m=video x RTP 96"),
      "the offer has a malformed m=video line",
      "whip",
    ],
    [
      offer.replace("a=rtpmap:96 VP8/90000\r\n", ""),
      "payload type 96 of m=video has no a=rtpmap",
      "whip",
    ],
    [
      offer.replace(/m=video[^]*$/, "m=audio 9 UDP/TLS/RTP/SAVPF 0\r\n"),
      "the offer has no video (rigs send and receive video only)",
      "whip",
    ],
    [
      offer.replace(/a=ice-pwd:.*\r\n/, ""),
      "the offer has no ICE credentials (a=ice-ufrag, a=ice-pwd)",
      "whip",
    ],
    [
      offer.replace(/a=fingerprint:.*\r\n/, ""),
      "the offer has no DTLS fingerprint (a=fingerprint)",
      "whip",
    ],
    [
      sampleOffer("recvonly"),
      "a WHIP offer must send video (to watch a rig, use /whep/)",
      "whip",
    ],
    [
      sampleOffer("sendonly"),
      "a WHEP offer must receive video (to publish to a rig, use /whip/)",
      "whep",
    ],
    [
      sampleOffer("inactive"),
      "a WHEP offer must receive video (to publish to a rig, use /whip/)",
      "whep",
    ],
  ];
  for (const [sdp, problem, kind] of cases) {
    assertEquals(offerProblem(sdp, kind), problem);
  }
});

Deno.test("media sections, their direction and whether an answer accepts video", () => {
  const sections = mediaSections(sampleOffer("recvonly"));
  assertEquals(sections.map((s) => [s.kind, s.port, s.formats]), [
    ["video", 9, ["96", "97"]],
  ]);
  assertEquals(direction(sections[0]), "recvonly");
  assertEquals(
    direction(mediaSections(sampleOffer().replace("a=sendonly\r\n", ""))[0]),
    "sendrecv",
  );
  assertEquals(answerHasVideo(sampleAnswer("recvonly")), true);
  assertEquals(answerHasVideo(sampleAnswer("sendonly")), true);
  assertEquals(answerHasVideo(sampleAnswer("recvonly", 0)), false);
  assertEquals(answerHasVideo(sampleAnswer("inactive")), false);
});

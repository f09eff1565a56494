/**
 * Offers and answers for server tests that need no libwebrtc: what a WHIP
 * client (sending video), a WHEP client (receiving it) and a rig would
 * send, cut down to what a rig's libwebrtc needs.
 *
 * @module
 */

/** An offer whose one video section goes `direction`. */
export function sampleOffer(
  direction: "sendonly" | "recvonly" | "sendrecv" | "inactive" = "sendonly",
): string {
  return [
    "v=0",
    "o=- 4611731400430051336 2 IN IP4 127.0.0.1",
    "s=-",
    "t=0 0",
    "a=group:BUNDLE 0",
    "m=video 9 UDP/TLS/RTP/SAVPF 96 97",
    "c=IN IP4 0.0.0.0",
    "a=mid:0",
    "a=ice-ufrag:abcd",
    "a=ice-pwd:abcdefghijklmnopqrstuvwx",
    "a=fingerprint:sha-256 " +
    "AB:".repeat(31) + "AB",
    "a=setup:actpass",
    `a=${direction}`,
    "a=rtcp-mux",
    "a=rtpmap:96 VP8/90000",
    "a=rtpmap:97 rtx/90000",
    "a=fmtp:97 apt=96",
    "a=candidate:1 1 udp 2122260223 127.0.0.1 40000 typ host",
    "",
  ].join("\r\n");
}

/** A rig's answer to {@linkcode sampleOffer}: its video section `direction`, on `port`. */
export function sampleAnswer(
  direction: "sendonly" | "recvonly" | "sendrecv" | "inactive" = "recvonly",
  port = 9,
): string {
  return sampleOffer("sendonly")
    .replace("a=setup:actpass", "a=setup:active")
    .replace("a=sendonly", `a=${direction}`)
    .replace("m=video 9", `m=video ${port}`);
}

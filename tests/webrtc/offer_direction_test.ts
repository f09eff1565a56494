// deno-test-isolated: libwebrtc may abort when Deno tears this runtime down
// A rig's peer session answering one-way offers, as WHIP and WHEP clients
// make them: the answer mirrors each section's direction (sendonly →
// recvonly, recvonly → sendonly, audio included, though a rig has none),
// and the video goes the one way. The offerer is a bare libwebrtc peer
// connection. Run inside scripts/in_loopback_netns.sh.
import assert from "node:assert/strict";
import { setLogLevel } from "../../lib/log/logger.ts";
import { loadWrtc, requireWrtc } from "../../lib/webrtc/_wrtc.ts";
import { WrtcPeerSession } from "../../lib/webrtc/peer_session.ts";
import { direction, mediaSections } from "../../lib/server/sdp_check.ts";
import { halves, meanColour, near, type Rgb, waitFor } from "./_helpers.ts";
import { rgbaToI420 } from "../../lib/webrtc/yuv.ts";

setLogLevel("warn");

const WIDTH = 160;
const HEIGHT = 120;
const ORANGE: Rgb = [230, 120, 20];
const TEAL: Rgb = [20, 160, 150];

/** `addTransceiver` with a kind instead of a track (our typing of wrtc has only the latter). */
function addTransceiverOfKind(
  pc: { addTransceiver: unknown },
  kind: "audio" | "video",
  direction: "sendonly" | "recvonly",
): void {
  (pc.addTransceiver as (
    kind: string,
    init: { direction: string },
  ) => unknown).call(pc, kind, { direction });
}

function directions(sdp: string): string[] {
  return mediaSections(sdp).map((s) => `${s.kind} ${direction(s)}`);
}

Deno.test("a sendonly audio+video offer (a WHIP publisher such as OBS) is answered recvonly for both, and the rig receives the video", async () => {
  await loadWrtc();
  const wrtc = requireWrtc("test");
  const rig = await WrtcPeerSession.create({ width: WIDTH, height: HEIGHT });
  const pc = new wrtc.RTCPeerConnection({ iceServers: [] });
  const source = new wrtc.nonstandard.RTCVideoSource();
  const track = source.createTrack();
  const i420 = rgbaToI420(
    halves(WIDTH, HEIGHT, ORANGE, ORANGE, false),
    WIDTH,
    HEIGHT,
    new Uint8Array(WIDTH * HEIGHT * 3 / 2),
  );
  const timer = setInterval(
    () => source.onFrame({ width: WIDTH, height: HEIGHT, data: i420 }),
    1000 / 15,
  );
  try {
    addTransceiverOfKind(pc, "audio", "sendonly");
    pc.addTransceiver(track, { direction: "sendonly" });
    await pc.setLocalDescription(await pc.createOffer());
    await waitFor(
      () => pc.iceGatheringState === "complete",
      "the offerer's ICE gathering",
    );
    const answer = await rig.acceptOffer(pc.localDescription!.sdp);
    assert.deepEqual(directions(answer), ["audio recvonly", "video recvonly"]);
    await pc.setRemoteDescription({ type: "answer", sdp: answer });
    await waitFor(() => {
      const frame = rig.latestFrame();
      return frame !== null && near(meanColour(frame, 0.25, 0.75), ORANGE, 20);
    }, "the rig to receive orange");
  } finally {
    clearInterval(timer);
    track.stop();
    pc.close();
    rig.close();
  }
});

Deno.test("a recvonly video offer (a WHEP player) is answered sendonly and the player receives the rig's video", async () => {
  await loadWrtc();
  const wrtc = requireWrtc("test");
  const rig = await WrtcPeerSession.create({ width: WIDTH, height: HEIGHT });
  const pc = new wrtc.RTCPeerConnection({ iceServers: [] });
  let frames = 0;
  let last: Rgb | null = null;
  const rgba = halves(WIDTH, HEIGHT, TEAL, TEAL, false);
  const timer = setInterval(
    () => rig.sendFrame(rgba, WIDTH, HEIGHT, false),
    1000 / 15,
  );
  try {
    pc.ontrack = (event) => {
      const sink = new wrtc.nonstandard.RTCVideoSink(event.track);
      sink.onframe = ({ frame }) => {
        frames++;
        last = meanColour(
          { ...frame, receivedAt: 0, count: frames },
          0.25,
          0.75,
        );
      };
    };
    addTransceiverOfKind(pc, "video", "recvonly");
    await pc.setLocalDescription(await pc.createOffer());
    await waitFor(
      () => pc.iceGatheringState === "complete",
      "the offerer's ICE gathering",
    );
    const answer = await rig.acceptOffer(pc.localDescription!.sdp);
    assert.deepEqual(directions(answer), ["video sendonly"]);
    await pc.setRemoteDescription({ type: "answer", sdp: answer });
    await waitFor(
      () => last !== null && near(last, TEAL, 20),
      "the player to receive teal",
    );
    assert.equal(rig.latestFrame(), null, "the rig received video");
  } finally {
    clearInterval(timer);
    pc.close();
    rig.close();
  }
});

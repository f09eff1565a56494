// deno-test-isolated: libwebrtc may abort when Deno tears this runtime down
// WebRTC needs a network namespace with only `lo`: run inside
// scripts/in_loopback_netns.sh (`deno task test` does).
//
// What one peer session keeps from call to call: wrtc's tracks, like its
// peer connections, are never freed under Deno (see lib/webrtc/_wrtc.ts),
// so a session makes one video source and track for all its calls; and
// closing calls trims glibc's heap (see lib/webrtc/native_heap.ts).
import assert from "node:assert/strict";
import { setLogLevel } from "../../lib/log/logger.ts";
import { loadWrtc, requireWrtc } from "../../lib/webrtc/_wrtc.ts";
import {
  callsTrimmed,
  nativeHeapFigures,
  nativeHeapTrims,
  TRIM_DELAY_MS,
  trimWhileCallUp,
} from "../../lib/webrtc/native_heap.ts";
import { WrtcPeerSession } from "../../lib/webrtc/peer_session.ts";
import { halves, waitFor } from "./_helpers.ts";

setLogLevel("warn");

const WIDTH = 160;
const HEIGHT = 120;
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Counts the video sources and tracks wrtc makes while `body` runs. */
async function countingSources(
  body: () => Promise<void>,
): Promise<{ sources: number; tracks: number }> {
  await loadWrtc();
  const nonstandard = requireWrtc("call_reuse_test").nonstandard;
  const Original = nonstandard.RTCVideoSource;
  const made = { sources: 0, tracks: 0 };
  nonstandard.RTCVideoSource = class extends Original {
    constructor(init?: { isScreencast?: boolean; needsDenoising?: boolean }) {
      super(init);
      made.sources++;
    }
    override createTrack() {
      made.tracks++;
      return super.createTrack();
    }
  };
  try {
    await body();
  } finally {
    nonstandard.RTCVideoSource = Original;
  }
  return made;
}

/** One call between `a` and `b` until each has a frame from the other, then both close. */
async function oneCall(a: WrtcPeerSession, b: WrtcPeerSession) {
  const image = halves(WIDTH, HEIGHT, [200, 40, 40], [20, 20, 200], true);
  const timer = setInterval(() => {
    a.sendFrame(image, WIDTH, HEIGHT, true);
    b.sendFrame(image, WIDTH, HEIGHT, true);
  }, 33);
  try {
    await a.acceptAnswer(await b.acceptOffer(await a.createOffer()));
    await waitFor(
      () => a.latestFrame() !== null && b.latestFrame() !== null,
      "both sides to receive video",
    );
  } finally {
    clearInterval(timer);
    a.close();
    b.close();
  }
}

Deno.test("a peer session sends all its calls from one video source and track, and each call carries video", async () => {
  const made = await countingSources(async () => {
    const a = await WrtcPeerSession.create({ width: WIDTH, height: HEIGHT });
    const b = await WrtcPeerSession.create({ width: WIDTH, height: HEIGHT });
    for (let call = 0; call < 3; call++) await oneCall(a, b);
  });
  assert.deepEqual(made, { sources: 2, tracks: 2 });
});

Deno.test("closing peer connections trims glibc's heap once, a second later", async () => {
  if (nativeHeapFigures() === null) return; // not glibc: nothing to trim
  await sleep(TRIM_DELAY_MS + 300); // a trim left over from before has run
  const before = nativeHeapTrims();
  const a = await WrtcPeerSession.create({ width: WIDTH, height: HEIGHT });
  const b = await WrtcPeerSession.create({ width: WIDTH, height: HEIGHT });
  await b.acceptOffer(await a.createOffer());
  a.close();
  b.close();
  assert.equal(nativeHeapTrims(), before, "not at once");
  await waitFor(() => nativeHeapTrims() > before, "the trim", 5000);
  await sleep(300);
  assert.equal(nativeHeapTrims(), before + 1, "one trim for both closes");
  const heap = nativeHeapFigures()!;
  assert.ok(heap.inUse > 0 && heap.arena > 0);
});

Deno.test("a call that is up holds the periodic heap trims until it closes", async () => {
  if (nativeHeapFigures() === null) return; // not glibc: nothing to trim
  const before = callsTrimmed();
  const a = await WrtcPeerSession.create({ width: WIDTH, height: HEIGHT });
  const b = await WrtcPeerSession.create({ width: WIDTH, height: HEIGHT });
  try {
    await a.acceptAnswer(await b.acceptOffer(await a.createOffer()));
    await waitFor(
      () =>
        a.connectionState === "connected" && b.connectionState === "connected",
      "both sides connected",
    );
    assert.equal(callsTrimmed(), before + 2, "one hold per side");
  } finally {
    a.close();
    b.close();
  }
  assert.equal(callsTrimmed(), before, "released when the calls close");
  // Releasing twice counts once.
  const end = trimWhileCallUp();
  end();
  end();
  assert.equal(callsTrimmed(), before);
});

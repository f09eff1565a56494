// deno-test-isolated: libwebrtc may abort when Deno tears this runtime down
import assert from "node:assert/strict";
import {
  activeWrtcFieldTrials,
  ensureWrtcFieldTrials,
  FieldTrialsError,
  isValidFieldTrials,
  libwebrtcFieldTrials,
  LOW_LATENCY_FIELD_TRIALS,
  setWrtcFieldTrials,
} from "../../lib/webrtc/field_trials.ts";
import { getLogger } from "../../lib/log/logger.ts";
import { isWrtcLoaded, loadWrtc } from "../../lib/webrtc/peer_session.ts";

Deno.test("field-trial strings are checked for libwebrtc's Name/group/ shape", () => {
  assert.ok(isValidFieldTrials(""));
  assert.ok(isValidFieldTrials(LOW_LATENCY_FIELD_TRIALS));
  assert.ok(isValidFieldTrials("WebRTC-Foo/Enabled/"));
  assert.ok(!isValidFieldTrials("WebRTC-Foo/Enabled"));
  assert.ok(!isValidFieldTrials("WebRTC-Foo/"));
  assert.ok(!isValidFieldTrials("WebRTC-Foo//WebRTC-Bar/x/"));
  assert.throws(
    () => setWrtcFieldTrials("WebRTC-Foo"),
    (error) =>
      error instanceof FieldTrialsError && /Name\/group\//.test(error.message),
  );
});

Deno.test("field trials cannot be set before the addon is loaded, and the defaults wait for it", () => {
  assert.ok(!isWrtcLoaded(), "importing field_trials.ts loads no addon");
  assert.throws(
    () => setWrtcFieldTrials("WebRTC-Foo/Enabled/"),
    (error) =>
      error instanceof FieldTrialsError && /loadWrtc/.test(error.message),
  );
  ensureWrtcFieldTrials(getLogger("test")); // nothing to do yet
  assert.equal(activeWrtcFieldTrials(), null);
});

Deno.test("the default trials reach libwebrtc's own field-trial string", async () => {
  await loadWrtc();
  // Nothing has been set in this process yet: libwebrtc holds no trials.
  assert.equal(activeWrtcFieldTrials(), null);
  assert.equal(libwebrtcFieldTrials(), "");
  ensureWrtcFieldTrials(getLogger("test"));
  assert.equal(activeWrtcFieldTrials(), LOW_LATENCY_FIELD_TRIALS);
  assert.equal(libwebrtcFieldTrials(), LOW_LATENCY_FIELD_TRIALS);
});

Deno.test("trials set explicitly replace the defaults, and empty clears them", async () => {
  await loadWrtc();
  setWrtcFieldTrials("WebRTC-Video-Pacing/factor:2.0/");
  assert.equal(libwebrtcFieldTrials(), "WebRTC-Video-Pacing/factor:2.0/");
  ensureWrtcFieldTrials(getLogger("test")); // defaults only when none were set
  assert.equal(libwebrtcFieldTrials(), "WebRTC-Video-Pacing/factor:2.0/");
  setWrtcFieldTrials("");
  assert.equal(libwebrtcFieldTrials(), "");
  assert.equal(activeWrtcFieldTrials(), "");
});

// deno-test-isolated: starts endpoint processes (WebRTC runs in them); its own process lets the runner run e2e files two at a time
// The fan-out case with real third-party software: a rig publishes its
// picture once with `!whip` into Janus's VideoRoom through Meetecho's
// simple-whip-server (Debian's janus and simple-whip-server), and three
// subscribers that talk only to Janus's own HTTP API (wrtc peers in
// tests/e2e/_video_viewers.ts) each receive it: pixels checked per viewer.
// Everything runs in a network namespace the test builds (lo and an
// addressed veth: Janus's ICE ignores loopback) and removes.
import assert from "node:assert/strict";
import { join } from "node:path";
import { JANUS_ROOM, janusUnavailable, JanusWhip } from "./_janus.ts";
import type { LoggedProcess } from "./_logged_process.ts";
import { createVethNamespace } from "./_veth_netns.ts";
import { latestViewersReport, startVideoViewers } from "./_video_viewers.ts";
import {
  callScene,
  Endpoint,
  near,
  type Rgb,
  stopAll,
  tempFolder,
  waitForState,
  waitUntil,
} from "./_endpoint.ts";

const GREEN: Rgb = [0, 255, 0];

const skip = await janusUnavailable();
if (skip) console.warn(`Skipping the Janus fan-out test: ${skip}`);

Deno.test({
  name:
    "a rig's !whip publishes once into Janus through simple-whip-server; three Janus subscribers each receive its picture",
  ignore: skip !== undefined,
  fn: async () => {
    const dir = await tempFolder();
    const net = await createVethNamespace("flt-janus");
    let media: JanusWhip | undefined;
    let viewers: LoggedProcess | undefined;
    const endpoints: Endpoint[] = [];
    const context = () =>
      `${media?.describe() ?? ""}\n--- viewers:\n${
        viewers?.output.slice(-2000) ?? ""
      }\n${endpoints.map((endpoint) => endpoint.describe()).join("\n")}`;
    try {
      const folder = join(dir.path, "janus");
      await Deno.mkdir(folder);
      media = await JanusWhip.start(net, folder);
      const scene = join(dir.path, "rig.json");
      await Deno.writeTextFile(
        scene,
        callScene({
          colour: GREEN,
          signalling: { kind: "!whip", url: media.whipUrl },
        }),
      );
      const files = {
        OUT: join(dir.path, "out.png"),
        STATE: join(dir.path, "state.png"),
      };
      const rig = Endpoint.start({
        name: "rig",
        scene,
        defines: files,
        netns: net.name,
      });
      endpoints.push(rig);
      await waitForState("rig", files.STATE, "connected", endpoints)
        .catch((error) => {
          throw new Error(`${error.message}\n${context()}`);
        });
      viewers = startVideoViewers(net.name, [
        `--janus=${media.janusUrl}`,
        `--room=${JANUS_ROOM}`,
        "--count=3",
      ]);
      const watching = viewers;
      const report = await waitUntil(
        "three Janus subscribers to receive the rig's green picture",
        () => {
          if (watching.status !== null) {
            throw new Error(`the viewers exited:\n${context()}`);
          }
          const latest = latestViewersReport(watching.output);
          const ready = latest?.viewers.length === 3 &&
            latest.viewers.every((viewer) =>
              viewer.frames >= 10 && viewer.colour !== null &&
              near(viewer.colour, GREEN)
            );
          return ready ? latest : undefined;
        },
        endpoints,
      ).catch((error) => {
        throw new Error(`${error.message}\n${context()}`);
      });
      for (const viewer of report.viewers) {
        assert.equal(viewer.error, undefined, context());
        assert.equal(viewer.state, "connected", context());
      }
      assert.match(
        media.whipServer.output,
        /\[rig\] Publishing to WHIP endpoint/,
        context(),
      );
    } finally {
      await viewers?.stop();
      await stopAll(endpoints);
      await media?.stop();
      await net.remove();
      await dir.remove();
    }
  },
});

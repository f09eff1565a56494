// deno-test-isolated: starts endpoint processes (WebRTC runs in them); its own process lets the runner run e2e files two at a time
// Real third-party WHIP software against our server: Debian's
// simple-whip-client (`whip-client`, GStreamer's webrtcbin) publishes a red
// test pattern into a room, and the rig waiting there (plain !websocket, no
// change for WHIP) shows it; stopping the client DELETEs its session and the
// rig hangs up.
//
// What it takes, measured on Debian 12:
// - whip-client links libsoup-2.4, and GStreamer's webrtc plugin pulls in
//   libsoup-3.0 through libnice → libgupnp-igd; libsoup then aborts the
//   client at start ("libsoup2 symbols detected", exit 133). A stub
//   libgupnp-igd-1.0.so.4 (tests/e2e/_gupnp_igd_stub.c, compiled here with
//   cc) on LD_LIBRARY_PATH avoids it.
// - GStreamer's ICE (libnice) ignores loopback addresses, and the test
//   namespace holds only `lo`: the test builds a network namespace of its
//   own with `lo` and a veth pair (one end addressed), runs the server, the
//   rig and the client in it, and removes it afterwards.
// - GStreamer's vp8enc makes a keyframe every 128 frames by default; with
//   `keyframe-max-dist=15` the rig gets its first picture within a second
//   of connecting.
import assert from "node:assert/strict";
import { join } from "node:path";
import { type ServerProcess, startServer } from "../server/_server_process.ts";
import { isInstalled, LoggedProcess } from "./_logged_process.ts";
import { createVethNamespace, runCommand } from "./_veth_netns.ts";
import {
  Endpoint,
  probeFiles,
  type Rgb,
  stopAll,
  tempFolder,
  waitForColour,
  waitForState,
  waitUntil,
  websocketNode,
  writeCallScene,
} from "./_endpoint.ts";

const RED: Rgb = [255, 0, 0];
const MAGENTA: Rgb = [255, 0, 255];
const STUB = new URL("./_gupnp_igd_stub.c", import.meta.url).pathname;
const PIPELINE = "videotestsrc is-live=true pattern=red " +
  "! video/x-raw,width=160,height=120,framerate=15/1 ! videoconvert " +
  "! vp8enc deadline=1 keyframe-max-dist=15 ! rtpvp8pay pt=96 ssrc=2 ! queue " +
  "! application/x-rtp,media=video,encoding-name=VP8,payload=96";

/** Why the test cannot run here (a missing tool or privilege), or `undefined`. */
async function unavailable(): Promise<string | undefined> {
  if (Deno.uid() !== 0) return "building a network namespace needs root";
  if (!await isInstalled("ip", ["-V"])) {
    return "the ip command is not installed";
  }
  if (!await isInstalled("whip-client", ["--help"])) {
    return "whip-client is not installed (apt-get install simple-whip-client)";
  }
  if (!await isInstalled("cc", ["--version"])) return "cc is not installed";
  if (!await isInstalled("gst-inspect-1.0", ["--version"])) {
    return "gstreamer1.0-tools is not installed";
  }
  for (const element of ["webrtcbin", "nicesrc", "vp8enc", "rtpvp8pay"]) {
    const { success } = await new Deno.Command("gst-inspect-1.0", {
      args: [element],
      stdout: "null",
      stderr: "null",
    }).output();
    if (!success) return `the GStreamer element ${element} is not installed`;
  }
  return undefined;
}

const skip = await unavailable();
if (skip) console.warn(`Skipping the simple-whip-client test: ${skip}`);

Deno.test({
  name:
    "simple-whip-client publishes a red test pattern into our server's WHIP endpoint (with a bearer token): the rig in the room shows red; stopping the client DELETEs and the rig hangs up",
  ignore: skip !== undefined,
  fn: async () => {
    const dir = await tempFolder();
    const net = await createVethNamespace("flt-whip");
    let server: ServerProcess | undefined;
    let client: LoggedProcess | undefined;
    const endpoints: Endpoint[] = [];
    const context = () =>
      `--- whip-client:\n${client?.output.slice(-4000) ?? ""}\n` +
      `--- server:\n${server?.output().slice(-3000) ?? ""}`;
    try {
      await runCommand(
        "cc",
        "-shared",
        "-fPIC",
        "-Wl,-soname,libgupnp-igd-1.0.so.4",
        "-o",
        join(dir.path, "libgupnp-igd-1.0.so.4"),
        STUB,
      );
      server = await startServer(["--debug", "--token=t0ken"], {
        netns: net.name,
      });
      const scene = await writeCallScene(dir.path, "rig", {
        colour: MAGENTA,
        signalling: websocketNode(server.url, "stage", { room: "studio" }),
      });
      const files = probeFiles(dir.path, "rig");
      const rig = Endpoint.start({
        name: "rig",
        scene,
        defines: files,
        netns: net.name,
      });
      endpoints.push(rig);
      await waitUntil(
        "the rig to join room studio",
        () => server!.output().includes('"stage" joined room "studio"'),
        endpoints,
      );
      const http = server.url.replace(/^ws/, "http");
      client = new LoggedProcess("whip-client", [
        "-u",
        `${http}whip/studio/stage`,
        "-t",
        "t0ken",
        "-n",
        "-V",
        PIPELINE,
      ], { netns: net.name, env: { LD_LIBRARY_PATH: dir.path } });
      try {
        await waitForState("rig", files.STATE, "connected", endpoints);
        await waitForColour("rig", files.OUT, RED, endpoints);
      } catch (error) {
        throw new Error(`${(error as Error).message}\n${context()}`);
      }
      assert.equal(client.status, null, context());
      assert.match(client.output, /PeerConnection connected/);
      await client.stop("SIGINT"); // as Ctrl-C: it DELETEs its session first
      await waitForState("rig", files.STATE, "none", endpoints);
      assert.match(
        server.output(),
        /WHIP session to "stage" in room "studio": ended, ended by the client \(DELETE\)/,
        context(),
      );
    } finally {
      await client?.stop("SIGINT");
      await stopAll(endpoints);
      await server?.stop();
      await net.remove();
      await dir.remove();
    }
  },
});

// deno-test-isolated: starts endpoint processes (WebRTC runs in them); its own process lets the runner run e2e files two at a time
// !whip and !whep rigs against our server's WHIP and WHEP endpoints, each
// rig a real `cli.ts run` process in the loopback network namespace
// (scripts/in_loopback_netns.sh), observed through the PNG files the
// scenes record: a rig publishing with !whip into a room, the rig waiting
// there (plain !websocket) showing its video; a rig pulling that rig's video
// with !whep.
import assert from "node:assert/strict";
import { type ServerProcess, startServer } from "../server/_server_process.ts";
import {
  Endpoint,
  probeFiles,
  type Rgb,
  stopAll,
  tempFolder,
  waitForColour,
  waitForState,
  writeCallScene,
} from "./_endpoint.ts";

const GREEN: Rgb = [0, 255, 0];
const MAGENTA: Rgb = [255, 0, 255];
const BLUE: Rgb = [0, 0, 255];

Deno.test("a !whip rig publishes into a room of our server, the rig there shows it; stopping the publisher DELETEs its session; a !whep rig then plays the rig's video", async () => {
  const dir = await tempFolder();
  let server: ServerProcess | undefined;
  const endpoints: Endpoint[] = [];
  const files = (name: string) => probeFiles(dir.path, name);
  const start = async (
    name: string,
    colour: Rgb,
    signalling: Record<string, unknown> & { kind: string },
  ) => {
    const scene = await writeCallScene(dir.path, name, { colour, signalling });
    const endpoint = Endpoint.start({ name, scene, defines: files(name) });
    endpoints.push(endpoint);
    return endpoint;
  };
  try {
    server = await startServer(["--token=s3cret"]);
    const http = server.url.replace(/^ws/, "http");
    const stage = await start("stage", MAGENTA, {
      kind: "!websocket",
      url: server.url,
      room: "studio",
      id: "stage",
    });
    await waitForState("stage", files("stage").STATE, "none", endpoints);
    const publisher = await start("publisher", GREEN, {
      kind: "!whip",
      url: `${http}whip/studio/stage`,
      token: "s3cret",
    });
    await waitForState(
      "publisher",
      files("publisher").STATE,
      "connected",
      endpoints,
    );
    await waitForState("stage", files("stage").STATE, "connected", endpoints);
    await waitForColour("stage", files("stage").OUT, GREEN, endpoints);
    // Stopping the publisher deletes its session: the stage hangs up at once.
    await publisher.stop();
    endpoints.splice(endpoints.indexOf(publisher), 1);
    await waitForState("stage", files("stage").STATE, "none", [stage]);
    const output = server.output();
    assert.match(
      output,
      /WHIP session to "stage" in room "studio": ended, ended by the client \(DELETE\)/,
    );
    await start("viewer", BLUE, {
      kind: "!whep",
      url: `${http}whep/studio/stage`,
      token: "s3cret",
    });
    await waitForState("viewer", files("viewer").STATE, "connected", endpoints);
    await waitForColour("viewer", files("viewer").OUT, MAGENTA, endpoints);
    await waitForState("stage", files("stage").STATE, "connected", endpoints);
  } finally {
    await stopAll(endpoints);
    await server?.stop();
    await dir.remove();
  }
});

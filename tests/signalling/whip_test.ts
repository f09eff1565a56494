/**
 * The `!whip`/`!whep` client against our server's WHIP/WHEP endpoints,
 * with a PeerSession double (real peer connections are in
 * tests/e2e/whip_kinds_e2e_test.ts) and a WebSocket client standing in for
 * the rig: what it posts, how it restarts, and that it DELETEs its session.
 */

import {
  deepStrictEqual as assertEquals,
  ok as assert,
} from "node:assert/strict";
import { setLogLevel } from "../../lib/log/logger.ts";
import { Attributes } from "../../lib/scene/attributes.ts";
import type { Value } from "../../lib/expr/values.ts";
import {
  type ConnectionState,
  getSignallingKind,
  type PeerSession,
} from "../../lib/signalling/signalling.ts";
import {
  configureWhip,
  startWhip,
  type WhipConfig,
} from "../../lib/signalling/whip.ts";
import { withVideoDirection } from "../../lib/signalling/_whip_http.ts";
import {
  type SignallingServer,
  startSignallingServer,
} from "../../lib/server/signalling_server.ts";
import { direction, mediaSections } from "../../lib/server/sdp_check.ts";
import { TestClient } from "../server/_ws_client.ts";
import { sampleAnswer, sampleOffer } from "../server/_sdp_samples.ts";
import { RecordingLogger, until } from "./_websocket_doubles.ts";

setLogLevel("error");
const FAST = { retryDelayMs: 50, maxRetryDelayMs: 200 };

/** A PeerSession double whose offers are sendrecv SDP and which records the answers it is given. */
class SdpSession implements PeerSession {
  readonly answers: string[] = [];
  offers = 0;
  connectionState: ConnectionState | null = null;
  #listeners = new Set<(state: ConnectionState | null) => void>();

  reach(state: ConnectionState | null): void {
    this.connectionState = state;
    for (const listener of [...this.#listeners]) listener(state);
  }

  createOffer(): Promise<string> {
    this.offers++;
    this.reach("new");
    return Promise.resolve(sampleOffer("sendrecv"));
  }

  acceptOffer(): Promise<string> {
    return Promise.reject(new Error("a WHIP client makes offers"));
  }

  acceptAnswer(answer: string): Promise<void> {
    this.answers.push(answer);
    this.reach("connecting");
    return Promise.resolve();
  }

  close(): void {
    if (this.connectionState !== null) this.reach(null);
  }

  onConnectionStateChange(
    listener: (state: ConnectionState | null) => void,
  ): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }
}

function attributes(values: Record<string, Value>): Attributes {
  return new Attributes(
    "nodes[0]",
    new Map(Object.entries(values)),
    "test.toml",
  );
}

async function withServer(
  body: (server: SignallingServer, base: string) => Promise<void>,
  token?: string,
): Promise<void> {
  const server = await startSignallingServer({
    host: "127.0.0.1",
    port: 0,
    token,
  });
  try {
    await body(server, `http://127.0.0.1:${server.port}`);
  } finally {
    await server.close();
  }
}

function videoDirection(sdp: string): string {
  return direction(mediaSections(sdp).find((s) => s.kind === "video")!);
}

Deno.test("configure reads url= (http or https) and token=; both kinds are registered", () => {
  const log = new RecordingLogger("whip");
  assertEquals(
    configureWhip(
      "whip",
      attributes({ url: "http://example.org/whip/a/b", token: "t" }),
      log,
    ),
    { kind: "whip", url: "http://example.org/whip/a/b", token: "t" },
  );
  assertEquals(
    configureWhip("whep", attributes({ url: "https://x.org/w" }), log),
    { kind: "whep", url: "https://x.org/w", token: null },
  );
  assertEquals(configureWhip("whip", attributes({}), log), null);
  assertEquals(
    configureWhip("whip", attributes({ url: "ws://x.org/" }), log),
    null,
  );
  assertEquals(
    configureWhip("whip", attributes({ url: "http://x/", token: "a b" }), log),
    null,
  );
  assert(log.records[0].includes("!whip needs url="), log.records[0]);
  assert(
    log.records[1].includes('expected an http or https URL, got "ws://x.org/"'),
  );
  assert(log.records[2].includes("printable ASCII"));
  assertEquals(getSignallingKind("whip")?.attributes, ["url", "token"]);
  assertEquals(getSignallingKind("whep")?.attributes, ["url", "token"]);
});

Deno.test("an offer's video direction is set for publishing or watching; other sections keep theirs", () => {
  const audioAndVideo = sampleOffer("sendrecv").replace(
    "m=video",
    "m=audio 9 UDP/TLS/RTP/SAVPF 0\r\na=sendrecv\r\nm=video",
  );
  const published = withVideoDirection(audioAndVideo, "sendonly");
  assertEquals(
    mediaSections(published).map((s) => [s.kind, direction(s)]),
    [["audio", "sendrecv"], ["video", "sendonly"]],
  );
  const bare = sampleOffer("sendrecv").replace("a=sendrecv\r\n", "");
  assertEquals(
    videoDirection(withVideoDirection(bare, "recvonly")),
    "recvonly",
  );
  assertEquals(
    withVideoDirection(audioAndVideo, "recvonly").length,
    audioAndVideo.length,
  );
});

Deno.test("!whip posts a sendonly offer with the token, applies the answer, DELETEs and re-posts when the call fails, DELETEs on close", async () => {
  await withServer(async (server, base) => {
    const rig = await TestClient.joined(server.url, "stage", "studio");
    const session = new SdpSession();
    const config: WhipConfig = {
      kind: "whip",
      url: `${base}/whip/studio/stage`,
      token: "s3cret",
    };
    const signalling = startWhip(
      config,
      session,
      new RecordingLogger("whip"),
      FAST,
    );
    try {
      const call = await rig.next((m) => m.type === "call");
      assertEquals(call.from, "whip:stage");
      assertEquals(videoDirection(call.offer), "sendonly");
      rig.send({ type: "answer", to: call.from, answer: sampleAnswer() });
      await until(() => session.answers.length === 1, "the answer is applied");
      assertEquals(session.answers, [sampleAnswer()]);
      session.reach("connected");
      await rig.latestMembers((m) => m.includes("whip:stage"));
      // The call fails: the session is deleted (the rig sees it leave) and a
      // new offer comes at once (the call had connected).
      session.reach("failed");
      await rig.members((m) => !m.includes("whip:stage"));
      const again = await rig.next((m) => m.type === "call");
      assertEquals(session.offers, 2);
      rig.send({ type: "answer", to: again.from, answer: sampleAnswer() });
      await until(() => session.answers.length === 2, "the second answer");
      session.reach("connected");
      await rig.latestMembers((m) => m.includes("whip:stage"));
    } finally {
      await signalling.close();
    }
    // Closing deleted the session.
    await rig.latestMembers((m) => !m.includes("whip:stage"));
    assertEquals(server.rooms.members("studio"), ["stage"]);
    await rig.close();
  }, "s3cret");
});

Deno.test("!whep posts a recvonly offer; refusals are retried with a growing backoff until the rig is there", async () => {
  await withServer(async (server, base) => {
    const session = new SdpSession();
    const log = new RecordingLogger("whip");
    const signalling = startWhip(
      { kind: "whep", url: `${base}/whep/studio/stage`, token: null },
      session,
      log,
      FAST,
    );
    try {
      await until(
        () => log.records.filter((r) => r.includes("404")).length >= 3,
        "three refused offers",
      );
      assert(
        log.records.some((r) => r.includes('404 Not Found: No room "studio"')),
        log.records.join("\n"),
      );
      assert(log.records.some((r) => r.includes("again in 0.1 s")));
      assert(log.records.some((r) => r.includes("again in 0.2 s")));
      const rig = await TestClient.joined(server.url, "stage", "studio");
      const call = await rig.next((m) => m.type === "call");
      assertEquals([call.from, videoDirection(call.offer)], [
        "whep:stage",
        "recvonly",
      ]);
      rig.send({
        type: "answer",
        to: call.from,
        answer: sampleAnswer("sendonly"),
      });
      await until(() => session.answers.length === 1, "the answer is applied");
      await rig.close();
    } finally {
      await signalling.close();
    }
  });
});

Deno.test("a call that never connects is given up after the connect timeout and its session deleted", async () => {
  await withServer(async (server, base) => {
    const rig = await TestClient.joined(server.url, "stage", "studio");
    const session = new SdpSession();
    const signalling = startWhip(
      { kind: "whip", url: `${base}/whip/studio/stage`, token: null },
      session,
      new RecordingLogger("whip"),
      { ...FAST, connectTimeoutMs: 200 },
    );
    try {
      const first = await rig.next((m) => m.type === "call");
      rig.send({ type: "answer", to: first.from, answer: sampleAnswer() });
      // Stays "connecting": deleted, then offered again after the backoff.
      await rig.members((m) => !m.includes("whip:stage"));
      await rig.next((m) => m.type === "call");
      assertEquals(session.offers, 2);
    } finally {
      await signalling.close();
    }
    await rig.close();
  });
});

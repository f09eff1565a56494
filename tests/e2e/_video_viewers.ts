/**
 * Video viewers for the fan-out test and benchmark: a script that runs
 * several receive-only WebRTC peers (wrtc) in one process and reports, once
 * a second, one JSON line with the frames each has received and the colour
 * at the centre of its latest frame.
 *
 *   deno run -A tests/e2e/_video_viewers.ts --janus=http://127.0.0.1:8088/janus --room=1234 --count=4
 *   deno run -A tests/e2e/_video_viewers.ts --whep=URL [--whep=URL …] [--token=T]
 *
 * With `--time-code-epoch=MS` each viewer also decodes the time code of
 * `tests/e2e/_time_code.ts` from the frames it receives (stamps in ms since
 * that epoch) and reports each new stamp's glass-to-glass latency.
 *
 * `--janus` subscribes `--count` viewers to the (first) publisher of a Janus
 * VideoRoom through Janus's own HTTP API (a session and a plugin handle per
 * viewer, `join` as subscriber, Janus's offer answered without trickle,
 * `start`); `--whep` plays each URL as a WHEP session (RFC 9725's sibling).
 * Stops on SIGTERM or SIGINT.
 *
 * @module
 */

import { parseArgs } from "node:util";
import {
  loadWrtc,
  requireWrtc,
  type Wrtc,
  type WrtcPeerConnection,
  type WrtcSinkFrame,
} from "../../lib/webrtc/_wrtc.ts";
import { yuvToRgb } from "../../lib/webrtc/yuv.ts";
import { postOffer } from "../../lib/signalling/_whip_http.ts";
import { decodeTimeCode } from "./_time_code.ts";
import { LoggedProcess } from "./_logged_process.ts";

/** One line of the report. */
export interface ViewersReport {
  /** `Date.now()` when the line was written. */
  at: number;
  /** Per viewer, in order. */
  viewers: ViewerFigures[];
}

/** What one viewer has seen so far. */
export interface ViewerFigures {
  /** Frames received. */
  frames: number;
  /** RGB (0–255) at the centre of the latest frame, or null before the first. */
  colour: [number, number, number] | null;
  /** The peer connection's state. */
  state: string;
  /** Set when setting up this viewer failed. */
  error?: string;
  /**
   * With `--time-code-epoch`: glass-to-glass latencies (ms) of the frames
   * whose time code came since the last report line (each stamp counted
   * once, when first seen).
   */
  latencies?: number[];
}

/** The last report line in the viewers' output, or null before the first. */
export function latestViewersReport(output: string): ViewersReport | null {
  const lines = output.trim().split("\n").filter((line) =>
    line.startsWith('{"at"')
  );
  return lines.length === 0 ? null : JSON.parse(lines[lines.length - 1]);
}

/** Starts this script with `args` in the network namespace `netns`. */
export function startVideoViewers(
  netns: string,
  args: string[],
): LoggedProcess {
  return new LoggedProcess(Deno.execPath(), [
    "run",
    "-A",
    new URL(import.meta.url).pathname,
    ...args,
  ], { netns });
}

/** Every report line in the viewers' output, oldest first. */
export function viewersReports(output: string): ViewersReport[] {
  return output.trim().split("\n").filter((line) => line.startsWith('{"at"'))
    .map((line) => JSON.parse(line));
}

/** The RGB at the centre of an I420 frame. */
function centreColour(frame: WrtcSinkFrame): [number, number, number] {
  const { width, height, data } = frame;
  const x = width >> 1, y = height >> 1;
  const chromaWidth = (width + 1) >> 1;
  const chromaHeight = (height + 1) >> 1;
  const uStart = width * height;
  const vStart = uStart + chromaWidth * chromaHeight;
  const chroma = (y >> 1) * chromaWidth + (x >> 1);
  return yuvToRgb(
    data[y * width + x],
    data[uStart + chroma],
    data[vStart + chroma],
  ).map(Math.round) as [number, number, number];
}

/** Resolves once `pc` has gathered its ICE candidates (at most 3 s). */
function gathered(pc: WrtcPeerConnection): Promise<void> {
  return new Promise((resolve) => {
    if (pc.iceGatheringState === "complete") return resolve();
    const timer = setTimeout(resolve, 3000);
    pc.onicecandidate = (event) => {
      if (event.candidate === null) {
        clearTimeout(timer);
        resolve();
      }
    };
  });
}

/** Rows of the Y plane read for the time code, around the middle. */
const CODE_ROWS = 4;

/** The time code in the middle rows of an I420 frame, or `null`. */
function frameTimeCode(frame: WrtcSinkFrame): number | null {
  const top = (frame.height >> 1) - (CODE_ROWS >> 1);
  const rows = frame.data.subarray(
    top * frame.width,
    (top + CODE_ROWS) * frame.width,
  );
  return decodeTimeCode(rows, frame.width, CODE_ROWS, 1);
}

/** A receive-only peer that counts frames and samples their colour. */
class Viewer {
  readonly figures: ViewerFigures = { frames: 0, colour: null, state: "new" };
  readonly pc: WrtcPeerConnection;
  #lastCode: number | null = null;

  /** @param epochMs with a time code in the picture: its epoch (ms since 1970) */
  constructor(wrtc: Wrtc, readonly epochMs: number | null) {
    this.pc = new wrtc.RTCPeerConnection({ iceServers: [] });
    this.pc.onconnectionstatechange = () => {
      this.figures.state = this.pc.connectionState;
    };
    this.pc.ontrack = (event) => {
      if (event.track.kind !== "video") return;
      const sink = new wrtc.nonstandard.RTCVideoSink(event.track);
      sink.onframe = ({ frame }) => {
        if (this.figures.frames++ % 10 === 0) {
          this.figures.colour = centreColour(frame);
        }
        if (this.epochMs !== null) this.#timeCode(frame);
      };
    };
  }

  #timeCode(frame: WrtcSinkFrame): void {
    const code = frameTimeCode(frame);
    if (code === null || code === this.#lastCode) return;
    this.#lastCode = code;
    (this.figures.latencies ??= []).push(Date.now() - (this.epochMs! + code));
  }

  /** Answers `offer` (no trickle: the answer carries the candidates). */
  async answer(offer: string): Promise<string> {
    await this.pc.setRemoteDescription({ type: "offer", sdp: offer });
    const answer = await this.pc.createAnswer();
    await this.pc.setLocalDescription(answer);
    await gathered(this.pc);
    return this.pc.localDescription!.sdp;
  }
}

// ------------------------------------------------------------- Janus API

let transactions = 0;

/** POSTs one Janus API request and returns its JSON reply. */
async function janusRequest(
  url: string,
  request: Record<string, unknown>,
): Promise<Record<string, unknown>> {
  const response = await fetch(url, {
    method: "POST",
    body: JSON.stringify({ ...request, transaction: `t${++transactions}` }),
  });
  const reply = await response.json() as Record<string, unknown>;
  if (reply.janus === "error") {
    throw new Error(`Janus: ${JSON.stringify(reply.error)}`);
  }
  return reply;
}

/** The data a plugin put in a synchronous reply or an event. */
function pluginData(reply: Record<string, unknown>): Record<string, unknown> {
  const plugindata = reply.plugindata as
    | { data?: Record<string, unknown> }
    | undefined;
  return plugindata?.data ?? {};
}

/** A Janus session with one VideoRoom handle, and its event long-poll. */
class JanusHandle {
  readonly #events: Record<string, unknown>[] = [];
  #wake: (() => void) | null = null;
  #closed = false;

  private constructor(
    readonly sessionUrl: string,
    readonly handleUrl: string,
  ) {
    this.#poll();
  }

  static async open(base: string): Promise<JanusHandle> {
    const session = await janusRequest(base, { janus: "create" });
    const sessionUrl = `${base}/${(session.data as { id: number }).id}`;
    const handle = await janusRequest(sessionUrl, {
      janus: "attach",
      plugin: "janus.plugin.videoroom",
    });
    return new JanusHandle(
      sessionUrl,
      `${sessionUrl}/${(handle.data as { id: number }).id}`,
    );
  }

  /** Long-polls the session's events (this also keeps the session alive). */
  async #poll(): Promise<void> {
    while (!this.#closed) {
      try {
        const response = await fetch(`${this.sessionUrl}?maxev=5`);
        const events = await response.json();
        for (const event of Array.isArray(events) ? events : [events]) {
          if (event.janus === "event") this.#events.push(event);
        }
        this.#wake?.();
      } catch {
        if (!this.#closed) await new Promise((r) => setTimeout(r, 500));
      }
    }
  }

  /** The next plugin event whose data has `videoroom` = `what`. */
  async event(what: string): Promise<Record<string, unknown>> {
    const deadline = Date.now() + 20_000;
    while (Date.now() < deadline) {
      const index = this.#events.findIndex((event) =>
        pluginData(event).videoroom === what || pluginData(event).error
      );
      if (index >= 0) {
        const [event] = this.#events.splice(index, 1);
        if (pluginData(event).error) {
          throw new Error(`Janus: ${pluginData(event).error}`);
        }
        return event;
      }
      await new Promise<void>((resolve) => {
        this.#wake = resolve;
        setTimeout(resolve, 500);
      });
    }
    throw new Error(`Janus sent no "${what}" event in 20 s`);
  }

  message(
    body: Record<string, unknown>,
    jsep?: Record<string, unknown>,
  ): Promise<Record<string, unknown>> {
    return janusRequest(this.handleUrl, { janus: "message", body, jsep });
  }

  async close(): Promise<void> {
    this.#closed = true;
    await janusRequest(this.sessionUrl, { janus: "destroy" }).catch(() => {});
  }
}

/** The id of the room's first publisher, waiting up to 20 s for one. */
async function firstPublisher(handle: JanusHandle, room: number) {
  const deadline = Date.now() + 20_000;
  while (Date.now() < deadline) {
    const reply = await handle.message({ request: "listparticipants", room });
    const participants = (pluginData(reply).participants ?? []) as {
      id: number;
      publisher: boolean;
    }[];
    const publisher = participants.find((participant) => participant.publisher);
    if (publisher) return publisher.id;
    await new Promise((r) => setTimeout(r, 200));
  }
  throw new Error(`no publisher in Janus room ${room} after 20 s`);
}

/** Subscribes `viewer` to the first publisher of `room`; returns its handle. */
async function subscribeThroughJanus(
  viewer: Viewer,
  base: string,
  room: number,
): Promise<JanusHandle> {
  const handle = await JanusHandle.open(base);
  const feed = await firstPublisher(handle, room);
  await handle.message({
    request: "join",
    ptype: "subscriber",
    room,
    streams: [{ feed }],
  });
  const attached = await handle.event("attached");
  const offer = (attached.jsep as { sdp: string }).sdp;
  const answer = await viewer.answer(offer);
  await handle.message({ request: "start" }, { type: "answer", sdp: answer });
  return handle;
}

// ------------------------------------------------------------------ WHEP

/** Plays `url` as a WHEP session on `viewer`. */
async function playWhep(
  viewer: Viewer,
  url: string,
  token: string | null,
): Promise<void> {
  viewer.pc.addTransceiver("video", { direction: "recvonly" });
  const offer = await viewer.pc.createOffer();
  await viewer.pc.setLocalDescription(offer);
  await gathered(viewer.pc);
  const session = await postOffer(
    url,
    viewer.pc.localDescription!.sdp,
    token,
    AbortSignal.timeout(20_000),
  );
  await viewer.pc.setRemoteDescription({
    type: "answer",
    sdp: session.answer,
  });
}

// ------------------------------------------------------------------ main

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      janus: { type: "string" },
      room: { type: "string", default: "1234" },
      count: { type: "string", default: "1" },
      whep: { type: "string", multiple: true, default: [] },
      token: { type: "string" },
      "time-code-epoch": { type: "string" },
    },
  });
  const epoch = values["time-code-epoch"];
  const epochMs = epoch === undefined ? null : Number(epoch);
  await loadWrtc();
  const wrtc = requireWrtc("the viewers");
  const viewers: Viewer[] = [];
  const handles: JanusHandle[] = [];
  const setups: Promise<void>[] = [];
  const count = values.janus ? Number(values.count) : values.whep.length;
  for (let index = 0; index < count; index++) {
    const viewer = new Viewer(wrtc, epochMs);
    viewers.push(viewer);
    const setup = values.janus
      ? subscribeThroughJanus(viewer, values.janus, Number(values.room))
        .then((handle) => void handles.push(handle))
      : playWhep(viewer, values.whep[index], values.token ?? null);
    setups.push(setup.catch((error) => {
      viewer.figures.error = error instanceof Error
        ? error.message
        : String(error);
    }));
  }
  const report = setInterval(() => {
    const line: ViewersReport = {
      at: Date.now(),
      viewers: viewers.map((viewer) => viewer.figures),
    };
    console.log(JSON.stringify(line));
    // Latencies go out once each.
    for (const viewer of viewers) viewer.figures.latencies = undefined;
  }, 1000);
  await Promise.all(setups);
  const stop = async () => {
    clearInterval(report);
    await Promise.all(handles.map((handle) => handle.close()));
    for (const viewer of viewers) viewer.pc.close();
    // wrtc's addon crashes in Deno's runtime teardown; exit directly.
    Deno.exit(0);
  };
  Deno.addSignalListener("SIGTERM", stop);
  Deno.addSignalListener("SIGINT", stop);
}

if (import.meta.main) await main();

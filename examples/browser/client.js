"use strict";

/**
 * A browser endpoint of a flitter-webrtc call (the original plugin's WebSocket
 * signalling, see README.md, "The signalling server"): joins a room of the signalling server, makes or
 * answers a call with the browser's RTCPeerConnection, sends a canvas
 * animation (or the camera) and shows the remote video.
 *
 * Query string:
 * - `server`: signalling server URL, `ws:`/`wss:` or `http:`/`https:`
 *   (default: where the page came from, `ws://HOST:PORT/` or
 *   `wss://HOST:PORT/`, as when the signalling server serves the page
 *   itself; from a `file:` URL, `ws://127.0.0.1:8080/`).
 * - `room`, `id` (required): the room to join and this endpoint's ID.
 * - `call`: the ID to call; without it, the page waits for a call.
 * - `source`: `canvas` (default) or `camera` (falls back to the canvas).
 * - `color`: canvas background colour (default `#2060c0`); the top half of
 *   each canvas frame is this colour alone, so the other end can check it.
 * - `size` (`640x360`), `fps` (30): canvas size and frame rate.
 * - `codec`: preferred codec (`vp8`, `vp9`, `h264`, `av1`), others stay
 *   available.
 * - `ice` (repeatable): a STUN or TURN server, as `ice=` on `!webrtc`:
 *   `stun:HOST[:PORT]` or `turn:USER:PASSWORD@HOST[:PORT][?transport=…]`.
 *
 * Signalling is non-trickle: each side waits for ICE gathering to complete
 * and sends `localDescription.sdp`. STUN or TURN servers are used only
 * where `ice` names them. Like
 * our Deno client, the page stays joined after `finished`; it no longer
 * treats the peer's absence from the room as a failure then (an original
 * Python peer leaves on purpose), answers any new call at once, calls
 * again when its peer reappears after having left, and starts signalling
 * again with a fresh server connection when the call fails or closes.
 *
 * Chromium on loopback only (as in tests) needs
 * `--allow-loopback-in-peer-connection` to gather 127.0.0.1 candidates,
 * and camera permission, or it gathers none where there is no default
 * route: the page asks for it when it finds no candidate, so also pass
 * `--use-fake-ui-for-media-stream --use-fake-device-for-media-stream`.
 * With the permission its candidates are addresses rather than `.local`
 * names (otherwise `--disable-features=WebRtcHideLocalIpsWithMdns`).
 *
 * A classic (non-module) script, so the page also works from a `file:` URL.
 *
 * For tests, the page shows its state in `<body data-signalling
 * data-connection data-remote-frames>` and as `window.flitterCall`
 * (`state()`, `stats()`, `sampleRemote(x, y)`, `remoteSize()`).
 */

const RETRY_DELAY_MS = 5000;
const DECODE_ERROR_DELAY_MS = 1000;
const GATHERING_TIMEOUT_MS = 10000;

const params = new URLSearchParams(location.search);
const config = {
  server: normaliseServerUrl(params.get("server") ?? defaultServer()),
  room: params.get("room") ?? "",
  id: params.get("id") ?? "",
  call: params.get("call") || null,
  source: params.get("source") ?? "canvas",
  color: params.get("color") ?? "#2060c0",
  size: parseSize(params.get("size") ?? "640x360"),
  fps: Number(params.get("fps") ?? 30) || 30,
  codec: params.get("codec")?.toLowerCase() ?? null,
  iceServers: params.getAll("ice").map(iceServer).filter((server) => server),
};

/** The page's own origin as a WebSocket URL, or `ws://127.0.0.1:8080/` from a file. */
function defaultServer() {
  if (location.protocol === "http:" || location.protocol === "https:") {
    return `${
      location.protocol === "https:" ? "wss" : "ws"
    }://${location.host}/`;
  }
  return "ws://127.0.0.1:8080/";
}

/** An `RTCIceServer` from `stun:HOST[:PORT]` or `turn:USER:PASSWORD@HOST…`, or `null`. */
function iceServer(url) {
  const match = /^(stuns?|turns?):(?:([^@/?]*)@)?([^@]+)$/.exec(url.trim());
  if (match === null) {
    console.warn(`ignoring ICE server "${url}"`);
    return null;
  }
  const [, scheme, userInfo, rest] = match;
  const server = { urls: `${scheme}:${rest}` };
  const colon = userInfo?.indexOf(":") ?? -1;
  if (colon > 0) {
    server.username = decodeURIComponent(userInfo.slice(0, colon));
    server.credential = decodeURIComponent(userInfo.slice(colon + 1));
  }
  return server;
}

const ui = {
  local: document.getElementById("local"),
  remote: document.getElementById("remote"),
  signalling: document.getElementById("signalling"),
  connection: document.getElementById("connection"),
  peer: document.getElementById("peer"),
  frames: document.getElementById("frames"),
  log: document.getElementById("log"),
  usage: document.getElementById("usage"),
};

function log(message) {
  const line = `${new Date().toISOString().slice(11, 23)} ${message}`;
  console.log(line);
  ui.log.textContent += line + "\n";
  ui.log.scrollTop = ui.log.scrollHeight;
}

function normaliseServerUrl(text) {
  const url = new URL(text);
  if (url.protocol === "http:") url.protocol = "ws:";
  if (url.protocol === "https:") url.protocol = "wss:";
  return url.href;
}

function parseSize(text) {
  const match = /^(\d+)x(\d+)$/.exec(text);
  return match ? [Number(match[1]), Number(match[2])] : [640, 360];
}

// ---------------------------------------------------------------- local video

/** A canvas animation: a solid top half, a moving ball and a counter below. */
function canvasStream() {
  const [width, height] = config.size;
  const canvas = document.createElement("canvas");
  canvas.width = width;
  canvas.height = height;
  const context = canvas.getContext("2d");
  let frame = 0;
  const draw = () => {
    context.fillStyle = config.color;
    context.fillRect(0, 0, width, height);
    context.fillStyle = "#000";
    context.fillRect(0, height * 0.6, width, height * 0.4);
    const x = (frame * 6) % width;
    context.fillStyle = "#fff";
    context.beginPath();
    context.arc(x, height * 0.8, height * 0.08, 0, 2 * Math.PI);
    context.fill();
    context.font = `${Math.round(height * 0.08)}px monospace`;
    context.fillText(`${config.id} ${frame}`, 10, height * 0.7);
    frame++;
  };
  // Frames on a schedule of their own rather than `setInterval`, which
  // Chromium rounds to whole milliseconds (33 ms: 30.3 fps for 30): at
  // exactly the rig's rate, a rig answering this page can time its frames to
  // take ours as they arrive (see the README's Latency section).
  const period = 1000 / config.fps;
  let next = performance.now();
  const tick = () => {
    draw();
    next += period;
    const now = performance.now();
    if (next < now - period) next = now; // after a stall: no burst of frames
    setTimeout(tick, Math.max(0, next - now));
  };
  tick();
  return canvas.captureStream(config.fps);
}

async function localStream() {
  if (config.source === "camera") {
    try {
      return await navigator.mediaDevices.getUserMedia({
        video: { width: config.size[0], height: config.size[1] },
        audio: false,
      });
    } catch (error) {
      log(
        `Camera unavailable (${error.name}: ${error.message}); sending the canvas`,
      );
    }
  }
  return canvasStream();
}

// ---------------------------------------------------------------- remote video

let remoteFrames = 0;

function countRemoteFrames() {
  if ("requestVideoFrameCallback" in HTMLVideoElement.prototype) {
    const onFrame = () => {
      remoteFrames++;
      ui.remote.requestVideoFrameCallback(onFrame);
    };
    ui.remote.requestVideoFrameCallback(onFrame);
  } else {
    setInterval(() => {
      remoteFrames = ui.remote.getVideoPlaybackQuality?.().totalVideoFrames ??
        0;
    }, 100);
  }
  setInterval(() => {
    ui.frames.textContent = String(remoteFrames);
    document.body.dataset.remoteFrames = String(remoteFrames);
  }, 100);
}

function sampleRemote(x, y) {
  const video = ui.remote;
  if (!video.videoWidth) return null;
  const canvas = document.createElement("canvas");
  canvas.width = video.videoWidth;
  canvas.height = video.videoHeight;
  const context = canvas.getContext("2d", { willReadFrequently: true });
  context.drawImage(video, 0, 0);
  return [...context.getImageData(x, y, 1, 1).data];
}

// ---------------------------------------------------------------- the call

/** Resolves when ICE gathering is complete (non-trickle signalling). */
function gatheringComplete(pc, timeoutMs = GATHERING_TIMEOUT_MS) {
  return new Promise((resolve) => {
    if (pc.iceGatheringState === "complete") return resolve();
    const timer = setTimeout(() => {
      log(
        `ICE gathering did not complete in ${
          timeoutMs / 1000
        } s; going on with what it found`,
      );
      done();
    }, timeoutMs);
    const check = () => {
      if (pc.iceGatheringState === "complete") done();
    };
    const done = () => {
      clearTimeout(timer);
      pc.removeEventListener("icegatheringstatechange", check);
      resolve();
    };
    pc.addEventListener("icegatheringstatechange", check);
  });
}

/** Whether this browser gathers any ICE candidate now. */
async function gathersCandidates() {
  const pc = new RTCPeerConnection({ iceServers: [] });
  try {
    pc.createDataChannel("probe");
    await pc.setLocalDescription(await pc.createOffer());
    await gatheringComplete(pc, 3000);
    return /a=candidate:/.test(pc.localDescription.sdp);
  } finally {
    pc.close();
  }
}

/**
 * Chromium without camera permission gathers only on the default route's
 * interface, and finds none where there is no default route (a
 * loopback-only network namespace, as in tests). Camera permission lifts
 * that restriction, so ask for it (and stop the camera at once) when no
 * candidate is found. With `--use-fake-ui-for-media-stream` the
 * permission is granted without a prompt.
 */
async function revealLocalAddresses() {
  if (await gathersCandidates()) return;
  log(
    "No ICE candidates (no default route?); asking for camera permission, " +
      "which lets the browser use all its local addresses",
  );
  try {
    const stream = await navigator.mediaDevices.getUserMedia({
      video: true,
      audio: false,
    });
    for (const track of stream.getTracks()) track.stop();
  } catch (error) {
    log(`Camera permission refused (${error.name}); the call may not connect`);
    return;
  }
  if (!(await gathersCandidates())) {
    log("Still no ICE candidates; the call will not connect");
  }
}

function preferCodec(transceiver) {
  if (!config.codec || !transceiver.setCodecPreferences) return;
  const codecs = RTCRtpReceiver.getCapabilities("video")?.codecs ?? [];
  const wanted = `video/${config.codec}`;
  const first = codecs.filter((c) => c.mimeType.toLowerCase() === wanted);
  if (first.length === 0) {
    log(`This browser has no ${config.codec} codec; using its default order`);
    return;
  }
  const rest = codecs.filter((c) => c.mimeType.toLowerCase() !== wanted);
  transceiver.setCodecPreferences([...first, ...rest]);
}

function warnAboutMdns(sdp) {
  if (/a=candidate:\S+ \d+ \S+ \d+ [^ ]+\.local /.test(sdp)) {
    log(
      "Warning: the browser hides its addresses behind .local names; a peer " +
        "without mDNS cannot reach it (Chromium: --disable-features=WebRtcHideLocalIpsWithMdns)",
    );
  }
  if (!/a=candidate:/.test(sdp)) {
    log(
      "Warning: no ICE candidates (Chromium on loopback only needs " +
        "--allow-loopback-in-peer-connection and camera permission)",
    );
  }
}

class Endpoint {
  /** @param {MediaStream} stream */
  constructor(stream) {
    this.stream = stream;
    this.track = stream.getVideoTracks()[0];
    this.ws = null;
    this.pc = null;
    this.peer = null;
    /** idle | offering | awaiting-answer | answering | awaiting-finished | complete */
    this.phase = "idle";
    this.members = [];
    this.peerLeft = false;
    this.generation = 0;
    this.reconnectTimer = null;
  }

  state() {
    return {
      signalling: this.phase,
      connection: this.pc?.connectionState ?? null,
      peer: this.peer,
      remoteFrames,
      joined: this.ws?.readyState === WebSocket.OPEN,
    };
  }

  /** Codecs and frame counts of the current call, from `getStats`. */
  async stats() {
    if (!this.pc) return null;
    const report = await this.pc.getStats();
    const codecs = new Map();
    const result = {
      sendCodec: null,
      receiveCodec: null,
      framesEncoded: 0,
      framesDecoded: 0,
    };
    report.forEach((entry) => {
      if (entry.type === "codec") codecs.set(entry.id, entry.mimeType);
    });
    report.forEach((entry) => {
      if (entry.kind !== "video") return;
      if (entry.type === "outbound-rtp") {
        result.sendCodec = codecs.get(entry.codecId) ?? null;
        result.framesEncoded = entry.framesEncoded ?? 0;
      } else if (entry.type === "inbound-rtp") {
        result.receiveCodec = codecs.get(entry.codecId) ?? null;
        result.framesDecoded = entry.framesDecoded ?? 0;
      }
    });
    return result;
  }

  setPhase(phase) {
    this.phase = phase;
    ui.signalling.textContent = phase;
    document.body.dataset.signalling = phase;
    ui.peer.textContent = this.peer ?? "–";
  }

  showConnection() {
    const state = this.pc?.connectionState ?? "none";
    ui.connection.textContent = state;
    document.body.dataset.connection = state;
  }

  // ---- server connection

  connect() {
    clearTimeout(this.reconnectTimer);
    this.reconnectTimer = null;
    log(
      `Connecting to ${config.server} (room "${config.room}", id "${config.id}")`,
    );
    const ws = new WebSocket(config.server);
    this.ws = ws;
    ws.onopen = () => {
      ws.send(
        JSON.stringify({ type: "join", id: config.id, room: config.room }),
      );
      log("Joined");
      if (this.phase === "idle") {
        this.setPhase(config.call ? "waiting for peer" : "waiting for call");
      }
    };
    ws.onmessage = (event) => {
      if (ws !== this.ws) return;
      let message;
      try {
        message = JSON.parse(event.data);
        if (typeof message !== "object" || message === null) {
          throw new Error("not an object");
        }
      } catch (error) {
        log(
          `Undecodable message from the server (${error.message}); reconnecting in 1 s`,
        );
        this.reconnect(DECODE_ERROR_DELAY_MS, { keepCall: true });
        return;
      }
      this.handle(message);
    };
    ws.onclose = () => {
      if (ws !== this.ws) return;
      log("Lost the signalling server; reconnecting in 5 s");
      this.reconnect(RETRY_DELAY_MS, { keepCall: true });
    };
  }

  /** Closes the server connection and opens a new one after `delay` ms. */
  reconnect(delay, { keepCall }) {
    const ws = this.ws;
    this.ws = null;
    if (ws && ws.readyState <= WebSocket.OPEN) ws.close();
    const callIsUp = this.phase === "complete" &&
      this.pc?.connectionState === "connected";
    if (!(keepCall && callIsUp)) this.teardown();
    clearTimeout(this.reconnectTimer);
    this.reconnectTimer = setTimeout(() => this.connect(), delay);
  }

  send(message) {
    if (this.ws?.readyState === WebSocket.OPEN) {
      this.ws.send(JSON.stringify(message));
    }
  }

  // ---- messages

  /** Handles one server message; a failure restarts signalling after 5 s. */
  async handle(message) {
    const generation = this.generation;
    try {
      await this.dispatch(message);
    } catch (error) {
      // A teardown meanwhile (new call, peer gone) explains the failure.
      if (generation !== this.generation && this.phase !== "offering") return;
      log(`Signalling failed (${error}); starting again in 5 s`);
      this.reconnect(RETRY_DELAY_MS, { keepCall: false });
    }
  }

  dispatch(message) {
    switch (message.type) {
      case "members":
        return this.onMembers(
          Array.isArray(message.members) ? message.members : [],
        );
      case "call":
        return this.onCall(message.from, message.offer);
      case "answer":
        return this.onAnswer(message.from, message.answer);
      case "finished":
        if (this.phase === "awaiting-finished" && message.from === this.peer) {
          this.setPhase("complete");
          log(`Signalling with "${this.peer}" complete`);
        }
        return;
      case "error":
        log(`Server error: ${message.error}; retrying in 5 s`);
        this.reconnect(RETRY_DELAY_MS, { keepCall: false });
        return;
      default:
        return;
    }
  }

  async onMembers(members) {
    this.members = members;
    log(`Members: ${members.join(", ")}`);
    const peer = config.call ?? this.peer;
    const present = peer !== null && members.includes(peer);
    if (this.phase === "complete") {
      if (!present) this.peerLeft = true;
      else if (this.peerLeft && config.call) {
        log(`"${peer}" came back; calling again`);
        this.teardown();
        await this.startCall();
      }
      return;
    }
    if (!present && this.peer !== null) {
      log(`"${this.peer}" left during signalling; starting again`);
      this.teardown();
    }
    if (
      config.call && this.phase.startsWith("waiting") &&
      members.includes(config.call)
    ) {
      await this.startCall();
    }
  }

  /** Caller: offer to `config.call`. */
  async startCall() {
    const generation = ++this.generation;
    this.peer = config.call;
    this.setPhase("offering");
    const pc = this.newPeerConnection();
    const transceiver = pc.addTransceiver(this.track, {
      direction: "sendrecv",
      streams: [this.stream],
    });
    preferCodec(transceiver);
    await pc.setLocalDescription(await pc.createOffer());
    await gatheringComplete(pc);
    if (generation !== this.generation) return;
    const sdp = pc.localDescription.sdp;
    warnAboutMdns(sdp);
    this.send({ type: "call", to: this.peer, offer: sdp });
    this.setPhase("awaiting-answer");
    log(`Called "${this.peer}"`);
  }

  async onAnswer(from, sdp) {
    if (
      this.phase !== "awaiting-answer" || from !== this.peer ||
      typeof sdp !== "string"
    ) return;
    await this.pc.setRemoteDescription({ type: "answer", sdp });
    this.send({ type: "finished", to: from });
    this.peerLeft = false;
    this.setPhase("complete");
    log(`Signalling with "${from}" complete`);
  }

  /** Answerer: answer any call, replacing a current one. */
  async onCall(from, sdp) {
    if (config.call || typeof from !== "string" || typeof sdp !== "string") {
      return;
    }
    this.teardown();
    const generation = ++this.generation;
    this.peer = from;
    this.setPhase("answering");
    log(`Call from "${from}"`);
    const pc = this.newPeerConnection();
    await pc.setRemoteDescription({ type: "offer", sdp });
    const transceiver = pc.getTransceivers().find((t) =>
      t.receiver.track.kind === "video"
    );
    if (transceiver) {
      transceiver.direction = "sendrecv";
      await transceiver.sender.replaceTrack(this.track);
      transceiver.sender.setStreams?.(this.stream);
      preferCodec(transceiver);
    } else {
      pc.addTrack(this.track, this.stream);
    }
    await pc.setLocalDescription(await pc.createAnswer());
    await gatheringComplete(pc);
    if (generation !== this.generation) return;
    const answer = pc.localDescription.sdp;
    warnAboutMdns(answer);
    this.send({ type: "answer", to: from, answer });
    this.setPhase("awaiting-finished");
  }

  // ---- peer connection

  newPeerConnection() {
    const pc = new RTCPeerConnection({ iceServers: config.iceServers });
    this.pc = pc;
    pc.ontrack = (event) => {
      log(`Receiving ${event.track.kind}`);
      ui.remote.srcObject = event.streams[0] ?? new MediaStream([event.track]);
    };
    pc.onconnectionstatechange = () => {
      if (pc !== this.pc) return;
      log(`Connection ${pc.connectionState}`);
      this.showConnection();
      if (pc.connectionState === "failed" || pc.connectionState === "closed") {
        log("The call ended; signalling again");
        this.reconnect(0, { keepCall: false });
      }
    };
    this.showConnection();
    return pc;
  }

  teardown() {
    this.generation++;
    const pc = this.pc;
    this.pc = null;
    if (pc) {
      pc.onconnectionstatechange = null;
      pc.close();
    }
    ui.remote.srcObject = null;
    this.peer = null;
    this.peerLeft = false;
    this.setPhase(config.call ? "waiting for peer" : "waiting for call");
    this.showConnection();
  }
}

async function main() {
  countRemoteFrames();
  if (!config.room || !config.id) {
    ui.usage.style.display = "block";
    log("Missing room= or id= in the query string");
    document.body.dataset.signalling = "unconfigured";
    return;
  }
  const stream = await localStream();
  ui.local.srcObject = stream;
  await revealLocalAddresses();
  const endpoint = new Endpoint(stream);
  globalThis.flitterCall = {
    config,
    state: () => endpoint.state(),
    stats: () => endpoint.stats(),
    sampleRemote,
    remoteSize: () => [ui.remote.videoWidth, ui.remote.videoHeight],
  };
  endpoint.connect();
}

main().catch((error) => log(`Failed: ${error}`));

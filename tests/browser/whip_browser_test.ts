// deno-test-isolated: libwebrtc may abort when Deno tears this runtime down
// A web page (headless Chromium, from a file: URL, so another origin than
// the server's) publishes a canvas to a rig through our server's WHIP
// endpoint and then watches the rig through WHEP, with a bearer token: the
// browser's own CORS checks (preflight for Authorization, Location exposed)
// and WebRTC against ours. Run inside scripts/in_loopback_netns.sh.
import assert from "node:assert/strict";
import { readImageFile } from "../../lib/media/image_file.ts";
import {
  CHROMIUM,
  chromiumIsInstalled,
  type Endpoint,
  launchBrowser,
  openCallPage,
  startEndpoint,
} from "./_browser_call.ts";
import { type ServerProcess, startServer } from "../server/_server_process.ts";

type Rgb = readonly [number, number, number];

/** What the rig sends. */
const RIGS: Rgb = [210, 90, 30];
/** What the page's canvas sends. */
const PAGES: Rgb = [40, 110, 220];
const TOLERANCE = 16;

const near = (a: readonly number[], b: Rgb) =>
  b.every((c, i) => Math.abs(a[i] - c) <= TOLERANCE);

const installed = chromiumIsInstalled();
if (!installed) {
  console.warn(`Skipping the browser WHIP test: ${CHROMIUM} is missing`);
}

/** Mean colour of the middle of the rig's recorded picture, or `null` before it exists. */
async function recorded(path: string): Promise<Rgb | null> {
  try {
    const { width, height, data } = await readImageFile(path);
    const sum = [0, 0, 0];
    let n = 0;
    for (let y = height / 4; y < height * 3 / 4; y++) {
      for (let x = width / 4; x < width * 3 / 4; x++) {
        const i = (y * width + x) * 4;
        for (let c = 0; c < 3; c++) sum[c] += data[i + c];
        n++;
      }
    }
    return sum.map((v) => Math.round(v / n)) as unknown as Rgb;
  } catch (error) {
    // Not written yet (readImageFile wraps the error, naming the file).
    const cause = (error as Error).cause;
    if (
      error instanceof Deno.errors.NotFound ||
      cause instanceof Deno.errors.NotFound
    ) return null;
    throw error;
  }
}

/** The script the page runs: publish (WHIP) a solid canvas, or watch (WHEP) into a video element. */
const PAGE_SCRIPT = `
globalThis.whipTest = {
  async call(url, token, publish, colour) {
    // Camera permission lifts Chromium's address policy (no default route here).
    const camera = await navigator.mediaDevices.getUserMedia({ video: true });
    for (const track of camera.getTracks()) track.stop();
    const pc = new RTCPeerConnection();
    if (publish) {
      const canvas = document.createElement("canvas");
      canvas.width = 160;
      canvas.height = 120;
      const context = canvas.getContext("2d");
      setInterval(() => {
        context.fillStyle = colour;
        context.fillRect(0, 0, 160, 120);
      }, 50);
      const [track] = canvas.captureStream(15).getVideoTracks();
      pc.addTransceiver(track, { direction: "sendonly" });
    } else {
      pc.addTransceiver("video", { direction: "recvonly" });
      const video = document.createElement("video");
      video.muted = true;
      video.autoplay = true;
      video.playsInline = true;
      document.body.append(video);
      pc.ontrack = (event) => {
        video.srcObject = new MediaStream([event.track]);
        video.play().catch(() => {});
      };
      this.video = video;
    }
    await pc.setLocalDescription(await pc.createOffer());
    await new Promise((resolve) => {
      if (pc.iceGatheringState === "complete") resolve();
      pc.onicegatheringstatechange = () => {
        if (pc.iceGatheringState === "complete") resolve();
      };
    });
    const response = await fetch(url, {
      method: "POST",
      headers: { "Content-Type": "application/sdp", Authorization: "Bearer " + token },
      body: pc.localDescription.sdp,
    });
    const answer = await response.text();
    const location = response.headers.get("Location");
    if (response.status === 201) {
      await pc.setRemoteDescription({ type: "answer", sdp: answer });
    }
    this.pc = pc;
    return { status: response.status, location, answer };
  },
  sample() {
    const video = this.video;
    if (!video || !video.videoWidth) return null;
    const canvas = document.createElement("canvas");
    canvas.width = video.videoWidth;
    canvas.height = video.videoHeight;
    const context = canvas.getContext("2d");
    context.drawImage(video, 0, 0);
    return Array.from(context.getImageData(canvas.width / 2, canvas.height / 2, 1, 1).data);
  },
  async hangUp(location, token) {
    const response = await fetch(location, {
      method: "DELETE",
      headers: { Authorization: "Bearer " + token },
    });
    this.pc.close();
    return response.status;
  },
};
`;

interface CallResult {
  status: number;
  location: string | null;
  answer: string;
}

/** Polls `probe` every 200 ms until `accept` holds; explains a timeout with `context`. */
async function waitUntil<T>(
  what: string,
  probe: () => Promise<T>,
  accept: (value: T) => boolean,
  context: () => string,
  timeoutMs = 30_000,
): Promise<T> {
  const deadline = performance.now() + timeoutMs;
  let last: T | undefined;
  while (performance.now() < deadline) {
    last = await probe();
    if (accept(last)) return last;
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
  throw new Error(
    `Timed out waiting for ${what}; last: ${
      JSON.stringify(last)
    }\n${context()}`,
  );
}

Deno.test({
  name:
    "a web page from another origin publishes to a rig with WHIP and watches it with WHEP, through CORS and a bearer token",
  ignore: !installed,
  sanitizeOps: false,
  sanitizeResources: false,
  fn: async () => {
    const dir = await Deno.makeTempDir({ prefix: "whip_browser_" });
    const png = `${dir}/received.png`;
    let server: ServerProcess | null = null;
    let rig: Endpoint | null = null;
    const browser = await openCallPage(await launchBrowser(), {
      room: "",
      id: "",
      call: null,
      color: "#000000",
      size: "160x120",
      fps: 15,
    });
    const context = () =>
      [
        `--- server:\n${server?.output().slice(-2000) ?? ""}`,
        `--- rig:\n${rig?.output().slice(-3000) ?? ""}`,
        `--- page:\n${browser.log().slice(-3000)}`,
      ].join("\n");
    try {
      server = await startServer(["--token=t0ken"]);
      const http = server.url.replace(/^ws/, "http");
      rig = await startEndpoint({
        dir,
        url: server.url,
        room: "studio",
        id: "stage",
        call: null,
        colour: RIGS,
        png,
      });
      const page = browser.page;
      await page.evaluate(PAGE_SCRIPT);
      const call = (url: string, publish: boolean) =>
        page.evaluate(
          ([url, publish, colour]) =>
            (globalThis as unknown as {
              whipTest: {
                call(
                  url: string,
                  token: string,
                  publish: boolean,
                  colour: string,
                ): Promise<CallResult>;
              };
            }).whipTest.call(url, "t0ken", publish, colour),
          [url, publish, `rgb(${PAGES.join(",")})`] as const,
        );
      // The rig may not have joined yet: 404 until it has.
      const published = await waitUntil(
        "the WHIP offer to be answered",
        () => call(`${http}whip/studio/stage`, true),
        (result) => result.status !== 404,
        context,
      );
      assert.equal(published.status, 201, published.answer + context());
      // Location is readable from another origin: exposed by CORS.
      assert.match(published.location ?? "", /^\/whip\/studio\/stage\/.+/);
      await waitUntil(
        "the page's colour in the rig's picture",
        () => recorded(png),
        (rgb) => rgb !== null && near(rgb, PAGES),
        context,
      );
      const hangUp = (location: string) =>
        page.evaluate(
          (location) =>
            (globalThis as unknown as {
              whipTest: { hangUp(l: string, t: string): Promise<number> };
            }).whipTest.hangUp(location, "t0ken"),
          new URL(location, http).href,
        );
      assert.equal(await hangUp(published.location!), 200);
      const watched = await call(`${http}whep/studio/stage`, false);
      assert.equal(watched.status, 201, watched.answer + context());
      await waitUntil(
        "the rig's colour in the page's video",
        () =>
          page.evaluate(() =>
            (globalThis as unknown as {
              whipTest: { sample(): number[] | null };
            }).whipTest.sample()
          ),
        (rgba) => rgba !== null && near(rgba, RIGS),
        context,
      );
      assert.equal(await hangUp(watched.location!), 200);
    } finally {
      await browser.close();
      await rig?.stop();
      await server?.stop();
      await Deno.remove(dir, { recursive: true });
    }
  },
});

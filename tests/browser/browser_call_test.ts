// deno-test-isolated: libwebrtc may abort when Deno tears this runtime down
// A real browser (Debian's Chromium, driven by playwright-core) as one end
// of a call, our CLI running a scene as the other, through our signalling
// server. WebRTC needs a network namespace with only `lo`: run inside
// scripts/in_loopback_netns.sh (`deno task test` does).
import assert from "node:assert/strict";
import { startStunServer } from "../webrtc/_stun_server.ts";
import { readImageFile } from "../../lib/media/image_file.ts";
import {
  type BrowserCall,
  CHROMIUM,
  chromiumIsInstalled,
  type Endpoint,
  launchBrowser,
  openCallPage,
  startEndpoint,
} from "./_browser_call.ts";
import { startServer } from "../server/_server_process.ts";

/** RGB triple, 0–255. */
type Rgb = readonly [number, number, number];

/** What our scene sends (sRGB bytes; the shader writes their linear values). */
const OURS: Rgb = [210, 90, 30];
/** What the browser's canvas sends in the top half of its frames. */
const BROWSERS: Rgb = [40, 110, 220];
/**
 * VP8, RGB → I420 (BT.601, limited range) on each side and back, and sRGB
 * conversions in between: each channel lands within this (measured: 6).
 */
const TOLERANCE = 16;

const hex = (rgb: Rgb) =>
  "#" + rgb.map((c) => c.toString(16).padStart(2, "0")).join("");

function near(actual: Rgb, expected: Rgb, tolerance = TOLERANCE): boolean {
  return actual.every((c, i) => Math.abs(c - expected[i]) <= tolerance);
}

const installed = chromiumIsInstalled();
if (!installed) {
  console.warn(
    `Skipping the browser call tests: ${CHROMIUM} is missing ` +
      "(scripts/setup.sh --test installs Chromium)",
  );
}

/** Mean colour of our PNG's middle half of columns, rows 20–45 % (the browser's solid area). */
async function recordedColour(path: string): Promise<Rgb | null> {
  try {
    await Deno.stat(path);
  } catch (error) {
    // Not written yet (`!record` replaces the file atomically).
    if (error instanceof Deno.errors.NotFound) return null;
    throw error;
  }
  const { width, height, data } = await readImageFile(path);
  const sum = [0, 0, 0];
  let n = 0;
  for (let y = Math.floor(height * 0.2); y < Math.floor(height * 0.45); y++) {
    for (let x = Math.floor(width / 4); x < Math.floor(width * 3 / 4); x++) {
      const i = (y * width + x) * 4;
      sum[0] += data[i];
      sum[1] += data[i + 1];
      sum[2] += data[i + 2];
      n++;
    }
  }
  return [sum[0] / n, sum[1] / n, sum[2] / n].map(Math.round) as unknown as Rgb;
}

/** Polls `probe` every 200 ms until `accept` holds for its value; explains a timeout. */
async function waitUntil<T>(
  what: string,
  probe: () => Promise<T>,
  accept: (value: T) => boolean,
  timeoutMs: number,
  context: () => string,
): Promise<T> {
  const deadline = performance.now() + timeoutMs;
  let last: T | undefined;
  while (performance.now() < deadline) {
    last = await probe();
    if (accept(last)) return last;
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
  throw new Error(
    `Timed out waiting for ${what}; last seen: ${
      JSON.stringify(last)
    }\n${context()}`,
  );
}

/**
 * Runs one call between the browser and our endpoint and checks the
 * pictures both ways. `browserCalls`: the page calls `deno`; otherwise our
 * scene calls `browser`. `servedPage`: the browser opens the page the
 * signalling server serves, with no `server=` in the link.
 */
async function callBothWays(
  browserCalls: boolean,
  servedPage = false,
): Promise<void> {
  const room = `browser-${browserCalls ? "calls" : "answers"}-${
    crypto.randomUUID().slice(0, 8)
  }`;
  const dir = await Deno.makeTempDir({ prefix: "browser_call_" });
  const png = `${dir}/received.png`;
  const server = await startServer([]);
  // The calling browser also gets a STUN server (the page's `ice=`).
  const stun = browserCalls
    ? await startStunServer({ mapped: { address: "127.0.0.9", port: 40_125 } })
    : null;
  let endpoint: Endpoint | null = null;
  let browser: BrowserCall | null = null;
  const context = () =>
    [
      `--- server:\n${server.output().slice(-2000)}`,
      `--- our endpoint:\n${endpoint?.output().slice(-4000) ?? ""}`,
      `--- browser page log:\n${browser?.log().slice(-4000) ?? ""}`,
    ].join("\n");
  try {
    endpoint = await startEndpoint({
      dir,
      url: server.url,
      room,
      id: "deno",
      call: browserCalls ? null : "browser",
      colour: OURS,
      png,
    });
    const pageUrl = servedPage ? server.url.replace(/^ws/, "http") : undefined;
    browser = await openCallPage(await launchBrowser(), {
      server: servedPage ? undefined : server.url,
      room,
      id: "browser",
      call: browserCalls ? "deno" : null,
      color: hex(BROWSERS),
      size: "160x120",
      fps: 15,
      ice: stun ? [stun.url] : undefined,
    }, pageUrl);
    const page = browser.page;

    await waitUntil(
      "the browser's connection to be connected",
      () =>
        page.evaluate(() =>
          (globalThis as unknown as {
            flitterCall?: { state(): { connection: string | null } };
          }).flitterCall?.state().connection ?? null
        ),
      (state) => state === "connected",
      // Seconds normally; generous for a loaded machine (our CLI starting).
      30_000,
      context,
    );

    const centre = await waitUntil(
      "our colour at the centre of the browser's received video",
      () =>
        page.evaluate(() => {
          const call = (globalThis as unknown as {
            flitterCall: {
              remoteSize(): [number, number];
              sampleRemote(x: number, y: number): number[] | null;
            };
          }).flitterCall;
          const [width, height] = call.remoteSize();
          if (!width || !height) return null;
          return call.sampleRemote(
            Math.floor(width / 2),
            Math.floor(height / 2),
          );
        }),
      (rgba) => rgba !== null && near([rgba[0], rgba[1], rgba[2]], OURS),
      15_000,
      context,
    );
    assert.ok(centre !== null);

    const seen = await waitUntil(
      "the browser's colour in our recorded PNG",
      () => recordedColour(png),
      (rgb) => rgb !== null && near(rgb, BROWSERS),
      15_000,
      context,
    );
    assert.ok(seen !== null && near(seen, BROWSERS));

    const stats = await page.evaluate(() =>
      (globalThis as unknown as {
        flitterCall: { stats(): Promise<Record<string, unknown> | null> };
      }).flitterCall.stats()
    );
    assert.ok(stats !== null, "the page reports no call statistics");
    assert.ok(
      Number(stats.framesDecoded) > 0 && Number(stats.framesEncoded) > 0,
      `the browser decoded or encoded no frames: ${JSON.stringify(stats)}`,
    );
    if (stun) {
      assert.ok(stun.requests > 0, "the page's STUN server got no request");
    }
  } finally {
    await stun?.close();
    await browser?.close();
    await endpoint?.stop();
    await server.stop();
    await Deno.remove(dir, { recursive: true });
  }
}

Deno.test({
  name:
    "a browser calls our CLI endpoint (using a STUN server given by ice=) and each side shows the other's colour",
  ignore: !installed,
  // playwright-core (Node compatibility) keeps timers and pipes to Chromium
  // that close asynchronously after browser.close().
  sanitizeOps: false,
  sanitizeResources: false,
  fn: () => callBothWays(true),
});

Deno.test({
  name:
    "our CLI endpoint calls a browser and each side shows the other's colour",
  ignore: !installed,
  sanitizeOps: false,
  sanitizeResources: false,
  fn: () => callBothWays(false),
});

Deno.test({
  name:
    "a browser opens the page our server serves, with no server= in the link, and calls our CLI endpoint through that server",
  ignore: !installed,
  sanitizeOps: false,
  sanitizeResources: false,
  fn: () => callBothWays(true, true),
});

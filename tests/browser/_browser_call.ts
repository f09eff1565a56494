/**
 * Helpers of the browser call tests: Chromium through playwright-core with
 * the flags a loopback-only call needs, the example page
 * (`examples/browser/index.html`) opened from a `file:` URL, and our CLI
 * running a one-node `!webrtc` scene as a real process.
 *
 * @module
 */

import { type Browser, chromium, type Page } from "npm:playwright-core@1.56.1";

/** Where `scripts/setup.sh --test` installs Chromium (Debian's package). */
export const CHROMIUM = "/usr/bin/chromium";

const PAGE = new URL("../../examples/browser/index.html", import.meta.url);
const CLI = new URL("../../cli.ts", import.meta.url).pathname;

/**
 * Chromium flags: headless on a machine without GPU or network; loopback
 * ICE candidates allowed; camera permission granted without a prompt (the
 * page asks for it when it finds no candidate, which lifts Chromium's
 * default-route-only address policy) with a fake camera.
 */
export const CHROMIUM_ARGS: readonly string[] = [
  "--no-sandbox",
  "--disable-gpu",
  "--disable-quic",
  "--no-first-run",
  "--disable-background-networking",
  "--disable-component-update",
  "--disable-sync",
  "--allow-loopback-in-peer-connection",
  "--use-fake-ui-for-media-stream",
  "--use-fake-device-for-media-stream",
];

/** Whether {@linkcode CHROMIUM} exists. */
export function chromiumIsInstalled(): boolean {
  try {
    return Deno.statSync(CHROMIUM).isFile;
  } catch {
    return false;
  }
}

/** Launches headless Chromium (playwright gives it a fresh profile directory). */
export async function launchBrowser(): Promise<Browser> {
  return await chromium.launch({
    executablePath: CHROMIUM,
    headless: true,
    args: [...CHROMIUM_ARGS],
  });
}

/** The example page's query parameters (see examples/browser/client.js). */
export interface PageParams {
  /** The signalling server (leave out with a page served by the server itself). */
  server?: string;
  room: string;
  id: string;
  /** ID to call, or `null` to wait for a call. */
  call: string | null;
  color: string;
  size: string;
  fps: number;
  /** STUN/TURN server URLs (`ice=`, repeated). */
  ice?: string[];
}

/** An open call page and the browser that shows it. */
export interface BrowserCall {
  browser: Browser;
  page: Page;
  /** The page's console output and errors so far. */
  log: () => string;
  /** Closes the browser (and the page's call). */
  close: () => Promise<void>;
}

/**
 * Opens the example page in `browser` with `params` (from `pageUrl`: by
 * default its file, else e.g. the signalling server serving it); the page
 * starts signalling at once.
 */
export async function openCallPage(
  browser: Browser,
  params: PageParams,
  pageUrl: string | URL = PAGE,
): Promise<BrowserCall> {
  let text = "";
  try {
    const page = await browser.newPage();
    page.on("console", (message) => {
      text += `${message.text()}\n`;
    });
    page.on("pageerror", (error) => {
      text += `page error: ${error.message}\n`;
    });
    const url = new URL(pageUrl);
    for (const [key, value] of Object.entries(params)) {
      if (Array.isArray(value)) {
        for (const item of value) url.searchParams.append(key, String(item));
      } else if (value !== null && value !== undefined) {
        url.searchParams.set(key, String(value));
      }
    }
    await page.goto(url.href);
    return {
      browser,
      page,
      log: () => text,
      close: () => browser.close(),
    };
  } catch (error) {
    await browser.close();
    throw error;
  }
}

/** Options of our endpoint process. */
export interface EndpointOptions {
  /** A temporary folder for the scene file. */
  dir: string;
  /** Signalling server URL. */
  url: string;
  room: string;
  id: string;
  /** ID to call, or `null` to answer. */
  call: string | null;
  /** The solid colour the scene sends, sRGB bytes. */
  colour: readonly [number, number, number];
  /** Where `!record` writes the received image. */
  png: string;
}

/** Our CLI running the endpoint scene. */
export interface Endpoint {
  child: Deno.ChildProcess;
  /** Its output (stdout and stderr) so far. */
  output: () => string;
  /** Asks it to stop (SIGTERM; SIGKILL after 5 s) and waits for its exit. */
  stop: () => Promise<void>;
}

function linear(byte: number): number {
  const c = byte / 255;
  return c <= 0.04045 ? c / 12.92 : ((c + 0.055) / 1.055) ** 2.4;
}

/**
 * The endpoint scene: a 160x120 `!webrtc` sending a solid colour through
 * `!websocket` (URL, ROOM, ID and CALL from `--define`; an empty CALL
 * answers), and a `!record` of what it shows (the peer's picture once the
 * call is up) to PNG.
 */
export function endpointScene(
  colour: readonly [number, number, number],
): string {
  const rgb = colour.map((c) => linear(c).toFixed(6)).join(", ");
  return `
[[nodes]]
kind = "!webrtc"
id = "call"
size = [160, 120]
state = ":call"

  [[nodes.children]]
  kind = "!websocket"
  url = "=URL"
  room = "=ROOM"
  id = "=ID"
  call = "=CALL"

  [[nodes.children]]
  kind = "!shader"
  fragment = """
\${HEADER}
out vec4 color;
void main() {
    color = vec4(${rgb}, 1.0);
}
"""

[[nodes]]
kind = "!record"
filename = "=PNG"
size = [160, 120]

  [[nodes.children]]
  kind = "!reference"
  id = "call"
`;
}

/** Writes the endpoint scene into `options.dir` and runs it with the CLI at 15 fps. */
export async function startEndpoint(
  options: EndpointOptions,
): Promise<Endpoint> {
  const scene = `${options.dir}/endpoint.toml`;
  await Deno.writeTextFile(scene, endpointScene(options.colour));
  const child = new Deno.Command(Deno.execPath(), {
    args: [
      "run",
      "-A",
      CLI,
      "run",
      scene,
      "--fps",
      "15",
      "--define",
      `URL=${options.url}`,
      "--define",
      `ROOM=${options.room}`,
      "--define",
      `ID=${options.id}`,
      "--define",
      `CALL=${options.call ?? ""}`,
      "--define",
      `PNG=${options.png}`,
    ],
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  let text = "";
  const decoder = new TextDecoder();
  const pump = async (stream: ReadableStream<Uint8Array>) => {
    for await (const chunk of stream) {
      text += decoder.decode(chunk, { stream: true });
    }
  };
  const pumps = Promise.all([pump(child.stdout), pump(child.stderr)]);
  return {
    child,
    output: () => text,
    stop: async () => {
      try {
        child.kill("SIGTERM");
      } catch {
        // Already exited.
      }
      const timer = setTimeout(() => {
        try {
          child.kill("SIGKILL");
        } catch {
          // Exited meanwhile.
        }
      }, 5000);
      await child.status;
      clearTimeout(timer);
      await pumps;
    },
  };
}

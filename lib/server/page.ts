/**
 * The browser page served by the signalling server: `GET /` (and
 * `/index.html`) gives `examples/browser/index.html`, `/client.js` its
 * script, so a phone or laptop joins a call by opening one link such as
 * `http://server:8080/?room=studio&id=phone&call=stage`. Served from the
 * server's own origin, the page takes that origin as its signalling server
 * (`ws://` or `wss://` and the same host and port), so `server=` can be
 * left out.
 *
 * The files are read once, when the server starts, relative to this
 * module (`import.meta.url`), which also works inside a `deno compile`d
 * executable (`scripts/compile.ts` includes `examples/`) and when the
 * module is imported by an `https:` URL. A GET with `Upgrade: websocket` is
 * not the page's: the signalling socket stays at `/`.
 *
 * @module
 */

import type { Logger } from "../log/logger.ts";

/** The page's files: URL path → file name in `examples/browser/`, and its media type. */
const FILES: ReadonlyArray<[string, string, string]> = [
  ["/", "index.html", "text/html; charset=utf-8"],
  ["/index.html", "index.html", "text/html; charset=utf-8"],
  ["/client.js", "client.js", "text/javascript; charset=utf-8"],
];

const FOLDER = new URL("../../examples/browser/", import.meta.url);

/** Reads `name` from the page's folder (a `file:` URL directly, others with `fetch`). */
async function readFile(name: string): Promise<Uint8Array> {
  const url = new URL(name, FOLDER);
  if (url.protocol === "file:") return await Deno.readFile(url);
  const response = await fetch(url);
  if (!response.ok) {
    await response.body?.cancel();
    throw new Error(`${url}: ${response.status} ${response.statusText}`);
  }
  return new Uint8Array(await response.arrayBuffer());
}

/** The page's files, loaded, answering `GET` and `HEAD` for their paths. */
export class BrowserPage {
  readonly #files: ReadonlyMap<string, { body: Uint8Array; type: string }>;

  private constructor(
    files: ReadonlyMap<string, { body: Uint8Array; type: string }>,
  ) {
    this.#files = files;
  }

  /**
   * Loads the page's files; `null` (after logging a warning) when one of
   * them cannot be read, so the server runs without the page.
   */
  static async load(log: Logger): Promise<BrowserPage | null> {
    const files = new Map<string, { body: Uint8Array; type: string }>();
    const read = new Map<string, Uint8Array>();
    try {
      for (const [path, name, type] of FILES) {
        let body = read.get(name);
        if (body === undefined) {
          body = await readFile(name);
          read.set(name, body);
        }
        files.set(path, { body, type });
      }
    } catch (error) {
      log.warn(
        `Cannot serve the browser page: ${
          error instanceof Error ? error.message : String(error)
        }`,
      );
      return null;
    }
    return new BrowserPage(files);
  }

  /**
   * The page's file for `request`, or `null` when the request is not for
   * one (another path, another method, or a WebSocket upgrade).
   */
  handle(request: Request): Response | null {
    if (request.method !== "GET" && request.method !== "HEAD") return null;
    if (request.headers.get("upgrade")?.toLowerCase() === "websocket") {
      return null;
    }
    const file = this.#files.get(new URL(request.url).pathname);
    if (file === undefined) return null;
    return new Response(request.method === "HEAD" ? null : file.body.slice(), {
      headers: {
        "content-type": file.type,
        "content-length": String(file.body.length),
        "cache-control": "no-cache",
        "x-content-type-options": "nosniff",
      },
    });
  }
}

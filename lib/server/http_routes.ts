/**
 * The signalling server's HTTP routes besides the WebSocket at `/`: WHIP
 * and WHEP (`/whip/…`, `/whep/…`, see `whip.ts`) and, when asked for, the
 * browser page (`GET /`, `/client.js`, see `page.ts`). The server asks
 * {@linkcode HttpRoutes.handle} first and handles the request itself when
 * it gets `null` (the WebSocket upgrade, its own text page, 404s). A server
 * that parses HTTP itself instead of using `Deno.serve` reaches the routes
 * through `fetch_bridge.ts` (request body, `Request`, response bytes).
 *
 * @module
 */

import type { Logger } from "../log/logger.ts";
import type { RoomRegistry } from "./rooms.ts";
import { BrowserPage } from "./page.ts";
import { WhipGateway, type WhipOptions } from "./whip.ts";

/** Options of the HTTP routes (part of the server's options). */
export interface HttpRoutesOptions extends WhipOptions {
  /** Serve the browser page at `/` (default `false`; `server.ts` turns it on unless `--no-page`). */
  page?: boolean;
}

/** WHIP, WHEP and the browser page of one server. */
export class HttpRoutes {
  /** The WHIP and WHEP endpoints. */
  readonly whip: WhipGateway;
  readonly #page: BrowserPage | null;

  private constructor(whip: WhipGateway, page: BrowserPage | null) {
    this.whip = whip;
    this.#page = page;
  }

  /** Makes the routes for `rooms` (loading the page's files when `options.page`). */
  static async create(
    rooms: RoomRegistry,
    options: HttpRoutesOptions,
    log: Logger,
  ): Promise<HttpRoutes> {
    const page = options.page ? await BrowserPage.load(log) : null;
    return new HttpRoutes(new WhipGateway(rooms, options, log), page);
  }

  /** The response to `request`, or `null` when the server handles it itself. */
  handle(request: Request): Response | Promise<Response> | null {
    return this.whip.handle(request) ?? this.#page?.handle(request) ?? null;
  }

  /** Ends every WHIP and WHEP session (before the server stops listening). */
  close(): void {
    this.whip.close();
  }
}

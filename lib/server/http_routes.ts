/**
 * The signalling server's HTTP routes besides the WebSocket at `/`: WHIP
 * and WHEP (`/whip/…`, `/whep/…`, see `whip.ts`). The server asks
 * {@linkcode HttpRoutes.handle} first and handles the request itself when
 * it gets `null` (the WebSocket upgrade, its own text page, 404s).
 *
 * @module
 */

import type { Logger } from "../log/logger.ts";
import type { RoomRegistry } from "./rooms.ts";
import { WhipGateway, type WhipOptions } from "./whip.ts";

/** Options of the HTTP routes (part of the server's options). */
export type HttpRoutesOptions = WhipOptions;

/** WHIP and WHEP of one server. */
export class HttpRoutes {
  /** The WHIP and WHEP endpoints. */
  readonly whip: WhipGateway;

  private constructor(whip: WhipGateway) {
    this.whip = whip;
  }

  /** Makes the routes for `rooms`. */
  static async create(
    rooms: RoomRegistry,
    options: HttpRoutesOptions,
    log: Logger,
  ): Promise<HttpRoutes> {
    return await Promise.resolve(
      new HttpRoutes(new WhipGateway(rooms, options, log)),
    );
  }

  /** The response to `request`, or `null` when the server handles it itself. */
  handle(request: Request): Response | Promise<Response> | null {
    return this.whip.handle(request);
  }

  /** Ends every WHIP and WHEP session (before the server stops listening). */
  close(): void {
    this.whip.close();
  }
}

/**
 * WHIP (RFC 9725) and WHEP on the signalling server: an HTTP client (OBS,
 * GStreamer, a browser) calls a rig that waits in a room, with no change to
 * the rig.
 *
 * `POST /whip/ROOM/ID` (`Content-Type: application/sdp`) publishes to the
 * endpoint `ID` of room `ROOM`; `POST /whep/ROOM/ID` watches it (ROOM and
 * ID are single path segments, percent-encoded). The server joins the room
 * as the member `whip:ID` (or `whep:ID`), sends the offer to `ID` as a
 * normal `call` message, and the rig's `answer` comes back as
 * `201 Created` with the answer SDP and a `Location` header naming the
 * session, `/whip/ROOM/ID/SESSION`; the server then sends the rig
 * `finished`, as a calling endpoint does, and `stay`. The member stays in
 * the room for the life of the call: `DELETE` on the session's URL sends
 * the rig `hangup` and makes the member leave. `stay` and `hangup` are the
 * messages with which endpoints that stay in the room announce it and end a
 * call: our rigs end the call at `hangup`, or when a peer that said `stay`
 * goes missing from the room (endpoints that know neither ignore them). The session also ends (with `hangup`) when a new session of
 * the same kind to the same endpoint replaces it (a rig holds one call) and
 * when an offer is refused after reaching the rig; and (without) when the
 * rig leaves the room or the server closes (the call itself may go on).
 *
 * What is refused, and how:
 *
 * | request                                              | answer                    |
 * | ---------------------------------------------------- | ------------------------- |
 * | no or a wrong `Authorization: Bearer` (with a token) | 401, `WWW-Authenticate`   |
 * | a body that is not `application/sdp`                 | 415, `Accept-Post`        |
 * | an offer over 60 KiB                                 | 413                       |
 * | an offer a rig cannot take (see `sdp_check.ts`)      | 400                       |
 * | no such room, or no such endpoint in it              | 404                       |
 * | `whip:ID` taken by a WebSocket client                | 409                       |
 * | the rig answers with no video accepted               | 422                       |
 * | the rig leaves before answering, the server closes   | 503                       |
 * | no answer within the timeout (`whipTimeout`, 15 s)   | 504                       |
 * | `PATCH` (trickle ICE, ICE restart: not supported)    | 405, `Allow`              |
 * | an unknown session                                   | 404                       |
 * | other methods                                        | 405, `Allow`              |
 *
 * Signalling is non-trickle, which WHIP allows: the answer holds all the
 * rig's candidates. Every response carries CORS headers
 * (`Access-Control-Allow-Origin: *`, `Location` exposed) and `OPTIONS` is
 * answered as a preflight, so web pages can publish and watch. A token, when
 * set, is needed for `POST` and `DELETE`, not for `OPTIONS`.
 *
 * A client that goes away while its offer waits for the answer is not
 * noticed (Deno's `request.signal` also fires after every response, with a
 * warning): the session is made all the same, and ends when the rig, whose
 * call then fails, leaves the room to signal again, or with a new session
 * to the same endpoint.
 *
 * @module
 */

import type { Logger } from "../log/logger.ts";
import { RateLimitedWarn } from "./_rate_limited_warn.ts";
import type { MemberConnection, RoomRegistry } from "./rooms.ts";
import {
  answerHasVideo,
  type HttpCallKind,
  isSdp,
  offerProblem,
} from "./sdp_check.ts";
import {
  BodyTooLargeError,
  CORS_HEADERS,
  preflightHeaders,
  readBody,
  textResponse,
  unauthorized,
} from "./_http_util.ts";

/** Options of the WHIP and WHEP endpoints. */
export interface WhipOptions {
  /** Bearer token that `POST` and `DELETE` must carry (default none: open to anyone). */
  token?: string;
  /** Seconds to wait for a rig's answer before answering 504 (default 15). */
  whipTimeout?: number;
}

/** Default of {@linkcode WhipOptions.whipTimeout}, in seconds. */
export const DEFAULT_WHIP_TIMEOUT = 15;

/** Largest offer accepted, in bytes (the offer travels in one signalling message of at most 64 KiB). */
export const MAX_OFFER_BYTES = 60 * 1024;

/** The room member name of WHIP (`kind` `"whip"`) or WHEP calls to the endpoint `id`. */
export function httpMemberName(kind: HttpCallKind, id: string): string {
  return `${kind}:${id}`;
}

/** A refusal: the HTTP status and what to tell the client. */
class Refusal {
  constructor(readonly status: number, readonly message: string) {}
}

/** One WHIP or WHEP call: the member that stands for the HTTP client in its room. */
class HttpCall implements MemberConnection {
  /** The session's ID, the last segment of its URL. */
  readonly resource = crypto.randomUUID();
  readonly #answer = Promise.withResolvers<string>();
  #state: "waiting" | "live" | "ended" = "waiting";

  /** @param onTargetLeft called when the rig leaves the room during a live call */
  constructor(
    readonly kind: HttpCallKind,
    readonly room: string,
    readonly target: string,
    readonly name: string,
    readonly onTargetLeft: (call: HttpCall) => void,
  ) {
    this.#answer.promise.catch(() => {});
  }

  /** `Room "x", whip:stage`: for log lines. */
  get label(): string {
    return `${this.kind.toUpperCase()} session to "${this.target}" in room "${this.room}"`;
  }

  /** The rig's answer; rejects with a {@linkcode Refusal}. */
  get answer(): Promise<string> {
    return this.#answer.promise;
  }

  get isLive(): boolean {
    return this.#state === "live";
  }

  /** The answer was sent to the client: the call is up. */
  goLive(): void {
    if (this.#state === "waiting") this.#state = "live";
  }

  /** Ends the wait for an answer with `status` and `message` (no effect once answered). */
  refuse(status: number, message: string): void {
    if (this.#state !== "waiting") return;
    this.#state = "ended";
    this.#answer.reject(new Refusal(status, message));
  }

  /** Marks the call over (it left the room). */
  end(): void {
    this.refuse(503, "The session ended");
    this.#state = "ended";
  }

  /** A message the room sends to this member. */
  send(text: string): void {
    let message: Record<string, unknown>;
    try {
      message = JSON.parse(text);
    } catch {
      return;
    }
    if (message.type === "answer" && message.from === this.target) {
      if (this.#state !== "waiting") return;
      const answer = message.answer;
      if (typeof answer !== "string" || !isSdp(answer)) {
        this.refuse(502, `"${this.target}" answered with something not SDP`);
        return;
      }
      this.#answer.resolve(answer);
    } else if (
      message.type === "members" && Array.isArray(message.members) &&
      !message.members.includes(this.target)
    ) {
      if (this.#state === "waiting") {
        this.refuse(
          503,
          `"${this.target}" left room "${this.room}" before answering`,
        );
      } else if (this.#state === "live") {
        // Not while the room is sending its list to everyone.
        queueMicrotask(() => this.onTargetLeft(this));
      }
    }
  }

  /** The room refused this member (its name is taken). */
  close(_code: number, reason: string): void {
    this.refuse(
      409,
      `"${this.name}" is taken in room "${this.room}": ${reason}`,
    );
  }
}

/** Encodes `text` as one path segment. */
function segment(text: string): string {
  return encodeURIComponent(text);
}

/** WHIP and WHEP endpoints over a {@linkcode RoomRegistry} (see the module documentation). */
export class WhipGateway {
  readonly #rooms: RoomRegistry;
  readonly #log: Logger;
  readonly #warnings: RateLimitedWarn;
  readonly #token: string | undefined;
  readonly #timeoutMs: number;
  /** Calls by session ID. */
  readonly #calls = new Map<string, HttpCall>();
  /** Calls by room and member name. */
  readonly #byMember = new Map<string, HttpCall>();
  #closed = false;

  /**
   * @param rooms the server's rooms
   * @param options token and timeout
   * @param log where sessions and refusals are logged
   */
  constructor(rooms: RoomRegistry, options: WhipOptions, log: Logger) {
    this.#rooms = rooms;
    this.#log = log;
    this.#warnings = new RateLimitedWarn(log);
    this.#token = options.token;
    this.#timeoutMs = (options.whipTimeout ?? DEFAULT_WHIP_TIMEOUT) * 1000;
  }

  /** Number of WHIP and WHEP sessions, live or waiting for an answer. */
  get size(): number {
    return this.#calls.size;
  }

  /**
   * The response to a request under `/whip/` or `/whep/`, or `null` for
   * any other path.
   */
  handle(request: Request): Response | Promise<Response> | null {
    const path = new URL(request.url).pathname;
    const [kind, ...rest] = path.split("/").slice(1);
    if (kind !== "whip" && kind !== "whep") return null;
    let parts: string[];
    try {
      parts = rest.map(decodeURIComponent);
    } catch {
      return textResponse(400, "Bad percent-encoding in the path");
    }
    if (parts.length === 2) {
      return this.#endpoint(request, kind, parts[0], parts[1]);
    }
    if (parts.length === 3) {
      return this.#session(request, kind, parts[0], parts[1], parts[2]);
    }
    return textResponse(
      404,
      `Not found: ${kind.toUpperCase()} endpoints are /${kind}/ROOM/ID`,
    );
  }

  /** Ends every session, refusing those still waiting (503). */
  close(): void {
    this.#closed = true;
    for (const call of [...this.#calls.values()]) {
      call.refuse(503, "The server is shutting down");
      this.#end(call, "the server is shutting down", false);
    }
  }

  #endpoint(
    request: Request,
    kind: HttpCallKind,
    room: string,
    target: string,
  ): Response | Promise<Response> {
    switch (request.method) {
      case "OPTIONS":
        return new Response(null, {
          status: 204,
          headers: {
            ...preflightHeaders("POST, OPTIONS"),
            "accept-post": "application/sdp",
          },
        });
      case "POST":
        return this.#post(request, kind, room, target);
      default:
        return textResponse(405, "Method not allowed: POST an SDP offer", {
          allow: "POST, OPTIONS",
        });
    }
  }

  async #session(
    request: Request,
    kind: HttpCallKind,
    room: string,
    target: string,
    resource: string,
  ): Promise<Response> {
    const methods = "DELETE, OPTIONS";
    if (request.method === "OPTIONS") {
      // PATCH is allowed by the preflight so that its 405 can be read.
      return new Response(null, {
        status: 204,
        headers: preflightHeaders("DELETE, PATCH, OPTIONS"),
      });
    }
    await request.body?.cancel();
    const denied = unauthorized(request, this.#token);
    if (denied !== null) return denied;
    if (request.method === "PATCH") {
      return textResponse(
        405,
        "Trickle ICE and ICE restarts are not supported: offers and answers are complete",
        { allow: methods },
      );
    }
    if (request.method !== "DELETE") {
      return textResponse(405, "Method not allowed", { allow: methods });
    }
    const call = this.#calls.get(resource);
    if (
      call === undefined || call.kind !== kind || call.room !== room ||
      call.target !== target
    ) {
      return textResponse(404, "No such session (it may have ended)");
    }
    this.#end(call, "ended by the client (DELETE)");
    return new Response(null, { status: 200, headers: CORS_HEADERS });
  }

  async #post(
    request: Request,
    kind: HttpCallKind,
    room: string,
    target: string,
  ): Promise<Response> {
    const denied = unauthorized(request, this.#token);
    if (denied !== null) {
      await request.body?.cancel();
      this.#warnings.warn(`Refused a ${kind.toUpperCase()} offer: no token`);
      return denied;
    }
    const type = request.headers.get("content-type")?.split(";")[0].trim();
    if (type?.toLowerCase() !== "application/sdp") {
      await request.body?.cancel();
      return textResponse(
        415,
        `The offer must be sent as Content-Type: application/sdp (got ${
          type ?? "none"
        })`,
        { "accept-post": "application/sdp" },
      );
    }
    let offer: string;
    try {
      offer = await readBody(request, MAX_OFFER_BYTES);
    } catch (error) {
      if (!(error instanceof BodyTooLargeError)) throw error;
      return textResponse(
        413,
        `Offers are limited to ${MAX_OFFER_BYTES} bytes`,
      );
    }
    const problem = offerProblem(offer, kind);
    if (problem !== null) {
      this.#warnings.warn(`Refused a ${kind.toUpperCase()} offer: ${problem}`);
      return textResponse(400, `Bad offer: ${problem}`);
    }
    if (this.#closed) return textResponse(503, "The server is shutting down");
    const members = this.#rooms.members(room);
    if (members.length === 0) return textResponse(404, `No room "${room}"`);
    if (!members.includes(target)) {
      return textResponse(404, `No endpoint "${target}" in room "${room}"`);
    }
    const name = httpMemberName(kind, target);
    const key = `${room}\n${name}`;
    const previous = this.#byMember.get(key);
    if (previous !== undefined) {
      this.#end(previous, "replaced by a new session");
    }
    const call = new HttpCall(
      kind,
      room,
      target,
      name,
      (gone) => this.#end(gone, `"${target}" left the room`, false),
    );
    if (!this.#rooms.join(call, name, room)) {
      return textResponse(
        409,
        `"${name}" is taken in room "${room}" by a WebSocket client`,
      );
    }
    this.#calls.set(call.resource, call);
    this.#byMember.set(key, call);
    this.#log.info(`${call.label}: offered`);
    this.#rooms.relay(call, {
      type: "call",
      to: target,
      offer,
    });
    const timer = setTimeout(
      () =>
        call.refuse(
          504,
          `"${target}" did not answer within ${this.#timeoutMs / 1000} s`,
        ),
      this.#timeoutMs,
    );
    let answer: string;
    try {
      answer = await call.answer;
    } catch (error) {
      if (!(error instanceof Refusal)) throw error;
      this.#end(call, error.message);
      return textResponse(error.status, error.message);
    } finally {
      clearTimeout(timer);
    }
    if (!answerHasVideo(answer)) {
      this.#end(call, "the answer accepts no video");
      return textResponse(
        422,
        `"${target}" accepted no video from this offer (no video codec in common?)`,
      );
    }
    this.#rooms.relay(call, { type: "finished", to: target });
    this.#rooms.relay(call, { type: "stay", to: target });
    call.goLive();
    this.#log.info(`${call.label}: answered, session ${call.resource}`);
    const location = `/${kind}/${segment(room)}/${
      segment(target)
    }/${call.resource}`;
    return new Response(answer, {
      status: 201,
      headers: {
        ...CORS_HEADERS,
        "content-type": "application/sdp",
        location,
      },
    });
  }

  /**
   * Takes `call` out of its room and forgets it (safe to call twice); with
   * `hangUp`, the rig is sent `hangup` first.
   */
  #end(call: HttpCall, why: string, hangUp = true): void {
    if (this.#calls.get(call.resource) !== call) return;
    this.#calls.delete(call.resource);
    const key = `${call.room}\n${call.name}`;
    if (this.#byMember.get(key) === call) this.#byMember.delete(key);
    const wasLive = call.isLive;
    call.end();
    if (hangUp) this.#rooms.relay(call, { type: "hangup", to: call.target });
    this.#rooms.leave(call);
    if (wasLive) this.#log.info(`${call.label}: ended, ${why}`);
    else this.#log.debug(`${call.label}: not answered, ${why}`);
  }
}

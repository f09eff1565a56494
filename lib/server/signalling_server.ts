/**
 * The WebSocket signalling server: `Deno.serve` with a WebSocket upgrade at
 * `/`, rooms as in {@linkcode RoomRegistry}, wire-compatible with the
 * original Python server (so Python and Deno endpoints can use either).
 *
 * HTTP: a WebSocket upgrade at `/` joins the signalling; a plain `GET /`
 * gets a short text page; other paths get 404 and other methods 405.
 * WHIP and WHEP (`/whip/…`, `/whep/…`) and the browser page (with
 * `page: true`) are answered first, by `http_routes.ts`.
 *
 * Dead clients: the server pings every client after `idleTimeout / 2`
 * seconds of silence and drops it when no pong comes within `idleTimeout`,
 * so a vanished client's ID becomes free again.
 *
 * Bad input never stops the server or touches other clients. Each case is
 * logged (warn, rate-limited) and handled like this:
 *
 * | input                                            | handling                          |
 * | ------------------------------------------------ | --------------------------------- |
 * | text that is not JSON, or JSON but not an object | close the client (1007)           |
 * | a text frame over `maxMessageBytes` (64 KiB)     | close the client (1009)           |
 * | `join` without a string `id`, non-string `room`  | send `error`, close (1008)        |
 * | `join` with an ID taken in that room             | send `error`, close (1008)        |
 * | a binary frame                                   | ignore                            |
 * | a second `join` on the same connection           | ignore                            |
 * | `to` (or any other message) before `join`        | ignore                            |
 * | `to` that is not a string                        | ignore                            |
 * | `to` naming no member of the room                | drop (debug log, not a warning)   |
 * | a message without `to` after `join`              | ignore (trace log)                |
 *
 * Closing on undecodable frames and bad joins is what the original server
 * does; everything else it ignores too. A missing `room` in `join` means
 * the room `""`. A client that does not read its messages is closed (1008)
 * once more than 16 MiB wait to be sent to it (`maxBufferedBytes`). A
 * client the server closes leaves its room at once, without waiting for
 * the closing handshake.
 *
 * @example
 * ```ts ignore
 * const server = await startSignallingServer({ host: "127.0.0.1", port: 0 });
 * console.log(server.url); // ws://127.0.0.1:40123/
 * await server.close();
 * ```
 *
 * @module
 */

import { getLogger, isLogging, type Logger } from "../log/logger.ts";
import { RateLimitedWarn } from "./_rate_limited_warn.ts";
import {
  decodeClientMessage,
  exceedsBytes,
  MAX_MESSAGE_BYTES,
} from "./client_messages.ts";
import { CLOSE_POLICY, type MemberConnection, RoomRegistry } from "./rooms.ts";
import { certificatesFromPem, privateKeyFromPem } from "./pem.ts";
import { HttpRoutes, type HttpRoutesOptions } from "./http_routes.ts";

/** Options of {@linkcode startSignallingServer}. */
export interface SignallingServerOptions extends HttpRoutesOptions {
  /** Interface to listen on (default `"0.0.0.0"`, any IPv4 address). */
  host?: string;
  /** Port; `0` picks a free one (default 8080, or 8443 with a certificate). */
  port?: number;
  /** PEM certificate (chain) text; when given the server speaks TLS (`wss:`). */
  certificate?: string;
  /** PEM private key text (default: the PRIVATE KEY block of `certificate`). */
  key?: string;
  /** Seconds of silence (including an unanswered ping) before a client is dropped (default 30). */
  idleTimeout?: number;
  /** Largest accepted text frame in UTF-8 bytes (default 64 KiB). */
  maxMessageBytes?: number;
  /** Close a client when more than this many bytes wait to be sent to it (default 16 MiB). */
  maxBufferedBytes?: number;
  /** Logger (default `getLogger("server")`). */
  log?: Logger;
}

/** A running signalling server. */
export interface SignallingServer {
  /** The port it listens on (the chosen one when `port: 0` was asked for). */
  readonly port: number;
  /** The host it listens on. */
  readonly host: string;
  /** `ws://host:port/` or `wss://host:port/`. */
  readonly url: string;
  /** The room state (for tests and statistics). */
  readonly rooms: RoomRegistry;
  /** Closes every client (1001) and stops listening. */
  close(): Promise<void>;
  /** Resolves when the server has stopped. */
  readonly finished: Promise<void>;
}

/** Problems starting the server (bad certificate, port in use…). */
export class ServerError extends Error {
  /**
   * Creates the error.
   * @param message what went wrong, for the user
   */
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = "ServerError";
  }
}

const PAGE =
  "flitter-webrtc signalling server: connect with a WebSocket to this URL\n";

function urlHost(host: string): string {
  return host.includes(":") ? `[${host}]` : host;
}

/** One client socket, as the rooms see it. */
class ClientConnection implements MemberConnection {
  #dropped = false;

  /**
   * @param onDrop called once, when the server closes the client or the
   *   socket closes, whichever comes first (a client that reads nothing may
   *   never finish the closing handshake, but leaves its room at once)
   */
  constructor(
    readonly socket: WebSocket,
    readonly label: string,
    readonly log: Logger,
    readonly maxBufferedBytes: number,
    readonly onDrop: (connection: ClientConnection) => void,
  ) {}

  /** Leaves the room (once). */
  drop(): void {
    if (this.#dropped) return;
    this.#dropped = true;
    this.onDrop(this);
  }

  send(text: string): void {
    if (this.#dropped || this.socket.readyState !== WebSocket.OPEN) return;
    if (this.socket.bufferedAmount > this.maxBufferedBytes) {
      this.log.warn(`${this.label}: closed, it is not reading its messages`);
      this.close(CLOSE_POLICY, "Too many unread messages");
      return;
    }
    try {
      this.socket.send(text);
    } catch (error) {
      this.log.debug(`${this.label}: send failed: ${error}`);
    }
  }

  close(code: number, reason: string): void {
    try {
      this.socket.close(code, reason);
    } catch (error) {
      this.log.debug(`${this.label}: close failed: ${error}`);
    }
    this.drop();
  }
}

/**
 * Starts a signalling server and resolves once it listens.
 *
 * @throws {ServerError} when the certificate or key is unusable or the address cannot be bound
 */
export async function startSignallingServer(
  options: SignallingServerOptions = {},
): Promise<SignallingServer> {
  const log = options.log ?? getLogger("server");
  const warnings = new RateLimitedWarn(log);
  const host = options.host ?? "0.0.0.0";
  const tls = options.certificate !== undefined;
  const port = options.port ?? (tls ? 8443 : 8080);
  const idleTimeout = options.idleTimeout ?? 30;
  const maxBytes = options.maxMessageBytes ?? MAX_MESSAGE_BYTES;
  const maxBufferedBytes = options.maxBufferedBytes ?? 16 * 1024 * 1024;
  const rooms = new RoomRegistry();
  const clients = new Set<ClientConnection>();
  let nextClient = 1;
  const routes = await HttpRoutes.create(rooms, options, log);

  let tlsOptions: { cert: string; key: string } | undefined;
  if (tls) {
    const cert = certificatesFromPem(options.certificate!);
    if (cert === null) {
      throw new ServerError("The certificate holds no PEM CERTIFICATE block");
    }
    if (options.key !== undefined && privateKeyFromPem(options.key) === null) {
      throw new ServerError("The key holds no PEM PRIVATE KEY block");
    }
    const key = options.key ?? privateKeyFromPem(options.certificate!);
    if (key === null) {
      throw new ServerError(
        "The certificate file holds no PRIVATE KEY block; give the key with --key=",
      );
    }
    tlsOptions = { cert, key };
  }

  function accept(request: Request, peer: string): Response {
    const { socket, response } = Deno.upgradeWebSocket(request, {
      idleTimeout,
    });
    const connection = new ClientConnection(
      socket,
      `client ${nextClient++} (${peer})`,
      log,
      maxBufferedBytes,
      leave,
    );
    clients.add(connection);
    socket.onopen = () => log.debug(`${connection.label}: connected`);
    socket.onmessage = (event) => receive(connection, event.data);
    socket.onerror = (event) => {
      log.debug(
        `${connection.label}: ${(event as ErrorEvent).message ?? "error"}`,
      );
    };
    socket.onclose = () => {
      // Deno may report a close twice (after a failed ping, for example).
      clients.delete(connection);
      connection.drop();
    };
    return response;
  }

  function leave(connection: ClientConnection): void {
    const left = rooms.leave(connection);
    if (left) {
      log.debug(`${connection.label}: "${left.id}" left room "${left.room}"`);
    } else {
      log.debug(`${connection.label}: disconnected`);
    }
  }

  function receive(connection: ClientConnection, data: unknown): void {
    try {
      handle(connection, data);
    } catch (error) {
      // Nothing a client sends should get here; never let it stop the server.
      log.error(
        `${connection.label}: unexpected error handling a message: ${error}`,
      );
      connection.close(1011, "Internal error");
    }
  }

  function handle(connection: ClientConnection, data: unknown): void {
    const { label } = connection;
    if (typeof data !== "string") {
      warnings.warn(
        `${label}: ignored a binary frame (signalling uses JSON text)`,
      );
      return;
    }
    if (exceedsBytes(data, maxBytes)) {
      warnings.warn(`${label}: closed, sent a message over ${maxBytes} bytes`);
      connection.close(1009, "Message too big");
      return;
    }
    if (isLogging("trace")) log.trace(`${label}: received ${data}`);
    const message = decodeClientMessage(data);
    const membership = rooms.membership(connection);
    switch (message.kind) {
      case "bad":
        if (message.fatal) {
          warnings.warn(
            `${label}: closed, sent a message that is ${message.problem}`,
          );
          if (message.problem.startsWith("join")) {
            connection.send(
              JSON.stringify({
                type: "error",
                error: `Invalid join message: ${message.problem}`,
              }),
            );
            connection.close(CLOSE_POLICY, "Invalid join message");
          } else {
            connection.close(1007, "Messages must be JSON objects");
          }
        } else {
          warnings.warn(`${label}: ignored a message: ${message.problem}`);
        }
        return;
      case "join":
        if (membership) {
          warnings.warn(
            `${label}: ignored a second join (already "${membership.id}" in room "${membership.room}")`,
          );
          return;
        }
        if (rooms.join(connection, message.id, message.room)) {
          log.debug(`${label}: "${message.id}" joined room "${message.room}"`);
        } else {
          log.info(
            `${label}: refused "${message.id}" in room "${message.room}": ID already taken`,
          );
        }
        return;
      case "relay": {
        if (!membership) {
          warnings.warn(
            `${label}: ignored a message to "${message.to}" sent before joining`,
          );
          return;
        }
        const outcome = rooms.relay(connection, message.message, data);
        if (outcome === "unknown-recipient") {
          log.debug(
            `${label}: dropped a message to "${message.to}", not in room "${membership.room}"`,
          );
        }
        return;
      }
      case "other":
        if (!membership) {
          warnings.warn(
            `${label}: ignored a "${
              String(message.type)
            }" message sent before joining`,
          );
        } else {
          log.trace(`${label}: ignored a message with no "to"`);
        }
        return;
    }
  }

  function serve(
    request: Request,
    info: Deno.ServeHandlerInfo<Deno.NetAddr>,
  ): Response | Promise<Response> {
    const routed = routes.handle(request); // WHIP, WHEP, the browser page
    if (routed !== null) return routed;
    const path = new URL(request.url).pathname;
    if (path !== "/") return new Response("Not found\n", { status: 404 });
    if (request.method !== "GET" && request.method !== "HEAD") {
      return new Response("Method not allowed\n", {
        status: 405,
        headers: { allow: "GET" },
      });
    }
    if (request.headers.get("upgrade")?.toLowerCase() === "websocket") {
      try {
        return accept(
          request,
          `${info.remoteAddr.hostname}:${info.remoteAddr.port}`,
        );
      } catch (error) {
        warnings.warn(
          `Bad WebSocket upgrade from ${info.remoteAddr.hostname}: ${error}`,
        );
        return new Response("Bad WebSocket upgrade\n", { status: 400 });
      }
    }
    return new Response(PAGE, {
      headers: { "content-type": "text/plain; charset=utf-8" },
    });
  }

  let server: Deno.HttpServer<Deno.NetAddr>;
  const listening = Promise.withResolvers<void>();
  try {
    server = Deno.serve({
      hostname: host,
      port,
      ...tlsOptions,
      onListen: () => listening.resolve(),
      onError: (error) => {
        log.error(`HTTP error: ${error}`);
        return new Response("Internal error\n", { status: 500 });
      },
    }, serve);
  } catch (error) {
    const what = tls ? " with this certificate and key" : "";
    throw new ServerError(
      `Cannot listen on ${urlHost(host)}:${port}${what}: ${
        (error as Error).message
      }`,
      { cause: error },
    );
  }
  await listening.promise;
  const actualPort = server.addr.port;
  const url = `${tls ? "wss" : "ws"}://${urlHost(host)}:${actualPort}/`;

  let closing: Promise<void> | null = null;
  async function close(): Promise<void> {
    routes.close();
    const waits: Promise<void>[] = [];
    for (const client of clients) {
      if (client.socket.readyState === WebSocket.CLOSED) continue;
      waits.push(
        new Promise<void>((resolve) => {
          client.socket.addEventListener("close", () => resolve(), {
            once: true,
          });
        }),
      );
      client.close(1001, "Server shutting down");
    }
    let timer: ReturnType<typeof setTimeout> | undefined;
    await Promise.race([
      Promise.all(waits),
      new Promise<void>((resolve) => timer = setTimeout(resolve, 2000)),
    ]);
    clearTimeout(timer);
    rooms.clear();
    clients.clear();
    await server.shutdown();
  }

  return {
    port: actualPort,
    host,
    url,
    rooms,
    close: () => closing ??= close(),
    finished: server.finished,
  };
}

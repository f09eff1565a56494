/**
 * The WebSocket signalling server: a WebSocket upgrade at `/`, rooms as in
 * {@linkcode RoomRegistry}, wire-compatible with the original Python server
 * (so Python and Deno endpoints can use either).
 *
 * The server speaks HTTP/1.1 and WebSocket (RFC 6455, no extensions) itself
 * over `Deno.listen` connections (`node:tls` sockets with a certificate):
 * that way it can time out request heads, refuse malformed upgrades, count
 * exactly what waits to be sent to each client, and cut any connection off
 * at once, which `Deno.serve` and `Deno.upgradeWebSocket` do not allow.
 *
 * HTTP: a WebSocket upgrade at `/` joins the signalling; a plain `GET /`
 * gets a short text page; other paths get 404 and other methods 405. WHIP
 * and WHEP (`/whip/…`, `/whep/…`) and the browser page (with `page: true`)
 * are answered first, by `http_routes.ts` (through `http_front.ts`). Every
 * HTTP response closes the connection.
 *
 * Dead clients: the server pings every client after `idleTimeout / 2`
 * seconds of silence and drops it when nothing comes within `idleTimeout`,
 * so a vanished client's ID becomes free again.
 *
 * Bad input never stops the server or touches other clients. Each case is
 * logged (warn, rate-limited) and handled like this:
 *
 * | input                                            | handling                          |
 * | ------------------------------------------------ | --------------------------------- |
 * | text that is not JSON, or JSON but not an object | close the client (1007)           |
 * | a message over `maxMessageBytes` (64 KiB)        | close the client (1009)           |
 * | `join` without a string `id`, non-string `room`  | send `error`, close (1008)        |
 * | `join` with an ID taken in that room             | send `error`, close (1008)        |
 * | a binary frame                                   | ignore                            |
 * | a second `join` on the same connection           | ignore                            |
 * | `to` (or any other message) before `join`        | ignore                            |
 * | `to` that is not a string                        | ignore                            |
 * | `to` naming no member of the room                | drop (debug log, not a warning)   |
 * | a message without `to` after `join`              | ignore (trace log)                |
 * | a frame that breaks RFC 6455, text not UTF-8     | close the client (1002, 1007)     |
 *
 * Closing on undecodable frames and bad joins is what the original server
 * does; everything else it ignores too. A missing `room` in `join` means
 * the room `""`. A client the server closes leaves its room at once,
 * without waiting for the closing handshake.
 *
 * Hostile clients are bounded (the first three limits are options):
 *
 * | client                                                    | handling                         |
 * | --------------------------------------------------------- | -------------------------------- |
 * | reads nothing: over `maxBufferedBytes` (1 MiB) queued     | close (1008), its queue freed    |
 * | sends pings, reads nothing: pongs over `maxBufferedBytes` | close (1008), its queue freed    |
 * | all queues together over `maxTotalBufferedBytes` (64 MiB) | close the longest queues (1013)  |
 * | no request head `headerTimeout` (10 s) after connecting   | 408 if it sent anything, close   |
 * | a request head over 16 KiB                                | 431, close                       |
 * | a malformed upgrade request                               | 400, close                       |
 *
 * The header timeout covers the TLS handshake. A malformed upgrade is one
 * over HTTP/1.0, or without `Connection: Upgrade`, `Sec-WebSocket-Version:
 * 13` or a `Sec-WebSocket-Key` of 16 bytes in base64. A closed client that
 * does not answer the close frame is cut off after 5 s; when it is closed
 * for not reading, what was queued for it is dropped at once.
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

import { getLogger, isLogging } from "../log/logger.ts";
import { RateLimitedWarn } from "./_rate_limited_warn.ts";
import { decodeClientMessage, MAX_MESSAGE_BYTES } from "./client_messages.ts";
import { CLOSE_POLICY, RoomRegistry } from "./rooms.ts";
import { certificatesFromPem, privateKeyFromPem } from "./pem.ts";
import {
  checkUpgrade,
  type ParsedHead,
  parseRequestHead,
  switchingProtocols,
  targetPath,
  textResponse,
  wantsWebSocket,
} from "./http_head.ts";
import { QueueTotal } from "./websocket_connection.ts";
import { ClientConnection, type ClientEvents } from "./client_connection.ts";
import { type ByteConn, closeQuietly, writeAll } from "./byte_conn.ts";
import { answerRoutes, LINGER_MS, respond } from "./http_front.ts";
import { HttpRoutes } from "./http_routes.ts";
import { SendLimits } from "./send_limits.ts";
import { listenTcp, listenTls, ServerError, urlHost } from "./listen.ts";

export { ServerError } from "./listen.ts";
export type {
  SignallingServer,
  SignallingServerOptions,
} from "./server_options.ts";
import type {
  SignallingServer,
  SignallingServerOptions,
} from "./server_options.ts";

const PAGE =
  "flitter-webrtc signalling server: connect with a WebSocket to this URL\n";

/** Largest request head the server reads. */
const HEAD_BYTES = 16 * 1024;
/**
 * Each WebSocket client's read buffer while it is quiet (it grows while the
 * client is busy): a held idle client costs this much, not a message's size.
 */
const READ_BYTES = 512;
/** Milliseconds the closing handshake may take before the socket is closed. */
const CLOSE_TIMEOUT_MS = 5000;

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
  const maxBufferedBytes = options.maxBufferedBytes ?? 1024 * 1024;
  const maxTotalBufferedBytes = options.maxTotalBufferedBytes ??
    64 * 1024 * 1024;
  const headerTimeout = options.headerTimeout ?? 10;
  const rooms = new RoomRegistry();
  const clients = new Set<ClientConnection>();
  /** Connections whose request head is being read or answered. */
  const pending = new Set<ByteConn>();
  const total = new QueueTotal();
  let nextClient = 1;
  let stopping = false;
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

  /** `client N (address:port)`, with its ID and room once it has joined. */
  function describe(connection: ClientConnection): string {
    const membership = rooms.membership(connection);
    return membership
      ? `${connection.label} ("${membership.id}" in room "${membership.room}")`
      : connection.label;
  }

  const limits = new SendLimits({
    maxBufferedBytes,
    maxTotalBufferedBytes,
    total,
    clients,
    describe,
    warn: (message) => warnings.warn(message),
  });
  /** Every client socket's limits (one object for all clients). */
  const socketOptions = {
    maxMessageBytes: maxBytes,
    closeTimeoutMs: CLOSE_TIMEOUT_MS,
    total,
  };
  /** What every client's events do (one object for all clients). */
  const events: ClientEvents = {
    send: (connection, text) => limits.send(connection, text),
    text: (connection, text) => receive(connection, text),
    queued: (connection) => limits.check(connection),
    binary: (connection) =>
      warnings.warn(
        `${connection.label}: ignored a binary frame (signalling uses JSON text)`,
      ),
    protocolError: (connection, code, problem) =>
      warnings.warn(`${describe(connection)}: closed (${code}), ${problem}`),
    ended: (connection) => leave(connection),
    closed: (connection) => clients.delete(connection),
  };

  /** Reads and answers one request: a page, an error, or the upgrade. */
  async function handshake(conn: ByteConn, peer: string): Promise<void> {
    // Grows (by doubling) up to HEAD_BYTES; most request heads fit in 2 KiB.
    let buffer = new Uint8Array(2048);
    let filled = 0;
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      if (filled === 0) {
        log.debug(`${peer}: closed, sent no request for ${headerTimeout} s`);
        closeQuietly(conn);
        return;
      }
      warnings.warn(
        `${peer}: closed, its request head took over ${headerTimeout} s`,
      );
      // 408, then whatever still comes is read and dropped for LINGER_MS.
      writeAll(conn, textResponse(408, "Request head too slow\n"))
        .then(() => conn.closeWrite()).catch(() => {});
      setTimeout(() => closeQuietly(conn), LINGER_MS);
    }, headerTimeout * 1000);
    let upgraded = false;
    try {
      let parsed: ParsedHead = { incomplete: true };
      while ("incomplete" in parsed) {
        if (filled === buffer.length && buffer.length < HEAD_BYTES) {
          const larger = new Uint8Array(buffer.length * 2);
          larger.set(buffer);
          buffer = larger;
        }
        if (filled === buffer.length && !timedOut) {
          parsed = { status: 431, error: "Request head too large" };
          break;
        }
        const n = await conn.read(timedOut ? buffer : buffer.subarray(filled));
        if (n === null) return;
        if (timedOut) continue;
        filled += n;
        parsed = parseRequestHead(buffer.subarray(0, filled));
      }
      clearTimeout(timer);
      if ("status" in parsed) {
        warnings.warn(`Bad request from ${peer}: ${parsed.error}`);
        await respond(conn, textResponse(parsed.status, `${parsed.error}\n`));
        return;
      }
      const { head, length } = parsed;
      if (!wantsWebSocket(head)) { // WHIP, WHEP, the browser page
        const routed = await answerRoutes(
          routes,
          head,
          buffer.subarray(length, filled),
          conn,
          headerTimeout * 1000,
        );
        if (routed !== null) return await respond(conn, routed);
      }
      if (targetPath(head.target) !== "/") {
        await respond(conn, textResponse(404, "Not found\n"));
        return;
      }
      if (head.method !== "GET" && head.method !== "HEAD") {
        await respond(
          conn,
          textResponse(405, "Method not allowed\n", {
            headers: { Allow: "GET" },
          }),
        );
        return;
      }
      if (!wantsWebSocket(head)) {
        await respond(
          conn,
          textResponse(200, PAGE, { head: head.method === "HEAD" }),
        );
        return;
      }
      const checked = checkUpgrade(head);
      if ("error" in checked) {
        warnings.warn(`Bad WebSocket upgrade from ${peer}: ${checked.error}`);
        await respond(
          conn,
          textResponse(400, `Bad WebSocket upgrade: ${checked.error}\n`, {
            headers: { "Sec-WebSocket-Version": "13" },
          }),
        );
        return;
      }
      const response = await switchingProtocols(checked.key);
      if (stopping) return;
      upgraded = true;
      pending.delete(conn);
      open(conn, peer, response, buffer.slice(length, filled));
    } catch (error) {
      log.debug(`${peer}: connection failed before the upgrade: ${error}`);
    } finally {
      clearTimeout(timer);
      if (!upgraded) {
        pending.delete(conn);
        closeQuietly(conn);
      }
    }
  }

  function open(
    conn: ByteConn,
    peer: string,
    response: Uint8Array,
    leftover: Uint8Array,
  ): void {
    const connection = new ClientConnection(
      conn,
      socketOptions,
      nextClient++,
      peer,
      events,
    );
    clients.add(connection);
    log.debug(`${connection.label}: connected`);
    connection.socket.start(response, leftover, new Uint8Array(READ_BYTES));
  }

  function leave(connection: ClientConnection): void {
    const left = rooms.leave(connection);
    if (left) {
      log.debug(`${connection.label}: "${left.id}" left room "${left.room}"`);
    } else {
      log.debug(`${connection.label}: disconnected`);
    }
  }

  function receive(connection: ClientConnection, data: string): void {
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

  function handle(connection: ClientConnection, data: string): void {
    const { label } = connection;
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

  function sweep(): void {
    const now = performance.now();
    for (const { socket, label } of clients) {
      if (socket.state !== "open") continue;
      const silent = now - socket.lastReceived;
      if (silent >= idleTimeout * 1000) {
        log.debug(`${label}: dropped, it answered no ping`);
        socket.abort();
      } else if (silent >= idleTimeout * 500 && !socket.pinged) {
        socket.ping();
      }
    }
  }

  function accepted(conn: ByteConn, peer: string): void {
    if (stopping) {
      closeQuietly(conn);
      return;
    }
    pending.add(conn);
    void handshake(conn, peer);
  }

  const listening =
    await (tlsOptions
      ? listenTls(host, port, tlsOptions, accepted, log)
      : listenTcp(host, port, accepted, log));
  const actualPort = listening.port;
  const url = `${tls ? "wss" : "ws"}://${urlHost(host)}:${actualPort}/`;

  const sweeper = idleTimeout > 0
    ? setInterval(sweep, Math.max(10, idleTimeout * 250))
    : undefined;
  const finished = Promise.withResolvers<void>();

  let closing: Promise<void> | null = null;
  async function close(): Promise<void> {
    stopping = true;
    routes.close();
    clearInterval(sweeper);
    await listening.stop();
    for (const conn of pending) closeQuietly(conn);
    pending.clear();
    const waits: Promise<void>[] = [];
    for (const { socket } of clients) {
      socket.close(1001, "Server shutting down");
      waits.push(socket.done);
    }
    let timer: ReturnType<typeof setTimeout> | undefined;
    await Promise.race([
      Promise.all(waits),
      new Promise<void>((resolve) => timer = setTimeout(resolve, 2000)),
    ]);
    clearTimeout(timer);
    for (const { socket } of clients) socket.abort();
    rooms.clear();
    clients.clear();
    finished.resolve();
  }

  return {
    port: actualPort,
    host,
    url,
    rooms,
    get bufferedBytes() {
      return total.bytes;
    },
    close: () => closing ??= close(),
    finished: finished.promise,
  };
}

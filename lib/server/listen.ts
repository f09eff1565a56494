/**
 * The server's listening sockets: plain TCP through `Deno.listen`, TLS
 * through `node:tls` (whose connections can be closed before their
 * handshake completes, so a client that never says hello costs nothing for
 * long), each handing accepted connections on as {@linkcode ByteConn}s.
 *
 * @module
 */

import { createServer as createTcpServer, type Server } from "node:net";
import { createSecureContext, TLSSocket } from "node:tls";
import type { Logger } from "../log/logger.ts";
import { type ByteConn, NodeTlsConn } from "./byte_conn.ts";

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

/** `host` as it stands in a URL (IPv6 addresses in brackets). */
export function urlHost(host: string): string {
  return host.includes(":") ? `[${host}]` : host;
}

/** A listening socket handing accepted connections to the server. */
export interface Listening {
  /** The port it listens on. */
  readonly port: number;
  /** Stops accepting; resolves once no more connections will come. */
  stop(): Promise<void>;
}

function cannotListen(
  host: string,
  port: number,
  tls: boolean,
  error: unknown,
): ServerError {
  const what = tls ? " with this certificate and key" : "";
  return new ServerError(
    `Cannot listen on ${urlHost(host)}:${port}${what}: ${
      (error as Error).message
    }`,
    { cause: error },
  );
}

/** Plain TCP: `Deno.listen`, each connection a `Deno.TcpConn`. */
export function listenTcp(
  host: string,
  port: number,
  accepted: (conn: ByteConn, peer: string) => void,
  log: Logger,
): Listening {
  let listener: Deno.TcpListener;
  try {
    listener = Deno.listen({ hostname: host, port });
  } catch (error) {
    throw cannotListen(host, port, false, error);
  }
  let stopped = false;
  const accepting = (async () => {
    while (true) {
      let conn: Deno.TcpConn;
      try {
        conn = await listener.accept();
      } catch (error) {
        if (stopped || error instanceof Deno.errors.BadResource) return;
        // Out of file descriptors, for example: keep serving those connected.
        log.error(`Cannot accept a connection: ${error}`);
        await new Promise((resolve) => setTimeout(resolve, 100));
        continue;
      }
      conn.setNoDelay(true);
      const { hostname, port } = conn.remoteAddr;
      accepted(conn, `${hostname}:${port}`);
    }
  })();
  return {
    port: listener.addr.port,
    stop: async () => {
      stopped = true;
      try {
        listener.close();
      } catch {
        // already closed
      }
      await accepting;
    },
  };
}

/**
 * TLS: `node:net` connections wrapped in `node:tls` sockets (see
 * {@linkcode NodeTlsConn} for why not `Deno.listenTls`). The certificate
 * and key are checked first (rustls, through `Deno.createHttpClient`), so
 * a bad pair fails the start rather than every handshake.
 */
export async function listenTls(
  host: string,
  port: number,
  { cert, key }: { cert: string; key: string },
  accepted: (conn: ByteConn, peer: string) => void,
  log: Logger,
): Promise<Listening> {
  try {
    Deno.createHttpClient({ cert, key }).close();
  } catch (error) {
    throw cannotListen(host, port, true, error);
  }
  const secureContext = createSecureContext({ cert, key });
  const server: Server = createTcpServer((raw) => {
    raw.setNoDelay(true);
    const socket = new TLSSocket(raw, {
      isServer: true,
      secureContext,
      ALPNProtocols: ["http/1.1"],
    });
    accepted(
      new NodeTlsConn(socket, raw),
      `${raw.remoteAddress}:${raw.remotePort}`,
    );
  });
  await new Promise<void>((resolve, reject) => {
    server.once(
      "error",
      (error) => reject(cannotListen(host, port, false, error)),
    );
    server.listen({ host, port }, () => resolve());
  });
  // Out of file descriptors, for example: keep serving those connected.
  server.on(
    "error",
    (error) => log.error(`Cannot accept a connection: ${error}`),
  );
  return {
    port: (server.address() as { port: number }).port,
    stop: () => {
      // close() only stops accepting here; the server closes the clients.
      server.close();
      return Promise.resolve();
    },
  };
}

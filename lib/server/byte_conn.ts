/**
 * The byte stream the server's HTTP and WebSocket layers run on: a
 * `Deno.Conn` for plain TCP, and an adapter over `node:tls` sockets for TLS.
 *
 * Why `node:tls` for TLS: a `Deno.TlsConn` cannot be closed before its
 * handshake completes (`close()` waits for the handshake), so a client
 * that connects to a `Deno.listenTls` port and never finishes its
 * ClientHello holds a socket and about 45 KB of server memory for as long
 * as it likes. A `node:tls` socket over a `node:net` connection can be
 * destroyed at any time, so the server's header timeout applies to TLS
 * connections too.
 *
 * @module
 */

import type { Socket } from "node:net";
import type { TLSSocket } from "node:tls";

/** What the server needs of a connection (a `Deno.Conn` is one). */
export interface ByteConn {
  /** Reads into `buffer`; `null` at the end of the stream. */
  read(buffer: Uint8Array): Promise<number | null>;
  /** Writes some of `bytes` (resolves once they have left the process's buffers); returns how many. */
  write(bytes: Uint8Array): Promise<number>;
  /** Closes the connection at once. */
  close(): void;
  /** Ends the sending direction. */
  closeWrite(): Promise<void>;
}

/** Received bytes kept before the socket is paused. */
const HIGH_WATER = 64 * 1024;

/** A `node:tls` server socket (over its `node:net` connection) as a {@linkcode ByteConn}. */
export class NodeTlsConn implements ByteConn {
  readonly #socket: TLSSocket;
  readonly #raw: Socket;
  #chunks: Uint8Array[] = [];
  #buffered = 0;
  #ended = false;
  #wake: (() => void) | null = null;
  readonly #failWrites = new Set<(error: Error) => void>();

  /**
   * @param socket the TLS socket
   * @param raw the TCP connection under it (destroyed with it)
   */
  constructor(socket: TLSSocket, raw: Socket) {
    this.#socket = socket;
    this.#raw = raw;
    socket.on("data", (data: Uint8Array) => {
      this.#chunks.push(data);
      this.#buffered += data.length;
      if (this.#buffered >= HIGH_WATER) socket.pause();
      this.#notify();
    });
    const end = () => this.#end();
    socket.on("end", end);
    socket.on("close", end);
    socket.on("error", end);
    raw.on("close", end);
    raw.on("error", end);
  }

  #notify(): void {
    const wake = this.#wake;
    this.#wake = null;
    wake?.();
  }

  #end(): void {
    this.#ended = true;
    this.#notify();
    const error = new Error("Connection closed");
    for (const fail of this.#failWrites) fail(error);
    this.#failWrites.clear();
  }

  async read(buffer: Uint8Array): Promise<number | null> {
    while (this.#chunks.length === 0) {
      if (this.#ended) return null;
      await new Promise<void>((resolve) => this.#wake = resolve);
    }
    let n = 0;
    while (n < buffer.length && this.#chunks.length > 0) {
      const chunk = this.#chunks[0];
      const take = Math.min(chunk.length, buffer.length - n);
      buffer.set(chunk.subarray(0, take), n);
      n += take;
      if (take === chunk.length) this.#chunks.shift();
      else this.#chunks[0] = chunk.subarray(take);
    }
    this.#buffered -= n;
    if (this.#buffered < HIGH_WATER && this.#socket.isPaused()) {
      this.#socket.resume();
    }
    return n;
  }

  write(bytes: Uint8Array): Promise<number> {
    if (this.#ended) return Promise.reject(new Error("Connection closed"));
    return new Promise((resolve, reject) => {
      const fail = (error: Error) => reject(error);
      this.#failWrites.add(fail);
      this.#socket.write(bytes, (error?: Error | null) => {
        this.#failWrites.delete(fail);
        if (error) reject(error);
        else resolve(bytes.length);
      });
    });
  }

  close(): void {
    this.#socket.destroy();
    this.#raw.destroy();
    this.#end();
  }

  closeWrite(): Promise<void> {
    this.#socket.end();
    return Promise.resolve();
  }
}

/** Closes `conn`, ignoring that it may be closed already. */
export function closeQuietly(conn: ByteConn): void {
  try {
    conn.close();
  } catch {
    // already closed
  }
}

/** Writes all of `bytes` to `conn`. */
export async function writeAll(
  conn: ByteConn,
  bytes: Uint8Array,
): Promise<void> {
  for (let written = 0; written < bytes.length;) {
    written += await conn.write(bytes.subarray(written));
  }
}

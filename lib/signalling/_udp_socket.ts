/**
 * A small IPv4 UDP socket for broadcast signalling.
 *
 * It is built on `node:dgram`, not `Deno.listenDatagram`: in Deno 2.9 the
 * latter is still unstable (it needs `--unstable-net`, which neither
 * `deno test` nor compiled binaries get by default) and it cannot set
 * `SO_BROADCAST`, without which Linux refuses to send to a broadcast address
 * (EACCES). `node:dgram` offers both `reuseAddr` (SO_REUSEADDR, as the
 * original binds) and `setBroadcast(true)`.
 *
 * @module
 */

import dgram from "node:dgram";

/** One received datagram and where it came from. */
export interface Datagram {
  /** The payload. */
  data: Uint8Array;
  /** Source IPv4 address. */
  address: string;
  /** Source port. */
  port: number;
}

/** Where and how to bind. */
export interface UdpSocketOptions {
  /** Local address to bind (`"0.0.0.0"` for any). */
  host: string;
  /** Local port (0 for an ephemeral one). */
  port: number;
  /** Allow sending to broadcast addresses (SO_BROADCAST). */
  broadcast?: boolean;
  /** Let other sockets bind the same address and port (SO_REUSEADDR). */
  reuseAddress?: boolean;
}

/** A bound UDP socket that hands every datagram to a callback. */
export class UdpSocket {
  readonly #socket: dgram.Socket;
  #closed = false;

  private constructor(socket: dgram.Socket) {
    this.#socket = socket;
  }

  /**
   * Binds a socket; `onDatagram` receives every datagram until it is closed,
   * `onError` asynchronous socket errors.
   * @throws {Error} when binding fails (address in use, unknown host…)
   */
  static open(
    options: UdpSocketOptions,
    onDatagram: (datagram: Datagram) => void,
    onError: (error: Error) => void,
  ): Promise<UdpSocket> {
    const socket = dgram.createSocket({
      type: "udp4",
      reuseAddr: options.reuseAddress ?? false,
    });
    return new Promise((resolve, reject) => {
      const failBind = (error: Error) => {
        socket.close();
        reject(error);
      };
      socket.once("error", failBind);
      socket.bind(options.port, options.host, () => {
        socket.off("error", failBind);
        socket.on("error", onError);
        try {
          if (options.broadcast) socket.setBroadcast(true);
        } catch (error) {
          socket.close();
          reject(error);
          return;
        }
        const udp = new UdpSocket(socket);
        socket.on("message", (data: Uint8Array, remote: dgram.RemoteInfo) => {
          if (udp.#closed) return;
          onDatagram({
            data: new Uint8Array(data.buffer, data.byteOffset, data.byteLength),
            address: remote.address,
            port: remote.port,
          });
        });
        resolve(udp);
      });
    });
  }

  /** The bound local address and port. */
  get local(): { address: string; port: number } {
    const { address, port } = this.#socket.address();
    return { address, port };
  }

  /** Sends `data` to `address:port`. */
  send(data: Uint8Array, port: number, address: string): Promise<void> {
    return new Promise((resolve, reject) => {
      if (this.#closed) {
        reject(new Error("Cannot send on a closed UDP socket"));
        return;
      }
      try {
        this.#socket.send(
          data,
          port,
          address,
          (error) => error ? reject(error) : resolve(),
        );
      } catch (error) {
        reject(error);
      }
    });
  }

  /** Closes the socket; resolves once it is released. Safe to call twice. */
  close(): Promise<void> {
    if (this.#closed) return Promise.resolve();
    this.#closed = true;
    return new Promise((resolve) => this.#socket.close(() => resolve()));
  }
}

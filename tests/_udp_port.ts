/**
 * A UDP port for `!broadcast` tests, held for as long as the test needs it.
 *
 * Broadcast signalling needs one port that both sides know before either
 * starts (the answerer binds it, the caller sends to it). Picking a free
 * port, closing it and binding it again later races with every other
 * socket on the machine. Instead, {@linkcode holdUdpPort} binds port 0 on
 * any address with `SO_REUSEADDR` and keeps that socket open: the kernel
 * hands the port to no other socket that lacks `SO_REUSEADDR`, while the
 * answerers under test (ours, and the Python peer's, both bind with
 * `SO_REUSEADDR` as the original does) can bind it too. Datagrams
 * broadcast to the port reach every socket bound to it, the holder
 * included, so it also sees the offers a caller sends
 * ({@linkcode HeldUdpPort.received}), a positive sign that the caller runs.
 * Unicast datagrams to the port go to the socket that bound it last (the
 * answerer), never to the holder, which was first.
 *
 * @module
 */

import dgram from "node:dgram";

/** One datagram that reached the holder. */
export interface HeldDatagram {
  data: Uint8Array;
  address: string;
  port: number;
}

/** A bound, reusable UDP port; close it (or `await using` it) when the test ends. */
export interface HeldUdpPort extends AsyncDisposable {
  /** The port number. */
  readonly port: number;
  /** Every datagram that reached the holder, in order. */
  readonly received: readonly HeldDatagram[];
  /** Releases the port. */
  close(): Promise<void>;
}

/** Binds `host:0` (default any address) with `SO_REUSEADDR` and keeps it. */
export async function holdUdpPort(host = "0.0.0.0"): Promise<HeldUdpPort> {
  const socket = dgram.createSocket({ type: "udp4", reuseAddr: true });
  await new Promise<void>((resolve, reject) => {
    socket.once("error", reject);
    socket.bind(0, host, () => {
      socket.off("error", reject);
      resolve();
    });
  });
  const received: HeldDatagram[] = [];
  socket.on("message", (data: Uint8Array, remote: dgram.RemoteInfo) => {
    received.push({
      data: new Uint8Array(data),
      address: remote.address,
      port: remote.port,
    });
  });
  let closed: Promise<void> | null = null;
  const close = () =>
    closed ??= new Promise<void>((resolve) => socket.close(() => resolve()));
  return {
    port: socket.address().port,
    received,
    close,
    [Symbol.asyncDispose]: close,
  };
}

/**
 * A minimal STUN server for tests (RFC 5389 Binding only), on loopback: it
 * answers each Binding request with a XOR-MAPPED-ADDRESS that it is told to
 * report, so the peer sees a server-reflexive address distinct from its
 * host address (as behind a NAT), and counts the requests. With `silent`
 * it reads requests and answers none (an unreachable server).
 *
 * @module
 */

import dgram from "node:dgram";

const MAGIC_COOKIE = 0x2112a442;
const BINDING_REQUEST = 0x0001;
const BINDING_SUCCESS = 0x0101;
const XOR_MAPPED_ADDRESS = 0x0020;

/** A running test STUN server. */
export interface TestStunServer {
  /** `stun:127.0.0.1:PORT`. */
  url: string;
  /** Binding requests received so far. */
  readonly requests: number;
  close(): Promise<void>;
}

/** Starts the server on 127.0.0.1 and a free port. */
export async function startStunServer(options: {
  /** The address and port reported as the client's public one. */
  mapped: { address: string; port: number };
  /** Answer nothing. */
  silent?: boolean;
}): Promise<TestStunServer> {
  const socket = dgram.createSocket("udp4");
  let requests = 0;
  socket.on("message", (message: Uint8Array, remote) => {
    const view = new DataView(
      message.buffer,
      message.byteOffset,
      message.byteLength,
    );
    if (
      message.length < 20 || view.getUint16(0) !== BINDING_REQUEST ||
      view.getUint32(4) !== MAGIC_COOKIE
    ) return;
    requests++;
    if (options.silent) return;
    const reply = new Uint8Array(32);
    const out = new DataView(reply.buffer);
    out.setUint16(0, BINDING_SUCCESS);
    out.setUint16(2, 12); // one attribute: 4-byte header + 8-byte value
    reply.set(message.subarray(4, 20), 4); // cookie and transaction ID
    out.setUint16(20, XOR_MAPPED_ADDRESS);
    out.setUint16(22, 8);
    out.setUint8(25, 0x01); // IPv4
    out.setUint16(26, options.mapped.port ^ (MAGIC_COOKIE >>> 16));
    const octets = options.mapped.address.split(".").map(Number);
    const address = ((octets[0] << 24) | (octets[1] << 16) |
      (octets[2] << 8) | octets[3]) >>> 0;
    out.setUint32(28, (address ^ MAGIC_COOKIE) >>> 0);
    socket.send(reply, remote.port, remote.address);
  });
  await new Promise<void>((resolve) => socket.bind(0, "127.0.0.1", resolve));
  return {
    url: `stun:127.0.0.1:${socket.address().port}`,
    get requests() {
      return requests;
    },
    close: () => new Promise<void>((resolve) => socket.close(() => resolve())),
  };
}

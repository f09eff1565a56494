/**
 * A raw TCP client for server tests that need what a WebSocket library
 * will not do: stop reading, send a request head slowly or wrongly, read
 * the server's frames byte for byte.
 *
 * @module
 */

/** A request head asking for a WebSocket upgrade, with `extra` header lines. */
export function upgradeHead(
  options: { version?: string; key?: string; http?: string; extra?: string } =
    {},
): string {
  return `GET / HTTP/${options.http ?? "1.1"}\r\nHost: 127.0.0.1\r\n` +
    "Upgrade: websocket\r\nConnection: Upgrade\r\n" +
    `Sec-WebSocket-Key: ${options.key ?? "dGhlIHNhbXBsZSBub25jZQ=="}\r\n` +
    (options.version === ""
      ? ""
      : `Sec-WebSocket-Version: ${options.version ?? "13"}\r\n`) +
    (options.extra ?? "") + "\r\n";
}

/** A masked client frame (random mask) of `opcode` holding `payload`. */
export function clientFrame(
  payload: Uint8Array,
  opcode = 1,
  fin = true,
): Uint8Array {
  const n = payload.length;
  const header = n < 126 ? 2 : n < 65536 ? 4 : 10;
  const frame = new Uint8Array(header + 4 + n);
  const view = new DataView(frame.buffer);
  frame[0] = (fin ? 0x80 : 0) | opcode;
  if (n < 126) frame[1] = 0x80 | n;
  else if (n < 65536) {
    frame[1] = 0x80 | 126;
    view.setUint16(2, n);
  } else {
    frame[1] = 0x80 | 127;
    view.setBigUint64(2, BigInt(n));
  }
  const mask = crypto.getRandomValues(new Uint8Array(4));
  frame.set(mask, header);
  for (let i = 0; i < n; i++) frame[header + 4 + i] = payload[i] ^ mask[i & 3];
  return frame;
}

/** A masked text frame of `text`. */
export function clientTextFrame(text: string): Uint8Array {
  return clientFrame(new TextEncoder().encode(text));
}

/** A frame the server sent. */
export interface ServerFrame {
  opcode: number;
  payload: Uint8Array;
}

/** A raw connection to the server. */
export class RawClient {
  #pending = new Uint8Array(0);

  private constructor(readonly conn: Deno.TcpConn) {}

  /** Connects without sending anything. */
  static async connect(port: number): Promise<RawClient> {
    return new RawClient(await Deno.connect({ hostname: "127.0.0.1", port }));
  }

  /** Connects, sends a valid upgrade request and reads the 101. */
  static async upgraded(port: number): Promise<RawClient> {
    const client = await RawClient.connect(port);
    await client.write(upgradeHead());
    const head = await client.readHead();
    if (!head.startsWith("HTTP/1.1 101 ")) {
      throw new Error(`Upgrade refused: ${head}`);
    }
    return client;
  }

  /** Upgrades and joins `room` as `id`, then reads nothing more unless told. */
  static async joined(
    port: number,
    id: string,
    room: string,
  ): Promise<RawClient> {
    const client = await RawClient.upgraded(port);
    await client.write(
      clientTextFrame(JSON.stringify({ type: "join", id, room })),
    );
    return client;
  }

  /** Writes all of `data` (text as UTF-8). */
  async write(data: string | Uint8Array): Promise<void> {
    const bytes = typeof data === "string"
      ? new TextEncoder().encode(data)
      : data;
    for (let written = 0; written < bytes.length;) {
      written += await this.conn.write(bytes.subarray(written));
    }
  }

  /** Reads more bytes into the pending buffer; false at the end of the stream (or a reset). */
  async #fill(): Promise<boolean> {
    const chunk = new Uint8Array(64 * 1024);
    let n: number | null;
    try {
      n = await this.conn.read(chunk);
    } catch {
      n = null;
    }
    if (n === null) return false;
    const joined = new Uint8Array(this.#pending.length + n);
    joined.set(this.#pending);
    joined.set(chunk.subarray(0, n), this.#pending.length);
    this.#pending = joined;
    return true;
  }

  /** Reads a response head (up to the blank line); what follows stays pending. */
  async readHead(): Promise<string> {
    while (true) {
      const text = new TextDecoder().decode(this.#pending);
      const end = text.indexOf("\r\n\r\n");
      if (end >= 0) {
        this.#pending = this.#pending.slice(
          new TextEncoder().encode(text.slice(0, end + 4)).length,
        );
        return text.slice(0, end + 4);
      }
      if (!(await this.#fill())) {
        throw new Error(`The connection ended inside a response head: ${text}`);
      }
    }
  }

  /** Everything until the server closes the connection, as text. */
  async readToEnd(): Promise<string> {
    while (await this.#fill());
    return new TextDecoder().decode(this.#pending);
  }

  /** Whether the server has closed the connection (reads and drops what comes first). */
  async ended(): Promise<true> {
    while (true) {
      this.#pending = new Uint8Array(0);
      if (!(await this.#fill())) return true;
    }
  }

  /** The next frame the server sends, or `null` when the connection ends first. */
  async nextFrame(): Promise<ServerFrame | null> {
    while (true) {
      const p = this.#pending;
      if (p.length >= 2) {
        let length = p[1] & 0x7f;
        let offset = 2;
        const view = new DataView(p.buffer, p.byteOffset, p.byteLength);
        if (length === 126 && p.length >= 4) {
          length = view.getUint16(2);
          offset = 4;
        } else if (length === 127 && p.length >= 10) {
          length = Number(view.getBigUint64(2));
          offset = 10;
        }
        if (length < 126 || offset > 2) {
          if (p.length >= offset + length) {
            this.#pending = p.slice(offset + length);
            return {
              opcode: p[0] & 0x0f,
              payload: p.slice(offset, offset + length),
            };
          }
        }
      }
      if (!(await this.#fill())) return null;
    }
  }

  /** Reads frames until a close frame and returns its code, or `null` when the connection ends first. */
  async closeCode(): Promise<number | null> {
    while (true) {
      const frame = await this.nextFrame();
      if (frame === null) return null;
      if (frame.opcode === 8) {
        return (frame.payload[0] << 8) | frame.payload[1];
      }
    }
  }

  /** Closes the connection (safe to call twice). */
  close(): void {
    try {
      this.conn.close();
    } catch {
      // already closed
    }
  }
}

/**
 * A raw WebSocket client for server tests: sends whatever it is told
 * (including garbage) and collects what the server sends back.
 *
 * @module
 */

import WebSocket from "npm:ws@8.18.3";

/** One message the server sent, decoded. */
// deno-lint-ignore no-explicit-any
export type Received = Record<string, any>;

/** A raw test client. */
export class TestClient {
  readonly received: Received[] = [];
  readonly closed: Promise<{ code: number; reason: string }>;
  #waiters: Array<() => void> = [];
  #cursor = 0;

  private constructor(readonly socket: WebSocket) {
    socket.on("message", (data: WebSocket.RawData, binary: boolean) => {
      this.received.push(binary ? { binary: true } : JSON.parse(String(data)));
      this.#wake();
    });
    this.closed = new Promise((resolve) => {
      socket.on("close", (code: number, reason: Uint8Array) => {
        resolve({ code, reason: new TextDecoder().decode(reason) });
        this.#wake();
      });
    });
    socket.on("error", () => {});
  }

  /** Connects to `url` (certificate checks off when `verify` is false). */
  static connect(url: string, verify = true): Promise<TestClient> {
    const socket = new WebSocket(url, { rejectUnauthorized: verify });
    return new Promise((resolve, reject) => {
      socket.once("open", () => resolve(new TestClient(socket)));
      socket.once("error", reject);
    });
  }

  /** Connects and joins `room` as `id`, returning once the joiner's first members list came. */
  static async joined(
    url: string,
    id: string,
    room: string,
  ): Promise<TestClient> {
    const client = await TestClient.connect(url);
    client.send({ type: "join", id, room });
    await client.next((m) => m.type === "members" && m.members.includes(id));
    return client;
  }

  #wake(): void {
    const waiters = this.#waiters;
    this.#waiters = [];
    for (const wake of waiters) wake();
  }

  /** Sends `message` (objects as JSON text, strings and bytes as they are). */
  send(message: Received | string | Uint8Array): void {
    this.socket.send(
      typeof message === "object" && !(message instanceof Uint8Array)
        ? JSON.stringify(message)
        : message,
    );
  }

  /** Whether the server has closed the connection. */
  get isClosed(): boolean {
    return this.socket.readyState === WebSocket.CLOSED;
  }

  /**
   * The next message (after those already returned) that satisfies
   * `predicate`; messages skipped on the way are consumed.
   *
   * @throws {Error} when the connection closes or `timeoutMs` passes first
   */
  async next(
    predicate: (message: Received) => boolean = () => true,
    timeoutMs = 15_000,
  ): Promise<Received> {
    const deadline = Date.now() + timeoutMs;
    while (true) {
      while (this.#cursor < this.received.length) {
        const message = this.received[this.#cursor++];
        if (predicate(message)) return message;
      }
      if (this.isClosed) {
        throw new Error("Connection closed while waiting for a message");
      }
      const left = deadline - Date.now();
      if (left <= 0) {
        throw new Error(
          `No matching message within ${timeoutMs} ms; got ${
            JSON.stringify(this.received)
          }`,
        );
      }
      let timer: ReturnType<typeof setTimeout> | undefined;
      await new Promise<void>((resolve) => {
        this.#waiters.push(resolve);
        timer = setTimeout(resolve, left);
      });
      clearTimeout(timer);
    }
  }

  /** The members list this client saw last, after waiting for one that satisfies `predicate`. */
  async members(predicate: (members: string[]) => boolean): Promise<string[]> {
    const message = await this.next((m) =>
      m.type === "members" && predicate(m.members)
    );
    return message.members;
  }

  /** The latest members list received, once it satisfies `predicate` (already received ones count). */
  async latestMembers(
    predicate: (members: string[]) => boolean,
    timeoutMs = 15_000,
  ): Promise<string[]> {
    const deadline = Date.now() + timeoutMs;
    while (true) {
      const latest = this.received.findLast((m) => m.type === "members");
      if (latest && predicate(latest.members)) return latest.members;
      if (this.isClosed) {
        throw new Error("Connection closed while waiting for a members list");
      }
      const left = deadline - Date.now();
      if (left <= 0) {
        throw new Error(`No matching members list within ${timeoutMs} ms`);
      }
      let timer: ReturnType<typeof setTimeout> | undefined;
      await new Promise<void>((resolve) => {
        this.#waiters.push(resolve);
        timer = setTimeout(resolve, left);
      });
      clearTimeout(timer);
    }
  }

  /** Closes the connection and waits until it is closed. */
  async close(): Promise<void> {
    if (!this.isClosed) this.socket.close();
    await this.closed;
  }
}

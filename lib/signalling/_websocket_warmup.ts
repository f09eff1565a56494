/**
 * Warming up the WebSocket client (`npm:ws` on Deno's `node:` modules)
 * before the first real connection: the first connection of a process
 * costs several times what later ones do (modules initialised on first use,
 * code compiled on first run), and it is on the way to a call's first
 * `:connected`. One throwaway connection to a server of our own on
 * loopback, made while the scene loads, takes that cost there instead.
 *
 * @module
 */

import WebSocket, { WebSocketServer } from "npm:ws@8.18.3";

let warming: Promise<void> | null = null;
let warmed = false;

/** Whether a warm-up connection has completed in this process. */
export function webSocketClientWarmed(): boolean {
  return warmed;
}

/**
 * Opens one WebSocket connection to a server listening on 127.0.0.1 in
 * this process, exchanges a message and closes both (once per process;
 * later calls return the same promise). Never rejects: when loopback is
 * unusable the warm-up is skipped after at most `timeoutMs`.
 */
export function warmUpWebSocketClient(timeoutMs = 1000): Promise<void> {
  warming ??= connectOnce(timeoutMs).catch(() => {});
  return warming;
}

async function connectOnce(timeoutMs: number): Promise<void> {
  const server = new WebSocketServer({ host: "127.0.0.1", port: 0 });
  let client: WebSocket | undefined;
  let timer: ReturnType<typeof setTimeout> | undefined;
  try {
    await new Promise<void>((resolve, reject) => {
      timer = setTimeout(() => reject(new Error("timed out")), timeoutMs);
      server.once("error", reject);
      server.once("listening", () => {
        const { port } = server.address() as { port: number };
        server.once("connection", (socket: WebSocket) => socket.send("warm"));
        client = new WebSocket(`ws://127.0.0.1:${port}/`);
        client.once("error", reject);
        client.once("message", () => {
          warmed = true;
          resolve();
        });
      });
    });
  } finally {
    clearTimeout(timer);
    client?.terminate();
    for (const socket of server.clients) socket.terminate();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  }
}

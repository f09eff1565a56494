/**
 * The calling side of `!broadcast` signalling (`call=ID`), one round at a
 * time: one offer, broadcast to `broadcast:port` and re-sent on the
 * schedule of the timings' `offerResendDelaysMs` until an answer arrives
 * (unicast, from the answerer) or the window ends; then the wait for the
 * connection, and the watch over the call while it is up (see
 * `CallWatch`): the round ends when the call is lost, and the next one
 * starts with a new offer at once. The socket is closed while the call is
 * up, as the original's is.
 *
 * @module
 */

import type { BroadcastCipher } from "./broadcast_cipher.ts";
import {
  type BroadcastContext,
  type Event,
  log,
  type Outcome,
} from "./_broadcast_context.ts";

/** One round of calling: offer, connect, and watch the call until it is lost. */
export async function runCaller(
  ctx: BroadcastContext,
  cipherPromise: Promise<BroadcastCipher>,
): Promise<void> {
  if (await offerAndConnect(ctx, cipherPromise) !== "connected") return;
  log.info(`${ctx.description}: connected; signalling paused`);
  const lost = await ctx.watchConnection();
  log.info(`${ctx.description}: call lost (${lost}); calling again`);
}

/** One offer, re-sent until answered or the window ends; then the wait for the connection. */
async function offerAndConnect(
  ctx: BroadcastContext,
  cipherPromise: Promise<BroadcastCipher>,
): Promise<Outcome> {
  const { broadcast, port } = ctx.config;
  const socket = await ctx.openSocket(0, true);
  try {
    // The offer is made while the key is derived (both take a while).
    const [cipher, offer] = await Promise.all([
      ctx.abortable(cipherPromise),
      ctx.abortable(ctx.session.createOffer()),
    ]);
    ctx.events.clear(); // state changes and datagrams of the previous attempt
    log.info(`${ctx.description}: offering from port ${socket.local.port}`);
    let sends = 0;
    for (const delay of ctx.timings.offerResendDelaysMs) {
      await ctx.send(socket, cipher, { offer }, broadcast, port);
      sends++;
      const deadline = performance.now() + delay;
      let event: Event | undefined;
      while ((event = await ctx.events.next(deadline)) !== undefined) {
        if (event.kind === "state") {
          const state = ctx.session.connectionState;
          if (state === "failed" || state === "closed" || state === null) {
            log.info(
              `${ctx.description}: peer connection ${state}; starting over`,
            );
            return "restart";
          }
          continue;
        }
        const message = await ctx.receive(cipher, event.datagram);
        if (typeof message?.answer !== "string") {
          if (message) {
            log.debug(`${ctx.description}: ignoring unexpected message`);
          }
          continue;
        }
        const { address, port: from } = event.datagram;
        log.info(
          `${ctx.description}: answer from ${address}:${from} after ${sends} offer(s)`,
        );
        await ctx.abortable(ctx.session.acceptAnswer(message.answer));
        return await awaitConnection(ctx, cipher);
      }
    }
    log.info(
      `${ctx.description}: no answer after ${sends} offers; starting over`,
    );
    return "restart";
  } finally {
    await ctx.closeSocket();
  }
}

/** Caller after applying the answer: waits for the connection, ignoring late answers. */
async function awaitConnection(
  ctx: BroadcastContext,
  cipher: BroadcastCipher,
): Promise<Outcome> {
  const deadline = performance.now() + ctx.timings.connectWaitMs;
  while (true) {
    const outcome = ctx.connectionOutcome();
    if (outcome !== null) return outcome;
    const event = await ctx.events.next(deadline);
    if (event === undefined) {
      log.info(
        `${ctx.description}: not connected ${ctx.timings.connectWaitMs} ms after the answer; starting over`,
      );
      return "restart";
    }
    if (event.kind === "datagram") {
      const message = await ctx.receive(cipher, event.datagram);
      if (message) log.trace(`${ctx.description}: ignoring a late message`);
    }
  }
}

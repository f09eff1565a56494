/**
 * The answering side of `!broadcast` signalling (`answer=ID`): bound to
 * `host:port`, it answers each valid offer unicast to the offer's source
 * address, re-sends the same answer to a repeated offer, and starts over
 * with a new offer (the caller restarted); an offer it has already replaced
 * is ignored.
 *
 * @module
 */

import type { BroadcastCipher } from "./broadcast_cipher.ts";
import {
  type BroadcastContext,
  log,
  type Outcome,
} from "./_broadcast_context.ts";
import type { Datagram } from "./_udp_socket.ts";

/** Answering side: answers offers until the connection is made. */
export async function runAnswerer(
  ctx: BroadcastContext,
  cipherPromise: Promise<BroadcastCipher>,
): Promise<Outcome> {
  const socket = await ctx.openSocket(ctx.config.port, false);
  try {
    log.info(`${ctx.description}: waiting for an offer`);
    const cipher = await ctx.abortable(cipherPromise);
    let offer: string | null = null;
    let answer: string | null = null;
    const replaced = new Set<string>();
    let deadline = Infinity;
    /** Sends `sdp` to the sender of `to`; the wait for the connection starts again. */
    const sendAnswer = async (sdp: string, to: Datagram) => {
      await ctx.send(socket, cipher, { answer: sdp }, to.address, to.port);
      deadline = performance.now() + ctx.timings.answerWaitMs;
    };
    while (true) {
      const event = await ctx.events.next(deadline);
      if (event === undefined) {
        log.info(
          `${ctx.description}: not connected ${ctx.timings.answerWaitMs} ms after answering; starting over`,
        );
        return "restart";
      }
      if (event.kind === "state") {
        if (answer === null) continue; // only the connection we answered for counts
        const outcome = ctx.connectionOutcome();
        if (outcome !== null) return outcome;
        continue;
      }
      const { datagram } = event;
      const message = await ctx.receive(cipher, datagram);
      if (message === null) continue;
      if (typeof message.offer !== "string") {
        log.debug(`${ctx.description}: ignoring unexpected message`);
        continue;
      }
      const source = `${datagram.address}:${datagram.port}`;
      if (message.offer === offer) {
        if (answer !== null) {
          log.trace(
            `${ctx.description}: repeated offer from ${source}; re-sending the answer`,
          );
          await sendAnswer(answer, datagram);
        }
        continue;
      }
      if (replaced.has(message.offer)) {
        log.debug(`${ctx.description}: ignoring an offer already replaced`);
        continue;
      }
      if (offer !== null) {
        replaced.add(offer);
        log.info(
          `${ctx.description}: a new offer from ${source} replaces the previous one`,
        );
      } else {
        log.info(`${ctx.description}: offer from ${source}; answering`);
      }
      offer = message.offer;
      answer = null;
      answer = await ctx.abortable(ctx.session.acceptOffer(offer));
      await sendAnswer(answer, datagram);
      const state = ctx.session.connectionState;
      if (state === "connected") return "connected";
    }
  } finally {
    await ctx.closeSocket();
  }
}

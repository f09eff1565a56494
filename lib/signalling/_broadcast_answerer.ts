/**
 * The answering side of `!broadcast` signalling (`answer=ID`).
 *
 * It binds `host:port` once and keeps the socket for as long as signalling
 * runs: a bad datagram or a bad offer is warned about (rate-limited) and
 * ignored, and it goes on listening while a call is up, so that a caller
 * that restarted is heard at once. It answers a valid offer unicast to the
 * offer's source address. Which offer wins:
 *
 * - the offer of the current call again: the same answer again (no new
 *   peer connection);
 * - an offer it has replaced before, or one sealed (its Fernet timestamp)
 *   before the current call's offer: stale, ignored;
 * - an offer whose SDP is unusable (no `v=0` first, no well-formed `o=`
 *   line, or libwebrtc rejects it): ignored, and the socket stays open;
 * - while the current call is being made (not yet connected): a new offer
 *   replaces it (its caller restarted, or another caller was quicker);
 * - while the call is up: a new offer replaces it only when the call's peer
 *   hung up, libwebrtc says `disconnected`, or nothing has come from the
 *   peer for `replaceSilenceMs` (it crashed, and this is it again, or
 *   someone else calling now that it is gone). A second caller cannot take
 *   a healthy call over; it is answered once that call ends. (The
 *   original's answerer stops listening once connected, which comes to the
 *   same for a healthy call.)
 *
 * A call that is lost (see {@linkcode CallWatch}) is closed, and the next
 * offer is answered on the same socket.
 *
 * @module
 */

import { type BroadcastCipher, sealedAt } from "./broadcast_cipher.ts";
import { type BroadcastContext, CallWatch, log } from "./_broadcast_context.ts";
import { QueueAbortedError } from "./_broadcast_queue.ts";
import type { Datagram, UdpSocket } from "./_udp_socket.ts";

/** How many replaced offers are remembered (to ignore their repeats). */
const REPLACED_LIMIT = 64;

/**
 * What makes `sdp` unusable as an offer at first sight, or `null`: only
 * what every session description has (RFC 8866) is checked, `v=0` first
 * and an `o=` line of six fields, so that a sealed message with a broken
 * SDP is turned away before the current call is touched.
 */
export function offerProblem(sdp: string): string | null {
  const lines = sdp.split(/\r?\n/).filter((line) => line !== "");
  if (lines[0] !== "v=0") return "its SDP does not start with v=0";
  const origin = lines.find((line) => line.startsWith("o="));
  if (origin === undefined) return "its SDP has no o= line";
  if (origin.slice(2).trim().split(/\s+/).length !== 6) {
    return `its SDP has a malformed o= line "${origin.slice(0, 80)}"`;
  }
  return null;
}

/** Answering side: runs until signalling is closed (or the socket cannot be bound). */
export async function runAnswerer(
  ctx: BroadcastContext,
  cipherPromise: Promise<BroadcastCipher>,
): Promise<never> {
  const socket = await ctx.openSocket(ctx.config.port, false);
  try {
    log.info(`${ctx.description}: waiting for an offer`);
    const cipher = await ctx.abortable(cipherPromise);
    const answerer = new Answerer(ctx, socket, cipher);
    while (true) {
      const event = await ctx.events.next(answerer.nextLook());
      if (event?.kind === "datagram") await answerer.take(event.datagram);
      answerer.look();
    }
  } finally {
    await ctx.closeSocket();
  }
}

/** The call the answerer answered. */
interface Call {
  readonly offer: string;
  readonly answer: string;
  /** The offer's Fernet timestamp (seconds since the epoch). */
  readonly sealedAt: number;
  /** Where the offer came from (`address:port`). */
  readonly source: string;
  /** Set when it connects; until then the call is being made. */
  watch: CallWatch | null;
  /** While being made: when (`performance.now()`) to give up on it. */
  giveUpAt: number;
}

/** The answering loop's state: the current call and the offers it replaced. */
class Answerer {
  #call: Call | null = null;
  readonly #replaced = new Set<string>();

  constructor(
    readonly ctx: BroadcastContext,
    readonly socket: UdpSocket,
    readonly cipher: BroadcastCipher,
  ) {}

  /** When to look at the current call again without an event. */
  nextLook(): number {
    const call = this.#call;
    if (call === null) return Infinity;
    return call.watch === null ? call.giveUpAt : call.watch.nextLook();
  }

  /** Notices the current call connecting, failing or being lost. */
  look(): void {
    const call = this.#call;
    if (call === null) return;
    const { ctx } = this;
    if (call.watch !== null) {
      const lost = call.watch.lost();
      if (lost !== null) this.#end(`call with ${call.source} lost (${lost})`);
      return;
    }
    const state = ctx.session.connectionState;
    if (state === "connected") {
      call.watch = new CallWatch(ctx);
      log.info(
        `${ctx.description}: connected to ${call.source}; still listening for offers`,
      );
    } else if (state === "failed" || state === "closed" || state === null) {
      this.#end(`peer connection ${state}`);
    } else if (performance.now() >= call.giveUpAt) {
      this.#end(
        `not connected ${ctx.timings.answerWaitMs} ms after answering`,
      );
    }
  }

  /** Handles one datagram: answers, re-answers or ignores it. */
  async take(datagram: Datagram): Promise<void> {
    const { ctx } = this;
    const message = await ctx.receive(this.cipher, datagram);
    if (message === null) return;
    if (typeof message.offer !== "string") {
      log.debug(`${ctx.description}: ignoring unexpected message`);
      return;
    }
    const offer = message.offer;
    const source = `${datagram.address}:${datagram.port}`;
    const call = this.#call;
    if (call !== null && offer === call.offer) {
      log.trace(
        `${ctx.description}: repeated offer from ${source}; re-sending the answer`,
      );
      await this.#send(call.answer, datagram);
      if (call.watch === null) {
        call.giveUpAt = performance.now() + ctx.timings.answerWaitMs;
      }
      return;
    }
    if (this.#replaced.has(offer)) {
      log.debug(`${ctx.description}: ignoring an offer already replaced`);
      return;
    }
    const sealed = sealedAt(datagram.data) ?? 0;
    if (call !== null && sealed < call.sealedAt) {
      log.debug(
        `${ctx.description}: ignoring an offer from ${source} sealed before the current call's`,
      );
      return;
    }
    const problem = offerProblem(offer);
    if (problem !== null) {
      ctx.warn(`ignoring an offer from ${source}: ${problem}`, "offer");
      return;
    }
    if (call !== null) {
      const busy = this.#busy(call);
      if (busy !== null) {
        ctx.note("info", `ignoring an offer from ${source}: ${busy}`, "busy");
        return;
      }
      log.info(
        `${ctx.description}: a new offer from ${source} replaces the call with ${call.source}`,
      );
    } else {
      log.info(`${ctx.description}: offer from ${source}; answering`);
    }
    let answer: string;
    try {
      answer = await ctx.abortable(ctx.session.acceptOffer(offer));
    } catch (error) {
      if (error instanceof QueueAbortedError) throw error;
      const reason = error instanceof Error ? error.message : String(error);
      ctx.warn(
        `ignoring an offer from ${source}: it cannot be answered (${reason})`,
        "offer",
      );
      // Accepting it replaced the previous peer connection: that call is over.
      ctx.session.close();
      this.#call = null;
      return;
    }
    if (call !== null) this.#remember(call.offer);
    this.#call = {
      offer,
      answer,
      sealedAt: sealed,
      source,
      watch: null,
      giveUpAt: performance.now() + ctx.timings.answerWaitMs,
    };
    await this.#send(answer, datagram);
  }

  /** Why `call` must not be replaced by a new offer, or `null` when it may be. */
  #busy(call: Call): string | null {
    if (call.watch === null) return null; // still being made
    const { session, timings } = this.ctx;
    if (session.connectionState === "disconnected") return null;
    const activity = session.peerActivity?.() ?? null;
    if (activity?.closedByPeer) return null;
    const silent = activity?.silentMs ?? null;
    if (silent !== null && silent >= timings.replaceSilenceMs) return null;
    return `the call with ${call.source} is up`;
  }

  #end(why: string): void {
    log.info(`${this.ctx.description}: ${why}; waiting for an offer`);
    this.#call = null;
    this.ctx.session.close();
  }

  #remember(offer: string): void {
    this.#replaced.add(offer);
    if (this.#replaced.size > REPLACED_LIMIT) {
      this.#replaced.delete(this.#replaced.values().next().value!);
    }
  }

  #send(answer: string, to: Datagram): Promise<void> {
    return this.ctx.send(
      this.socket,
      this.cipher,
      { answer },
      to.address,
      to.port,
    );
  }
}

/**
 * When a peer connection's offer or answer may go out: the ICE candidates
 * of one `RTCPeerConnection` as they come, and the wait for enough of them.
 * Our signalling is non-trickle (the SDP carries every candidate), and
 * waiting for libwebrtc to finish gathering costs about 100 ms (its TCP
 * candidates come in a later step), so the SDP goes out:
 *
 * - without ICE servers, {@linkcode UDP_CANDIDATE_GRACE_MS} after the first
 *   UDP candidate (1 ms for a connection made ahead, whose candidates come
 *   in one burst), unless every candidate is wanted (`waitForTcp`);
 * - with STUN or TURN servers, shortly after their first candidate
 *   (`srflx`, or `relay` with a TURN server), or with the host candidates
 *   alone once the servers took `serverWaitMs` after the first of those;
 * - in any case when gathering completes, or after `timeoutMs`.
 *
 * @module
 */

import type { Logger } from "../log/logger.ts";
import type { WrtcPeerConnection } from "./_wrtc.ts";
import { UDP_CANDIDATE_GRACE_MS } from "./peer_session_options.ts";

/** How long and for what the wait goes on (one per session). */
export interface GatheringPolicy {
  /** Whether STUN or TURN servers are configured. */
  readonly withServers: boolean;
  /** The candidate type the servers give (`relay` with TURN, else `srflx`). */
  readonly serverCandidateType: "srflx" | "relay";
  /** How long (ms) to wait for a server candidate after the first host candidate. */
  readonly serverWaitMs: number;
  /** Wait for every candidate, TCP ones included. */
  readonly waitForTcp: boolean;
  /** The longest wait (ms) for gathering to complete. */
  readonly timeoutMs: number;
}

type Timer = ReturnType<typeof setTimeout>;

/** The candidates of one peer connection, and waits for enough of them. */
export class CandidateGathering {
  /** `performance.now()` of the first UDP candidate, or `null`. */
  #firstUdpAt: number | null = null;
  /** `performance.now()` of the first candidate from a STUN or TURN server, or `null`. */
  #firstServerAt: number | null = null;
  #onUdp: (() => void) | null = null;
  #onServer: (() => void) | null = null;
  /** Ends the pending wait, if any. */
  #stopWaiting: (() => void) | null = null;

  /**
   * @param pc the peer connection whose candidates these are
   * @param pooled made with a candidate pool: its candidates come all at once
   * @param policy the session's rules for the wait
   */
  constructor(
    readonly pc: WrtcPeerConnection,
    readonly pooled: boolean,
    readonly policy: GatheringPolicy,
  ) {}

  /** Notes a candidate line from `onicecandidate` (only UDP ones count). */
  note(line: string): void {
    if (!/ udp /i.test(line)) return;
    if (this.#firstUdpAt === null) {
      this.#firstUdpAt = performance.now();
      this.#onUdp?.();
    }
    if (
      this.#firstServerAt === null &&
      line.includes(` typ ${this.policy.serverCandidateType}`)
    ) {
      this.#firstServerAt = performance.now();
      this.#onServer?.();
    }
  }

  /** Ends a pending wait at once (the connection is being closed). */
  stop(): void {
    this.#stopWaiting?.();
  }

  /** Resolves when the SDP may go out (see the module documentation). */
  wait(log: Logger): Promise<void> {
    const pc = this.pc;
    if (pc.iceGatheringState === "complete") return Promise.resolve();
    const policy = this.policy;
    return new Promise((resolve) => {
      let grace: Timer | undefined;
      let serverWait: Timer | undefined;
      const done = () => {
        clearTimeout(timer);
        clearTimeout(grace);
        clearTimeout(serverWait);
        pc.onicegatheringstatechange = null;
        this.#onUdp = null;
        this.#onServer = null;
        this.#stopWaiting = null;
        resolve();
      };
      const after = (at: number, ms: number, then: () => void): Timer =>
        setTimeout(then, Math.max(0, at + ms - performance.now()));
      // With ICE servers: a short grace after their first candidate, or the
      // host candidates alone once the servers took too long.
      const serverArrived = () => {
        if (grace !== undefined || this.#firstServerAt === null) return;
        clearTimeout(serverWait);
        grace = after(this.#firstServerAt, UDP_CANDIDATE_GRACE_MS, () => {
          log.debug(
            `sending the SDP with the ${policy.serverCandidateType} candidate from the ICE servers`,
          );
          done();
        });
      };
      const hostArrived = () => {
        if (serverWait !== undefined || this.#firstUdpAt === null) return;
        serverWait = after(this.#firstUdpAt, policy.serverWaitMs, () => {
          log.warn(
            `no ${policy.serverCandidateType} candidate from the ICE servers within ${policy.serverWaitMs} ms; sending the host candidates`,
          );
          done();
        });
      };
      // Without waiting for TCP: a short grace after the first UDP candidate
      // (pooled candidates, gathered already, come out in one burst).
      const udpArrived = () => {
        if (grace !== undefined || this.#firstUdpAt === null) return;
        const graceMs = this.pooled ? 1 : UDP_CANDIDATE_GRACE_MS;
        grace = after(this.#firstUdpAt, graceMs, () => {
          log.debug(
            "sending the SDP with the UDP candidates (not waiting for TCP ones)",
          );
          done();
        });
      };
      const timer = setTimeout(() => {
        log.warn(
          `ICE gathering did not finish within ${policy.timeoutMs} ms; sending the candidates found so far`,
        );
        done();
      }, policy.timeoutMs);
      this.#stopWaiting = done;
      pc.onicegatheringstatechange = () => {
        if (pc.iceGatheringState === "complete") done();
      };
      if (policy.withServers) {
        this.#onUdp = hostArrived;
        this.#onServer = serverArrived;
        hostArrived();
        serverArrived();
      } else if (!policy.waitForTcp) {
        this.#onUdp = udpArrived;
        udpArrived();
      }
    });
  }
}

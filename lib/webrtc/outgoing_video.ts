/**
 * A peer session's outgoing video: one wrtc `RTCVideoSource` and the one
 * track made from it, made when first needed and added to each of the
 * session's peer connections in turn (each `RTCPeerConnection` gets the
 * same track; a closed connection lets go of it).
 *
 * Why one for the whole session rather than one per connection: under Deno
 * (2.9, wrtc 0.10) the addon's `MediaStreamTrack` objects, like its
 * `RTCPeerConnection` and `RTCVideoSink` objects, are never freed (see
 * `_wrtc.ts`), so a track per connection would stay in memory, with its
 * native video track and source, for as long as the process runs, one more
 * after every call. The source's frames go only to the encoders of open
 * connections, so nothing is encoded while no call is up.
 *
 * @module
 */

import type { Wrtc, WrtcFrame, WrtcTrack, WrtcVideoSource } from "./_wrtc.ts";

/** One session's video source and track (see the module documentation). */
export class OutgoingVideo {
  readonly #wrtc: Wrtc;
  #source: WrtcVideoSource | null = null;
  #track: WrtcTrack | null = null;

  /** @param wrtc the loaded addon */
  constructor(wrtc: Wrtc) {
    this.#wrtc = wrtc;
  }

  /** The track to add to a peer connection (made on first use). */
  get track(): WrtcTrack {
    return this.#make().track;
  }

  /** Hands one I420 frame to the encoders of the connections that hold the track. */
  send(frame: WrtcFrame): void {
    this.#make().source.onFrame(frame);
  }

  #make(): { source: WrtcVideoSource; track: WrtcTrack } {
    if (this.#source === null || this.#track === null) {
      // Rendered images carry no sensor noise: the VP8 denoiser would only
      // cost time (7.3 → 5.6 ms per 720p frame measured).
      this.#source = new this.#wrtc.nonstandard.RTCVideoSource({
        needsDenoising: false,
      });
      this.#track = this.#source.createTrack();
    }
    return { source: this.#source, track: this.#track };
  }
}

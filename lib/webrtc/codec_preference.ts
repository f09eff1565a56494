/**
 * Putting the preferred video codec first on a transceiver
 * (`setCodecPreferences`), so offers and answers list it first; where the
 * binding cannot, the caller reorders the SDP instead (`preferCodec` in
 * `sdp.ts`). The other codecs stay available, so a peer without the
 * preferred one still connects.
 *
 * @module
 */

import type { Logger } from "../log/logger.ts";
import type { Wrtc, WrtcTransceiver } from "./_wrtc.ts";
import type { VideoCodec } from "./sdp.ts";

/**
 * Puts `codec` first in `transceiver`'s codec preferences; returns whether
 * that worked (else reorder the SDP), `true` also when the codec is not
 * available at all (with a warning: the default order is used).
 */
export function setCodecPreference(
  wrtc: Wrtc,
  transceiver: WrtcTransceiver,
  codec: VideoCodec,
  log: Logger,
): boolean {
  if (typeof transceiver.setCodecPreferences !== "function") return false;
  const codecs = wrtc.RTCRtpReceiver.getCapabilities("video")?.codecs ??
    wrtc.RTCRtpSender.getCapabilities("video")?.codecs ?? [];
  const mime = `video/${codec}`;
  const preferred = codecs.filter((c) => c.mimeType.toLowerCase() === mime);
  if (preferred.length === 0) {
    log.warn(
      `codec "${codec}" is not available; using the default order`,
    );
    return true;
  }
  try {
    transceiver.setCodecPreferences([
      ...preferred,
      ...codecs.filter((c) => !preferred.includes(c)),
    ]);
    return true;
  } catch (error) {
    log.debug(
      `setCodecPreferences failed (${error}); reordering the SDP instead`,
    );
    return false;
  }
}

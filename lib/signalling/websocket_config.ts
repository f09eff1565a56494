/**
 * Configuration of the `!websocket` signalling kind: which attributes a
 * `!websocket` node takes, how its server URL is normalised (`http:` and
 * `https:` mean `ws:` and `wss:`) and how the attributes become a
 * {@linkcode WebSocketConfig}, with a warning for each unusable setting.
 *
 * @module
 */

import type { Attributes } from "../scene/attributes.ts";
import { formatProblem } from "../scene/errors.ts";
import type { Logger } from "../log/logger.ts";

/** Configuration of one `!websocket` node. */
export interface WebSocketConfig {
  /** Server URL, normalised to `ws:` or `wss:`. */
  url: string;
  /** Room to join. */
  room: string;
  /** This endpoint's ID in the room. */
  id: string;
  /** Peer to call, or `null` to wait for a call. */
  call: string | null;
  /** Whether to check the server's TLS certificate. */
  verify: boolean;
}

/** Attributes the `!websocket` node understands. */
export const WEBSOCKET_ATTRIBUTES = [
  "url",
  "room",
  "id",
  "call",
  "verify",
] as const;

const SCHEMES: Record<string, string> = {
  "http:": "ws:",
  "https:": "wss:",
  "ws:": "ws:",
  "wss:": "wss:",
};

/**
 * `url` with `http:`/`https:` turned into `ws:`/`wss:`, or `null` when it
 * is not an absolute URL of one of those four schemes.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { normaliseSignallingUrl } from "./websocket_config.ts";
 * assert.equal(normaliseSignallingUrl("https://example.org:8443"), "wss://example.org:8443/");
 * ```
 */
export function normaliseSignallingUrl(url: string): string | null {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    return null;
  }
  const scheme = SCHEMES[parsed.protocol];
  if (scheme === undefined) return null;
  // URL will not change a special scheme's protocol in place; rebuild it.
  return scheme + parsed.href.slice(parsed.protocol.length);
}

/**
 * Reads a `!websocket` node's attributes; `null` (after a warning, which the
 * node's logger prints once) when unusable: `url=` and `id=` must be
 * non-empty, `room=` present (the empty room is allowed), and `call=` must
 * not be the node's own `id=`.
 */
export function configureWebSocket(
  attrs: Attributes,
  log: Logger,
): WebSocketConfig | null {
  const rawUrl = attrs.string("url", null) || null;
  const id = attrs.string("id", null) || null;
  const room = attrs.string("room", null);
  const missing = [
    rawUrl === null && "url=",
    room === null && "room=",
    id === null && "id=",
  ].filter(Boolean);
  if (missing.length > 0) {
    log.warn(
      formatProblem(
        attrs.location(),
        `!websocket needs ${missing.join(", ")}`,
      ),
    );
    return null;
  }
  const url = normaliseSignallingUrl(rawUrl!);
  if (url === null) {
    log.warn(
      formatProblem(
        attrs.location("url"),
        `expected an http, https, ws or wss URL, got "${rawUrl}"`,
      ),
    );
    return null;
  }
  const call = attrs.string("call", null);
  if (call === id) {
    log.warn(
      formatProblem(attrs.location("call"), `"${call}" is this node's own id=`),
    );
    return null;
  }
  return {
    url,
    room: room!,
    id: id!,
    call: call === "" ? null : call,
    verify: attrs.boolean("verify", true),
  };
}

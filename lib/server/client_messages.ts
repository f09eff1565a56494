/**
 * Decoding what a signalling client sends: one JSON object per text frame.
 * Pure functions, so the server's handling of bad input can be tested
 * without sockets.
 *
 * @module
 */

/** Largest message the server accepts by default, in bytes. */
export const MAX_MESSAGE_BYTES = 64 * 1024;

/** A decoded client message. */
export type ClientMessage =
  | { readonly kind: "join"; readonly id: string; readonly room: string }
  | {
    readonly kind: "relay";
    readonly to: string;
    readonly message: Readonly<Record<string, unknown>> & {
      readonly to: string;
    };
  }
  | { readonly kind: "other"; readonly type: unknown };

/** Why a frame could not be decoded, for a log line. */
export interface BadMessage {
  /** Marks a frame that could not be decoded. */
  readonly kind: "bad";
  /** What is wrong, e.g. `not JSON`. */
  readonly problem: string;
  /** Whether the server should close the client (undecodable) or just ignore it. */
  readonly fatal: boolean;
}

/**
 * Decodes one text frame. `join` needs a string `id`; a missing `room`
 * means the room `""` (the original client leaves it out when empty); any
 * message with a string `to` is a relay; a `to` of another type is bad.
 */
export function decodeClientMessage(text: string): ClientMessage | BadMessage {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return { kind: "bad", problem: "not JSON", fatal: true };
  }
  if (typeof value !== "object" || value === null || Array.isArray(value)) {
    return { kind: "bad", problem: "not a JSON object", fatal: true };
  }
  const message = value as Record<string, unknown>;
  if (message.type === "join") {
    if (typeof message.id !== "string") {
      return {
        kind: "bad",
        problem: `join without a string "id"`,
        fatal: true,
      };
    }
    const room = message.room ?? "";
    if (typeof room !== "string") {
      return {
        kind: "bad",
        problem: `join with a "room" that is not a string`,
        fatal: true,
      };
    }
    return { kind: "join", id: message.id, room };
  }
  if ("to" in message && message.to !== null) {
    if (typeof message.to !== "string") {
      return { kind: "bad", problem: `"to" is not a string`, fatal: false };
    }
    return {
      kind: "relay",
      to: message.to,
      message: message as Record<string, unknown> & { to: string },
    };
  }
  return { kind: "other", type: message.type };
}

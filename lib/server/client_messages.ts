/**
 * Decoding what a signalling client sends: one JSON object per text frame.
 * Pure functions, so the server's handling of bad input can be tested
 * without sockets.
 *
 * @module
 */

/** Largest text frame the server accepts by default, in UTF-8 bytes. */
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

/** UTF-8 length of `text` in bytes (lone surrogates count as three, as encoded). */
export function utf8Length(text: string): number {
  let bytes = 0;
  for (let i = 0; i < text.length; i++) {
    const code = text.charCodeAt(i);
    if (code < 0x80) bytes += 1;
    else if (code < 0x800) bytes += 2;
    else if (
      code >= 0xd800 && code <= 0xdbff && i + 1 < text.length &&
      (text.charCodeAt(i + 1) & 0xfc00) === 0xdc00
    ) {
      bytes += 4;
      i++;
    } else bytes += 3;
  }
  return bytes;
}

/** Whether `text` is longer than `limit` bytes in UTF-8. */
export function exceedsBytes(text: string, limit: number): boolean {
  if (text.length > limit) return true; // every UTF-16 unit is at least one byte
  if (text.length * 3 <= limit) return false; // every unit is at most three bytes
  return utf8Length(text) > limit;
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

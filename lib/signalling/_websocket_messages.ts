/**
 * Decoding what the signalling server sends a `!websocket` client: one JSON
 * object per text frame (see PROTOCOL.md). Anything else is a
 * {@linkcode MessageError}, after which the client reconnects.
 *
 * @module
 */

/** A server message that cannot be understood. */
export class MessageError extends Error {}

/** One decoded server message. */
export type ServerMessage = Readonly<Record<string, unknown>>;

/** Decodes one text frame into a JSON object. */
export function decodeServerMessage(text: string): ServerMessage {
  let message: unknown;
  try {
    message = JSON.parse(text);
  } catch {
    throw new MessageError("not JSON");
  }
  if (
    typeof message !== "object" || message === null || Array.isArray(message)
  ) {
    throw new MessageError("not a JSON object");
  }
  return message as ServerMessage;
}

/** The string field `name` of `message` (`offer`, `from`…). */
export function field(message: ServerMessage, name: string): string {
  const value = message[name];
  if (typeof value !== "string") {
    throw new MessageError(
      `"${message.type}" message without a string "${name}"`,
    );
  }
  return value;
}

/** The IDs of a `members` message. */
export function memberIds(message: ServerMessage): string[] {
  const members = message.members;
  if (
    !Array.isArray(members) || !members.every((m) => typeof m === "string")
  ) {
    throw new MessageError(`"members" message without a list of IDs`);
  }
  return members;
}

/**
 * The signalling server's room logic, without any I/O: who is in which room,
 * relaying messages between members, and telling members who else is there.
 *
 * A client joins one room under an ID that must be unique in that room. Any
 * message it then sends with a `"to"` field goes to that member of its room
 * with `"from"` set to the sender's ID (whatever the sender wrote there).
 * Every member is sent `{"type": "members", "members": [...]}` after someone
 * joins or leaves. Those lists are coalesced: after a change the room
 * schedules one broadcast of its then-current list instead of sending one
 * list per join, so a thousand clients joining at once cost a few
 * broadcasts, not a million messages. A list is always built when it is
 * sent, so every list a client sees is the room as it is at that moment, and
 * a joiner always gets one that holds its own ID. An ID that leaves and
 * joins again is never hidden: the list without it is sent before it
 * rejoins (a caller watches for its peer coming back). Large rooms broadcast
 * at most once per {@linkcode broadcastInterval} milliseconds.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { RoomRegistry } from "./rooms.ts";
 * const inbox: string[] = [];
 * const rooms = new RoomRegistry();
 * const alice = { send: (text: string) => inbox.push(text), close() {} };
 * rooms.join(alice, "alice", "lobby");
 * rooms.flush();
 * assert.equal(inbox[0], '{"type":"members","members":["alice"]}');
 * ```
 *
 * @module
 */

/** One client's connection, as the room logic sees it. */
export interface MemberConnection {
  /** Sends one text frame to the client. */
  send(text: string): void;
  /** Closes the client's connection with a WebSocket close `code` and `reason`. */
  close(code: number, reason: string): void;
}

/** The error text the original server sends for a taken ID. */
export const ID_TAKEN_ERROR = "User ID already taken";

/** WebSocket close code used after a refused join (policy violation). */
export const CLOSE_POLICY = 1008;

/** Result of {@linkcode RoomRegistry.relay}. */
export type RelayOutcome = "sent" | "unknown-recipient" | "not-joined";

/** Where a joined connection is. */
export interface Membership {
  /** The member's ID in its room. */
  readonly id: string;
  /** The room's name. */
  readonly room: string;
}

/** Options of {@linkcode RoomRegistry}. */
export interface RoomRegistryOptions {
  /**
   * Runs `callback` after `delayMs` (default: `setTimeout`); returns a
   * function that cancels it.
   */
  schedule?: (callback: () => void, delayMs: number) => () => void;
  /** Current time in milliseconds (default: `performance.now`). */
  now?: () => number;
}

/**
 * Minimum time between two member-list broadcasts of a room with `size`
 * members, in milliseconds: none for small rooms, growing with the room
 * (each broadcast sends `size` lists of `size` IDs) up to 200 ms.
 */
export function broadcastInterval(size: number): number {
  if (size <= 32) return 0;
  return Math.min(200, size * 0.1);
}

class Room {
  readonly members = new Map<string, MemberConnection>();
  /**
   * IDs that left since the last broadcast (a rejoin must not hide their
   * leaving); made when one leaves, so a quiet room holds no set.
   */
  departed: Set<string> | null = null;
  lastBroadcast = -Infinity;
  cancelBroadcast: (() => void) | null = null;

  constructor(readonly name: string) {}
}

interface Joined {
  readonly id: string;
  readonly room: Room;
  /** `,"from":ID}`, appended to relayed JSON text. */
  readonly fromSuffix: string;
}

/** JSON object text `text` (which holds at least one key) with `suffix` replacing its closing brace. */
function withFrom(text: string, suffix: string): string {
  let end = text.length - 1;
  while (end > 0 && text.charCodeAt(end) !== 0x7d) end--; // skip trailing whitespace to "}"
  return text.slice(0, end) + suffix;
}

function defaultSchedule(callback: () => void, delayMs: number): () => void {
  const timer = setTimeout(callback, delayMs);
  return () => clearTimeout(timer);
}

/** All rooms of one server and the connections in them. */
export class RoomRegistry {
  readonly #rooms = new Map<string, Room>();
  readonly #joined = new Map<MemberConnection, Joined>();
  readonly #schedule: (callback: () => void, delayMs: number) => () => void;
  readonly #now: () => number;

  /** Creates an empty registry. */
  constructor(options: RoomRegistryOptions = {}) {
    this.#schedule = options.schedule ?? defaultSchedule;
    this.#now = options.now ?? (() => performance.now());
  }

  /**
   * Adds `connection` to `room` as `id`. When `id` is already in that room
   * the connection is sent `{"type": "error", "error": "User ID already
   * taken"}`, closed, and `false` is returned.
   *
   * @throws {RangeError} when `connection` has already joined a room
   */
  join(connection: MemberConnection, id: string, room: string): boolean {
    if (this.#joined.has(connection)) {
      throw new RangeError(
        `Connection has already joined as "${
          this.#joined.get(connection)!.id
        }"`,
      );
    }
    let target = this.#rooms.get(room);
    if (target?.members.has(id)) {
      connection.send(JSON.stringify({ type: "error", error: ID_TAKEN_ERROR }));
      connection.close(CLOSE_POLICY, ID_TAKEN_ERROR);
      return false;
    }
    if (target === undefined) {
      target = new Room(room);
      this.#rooms.set(room, target);
    } else if (target.departed?.has(id)) {
      // Members must see this ID leave before they see it again.
      this.#broadcast(target);
    }
    target.members.set(id, connection);
    this.#joined.set(connection, {
      id,
      room: target,
      fromSuffix: `,"from":${JSON.stringify(id)}}`,
    });
    this.#changed(target);
    return true;
  }

  /** Removes `connection` from its room, if it is in one (safe to call twice). */
  leave(connection: MemberConnection): Membership | undefined {
    const joined = this.#joined.get(connection);
    if (joined === undefined) return undefined;
    this.#joined.delete(connection);
    const { id, room } = joined;
    room.members.delete(id);
    (room.departed ??= new Set()).add(id);
    if (room.members.size === 0) {
      room.cancelBroadcast?.();
      room.cancelBroadcast = null;
      if (this.#rooms.get(room.name) === room) this.#rooms.delete(room.name);
    } else {
      this.#changed(room);
    }
    return { id, room: room.name };
  }

  /**
   * Sends `message` to the member of the sender's room named by its `to`
   * field, with `from` set to the sender's ID. `text`, when given, must be
   * the JSON text `message` was parsed from: if it has no `from` the
   * relayed text is `text` with `"from"` appended, saving a re-encoding.
   */
  relay(
    connection: MemberConnection,
    message: Readonly<Record<string, unknown>> & { readonly to: string },
    text?: string,
  ): RelayOutcome {
    const joined = this.#joined.get(connection);
    if (joined === undefined) return "not-joined";
    const recipient = joined.room.members.get(message.to);
    if (recipient === undefined) return "unknown-recipient";
    recipient.send(
      text !== undefined && !Object.hasOwn(message, "from")
        ? withFrom(text, joined.fromSuffix)
        : JSON.stringify({ ...message, from: joined.id }),
    );
    return "sent";
  }

  /** The room and ID of `connection`, when it has joined. */
  membership(connection: MemberConnection): Membership | undefined {
    const joined = this.#joined.get(connection);
    return joined && { id: joined.id, room: joined.room.name };
  }

  /** IDs in `room`, in joining order (empty when there is no such room). */
  members(room: string): string[] {
    return [...(this.#rooms.get(room)?.members.keys() ?? [])];
  }

  /** Names of the rooms that have members. */
  roomNames(): string[] {
    return [...this.#rooms.keys()];
  }

  /** Number of joined connections. */
  get size(): number {
    return this.#joined.size;
  }

  /** Sends every pending member list now. */
  flush(): void {
    for (const room of this.#rooms.values()) {
      if (room.cancelBroadcast !== null) this.#broadcast(room);
    }
  }

  /** Cancels pending broadcasts and forgets every room (for shutdown). */
  clear(): void {
    for (const room of this.#rooms.values()) room.cancelBroadcast?.();
    this.#rooms.clear();
    this.#joined.clear();
  }

  #changed(room: Room): void {
    if (room.cancelBroadcast !== null) return;
    const due = room.lastBroadcast + broadcastInterval(room.members.size);
    const delay = Math.max(0, due - this.#now());
    room.cancelBroadcast = this.#schedule(() => this.#broadcast(room), delay);
  }

  #broadcast(room: Room): void {
    room.cancelBroadcast?.();
    room.cancelBroadcast = null;
    room.departed = null;
    if (room.members.size === 0) return;
    room.lastBroadcast = this.#now();
    const text = JSON.stringify({
      type: "members",
      members: [...room.members.keys()],
    });
    for (const connection of room.members.values()) connection.send(text);
  }
}

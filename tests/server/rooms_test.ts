import { deepStrictEqual as assertEquals, throws } from "node:assert/strict";
import {
  broadcastInterval,
  type MemberConnection,
  RoomRegistry,
} from "../../lib/server/rooms.ts";

/** A connection that keeps what it is sent. */
class Inbox implements MemberConnection {
  readonly sent: unknown[] = [];
  closed: [number, string] | null = null;
  send(text: string): void {
    this.sent.push(JSON.parse(text));
  }
  close(code: number, reason: string): void {
    this.closed = [code, reason];
  }
  /** Members lists received, oldest first. */
  get lists(): string[][] {
    return this.sent.flatMap((m) =>
      (m as { type: string }).type === "members"
        ? [(m as { members: string[] }).members]
        : []
    );
  }
}

/** A scheduler the test runs by hand. */
function manualScheduler() {
  const pending = new Set<() => void>();
  return {
    schedule(callback: () => void): () => void {
      pending.add(callback);
      return () => pending.delete(callback);
    },
    run(): void {
      const due = [...pending];
      pending.clear();
      for (const callback of due) callback();
    },
    get size() {
      return pending.size;
    },
  };
}

Deno.test("joins in one tick are coalesced into one members list per member", () => {
  const clock = manualScheduler();
  const rooms = new RoomRegistry({ schedule: clock.schedule, now: () => 0 });
  const inboxes = Array.from({ length: 5 }, () => new Inbox());
  inboxes.forEach((inbox, i) => rooms.join(inbox, `user ${i}`, "lobby"));
  assertEquals(inboxes[0].sent, []);
  assertEquals(clock.size, 1);
  clock.run();
  const all = ["user 0", "user 1", "user 2", "user 3", "user 4"];
  for (const inbox of inboxes) assertEquals(inbox.lists, [all]);
});

Deno.test("a leave then rejoin of one ID is never hidden inside one members list", () => {
  const clock = manualScheduler();
  const rooms = new RoomRegistry({ schedule: clock.schedule, now: () => 0 });
  const watcher = new Inbox();
  const first = new Inbox();
  rooms.join(watcher, "watcher", "lobby");
  rooms.join(first, "peer", "lobby");
  clock.run();
  rooms.leave(first);
  const second = new Inbox();
  rooms.join(second, "peer", "lobby");
  clock.run();
  assertEquals(watcher.lists, [["watcher", "peer"], ["watcher"], [
    "watcher",
    "peer",
  ]]);
  assertEquals(second.lists, [["watcher", "peer"]]);
});

Deno.test("a taken ID gets an error and is closed without joining", () => {
  const rooms = new RoomRegistry();
  const holder = new Inbox();
  const intruder = new Inbox();
  rooms.join(holder, "alice", "lobby");
  assertEquals(rooms.join(intruder, "alice", "lobby"), false);
  assertEquals(intruder.sent, [{
    type: "error",
    error: "User ID already taken",
  }]);
  assertEquals(intruder.closed, [1008, "User ID already taken"]);
  assertEquals(rooms.membership(intruder), undefined);
  assertEquals(rooms.members("lobby"), ["alice"]);
  rooms.clear();
});

Deno.test("relay sets from to the sender's ID and reaches only its own room", () => {
  const rooms = new RoomRegistry();
  const alice = new Inbox(), bob = new Inbox(), carol = new Inbox();
  rooms.join(alice, "alice", "one");
  rooms.join(bob, "bob", "one");
  rooms.join(carol, "carol", "two");
  rooms.flush();
  assertEquals(
    rooms.relay(alice, { type: "call", to: "bob", offer: "o", from: "carol" }),
    "sent",
  );
  assertEquals(bob.sent.at(-1), {
    type: "call",
    to: "bob",
    offer: "o",
    from: "alice",
  });
  assertEquals(
    rooms.relay(alice, { type: "call", to: "carol" }),
    "unknown-recipient",
  );
  assertEquals(rooms.relay(new Inbox(), { to: "bob" }), "not-joined");
  assertEquals(carol.sent, [{ type: "members", members: ["carol"] }]);
  rooms.clear();
});

Deno.test("an emptied room is discarded, its pending list dropped, and leave is idempotent", () => {
  const clock = manualScheduler();
  const rooms = new RoomRegistry({ schedule: clock.schedule, now: () => 0 });
  const alice = new Inbox();
  rooms.join(alice, "alice", "lobby");
  assertEquals(rooms.leave(alice), { id: "alice", room: "lobby" });
  assertEquals(rooms.leave(alice), undefined);
  assertEquals(rooms.roomNames(), []);
  assertEquals(clock.size, 0);
  assertEquals(alice.sent, []);
  throws(() => {
    const twice = new Inbox();
    rooms.join(twice, "x", "r");
    rooms.join(twice, "y", "r");
  }, RangeError);
  rooms.clear();
});

Deno.test("large rooms wait between broadcasts and send the then-current list", () => {
  let now = 0;
  const delays: number[] = [];
  const clock = manualScheduler();
  const rooms = new RoomRegistry({
    schedule: (callback, delay) => {
      delays.push(delay);
      return clock.schedule(callback);
    },
    now: () => now,
  });
  const inboxes = Array.from({ length: 100 }, () => new Inbox());
  inboxes.forEach((inbox, i) => rooms.join(inbox, `u${i}`, "big"));
  clock.run();
  now = 1;
  rooms.leave(inboxes[99]);
  rooms.join(new Inbox(), "late", "big");
  assertEquals(delays, [0, broadcastInterval(99) - 1]);
  clock.run();
  const last = inboxes[0].lists.at(-1)!;
  assertEquals(last.length, 100);
  assertEquals(last.includes("u99"), false);
  assertEquals(last.at(-1), "late");
  assertEquals(inboxes[0].lists.length, 2);
  rooms.clear();
});

Deno.test("relaying the received text appends from, or re-encodes when the sender forged one", () => {
  const rooms = new RoomRegistry();
  const alice = new Inbox(), bob = new Inbox();
  const raw: string[] = [];
  bob.send = (text) => raw.push(text);
  rooms.join(alice, 'al"ice', "one");
  rooms.join(bob, "bob", "one");
  const text = '{"type": "call", "to": "bob", "offer": "o"}\n ';
  rooms.relay(alice, JSON.parse(text), text);
  assertEquals(
    raw[0],
    '{"type": "call", "to": "bob", "offer": "o","from":"al\\"ice"}',
  );
  assertEquals(JSON.parse(raw[0]), {
    type: "call",
    to: "bob",
    offer: "o",
    from: 'al"ice',
  });
  const forged = '{"from": "mallory", "to": "bob"}';
  rooms.relay(alice, JSON.parse(forged), forged);
  assertEquals(raw[1], '{"from":"al\\"ice","to":"bob"}');
  rooms.clear();
});

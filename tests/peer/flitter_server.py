#!/usr/bin/python3
# Debian packages: python3-websockets (10.4)
# Run with /usr/bin/python3, Debian's interpreter (another python3 on PATH may
#   lack these packages).
"""A minimal, independent flitter-webrtc WebSocket signalling server.

Implements the server of the original flitter-webrtc plugin's WebSocket
signalling protocol (github.com/jonathanhogg/flitter-webrtc) on its own, so that
our Deno clients can be tested against a Python server:

  flitter_server.py [--host 127.0.0.1] [--port 8080]

--port 0 picks a free port. When ready it prints `listening <port>` on stdout
(flushed). Rooms and relays are logged to stderr. SIGTERM/SIGINT exit 0.

Protocol (JSON text frames):
  client → server  {"type":"join","id":ID,"room":ROOM}   (first message)
                   any object with "to": relayed to that member of the room
                   with "from" set to the sender's ID (dropped if unknown)
  server → client  {"type":"members","members":[...]} to all members on
                   every join/leave; {"type":"error","error":"User ID already
                   taken"} then close, when the ID is in use in that room.
"""

import argparse
import asyncio
import json
import signal
import sys

import websockets


def log(message):
    sys.stderr.write("flitter_server: %s\n" % message)
    sys.stderr.flush()


class Rooms:
    """Room membership: room name → {member ID → socket}, in join order."""

    def __init__(self):
        self.rooms = {}

    async def announce(self, room):
        members = self.rooms.get(room)
        if not members:
            return
        text = json.dumps({"type": "members", "members": list(members)})
        for ws in list(members.values()):
            try:
                await ws.send(text)
            except websockets.exceptions.ConnectionClosed:
                pass

    async def serve(self, ws, path=None):
        try:
            first = json.loads(await ws.recv())
        except (ValueError, websockets.exceptions.ConnectionClosed):
            return
        if (
            not isinstance(first, dict)
            or first.get("type") != "join"
            or not isinstance(first.get("id"), str)
            or not isinstance(first.get("room"), str)
        ):
            log("first message was not a join; closing")
            return
        ident, room = first["id"], first["room"]
        members = self.rooms.setdefault(room, {})
        if ident in members:
            log("refused %r in room %r: ID taken" % (ident, room))
            await ws.send(json.dumps({"type": "error", "error": "User ID already taken"}))
            await ws.close()
            if not members:
                del self.rooms[room]
            return
        members[ident] = ws
        log("%r joined room %r" % (ident, room))
        await self.announce(room)
        try:
            async for raw in ws:
                try:
                    message = json.loads(raw)
                except ValueError:
                    log("undecodable message from %r ignored" % ident)
                    continue
                if not isinstance(message, dict) or "to" not in message:
                    continue
                target = members.get(message["to"])
                if target is None:
                    log("dropped %s from %r to unknown %r" % (message.get("type"), ident, message["to"]))
                    continue
                message["from"] = ident
                log("relay %s %r → %r" % (message.get("type"), ident, message["to"]))
                try:
                    await target.send(json.dumps(message))
                except websockets.exceptions.ConnectionClosed:
                    pass
        except websockets.exceptions.ConnectionClosed:
            pass
        finally:
            if members.get(ident) is ws:
                del members[ident]
                log("%r left room %r" % (ident, room))
            if not members:
                self.rooms.pop(room, None)
            else:
                await self.announce(room)


async def amain(args):
    rooms = Rooms()
    loop = asyncio.get_running_loop()
    stop = loop.create_future()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, lambda: stop.done() or stop.set_result(None))
    async with websockets.serve(rooms.serve, args.host, args.port) as server:
        port = server.sockets[0].getsockname()[1]
        sys.stdout.write("listening %d\n" % port)
        sys.stdout.flush()
        await stop
    return 0


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8080)
    return asyncio.run(amain(parser.parse_args()))


if __name__ == "__main__":
    sys.exit(main())

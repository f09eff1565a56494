#!/usr/bin/python3
# Debian packages: python3-aiortc (1.4.0) python3-cryptography python3-websockets
#   (python3-av and python3-numpy come with python3-aiortc)
# Run with /usr/bin/python3, Debian's interpreter (another python3 on PATH may
#   lack these packages).
"""An independent flitter-webrtc test peer built on aiortc.

It implements the wire protocols of the original flitter-webrtc plugin
(github.com/jonathanhogg/flitter-webrtc) on its own (it shares no code with
the TypeScript implementation), so that our Deno endpoints can be tested
against a second WebRTC stack:

  flitter_peer.py --broadcast-call ID | --broadcast-answer ID
                  [--secret S] [--port 5111] [--host 0.0.0.0]
                  [--broadcast-address 127.255.255.255]
  flitter_peer.py --websocket URL --room R --id ID [--call PEER] [--no-verify]
                  [--stay-joined] [--retry-delay 5]

  common: --colour R,G,B  --bottom-colour R,G,B  --size 320x240  --fps 30
          --duration SECONDS  --report-interval 0.5  --moving

--rgb (with --moving) hands aiortc RGB frames and converts every received
frame to RGB, as an endpoint that renders and shows frames on a GPU must.

--moving sends moving content instead of a solid colour (sliding colour bars
and a ball, like bench/_call_endpoint.ts draws; 90 frames made ahead in
I420, so making frames costs nothing while the call runs): the benchmark's
reference for what aiortc's own pipeline costs (bench/aiortc_bench.ts).

It sends a solid-colour video track (optionally with a different bottom half,
to check orientation), receives the remote track and prints one JSON object
per line on stdout (flushed):

  {"event":"state","state":"connected","t":MS}   connection state changes
                                                  (t: wall clock, ms since 1970)
  {"event":"frame","width":W,"height":H,"rgb":[r,g,b],"top":[r,g,b],
   "bottom":[r,g,b],"count":N,"cpu":S,"sent_bytes":B}   every report interval
      (cpu: this process's CPU seconds; sent_bytes: video bytes sent so far)
  {"event":"signalling","step":...}               signalling progress ("start"
                                                  with t, as above: WebSocket)
  {"event":"members","members":[...]}             WebSocket room members
  {"event":"ready",...}                            sockets bound / joined
  {"event":"warning","warning":...}               ignored bad input
  {"event":"error","error":...}                   errors
  {"event":"exit","reason":...}                   just before a clean exit

"rgb" is the mean of the centre region (middle half in both directions);
"top" and "bottom" are the means of the top and bottom eighths of the rows
(middle half of the columns). SIGTERM and SIGINT end it cleanly (exit 0).

Only loopback host candidates are gathered (aioice normally skips
127.0.0.1); run it inside scripts/in_loopback_netns.sh.
"""

import argparse
import asyncio
import base64
import fractions
import hashlib
import json
import signal
import socket
import ssl
import sys
import time
import zlib

import aioice.ice
import av
import numpy
from aiortc import (
    MediaStreamTrack,
    RTCConfiguration,
    RTCPeerConnection,
    RTCSessionDescription,
)
from aiortc.mediastreams import MediaStreamError
from cryptography.fernet import Fernet, InvalidToken
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.pbkdf2 import PBKDF2HMAC

DEFAULT_SECRET = "flitter_webrtc"
DEFAULT_BROADCAST_PORT = 5111
BROADCAST_BUFFER = 1500
BROADCAST_WAIT = 5.0
BROADCAST_SENDS = 5
FERNET_TTL = 10
CONNECT_WAIT = 30.0
VIDEO_CLOCK_RATE = 90000
ENDED_STATES = ("failed", "closed")


# ---------------------------------------------------------------- output


def emit(event, **fields):
    """Prints one JSON event line on stdout and flushes it."""
    record = {"event": event}
    record.update(fields)
    sys.stdout.write(json.dumps(record) + "\n")
    sys.stdout.flush()


def log(message):
    """Diagnostics for humans go to stderr, never stdout."""
    sys.stderr.write("flitter_peer: %s\n" % message)
    sys.stderr.flush()


# ------------------------------------------------------ loopback candidates


def _loopback_host_addresses(use_ipv4, use_ipv6):
    # Only 127.0.0.1: tests must never put traffic on a real interface.
    return ["127.0.0.1"] if use_ipv4 else []


aioice.ice.get_host_addresses = _loopback_host_addresses


# ------------------------------------------------------------------ media


class PacedTrack(MediaStreamTrack):
    """A video track delivering `next_frame()` at `fps` with 90 kHz timestamps."""

    kind = "video"

    def __init__(self, fps):
        super().__init__()
        self._step = int(round(VIDEO_CLOCK_RATE / fps))
        self._time_base = fractions.Fraction(1, VIDEO_CLOCK_RATE)
        self._start = None
        self._timestamp = 0

    def next_frame(self):
        raise NotImplementedError

    async def recv(self):
        if self.readyState != "live":
            raise MediaStreamError
        if self._start is None:
            self._start = time.time()
            self._timestamp = 0
        else:
            self._timestamp += self._step
            delay = self._start + self._timestamp / VIDEO_CLOCK_RATE - time.time()
            if delay > 0:
                await asyncio.sleep(delay)
        frame = self.next_frame()
        frame.pts = self._timestamp
        frame.time_base = self._time_base
        return frame


class ColourTrack(PacedTrack):
    """A video track of solid-colour frames (optionally a two-tone frame)."""

    def __init__(self, width, height, fps, colour, bottom_colour=None):
        super().__init__(fps)
        pixels = numpy.empty((height, width, 3), dtype=numpy.uint8)
        pixels[:, :] = colour
        if bottom_colour is not None:
            pixels[height // 2 :, :] = bottom_colour
        self._pixels = pixels

    def next_frame(self):
        return av.VideoFrame.from_ndarray(self._pixels, format="rgb24")


def moving_frames(width, height, fps, as_rgb=False, count=90):
    """Frames of sliding colour bars and a ball, `count` frames at `fps`.

    I420 frames, or with `as_rgb` RGB ones (aiortc then converts each to I420
    for the encoder, as it must for frames read back from a GPU).
    """
    x = (numpy.arange(width, dtype=numpy.float32) + 0.5) / width
    y = (numpy.arange(height, dtype=numpy.float32) + 0.5) / height
    frames = []
    for index in range(count):
        t = index / fps
        rgb = numpy.empty((height, width, 3), dtype=numpy.float32)
        rgb[:, :, 0] = numpy.mod(x * 3.0 + t * 0.25, 1.0)[None, :]
        rgb[:, :, 1] = numpy.mod(y * 2.0 - t * 0.15, 1.0)[:, None]
        rgb[:, :, 2] = 0.5
        bx = 0.5 + 0.35 * numpy.sin(t * 1.1)
        by = 0.5 + 0.3 * numpy.cos(t * 0.7)
        dx = (x - bx)[None, :] * (width / height)
        dy = (y - by)[:, None]
        rgb[dx * dx + dy * dy < 0.01] = (1.0, 0.9, 0.2)
        pixels = (rgb * 255.0 + 0.5).astype(numpy.uint8)
        frame = av.VideoFrame.from_ndarray(pixels, format="rgb24")
        frames.append(frame if as_rgb else frame.reformat(format="yuv420p"))
    return frames


class MovingTrack(PacedTrack):
    """A video track of moving content, cycling through frames made ahead."""

    def __init__(self, frames, fps):
        super().__init__(fps)
        self._frames = frames
        self._index = 0

    def next_frame(self):
        frame = self._frames[self._index % len(self._frames)]
        self._index += 1
        return frame


def _mean(region):
    return [int(round(v)) for v in region.reshape(-1, 3).mean(axis=0)]


class FrameMonitor:
    """Counts received frames and reports the colours of the latest one."""

    def __init__(self, interval, rgb=False):
        self.interval = interval
        self.rgb = rgb
        self.count = 0
        self.latest = None
        self.sender = None
        self._tasks = set()

    def watch(self, track):
        task = asyncio.ensure_future(self._consume(track))
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def _consume(self, track):
        while True:
            try:
                frame = await track.recv()
            except MediaStreamError:
                return
            self.count += 1
            self.latest = frame
            if self.rgb:
                frame.to_ndarray(format="rgb24")  # as an endpoint showing it on the GPU must

    async def report_forever(self):
        reported = None
        while True:
            await asyncio.sleep(self.interval)
            frame = self.latest
            if frame is None:
                continue
            if frame is not reported:
                pixels = frame.to_ndarray(format="rgb24")
                height, width = pixels.shape[0], pixels.shape[1]
                cols = slice(width // 4, width - width // 4)
                band = max(1, height // 8)
                stats = {
                    "width": width,
                    "height": height,
                    "rgb": _mean(pixels[height // 4 : height - height // 4, cols]),
                    "top": _mean(pixels[:band, cols]),
                    "bottom": _mean(pixels[height - band :, cols]),
                }
                reported = frame
            emit(
                "frame",
                count=self.count,
                cpu=time.process_time(),
                sent_bytes=await self._sent_bytes(),
                **stats,
            )

    async def _sent_bytes(self):
        """Bytes of video sent on the current connection (None without one)."""
        if self.sender is None:
            return None
        try:
            report = await self.sender.getStats()
        except Exception:  # the connection just closed
            return None
        for stats in report.values():
            if stats.type == "outbound-rtp":
                return stats.bytesSent
        return None

    def stop(self):
        for task in list(self._tasks):
            task.cancel()


class Endpoint:
    """Creates peer connections that send our colour and watch the remote track."""

    def __init__(self, args, monitor):
        self.args = args
        self.monitor = monitor
        self.pc = None
        # Made once, ahead of signalling (it takes a few seconds at 720p).
        self._moving_frames = (
            moving_frames(args.size[0], args.size[1], args.fps, args.rgb)
            if args.moving
            else None
        )
        self._changed = asyncio.Event()

    def new_connection(self):
        width, height = self.args.size
        pc = RTCPeerConnection(RTCConfiguration(iceServers=[]))
        if self._moving_frames is not None:
            track = MovingTrack(self._moving_frames, self.args.fps)
        else:
            track = ColourTrack(
                width, height, self.args.fps, self.args.colour, self.args.bottom_colour
            )
        self.monitor.sender = pc.addTrack(track)

        @pc.on("track")
        def on_track(track):
            if track.kind == "video":
                self.monitor.watch(track)

        @pc.on("connectionstatechange")
        def on_state():
            if pc is self.pc:
                emit("state", state=pc.connectionState, t=time.time() * 1000)
            self._changed.set()

        self.pc = pc
        emit("state", state=pc.connectionState)
        return pc

    async def close(self):
        pc, self.pc = self.pc, None
        if pc is not None:
            await pc.close()
            emit("state", state="closed")

    async def wait_state(self, states, timeout=None):
        """Waits until the current connection's state is one of `states`."""
        deadline = None if timeout is None else time.monotonic() + timeout
        while self.pc is not None and self.pc.connectionState not in states:
            self._changed.clear()
            remaining = None if deadline is None else deadline - time.monotonic()
            if remaining is not None and remaining <= 0:
                return False
            try:
                await asyncio.wait_for(self._changed.wait(), remaining)
            except asyncio.TimeoutError:
                return False
        return self.pc is not None

    async def run_until_ended(self):
        """After signalling: waits for connected, then for failed/closed."""
        connected = await self.wait_state(("connected",) + ENDED_STATES, CONNECT_WAIT)
        if connected and self.pc.connectionState == "connected":
            await self.wait_state(ENDED_STATES)
        await self.close()


# -------------------------------------------------------------- broadcast


class Cipher:
    """The broadcast message encoding: JSON → zlib 9 → Fernet raw token."""

    def __init__(self, secret, ident):
        salt = hashlib.sha256(ident.encode("utf-8")).digest()[:16]
        kdf = PBKDF2HMAC(
            algorithm=hashes.SHA256(), length=32, salt=salt, iterations=480000
        )
        self.key = base64.urlsafe_b64encode(kdf.derive(secret.encode("utf-8")))
        self._fernet = Fernet(self.key)

    def encode(self, message):
        compressed = zlib.compress(json.dumps(message).encode("utf-8"), 9)
        return base64.urlsafe_b64decode(self._fernet.encrypt(compressed))

    def decode(self, datagram, now=None):
        token = base64.urlsafe_b64encode(datagram)
        if now is None:
            compressed = self._fernet.decrypt(token, ttl=FERNET_TTL)
        else:
            compressed = self._fernet.decrypt_at_time(token, FERNET_TTL, int(now))
        return json.loads(zlib.decompress(compressed).decode("utf-8"))


class _DatagramQueue(asyncio.DatagramProtocol):
    def __init__(self):
        self.queue = asyncio.Queue()

    def datagram_received(self, data, addr):
        self.queue.put_nowait((data, addr))

    def error_received(self, exc):
        emit("warning", warning="UDP error: %s" % exc)


def _decode_datagram(cipher, data, addr):
    try:
        message = cipher.decode(data)
    except (InvalidToken, zlib.error, ValueError, UnicodeDecodeError) as exc:
        emit(
            "warning",
            warning="ignored a bad datagram from %s:%d (%s)"
            % (addr[0], addr[1], type(exc).__name__),
        )
        return None
    if not isinstance(message, dict):
        emit("warning", warning="ignored a datagram that is not a JSON object")
        return None
    return message


async def _open_udp(host, port, broadcast):
    loop = asyncio.get_running_loop()
    sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    if broadcast:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_BROADCAST, 1)
    sock.bind((host, port))
    transport, protocol = await loop.create_datagram_endpoint(
        _DatagramQueue, sock=sock
    )
    return transport, protocol.queue


async def broadcast_call(args, endpoint):
    cipher = Cipher(args.secret, args.broadcast_call)
    transport, queue = await _open_udp(args.host, 0, True)
    destination = (args.broadcast_address, args.port)
    emit("ready", mode="broadcast-call", port=transport.get_extra_info("sockname")[1])
    try:
        while True:
            pc = endpoint.new_connection()
            await pc.setLocalDescription(await pc.createOffer())
            datagram = cipher.encode({"offer": pc.localDescription.sdp})
            answer = None
            for attempt in range(1, BROADCAST_SENDS + 1):
                transport.sendto(datagram, destination)
                emit("signalling", step="offer-sent", attempt=attempt, bytes=len(datagram))
                deadline = time.monotonic() + BROADCAST_WAIT
                while answer is None:
                    remaining = deadline - time.monotonic()
                    if remaining <= 0:
                        break
                    try:
                        data, addr = await asyncio.wait_for(queue.get(), remaining)
                    except asyncio.TimeoutError:
                        break
                    message = _decode_datagram(cipher, data, addr)
                    if message is None or not isinstance(message.get("answer"), str):
                        continue
                    emit("signalling", step="answer-received")
                    try:
                        await pc.setRemoteDescription(
                            RTCSessionDescription(message["answer"], "answer")
                        )
                    except Exception as exc:  # a stale or malformed answer
                        emit("warning", warning="answer not applied: %s: %s" % (type(exc).__name__, exc))
                        continue
                    answer = message["answer"]
                if answer is not None:
                    break
            if answer is None:
                emit("signalling", step="gave-up")
                await endpoint.close()
                continue
            await endpoint.run_until_ended()
    finally:
        transport.close()


async def broadcast_answer(args, endpoint):
    cipher = Cipher(args.secret, args.broadcast_answer)
    transport, queue = await _open_udp(args.host, args.port, False)
    emit("ready", mode="broadcast-answer", port=transport.get_extra_info("sockname")[1])
    answered_offer = None
    answer_datagram = None
    watcher = None
    try:
        while True:
            data, addr = await queue.get()
            message = _decode_datagram(cipher, data, addr)
            if message is None or not isinstance(message.get("offer"), str):
                continue
            offer = message["offer"]
            live = endpoint.pc is not None and endpoint.pc.connectionState not in ENDED_STATES
            if live and offer == answered_offer:
                transport.sendto(answer_datagram, addr)
                emit("signalling", step="answer-resent")
                continue
            emit("signalling", step="offer-received")
            if watcher is not None:
                watcher.cancel()
            await endpoint.close()
            pc = endpoint.new_connection()
            try:
                await pc.setRemoteDescription(RTCSessionDescription(offer, "offer"))
                await pc.setLocalDescription(await pc.createAnswer())
            except Exception as exc:  # a malformed offer
                emit("warning", warning="offer not answered: %s: %s" % (type(exc).__name__, exc))
                await endpoint.close()
                answered_offer = None
                continue
            answered_offer = offer
            answer_datagram = cipher.encode({"answer": pc.localDescription.sdp})
            transport.sendto(answer_datagram, addr)
            emit("signalling", step="answer-sent", bytes=len(answer_datagram))
            watcher = asyncio.ensure_future(endpoint.run_until_ended())
    finally:
        if watcher is not None:
            watcher.cancel()
        transport.close()


# -------------------------------------------------------------- websocket


class ServerRefused(Exception):
    """The signalling server sent an `error` message."""


def _websocket_url(url):
    for old, new in (("http://", "ws://"), ("https://", "wss://")):
        if url.startswith(old):
            return new + url[len(old) :]
    return url


def _ssl_context(url, verify):
    if not url.startswith("wss://"):
        return None
    context = ssl.create_default_context()
    if not verify:
        context.check_hostname = False
        context.verify_mode = ssl.CERT_NONE
    return context


async def _send(ws, **message):
    await ws.send(json.dumps(message))
    if message.get("type") != "join":
        emit("signalling", step="sent-" + message["type"], to=message.get("to"))


class UndecodableMessage(Exception):
    """A signalling message that is not a JSON object."""


def _parse(raw):
    try:
        message = json.loads(raw)
    except ValueError as exc:
        raise UndecodableMessage(str(exc))
    if not isinstance(message, dict):
        raise UndecodableMessage("not a JSON object")
    return message


async def _websocket_call(ws, args, endpoint):
    """Calls `args.call` once it is a member; returns when `finished` is sent."""
    peer = args.call
    pc = None
    async for raw in ws:
        message = _parse(raw)
        kind = message.get("type")
        if kind == "error":
            raise ServerRefused(str(message.get("error")))
        if kind == "members":
            members = message.get("members") or []
            emit("members", members=members)
            if pc is None and peer in members:
                pc = endpoint.new_connection()
                await pc.setLocalDescription(await pc.createOffer())
                await _send(ws, type="call", to=peer, offer=pc.localDescription.sdp)
            elif pc is not None and peer not in members:
                emit("signalling", step="peer-left", peer=peer)
                await endpoint.close()
                pc = None
        elif (
            kind == "answer"
            and pc is not None
            and message.get("from") == peer
            and isinstance(message.get("answer"), str)
        ):
            emit("signalling", step="answer-received", peer=peer)
            await pc.setRemoteDescription(
                RTCSessionDescription(message["answer"], "answer")
            )
            await _send(ws, type="finished", to=peer)
            return
    raise ConnectionError("the signalling server closed the connection")


async def _websocket_answer(ws, args, endpoint):
    """Answers the first call; returns when `finished` arrives from that peer."""
    peer = None
    async for raw in ws:
        message = _parse(raw)
        kind = message.get("type")
        if kind == "error":
            raise ServerRefused(str(message.get("error")))
        if kind == "members":
            members = message.get("members") or []
            emit("members", members=members)
            if peer is not None and peer not in members:
                emit("signalling", step="peer-left", peer=peer)
                await endpoint.close()
                peer = None
        elif kind == "call" and isinstance(message.get("offer"), str):
            peer = message.get("from")
            emit("signalling", step="call-received", peer=peer)
            await endpoint.close()
            pc = endpoint.new_connection()
            await pc.setRemoteDescription(
                RTCSessionDescription(message["offer"], "offer")
            )
            await pc.setLocalDescription(await pc.createAnswer())
            await _send(ws, type="answer", to=peer, answer=pc.localDescription.sdp)
        elif kind == "finished" and peer is not None and message.get("from") == peer:
            emit("signalling", step="finished-received", peer=peer)
            return
    raise ConnectionError("the signalling server closed the connection")


async def _drain(ws):
    """While staying joined after signalling, reads and reports messages."""
    async for raw in ws:
        try:
            message = _parse(raw)
        except UndecodableMessage:
            continue
        if message.get("type") == "members":
            emit("members", members=message.get("members") or [])


async def websocket_session(args, endpoint):
    import websockets  # python3-websockets; imported here so broadcast needs none

    url = _websocket_url(args.websocket)
    context = _ssl_context(url, args.verify)
    emit("signalling", step="start", t=time.time() * 1000)
    while True:
        delay = args.retry_delay
        try:
            async with websockets.connect(url, ssl=context) as ws:
                await _send(ws, type="join", id=args.id, room=args.room)
                emit("ready", mode="websocket", url=url, room=args.room, id=args.id)
                if args.call:
                    await _websocket_call(ws, args, endpoint)
                else:
                    await _websocket_answer(ws, args, endpoint)
                emit("signalling", step="complete")
                if args.stay_joined:
                    drain = asyncio.ensure_future(_drain(ws))
                    try:
                        await endpoint.run_until_ended()
                    finally:
                        drain.cancel()
                    continue
            emit("signalling", step="left-room")
            await endpoint.run_until_ended()
            continue
        except ServerRefused as exc:
            emit("error", error=str(exc), source="server")
        except UndecodableMessage as exc:
            emit("warning", warning="undecodable message: %s" % exc)
            delay = 1.0
        except (OSError, ConnectionError, websockets.exceptions.WebSocketException) as exc:
            emit("error", error="%s: %s" % (type(exc).__name__, exc), source="connection")
        except Exception as exc:  # e.g. a session description aiortc rejects
            emit("error", error="%s: %s" % (type(exc).__name__, exc), source="peer")
        await endpoint.close()
        await asyncio.sleep(delay)


# -------------------------------------------------------------------- main


def _colour(text):
    parts = [int(p) for p in text.split(",")]
    if len(parts) != 3 or not all(0 <= p <= 255 for p in parts):
        raise argparse.ArgumentTypeError("expected R,G,B with values 0..255, got %r" % text)
    return parts


def _size(text):
    try:
        width, height = (int(p) for p in text.lower().split("x"))
    except ValueError:
        raise argparse.ArgumentTypeError("expected WIDTHxHEIGHT, got %r" % text)
    if width < 16 or height < 16 or width % 2 or height % 2:
        raise argparse.ArgumentTypeError("size must be even and at least 16x16, got %r" % text)
    return width, height


def parse_args(argv):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    mode = parser.add_mutually_exclusive_group(required=True)
    mode.add_argument("--broadcast-call", metavar="ID")
    mode.add_argument("--broadcast-answer", metavar="ID")
    mode.add_argument("--websocket", metavar="URL")
    parser.add_argument("--secret", default=DEFAULT_SECRET)
    parser.add_argument("--port", type=int, default=DEFAULT_BROADCAST_PORT)
    parser.add_argument(
        "--host",
        default="0.0.0.0",
        help="address to bind (the answerer must bind 0.0.0.0 or the broadcast "
        "address to receive broadcasts on Linux)",
    )
    parser.add_argument("--broadcast-address", default="127.255.255.255")
    parser.add_argument("--room")
    parser.add_argument("--id")
    parser.add_argument("--call", metavar="PEER")
    parser.add_argument("--no-verify", dest="verify", action="store_false")
    parser.add_argument("--stay-joined", action="store_true")
    parser.add_argument("--retry-delay", type=float, default=5.0)
    parser.add_argument("--colour", type=_colour, default=[255, 0, 0])
    parser.add_argument("--bottom-colour", type=_colour, default=None)
    parser.add_argument("--size", type=_size, default=(320, 240))
    parser.add_argument("--fps", type=float, default=30.0)
    parser.add_argument("--duration", type=float, default=None)
    parser.add_argument("--report-interval", type=float, default=0.5)
    parser.add_argument("--moving", action="store_true")
    parser.add_argument("--rgb", action="store_true")
    args = parser.parse_args(argv)
    if args.websocket and (not args.room or not args.id):
        parser.error("--websocket needs --room and --id")
    return args


async def amain(args):
    loop = asyncio.get_running_loop()
    monitor = FrameMonitor(args.report_interval, args.rgb)
    endpoint = Endpoint(args, monitor)
    if args.broadcast_call:
        session = broadcast_call(args, endpoint)
    elif args.broadcast_answer:
        session = broadcast_answer(args, endpoint)
    else:
        session = websocket_session(args, endpoint)
    main = asyncio.ensure_future(session)
    reporter = asyncio.ensure_future(monitor.report_forever())
    reason = {"value": "finished"}

    def stop(why):
        reason["value"] = why
        main.cancel()

    loop.add_signal_handler(signal.SIGTERM, stop, "SIGTERM")
    loop.add_signal_handler(signal.SIGINT, stop, "SIGINT")
    if args.duration is not None:
        loop.call_later(args.duration, stop, "duration")
    status = 0
    try:
        await main
    except asyncio.CancelledError:
        pass
    except Exception as exc:  # report, then exit non-zero
        emit("error", error="%s: %s" % (type(exc).__name__, exc), source="peer")
        status = 1
    finally:
        reporter.cancel()
        monitor.stop()
        await endpoint.close()
    emit("exit", reason=reason["value"] if status == 0 else "error")
    return status


def main(argv=None):
    args = parse_args(sys.argv[1:] if argv is None else argv)
    return asyncio.run(amain(args))


if __name__ == "__main__":
    sys.exit(main())

#!/usr/bin/env python3
"""A TCP relay that adds latency: a delay line for the lab's link (this kernel has no netem).

    delay_relay.py --listen [ADDRESS:]PORT --to HOST:PORT --delay MS

Every connection accepted at the listening address is relayed to HOST:PORT. Each chunk is
sent on D ms after it arrived, in both directions, so a round trip through the relay grows
by 2 D; a link with a round-trip time of 20 ms is `--delay 10`. It is a delay line, not a
stop-and-wait: chunks keep arriving and leaving while earlier ones wait their D, so a bulk
transfer keeps its throughput. A half-close (EOF) is passed on D ms later like the data
before it, a reset or error on either side ends both. Under systemd (Type=notify) it tells
systemd once it listens. Python's standard library only: it runs inside the lab's
containers, which have python3 and nothing else (`umzug_lab.py relay` starts it there).
"""

from __future__ import annotations

import argparse
import asyncio
import collections
import os
import socket
import sys

CHUNK = 64 * 1024
# What one direction may hold in its line before it stops reading (and TCP's flow control
# slows the sender). It must exceed rate x delay, or it caps the throughput at HOLD / D:
# 100 Mbit/s x 20 ms is 250 kB; 4 MiB leaves room for 1.6 Gbit/s at 20 ms.
HOLD = 4 * 1024 * 1024


class Line:
    """One direction of a connection: chunks in the order they came, each with its due time."""

    def __init__(self, delay: float, hold: int = HOLD):
        self.delay, self.hold = delay, hold
        self.chunks: collections.deque[tuple[float, bytes | None]] = collections.deque()
        self.held = 0
        self.changed = asyncio.Event()

    def put(self, data: bytes | None, now: float) -> None:
        """``data`` received at ``now``; None is the end of the stream (EOF)."""
        self.chunks.append((now + self.delay, data))
        self.held += len(data or b"")
        self.changed.set()

    async def room(self) -> None:
        while self.held >= self.hold:
            self.changed.clear()
            await self.changed.wait()

    async def next(self) -> tuple[float, bytes | None]:
        while not self.chunks:
            self.changed.clear()
            await self.changed.wait()
        return self.chunks[0]

    def taken(self) -> None:
        _due, data = self.chunks.popleft()
        self.held -= len(data or b"")
        self.changed.set()


async def receive(reader: asyncio.StreamReader, line: Line) -> None:
    loop = asyncio.get_running_loop()
    while True:
        await line.room()
        data = await reader.read(CHUNK)
        line.put(data or None, loop.time())
        if not data:
            return


async def send(writer: asyncio.StreamWriter, line: Line) -> int:
    """Send each chunk at its due time; the number of bytes sent."""
    loop = asyncio.get_running_loop()
    sent = 0
    while True:
        due, data = await line.next()
        wait = due - loop.time()
        if wait > 0:
            await asyncio.sleep(wait)
        if data is None:
            line.taken()
            if writer.can_write_eof():
                writer.write_eof()
            return sent
        writer.write(data)
        await writer.drain()
        sent += len(data)
        line.taken()


async def direction(reader: asyncio.StreamReader, writer: asyncio.StreamWriter, delay: float) -> int:
    """One direction of a connection, to its end of stream; the bytes it carried. An error
    on either of its sides is raised at once (its other side would wait forever)."""
    line = Line(delay)
    receiving = asyncio.ensure_future(receive(reader, line))
    sending = asyncio.ensure_future(send(writer, line))
    try:
        await asyncio.wait({receiving, sending}, return_when=asyncio.FIRST_EXCEPTION)
        if receiving.done():
            receiving.result()
        return await sending
    finally:
        receiving.cancel()
        sending.cancel()


def no_delay(writer: asyncio.StreamWriter) -> None:
    # A chunk leaves when it is due; Nagle's algorithm would hold small ones back longer.
    sock = writer.get_extra_info("socket")
    if sock is not None and sock.family in (socket.AF_INET, socket.AF_INET6):
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)


async def relay(client_reader, client_writer, target: tuple[str, int], delay: float) -> None:
    peer = client_writer.get_extra_info("peername")
    try:
        upstream_reader, upstream_writer = await asyncio.open_connection(*target)
    except OSError as err:
        log(f"{peer}: cannot reach {target[0]}:{target[1]}: {err}")
        client_writer.close()
        return
    no_delay(client_writer)
    no_delay(upstream_writer)
    ways = [asyncio.ensure_future(direction(client_reader, upstream_writer, delay)),
            asyncio.ensure_future(direction(upstream_reader, client_writer, delay))]
    try:
        up, down = await asyncio.gather(*ways)
        log(f"{peer}: closed, {up} bytes to {target[0]}:{target[1]}, {down} bytes back")
    except OSError as err:
        log(f"{peer}: ended by {err.__class__.__name__}: {err}")
        for way in ways:
            way.cancel()
        for writer in (client_writer, upstream_writer):
            writer.transport.abort()
        return
    for writer in (client_writer, upstream_writer):
        writer.close()


def address(text: str, default_host: str | None = None) -> tuple[str, int]:
    """HOST:PORT, or [ADDRESS:]PORT with a default address for the listening side, where
    port 0 lets the system choose (the log's first line names the port)."""
    host, colon, port = text.rpartition(":")
    if not colon:
        host = default_host
    lowest = 0 if default_host else 1
    if not host or not port.isdigit() or not lowest <= int(port) < 65536:
        raise argparse.ArgumentTypeError(f"{text!r} is not [ADDRESS:]PORT" if default_host
                                         else f"{text!r} is not HOST:PORT")
    return host.strip("[]"), int(port)


def notify_ready() -> None:
    """sd_notify(READY=1) without libsystemd: systemd-run -p Type=notify returns only then."""
    path = os.environ.get("NOTIFY_SOCKET")
    if not path:
        return
    if path.startswith("@"):
        path = "\0" + path[1:]
    with socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM) as sock:
        sock.sendto(b"READY=1", path)


def log(message: str) -> None:
    print(f"delay_relay: {message}", file=sys.stderr, flush=True)


async def serve(listen: tuple[str, int], target: tuple[str, int], delay: float, ready=notify_ready) -> None:
    server = await asyncio.start_server(lambda r, w: relay(r, w, target, delay), *listen, reuse_address=True)
    bound = server.sockets[0].getsockname()
    log(f"listening on {bound[0]}:{bound[1]}, relaying to {target[0]}:{target[1]} "
        f"with {delay * 1000:g} ms each way")
    ready()
    async with server:
        await server.serve_forever()


def parse(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--listen", required=True, type=lambda t: address(t, "127.0.0.1"),
                        help="[ADDRESS:]PORT to accept connections on (address 127.0.0.1 unless given)")
    parser.add_argument("--to", required=True, type=address, help="HOST:PORT to relay each connection to")
    parser.add_argument("--delay", required=True, type=float,
                        help="milliseconds each chunk waits, in each direction (the round trip grows by twice)")
    args = parser.parse_args(argv)
    if not 0 <= args.delay <= 10_000:
        parser.error(f"--delay {args.delay:g} is not between 0 and 10000 ms")
    return args


def main(argv: list[str] | None = None) -> int:
    args = parse(argv)
    try:
        asyncio.run(serve(args.listen, args.to, args.delay / 1000))
    except OSError as err:
        log(f"cannot listen on {args.listen[0]}:{args.listen[1]}: {err}")
        return 1
    except KeyboardInterrupt:
        return 0
    return 0


if __name__ == "__main__":
    sys.exit(main())

"""lab/delay_relay.py against local sockets: the data intact both ways, each direction
delayed by at least D, a bulk transfer far faster than one chunk per D, and half-closes and
closes passed on. The relay runs as the script it is, in its own process."""

import hashlib
import os
import re
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

TOP = Path(__file__).resolve().parents[3]
RELAY = TOP / "lab" / "delay_relay.py"
sys.path.insert(0, str(TOP / "lab"))
import delay_relay  # noqa: E402  (lab/ is a folder of tools, not a package)


class Upstream:
    """A server on a free local port that runs ``handle(conn)`` for each connection."""

    def __init__(self, handle):
        self.sock = socket.create_server(("127.0.0.1", 0))
        self.port = self.sock.getsockname()[1]
        self.handle, self.results, self.errors = handle, [], []
        threading.Thread(target=self._serve, daemon=True).start()

    def _serve(self):
        while True:
            try:
                conn, _ = self.sock.accept()
            except OSError:
                return
            threading.Thread(target=self._one, args=(conn,), daemon=True).start()

    def _one(self, conn):
        with conn:
            try:
                self.results.append(self.handle(conn))
            except Exception as err:  # the test reads it
                self.errors.append(err)

    def close(self):
        self.sock.close()


def read_all(conn):
    parts = []
    while data := conn.recv(1 << 16):
        parts.append(data)
    return b"".join(parts)


@pytest.fixture
def relay_to():
    """Start the relay to an upstream port with a delay in ms; yields its listening port."""
    started = []

    def start(port, delay_ms):
        proc = subprocess.Popen([sys.executable, str(RELAY), "--listen", "127.0.0.1:0",
                                 "--to", f"127.0.0.1:{port}", "--delay", str(delay_ms)],
                                stderr=subprocess.PIPE, text=True, env={**os.environ, "NOTIFY_SOCKET": ""})
        started.append(proc)
        first = proc.stderr.readline()
        match = re.search(r"listening on 127\.0\.0\.1:(\d+),", first)
        assert match, first
        return int(match.group(1))

    yield start
    for proc in started:
        proc.terminate()
        proc.wait(5)
        proc.stderr.close()


def test_data_is_intact_both_ways_and_half_closes_are_passed_on(relay_to):
    theirs = os.urandom(3 << 20)

    def handle(conn):
        got = read_all(conn)  # ends only when the client's half-close came through the relay
        conn.sendall(theirs)
        conn.shutdown(socket.SHUT_WR)
        return hashlib.sha256(got).hexdigest()

    upstream = Upstream(handle)
    ours = os.urandom(5 << 20)
    with socket.create_connection(("127.0.0.1", relay_to(upstream.port, 20))) as client:
        client.sendall(ours)
        client.shutdown(socket.SHUT_WR)
        back = read_all(client)
    upstream.close()
    assert not upstream.errors
    assert upstream.results == [hashlib.sha256(ours).hexdigest()]
    assert back == theirs


def test_each_direction_waits_at_least_the_delay(relay_to):
    def handle(conn):
        conn.sendall(b"banner\n")
        conn.sendall(conn.recv(100))  # an echo of one ping
        return read_all(conn)

    upstream = Upstream(handle)
    delay = 0.15
    with socket.create_connection(("127.0.0.1", relay_to(upstream.port, delay * 1000))) as client:
        connected = time.monotonic()
        assert client.recv(100) == b"banner\n"
        banner = time.monotonic() - connected
        sent = time.monotonic()
        client.sendall(b"ping")
        assert client.recv(100) == b"ping"
        round_trip = time.monotonic() - sent
    upstream.close()
    # One way: the banner; there and back: the ping. Not much more than that either.
    assert delay <= banner < delay + 0.1, banner
    assert 2 * delay <= round_trip < 2 * delay + 0.1, round_trip


def test_a_bulk_transfer_is_not_cut_to_one_chunk_per_delay(relay_to):
    upstream = Upstream(lambda conn: len(read_all(conn)))
    delay, size = 0.2, 32 << 20
    payload = os.urandom(1 << 20)
    with socket.create_connection(("127.0.0.1", relay_to(upstream.port, delay * 1000))) as client:
        started = time.monotonic()
        for _ in range(size >> 20):
            client.sendall(payload)
        client.shutdown(socket.SHUT_WR)
        assert client.recv(1) == b""  # the upstream has read all and closed
        elapsed = time.monotonic() - started
    upstream.close()
    assert upstream.results == [size]
    # One chunk per delay would take size / CHUNK * delay = 102 s; a delay line takes about
    # one delay plus the copying.
    assert elapsed < 20 * delay, elapsed
    assert size / elapsed > 50 * delay_relay.CHUNK / delay


def test_a_close_upstream_reaches_the_client_after_the_data(relay_to):
    upstream = Upstream(lambda conn: conn.sendall(b"last words"))  # then the handler closes
    with socket.create_connection(("127.0.0.1", relay_to(upstream.port, 30))) as client:
        assert read_all(client) == b"last words"
    upstream.close()


def test_an_unreachable_upstream_closes_the_client(relay_to):
    spare = socket.create_server(("127.0.0.1", 0))
    port = spare.getsockname()[1]
    spare.close()  # nothing listens there now
    with socket.create_connection(("127.0.0.1", relay_to(port, 10))) as client:
        client.settimeout(5)
        assert read_all(client) == b""


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["--listen", "2222", "--to", "fs:22", "--delay", "-1"], "--delay -1 is not between 0 and 10000 ms"),
        (["--listen", "x:y", "--to", "fs:22", "--delay", "10"], "'x:y' is not [ADDRESS:]PORT"),
        (["--listen", "2222", "--to", "fs", "--delay", "10"], "'fs' is not HOST:PORT"),
        (["--listen", "2222", "--to", "fs:0", "--delay", "10"], "'fs:0' is not HOST:PORT"),
    ],
)
def test_wrong_arguments_are_one_message(argv, message, capsys):
    with pytest.raises(SystemExit) as ended:
        delay_relay.parse(argv)
    assert ended.value.code == 2
    assert message in capsys.readouterr().err


def test_arguments_default_to_the_loopback_address():
    args = delay_relay.parse(["--listen", "2222", "--to", "10.89.46.12:22", "--delay", "10"])
    assert (args.listen, args.to, args.delay) == (("127.0.0.1", 2222), ("10.89.46.12", 22), 10.0)


def test_a_port_in_use_is_one_line_and_exit_code_1():
    with socket.create_server(("127.0.0.1", 0)) as taken:
        port = taken.getsockname()[1]
        proc = subprocess.run([sys.executable, str(RELAY), "--listen", f"127.0.0.1:{port}",
                               "--to", "127.0.0.1:22", "--delay", "1"],
                              capture_output=True, text=True, check=False, timeout=10)
    assert proc.returncode == 1
    assert proc.stderr.startswith(f"delay_relay: cannot listen on 127.0.0.1:{port}: "), proc.stderr
    assert len(proc.stderr.splitlines()) == 1

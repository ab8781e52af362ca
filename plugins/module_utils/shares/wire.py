# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Compression of a pass's tar stream on the wire (the plan's ``transfer.compress``).

The RZ side offers the codecs it can decompress, best first (``offered``); the agent's
sender on the Kommune's server takes the first it can make (``choose``), says which in a
first line of the stream (``header``), and compresses the tar stream with it
(``send_compressed``); at the end it reports the raw stream's size on stderr (``REPORT``).
The RZ side reads the line (``read_header``) and puts the codec's decompressor after the
rate limiter's relay, so the limiter charges the bytes on the wire. Before any pass,
discovery measures what a share's content would take on the wire with the same choice and
compressor (``wire_size``, share_wire_sample).

The codecs (figures and the why in docs/shares.md, "Compression on the wire"):

- ``zstd``: the ``zstd`` program at level 3 (its own default, and rsync's) with one
  compression thread, where the Kommune's server has it (nothing is installed there) and
  the RZ file server too. About 230 to 280 MB/s of office-like data on one core, seven
  times and more what a Kommune's link carries, so a pass is bound by its bytes on the wire,
  and level 3 leaves fewer than level 1; ``-T0`` would take every core the Kommune's staff
  use.
- ``gzip``: gzip format from Python's zlib at level 1, which every Kommune's server has
  (the agent itself is unpacked with zlib). About 80 MB/s; the fallback, with a finding.

Standard library only: it runs on the Kommune's server inside the agent
(``share_sync.agent_source``), after share_send, whose ``send`` it calls.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import threading
import zlib

from ansible_collections.kommunal.umzug.plugins.module_utils.shares.send import send  # agent: share_send is inline

# Best first. "none" is what the sender says when it can make none of those offered.
CODECS = ("zstd", "gzip")
NONE = "none"
ZSTD_LEVEL = 3
ZLIB_LEVEL = 1
ZSTD_COMPRESS = ["zstd", f"-{ZSTD_LEVEL}", "-q", "-c"]
# The RZ side's decompressors; gzip's is the Python running the module, so nothing is needed.
GUNZIP = ("import os,zlib\nd=zlib.decompressobj(31)\n"
          "while b:=os.read(0,1<<20):\n v=memoryview(d.decompress(b))\n"
          " while v:v=v[os.write(1,v):]\n"
          "v=memoryview(d.flush())\nwhile v:v=v[os.write(1,v):]\n"
          "if not d.eof:raise SystemExit('the compressed stream ended early')\n")
HEADER = b"umzug-codec "
HEADER_MAX = 64
REPORT = b"umzug-stream"
CHUNK = 1 << 20
# What a result and the docs call each codec.
LABELS = {"zstd": f"zstd -{ZSTD_LEVEL}", "gzip": f"gzip (zlib level {ZLIB_LEVEL})", NONE: "none"}


def decompressor(codec: str) -> list[str] | None:
    """The RZ side's command that turns ``codec``'s stream back into tar; None for none."""
    if codec == "zstd":
        return ["zstd", "-d", "-q", "-c"]
    if codec == "gzip":
        return [sys.executable, "-c", GUNZIP]
    return None


def offered(which=shutil.which) -> list[str]:
    """The codecs the RZ side can take, best first (gzip always: Python decompresses it)."""
    return [codec for codec in CODECS if codec != "zstd" or which("zstd")]


def choose(codecs: list[str], which=shutil.which) -> str:
    """The sender's pick among ``codecs``: zstd where this server has the program, gzip
    always (zlib), else none."""
    for codec in codecs:
        if codec == "gzip" or (codec == "zstd" and which("zstd")):
            return codec
    return NONE


def header(codec: str) -> bytes:
    return HEADER + codec.encode() + b"\n"


def read_header(fd: int) -> str:
    """The codec the sender's first line names, read byte by byte so that nothing of the
    stream after it is taken. ValueError when the stream does not start with one (the
    sender failed: its stderr says why)."""
    line = b""
    while not line.endswith(b"\n") and len(line) < HEADER_MAX:
        byte = os.read(fd, 1)
        if not byte:
            break
        line += byte
    if not line.startswith(HEADER) or not line.endswith(b"\n"):
        raise ValueError(f"the sender's stream did not start with its codec (got {line[:HEADER_MAX]!r})")
    codec = line[len(HEADER):-1].decode(errors="replace")
    if codec not in (*CODECS, NONE):
        raise ValueError(f"the sender chose a codec this side does not know: {codec}")
    return codec


def report_line(raw: int) -> bytes:
    return b"%s raw=%d\n" % (REPORT, raw)


def raw_from(lines: list[str]) -> tuple[int | None, list[str]]:
    """(the raw stream's bytes the sender reported, the other lines) of its stderr lines."""
    raw, other = None, []
    for line in lines:
        tag, _sep, value = line.partition(" raw=")
        if tag == REPORT.decode() and value.strip().isdigit():
            raw = int(value)
        else:
            other.append(line)
    return raw, other


def _write_all(fd: int, data: bytes) -> None:
    view = memoryview(data)
    while view:
        view = view[os.write(fd, view):]


def send_compressed(root: bytes, requests, codecs: list[str], out: int, report, which=shutil.which) -> str:
    """The sender of share_send with its tar stream compressed by the first of ``codecs``
    this server can make, behind the header that names it; the raw stream's size goes to
    ``report`` (stderr) at the end. ``requests`` (stdin) is read after the header is out:
    the RZ side reads the header before it sends the paths. Returns the codec."""
    codec = choose(codecs, which)
    _write_all(out, header(codec))
    request_data = requests.read()
    if codec == "zstd":
        raw = _through_zstd(root, request_data, out, report)
    elif codec == "gzip":
        raw = _through_zlib(root, request_data, out, report)
    else:
        raw = send(root, request_data, out, report)
    report.write(report_line(raw))
    report.flush()
    return codec


def _through_zstd(root: bytes, request_data: bytes, out: int, report) -> int:
    compressor = subprocess.Popen(ZSTD_COMPRESS, stdin=subprocess.PIPE, stdout=out)
    try:
        raw = send(root, request_data, compressor.stdin.fileno(), report)
    finally:
        compressor.stdin.close()
        code = compressor.wait()
    if code != 0:
        raise RuntimeError(f"zstd ended with exit code {code}")
    return raw


def _through_zlib(root: bytes, request_data: bytes, out: int, report) -> int:
    """The sender writes into a pipe from a thread; this one compresses what comes out."""
    stream_out, stream_in = os.pipe()
    outcome: dict = {}

    def sending() -> None:
        try:
            outcome["raw"] = send(root, request_data, stream_in, report)
        except BaseException as err:  # re-raised below, where the agent reports it
            outcome["error"] = err
        finally:
            os.close(stream_in)

    sender = threading.Thread(target=sending, daemon=True)
    sender.start()
    compressor = _zlib_compressor()
    try:
        while chunk := os.read(stream_out, CHUNK):
            _write_all(out, compressor.compress(chunk))
        _write_all(out, compressor.flush())
    finally:
        os.close(stream_out)
        sender.join()
    if "error" in outcome:
        raise outcome["error"]
    return outcome["raw"]


def _zlib_compressor():
    return zlib.compressobj(ZLIB_LEVEL, zlib.DEFLATED, 31)


def wire_size(codec: str, chunks) -> int:
    """The bytes ``chunks`` (an iterable of bytes) take on the wire as one stream of ``codec``,
    made by the compressor a pass uses: discovery's sample of a share (share_wire_sample)
    measures what a pass would send."""
    if codec == "zstd":
        return _zstd_size(chunks)
    if codec == "gzip":
        compressor = _zlib_compressor()
        return sum(len(compressor.compress(chunk)) for chunk in chunks) + len(compressor.flush())
    return sum(len(chunk) for chunk in chunks)


def _zstd_size(chunks) -> int:
    """zstd's output is counted from a thread while this one writes its input (a pipe holds
    less than a piece)."""
    compressor = subprocess.Popen(ZSTD_COMPRESS, stdin=subprocess.PIPE, stdout=subprocess.PIPE)
    counted = []

    def counting() -> None:
        fd, size = compressor.stdout.fileno(), 0
        while block := os.read(fd, CHUNK):
            size += len(block)
        counted.append(size)

    reader = threading.Thread(target=counting, daemon=True)
    reader.start()
    try:
        for chunk in chunks:
            compressor.stdin.write(chunk)
    finally:
        compressor.stdin.close()
        code = compressor.wait()
        reader.join()
        compressor.stdout.close()
    if code != 0 or not counted:
        raise RuntimeError(f"zstd ended with exit code {code}")
    return counted[0]


def argument_spec() -> dict:
    """The sync modules' ``compress`` option (doc fragment kommunal.umzug.compress)."""
    return dict(compress=dict(type="bool", default=False))

# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""How much of a share's content a compressed pass puts on the wire, measured before any pass.

Pre-flight (share_discover) walks each share once; ``Sampler.noting`` notes its files on the
way and keeps pieces of the share's content -- its files one after another in the walk's
order, as a pass streams them -- at equal distances: ``PIECE`` bytes from every
``stride``-th byte, the stride doubled (every other piece dropped) whenever more pieces are
kept than the budget holds. So each file's part of the sample is its part of the share's
bytes (a big file weighs as much as it does in the seed), the sample is between half the
budget and the budget (all of a share smaller than that), and the same tree gives the same
sample: nothing is random. A piece runs on into the files after it, so a share of many
small files is sampled as the stream carries them, not a few bytes of each.

``measure`` reads the pieces through ``share_tree.Below`` (folder by folder from the share
root, no symlink followed, without changing access times) and compresses them as one stream
with the codec and level a pass takes on this server (share_wire's ``choose`` and
``wire_size``: zstd -3 where the program is here, else zlib level 1). A file that is gone,
is something else now or cannot be read is left out of the sample.

Standard library only: runs on the Kommune's file server.
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Iterator

from ansible_collections.kommunal.umzug.plugins.module_utils.shares import wire as share_wire
from ansible_collections.kommunal.umzug.plugins.module_utils.shares.tree import FILE, Below, Node, PathChanged

# A piece of the sample; discovery's default budget is 64 of them (8 MiB per share).
PIECE = 128 * 1024
DEFAULT_BYTES = 64 * PIECE


class Sampler:
    """The pieces of one share's content to sample, at most ``budget`` bytes in all."""

    def __init__(self, budget: int, piece: int = PIECE):
        self.piece = min(piece, budget) if budget > 0 else 0
        self.most = budget // self.piece if self.piece else 0
        self.stride = self.piece
        self.seen = 0  # bytes of the share's files noted so far
        # (start in the share's content, [(path, offset in the file, length), ...])
        self.pieces: list[tuple[int, list[tuple[bytes, int, int]]]] = []
        self.left = 0  # bytes the last piece still takes from the files after it

    def noting(self, nodes: Iterable[Node]) -> Iterator[Node]:
        """``nodes`` as they are, each regular file noted on the way."""
        for node in nodes:
            if node.kind == "file" and node.size:
                self.add(node.path, node.size)
            yield node

    def add(self, path: bytes, size: int) -> None:
        if not self.most:
            return
        begin, at, end = self.seen, self.seen, self.seen + size
        while at < end:
            if self.left:
                take = min(self.left, end - at)
                self.pieces[-1][1].append((path, at - begin, take))
                self.left -= take
                at += take
                continue
            start = -(-at // self.stride) * self.stride
            if start >= end:
                break
            self.pieces.append((start, []))
            self.left, at = self.piece, start
            if len(self.pieces) > self.most:
                self._thin()
        self.seen = end

    def _thin(self) -> None:
        self.stride *= 2
        last = self.pieces[-1]
        self.pieces = [piece for piece in self.pieces if piece[0] % self.stride == 0]
        if self.pieces[-1] is not last:
            self.left = 0

    def segments(self) -> list[tuple[bytes, int, int]]:
        return [segment for _start, segments in self.pieces for segment in segments]


def measure(root: bytes, segments: list[tuple[bytes, int, int]], codec: str | None = None) -> dict:
    """``{codec, sampled_bytes, wire_bytes}``: the segments read below ``root`` and the bytes
    they take compressed as one stream (``codec``: the pass's choice on this server unless
    given). OSError or RuntimeError when the compressor fails."""
    codec = codec or share_wire.choose(list(share_wire.CODECS))
    sampled = 0

    def chunks() -> Iterator[bytes]:
        nonlocal sampled
        with Below(root) as below:
            for path, offset, length in segments:
                data = _read(below, path, offset, length)
                sampled += len(data)
                if data:
                    yield data

    wire_bytes = share_wire.wire_size(codec, chunks())
    return {"codec": codec, "sampled_bytes": sampled, "wire_bytes": wire_bytes}


def _read(below: Below, path: bytes, offset: int, length: int) -> bytes:
    """Up to ``length`` bytes of the file at ``path`` from ``offset``; nothing when it is gone,
    something else now or cannot be read (the sample goes on without it)."""
    try:
        fd, _dummy = below.open(path, FILE)
    except (PathChanged, OSError):
        return b""
    try:
        return os.pread(fd, length, offset)
    except OSError:
        return b""
    finally:
        os.close(fd)

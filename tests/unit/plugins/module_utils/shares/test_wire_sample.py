"""share_wire_sample: pieces spread over a share's content in proportion to its files' sizes,
read without following a symlink, compressed with the pass's own codec and level."""

import os
import random
import shutil
import subprocess
import zlib

import pytest

from ansible_collections.kommunal.umzug.plugins.module_utils.shares import tree as share_tree
from ansible_collections.kommunal.umzug.plugins.module_utils.shares import wire as share_wire
from ansible_collections.kommunal.umzug.plugins.module_utils.shares import wire_sample
from ansible_collections.kommunal.umzug.plugins.module_utils.shares.wire_sample import Sampler

KIB = 1024
# Office-like text: compresses to a small part of itself with either codec.
LETTER = b"Sehr geehrte Damen und Herren, anbei der Bauantrag fuer das Grundstueck Hauptstrasse 5.\r\n"
CODECS = ["zstd", "gzip"]


def noted(files, budget, piece=wire_sample.PIECE):
    """The segments a sampler keeps of files (path, size) noted in this order."""
    sampler = Sampler(budget, piece)
    for path, size in files:
        sampler.add(path, size)
    return sampler.segments()


def per_file(segments):
    result = {}
    for path, _offset, length in segments:
        result[path] = result.get(path, 0) + length
    return result


@pytest.mark.parametrize(("files", "budget", "piece", "expected"), [
    # smaller than the budget: all of it, a piece running on into the next files
    ([(b"a", 15), (b"b", 3), (b"c", 7)], 100, 10, [(b"a", 0, 10), (b"a", 10, 5), (b"b", 0, 3), (b"c", 0, 2),
                                                   (b"c", 2, 5)]),
    # 100 bytes, 2 pieces of 10 allowed: stride 10, then 20, 40, 80: pieces at 0 and 80
    ([(b"a", 100)], 20, 10, [(b"a", 0, 10), (b"a", 80, 10)]),
    # the piece at 80 runs from "b" on into "c"
    ([(b"a", 78), (b"b", 4), (b"c", 18)], 20, 10, [(b"a", 0, 10), (b"b", 2, 2), (b"c", 0, 8)]),
    # nothing sampled: a budget of 0, or no bytes
    ([(b"a", 100)], 0, 10, []),
    ([], 100, 10, []),
    # a budget smaller than a piece: one piece of the budget's size
    ([(b"a", 100)], 4, 10, [(b"a", 0, 4)]),
], ids=["all of a small share", "equal distances", "a piece runs on into the next files", "budget 0", "no bytes",
        "budget below a piece"])
def test_the_pieces_lie_at_equal_distances_over_the_shares_content(files, budget, piece, expected):
    assert noted(files, budget, piece) == expected


def test_big_files_weigh_as_much_as_they_do_in_the_bytes_and_the_sample_keeps_to_its_budget():
    """200 MB in one file, 200 MB in 2000 files of 100 kB, 100 MB in 1000 files of 100 kB."""
    files = [(b"scan.tif", 200_000_000)] + [(b"docs/%04d" % i, 100_000) for i in range(2000)]
    files += [(b"mail/%04d" % i, 100_000) for i in range(1000)]
    budget = 8 * 1024 * KIB
    segments = noted(files, budget)
    sampled = sum(length for _path, _offset, length in segments)
    assert budget / 2 < sampled <= budget
    by_file = per_file(segments)
    big = by_file[b"scan.tif"] / sampled
    docs = sum(n for p, n in by_file.items() if p.startswith(b"docs/")) / sampled
    assert big == pytest.approx(0.4, abs=0.03) and docs == pytest.approx(0.4, abs=0.03)
    # the same tree, the same sample
    assert noted(files, budget) == segments


def tree(root, files):
    for path, data in files.items():
        os.makedirs(os.path.dirname(os.path.join(root, path)), exist_ok=True)
        with open(os.path.join(root, path), "wb") as handle:
            handle.write(data)


def sampled(root, budget, codec):
    """The pre-flight's way: the sampler notes the scan's files, then the pieces are measured."""
    sampler = Sampler(budget)
    for _node in sampler.noting(share_tree.scan(root, wanted=share_tree.every_xattr)):
        pass
    return wire_sample.measure(root, sampler.segments(), codec)


@pytest.fixture
def share(tmp_path):
    """1 MiB of letters and 1 MiB of random bytes (a scan, an archive), some small files of each."""
    noise = random.Random(14)
    root = os.fsencode(tmp_path / "share")
    tree(root, {b"Briefe/Antrag.txt": LETTER * (512 * KIB // len(LETTER)),
                **{b"Briefe/Notiz %02d.txt" % i: LETTER * 160 for i in range(36)},
                b"Scans/Plan.pdf": noise.randbytes(512 * KIB),
                **{b"Scans/Seite %02d.jpg" % i: noise.randbytes(14 * KIB) for i in range(36)}})
    return root


@pytest.mark.parametrize("codec", CODECS)
def test_a_share_of_letters_and_scans_goes_on_the_wire_at_its_mix(share, codec):
    whole = sampled(share, 16 * 1024 * KIB, codec)
    assert whole["codec"] == codec and whole["sampled_bytes"] == sum(
        os.path.getsize(os.path.join(d, f)) for d, _s, fs in os.walk(share) for f in fs)
    # the letters shrink to almost nothing, the random half stays as it is
    assert 0.5 < whole["wire_bytes"] / whole["sampled_bytes"] < 0.55
    # a sample of a quarter of it finds the same mix
    part = sampled(share, 512 * KIB, codec)
    assert part["sampled_bytes"] <= 512 * KIB
    assert part["wire_bytes"] / part["sampled_bytes"] == pytest.approx(
        whole["wire_bytes"] / whole["sampled_bytes"], abs=0.1)


def test_the_codec_is_the_passs_on_this_server(share):
    """The sender's choice among every codec (share_wire.choose): zstd, as this server has it."""
    assert shutil.which("zstd")
    assert sampled(share, 1024 * KIB, None)["codec"] == "zstd"


@pytest.mark.parametrize(("codec", "made"), [
    ("zstd", lambda data: subprocess.run(share_wire.ZSTD_COMPRESS, input=data, capture_output=True,
                                         check=True).stdout),
    ("gzip", lambda data: zlib.compress(data, share_wire.ZLIB_LEVEL, wbits=31)),
    ("none", lambda data: data),
])
def test_the_wire_size_is_what_the_passs_compressor_makes(codec, made):
    data = LETTER * 20000
    size = share_wire.wire_size(codec, [data[:700_000], data[700_000:]])
    assert size == len(made(data))


def test_a_symlink_is_never_followed_out_of_the_share(tmp_path, share):
    """A symlink to a big file outside is no file of the share; a folder swapped for a symlink
    to an outside folder after the walk is not entered: what it holds is not read."""
    outside = os.fsencode(tmp_path / "outside")
    moved = os.fsencode(tmp_path / "Briefe-moved")
    tree(outside, {b"Antrag.txt": LETTER * 20000, b"secret": b"\0" * 1_000_000})
    os.symlink(os.path.join(outside, b"secret"), os.path.join(share, b"Briefe/secret"))
    sampler = Sampler(16 * 1024 * KIB)
    for _node in sampler.noting(share_tree.scan(share)):
        pass
    assert b"Briefe/secret" not in per_file(sampler.segments())
    before = wire_sample.measure(share, sampler.segments(), "gzip")
    os.rename(os.path.join(share, b"Briefe"), moved)
    os.symlink(outside, os.path.join(share, b"Briefe"))
    after = wire_sample.measure(share, sampler.segments(), "gzip")
    letters = sum(n for p, n in per_file(sampler.segments()).items() if p.startswith(b"Briefe/"))
    assert after["sampled_bytes"] == before["sampled_bytes"] - letters


def test_a_file_gone_or_replaced_is_left_out_and_the_rest_sampled(share):
    sampler = Sampler(16 * 1024 * KIB)
    for _node in sampler.noting(share_tree.scan(share)):
        pass
    before = wire_sample.measure(share, sampler.segments(), "gzip")
    gone = sum(os.path.getsize(os.path.join(share, p)) for p in (b"Scans/Plan.pdf", b"Briefe/Antrag.txt"))
    os.unlink(os.path.join(share, b"Scans/Plan.pdf"))
    os.remove(os.path.join(share, b"Briefe/Antrag.txt"))
    os.mkfifo(os.path.join(share, b"Briefe/Antrag.txt"))  # something else now, never opened as a file
    after = wire_sample.measure(share, sampler.segments(), "gzip")
    assert after["sampled_bytes"] == before["sampled_bytes"] - gone
    assert after["wire_bytes"] > 0

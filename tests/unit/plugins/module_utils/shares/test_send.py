"""share_send: the source's tar sender. Its stream goes through the real GNU tar receiver
(share_sync.copy_content with a LocalSource: the agent as it runs on the source) and
through Python's tarfile for the header format; a path that changed since the listing is
skipped and reported, never followed."""

import io
import os
import tarfile
import threading

import pytest

from ansible_collections.kommunal.umzug.plugins.module_utils.shares import send as share_send
from ansible_collections.kommunal.umzug.plugins.module_utils.shares import sync as share_sync
from ansible_collections.kommunal.umzug.plugins.module_utils.shares import tree as share_tree
from ansible_collections.kommunal.umzug.plugins.module_utils.shares.sync import LocalSource, Progress

MTIME_NS = 1_600_000_000_123_456_789
LONG_DIR = b"Bauantr\xc3\xa4ge " + b"x" * 90  # a long UTF-8 name ...
LONG_NAME = LONG_DIR + b"/M\xfcller " + b"y" * 120  # ... and a longer one that is not UTF-8
SPARSE_SIZE = 64 << 20
BINARY = bytes(range(256))


@pytest.fixture
def share(tmp_path):
    src = os.fsencode(tmp_path / "src")
    os.makedirs(os.path.join(src, LONG_DIR))
    files = {b"normal.txt": b"Antrag\r\n" * 1000, b"empty": b"", LONG_NAME: b"long and odd"}
    for name, data in files.items():
        with open(os.path.join(src, name), "wb") as handle:
            handle.write(data)
    os.utime(os.path.join(src, b"normal.txt"), ns=(MTIME_NS, MTIME_NS))
    os.setxattr(os.path.join(src, b"normal.txt"), "user.DOSATTRIB", BINARY)
    os.link(os.path.join(src, b"normal.txt"), os.path.join(src, b"zweiter-name.txt"))
    os.symlink(b"normal.txt", os.path.join(src, b"verweis"))
    with open(os.path.join(src, b"sparse.img"), "wb") as handle:
        handle.write(b"head")
        handle.seek(SPARSE_SIZE - 3)
        handle.write(b"end")
    return src, os.fsencode(tmp_path / "dst")


def listed(root):
    """(paths, kinds) of the files and symlinks below root, as a pass copies them."""
    items = [(p, r[0]) for p, r, _ in share_tree.walk_records(root) if r[0] in (share_tree.FILE, share_tree.SYMLINK)]
    return [p for p, _ in items], [k for _, k in items]


def stream(root, paths, kinds):
    out, report = io.BytesIO(), io.BytesIO()
    read, write = os.pipe()
    try:
        reader = threading.Thread(target=lambda: out.write(_drain(read)))
        reader.start()
        share_send.send(root, share_send.request(paths, kinds), write, report)
    finally:
        os.close(write)
    reader.join()
    os.close(read)
    return out.getvalue(), share_sync.skipped_from(report.getvalue())[0]


def _drain(fd):
    chunks = []
    while chunk := os.read(fd, 1 << 20):
        chunks.append(chunk)
    return b"".join(chunks)


def test_the_stream_round_trips_through_gnu_tar(share):
    src, dst = share
    os.makedirs(dst)
    paths, kinds = listed(src)
    skipped = share_sync.copy_content(LocalSource(src), dst, paths, Progress(None, len(paths), 0), 0, kinds)
    assert skipped == {}
    for name in (b"normal.txt", b"empty", LONG_NAME, b"zweiter-name.txt", b"sparse.img"):
        with open(os.path.join(src, name), "rb") as a, open(os.path.join(dst, name), "rb") as b:
            assert a.read() == b.read(), name
    normal = os.stat(os.path.join(dst, b"normal.txt"))
    assert normal.st_mtime_ns == MTIME_NS
    assert os.getxattr(os.path.join(dst, b"normal.txt"), "user.DOSATTRIB") == BINARY
    assert os.stat(os.path.join(dst, b"zweiter-name.txt")).st_ino == normal.st_ino
    assert os.readlink(os.path.join(dst, b"verweis")) == b"normal.txt"
    sparse = os.stat(os.path.join(dst, b"sparse.img"))
    assert sparse.st_size == SPARSE_SIZE and sparse.st_blocks * 512 < 1 << 20


def test_the_headers_are_pax_as_tarfile_reads_them(share):
    src, _ = share
    data, skipped = stream(src, *listed(src))
    assert skipped == {}
    with tarfile.open(fileobj=io.BytesIO(data), encoding="utf-8", errors="surrogateescape") as archive:
        members = {os.fsencode(m.name): m for m in archive}
    normal = members[b"normal.txt"]
    assert normal.isreg() and normal.size == 8000 and normal.pax_headers["mtime"] == "1600000000.123456789"
    assert normal.pax_headers["SCHILY.xattr.user.DOSATTRIB"].encode("utf-8", "surrogateescape") == BINARY
    assert members[b"zweiter-name.txt"].islnk() and members[b"zweiter-name.txt"].linkname == "normal.txt"
    assert members[b"verweis"].issym() and members[b"verweis"].linkname == "normal.txt"
    assert members[LONG_NAME].size == len(b"long and odd") and members[b"empty"].size == 0
    sparse = members[b"sparse.img"]
    assert sparse.pax_headers["GNU.sparse.major"] == "1" and sparse.pax_headers["GNU.sparse.minor"] == "0"
    assert int(sparse.pax_headers["GNU.sparse.realsize"]) == SPARSE_SIZE
    assert len(data) < 1 << 20  # the holes did not travel


def test_a_path_that_changed_since_the_listing_is_skipped_and_reported(tmp_path):
    src = tmp_path / "src"
    secret = tmp_path / "secret"
    (src / "a").mkdir(parents=True)
    (src / "b").mkdir()
    secret.mkdir()
    (src / "a" / "f").write_bytes(b"harmless")
    (src / "b" / "g").write_bytes(b"harmless")
    (src / "weg").write_bytes(b"goes away")
    (src / "datei").write_bytes(b"will be a folder")
    (secret / "f").write_bytes(b"SECRET")
    (secret / "g").write_bytes(b"SECRET")
    paths, kinds = listed(os.fsencode(src))
    # After the listing: a folder becomes a symlink, a file a symlink, one goes, one is a folder now.
    (src / "a").rename(tmp_path / "a.old")
    os.symlink(secret, src / "a")
    (src / "b" / "g").unlink()
    os.symlink(secret / "g", src / "b" / "g")
    (src / "weg").unlink()
    (src / "datei").unlink()
    (src / "datei").mkdir()
    data, skipped = stream(os.fsencode(src), paths, kinds)
    assert b"SECRET" not in data
    assert skipped == {b"a/f": "folder a: a symlink now", b"b/g": "a symlink now", b"weg": "gone",
                       b"datei": "of another type now"}
    with tarfile.open(fileobj=io.BytesIO(data)) as archive:
        assert archive.getnames() == []


def test_an_escaping_request_is_refused(tmp_path):
    (tmp_path / "src").mkdir()
    (tmp_path / "nebenan").write_bytes(b"SECRET")
    data, skipped = stream(os.fsencode(tmp_path / "src"), [b"../nebenan"], [share_tree.FILE])
    assert b"SECRET" not in data and list(skipped) == [b"../nebenan"]


def test_pax_records_count_their_own_length():
    for value in (b"x", b"x" * 5, b"x" * 93, b"x" * 994, b"x" * 9990):
        record = share_send.pax_record(b"path", value)
        assert int(record.split(b" ", 1)[0]) == len(record)
    assert share_send.pax_time(-1_500_000_000) == b"-1.500000000"
    assert share_send.pax_time(5 * 10**9) == b"5"

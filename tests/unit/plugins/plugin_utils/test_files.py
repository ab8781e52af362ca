"""The controller's atomic writer: whole files or none, on the disk before it returns, modes kept."""

import os
import stat

import pytest

from ansible_collections.kommunal.umzug.plugins.plugin_utils import files
from ansible_collections.kommunal.umzug.plugins.plugin_utils.files import create_exclusive, link_atomic, write_atomic


def mode(path) -> int:
    return stat.S_IMODE(os.stat(path).st_mode)


@pytest.mark.parametrize(
    ("before", "data", "kwargs", "content", "expected_mode"),
    [
        (None, "Grüße\n", {}, "Grüße\n".encode(), 0o600),  # new: private by default
        (None, b"\x00\x01", {"mode": 0o640}, b"\x00\x01", 0o640),  # new: the writer's mode
        (0o644, "neu", {"mode": 0o600}, b"neu", 0o644),  # replaced: keeps its mode
        (0o400, "neu", {}, b"neu", 0o400),  # narrowed by hand: stays narrowed
    ],
    ids=["new-text", "new-bytes-mode", "keeps-wider", "keeps-narrower"],
)
def test_write_atomic(tmp_path, before, data, kwargs, content, expected_mode):
    path = tmp_path / "sub" / "folder" / "record.json"
    if before is not None:
        path.parent.mkdir(parents=True)
        path.write_text("alt")
        path.chmod(before)
    write_atomic(path, data, **kwargs)
    assert (path.read_bytes(), mode(path)) == (content, expected_mode)
    assert [p.name for p in path.parent.iterdir()] == ["record.json"]


def test_the_file_and_then_its_folder_reach_the_disk(tmp_path, monkeypatch):
    synced = []
    real_fsync = os.fsync

    def fsync(handle):
        kind = "folder" if stat.S_ISDIR(os.fstat(handle).st_mode) else "file"
        synced.append((kind, (tmp_path / "a.json").exists()))
        real_fsync(handle)

    monkeypatch.setattr(files.os, "fsync", fsync)
    write_atomic(tmp_path / "a.json", "{}")
    # the data before the rename, the folder after it
    assert synced == [("file", False), ("folder", True)]


def test_an_interrupted_write_leaves_the_old_file_and_no_temporary(tmp_path, monkeypatch):
    path = tmp_path / "report.json"
    path.write_text("alt")

    def killed(*_args):
        raise KeyboardInterrupt

    monkeypatch.setattr(files.os, "replace", killed)
    with pytest.raises(KeyboardInterrupt):
        write_atomic(path, "neu")
    monkeypatch.undo()
    assert path.read_text() == "alt" and [p.name for p in tmp_path.iterdir()] == ["report.json"]


@pytest.mark.parametrize("before", [None, "20270101T000000Z-1"], ids=["new", "moved"])
def test_link_atomic_points_the_link_at_the_run(tmp_path, before):
    link = tmp_path / "latest"
    if before:
        link.symlink_to(before)
    link_atomic(link, "20270312T160000Z-100")
    assert os.readlink(link) == "20270312T160000Z-100"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["latest"]


def test_create_exclusive_creates_once_and_never_replaces(tmp_path):
    path = tmp_path / "sub" / "kommune-a.lock"
    assert create_exclusive(path, "first\n", mode=0o640) is True
    assert create_exclusive(path, "second\n", mode=0o640) is False
    assert path.read_text() == "first\n"
    assert mode(path) == 0o640
    assert os.listdir(path.parent) == ["kommune-a.lock"]  # no temporary left behind, won or lost


def test_create_exclusive_trusts_the_link_count_when_the_link_reply_was_lost(tmp_path, monkeypatch):
    """NFS: the server linked, the reply was lost, the retry failed; the file is ours all the same."""
    real_link = os.link

    def link_then_fail(source, target):
        real_link(source, target)
        raise OSError(5, "Input/output error")

    monkeypatch.setattr(files.os, "link", link_then_fail)
    path = tmp_path / "kommune-a.lock"
    assert create_exclusive(path, "ours") is True
    assert path.read_text() == "ours"


def test_create_exclusive_raises_a_link_that_failed(tmp_path, monkeypatch):
    def fail(source, target):
        raise OSError(5, "Input/output error")

    monkeypatch.setattr(files.os, "link", fail)
    with pytest.raises(OSError, match="Input/output error"):
        create_exclusive(tmp_path / "kommune-a.lock", "ours")
    assert os.listdir(tmp_path) == []

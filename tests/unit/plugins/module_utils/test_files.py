"""files.write_atomic, the managed host's one atomic writer: content, mode and owner of a
new and of a replaced file, with os.replace and with AnsibleModule.atomic_move, the flushes
to the disk, and a failure that leaves the old file and no temporary file behind."""

import os
import stat

import pytest
from ansible.module_utils.basic import AnsibleModule
from ansible.module_utils.testing import patch_module_args

from ansible_collections.kommunal.umzug.plugins.module_utils import files
from ansible_collections.kommunal.umzug.plugins.module_utils.files import write_atomic


@pytest.fixture(autouse=True)
def umask_022():
    old = os.umask(0o022)
    yield
    os.umask(old)


@pytest.fixture
def module_move():
    with patch_module_args({}):
        return AnsibleModule(argument_spec={}).atomic_move


def mode_of(path) -> int:
    return stat.S_IMODE(os.stat(path).st_mode)


@pytest.mark.parametrize("mover", ["os.replace", "module"])
@pytest.mark.parametrize(("old_mode", "mode", "expected"), [
    (None, None, 0o644),     # new file: what open() gives under the umask
    (None, 0o600, 0o600),    # new file with a mode of its own (a freeze record, a state file)
    (0o640, None, 0o640),    # replaced file keeps its mode (smb.conf under a freeze)
    (0o755, None, 0o755),
    (0o644, 0o600, 0o600),   # an explicit mode wins over the old one
    (0o600, 0o640, 0o640),
])
def test_content_and_mode(tmp_path, module_move, mover, old_mode, mode, expected):
    path = tmp_path / "smb.conf"
    if old_mode is not None:
        path.write_text("[global]\n")
        path.chmod(old_mode)
    write_atomic(str(path), "[global]\n\tworkgroup = ALTDORF\n", module_move if mover == "module" else None, mode=mode)
    assert path.read_text() == "[global]\n\tworkgroup = ALTDORF\n"
    assert mode_of(path) == expected
    assert os.listdir(tmp_path) == ["smb.conf"]


@pytest.mark.parametrize(("umask", "expected"), [(0o022, 0o644), (0o027, 0o640), (0o077, 0o600)])
def test_a_new_file_gets_the_mode_open_would_give_it(tmp_path, umask, expected):
    os.umask(umask)
    write_atomic(str(tmp_path / "neu.json"), "{}")
    assert mode_of(tmp_path / "neu.json") == expected and os.umask(umask) == umask


@pytest.mark.parametrize(("data", "expected"), [
    ("Bürgeramt\n", "Bürgeramt\n".encode()),
    (b"\x00\xff binary", b"\x00\xff binary"),
    ("", b""),
])
def test_text_is_written_as_utf8_and_bytes_as_they_are(tmp_path, data, expected):
    path = tmp_path / "datei"
    write_atomic(str(path), data)
    assert path.read_bytes() == expected


def test_a_missing_folder_is_created(tmp_path):
    path = tmp_path / "state" / "altdorf" / "bauamt.json"
    write_atomic(str(path), "{}", mode=0o600)
    assert path.read_text() == "{}" and mode_of(path.parent) == 0o755


def test_a_path_without_folder_is_in_the_current_folder(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    write_atomic("record.json", "{}")
    assert (tmp_path / "record.json").read_text() == "{}"


@pytest.mark.skipif(os.geteuid() != 0, reason="only root gives a file to another owner")
@pytest.mark.parametrize("mover", ["os.replace", "module"])
def test_a_replaced_file_keeps_its_owner(tmp_path, module_move, mover):
    path = tmp_path / "smb.conf"
    path.write_text("old")
    os.chown(path, 1234, 2345)
    write_atomic(str(path), "new", module_move if mover == "module" else None)
    assert (path.stat().st_uid, path.stat().st_gid) == (1234, 2345)


def test_a_writer_that_may_not_give_the_file_away_still_writes(tmp_path, monkeypatch):
    path = tmp_path / "smb.conf"
    path.write_text("old")
    path.chmod(0o640)
    monkeypatch.setattr(files.os, "geteuid", lambda: 4321)  # the file looks like another user's

    def refuse(*_):
        raise PermissionError(1, "Operation not permitted")

    monkeypatch.setattr(files.os, "fchown", refuse)
    write_atomic(str(path), "new")
    assert path.read_text() == "new" and mode_of(path) == 0o640


@pytest.mark.parametrize(("durable", "flushed"), [(True, ["file", "folder"]), (False, [])])
def test_flushes_the_file_and_its_folder(tmp_path, monkeypatch, durable, flushed):
    calls = []
    real_fsync = os.fsync

    def fsync(handle):
        calls.append("folder" if stat.S_ISDIR(os.fstat(handle).st_mode) else "file")
        real_fsync(handle)

    monkeypatch.setattr(files.os, "fsync", fsync)
    write_atomic(str(tmp_path / "progress.json"), "{}", durable=durable)
    assert calls == flushed
    assert (tmp_path / "progress.json").read_text() == "{}"


def _failing_move(temp, path):
    raise OSError(5, "Input/output error")


def _failing_chmod(handle, mode):
    raise OSError(1, "Operation not permitted")


@pytest.mark.parametrize(("patch", "data", "error"), [
    (None, 42, TypeError),                               # the data cannot be written
    ("move", "new", OSError),                            # the rename fails
    ("fchmod", "new", OSError),                          # the temporary file's mode cannot be set
])
def test_a_failure_leaves_the_old_file_and_no_temporary_file(tmp_path, monkeypatch, patch, data, error):
    path = tmp_path / "altdorf.identity.yml"
    path.write_text("old content")
    path.chmod(0o640)
    if patch == "fchmod":
        monkeypatch.setattr(files.os, "fchmod", _failing_chmod)
    with pytest.raises(error):
        write_atomic(str(path), data, _failing_move if patch == "move" else None)
    assert path.read_text() == "old content" and mode_of(path) == 0o640
    assert os.listdir(tmp_path) == ["altdorf.identity.yml"]


def test_a_failed_first_write_leaves_nothing(tmp_path):
    with pytest.raises(OSError):
        write_atomic(str(tmp_path / "new.json"), "{}", _failing_move)
    assert os.listdir(tmp_path) == []

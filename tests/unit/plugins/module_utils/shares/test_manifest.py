"""Manifests after a real sync pass (local source): equal when the move is complete,
and every kind of difference named when it is not."""

import os
import subprocess

import pytest

from ansible_collections.kommunal.umzug.plugins.module_utils.shares import manifest as share_manifest
from ansible_collections.kommunal.umzug.plugins.module_utils.shares.sync import LocalSource, Translator, run_pass

pytestmark = pytest.mark.skipif(os.geteuid() != 0, reason="owners and ACLs of other ids need root")

OLD, NEW = "S-1-5-21-1-2-3", "S-1-5-21-7-8-9"
UID_SIDS = {101113: f"{OLD}-1113", 0: "S-1-22-1-0"}
GID_SIDS = {100513: f"{OLD}-513", 101103: f"{OLD}-1103", 0: "S-1-22-2-0"}
TARGET = {(f"{NEW}-4001", "uid"): 300001, (f"{NEW}-513", "gid"): 300513, (f"{NEW}-4100", "gid"): 304100,
          ("S-1-22-1-0", "uid"): 0, ("S-1-22-2-0", "gid"): 0}
SIDS = {f"{OLD}-1113": f"{NEW}-4001", f"{OLD}-513": f"{NEW}-513", f"{OLD}-1103": f"{NEW}-4100"}


def translate_sid(sid):
    return SIDS.get(sid, None if sid.startswith("S-1-5-21-") else sid)


def target_id(sid, kind):
    return TARGET.get((sid, kind))


@pytest.fixture
def synced(tmp_path):
    src, dst = tmp_path / "src", tmp_path / "dst"
    (src / "Pläne" / "leer").mkdir(parents=True)
    for path, data in (("Pläne/plan.pdf", os.urandom(30_000)), ("Antrag.txt", b"Antrag\n")):
        (src / path).write_bytes(data)
        os.chown(src / path, 101113, 100513)
    os.link(src / "Pläne" / "plan.pdf", src / "Pläne" / "plan-kopie.pdf")
    os.symlink("Pläne/plan.pdf", src / "Verweis")
    os.setxattr(src / "Antrag.txt", "user.DOSATTRIB", b"\x00\x00\x04\x00")
    subprocess.run(["setfacl", "-m", "g:101103:rwx", str(src / "Antrag.txt")], check=True)
    run_pass(LocalSource(os.fsencode(src), UID_SIDS, GID_SIDS), os.fsencode(dst), str(tmp_path / "state.json"),
             translate_sid, target_id, check=False)
    return src, dst


def manifests(src, dst):
    source = share_manifest.local_side(os.fsencode(src))
    source.uid_sids, source.gid_sids = UID_SIDS, GID_SIDS
    expected = share_manifest.entries(source, Translator(translate_sid, UID_SIDS, GID_SIDS, target_id))
    return expected, share_manifest.entries(share_manifest.local_side(os.fsencode(dst)))


def test_a_complete_move_has_equal_manifests(synced):
    expected, actual = manifests(*synced)
    assert share_manifest.compare(expected, actual).ok
    assert share_manifest.totals(expected) == share_manifest.totals(actual)
    entry = actual[b"Antrag.txt"]
    assert (entry["uid"], entry["gid"]) == (300001, 300513)
    assert actual["Pläne/plan.pdf".encode()]["link"] == "Pläne/plan-kopie.pdf"


def test_untranslated_owners_would_not_match(synced):
    src, dst = synced
    source = share_manifest.local_side(os.fsencode(src))
    untranslated = share_manifest.entries(source)
    actual = share_manifest.entries(share_manifest.local_side(os.fsencode(dst)))
    assert "uid" in share_manifest.compare(untranslated, actual).differ[b"Antrag.txt"]


def test_every_kind_of_difference_is_named(synced):
    src, dst = synced
    (dst / "Antrag.txt").write_bytes(b"Antrog\n")  # same size, same mtime: only the hash tells
    os.utime(dst / "Antrag.txt", ns=(os.stat(src / "Antrag.txt").st_mtime_ns,) * 2)
    os.unlink(dst / "Verweis")
    (dst / "neu.txt").write_text("nur im RZ")
    subprocess.run(["setfacl", "-m", "g:999:r", str(dst / "Pläne" / "plan.pdf")], check=True)
    comparison = share_manifest.compare(*manifests(src, dst))
    assert comparison.missing == [b"Verweis"]
    assert comparison.extra == [b"neu.txt"]
    assert comparison.differ[b"Antrag.txt"] == ["sha256"]
    assert "acl" in comparison.differ["Pläne/plan.pdf".encode()]
    expected, actual = manifests(src, dst)
    assert share_manifest.totals(expected)["digest"] != share_manifest.totals(actual)["digest"]


def test_the_manifest_file_is_written_atomically(synced, tmp_path):
    _expected, actual = manifests(*synced)
    path = tmp_path / "m" / "bauamt.target.json"
    share_manifest.save(str(path), actual)
    assert path.read_text().startswith('{"paths": ') and not (tmp_path / "m" / "bauamt.target.json.tmp").exists()


def test_a_file_moved_into_a_folder_with_a_default_acl_gets_no_inherited_acl(synced, tmp_path):
    src, dst = synced
    subprocess.run(["setfacl", "-d", "-m", "g:101103:rwx", str(src / "Pläne")], check=True)
    state = str(tmp_path / "state.json")
    source = LocalSource(os.fsencode(src), UID_SIDS, GID_SIDS)
    run_pass(source, os.fsencode(dst), state, translate_sid, target_id, check=False)
    # Moved in (as a copy job or an editor's save does), so it did not inherit the default ACL.
    (tmp_path / "neu.txt").write_text("neu")
    os.rename(tmp_path / "neu.txt", src / "Pläne" / "neu.txt")
    run_pass(source, os.fsencode(dst), state, translate_sid, target_id, check=False)
    assert "system.posix_acl_access" not in os.listxattr(dst / "Pläne" / "neu.txt")
    assert share_manifest.compare(*manifests(src, dst)).ok


def test_hashes_are_never_read_through_a_folder_swapped_for_a_symlink(tmp_path):
    src, outside = tmp_path / "src", tmp_path / "outside"
    (src / "a").mkdir(parents=True)
    (src / "a" / "f").write_bytes(b"harmless")
    outside.mkdir()
    (outside / "f").write_bytes(b"harmless")  # the same bytes: only where they were read from differs
    nodes = list(share_manifest.share_tree.scan(os.fsencode(src)))
    (src / "a").rename(tmp_path / "a-away")
    os.symlink(outside, src / "a")
    assert share_manifest.hashes(os.fsencode(src), nodes) == {}


def test_the_source_agent_hashes_through_the_no_follow_opener(synced, tmp_path, monkeypatch):
    """remote_side as share_verify runs it, with ssh replaced by a local shell."""
    src, _ = synced
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    (bin_dir / "ssh").write_text('#!/bin/sh\nfor last; do :; done\nexec sh -c "$last"\n')
    (bin_dir / "wbinfo").write_text("#!/bin/sh\nexit 1\n")
    for tool in ("ssh", "wbinfo"):
        os.chmod(bin_dir / tool, 0o755)
    monkeypatch.setenv("PATH", f"{bin_dir}:{os.environ['PATH']}")
    side = share_manifest.remote_side(["ssh", "kommune-a-fs"], "kommune-a-fs", os.fsencode(src))
    assert side.sha256 == share_manifest.local_side(os.fsencode(src)).sha256
    assert side.sha256[b"Antrag.txt"] == share_manifest.file_sha256(os.fsencode(src / "Antrag.txt"))

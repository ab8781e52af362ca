"""The sync engine end to end on real files (xattrs, ACLs, hard links, sparse files), with
a local source instead of SSH: what the RZ file server does, minus the network."""

import base64
import json
import os
import shutil
import signal
import socket
import struct
import subprocess
import threading
import time
import typing
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from ansible_collections.kommunal.umzug.plugins.module_utils.shares import manifest as share_manifest
from ansible_collections.kommunal.umzug.plugins.module_utils.shares import ntacl, posix_acl
from ansible_collections.kommunal.umzug.plugins.module_utils.shares import sync as share_sync
from ansible_collections.kommunal.umzug.plugins.module_utils.shares import tree as share_tree
from ansible_collections.kommunal.umzug.plugins.module_utils.shares.sync import (
    LocalSource,
    SshSource,
    SyncError,
    run_pass,
)
from tests.support.clock import FakeClock

pytestmark = pytest.mark.skipif(os.geteuid() != 0, reason="owners and security.* xattrs need root")

FIXTURE = json.loads((Path(__file__).parent / "fixtures" / "ntacl_samba417.json").read_text())
OLD = "S-1-5-21-2859257317-1914608930-1199397322"
NEW = "S-1-5-21-100-200-300"
SID_MAP = {f"{OLD}-1113": f"{NEW}-4001", f"{OLD}-513": f"{NEW}-513", f"{OLD}-512": f"{NEW}-512",
           f"{OLD}-1103": f"{NEW}-4100", f"{OLD}-1111": f"{NEW}-4111"}
# source ids (as winbind there would answer) and target ids of the new SIDs
UID_SIDS = {101113: f"{OLD}-1113", 0: "S-1-22-1-0"}
GID_SIDS = {100513: f"{OLD}-513", 101103: f"{OLD}-1103", 101111: f"{OLD}-1111", 0: "S-1-22-2-0"}
TARGET_IDS = {(f"{NEW}-4001", "uid"): 300001, (f"{NEW}-513", "gid"): 300513, (f"{NEW}-4100", "gid"): 304100,
              (f"{NEW}-4111", "gid"): 304111, ("S-1-22-1-0", "uid"): 0, ("S-1-22-2-0", "gid"): 0}


def translate_sid(sid):
    if sid in SID_MAP:
        return SID_MAP[sid]
    return None if sid.startswith("S-1-5-21-") else sid


def target_id(sid, kind):
    return TARGET_IDS.get((sid, kind))


def write(path: Path, data: bytes = b"x", uid=101113, gid=100513, mode=0o660):
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)
    os.chown(path, uid, gid)
    os.chmod(path, mode)


@pytest.fixture
def tree(tmp_path):
    src = tmp_path / "src"
    write(src / "Bauanträge" / "Antrag Müller.txt", b"Antrag\r\n" * 100)
    os.setxattr(src / "Bauanträge" / "Antrag Müller.txt", "user.DOSATTRIB", b"\x00\x00\x04\x00")
    os.setxattr(src / "Bauanträge" / "Antrag Müller.txt", "security.NTACL",
                base64.b64decode(FIXTURE["file_v4"]))
    subprocess.run(["setfacl", "-m", "g:101103:rwx,g:101111:r-x", str(src / "Bauanträge" / "Antrag Müller.txt")],
                   check=True)
    os.setxattr(src / "Bauanträge", "security.NTACL", base64.b64decode(FIXTURE["dir_v4"]))
    write(src / "Pläne" / "plan.pdf", os.urandom(50_000))
    os.link(src / "Pläne" / "plan.pdf", src / "Pläne" / "plan-kopie.pdf")
    os.symlink("../Pläne/plan.pdf", src / "Bauanträge" / "Verweis")
    os.symlink("/etc/passwd", src / "nach-aussen")
    with open(src / "sparse.img", "wb") as handle:
        handle.seek(10 * 1024 * 1024)
        handle.write(b"end")
    (src / "leer" / "tiefer").mkdir(parents=True)
    write(Path(os.fsdecode(os.path.join(os.fsencode(src), b"M\xfcller-latin1.txt"))), b"old name")
    os.utime(src / "Pläne", ns=(1_600_000_000_000_000_000, 1_600_000_000_000_000_000))
    return src, tmp_path / "dst", str(tmp_path / "state" / "share.json")


def sync(src, dst, state, check=False, **kw):
    source = LocalSource(os.fsencode(src), UID_SIDS, GID_SIDS)
    return run_pass(source, os.fsencode(dst), state, translate_sid, target_id, check=check, **kw)


def snapshot(root):
    return {n.path: (n.kind, n.size, n.mtime_ns, n.uid, n.gid, n.mode, dict(n.xattrs), n.target)
            for n in share_tree.scan(os.fsencode(root))}


def test_first_pass_copies_everything_and_translates_identities(tree):
    src, dst, state = tree
    result = sync(src, dst, state)
    assert len(result.work_list.copy) == 7 and result.translate.unmapped_sids == {}
    f = dst / "Bauanträge" / "Antrag Müller.txt"
    assert f.read_bytes() == (src / "Bauanträge" / "Antrag Müller.txt").read_bytes()
    assert (f.stat().st_uid, f.stat().st_gid) == (300001, 300513)
    assert os.getxattr(f, "user.DOSATTRIB") == b"\x00\x00\x04\x00"
    sd = ntacl.sd_from_ntacl(os.getxattr(f, "security.NTACL"))
    assert sd.owner == f"{NEW}-4001" and {a.sid for a in sd.dacl.aces} == {
        f"{NEW}-4001", f"{NEW}-512", f"{NEW}-4100", f"{NEW}-4111"}
    assert "g:304100:rwx" in posix_acl.describe(os.getxattr(f, "system.posix_acl_access"))
    assert f.stat().st_mtime_ns == (src / "Bauanträge" / "Antrag Müller.txt").stat().st_mtime_ns


def test_links_sparse_files_empty_folders_and_odd_names_survive(tree):
    src, dst, state = tree
    sync(src, dst, state)
    assert (dst / "Pläne" / "plan.pdf").stat().st_ino == (dst / "Pläne" / "plan-kopie.pdf").stat().st_ino
    assert os.readlink(dst / "Bauanträge" / "Verweis") == "../Pläne/plan.pdf"
    assert os.readlink(dst / "nach-aussen") == "/etc/passwd"
    sparse = (dst / "sparse.img").stat()
    assert sparse.st_size == 10 * 1024 * 1024 + 3 and sparse.st_blocks * 512 < sparse.st_size
    assert (dst / "leer" / "tiefer").is_dir()
    assert os.path.exists(os.path.join(os.fsencode(dst), b"M\xfcller-latin1.txt"))
    assert (dst / "Pläne").stat().st_mtime_ns == 1_600_000_000_000_000_000


def test_second_pass_changes_nothing(tree):
    src, dst, state = tree
    sync(src, dst, state)
    before = snapshot(dst)
    again = sync(src, dst, state)
    assert again.work_list.is_empty()
    assert snapshot(dst) == before


def test_delta_pass_brings_changes_and_deletions_only(tree):
    src, dst, state = tree
    sync(src, dst, state)
    write(src / "Bauanträge" / "neu.txt", b"neu")
    (src / "Pläne" / "plan-kopie.pdf").unlink()
    subprocess.run(["setfacl", "-m", "g:101111:---", str(src / "Bauanträge" / "Antrag Müller.txt")], check=True)
    (dst / "nur-im-ziel.txt").write_text("removed by the delta pass")
    result = sync(src, dst, state)
    assert [n.path for n in result.work_list.copy] == ["Bauanträge/neu.txt".encode()]
    # The two folders changed too: a file came into one and left the other (their mtimes).
    assert sorted(n.path for n in result.work_list.meta) == sorted(
        p.encode() for p in ("Bauanträge", "Bauanträge/Antrag Müller.txt", "Pläne"))
    assert sorted(n.path for n in result.work_list.delete) == [b"Pl\xc3\xa4ne/plan-kopie.pdf", b"nur-im-ziel.txt"]
    assert not (dst / "Pläne" / "plan-kopie.pdf").exists() and not (dst / "nur-im-ziel.txt").exists()
    acl = posix_acl.describe(os.getxattr(dst / "Bauanträge" / "Antrag Müller.txt", "system.posix_acl_access"))
    assert "g:304111:---" in acl


@pytest.mark.parametrize("check", [False, True], ids=["pass", "check mode"])
def test_with_deletion_off_a_pass_deletes_nothing_and_names_what_it_left(tree, check):
    src, dst, state = tree
    sync(src, dst, state)
    (src / "Pläne" / "plan-kopie.pdf").unlink()
    (dst / "nur-im-ziel.txt").write_text("kept: deletion is off")
    result = sync(src, dst, state, check=check, delete=False)
    assert result.work_list.delete == []
    assert result.not_deleted == [b"Pl\xc3\xa4ne/plan-kopie.pdf", b"nur-im-ziel.txt"]
    assert (dst / "Pläne" / "plan-kopie.pdf").exists() and (dst / "nur-im-ziel.txt").exists()
    # The next pass finds them again: they stay reported until someone lets them go.
    assert sync(src, dst, state, check=True, delete=False).not_deleted == result.not_deleted
    assert sync(src, dst, state, check=True).not_deleted == []


def test_check_mode_changes_nothing_and_says_what_it_would_do(tree):
    src, dst, state = tree
    sync(src, dst, state)
    write(src / "neu.txt", b"neu")
    before = snapshot(dst)
    result = sync(src, dst, state, check=True)
    assert [n.path for n in result.work_list.copy] == [b"neu.txt"]
    assert snapshot(dst) == before
    assert not (dst / "neu.txt").exists()


def test_an_interrupted_pass_is_completed_by_the_next(tree):
    src, dst, state = tree
    sync(src, dst, state)
    # As after kill -9 in the middle of a copy: a half-written file and the state of before.
    victim = dst / "Pläne" / "plan.pdf"
    with open(victim, "r+b") as handle:
        handle.truncate(1000)
    result = sync(src, dst, state)
    assert b"Pl\xc3\xa4ne/plan.pdf" in [n.path for n in result.work_list.copy]
    assert victim.read_bytes() == (src / "Pläne" / "plan.pdf").read_bytes()


def test_unmapped_sid_and_id_are_kept_and_reported(tree):
    src, dst, state = tree
    write(src / "fremd.txt", b"x", uid=107777)
    os.setxattr(src / "fremd.txt", "security.NTACL", base64.b64decode(FIXTURE["file_v4"]))
    unknown = dict(SID_MAP)
    del unknown[f"{OLD}-1111"]
    source = LocalSource(os.fsencode(src), UID_SIDS, GID_SIDS)
    result = run_pass(source, os.fsencode(dst), state, lambda s: unknown.get(s, None if s.startswith("S-1-5-21-")
                                                                             else s), target_id, check=False)
    assert f"{OLD}-1111" in result.translate.unmapped_sids
    assert "uid 107777" in result.translate.unmapped_ids
    sd = ntacl.sd_from_ntacl(os.getxattr(dst / "fremd.txt", "security.NTACL"))
    assert f"{OLD}-1111" in [a.sid for a in sd.dacl.aces]
    assert (dst / "fremd.txt").stat().st_uid == 107777


def test_a_file_list_longer_than_a_pipe_buffer_does_not_block(tmp_path):
    """tar starts writing before it has read the whole list; a pass must still finish."""
    src = tmp_path / "src"
    for i in range(1500):  # about 100 KB of names, more than a 64 KiB pipe buffer
        write(src / f"Ordner {i // 100:02d}" / f"ein recht langer Dateiname Nummer {i:05d}.txt", b"x", uid=0, gid=0)
    done = []
    worker = threading.Thread(target=lambda: done.append(sync(src, tmp_path / "dst", str(tmp_path / "s.json"))))
    worker.start()
    worker.join(timeout=120)  # a liveness guard against the deadlock, not a speed check
    assert done and len(done[0].work_list.copy) == 1500


def test_a_metadata_only_change_is_picked_up_while_unchanged_paths_are_not_read(tree, monkeypatch):
    """The next pass trusts inode and ctime for paths that did not change, and still sees
    an xattr or ACL set on a file whose content and mtime stayed the same."""
    src, dst, state = tree
    monkeypatch.setattr(share_tree, "RACY_NS", 0)  # the tree was just made; trust its ctimes at once
    sync(src, dst, state)
    time.sleep(0.05)  # more than one tick of the kernel's file time clock
    paths, records, _ = zip(*share_tree.walk_records(os.fsencode(src)), strict=True)
    _, to_read = share_tree.triage(list(paths), list(records), share_tree.target_listing(os.fsencode(dst)),
                                   share_tree.load_state(state))
    assert to_read == []
    antrag, plan_pdf = src / "Bauanträge" / "Antrag Müller.txt", src / "Pläne" / "plan.pdf"
    content_before = {p: (p.stat().st_size, p.stat().st_mtime_ns) for p in (antrag, plan_pdf)}
    os.setxattr(antrag, "user.DOSATTRIB", b"\x00\x00\x04\x00\x20")
    subprocess.run(["setfacl", "-m", "g:101111:r--", str(plan_pdf)], check=True)
    assert {p: (p.stat().st_size, p.stat().st_mtime_ns) for p in (antrag, plan_pdf)} == content_before
    result = sync(src, dst, state)
    # plan.pdf and plan-kopie.pdf are one inode: both names carry the new ACL
    assert sorted(n.path for n in result.work_list.meta) == sorted(
        p.encode() for p in ("Bauanträge/Antrag Müller.txt", "Pläne/plan.pdf", "Pläne/plan-kopie.pdf"))
    assert not result.work_list.copy
    assert os.getxattr(dst / "Bauanträge" / "Antrag Müller.txt", "user.DOSATTRIB") == b"\x00\x00\x04\x00\x20"
    assert "g:304111:r--" in posix_acl.describe(os.getxattr(dst / "Pläne" / "plan.pdf", "system.posix_acl_access"))
    assert sync(src, dst, state).work_list.is_empty()


def test_an_unchanged_pass_leaves_the_state_file_alone(tree, monkeypatch):
    src, dst, state = tree
    monkeypatch.setattr(share_tree, "RACY_NS", 0)
    sync(src, dst, state)
    before = os.stat(state)
    time.sleep(0.05)
    assert sync(src, dst, state).work_list.is_empty()
    after = os.stat(state)
    assert (after.st_ino, after.st_mtime_ns) == (before.st_ino, before.st_mtime_ns)


def test_a_damaged_state_stops_the_pass_with_its_path(tree):
    src, dst, state = tree
    sync(src, dst, state)
    with open(state, "r+b") as handle:
        handle.truncate(20)
    with pytest.raises(SyncError, match=r"state file .*share\.json cannot be read .* remove it to start over"):
        sync(src, dst, state)


def change_keeping_size_and_mtime(path: Path, data: bytes) -> None:
    """What a tool that restores the mtime does: other content, same size, same mtime
    (only the ctime moves)."""
    before = path.stat()
    assert len(data) == before.st_size
    path.write_bytes(data)
    os.utime(path, ns=(before.st_atime_ns, before.st_mtime_ns))


def verify_and_flag(src, dst, state):
    """What share_verify does on the RZ side: compare the manifests, record what differs."""
    source = share_manifest.local_side(os.fsencode(src))
    expected = share_manifest.entries(source, share_sync.Translator(translate_sid, UID_SIDS, GID_SIDS, target_id))
    comparison = share_manifest.compare(expected, share_manifest.entries(share_manifest.local_side(os.fsencode(dst))))
    with share_sync.state_lock(state, "verify"):
        share_sync.flag_for_next_pass(state, [*comparison.missing, *comparison.differ])
    return comparison


def test_a_content_change_that_keeps_size_and_mtime_is_flagged_by_verify_and_copied_by_the_next_pass(tree):
    src, dst, state = tree
    sync(src, dst, state)
    changed = src / "Bauanträge" / "Antrag Müller.txt"
    change_keeping_size_and_mtime(changed, b"Bescheid" * 100)
    # The quick check cannot see it: the delta pass copies nothing, and its state says done.
    assert not sync(src, dst, state).work_list.copy
    assert (dst / "Bauanträge" / "Antrag Müller.txt").read_bytes() == b"Antrag\r\n" * 100
    assert not sync(src, dst, state).work_list.copy
    comparison = verify_and_flag(src, dst, state)
    assert comparison.differ == {"Bauanträge/Antrag Müller.txt".encode(): ["sha256"]}
    assert share_tree.load_flagged(state) == {"Bauanträge/Antrag Müller.txt".encode()}
    # The dry run of the final pass says what it would copy, and why; it writes nothing.
    dry = sync(src, dst, state, check=True)
    assert [n.path for n in dry.work_list.copy] == dry.recopied == ["Bauanträge/Antrag Müller.txt".encode()]
    assert (dst / "Bauanträge" / "Antrag Müller.txt").read_bytes() == b"Antrag\r\n" * 100
    assert os.path.exists(share_tree.flagged_path(state))
    final = sync(src, dst, state)
    assert final.recopied == ["Bauanträge/Antrag Müller.txt".encode()]
    assert (dst / "Bauanträge" / "Antrag Müller.txt").read_bytes() == b"Bescheid" * 100
    assert not os.path.exists(share_tree.flagged_path(state))
    assert verify_and_flag(src, dst, state).ok and sync(src, dst, state).work_list.is_empty()


def test_compare_content_none_leaves_flagged_paths_and_all_finds_changes_without_verify(tree):
    src, dst, state = tree
    sync(src, dst, state)
    change_keeping_size_and_mtime(src / "Bauanträge" / "Antrag Müller.txt", b"Bescheid" * 100)
    verify_and_flag(src, dst, state)
    assert not sync(src, dst, state, compare_content="none").work_list.copy
    assert share_tree.load_flagged(state)  # still there for a pass that copies them
    os.unlink(share_tree.flagged_path(state))
    source_side = share_manifest.local_side(os.fsencode(src))
    result = sync(src, dst, state, compare_content="all",
                  content_differs=lambda: share_manifest.content_differs(source_side, os.fsencode(dst)))
    assert result.recopied == ["Bauanträge/Antrag Müller.txt".encode()]
    assert (dst / "Bauanträge" / "Antrag Müller.txt").read_bytes() == b"Bescheid" * 100
    with pytest.raises(ValueError, match="needs content_differs"):
        sync(src, dst, state, compare_content="all")


def test_a_second_pass_on_the_same_state_is_refused_naming_the_holder(tree):
    src, dst, state = tree
    sync(src, dst, state)
    ready_r, ready_w = os.pipe()
    pid = os.fork()
    if pid == 0:  # the pass that holds the lock, in a process of its own
        try:
            with share_sync.state_lock(state, "delta pass of share bauamt"):
                os.write(ready_w, b"x")
                time.sleep(60)
        finally:
            os._exit(0)
    try:
        os.read(ready_r, 1)
        (src / "neu.txt").write_bytes(b"neu")
        with pytest.raises(SyncError) as refused:
            sync(src, dst, state, what="final pass of share bauamt")
        message = str(refused.value)
        assert f"the share state {state} is in use by the delta pass of share bauamt of PID {pid} on " \
               f"{socket.gethostname()} since 20" in message
        assert "this final pass of share bauamt did not start" in message
        assert not (dst / "neu.txt").exists()
        # A dry run takes no lock: it runs beside the pass, and writes nothing.
        before = os.stat(state)
        assert [n.path for n in sync(src, dst, state, check=True).work_list.copy] == [b"neu.txt"]
        assert os.stat(state).st_mtime_ns == before.st_mtime_ns and not (dst / "neu.txt").exists()
    finally:
        os.kill(pid, signal.SIGKILL)
        os.waitpid(pid, 0)
        os.close(ready_r)
        os.close(ready_w)
    # The holder is gone (killed): its lock went with it, and the next pass runs.
    assert [n.path for n in sync(src, dst, state).work_list.copy] == [b"neu.txt"]


def test_a_state_path_without_a_folder_is_written_in_the_current_folder(tree, monkeypatch):
    src, dst, _ = tree
    monkeypatch.chdir(dst.parent)
    sync(src, dst, "state.bin")
    assert share_tree.load_state(str(dst.parent / "state.bin"))
    assert (dst.parent / "state.bin").stat().st_mode & 0o777 == 0o600
    assert sync(src, dst, "state.bin").work_list.is_empty()


def test_a_listing_that_fails_on_the_source_says_where(tmp_path):
    with pytest.raises(SyncError, match=r"listing .*nicht-da failed"):
        sync(tmp_path / "nicht-da", tmp_path / "dst", str(tmp_path / "s.state"))


def test_copies_in_many_batches_keep_links_owners_and_acls(tree, monkeypatch):
    monkeypatch.setattr(share_sync, "BATCH_FILES", 2)
    src, dst, state = tree
    for i in range(5):
        write(src / "Pläne" / f"blatt{i}.pdf", b"%d" % i, gid=101103)
    result = sync(src, dst, state)
    assert len(result.work_list.copy) == 12
    assert (dst / "Pläne" / "plan.pdf").stat().st_ino == (dst / "Pläne" / "plan-kopie.pdf").stat().st_ino
    assert [(dst / "Pläne" / f"blatt{i}.pdf").stat().st_gid for i in range(5)] == [304100] * 5
    assert "g:304100:rwx" in posix_acl.describe(
        os.getxattr(dst / "Bauanträge" / "Antrag Müller.txt", "system.posix_acl_access"))
    assert snapshot(dst)[b"Pl\xc3\xa4ne"][2] == (src / "Pläne").stat().st_mtime_ns
    assert sync(src, dst, state).work_list.is_empty()


def test_ssh_source_runs_the_agent_through_a_remote_shell(tree, tmp_path, monkeypatch):
    """SshSource as the RZ side uses it, with ``ssh`` replaced by a local shell that runs
    the remote command line (so its quoting is checked) and ``wbinfo`` answering as a
    Samba member would; then a pass over it, tar stream included."""
    src, dst, state = tree
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    (bin_dir / "ssh").write_text('#!/bin/sh\nfor last; do :; done\nexec sh -c "$last"\n')
    (bin_dir / "wbinfo").write_text('#!/bin/sh\n[ "$1" = --uid-to-sid ] && echo "S-1-22-1-$2" && exit 0\n'
                                    '[ "$2" = 100513 ] && echo "' + OLD + '-513" && exit 0\n'
                                    'echo "S-1-22-2-$2"\n')
    for tool in ("ssh", "wbinfo"):
        os.chmod(bin_dir / tool, 0o755)
    monkeypatch.setenv("PATH", f"{bin_dir}:{os.environ['PATH']}")
    source = SshSource("kommune-a-fs", os.fsencode(src))
    nodes, uid_sids, gid_sids = source.listing()
    assert {n.path for n in nodes} >= {b"", "Bauanträge/Antrag Müller.txt".encode(), b"M\xfcller-latin1.txt"}
    assert uid_sids[101113] == "S-1-22-1-101113" and gid_sids[100513] == f"{OLD}-513"
    result = run_pass(source, os.fsencode(dst), state, translate_sid, target_id, check=False)
    assert len(result.work_list.copy) == 7
    assert (dst / "Pläne" / "plan.pdf").read_bytes() == (src / "Pläne" / "plan.pdf").read_bytes()
    assert (dst / "Pläne" / "plan.pdf").stat().st_gid == 300513


# A stand-in for ssh: "-M" makes the master (its control socket a plain file, then it waits
# to be ended; UMZUG_TEST_MASTER=fail makes it give up at once), anything else runs the
# remote command line here. Every call is logged, one line each.
FAKE_SSH = """#!/bin/sh
echo "$*" >> "$UMZUG_TEST_SSH_LOG"
case " $* " in
  *" -M "*)
    [ "$UMZUG_TEST_MASTER" = fail ] && exit 255
    for arg; do case "$arg" in ControlPath=*) : > "${arg#ControlPath=}" ;; esac; done
    exec sleep 60 ;;
esac
for last; do :; done
exec sh -c "$last"
"""


@pytest.fixture
def fake_ssh(tmp_path, monkeypatch):
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    (bin_dir / "ssh").write_text(FAKE_SSH)
    (bin_dir / "wbinfo").write_text('#!/bin/sh\necho "S-1-22-1-$2"\n')
    for tool in ("ssh", "wbinfo"):
        os.chmod(bin_dir / tool, 0o755)
    monkeypatch.setenv("PATH", f"{bin_dir}:{os.environ['PATH']}")
    log = tmp_path / "ssh.log"
    monkeypatch.setenv("UMZUG_TEST_SSH_LOG", str(log))
    return lambda: log.read_text().splitlines()


def test_a_pass_over_ssh_runs_its_sessions_through_one_master(tree, fake_ssh, monkeypatch):
    monkeypatch.setattr(share_sync, "BATCH_FILES", 4)
    src, dst, state = tree
    source = SshSource("kommune-a-fs", os.fsencode(src), key="/keys/transfer")
    result = run_pass(source, os.fsencode(dst), state, translate_sid, target_id, check=False)
    assert len(result.work_list.copy) == 7
    [master, *sessions] = fake_ssh()
    assert " -M -N -o ControlPath=" in f" {master}" and "ControlPersist=no" in master
    control = master.split("ControlPath=")[1].split()[0]
    # the listing and a sender per batch (7 files in batches of 4: two), all through the master
    assert len(sessions) == 3
    assert all(f"ControlPath={control} -o ControlMaster=no" in line for line in sessions)
    assert not os.path.exists(os.path.dirname(control))  # the master ended with the pass, its folder gone
    assert source.options == []
    assert (dst / "Pläne" / "plan.pdf").read_bytes() == (src / "Pläne" / "plan.pdf").read_bytes()


def test_without_a_master_the_sessions_connect_on_their_own(tree, fake_ssh, monkeypatch):
    monkeypatch.setenv("UMZUG_TEST_MASTER", "fail")
    src, dst, state = tree
    result = run_pass(SshSource("kommune-a-fs", os.fsencode(src)), os.fsencode(dst), state, translate_sid,
                      target_id, check=False)
    assert len(result.work_list.copy) == 7
    [master, *sessions] = fake_ssh()
    assert " -M " in f" {master} " and sessions
    assert not any("ControlPath" in line for line in sessions)


def test_a_path_that_changes_type_between_passes_is_replaced(tree):
    src, dst, state = tree
    sync(src, dst, state)
    # A file becomes a folder with content, a folder with content becomes a file.
    (src / "sparse.img").unlink()
    write(src / "sparse.img" / "innen.txt", b"jetzt ein Ordner")
    for child in (src / "leer" / "tiefer", src / "leer"):
        child.rmdir()
    write(src / "leer", b"jetzt eine Datei")
    (dst / "leer" / "tiefer" / "nur-im-ziel.txt").write_text("goes with its folder")
    result = sync(src, dst, state)
    assert (dst / "sparse.img" / "innen.txt").read_bytes() == b"jetzt ein Ordner"
    assert (dst / "leer").read_bytes() == b"jetzt eine Datei"
    assert (dst / "leer").stat().st_uid == 300001
    assert {n.path for n in result.work_list.copy} == {b"sparse.img/innen.txt", b"leer"}
    assert sync(src, dst, state).work_list.is_empty()
    assert snapshot(dst)[b"leer"][0] == "file" and snapshot(dst)[b"sparse.img"][0] == "dir"


def test_a_path_longer_than_path_max_is_left_out_and_reported_while_the_rest_is_copied(tree, deep_file):
    src, dst, state = tree
    deep = deep_file(os.fsencode(src), 17)
    result = sync(src, dst, state)
    assert deep in result.too_long
    # Every path left out is one the target cannot take with its root; nothing else is.
    assert all(len(os.fsencode(dst) + b"/" + p) > 4095 for p in result.too_long)
    assert (dst / "Bauanträge" / "Antrag Müller.txt").read_bytes() == b"Antrag\r\n" * 100
    # The folders that fit are there; the next pass changes nothing and reports the same.
    assert os.path.isdir(os.path.join(os.fsencode(dst), deep.split(b"/")[0]))
    again = sync(src, dst, state)
    assert again.work_list.is_empty() and again.too_long == result.too_long


def test_trusted_xattrs_arrive_and_file_capabilities_do_not(tree):
    src, dst, state = tree
    (src / "tool").write_bytes(b"#!/bin/sh\n")
    os.setxattr(src / "tool", "security.capability", struct.pack("<IIIII", 0x02000001, 1 << 13, 0, 0, 0))
    os.setxattr(src / "tool", "trusted.umzug.test", b"seed")
    sync(src, dst, state)
    assert os.getxattr(dst / "tool", "trusted.umzug.test") == b"seed"
    assert "security.capability" not in os.listxattr(dst / "tool")
    # A change of the trusted xattr alone is metadata: the next pass carries it.
    os.setxattr(src / "tool", "trusted.umzug.test", b"delta")
    again = sync(src, dst, state)
    assert [n.path for n in again.work_list.meta] == [b"tool"]
    assert os.getxattr(dst / "tool", "trusted.umzug.test") == b"delta"


def test_a_folder_swapped_for_a_symlink_after_the_listing_never_brings_a_secret(tmp_path, monkeypatch):
    """Between the listing and the copy a share user replaces folder ``a`` with a symlink
    to a folder of root's: the pass must not read through it (GNU tar as the sender did,
    and the secret landed on the target), it reports the path and leaves it to the next
    pass."""
    secret_dir = tmp_path / "root-only"
    write(secret_dir / "f", b"SECRET of root", uid=0, gid=0, mode=0o600)
    os.chmod(secret_dir, 0o700)
    src, dst, state = tmp_path / "src", tmp_path / "dst", str(tmp_path / "state" / "share.state")
    write(src / "a" / "f", b"harmless")
    write(src / "b.txt", b"also harmless")
    start = share_sync.ContentCopy.start

    def swap_then_copy(self):
        (src / "a").rename(tmp_path / "a-moved-away")
        os.symlink(secret_dir, src / "a")
        return start(self)

    monkeypatch.setattr(share_sync.ContentCopy, "start", swap_then_copy)
    result = sync(src, dst, state)
    found = [p for p in dst.rglob("*") if p.is_file() and not p.is_symlink() and b"SECRET" in p.read_bytes()]
    assert found == []
    assert result.changed_during_copy == {b"a/f": "folder a: a symlink now"}
    assert (dst / "b.txt").read_bytes() == b"also harmless"
    assert b"a/f" not in share_tree.load_state(state)
    # The next pass (the share user put the folder back) copies what was skipped.
    monkeypatch.setattr(share_sync.ContentCopy, "start", start)
    (src / "a").unlink()
    (tmp_path / "a-moved-away").rename(src / "a")
    again = sync(src, dst, state)
    assert b"a/f" in [n.path for n in again.work_list.copy] and again.changed_during_copy == {}
    assert (dst / "a" / "f").read_bytes() == b"harmless"


def test_a_limited_pass_streams_through_the_limiter_and_copies_the_same(tree, tmp_path):
    """The tar stream goes through the relay at the limit (a fake clock: no sleeping) and the
    target ends up as an unlimited pass leaves it."""
    from ansible_collections.kommunal.umzug.plugins.module_utils.shares import rate

    src, dst, state = tree
    write(src / "Archiv.bin", os.urandom(1 << 20))
    clock = FakeClock("2026-12-04 10:00:00")
    limiter = rate.Limiter({"default": 8, "entries": []}, clock)
    sync(src, dst, state, limiter=limiter)
    sync(src, tmp_path / "unlimited", str(tmp_path / "state" / "unlimited.json"))
    assert snapshot(dst) == snapshot(tmp_path / "unlimited")
    [stretch] = limiter.report()
    assert stretch["limit_bytes_per_s"] == 1_000_000 and stretch["bytes"] > 1 << 20
    # All but the last piece waited for: the clock moved on by the stream's bytes at 1 MB/s.
    assert stretch["bytes"] - rate.CHUNK <= clock.elapsed * 1_000_000 <= stretch["bytes"]


# Friday 10:00:00 at 8 Mbit/s (1 MB/s); from 10:00:01 on no transfer until Saturday.
PAUSED_SOON = {"default": 8, "entries": [{"days": ["fri"], "start": "10:00:01", "end": "24:00", "limit": 0}]}


def _files(src, count=8, size=256 << 10):
    for number in range(count):
        write(src / "Akten" / f"akte-{number}.bin", os.urandom(size))
    return sorted(f"Akten/akte-{number}.bin".encode() for number in range(count))


def test_a_pass_stops_where_the_limit_becomes_zero_and_the_next_copies_only_the_rest(tmp_path):
    from ansible_collections.kommunal.umzug.plugins.module_utils.shares import rate

    src, dst, state = tmp_path / "src", tmp_path / "dst", str(tmp_path / "state" / "share.json")
    names = _files(src)
    first = sync(src, dst, state, limiter=rate.Limiter(PAUSED_SOON, FakeClock("2026-12-04 10:00:00")))
    assert not first.complete and first.stop.reason == "schedule"
    assert first.stop.next_allowed.isoformat() == "2026-12-05T00:00:00+01:00"
    # About a second's worth at 1 MB/s: some of the 256 KiB files, never all.
    assert 0 < len(first.unfinished) < len(names) - 1
    kept = sorted(set(names) - set(first.unfinished))
    # What the target holds is whole; the file tar was writing when the stream ended is gone.
    on_target = sorted(os.fsencode(p.relative_to(dst)) for p in dst.rglob("*") if p.is_file())
    assert on_target == kept
    for path in kept:
        assert (dst / os.fsdecode(path)).read_bytes() == (src / os.fsdecode(path)).read_bytes()
    saved = share_tree.load_state(state)
    assert set(kept) <= set(saved) and not set(first.unfinished) & set(saved)
    assert first.progress == {"files": len(kept), "files_total": len(names), "bytes": len(kept) * (256 << 10),
                              "bytes_total": len(names) * (256 << 10)}
    before = {path: os.lstat(dst / os.fsdecode(path)) for path in kept}

    second = sync(src, dst, state, limiter=rate.Limiter(PAUSED_SOON, FakeClock("2026-12-05 10:00:00")))
    assert second.complete and second.unfinished == []
    assert sorted(n.path for n in second.work_list.copy) == first.unfinished
    for path, was in before.items():  # not written again
        now = os.lstat(dst / os.fsdecode(path))
        assert (now.st_ino, now.st_mtime_ns, now.st_ctime_ns) == (was.st_ino, was.st_mtime_ns, was.st_ctime_ns)
    for path in names:
        assert (dst / os.fsdecode(path)).read_bytes() == (src / os.fsdecode(path)).read_bytes()
    assert second.progress["files"] == second.progress["files_total"] == len(names)
    assert sync(src, dst, state).work_list.is_empty()


def test_a_pass_started_while_the_limit_is_zero_copies_nothing(tmp_path):
    from ansible_collections.kommunal.umzug.plugins.module_utils.shares import rate

    src, dst, state = tmp_path / "src", tmp_path / "dst", str(tmp_path / "state" / "share.json")
    _files(src, count=2)
    result = sync(src, dst, state, limiter=rate.Limiter(PAUSED_SOON, FakeClock("2026-12-04 12:00:00")))
    assert not result.complete and result.stop.reason == "schedule" and result.work_list.is_empty()
    assert "transfer is next allowed at 2026-12-05 00:00:00 (Europe/Berlin)" in result.stop.message()
    assert not dst.exists() and not os.path.exists(state)
# --- senders started ahead (share_sync.Sender) ------------------------------------------------

@pytest.fixture
def senders(monkeypatch):
    """Every Sender a pass starts, and the order of starts and batches: ("start", n) when
    sender n starts, ("feed", n) when it gets its paths, ("copy", n) when the copy (its
    relay, decompressor and tar) of the batch that uses sender n starts and ("copied", n)
    when it has finished (its tar ended)."""
    started, events = [], []
    init, feed = share_sync.Sender.__init__, share_sync.Sender.feed
    start, finish = share_sync.ContentCopy.start, share_sync.ContentCopy.finish

    def init_recorded(self, *args, **kwargs):
        init(self, *args, **kwargs)
        started.append(self)
        events.append(("start", len(started) - 1))

    def start_recorded(self):
        events.append(("copy", started.index(self.sender)))
        return start(self)

    def finish_recorded(self):
        try:
            return finish(self)
        finally:
            events.append(("copied", started.index(self.sender)))

    def feed_recorded(self, *args, **kwargs):
        events.append(("feed", started.index(self)))
        return feed(self, *args, **kwargs)

    monkeypatch.setattr(share_sync.Sender, "__init__", init_recorded)
    monkeypatch.setattr(share_sync.Sender, "feed", feed_recorded)
    monkeypatch.setattr(share_sync.ContentCopy, "start", start_recorded)
    monkeypatch.setattr(share_sync.ContentCopy, "finish", finish_recorded)
    return started, events


def test_each_batch_s_sender_starts_while_the_batch_before_streams(tree, monkeypatch, senders):
    started, events = senders
    monkeypatch.setattr(share_sync, "BATCH_FILES", 4)
    src, dst, state = tree
    for i in range(9):
        write(src / "Pläne" / f"blatt{i}.pdf", b"%d" % i)
    result = sync(src, dst, state)
    copies = [number for kind, number in events if kind == "copy"]
    assert len(copies) >= 3 and copies == list(range(len(copies)))  # a sender each, none started twice
    assert len(started) == len(copies)  # none started in vain
    # The seed's first sender started before any copy and got its paths in it; each later one
    # started and got its paths (it reads ahead) while the batch before streamed.
    assert events[0] == ("start", 0)
    assert events.index(("copy", 0)) < events.index(("feed", 0)) < events.index(("copied", 0))
    for number in copies[1:]:
        assert events.index(("start", number)) < events.index(("feed", number)) < events.index(("copied", number - 1))
    assert all(not sender.feeder.is_alive() for sender in started)
    assert [(s.process.returncode, s.stream_out) for s in started] == [(0, -1)] * len(started)
    assert snapshot(dst).keys() == snapshot(src).keys()
    assert len(result.work_list.copy) == 16


def test_a_later_pass_with_nothing_to_copy_starts_no_sender(tree, senders):
    started, _events = senders
    src, dst, state = tree
    sync(src, dst, state)
    seed_senders = len(started)
    assert sync(src, dst, state).work_list.is_empty()
    assert len(started) == seed_senders
    (src / "neu.txt").write_bytes(b"neu")
    again = sync(src, dst, state)
    assert [n.path for n in again.work_list.copy] == [b"neu.txt"] and len(started) == seed_senders + 1


def test_a_seed_of_an_empty_share_ends_the_sender_it_started(tmp_path, senders):
    started, events = senders
    (tmp_path / "src" / "leer").mkdir(parents=True)
    result = sync(tmp_path / "src", tmp_path / "dst", str(tmp_path / "state" / "s.json"))
    assert result.work_list.copy == [] and events == [("start", 0)]
    [sender] = started
    assert sender.process.returncode is not None and sender.stream_out == -1 and sender.err.closed


def test_the_next_batch_s_sender_is_ended_when_the_limit_stops_the_pass(tmp_path, monkeypatch, senders):
    from ansible_collections.kommunal.umzug.plugins.module_utils.shares import rate

    started, events = senders
    monkeypatch.setattr(share_sync, "BATCH_FILES", 2)
    src, dst, state = tmp_path / "src", tmp_path / "dst", str(tmp_path / "state" / "share.json")
    _files(src)
    first = sync(src, dst, state, limiter=rate.Limiter(PAUSED_SOON, FakeClock("2026-12-04 10:00:00")))
    assert not first.complete
    copies = [number for kind, number in events if kind == "copy"]
    # The batch the stop cut had the next one's sender started and reading ahead; nothing read its stream.
    assert len(started) == len(copies) + 1 and len(copies) < 4
    unused = started[-1]
    assert ("feed", len(started) - 1) in events
    assert unused.process.returncode is not None and unused.stream_out == -1 and unused.err.closed
    assert not unused.feeder.is_alive() and unused.process.stdin.closed


# --- compression on the wire (share_wire) ----------------------------------------------------

def office_and_packed(src: Path) -> int:
    """Text that compresses well and a file that does not; returns the text's bytes."""
    text = b"".join(b"Bescheid %06d zum Antrag auf Baugenehmigung, Flurst\xc3\xbcck %d.\n" % (i, i % 97)
                    for i in range(40_000))
    write(src / "Texte" / "Bescheide.txt", text)
    write(src / "Scans" / "Antrag.jpg", os.urandom(300_000))
    return len(text)


class NoZstdSource(LocalSource):
    """A source whose server has no zstd: the agent runs with a PATH without it."""

    def __init__(self, root, bin_dir):
        super().__init__(root, UID_SIDS, GID_SIDS)
        self.bin_dir = bin_dir

    def tar_command(self, codecs=None):
        return ["env", f"PATH={self.bin_dir}", *super().tar_command(codecs)]

    def codec_command(self, codecs):
        return ["env", f"PATH={self.bin_dir}", *super().codec_command(codecs)]


@pytest.fixture
def no_zstd_bin(tmp_path):
    """A folder with tar and nothing else of the tools a pass runs."""
    bin_dir = tmp_path / "no-zstd-bin"
    bin_dir.mkdir()
    os.symlink(shutil.which("tar"), bin_dir / "tar")
    return bin_dir


@pytest.mark.parametrize("case", ["zstd", "source without zstd", "rz without zstd"])
def test_a_compressed_pass_copies_the_same_and_says_codec_raw_and_wire_bytes(tree, tmp_path, case, no_zstd_bin,
                                                                             monkeypatch):
    src, dst, state = tree
    text = office_and_packed(src)
    if case == "rz without zstd":
        monkeypatch.setenv("PATH", str(no_zstd_bin))
    source = (NoZstdSource(os.fsencode(src), no_zstd_bin) if case == "source without zstd"
              else LocalSource(os.fsencode(src), UID_SIDS, GID_SIDS))
    dry = run_pass(source, os.fsencode(dst), state, translate_sid, target_id, check=True, compress=True)
    result = run_pass(source, os.fsencode(dst), state, translate_sid, target_id, check=False, compress=True)
    plain = sync(src, tmp_path / "plain", str(tmp_path / "state" / "plain.json"))
    assert snapshot(dst) == snapshot(tmp_path / "plain")
    codec = "zstd" if case == "zstd" else "gzip"
    assert dry.stream.codec == codec and dry.stream.raw_bytes is None and dry.stream.wire_bytes is None
    stream = result.stream.to_dict()
    assert stream["codec"] == codec and stream["compress"] is True
    assert stream["offered"] == (["gzip"] if case == "rz without zstd" else ["zstd", "gzip"])
    # The raw stream is the one an uncompressed pass puts on the wire as it is; compressed,
    # the text shrinks to less than a third, the random bytes (350 kB) do not.
    assert plain.stream.codec == "none" and plain.stream.raw_bytes == plain.stream.wire_bytes
    assert stream["raw_bytes"] == plain.stream.raw_bytes > text
    assert 350_000 < stream["wire_bytes"] < stream["raw_bytes"] - text * 0.7


def test_a_source_without_zstd_and_an_rz_without_zstd_are_findings_that_say_which(tree, no_zstd_bin):
    from ansible_collections.kommunal.umzug.plugins.module_utils.shares.pass_findings import compress_findings

    where = {"kommune": "kommune-a", "host": "rz-fs"}
    stream = share_sync.Stream(True, ["zstd", "gzip"], "gzip", 10, 5).to_dict()
    [finding] = compress_findings("bauamt", stream, "kommune-a-fs", where)
    assert finding.key == "shares.compress_fallback" and finding.severity == "info" and not finding.inhibitor
    assert "kommune-a-fs has no zstd" in finding.summary and "gzip (zlib level 1)" in finding.summary
    [rz] = compress_findings("bauamt", share_sync.Stream(True, ["gzip"], "gzip").to_dict(), "kommune-a-fs", where)
    assert rz.summary.startswith("The RZ file server has no zstd")
    for quiet in (share_sync.Stream(True, ["zstd", "gzip"], "zstd"), share_sync.Stream(True, ["zstd", "gzip"]),
                  share_sync.Stream(False, [], "none")):
        assert compress_findings("bauamt", quiet.to_dict(), "kommune-a-fs", where) == []


def test_the_limiter_charges_the_compressed_bytes_on_the_wire(tree, tmp_path):
    """The relay sits before the decompressor: what the limiter lets through, and what the
    progress file compares with the limit, are the compressed bytes."""
    from ansible_collections.kommunal.umzug.plugins.module_utils.shares import rate

    src, dst, state = tree
    office_and_packed(src)
    limiter = rate.Limiter({"default": 8, "entries": []}, FakeClock())
    progress_path = tmp_path / "progress.json"
    result = sync(src, dst, state, limiter=limiter, compress=True, progress_path=str(progress_path))
    [stretch] = limiter.report()
    assert stretch["bytes"] == result.stream.wire_bytes < result.stream.raw_bytes * 0.6
    figures = json.loads(progress_path.read_text())
    assert figures["wire_bytes"] == result.stream.wire_bytes and figures["codec"] == "zstd"
    assert figures["bytes"] == result.work_list.bytes_to_copy


def test_a_sender_that_fails_before_its_codec_line_says_why(tree, tmp_path):
    src, dst, state = tree

    class Broken(LocalSource):
        def tar_command(self, codecs=None):
            return ["sh", "-c", "echo 'python3: command not found' >&2; exit 127"]

    source = Broken(os.fsencode(src), UID_SIDS, GID_SIDS)
    with pytest.raises(SyncError, match="python3: command not found"):
        run_pass(source, os.fsencode(dst), state, translate_sid, target_id, check=False, compress=True)


# --- a batch's receiving side starts while the batch before drains (ContentCopy) --------------

def _batched_copy(src, dst, limiter=None, compress=False, progress_path=None):
    """copy_batches over the files below ``src`` as a pass lists them: the queue's batches in
    order, what it returned, and its Progress."""
    from ansible_collections.kommunal.umzug.plugins.module_utils.shares import rate
    from ansible_collections.kommunal.umzug.plugins.module_utils.shares import wire as share_wire

    paths, records, _links = (list(column) for column in zip(*share_tree.walk_records(os.fsencode(src)), strict=True))
    copy = [i for i, record in enumerate(records) if record[0] == share_tree.FILE]
    total = sum(share_tree.WIRE_ENTRY.unpack_from(records[i])[1] for i in copy)
    stream = share_sync.Stream(compress, share_wire.offered() if compress else [])
    progress = share_sync.Progress(progress_path, len(copy), total, limiter=limiter or rate.Limiter(None),
                                   stream=stream)
    dst.mkdir(parents=True, exist_ok=True)
    done = __import__("queue").SimpleQueue()
    try:
        skipped = share_sync.copy_batches(LocalSource(os.fsencode(src)), os.fsencode(dst), paths, records, copy,
                                          progress, done)
    finally:
        batches = []
        while (batch := done.get()) is not None:
            batches.append([paths[i] for i in batch])
    return batches, skipped, progress


@pytest.fixture
def copies(monkeypatch):
    """Every ContentCopy a pass starts, in order, and the state of the copy before each when
    the next one's receiving side had started: "draining" (its tar still running) or "ended"."""
    started, before = [], []
    start = share_sync.ContentCopy.start

    def start_recorded(self):
        started.append(self)
        start(self)
        if len(started) > 1:
            before.append("draining" if started[-2].receiver.poll() is None else "ended")

    monkeypatch.setattr(share_sync.ContentCopy, "start", start_recorded)
    return started, before


@pytest.fixture
def slow_drain(monkeypatch, copies):
    """Relays that hold their reader's stream open after the sender's end until the next
    batch's copy has started, as where tar still writes: each batch's tar ends only after the
    next batch's receiving side is up. No clock decides: the relay of copy k, at its stream's
    end, waits until copy k+1's ContentCopy.start has returned (at most 10 s, then it lets go
    and the test sees "ended"). The last batch's relay, with no copy after it, is not held
    (``slow_drain.batches``, set by the test to the number of batches it expects)."""
    from ansible_collections.kommunal.umzug.plugins.module_utils.shares import rate

    started, _before = copies
    move, changed = rate._move, threading.Condition()
    start = share_sync.ContentCopy.start

    class Drain:
        batches = 0
        returned: typing.ClassVar[list] = []  # the copies whose start has returned

    def start_signalled(self):
        try:
            return start(self)
        finally:
            with changed:
                Drain.returned.append(self)
                changed.notify_all()

    def next_started() -> bool:
        mine = [k for k, copy in enumerate(started) if copy.relaying is threading.current_thread()]
        if not mine:
            return False
        following = mine[0] + 1
        return following >= Drain.batches or (following < len(started) and
                                              any(copy is started[following] for copy in Drain.returned))

    def held(source, target):
        moved = move(source, target)
        if not moved:
            with changed:
                changed.wait_for(next_started, timeout=10)
        return moved

    monkeypatch.setattr(share_sync.ContentCopy, "start", start_signalled)
    monkeypatch.setattr(rate, "_move", held)
    return Drain


@pytest.fixture
def gated_first_relay(monkeypatch):
    """The first batch's relay moves nothing until the test opens the gate, so its sender
    ends (all of the stream waits in the pipe) and the next batch starts while it drains."""
    from ansible_collections.kommunal.umzug.plugins.module_utils.shares import rate

    move, gate, first = rate._move, threading.Event(), []

    def gated(source, target):
        if not first:
            first.append(threading.current_thread())
        if first[0] is threading.current_thread():
            gate.wait(timeout=10)
        return move(source, target)

    monkeypatch.setattr(rate, "_move", gated)
    return gate


def _running_helpers():
    return [t.name for t in threading.enumerate() if t.name.startswith("umzug-") and t.is_alive()]


def test_the_next_batch_s_tar_starts_while_the_batch_before_drains(tmp_path, monkeypatch, copies, slow_drain):
    started, before = copies
    monkeypatch.setattr(share_sync, "BATCH_FILES", 3)
    slow_drain.batches = 3
    src, dst = tmp_path / "src", tmp_path / "dst"
    names = _files(src, count=8, size=64 << 10)
    batches, skipped, progress = _batched_copy(src, dst)
    # Batch k+1's relay, decompressor and tar started before batch k's tar had ended, every time.
    assert len(started) == 3 and before == ["draining", "draining"]
    # The batches went into the queue in order, each whole, after its tar had ended.
    assert batches == [names[0:3], names[3:6], names[6:8]] and skipped == {}
    for name in names:
        assert (dst / os.fsdecode(name)).read_bytes() == (src / os.fsdecode(name)).read_bytes()
    assert (progress.files, progress.bytes) == (8, 8 * (64 << 10))
    assert [(c.sender.process.returncode, c.receiver.returncode) for c in started] == [(0, 0)] * 3
    assert _running_helpers() == []


@pytest.mark.parametrize("compress", [False, True], ids=["plain", "compressed"])
def test_the_totals_of_overlapping_batches_are_those_of_one_batch(tmp_path, monkeypatch, copies, slow_drain,
                                                                  compress):
    """Progress, the raw stream and the bytes on the wire count each byte once with two
    copies in flight: the limiter (which charges what the relays move) agrees with the
    stream's wire bytes, and the content's figures are those of the same files in one batch."""
    from ansible_collections.kommunal.umzug.plugins.module_utils.shares import rate

    started, before = copies
    src = tmp_path / "src"
    office_and_packed(src)
    for number in range(5):
        write(src / "Akten" / f"akte-{number}.txt", b"Aktenvermerk %d\n" % number * 20_000)

    def batched(files):
        started.clear()
        before.clear()
        monkeypatch.setattr(share_sync, "BATCH_FILES", files)
        slow_drain.batches = -(-7 // files)
        limiter = rate.Limiter({"default": 10_000, "entries": []}, FakeClock())
        path = tmp_path / f"progress-{files}.json"
        batches, _skipped, progress = _batched_copy(src, tmp_path / f"dst-{files}", limiter, compress, str(path))
        return batches, progress, limiter, json.loads(path.read_text())

    one, single, single_limiter, single_figures = batched(100)
    many, multi, limiter, figures = batched(2)
    assert len(one) == 1 and len(many) == 4 and before == ["draining"] * 3
    files = {path: entry for path, entry in snapshot(tmp_path / "dst-2").items() if entry[0] == "file"}
    assert len(files) == 7 and files == {path: entry for path, entry in snapshot(tmp_path / "dst-100").items()
                                         if entry[0] == "file"}
    assert (multi.files, multi.bytes) == (single.files, single.bytes) == (7, multi.total_bytes)
    # Each batch's stream ends with tar's two zero blocks; the entries are the same.
    assert multi.stream.raw_bytes == single.stream.raw_bytes + 3 * 1024
    charged = sum(stretch.bytes for stretch in limiter.stretches)
    assert multi.stream.wire_bytes == charged == sum(c.wire.bytes for c in started)
    assert single.stream.wire_bytes == sum(stretch.bytes for stretch in single_limiter.stretches)
    if compress:
        assert multi.stream.codec == "zstd"
        # Four zstd frames instead of one: compressed as much, give or take what zstd chooses
        # for a shorter input (at level 3 the four frames came out smaller than the one).
        assert multi.stream.wire_bytes < 0.6 * multi.stream.raw_bytes
        assert abs(multi.stream.wire_bytes - single.stream.wire_bytes) < 0.15 * single.stream.wire_bytes
    else:
        assert multi.stream.wire_bytes == multi.stream.raw_bytes
    for mine, theirs in ((figures, multi), (single_figures, single)):
        assert (mine["files"], mine["bytes"], mine["wire_bytes"]) == (theirs.files, theirs.bytes,
                                                                     theirs.stream.wire_bytes)


def test_a_stop_while_the_next_batch_is_received_cuts_both_and_starts_no_more(tmp_path, monkeypatch, copies,
                                                                                gated_first_relay):
    from ansible_collections.kommunal.umzug.plugins.module_utils.shares import rate

    started, _before = copies
    monkeypatch.setattr(share_sync, "BATCH_FILES", 2)
    src, dst = tmp_path / "src", tmp_path / "dst"
    names = _files(src, count=8, size=100_000)
    clock = FakeClock("2026-12-04 10:00:00")
    start = share_sync.ContentCopy.start

    def stop_then_start(self):
        if started:  # the second batch: the limit becomes 0 now, and the first batch's relay moves on
            clock.advance(2)
            gated_first_relay.set()
        start(self)

    monkeypatch.setattr(share_sync.ContentCopy, "start", stop_then_start)
    fds = len(os.listdir("/proc/self/fd"))
    batches, _skipped, _progress = _batched_copy(src, dst, rate.Limiter(PAUSED_SOON, clock))
    # Both batches in flight were cut: what tar finished of each, in order; no third batch started.
    assert len(started) == 2 and len(batches) == 2
    assert set(batches[0]) <= set(names[0:2]) and set(batches[1]) <= set(names[2:4])
    on_target = sorted(os.fsencode(p.relative_to(dst)) for p in dst.rglob("*") if p.is_file())
    assert on_target == batches[0] + batches[1]  # nothing half-written under a real name
    for name in on_target:
        assert (dst / os.fsdecode(name)).read_bytes() == (src / os.fsdecode(name)).read_bytes()
    for copy in started:
        assert copy.sender.process.returncode is not None and copy.receiver.returncode is not None
        assert copy.sender.err.closed and copy.receiver_err.closed
    assert _running_helpers() == [] and len(os.listdir("/proc/self/fd")) == fds


def test_a_failed_batch_ends_the_next_one_s_copy_and_says_why_once(tmp_path, monkeypatch, copies, gated_first_relay):
    started, _before = copies
    monkeypatch.setattr(share_sync, "BATCH_FILES", 2)
    src, dst = tmp_path / "src", tmp_path / "dst"
    names = _files(src, count=8, size=100_000)
    start = share_sync.ContentCopy.start

    def fail_first_then_start(self):
        if started:  # the second batch: the first batch's tar dies while its stream waits
            started[0].receiver.kill()
            started[0].receiver.wait()
            gated_first_relay.set()
        start(self)

    monkeypatch.setattr(share_sync.ContentCopy, "start", fail_first_then_start)
    fds = len(os.listdir("/proc/self/fd"))
    with pytest.raises(SyncError, match=r"^copying 2 paths failed: tar failed$"):
        _batched_copy(src, dst)
    assert len(started) == 2
    for copy in started:  # every process of both copies ended and waited for
        assert copy.sender.process.returncode is not None and copy.receiver.returncode is not None
        assert copy.sender.err.closed and copy.receiver_err.closed and copy.sender.stream_out == -1
    assert _running_helpers() == [] and len(os.listdir("/proc/self/fd")) == fds
    for path in dst.rglob("*"):  # what the second batch's tar half wrote is gone
        if path.is_file() and os.fsencode(path.relative_to(dst)) in names[2:4]:
            assert path.read_bytes() == (src / path.relative_to(dst)).read_bytes()
def test_passes_of_several_shares_run_at_once_through_one_master(tree, fake_ssh, tmp_path):
    """share_sync's shares of one file server: one master for all of them, opened once; a pass's
    own shared() inside opens none; each source gets its options back at the end."""
    src, dst, state = tree
    other = tmp_path / "other"
    write(other / "Kasse" / "Beleg.txt", b"Beleg\n" * 10)
    sources = [SshSource("kommune-a-fs", os.fsencode(src), key="/keys/transfer"),
               SshSource("kommune-a-fs", os.fsencode(other), key="/keys/transfer")]
    targets = [(dst, state), (tmp_path / "other-dst", str(tmp_path / "other.state.json"))]
    (tmp_path / "other-dst").mkdir()
    with sources[0].shared(sources[1]), ThreadPoolExecutor(max_workers=2) as pool:
        results = list(pool.map(lambda source, target: run_pass(source, os.fsencode(target[0]), target[1],
                                                               translate_sid, target_id, check=False),
                                sources, targets))
    assert [len(result.work_list.copy) for result in results] == [7, 1]
    [master, *sessions] = fake_ssh()
    assert " -M " in f" {master} " and not any(" -M " in f" {line} " for line in sessions)
    control = master.split("ControlPath=")[1].split()[0]
    # each pass's listing and sender, all channels of the one master
    assert len(sessions) == 4 and all(f"ControlPath={control} -o ControlMaster=no" in line for line in sessions)
    assert [source.options for source in sources] == [[], []]
    assert (tmp_path / "other-dst" / "Kasse" / "Beleg.txt").read_bytes() == b"Beleg\n" * 10


def test_one_master_serves_only_sources_of_one_destination():
    with pytest.raises(ValueError, match="one destination"), \
            SshSource("kommune-a-fs", b"/a").shared(SshSource("kommune-b-fs", b"/b")):
        pass

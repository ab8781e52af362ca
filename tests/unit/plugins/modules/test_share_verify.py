"""share_verify on real local tree pairs (the source's agent replaced by the same scan run
here): what differs is recorded beside the pass state for the next pass, under the pass's
lock, and the advice of its findings is what that pass then does. Several shares in one
run share one SSH master, are compared in parallel and come back in order; one that cannot
be compared is its own result."""

import contextlib
import os
import threading

import pytest

from ansible_collections.kommunal.umzug.plugins.module_utils.shares import identity as share_identity
from ansible_collections.kommunal.umzug.plugins.module_utils.shares import manifest as share_manifest
from ansible_collections.kommunal.umzug.plugins.module_utils.shares import tree as share_tree
from ansible_collections.kommunal.umzug.plugins.module_utils.shares.sync import LocalSource, run_pass, state_lock
from ansible_collections.kommunal.umzug.plugins.modules import share_verify

pytestmark = pytest.mark.skipif(os.geteuid() != 0, reason="owners of other ids need root")

OLD, NEW = "S-1-5-21-1-2-3", "S-1-5-21-7-8-9"
UID_SIDS, GID_SIDS = {101113: f"{OLD}-1113"}, {100513: f"{OLD}-513"}
SIDS = {f"{OLD}-1113": f"{NEW}-4001", f"{OLD}-513": f"{NEW}-513"}
TARGET = {(f"{NEW}-4001", "uid"): 300001, (f"{NEW}-513", "gid"): 300513}
CHANGED = "Pläne/Bebauungsplan.txt"


def target_id(sid, kind):
    return TARGET.get((sid, kind))


def sync(src, dst, state, **kw):
    return run_pass(LocalSource(os.fsencode(src), UID_SIDS, GID_SIDS), os.fsencode(dst), state, SIDS.get,
                    target_id, check=False, **kw)


@pytest.fixture
def share(tmp_path, monkeypatch):
    src, dst, state = tmp_path / "src", tmp_path / "dst", str(tmp_path / "rz" / "bauamt.state.json")
    (src / "Pläne").mkdir(parents=True)
    for name, data in ((CHANGED, b"Entwurf 1\n"), ("Antrag.txt", b"Antrag\n")):
        (src / name).write_bytes(data)
        os.chown(src / name, 101113, 100513)
    sync(src, dst, state)

    def remote_side(_ssh, _host, root):
        side = share_manifest.local_side(root)
        side.uid_sids, side.gid_sids = UID_SIDS, GID_SIDS
        return side

    class Winbind:
        target_id = staticmethod(target_id)

    monkeypatch.setattr(share_manifest, "remote_side", remote_side)
    monkeypatch.setattr(share_identity, "module_translator", lambda _module: SIDS.get)
    monkeypatch.setattr(share_verify, "Winbind", Winbind)
    monkeypatch.setattr(share_verify.SshSource, "shared", counted_master)
    MASTERS.clear()
    args = {"shares": [{"share": "bauamt", "source_root": str(src), "target_root": str(dst), "state_path": state}],
            "source_host": "kommune-a-fs", "kommune": "kommune-a"}
    return src, dst, state, args


MASTERS = []


@contextlib.contextmanager
def counted_master(self):
    MASTERS.append(self.host)
    yield


def only(result):
    """The result of the one share of a run with one share."""
    (share,) = result["shares"]
    assert result["umzug_findings"] == share["umzug_findings"]
    return share


def change_keeping_size_and_mtime(path, data):
    before = path.stat()
    path.write_bytes(data)
    os.utime(path, ns=(before.st_atime_ns, before.st_mtime_ns))


def test_a_difference_is_recorded_for_the_next_pass_which_copies_it(run_module, share):
    src, dst, state, args = share
    change_keeping_size_and_mtime(src / CHANGED, b"Entwurf 2\n")
    assert not sync(src, dst, state).work_list.copy  # the quick check cannot see it

    dry = only(run_module(share_verify.main, args, check=True))
    assert dry["differ"] == {CHANGED: ["sha256"]} and dry["flagged"] is None
    assert not os.path.exists(share_tree.flagged_path(state))
    assert "Verify without check mode" in dry["umzug_findings"][0]["remediation"]["text"]

    result = only(run_module(share_verify.main, args))
    assert not result["identical"] and result["flagged"] == share_tree.flagged_path(state)
    assert share_tree.load_flagged(state) == {CHANGED.encode()}
    (finding,) = result["umzug_findings"]
    assert finding["key"] == "shares.verify_mismatch"
    assert f"recorded in {state}.flagged and the pass copies them again" in finding["remediation"]["text"]

    # What the advice says holds: the next pass copies it, and verify then passes.
    assert sync(src, dst, state).recopied == [CHANGED.encode()]
    again = only(run_module(share_verify.main, args))
    assert again["identical"] and again["flagged"] is None and again["umzug_findings"] == []
    assert not os.path.exists(share_tree.flagged_path(state))


def test_verify_does_not_run_beside_a_pass_of_the_share(run_module, share):
    _src, _dst, state, args = share
    with state_lock(state, "final pass of share bauamt"):
        failed = only(run_module(share_verify.main, args))
        assert f"the share state {state} is in use by the final pass of share bauamt of PID {os.getpid()}" \
            in failed["error"]
        assert not failed["identical"] and failed["flagged"] is None
        # Check mode records nothing, so it needs no lock.
        assert only(run_module(share_verify.main, args, check=True))["identical"]


# --- several shares in one run ----------------------------------------------------------------

def another_share(tmp_path, name, files):
    src, dst, state = tmp_path / f"src-{name}", tmp_path / f"dst-{name}", str(tmp_path / "rz" / f"{name}.state.json")
    src.mkdir()
    for file, data in files.items():
        (src / file).write_bytes(data)
    sync(src, dst, state)
    return {"share": name, "source_root": str(src), "target_root": str(dst), "state_path": state}


def test_several_shares_one_master_in_order_one_failing_hides_no_other(run_module, share, tmp_path, monkeypatch):
    src, _dst, state, args = share
    kaemmerei = another_share(tmp_path, "kaemmerei", {"Haushalt.txt": b"2024\n"})
    gone = {"share": "archiv", "source_root": str(tmp_path / "src-archiv"), "target_root": str(tmp_path / "none")}
    change_keeping_size_and_mtime(src / CHANGED, b"Entwurf 2\n")
    # The shares are compared side by side: each waits until the others have started.
    started = threading.Barrier(2, timeout=10)
    remote = share_manifest.remote_side

    def together(ssh, host, root):
        started.wait()
        return remote(ssh, host, root)

    monkeypatch.setattr(share_manifest, "remote_side", together)
    result = run_module(share_verify.main, {**args, "shares": [gone, *args["shares"], kaemmerei], "parallel": 2})
    assert MASTERS == ["kommune-a-fs"]
    archiv, bauamt, haushalt = result["shares"]
    assert [r["share"] for r in result["shares"]] == ["archiv", "bauamt", "kaemmerei"]
    assert archiv["error"] == f"{tmp_path / 'none'} does not exist on this host; provision and sync it first"
    assert not archiv["identical"] and archiv["umzug_findings"] == []
    assert bauamt["error"] is None and bauamt["differ"] == {CHANGED: ["sha256"]}
    assert bauamt["flagged"] == share_tree.flagged_path(state)
    assert haushalt["error"] is None and haushalt["identical"] and haushalt["source"]["files"] == 1
    assert [f["key"] for f in result["umzug_findings"]] == ["shares.verify_mismatch"]
    assert result["umzug_findings"][0]["resources"][0] == "bauamt"


def test_several_shares_in_check_mode_record_and_write_nothing(run_module, share, tmp_path):
    src, _dst, state, args = share
    kaemmerei = another_share(tmp_path, "kaemmerei", {"Haushalt.txt": b"2024\n"})
    (src / "neu.txt").write_bytes(b"neu\n")
    manifests = tmp_path / "manifests"
    result = run_module(share_verify.main, {**args, "shares": [*args["shares"], kaemmerei],
                                             "manifest_dir": str(manifests)}, check=True)
    bauamt, haushalt = result["shares"]
    assert bauamt["missing"] == ["neu.txt"] and bauamt["flagged"] is None and haushalt["identical"]
    assert not os.path.exists(share_tree.flagged_path(state)) and not manifests.exists()
    written = run_module(share_verify.main, {**args, "shares": [*args["shares"], kaemmerei],
                                              "manifest_dir": str(manifests)})
    assert written["shares"][0]["flagged"] == share_tree.flagged_path(state)
    assert sorted(p.name for p in manifests.iterdir()) == ["bauamt.source.json", "bauamt.target.json",
                                                           "kaemmerei.source.json", "kaemmerei.target.json"]


@pytest.mark.parametrize("args, message", [
    ({"parallel": 0}, "parallel must be 1 or more, got 0"),
    ({"shares": [{"share": "a", "source_root": "/a", "target_root": "/x"},
                 {"share": "a", "source_root": "/b", "target_root": "/y"}]}, "a share is named twice in shares: a"),
])
def test_arguments_it_refuses(run_module, args, message):
    base = {"shares": [{"share": "a", "source_root": "/a", "target_root": "/x"}], "source_host": "fs"}
    assert run_module(share_verify.main, {**base, **args}, fails=True)["msg"] == message

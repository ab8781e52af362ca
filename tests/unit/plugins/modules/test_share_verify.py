"""share_verify on a real local tree pair (the source's agent replaced by the same scan run
here): what differs is recorded beside the pass state for the next pass, under the pass's
lock, and the advice of its findings is what that pass then does."""

import os

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
    args = {"share": "bauamt", "source_host": "kommune-a-fs", "source_root": str(src), "target_root": str(dst),
            "kommune": "kommune-a", "state_path": state}
    return src, dst, state, args


def change_keeping_size_and_mtime(path, data):
    before = path.stat()
    path.write_bytes(data)
    os.utime(path, ns=(before.st_atime_ns, before.st_mtime_ns))


def test_a_difference_is_recorded_for_the_next_pass_which_copies_it(run_module, share):
    src, dst, state, args = share
    change_keeping_size_and_mtime(src / CHANGED, b"Entwurf 2\n")
    assert not sync(src, dst, state).work_list.copy  # the quick check cannot see it

    dry = run_module(share_verify.main, args, check=True)
    assert dry["differ"] == {CHANGED: ["sha256"]} and dry["flagged"] is None
    assert not os.path.exists(share_tree.flagged_path(state))
    assert "Verify without check mode" in dry["umzug_findings"][0]["remediation"]["text"]

    result = run_module(share_verify.main, args)
    assert not result["identical"] and result["flagged"] == share_tree.flagged_path(state)
    assert share_tree.load_flagged(state) == {CHANGED.encode()}
    (finding,) = result["umzug_findings"]
    assert finding["key"] == "shares.verify_mismatch"
    assert f"recorded in {state}.flagged and the pass copies them again" in finding["remediation"]["text"]

    # What the advice says holds: the next pass copies it, and verify then passes.
    assert sync(src, dst, state).recopied == [CHANGED.encode()]
    again = run_module(share_verify.main, args)
    assert again["identical"] and again["flagged"] is None and again["umzug_findings"] == []
    assert not os.path.exists(share_tree.flagged_path(state))


def test_verify_does_not_run_beside_a_pass_of_the_share(run_module, share):
    _src, _dst, state, args = share
    with state_lock(state, "final pass of share bauamt"):
        failed = run_module(share_verify.main, args, fails=True)
        assert f"the share state {state} is in use by the final pass of share bauamt of PID {os.getpid()}" \
            in failed["msg"]
        # Check mode records nothing, so it needs no lock.
        assert run_module(share_verify.main, args, check=True)["identical"]

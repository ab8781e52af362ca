"""share_sync (the module): what the pass found becomes findings of the one model."""

import contextlib
import threading
import time
from typing import ClassVar

import pytest

from ansible_collections.kommunal.umzug.plugins.module_utils.shares import preflight as share_preflight
from ansible_collections.kommunal.umzug.plugins.module_utils.shares.sync import PassResult, SyncError, Translator
from ansible_collections.kommunal.umzug.plugins.module_utils.shares.tree import Node, WorkList
from ansible_collections.kommunal.umzug.plugins.modules import share_sync

WHERE = {"kommune": "kommune-a", "host": "rz-fs"}


def test_paths_that_changed_during_the_copy_are_one_finding_with_the_paths():
    changed = {b"a/f": "folder a: a symlink now", b"M\xfcller.txt": "gone"}
    (finding,) = share_sync.changed_during_copy_findings("bauamt", changed, WHERE)
    assert finding.key == "shares.path_changed_during_copy" and finding.kommune == "kommune-a"
    assert finding.resources == ("bauamt", "M\\xfcller.txt", "a/f")
    assert "2 path(s)" in finding.summary and "a/f (folder a: a symlink now)" in finding.summary
    assert share_sync.changed_during_copy_findings("bauamt", {}, WHERE) == []


def test_paths_the_pass_left_out_as_too_long_are_the_finding_pre_flight_raises():
    deep = b"/".join([b"d" * 200] * 21) + b"/Antrag.txt"
    [finding] = share_sync.too_long_findings("bauamt", [deep], WHERE)
    report = share_preflight.ShareReport("bauamt")
    report.problem("shares.path_beyond_path_max", deep.decode(), "from pre-flight")
    [from_preflight] = share_preflight.findings(report, **WHERE)
    assert finding.key == "shares.path_beyond_path_max" and finding.severity == "high"
    assert (finding.title, finding.remediation) == (from_preflight.title, from_preflight.remediation)
    assert finding.resources == ("bauamt", deep.decode())
    assert f"{len(deep)} bytes below the share root" in finding.summary
    assert share_sync.too_long_findings("bauamt", [], WHERE) == []


NOT_DELETED = [
    ([], 10, None),
    ([b"alt.txt"], 10, ("1 path(s)", ("bauamt", "alt.txt"))),
    ([b"b/zwei.txt", b"a/eins.txt", b"M\xfcller.txt"], 2,
     ("3 path(s)", ("bauamt", "M\\xfcller.txt", "a/eins.txt", "b/zwei.txt"))),
]


@pytest.mark.parametrize(("paths", "show", "expected"), NOT_DELETED, ids=["none", "one", "three, two shown"])
def test_paths_a_pass_did_not_delete_are_one_finding_that_names_the_safe_mode(paths, show, expected):
    found = share_sync.not_deleted_findings("bauamt", paths, WHERE, show)
    if expected is None:
        assert found == []
        return
    (finding,) = found
    count, resources = expected
    assert finding.key == "shares.deletion_held" and finding.severity == "medium" and not finding.inhibitor
    assert finding.resources == resources and finding.kommune == "kommune-a"
    assert count in finding.summary
    assert finding.summary.endswith(": " + ", ".join(resources[1:1 + show]) + ".")
    assert "shares_safe_mode: false" in finding.remediation.text


class FakeSource:
    """Stands for SshSource: counts the masters opened and for which shares."""

    masters: ClassVar[list] = []

    def __init__(self, host, root, user="root", key=None, ssh_options=()):
        self.host, self.root = host, root

    def shared(self, *others):
        FakeSource.masters.append([self.root, *(other.root for other in others)])
        return contextlib.nullcontext()


@pytest.fixture
def passes(monkeypatch, tmp_path):
    """share_sync with a fake source and run_pass: what the passes were asked, how many ran at
    once; a share named ``kaputt`` fails as an unreachable source path does."""
    FakeSource.masters = []
    seen = {"running": 0, "most": 0, "calls": []}
    lock = threading.Lock()

    def run_pass(source, target_root, state_path, translate_sid, target_id, *, check, limiter, what, **_):
        with lock:
            seen["running"] += 1
            seen["most"] = max(seen["most"], seen["running"])
            seen["calls"].append({"root": source.root, "check": check, "what": what})
        try:
            time.sleep(0.05)
            if source.root.endswith(b"kaputt"):
                raise SyncError("listing /srv/shares/kaputt on fs failed: No such file or directory")
            limiter.take(1024)
            work = WorkList(copy=[Node(b"Antrag.txt", "file", 0o660, 0, 0, 1024, 0)], unchanged=3)
            return PassResult(work, Translator(translate_sid, {}, {}, target_id), 0.05, progress={"files": 1})
        finally:
            with lock:
                seen["running"] -= 1

    monkeypatch.setattr(share_sync, "SshSource", FakeSource)
    monkeypatch.setattr(share_sync, "run_pass", run_pass)
    return seen


def several(names, **extra):
    return {"shares": [{"share": name, "source_root": f"/srv/shares/{name}", "target_root": f"/srv/rz/{name}",
                        "state_path": f"/var/lib/umzug/{name}.state.json",
                        "progress_path": f"/var/lib/umzug/{name}.progress.json"} for name in names],
            "source_host": "10.89.42.12", "sync_pass": "final", "kommune": "kommune-a", **extra}


def test_several_shares_run_in_one_module_run_over_one_master_in_order(run_module, passes):
    names = [f"amt{number}" for number in range(6)]
    result = run_module(share_sync.main, several(names))
    assert [item["share"] for item in result["shares"]] == names
    assert all(item["counts"]["copy"] == 1 and item["complete"] and not item["failed"] for item in result["shares"])
    assert FakeSource.masters == [[f"/srv/shares/{name}".encode() for name in names]]
    assert result["changed"] and result["complete"]
    assert result["umzug_changes"]["counts"] == {"copy": 6}
    assert "counts" not in result  # the fields of one share only in the single-share form


@pytest.mark.parametrize(("parallel", "most"), [(1, 1), (2, 2), (4, 4), (8, 6)])
def test_no_more_passes_run_at_once_than_parallel_allows(run_module, passes, parallel, most):
    run_module(share_sync.main, several([f"amt{number}" for number in range(6)], parallel=parallel))
    assert passes["most"] == most


def test_a_failing_share_does_not_stop_or_hide_the_others(run_module, passes):
    result = run_module(share_sync.main, several(["bauamt", "kaputt", "kasse"]), fails=True)
    assert len(passes["calls"]) == 3
    bauamt, kaputt, kasse = result["shares"]
    assert kaputt["failed"] and "share kaputt, final pass: listing /srv/shares/kaputt" in kaputt["msg"]
    assert not bauamt["failed"] and not kasse["failed"] and kasse["counts"]["copy"] == 1
    assert result["msg"].startswith("1 of 3 shares failed: share kaputt, final pass:")
    assert not result["complete"]


def test_check_mode_reaches_every_pass(run_module, passes):
    result = run_module(share_sync.main, several(["bauamt", "kasse"]), check=True)
    assert [call["check"] for call in passes["calls"]] == [True, True]
    assert result["changed"]


def test_the_single_share_form_is_the_one_element_case(run_module, passes):
    args = {**several(["bauamt"])["shares"][0], "source_host": "10.89.42.12", "sync_pass": "delta"}
    result = run_module(share_sync.main, args)
    [item] = result["shares"]
    assert result["share"] == "bauamt" and result["counts"] == item["counts"] and result["bytes"] == 1024
    assert passes["calls"][0]["what"] == "delta pass of share bauamt"
    failed = run_module(share_sync.main, {**args, "share": "kaputt", "source_root": "/srv/shares/kaputt"}, fails=True)
    assert failed["msg"] == ("share kaputt, delta pass: listing /srv/shares/kaputt on fs failed: "
                             "No such file or directory")


def test_the_passes_share_the_links_limit_and_each_reports_its_own_bytes(run_module, passes):
    result = run_module(share_sync.main, several(["bauamt", "kasse"], bandwidth_schedule={"default": 800}))
    [link] = result["transfer"]
    assert link["bytes"] == 2048 and link["limit_bytes_per_s"] == 100_000_000
    assert [item["transfer"][0]["bytes"] for item in result["shares"]] == [1024, 1024]


@pytest.mark.parametrize(("args", "message"), [
    (several([]), "shares is empty"),
    (several(["bauamt"], parallel=0), "parallel must be 1 or more"),
    ({**several(["bauamt"]), "shares": several(["bauamt"])["shares"] * 2}, "each share needs its own share"),
    ({**several(["bauamt"]), "share": "kasse"}, "mutually exclusive"),
    ({"source_host": "fs", "share": "bauamt", "source_root": "/srv"}, "parameters are required together"),
], ids=["none", "parallel 0", "twice", "both forms", "one share incomplete"])
def test_what_the_options_cannot_mean_fails_with_one_sentence(run_module, passes, args, message):
    assert message in run_module(share_sync.main, args, fails=True)["msg"]
    assert passes["calls"] == []

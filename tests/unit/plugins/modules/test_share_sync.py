"""share_sync (the module): what the pass found becomes findings of the one model."""

import pytest

from ansible_collections.kommunal.umzug.plugins.module_utils.shares import preflight as share_preflight
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

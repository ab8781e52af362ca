"""share_sync (the module): what the pass found becomes findings of the one model."""

from ansible_collections.kommunal.umzug.plugins.modules import share_sync

WHERE = {"kommune": "kommune-a", "host": "rz-fs"}


def test_paths_that_changed_during_the_copy_are_one_finding_with_the_paths():
    changed = {b"a/f": "folder a: a symlink now", b"M\xfcller.txt": "gone"}
    (finding,) = share_sync.changed_during_copy_findings("bauamt", changed, WHERE)
    assert finding.key == "shares.path_changed_during_copy" and finding.kommune == "kommune-a"
    assert finding.resources == ("bauamt", "M\\xfcller.txt", "a/f")
    assert "2 path(s)" in finding.summary and "a/f (folder a: a symlink now)" in finding.summary
    assert share_sync.changed_during_copy_findings("bauamt", {}, WHERE) == []

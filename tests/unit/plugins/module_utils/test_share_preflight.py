"""Pre-flight of a share on a real tree: every awkward case becomes a finding with a
stable key, counts and principals are exact, open files and free space are judged."""

import os

import pytest

from ansible_collections.kommunal.umzug.plugins.module_utils import share_preflight, share_tree
from ansible_collections.kommunal.umzug.plugins.module_utils.share_identity import sid_translator

UNC = "\\\\rz-fs\\altdorf-bauamt"


def sid_of_uid(uid):
    return f"S-1-22-1-{uid}"


def sid_of_gid(gid):
    return f"S-1-22-2-{gid}"


@pytest.fixture
def share(tmp_path):
    root = tmp_path / "bauamt"
    (root / "Altlasten" / "Leer").mkdir(parents=True)
    for name in ("Angebot: Entwurf?.txt", "Protokoll.", "CON.txt", "Bericht.txt", "BERICHT.txt", "Lageplan.txt"):
        (root / "Altlasten" / name).write_text("x")
    os.link(root / "Altlasten" / "Lageplan.txt", root / "Altlasten" / "Lageplan-Kopie.txt")
    os.symlink("Lageplan.txt", root / "Altlasten" / "innen")
    os.symlink("/etc/hostname", root / "Altlasten" / "aussen")
    os.symlink("../../anderswo", root / "Altlasten" / "hinaus")
    with open(root / "Altlasten" / "sparse.img", "wb") as handle:
        handle.truncate(8 * 1024 * 1024)
    os.mkfifo(root / "Altlasten" / "fifo")
    (root / os.fsdecode(b"Altlasten/M\xfcller.txt")).write_bytes(b"latin-1")
    long_dir = root / ("L" * 120) / ("M" * 120)
    long_dir.mkdir(parents=True)
    (long_dir / "datei.txt").write_text("lang")
    return root


def inspect(root):
    return share_preflight.inspect("bauamt", share_tree.scan(os.fsencode(root)), UNC, 260, sid_of_uid, sid_of_gid)


def test_every_awkward_case_is_a_finding(share):
    report = inspect(share)
    found = {f.key: f for f in share_preflight.findings(report, "kommune-a", "fs")}
    assert set(found) == {
        "shares.name_invalid_character", "shares.name_trailing_dot_or_space", "shares.name_reserved",
        "shares.name_invalid_utf8", "shares.name_case_collision", "shares.path_too_long", "shares.hard_link",
        "shares.symlink", "shares.symlink_outside", "shares.sparse_file", "shares.special_file"}
    assert "Altlasten/M\\xfcller.txt" in found["shares.name_invalid_utf8"].resources
    assert set(found["shares.symlink_outside"].resources) == {"bauamt", "Altlasten/aussen", "Altlasten/hinaus"}
    assert found["shares.symlink"].resources == ("bauamt", "Altlasten/innen")
    assert found["shares.name_case_collision"].resources[1] in ("Altlasten/BERICHT.txt", "Altlasten/Bericht.txt")
    assert all(f.payload == "shares" and f.kommune == "kommune-a" for f in found.values())


def test_counts_sizes_and_principals(share):
    report = inspect(share)
    summary = report.summary({sid_of_uid(os.getuid()): "me"})
    assert (summary["files"], summary["symlinks"], summary["others"]) == (10, 3, 1)
    assert summary["dirs"] == 4  # Altlasten, Leer, L..., M... (the root itself is not counted)
    assert summary["bytes"] == 6 + 1 + 8 * 1024 * 1024 + 7 + 4
    assert {p["sid"] for p in summary["principals"]} == {sid_of_uid(os.getuid()), sid_of_gid(os.getgid())}
    assert [p["name"] for p in summary["principals"] if p["sid"] == sid_of_uid(os.getuid())] == ["me"]


def test_a_clean_share_has_no_findings(tmp_path):
    (tmp_path / "ok" / "Ordner").mkdir(parents=True)
    (tmp_path / "ok" / "Ordner" / "Datei.txt").write_text("x")
    assert share_preflight.findings(inspect(tmp_path / "ok"), None, None) == []


def test_unmapped_sids_are_one_finding_per_share():
    translate = sid_translator(None)
    principals = {"S-1-5-21-1-2-3-1105": 4, "S-1-1-0": 2, "S-1-22-1-0": 1}
    (finding,) = share_preflight.unmapped_sid_findings("bauamt", principals, translate,
                                                       {"S-1-5-21-1-2-3-1105": "KOMMUNEA\\x"}, "k", "h")
    assert finding.key == "shares.sid_unmapped"
    assert finding.resources == ("bauamt", "S-1-5-21-1-2-3-1105")
    assert "KOMMUNEA\\x" in finding.summary


def test_open_files_are_attributed_to_their_share():
    files = [{"path": "/srv/shares/bauamt/Pläne/a.txt", "user": "hmueller", "mode": "RDWR"},
             {"path": "/srv/shares/bauamt2/b.txt", "user": "x", "mode": "RDONLY"}]
    found = share_preflight.open_file_findings(files, {"bauamt": "/srv/shares/bauamt"}, None, None)
    assert [(f.key, f.resources) for f in found] == [("shares.file_open", ("bauamt", "Pläne/a.txt (hmueller, RDWR)"))]


@pytest.mark.parametrize(("needed", "free", "short"), [(100, 111, False), (100, 109, True), (100, None, False)])
def test_free_space_with_margin(needed, free, short):
    found = share_preflight.space_finding(needed, free, 10, "rz-fs", None, None)
    assert bool(found) is short
    if short:
        assert found[0].inhibitor and found[0].key == "shares.target_space_short"

"""Pre-flight of a share on a real tree: every awkward case becomes a finding with a
stable key, counts and principals are exact, open files and free space are judged."""

import os
import struct

import pytest

from ansible_collections.kommunal.umzug.plugins.module_utils.shares import preflight as share_preflight
from ansible_collections.kommunal.umzug.plugins.module_utils.shares import tree as share_tree
from ansible_collections.kommunal.umzug.plugins.module_utils.shares.identity import sid_judge

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
    principals = {"S-1-5-21-1-2-3-1105": 4, "S-1-1-0": 2, "S-1-22-1-0": 1}
    (finding,) = share_preflight.unmapped_sid_findings("bauamt", principals, sid_judge(None),
                                                       {"S-1-5-21-1-2-3-1105": "KOMMUNEA\\x"}, "k", "h")
    assert finding.key == "shares.sid_unmapped"
    assert finding.resources == ("bauamt", "S-1-5-21-1-2-3-1105")
    assert "KOMMUNEA\\x" in finding.summary


def test_with_the_dry_runs_mapping_only_the_foreign_sid_stays_unmapped():
    """Before the seed the mapping has no new SIDs: the Kommune's own accounts and groups, its
    well-known groups and its Unix ids still count as mapped; the ACE of an unknown domain does not."""
    old, foreign = "S-1-5-21-1-2-3", "S-1-5-21-9-9-9-1601"
    planned = {"schema_version": 1, "kommune": "k", "source_domain_sid": old, "target_domain_sid": "S-1-5-21-7-8-9",
               "users": [{"old_name": "hmueller", "old_sid": f"{old}-1105", "old_uid": 10001, "new_name": "ald-hm",
                          "new_sid": None, "new_uid": 300001, "source": "generated", "status": "active"}],
               "groups": [{"old_name": "bauamt", "old_sid": f"{old}-1107", "new_name": "ald-bauamt",
                           "new_sid": None, "source": "generated", "status": "active"}]}
    principals = {f"{old}-1105": 3, f"{old}-1107": 7, f"{old}-513": 2, "S-1-22-1-10001": 1, foreign: 1,
                  "S-1-1-0": 1}
    (finding,) = share_preflight.unmapped_sid_findings("bauamt", principals, sid_judge(planned), {}, "k", "h")
    assert finding.resources == ("bauamt", foreign)
    assert finding.summary.startswith("1 SID(s)")


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


def test_a_path_longer_than_path_max_is_a_finding_with_its_length_and_the_rest_is_listed(tmp_path, deep_file):
    root = tmp_path / "bauamt"
    (root / "Ordner").mkdir(parents=True)
    (root / "Ordner" / "Datei.txt").write_text("x")
    deep = deep_file(os.fsencode(root), 17)
    assert len(deep) > 4096
    report = share_preflight.inspect("bauamt", share_tree.scan(os.fsencode(root), wanted=share_tree.every_xattr),
                                     UNC, 32767, sid_of_uid, sid_of_gid)
    found = {f.key: f for f in share_preflight.findings(report, "kommune-a", "fs")}
    assert set(found) == {"shares.path_beyond_path_max"}
    finding = found["shares.path_beyond_path_max"]
    # The file and its folders from the one that crosses 4095 bytes on.
    too_long = report.problems["shares.path_beyond_path_max"]
    assert (deep.decode(), f"the path has {len(deep)} bytes below the share root, more than the 4095 Linux "
                           "takes (PATH_MAX): it is not copied") in too_long
    assert {len(p.encode()) > 4095 for p, _ in too_long} == {True}
    assert finding.severity == "high" and deep.decode() in finding.resources
    assert (report.files, report.dirs) == (2, 18)


@pytest.mark.skipif(os.geteuid() != 0, reason="security.* and trusted.* xattrs need root")
def test_xattrs_a_sync_does_not_carry_are_reported_with_their_names(tmp_path):
    root = tmp_path / "bauamt"
    root.mkdir()
    for name in ("tool", "doc.txt", "plain.txt"):
        (root / name).write_text("x")
    # A file capability (CAP_NET_RAW, effective) and data in root's own namespace.
    os.setxattr(root / "tool", "security.capability", struct.pack("<IIIII", 0x02000001, 1 << 13, 0, 0, 0))
    os.setxattr(root / "doc.txt", "trusted.glusterfs.x", b"1")
    os.setxattr(root / "doc.txt", "user.DOSATTRIB", b"\x00")
    report = share_preflight.inspect("bauamt", share_tree.scan(os.fsencode(root), wanted=share_tree.every_xattr),
                                     UNC, 260, sid_of_uid, sid_of_gid)
    assert report.problems == {"shares.xattr_not_carried": [
        ("tool", "security.capability will not arrive on the target")]}
    (finding,) = share_preflight.findings(report, None, None)
    assert finding.key == "shares.xattr_not_carried" and finding.resources == ("bauamt", "tool")

"""smb_preflight: the Samba path's report and findings from SMB entries; the SD goes
through the one parser (ntacl.parse_sd) and unmapped SIDs become the same finding."""

import pytest

from ansible_collections.kommunal.umzug.plugins.module_utils.findings import Finding
from ansible_collections.kommunal.umzug.plugins.module_utils.shares import ntacl, preflight, smb_preflight
from ansible_collections.kommunal.umzug.plugins.module_utils.shares.smb_source import SmbEntry

OWNER, USERS = "S-1-5-21-1-2-3-1107", "S-1-5-21-1-2-3-513"
SD = ntacl.SecurityDescriptor(0x8004, OWNER, USERS, None,
                              ntacl.Acl(2, (ntacl.Ace(0, 3, 0x1F01FF, "S-1-5-21-1-2-3-1108"),
                                            ntacl.Ace(0, 0, 0x1200A9, "S-1-1-0")))).to_bytes()


def report(*entries, limit=100):
    root = SmbEntry(b"", "dir", attributes=0x10, sd=SD, sacl_read=True)
    return smb_preflight.inspect("daten", [root, *entries], "\\\\rz-fs\\wdorf-daten", 260, limit)


@pytest.mark.parametrize("entry, key, resource", [
    (SmbEntry(b"a.txt", "file", streams=(("Zone.Identifier", 26),)), "shares.alternate_stream",
     "a.txt:Zone.Identifier"),
    (SmbEntry(b"a.txt", "file", streams=(("big", 101),)), "shares.stream_too_large", "a.txt:big"),
    (SmbEntry(b"CON.txt", "file"), "shares.name_reserved", "CON.txt"),
    (SmbEntry(b"dot.", "file"), "shares.name_trailing_dot_or_space", "dot."),
    (SmbEntry(b"s.vhd", "file", attributes=0x220, size=10, allocated=0), "shares.sparse_file", "s.vhd"),
    (SmbEntry(b"j", "reparse", problems=[("shares.reparse_point", "a junction")]), "shares.reparse_point", "j"),
    (SmbEntry(b"x", "file", sd=b"\x02bad"), "shares.ntacl_unreadable", "x"),
])
def test_findings_of_one_entry(entry, key, resource):
    found = {f.key: f for f in preflight.findings(report(entry), "kommune-w", "rz-fs")}
    assert key in found
    assert resource in found[key].resources


def test_counts_sizes_attributes_and_streams():
    summary = report(
        SmbEntry(b"a", "file", size=3, allocated=4096, attributes=0x22, sd=SD, streams=(("s", 5),)),
        SmbEntry(b"d", "dir", attributes=0x10, sd=SD),
        SmbEntry(b"o", "file", size=7, attributes=0x1020, sd=SD, problems=[("shares.offline_file", "offline")]),
        SmbEntry(b"l", "reparse", attributes=0x410, sd=SD),
    ).summary()
    assert (summary["files"], summary["dirs"], summary["symlinks"], summary["reparse_points"]) == (2, 1, 1, 1)
    assert (summary["bytes"], summary["streams"], summary["stream_bytes"], summary["offline_files"]) == (10, 1, 5, 1)
    assert summary["attributes"] == {"A": 2, "D": 3, "H": 1, "L": 1, "O": 1}
    assert summary["sacl_unread"] == 4


def test_hard_links_by_file_id_and_link_count():
    found = {f.key: f for f in preflight.findings(report(
        SmbEntry(b"a", "file", nlink=2, file_id=9), SmbEntry(b"b", "file", nlink=2, file_id=9)), None, None)}
    assert found["shares.hard_link"].resources == ("daten", "a")


def test_unmapped_sids_are_the_samba_paths_finding():
    rep = report(SmbEntry(b"a", "file", sd=SD, sacl_read=True))
    assert rep.principals == {OWNER: 2, USERS: 2, "S-1-5-21-1-2-3-1108": 2, "S-1-1-0": 2}
    found = preflight.unmapped_sid_findings("daten", rep.principals, lambda sid: sid == OWNER, {}, None, None)
    assert [f.key for f in found] == ["shares.sid_unmapped"]
    assert found[0].resources == ("daten", "S-1-1-0", "S-1-5-21-1-2-3-1108", USERS)


def test_sacl_not_read_is_one_finding_per_share():
    found = [f for f in preflight.findings(report(SmbEntry(b"a", "file", sd=SD)), None, None)
             if f.key == "shares.sacl_unreadable"]
    assert len(found) == 1 and "1 path(s)" in found[0].summary


@pytest.mark.parametrize("key", ["shares.reparse_point", "shares.offline_file", "shares.file_locked",
                                 "shares.access_denied", "shares.alternate_stream", "shares.stream_too_large",
                                 "shares.sacl_unreadable"])
def test_new_keys_render_in_both_languages(key):
    finding = Finding.of(key, share="daten", count=1, first="a: b", more="", variant="preflight")
    assert finding.title and "daten" in finding.title


@pytest.mark.parametrize("entries, code, english", [
    ((SmbEntry(b"a", "file", nlink=2, file_id=9), SmbEntry(b"b", "file", nlink=2, file_id=9)),
     "hard_link_file_id", "2 names in this share for one file (file id 9)"),
    ((SmbEntry(b"a", "file", nlink=3, file_id=7),),
     "hard_link_file_id_outside",
     "1 names in this share for one file (file id 7); its other names are outside the share"),
    ((SmbEntry(b"s.vhd", "file", attributes=0x220, size=10, allocated=0),), "sparse_file", "10 bytes, 0 allocated"),
    ((SmbEntry(b"Akte", "file"), SmbEntry(b"AKTE", "file")), "case_collision", "collides with Akte"),
])
def test_the_rules_shared_with_the_samba_path_keep_the_smb_wording(entries, code, english):
    [(_path, reason)] = next(problems for key, problems in report(*entries).problems.items()
                             if key != "shares.sacl_unreadable")
    assert (reason.code, reason, reason.text("en")) == (code, english, english)
    assert reason.text("de") != english


def test_the_smb_walk_and_the_samba_walk_count_alike():
    summary = report(SmbEntry(b"a", "file", size=3, allocated=4096), SmbEntry(b"d", "dir"),
                     SmbEntry(b"d/b", "file", size=4, allocated=4096)).summary()
    assert (summary["files"], summary["dirs"], summary["bytes"], summary["allocated_bytes"]) == (2, 1, 7, 8192)

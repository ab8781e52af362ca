"""The pre-flight over SMB 3 (share_discover_smb, run by the shares role from the RZ file
server as the backup operator): what it found in the seeded share, read from the record
converge keeps in the scenario's ephemeral folder, and held against the share as served
(smbclient allinfo, smbcacls) from the RZ file server.

Samba, not Windows, serves the share: see docs/shares.md for what that leaves unproven
(backup intent, reparse tags).
"""

import json
import os
import re
from datetime import UTC, datetime
from pathlib import Path

import pytest

from tests.acceptance.remote import run_with_password
from tests.support.lab import admin_password, smbclient

testinfra_hosts = ["ansible://win-rz-fs"]
RECORD = Path(os.environ.get("MOLECULE_EPHEMERAL_DIRECTORY", "/nonexistent")) / "shares" / "discover-smb.json"
SERVER = "win-c-fs"
SHARE = "kaemmerei"
WORKGROUP = "KOMMUNEC"
PLAN = "Haushalt/Haushaltsplan 2024.xlsx"
CLOSING = "Haushalt/Jahresabschluss 2019.pdf"
HELD = "Offen/Haushaltsplan in Bearbeitung.xlsx"
LOCKED = "Gesperrt/Personalakte.txt"
OFFLINE = "Archiv/Altakte 1998.pdf"
LINK = "Verknüpfungen/Jahresabschluss (Verweis)"
LINK_OUT = "Verknüpfungen/Verweis nach draußen"
PROTECTED = "Personal/Vertraulich"
DEEP = "Projekte/" + "/".join(f"Ebene{n:02d}" for n in range(1, 13))


@pytest.fixture(scope="module")
def result():
    return json.loads(RECORD.read_text(encoding="utf-8"))


@pytest.fixture(scope="module")
def share(result):
    [found] = [s for s in result["shares"] if s["name"] == SHARE]
    return found


@pytest.fixture(scope="module")
def entries(share):
    return {e["path"]: e for e in share["entries"]}


def findings(result, key):
    return [f for f in result["umzug_findings"] if f["key"] == key and f["resources"][0] == SHARE]


def allinfo(host, path):
    outcome = smbclient(host, SERVER, SHARE, WORKGROUP, "jvogel", f'allinfo "{path}"')
    assert outcome.rc == 0 and "NT_STATUS_" not in outcome.stdout, outcome.stdout + outcome.stderr
    return outcome.stdout


def served_time(info, name):
    match = re.search(rf"^{name}:\s+(.+) UTC$", info, re.M)
    assert match, info
    return datetime.strptime(match.group(1), "%a %b %d %H:%M:%S %Y").replace(tzinfo=UTC)


def numeric_aces(host, path):
    outcome = run_with_password(
        host, admin_password(WORKGROUP),
        ["smbcacls", f"//{SERVER}/{SHARE}", path, "--numeric", "-U", f"{WORKGROUP}\\Administrator"],
    )
    assert outcome.rc == 0, outcome.stdout + outcome.stderr
    return [line[len("ACL:"):] for line in outcome.stdout.splitlines() if line.startswith("ACL:")]


def ns(text):
    return int(datetime.strptime(text, "%Y-%m-%d %H:%M:%S").replace(tzinfo=UTC).timestamp()) * 10**9


# --- a finding for each awkward case of the seed ------------------------------------------

@pytest.mark.parametrize(("key", "resource"), [
    ("shares.alternate_stream", f"{PLAN}:Zone.Identifier"),
    ("shares.alternate_stream", f"{PLAN}:Autor"),
    ("shares.stream_too_large", f"{PLAN}:Vorschau"),
    ("shares.offline_file", OFFLINE),
    ("shares.file_locked", HELD),
    ("shares.access_denied", LOCKED),
])
def test_the_seed_causes_its_finding(result, key, resource):
    found = findings(result, key)
    assert len(found) == 1, [f["key"] for f in result["umzug_findings"]]
    assert resource in found[0]["resources"], found[0]["resources"]


def test_the_streams_are_listed_as_served(host, entries):
    served = dict(re.findall(r"^stream: \[:(.+):\$DATA\], (\d+) bytes$", allinfo(host, PLAN), re.M))
    listed = {s["name"]: s["size"] for s in entries[PLAN]["streams"]}
    assert listed == {name: int(size) for name, size in served.items()} and set(listed) == \
        {"Zone.Identifier", "Autor", "Vorschau"}, (listed, served)
    assert listed["Vorschau"] == 1048576
    assert {s["xattr"] for s in entries[PLAN]["streams"]} == \
        {f"user.DosStream.{name}:$DATA" for name in ("Zone.Identifier", "Autor", "Vorschau")}


def test_the_share_counts_its_streams(share):
    assert share["streams"] == 3
    assert share["stream_bytes"] == sum(s["size"] for s in
                                        next(e for e in share["entries"] if e["path"] == PLAN)["streams"])


@pytest.mark.parametrize(("path", "created", "written"), [
    (PLAN, "2019-01-02 03:04:05", "2023-05-06 07:08:09"),
    (CLOSING, "2019-03-01 08:00:00", "2020-02-14 16:30:00"),
])
def test_creation_times_are_read_apart_from_write_times(entries, path, created, written):
    assert (entries[path]["creation_ns"], entries[path]["last_write_ns"]) == (ns(created), ns(written))


@pytest.mark.parametrize(("path", "letters"), [
    ("Attribute/versteckt.txt", "HA"),
    ("Attribute/system.dat", "SA"),
    ("Attribute/schreibgeschützt.txt", "RA"),
    ("Attribute/archiv.txt", "A"),
    ("Attribute/ohne Archivbit.txt", "N"),
    ("Attribute/alle vier.txt", "RHSA"),
    ("Attribute", "D"),
])
def test_dos_attributes_are_read(entries, path, letters):
    assert entries[path]["attributes"] == letters


def test_the_offline_file_is_listed(entries, share):
    offline = entries[OFFLINE]
    assert "O" in offline["attributes"] and offline["size"] > 0
    assert offline["problems"] == ["shares.offline_file"]
    assert share["offline_files"] == 1


def test_a_read_moves_the_access_time_here(host):
    # The control for the next test: this file system records reads (relatime moves the
    # access time past the change time the seed's utimes left).
    outcome = smbclient(host, SERVER, SHARE, WORKGROUP, "jvogel", f'get "{CLOSING}" /dev/null')
    assert outcome.rc == 0, outcome.stdout + outcome.stderr
    info = allinfo(host, CLOSING)
    assert served_time(info, "access_time") > served_time(info, "change_time"), info


def test_the_offline_file_was_never_read(host):
    # Its change time is the seed's offline mark; a read since then would have moved the
    # access time past it.
    info = allinfo(host, OFFLINE)
    assert served_time(info, "access_time") <= served_time(info, "change_time"), info


def test_the_held_file_is_retried_then_reported_and_its_descriptor_read(result, entries):
    summary = findings(result, "shares.file_locked")[0]["summary"]
    assert "after 4 tries" in summary and "0xC0000043" in summary, summary
    assert entries[HELD]["problems"] == ["shares.file_locked"]
    assert entries[HELD]["sd_bytes"] > 20


def test_the_file_denying_the_backup_operator_is_reported_without_descriptor(entries):
    # Windows lets backup intent read it; Samba 4.17 does not (test_windows_lab.py).
    assert entries[LOCKED]["problems"] == ["shares.access_denied"]
    assert entries[LOCKED]["sd_bytes"] == 0


def test_the_symlink_the_server_follows_is_one_file_under_two_names(result, entries):
    # Samba 4.17 serves the link as the file it points to: the same file id, one link.
    link, target = entries[LINK], entries[CLOSING]
    assert (link["kind"], link["file_id"], link["nlink"]) == ("file", target["file_id"], 1)
    flagged = [path for path in (LINK, CLOSING) if entries[path]["problems"] == ["shares.reparse_point"]]
    assert len(flagged) == 1, (link, target)
    other = CLOSING if flagged == [LINK] else LINK
    [found] = findings(result, "shares.reparse_point")
    assert flagged[0] in found["resources"] and other in found["summary"], found


def test_the_symlink_out_of_the_share_is_not_listed(entries):
    assert LINK_OUT not in entries
    assert not any(path.startswith(LINK_OUT) for path in entries)


def test_the_folder_with_broken_inheritance_is_read_and_descended(host, share, entries):
    assert entries[PROTECTED]["problems"] == [] and entries[PROTECTED]["sd_bytes"] > 20
    assert f"{PROTECTED}/Gehaltsliste.txt" in entries
    # The colleague's SID stands only in the protected DACL, with read (as the backup
    # operator's, which the root hands down everywhere): counted for the folder and its file.
    readers = [ace.split(":")[0] for ace in numeric_aces(host, PROTECTED)
               if ace.lower().endswith(("/read", "/0x001200a9"))]
    counted = {p["sid"]: p["paths"] for p in share["principals"]}
    assert len(readers) == 2 and sorted(counted.get(sid) for sid in readers)[0] == 2, (readers, counted)


def test_the_deep_tree_and_the_ordinary_files_are_walked(entries, share):
    assert entries[f"{DEEP}/Ganz unten.txt"]["problems"] == []
    assert sum(1 for path in entries if re.fullmatch(r"Belege/20\d\d/Beleg-\d{4}\.txt", path)) == 300
    assert share["files"] == sum(1 for e in share["entries"] if e["kind"] == "file")


def test_every_sid_of_the_kommunes_domain_is_unmapped_and_no_well_known_one(host, result):
    [found] = findings(result, "shares.sid_unmapped")
    domain_sids = {ace.split(":")[0] for ace in numeric_aces(host, PROTECTED) if ace.startswith("S-1-5-21-")}
    assert domain_sids and domain_sids <= set(found["resources"]), (domain_sids, found["resources"])
    assert "S-1-3-0" not in found["resources"]


# --- the share's own settings, over srvsvc ------------------------------------------------

def test_the_share_settings_come_over_srvsvc(share):
    # Samba sets no SHI1005 encryption flag for its server-wide `server smb encrypt`.
    assert share["settings"] == {"comment": "Kämmerei", "csc policy": "manual", "hide unreadable": "No",
                                 "path": "C:\\srv\\shares\\kaemmerei"}
    assert share["path"] == "C:\\srv\\shares\\kaemmerei"


def test_the_share_acl_withheld_from_the_backup_operator_is_a_finding(result, share):
    # Level 502 gives the share ACL to the server's administrators only.
    assert share["share_acl"] == []
    [partial] = findings(result, "shares.smb_settings_partial")
    assert "share ACL" in partial["summary"] and "not an administrator" in partial["summary"], partial

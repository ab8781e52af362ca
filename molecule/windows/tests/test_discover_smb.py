"""The SMB source's pre-flight against the Kommune umzug reaches only over SMB
(tasks/discover_smb.yml): what its seed causes, read from the result it keeps on the RZ
file server. Runs on the RZ file server's host fixture."""

import json
import os

import pytest

testinfra_hosts = [os.environ.get("DISCOVER_SMB_RZ_FS", "ansible://rz-fs")]

RESULT = os.environ.get("DISCOVER_SMB_RESULT", "/opt/umzug/lab/discover_smb.json")
SHARE = os.environ.get("DISCOVER_SMB_SHARE", "daten")


@pytest.fixture(scope="module")
def result(host):
    return json.loads(host.file(RESULT).content_string)


@pytest.fixture(scope="module")
def share(result):
    return next(s for s in result["shares"] if s["name"] == SHARE)


@pytest.fixture(scope="module")
def entries(share):
    return {e["path"]: e for e in share["entries"]}


def findings(result, key):
    return [f for f in result["umzug_findings"] if f["key"] == key and f["resources"][0] == SHARE]


@pytest.mark.parametrize("key, path", [
    ("shares.alternate_stream", "ordner/antrag.txt:Zone.Identifier"),
    ("shares.offline_file", "ausgelagert.txt"),
    ("shares.file_locked", "gesperrt.txt"),
    ("shares.reparse_point", "verbindung"),
    ("shares.access_denied", "geheim"),
])
def test_the_seed_causes_its_finding(result, key, path):
    found = findings(result, key)
    assert found, f"no {key} finding"
    assert path in found[0]["resources"]


def test_the_stream_is_listed_with_its_size_and_target_xattr(entries):
    streams = entries["ordner/antrag.txt"]["streams"]
    assert streams == [{"name": "Zone.Identifier", "size": 26, "xattr": "user.DosStream.Zone.Identifier:$DATA"}]


def test_the_offline_file_is_listed_and_not_read(entries, share):
    offline = entries["ausgelagert.txt"]
    assert "O" in offline["attributes"]
    assert offline["problems"] == ["shares.offline_file"]
    assert share["offline_files"] == 1


def test_the_deny_read_file_is_a_finding_after_retries(result):
    summary = findings(result, "shares.file_locked")[0]["summary"]
    assert "after 4 tries" in summary
    assert "0xC0000043" in summary


def test_the_link_and_the_denied_folder_are_not_descended(entries):
    assert not any(path.startswith(("verbindung/", "geheim/")) for path in entries)


@pytest.mark.parametrize("path, letters", [
    ("versteckt.txt", "HA"),
    ("system.txt", "SA"),
    ("nurlesen.txt", "RA"),
    ("ordner", "D"),
])
def test_dos_attributes_are_read(entries, path, letters):
    assert entries[path]["attributes"] == letters


@pytest.mark.parametrize("path", ["versteckt.txt", "ordner/antrag.txt", "ordner"])
def test_creation_times_are_read(entries, path):
    created = entries[path]["creation_ns"]
    assert created and created <= entries[path]["change_ns"]


def test_share_settings_come_over_srvsvc(share):
    assert share["settings"]["comment"]
    assert share["settings"]["csc policy"] in ("manual", "documents", "programs", "disable")
    assert share["path"]


def test_every_readable_object_carries_a_security_descriptor(share):
    assert all(e["sd_bytes"] > 20 for e in share["entries"] if "shares.access_denied" not in e["problems"])
    assert share["principals"]

"""The share ACL carried by the shares role's provision over SMB (share_acl_smb,
tasks/share_acl_smb.yml): sharesec --view of the source's share (on its own server) and of the
RZ share (on the RZ file server) at each step, compared here after translating the source's
SIDs through the identity mapping the role read; the role's results for check mode,
idempotence and the freeze record."""

import json

import pytest

testinfra_hosts = ["ansible://win-rz-fs"]
EVIDENCE = "/var/lib/umzug/lab-share-acl"
MAPPING = "/var/lib/umzug-lab/sync-smb/mapping.json"
DEFAULT = ["ACL:S-1-1-0:ALLOWED/0x0/FULL"]


def view(host, step: str, side: str) -> list[str]:
    """The DACL lines of one sharesec --view, as Samba printed them (SID:type/flags/mask)."""
    text = host.file(f"{EVIDENCE}/{step}/{side}.txt").content_string
    return [line for line in text.splitlines() if line.startswith("ACL:")]


@pytest.fixture(scope="module")
def mapping(host):
    data = json.loads(host.file(MAPPING).content_string)
    return {entry["old_sid"]: entry["new_sid"] for entry in data["users"] + data["groups"]}


@pytest.fixture(scope="module")
def kaemmerei(host):
    data = json.loads(host.file(MAPPING).content_string)
    return next(entry for entry in data["groups"] if entry["old_name"] == "Kaemmerei")


@pytest.fixture(scope="module")
def results(host):
    return json.loads(host.file(f"{EVIDENCE}/results.json").content_string)


def translated(lines: list[str], mapping: dict) -> list[str]:
    out = []
    for line in lines:
        sid, _sep, ace = line[len("ACL:"):].rpartition(":")
        assert sid in mapping or sid == "S-1-1-0" or sid.startswith("S-1-5-32-"), line
        out.append(f"ACL:{mapping.get(sid, sid)}:{ace}")
    return out


def test_the_source_share_acl_names_the_kommunes_group(host, kaemmerei):
    assert view(host, "before", "source") == [*DEFAULT, f"ACL:{kaemmerei['old_sid']}:ALLOWED/0x0/RWXD"]


def test_before_the_rz_share_has_samba_s_default(host):
    assert view(host, "before", "target") == DEFAULT


def test_check_mode_reports_the_change_and_writes_nothing(host, results, kaemmerei):
    assert view(host, "checked", "target") == DEFAULT
    (check,) = results["check"]
    assert check["changed"] is True and check["carried"] is True and kaemmerei["new_sid"] in check["sddl"]


def test_the_rz_share_has_the_source_s_share_acl_translated(host, mapping, kaemmerei):
    target = view(host, "carried", "target")
    assert target == translated(view(host, "carried", "source"), mapping)
    assert f"ACL:{kaemmerei['new_sid']}:ALLOWED/0x0/RWXD" in target


def test_the_provision_reported_the_change_once(results):
    (carried,) = results["carried"]
    (again,) = results["again"]
    assert carried["changed"] is True and carried["umzug_findings"] == [] and carried["dropped"] == []
    assert carried["changes"]["items"] == {"share_acl": ["cranach-kaemmerei"]}
    assert again["changed"] is False and again["carried"] is True and again["sddl"] == carried["sddl"]


def test_while_frozen_the_share_acl_of_before_the_freeze_is_the_one_carried(host, results):
    frozen_source = view(host, "frozen", "source")
    assert frozen_source != view(host, "before", "source")
    assert all(line.endswith("/READ") for line in frozen_source), frozen_source
    assert view(host, "frozen", "target") == view(host, "carried", "target")
    (frozen,) = results["frozen"]
    assert frozen["from_freeze_record"] is True and frozen["changed"] is False
    assert frozen["sddl"] == results["carried"][0]["sddl"]


def test_the_source_was_unfrozen_again(results):
    """Read right after the unfreeze: the Welle's cut-over freezes the share again later."""
    assert results["record_after_unfreeze"] is False

"""The shares role run over SMB for the Windows-like Kommune (converge's last play): provision,
a seed pass and verify of its share, checked independently of umzug. The share the role
provisioned is asked of the RZ file server's Samba (testparm, smbclient -L); the content of
both trees is hashed with sha256sum (over SSH on the RZ file server, through podman on the
Kommune's file server, which umzug never logs on to); one security descriptor is read as
both servers serve it (smbcacls); and verify's result is held against what the sync cannot
carry and what the source cannot give.
"""

import json
import os
from pathlib import Path

import pytest
from test_sync_smb import (  # noqa: F401 - mapping and translate are fixtures
    HASHES,
    LOCKED,
    OFFLINE,
    PLAN,
    PROTECTED,
    SOURCE,
    mapping,
    on_source,
    on_target,
    parse,
    sd_fields,
    source_tool,
    translate,
)

from tests.acceptance.remote import run_with_password
from tests.support.lab import admin_password

testinfra_hosts = ["ansible://win-rz-fs"]
RECORD = Path(os.environ.get("MOLECULE_EPHEMERAL_DIRECTORY", "/nonexistent")) / "shares" / "role-smb.json"
SERVICE = "cranach-kaemmerei"
TARGET = f"/srv/shares/{SERVICE}"
HELD_KEYS = {"shares.file_locked", "shares.offline_file", "shares.reparse_point", "shares.access_denied"}


@pytest.fixture(scope="module")
def result():
    return json.loads(RECORD.read_text(encoding="utf-8"))


@pytest.fixture(scope="module")
def held(result):
    return {path for finding in result["synced"]["findings"] if finding["key"] in HELD_KEYS
            for path in finding["resources"][1:]}


def test_the_role_provisioned_the_share_where_the_plan_puts_it(result):
    [share] = result["provisioned"]
    assert (share["source"], share["name"], share["path"]) == ("kaemmerei", SERVICE, TARGET)
    assert share["settings"]["vfs objects"] == "acl_xattr streams_xattr"


def test_the_rz_samba_serves_the_share_with_acl_xattr_and_streams_xattr(host):
    config = host.run(f"testparm -s --section-name={SERVICE}")
    assert config.rc == 0, config.stderr
    settings = dict(line.strip().split(" = ", 1) for line in config.stdout.splitlines() if " = " in line)
    assert settings["path"] == TARGET
    assert settings["vfs objects"].split() == ["acl_xattr", "streams_xattr"]
    listed = run_with_password(host, admin_password("RZ"),
                               ["smbclient", "-L", "//win-rz-fs", "-U", "RZ\\Administrator"])
    assert listed.rc == 0, listed.stdout + listed.stderr
    assert any(line.split()[:2] == [SERVICE, "Disk"] for line in listed.stdout.splitlines())


@pytest.fixture(scope="module")
def source_hashes():
    return parse(on_source(HASHES.format(root=SOURCE)))


@pytest.fixture(scope="module")
def target_hashes(host):
    return parse(on_target(host, HASHES.format(root=TARGET)))


def test_every_file_the_seed_carried_has_the_sources_content(source_hashes, target_hashes):
    assert len(target_hashes) > 300
    assert sorted(path for path, digest in target_hashes.items() if source_hashes.get(path) != digest) == []


def test_what_the_target_lacks_is_what_the_pass_reported_it_could_not_read(result, held, source_hashes,
                                                                         target_hashes):
    assert {LOCKED, OFFLINE} <= held
    assert result["synced"]["counts"]["copy"] > 300 and result["synced"]["bytes"] > 0
    missing = {path for path in source_hashes if path not in target_hashes}
    assert missing and all(path in held or any(path.startswith(h + "/") for h in held) for path in missing), \
        sorted(missing - held)


def test_the_role_ran_the_share_in_one_job_and_kept_its_outcome(result):
    [outcome] = result["synced"]["outcomes"]
    assert (outcome["name"], outcome["complete"], outcome["failed"], outcome["msg"]) == ("kaemmerei", True, False, None)
    assert 300 < outcome["progress"]["files"] <= outcome["progress"]["files_total"]


@pytest.mark.parametrize("path", [PLAN, PROTECTED])
def test_the_security_descriptor_as_served_is_the_sources_with_the_sids_translated(host, translate, path):  # noqa: F811
    source, source_aces = sd_fields(source_tool(host, "smbcacls", path, "--numeric"))
    served = run_with_password(host, admin_password("RZ"), ["smbcacls", f"//win-rz-fs/{SERVICE}", path, "--numeric",
                                                            "-U", "RZ\\Administrator"])
    assert served.rc == 0, served.stdout + served.stderr
    target, target_aces = sd_fields(served.stdout)
    assert (target["OWNER"], target["GROUP"]) == (translate(source["OWNER"]), translate(source["GROUP"]))
    expected = [f"{translate(sid)}:{rest}" for sid, _colon, rest in (ace.partition(":") for ace in source_aces)]
    assert target_aces == expected
    # The descriptor names the Kommune's domain, so the translation changed something.
    assert [target["OWNER"], target["GROUP"], *target_aces] != [source["OWNER"], source["GROUP"], *source_aces]


def test_verify_found_only_what_the_sync_cannot_carry(result):
    [verified] = result["verified"]
    assert verified["share"] == "kaemmerei"
    assert verified["differ"] == {PLAN: ["streams"]}
    assert verified["missing"] == [] and verified["extra"] == []
    assert verified["counts"]["missing"] == verified["counts"]["extra"] == 0 and verified["counts"]["differ"] == 1
    assert not verified["identical"]
    assert verified["source"]["files"] > 300
    assert verified["flagged"] == "/var/lib/umzug/shares/cranach/kaemmerei.smb-state.json.flagged"


@pytest.mark.parametrize(("path", "key"), [(LOCKED, "shares.file_locked"), (OFFLINE, "shares.offline_file")])
def test_verify_did_not_read_what_the_source_cannot_give(result, path, key):
    [verified] = result["verified"]
    assert key in verified["not_read"][path]["source"]
    assert path not in verified["differ"]

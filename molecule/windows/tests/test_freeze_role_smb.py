"""The shares role's freeze and unfreeze over SMB (tasks/freeze_role_smb.yml): the role, given
the action and the plan's umzug_source with its source.smb.admin, froze the Kommune's share
through its share ACL and made it writable again. The evidence converge took over SMB without
umzug at each step (smbclient as an ordinary user of the Kommune, each command on a new
connection; the share ACL's bytes through Samba's own srvsvc binding; rpcclient
netsharegetinfo) and the role's results. The share as it is now is the Welle's cut-over's
(tests/test_wave_cutover_smb.py)."""

import base64
import json

import pytest
from test_freeze_smb import masks_of

testinfra_hosts = ["ansible://win-rz-fs"]
EVIDENCE = "/var/lib/umzug/lab-freeze-role"
# Beside the Samba freeze's records (shares_freeze_state_dir), in the source file server's folder.
RECORD = "/var/lib/umzug/shares/freeze/win-c-fs/kaemmerei.json"
SERVER, SHARE, WORKGROUP = "win-c-fs", "kaemmerei", "KOMMUNEC"
READ_EXECUTE = "0x1200a9"


def evidence(host, step: str, name: str) -> str:
    return host.file(f"{EVIDENCE}/{step}/{name}").content_string


@pytest.fixture(scope="module")
def results(host):
    return json.loads(host.file(f"{EVIDENCE}/results.json").content_string)


@pytest.fixture(scope="module")
def original(host):
    text = evidence(host, "before", "share_sd.b64").strip()
    assert text not in ("", "none"), evidence(host, "before", "share_sd.err")
    return base64.b64decode(text)


@pytest.mark.parametrize("step, writes", [("before", True), ("checked", True), ("frozen", False),
                                          ("unfrozen", True)])
def test_a_kommune_user_writes_exactly_when_the_role_has_not_frozen_the_share_and_always_reads(host, step, writes):
    put, put_rc = evidence(host, step, "put.txt"), evidence(host, step, "put.rc").strip()
    if writes:
        assert put_rc == "0" and "NT_STATUS_" not in put, put
    else:
        assert put_rc != "0" and "NT_STATUS_ACCESS_DENIED" in put, put
    get = evidence(host, step, "get.txt")
    assert evidence(host, step, "get.rc").strip() == "0" and "NT_STATUS_" not in get, get


def test_the_frozen_share_acl_grants_read_and_execute_only(host, original):
    frozen = evidence(host, "frozen", "rpcclient.txt")
    masks = masks_of(frozen)
    assert masks and set(masks) == {READ_EXECUTE}, frozen
    assert base64.b64decode(evidence(host, "frozen", "share_sd.b64").strip()) != original


@pytest.mark.parametrize("step", ["checked", "unfrozen"])
def test_check_mode_and_unfreeze_leave_the_original_share_acl_byte_for_byte(host, original, step):
    assert base64.b64decode(evidence(host, step, "share_sd.b64").strip()) == original


@pytest.mark.parametrize(
    ("run", "state", "changed"),
    [("check", "frozen", True), ("frozen", "frozen", True), ("again", "frozen", False),
     ("unfrozen", "unfrozen", True), ("unfrozen_again", "unfrozen", False)],
)
def test_the_role_reported_each_run_of_the_kommunes_share_honestly(results, run, state, changed):
    [share] = results[run]
    assert (share["name"], share["state"], share["changed"]) == (SHARE, state, changed)
    assert share["umzug_findings"] == []
    assert share["changes"]["counts"] == ({state: 1} if changed else {})


def test_the_frozen_share_acl_the_role_reported_is_read_and_execute(results):
    frozen = results["frozen"][0]["share_acl"]
    assert frozen == results["again"][0]["share_acl"] == results["check"][0]["share_acl"]
    assert all(line.startswith("deny") or " 0x001200a9" in line for line in frozen), frozen
    assert results["unfrozen"][0]["share_acl"] != frozen


def test_the_freeze_closed_the_files_open_in_the_share(results):
    # The lab's deny-read holder keeps a file of the share open throughout.
    assert "KOMMUNEC\\lab-holder" in results["frozen"][0]["closed"]["users"], results["frozen"][0]["closed"]
    assert results["frozen"][0]["closed"]["files"] >= 1
    assert results["again"][0]["closed"] == {"files": 0, "users": []}


def test_the_record_kept_the_original_descriptor_where_the_role_keeps_records(results, original):
    record = results["record"]
    assert (record["server"], record["share"]) == (SERVER, SHARE)
    assert base64.b64decode(record["original_sd"]) == original


def test_the_record_is_gone_after_the_unfreeze(results):
    """Read right after the unfreeze: the Welle's cut-over freezes the share again later and
    keeps its own record there (tests/test_wave_cutover_smb.py)."""
    assert results["record_after_unfreeze"] is False


def test_the_share_acl_is_the_original_after_the_unfreeze(host):
    before = masks_of(evidence(host, "before", "rpcclient.txt"))
    assert before and masks_of(evidence(host, "unfrozen", "rpcclient.txt")) == before

"""The freeze over SMB (share_freeze_smb, tasks/freeze_smb.yml): the evidence converge took
over SMB without umzug at each step (smbclient as an ordinary user of the Kommune, each
command on a new connection; the share ACL's bytes through Samba's own srvsvc binding;
rpcclient netsharegetinfo) and the module's results: unfrozen again, its share ACL the
original byte for byte. The share as it is now is the Welle's cut-over's
(tests/test_wave_cutover_smb.py)."""

import base64
import json

import pytest

testinfra_hosts = ["ansible://win-rz-fs"]
EVIDENCE = "/var/lib/umzug/lab-freeze-smb"
RECORD = "/var/lib/umzug/shares/freeze-smb/win-c-fs/kaemmerei.json"
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
def test_an_ordinary_user_writes_exactly_when_the_share_is_not_frozen(host, step, writes):
    put, put_rc = evidence(host, step, "put.txt"), evidence(host, step, "put.rc").strip()
    if writes:
        assert put_rc == "0" and "NT_STATUS_" not in put, put
    else:
        assert "NT_STATUS_ACCESS_DENIED" in put, put
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


def test_the_module_reported_each_run_honestly(results):
    assert results["check"]["changed"] is True and results["frozen"]["changed"] is True
    assert results["again"]["changed"] is False and results["unfrozen"]["changed"] is True
    assert results["frozen"]["share_acl"] == results["again"]["share_acl"]
    assert all(line.startswith("deny") or " 0x001200a9" in line
               for line in results["frozen"]["share_acl"]), results["frozen"]["share_acl"]
    diff = results["check"]["diff"]
    assert diff["before"] != diff["after"] and "0x001200a9" in diff["after"]


def test_the_record_kept_the_original_descriptor(results, original):
    record = results["record"]
    assert (record["server"], record["share"]) == (SERVER, SHARE)
    assert base64.b64decode(record["original_sd"]) == original


def test_the_record_is_gone_after_the_unfreeze(host):
    assert not host.file(RECORD).exists


def masks_of(rpcclient_output: str) -> list[str]:
    return [line.split()[1].rstrip(":") for line in rpcclient_output.splitlines()
            if line.strip().startswith("Permissions:")]


def test_the_share_acl_is_the_original_after_the_unfreeze(host):
    before = masks_of(evidence(host, "before", "rpcclient.txt"))
    assert before and masks_of(evidence(host, "unfrozen", "rpcclient.txt")) == before


def test_the_sessions_with_files_open_in_the_share_were_ended(host, results):
    """Samba checks the share ACL at tree connect only: a session that connected before the
    freeze would write through its tree. The freeze closed the files open in the share (the
    held session's and the deny-read holder's) and ended their users' sessions: the held
    session's write after the freeze finds its connection gone."""
    frozen = results["frozen"]
    assert frozen["umzug_findings"] == []
    assert {"KOMMUNEC\\jvogel", "KOMMUNEC\\lab-holder"} <= set(frozen["closed"]["users"]), frozen["closed"]
    assert frozen["closed"]["files"] >= 2
    held = host.file(f"{EVIDENCE}/held.txt").content_string
    assert "NT_STATUS_CONNECTION_DISCONNECTED" in held and "putting file" not in held, held

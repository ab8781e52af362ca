"""The whole cut-over of the Windows-like Kommune through the Welle (converge: the cut-over
phase of playbooks/wave.yml for kommune_c, then its verify phase, tasks/wave.yml): every
step ran on the Kommune's RZ side, as the journal and the cut-over's report say, and what
each step left is checked here without umzug. The share is frozen as served by the Kommune's
file server (rpcclient, smbclient as an ordinary user) and the freeze's record kept the
original share ACL, so the final pass, which the journal puts after the freeze with nothing
unfreezing in between, read a frozen share; the accounts delta carried the change the lab made
in the Kommune's directory after the seed (ldbsearch on the RZ's DC); the Kommune's DC answers
the old file server name with the RZ file server (dig from the RZ's DC) and the old UNC path
reaches the migrated share there; the acceptance suite passed; the migrated person logs on to
the RZ file server with the old password and not with a wrong one (smbclient). The source is
read through podman, which umzug never logs on to.
"""

import base64
import json
import os
import subprocess
from pathlib import Path

import pytest
import yaml
from test_freeze_smb import masks_of
from test_sync_smb import LOCKED

from tests.acceptance.remote import run_with_password
from tests.support.lab import admin_password, password, state_dir

testinfra_hosts = ["ansible://win-rz-dc"]
EPHEMERAL = Path(os.environ.get("MOLECULE_EPHEMERAL_DIRECTORY", "/nonexistent"))
STATE = EPHEMERAL / "wave"
KOMMUNE, WORKGROUP = "kommune-c", "KOMMUNEC"
FS_SIDE, DC_SIDE = "win-c-fs@rz", "win-c-dc@rz"
SERVER, SHARE, PROBE = "win-c-fs", "kaemmerei", "Haushalt/Cutover-Probe.txt"
NAME = "win-c-fs.kommune-c.test"
DC_ADDRESS, OWN, RZ = "10.89.48.11", "10.89.48.12", "10.89.48.32"
RZ_SHARE = "cranach-welle-kaemmerei"
PERSON, WRONG = "jvogel", "Lab-Falsch-0000000000"
READ_EXECUTE = "0x1200a9"
# Where the shares role keeps the freeze's record (the source file server's folder) and the
# name switch the old record, both on the RZ file server.
FREEZE_RECORD = "/var/lib/umzug/shares/freeze/win-c-fs/kaemmerei.json"
NAME_RECORD = "/var/lib/umzug/name_switch/dns/kommune-c/kommune-c.test/win-c-fs.json"
# The share ACL the Kommune's file server served before anything froze it (tasks/freeze_role_smb.yml).
ORIGINAL_SD = "/var/lib/umzug/lab-freeze-role/before/share_sd.b64"
SOURCE, TARGET = "/srv/shares/kaemmerei", f"/srv/shares/{RZ_SHARE}"
CUTOVER = yaml.safe_load((Path(__file__).parents[1] / "vars" / "cutover.yml").read_text(encoding="utf-8"))


@pytest.fixture(scope="module")
def journal():
    return json.loads((STATE / "journal" / "wave-1" / f"{KOMMUNE}.json").read_text(encoding="utf-8"))


@pytest.fixture(scope="module")
def steps(journal):
    return [entry["step"] for entry in journal["phases"]["cutover"]]


@pytest.fixture(scope="module")
def report():
    data = json.loads((STATE / "cutover-report.json").read_text(encoding="utf-8"))
    [kommune] = [k for k in data["kommunen"] if k["id"] == KOMMUNE]
    return data, kommune


@pytest.fixture(scope="module")
def rz_user():
    mapping = yaml.safe_load((EPHEMERAL / "accounts" / "mapping" / f"{KOMMUNE}.yml").read_text(encoding="utf-8"))
    return {user["old_name"]: user["new_name"] for user in mapping["users"]}


def on(container: str, command: str) -> str:
    """A command on one of the lab's containers through podman, never umzug's way in."""
    result = subprocess.run(["podman", "exec", container, "bash", "-c", command], capture_output=True, text=True,
                            check=False)
    assert result.returncode == 0, result.stderr
    return result.stdout


def test_the_cut_over_ran_every_step_on_the_kommunes_rz_side_in_order_in_one_run(journal, steps):
    assert steps == ["gate", f"freeze@{FS_SIDE}", f"final_sync@{FS_SIDE}", f"accounts_delta@{DC_SIDE}",
                     f"shares_verify@{FS_SIDE}", "acceptance_frozen", f"name_switch@{DC_SIDE}", "service_resumed",
                     "acceptance"]
    assert len({entry["run"] for entry in journal["phases"]["cutover"]}) == 1
    assert not any(step.startswith(("unfreeze", "name_switch_back", "enable_source")) for phase in journal["phases"]
                   for step in (entry["step"] for entry in journal["phases"][phase]))


def test_the_gate_passed_on_the_welles_dry_run(journal):
    [gate] = [entry for entry in journal["phases"]["cutover"] if entry["step"] == "gate"]
    # The dry run's findings are inhibitors of no kind; what it reports (a file held open, the
    # offline file, a SID kept) is accepted risk.
    assert gate["record"]["verdict"] == "go_with_accepted_risks", gate
    assert Path(gate["record"]["report"]).read_bytes() == (STATE / "dryrun-report.json").read_bytes()


def test_the_cut_over_report_is_complete_with_nothing_unsupported(report):
    data, kommune = report
    assert data["run"]["complete"] is True and data["run"]["check_mode"] is False
    assert data["run"]["limit"] == "kommune_c"
    assert kommune["hosts"] == [DC_SIDE, FS_SIDE]
    assert [f for f in kommune["findings"] if f["key"] == "wave.source_unsupported"] == []


# --- the final pass, with the share frozen -------------------------------------------------


def test_the_kommunes_share_is_frozen_as_its_file_server_serves_it(host):
    """rpcclient as the Kommune's administrator: every entry of the share ACL is read and execute."""
    outcome = run_with_password(host, admin_password(WORKGROUP),
                                ["rpcclient", SERVER, "-U", f"{WORKGROUP}\\Administrator", "-c",
                                 f"netsharegetinfo {SHARE} 502"])
    assert outcome.rc == 0, outcome.output
    masks = masks_of(outcome.stdout)
    assert masks and set(masks) == {READ_EXECUTE}, outcome.stdout


def test_an_ordinary_user_of_the_kommune_reads_the_share_but_cannot_write_it(host):
    secret = password(WORKGROUP, PERSON)
    account = f"{WORKGROUP}\\{PERSON}"
    put = run_with_password(host, secret, ["smbclient", f"//{SERVER}/{SHARE}", "-U", account, "-c",
                                           f'put /etc/hostname "{PROBE}"'])
    assert put.rc != 0 and "NT_STATUS_ACCESS_DENIED" in put.output, put.output
    listing = run_with_password(host, secret, ["smbclient", f"//{SERVER}/{SHARE}", "-U", account, "-c", "ls"])
    assert listing.rc == 0 and "NT_STATUS_" not in listing.output, listing.output


def test_the_freeze_kept_the_share_acl_of_before_any_freeze():
    record = json.loads(on("win-rz-fs", f"cat {FREEZE_RECORD}"))
    # The Welle's freeze reaches the file server by the plan's address (its ansible_host).
    assert (record["server"], record["share"]) == (OWN, SHARE)
    assert base64.b64decode(record["original_sd"]) == base64.b64decode(on("win-rz-fs", f"cat {ORIGINAL_SD}").strip())


def test_the_final_pass_carried_the_file_only_the_freeze_let_it_read(report):
    """The lab's holder keeps LOCKED open with a deny-read sharing mode: the seed could not read
    it (its report says so); the freeze ends the sessions with files open in the share, so the
    final pass, which ran after it, read and carried it, and nothing else had changed."""
    _data, kommune = report
    seed = [f for k in json.loads((STATE / "seed-report.json").read_text(encoding="utf-8"))["kommunen"]
            if k["id"] == KOMMUNE for f in k["findings"] if f["key"] == "shares.file_locked"]
    assert [path for f in seed for path in f["resources"][1:]] == [LOCKED]
    final = [c for c in kommune["changes"] if c["host"] == FS_SIDE and c["payload"] == "shares"]
    assert [c["items"] for c in final] == [{"copy": [f"{SHARE}/{LOCKED}"]}], final
    assert not [f for f in kommune["findings"] if f["key"] == "shares.file_locked"]
    digest = f"sha256sum '{{root}}/{LOCKED}' | cut -d ' ' -f 1"
    source = on("win-c-fs", digest.format(root=SOURCE)).strip()
    assert len(source) == 64 and on("win-rz-fs", digest.format(root=TARGET)).strip() == source


# --- the accounts delta ---------------------------------------------------------------------


def test_the_accounts_delta_carried_the_change_made_at_the_source_after_the_seed(host, rz_user):
    account = rz_user[CUTOVER["__cutover_delta_user"]]
    outcome = host.run(f"ldbsearch -H /var/lib/samba/private/sam.ldb '(sAMAccountName={account})' description")
    assert outcome.rc == 0, outcome.stderr
    assert f"description: {CUTOVER['__cutover_delta_description']}" in outcome.stdout, outcome.stdout


def test_the_accounts_delta_changed_the_accounts_it_made_and_created_nothing(report):
    """converge's accounts play made every account; the delta updated the changed description,
    and the home folders, which now name the Welle's share (the plan's namespace cranach-welle,
    the accounts play's Kommune has cranach)."""
    _data, kommune = report
    delta = [c for c in kommune["changes"] if c["host"] == DC_SIDE and c["payload"] == "accounts"]
    assert not any(c["counts"].get("created") for c in delta), delta
    updated = [item for c in delta for item in c["items"].get("updated", [])]
    assert "CN=Konrad Bauer,OU=Cranach,OU=Kommunen,DC=rz,DC=test: description, homeDirectory" in updated, updated


# --- the name switch ------------------------------------------------------------------------


def test_the_kommunes_dc_answers_the_old_file_server_name_with_the_rz_file_server(host):
    assert host.check_output(f"dig +short +norecurse @{DC_ADDRESS} {NAME} A").strip() == RZ


def test_the_dc_holds_only_the_rz_record_and_nothing_of_umzug():
    query = on("win-c-dc", f"samba-tool dns query 127.0.0.1 kommune-c.test {SERVER} A -P")
    records = [line.split()[1] for line in query.splitlines() if line.strip().startswith("A:")]
    assert records == [RZ]
    assert on("win-c-dc", "test -e /var/lib/umzug && echo present || echo absent").strip() == "absent"


def test_the_rz_file_server_keeps_the_old_record_for_a_rollback():
    assert json.loads(on("win-rz-fs", f"cat {NAME_RECORD}")) == {"a": [OWN]}


def test_the_old_unc_path_reaches_the_migrated_share_as_the_migrated_person(host, rz_user):
    """\\\\win-c-fs\\kaemmerei at the address the Kommune's DC gives for the old name now."""
    address = host.check_output(f"dig +short +norecurse @{DC_ADDRESS} {NAME} A").strip()
    outcome = run_with_password(host, password(WORKGROUP, PERSON),
                                ["smbclient", f"//{SERVER}/{SHARE}", "-I", address, "-U", f"RZ\\{rz_user[PERSON]}",
                                 "-c", "ls Haushalt\\*"])
    assert outcome.rc == 0 and "NT_STATUS_" not in outcome.output, outcome.output
    assert "blocks available" in outcome.stdout


# --- acceptance and the migrated person's logon ---------------------------------------------


def test_the_cut_overs_acceptance_suite_passed(report):
    _data, kommune = report
    # Two runs: the shares part inside the freeze, the others after service resumed.
    frozen, resumed = [f for f in kommune["findings"] if f["key"].startswith("wave.acceptance")]
    assert frozen["key"] == resumed["key"] == "wave.acceptance_passed", (frozen, resumed)
    assert frozen["summary"].startswith("ran inside the freeze, before service resumed: shares;"), frozen
    assert resumed["summary"].startswith("ran after service resumed: accounts"), resumed
    summary = json.loads((STATE / "cutover-acceptance.json").read_text(encoding="utf-8"))
    assert summary["passed"] is True and summary["counts"].get("passed", 0) > 0
    assert set(summary["counts"]) == {"passed"}, summary["counts"]


def test_the_migrated_person_logs_on_to_the_rz_file_server_with_the_old_password_only(host, rz_user):
    assert rz_user[PERSON] == f"crn-{PERSON}"
    old = run_with_password(host, password(WORKGROUP, PERSON),
                            ["smbclient", f"//win-rz-fs/{RZ_SHARE}", "-U", f"RZ\\{rz_user[PERSON]}", "-c", "ls"])
    assert old.rc == 0 and "NT_STATUS_" not in old.output, old.output
    wrong = run_with_password(host, WRONG, ["smbclient", "-L", "win-rz-fs", "-U", f"RZ\\{rz_user[PERSON]}"])
    assert wrong.rc != 0 and "NT_STATUS_LOGON_FAILURE" in wrong.output, wrong.output


def replication_password() -> str:
    """The replication account's, by the lab's rule (molecule.yml windows_source_replication_password)."""
    return "Lab-" + (state_dir() / "passwords" / WORKGROUP / "umzug-repl").read_text(encoding="utf-8").split()[0]


@pytest.mark.parametrize("account", ["umzug-backup", "Administrator", "umzug-repl", PERSON])
def test_no_password_in_the_cut_overs_output_or_report(account):
    secret = replication_password() if account == "umzug-repl" else password(WORKGROUP, account)
    assert len(secret) >= 8
    for name in ("cutover.log", "cutover-report.json", "cutover-acceptance.json"):
        assert secret not in (STATE / name).read_text(encoding="utf-8"), name

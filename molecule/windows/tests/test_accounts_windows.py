"""The accounts role for the windows Kommune from its RZ side (tasks/accounts.yml): apply with
the password hashes replicated over DRSUAPI by the RZ's DC, disable_source and enable_source
over LDAPS. The evidence converge took at each step without umzug (smbclient from the RZ file
server, each logon on a new connection), the mapping file and the undo record the role wrote,
and the logons as they are now."""

import json
import os
from pathlib import Path

import pytest
import yaml

from tests.acceptance.remote import run_with_password
from tests.support.lab import password

testinfra_hosts = ["ansible://win-rz-fs"]
STATE = Path(os.environ.get("MOLECULE_EPHEMERAL_DIRECTORY", "/nonexistent")) / "accounts"
EVIDENCE = "/var/lib/umzug-lab/accounts"
WORKGROUP, PERSON = "KOMMUNEC", "jvogel"
OU = "OU=Cranach,OU=Kommunen,DC=rz,DC=test"
# The Kommune's people and service account of vars/kommune_c.yml; umzug's own accounts of the
# plan's source (smb.username, smb.admin.username, drsuapi.username) are none of them.
MIGRATED = {"jvogel", "kbauer", "hnagel", "lab-holder"}
UMZUG_OWN = {"umzug-backup", "Administrator", "umzug-repl"}
WRONG = "Lab-Falsch-0000000000"


@pytest.fixture(scope="module")
def mapping():
    return yaml.safe_load((STATE / "mapping" / "kommune-c.yml").read_text(encoding="utf-8"))


@pytest.fixture(scope="module")
def rz_user(mapping):
    [entry] = [user for user in mapping["users"] if user["old_name"] == PERSON]
    return entry["new_name"]


def undo_entries(key):
    entries = [yaml.safe_load(path.read_text(encoding="utf-8"))
               for path in sorted((STATE / "undo" / "kommune-c").glob("*-source.yml"))]
    return [entry[key] for entry in entries if key in entry]


def logon(host, step, check):
    base = f"{EVIDENCE}/{step}/{check}"
    return host.file(f"{base}.rc").content_string.strip(), host.file(f"{base}.txt").content_string


def test_the_kommunes_people_are_in_its_ou_of_the_central_directory_and_umzugs_own_accounts_are_not(mapping):
    users = {user["old_name"]: user for user in mapping["users"]}
    assert set(users) == MIGRATED, sorted(users)
    for name, user in users.items():
        assert user["status"] == "active" and user["new_sid"], (name, user)
        assert user["new_name"].startswith("crn-") and user["new_dn"].endswith("," + OU), (name, user)


def test_the_second_apply_changed_nothing():
    again = json.loads((STATE / "apply-again.json").read_text(encoding="utf-8"))
    assert again == {"changed": False, "created": []}


@pytest.mark.parametrize("step", ["applied", "disabled", "enabled"])
def test_the_migrated_person_logs_on_to_the_rz_file_server_with_the_old_password_only(host, step):
    rc, out = logon(host, step, "rz_old")
    assert rc == "0" and "NT_STATUS_" not in out and "IPC$" in out, out
    rc, out = logon(host, step, "rz_wrong")
    assert rc != "0" and "NT_STATUS_LOGON_FAILURE" in out, out


@pytest.mark.parametrize("step, disabled", [("applied", False), ("disabled", True), ("enabled", False)])
@pytest.mark.parametrize("check", ["kommune_fs_user", "kommune_dc_user"])
def test_the_person_logs_on_at_the_kommune_exactly_while_the_source_account_is_enabled(host, step, disabled, check):
    rc, out = logon(host, step, check)
    if disabled:
        assert rc != "0" and "NT_STATUS_ACCOUNT_DISABLED" in out, out
    else:
        assert rc == "0" and "NT_STATUS_" not in out and "IPC$" in out, out


@pytest.mark.parametrize("step", ["applied", "disabled", "enabled"])
@pytest.mark.parametrize("check", ["kommune_fs_backup", "kommune_dc_admin", "kommune_dc_repl"])
def test_umzugs_own_accounts_at_the_kommune_are_never_disabled(host, step, check):
    rc, out = logon(host, step, check)
    assert rc == "0" and "NT_STATUS_" not in out and "IPC$" in out, out


def test_disable_source_disabled_exactly_the_migrated_accounts_and_enable_source_gave_them_back():
    [disabled] = undo_entries("source_disabled")
    [enabled] = undo_entries("source_enabled")
    assert {account["name"] for account in disabled} == MIGRATED
    assert {account["name"] for account in enabled} == MIGRATED
    assert not {account["name"].casefold() for account in disabled} & {name.casefold() for name in UMZUG_OWN}


def test_now_the_person_logs_on_with_the_old_password_at_the_rz_and_at_the_kommune(host, rz_user):
    old = password(WORKGROUP, PERSON)
    for server, user in [("win-rz-fs", f"RZ\\{rz_user}"), ("win-c-fs", f"{WORKGROUP}\\{PERSON}")]:
        outcome = run_with_password(host, old, ["smbclient", "-L", server, "-U", user])
        assert outcome.rc == 0 and "NT_STATUS_" not in outcome.output, (server, outcome.output)
    outcome = run_with_password(host, WRONG, ["smbclient", "-L", "win-rz-fs", "-U", f"RZ\\{rz_user}"])
    assert outcome.rc != 0 and "NT_STATUS_LOGON_FAILURE" in outcome.output, outcome.output

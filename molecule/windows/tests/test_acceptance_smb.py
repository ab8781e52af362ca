"""The acceptance suite for the Windows-like Kommune (converge: the Welle's verify phase, then
tasks/acceptance_broken.yml): its shares and accounts parts ran over SMB and LDAPS from the RZ
file server and passed, its clients and names parts are reported as not run, and the same
suite fails against a deliberately broken RZ copy of the share, naming the missing file."""

import json
import os
from pathlib import Path

import pytest

from tests.support.lab import password

testinfra_hosts = ["ansible://win-rz-fs"]
STATE = Path(os.environ.get("MOLECULE_EPHEMERAL_DIRECTORY", "/nonexistent")) / "wave"
KOMMUNE = "kommune-c"
USERS = ["hnagel", "jvogel", "kbauer"]
BROKEN = "Attribute/archiv.txt"


def summary(name: str) -> dict:
    return json.loads((STATE / name).read_text(encoding="utf-8"))


@pytest.fixture(scope="module")
def verified():
    return summary(f"acceptance/{KOMMUNE}.json")


def outcomes(result: dict) -> dict[str, str]:
    return {entry["test"]: entry["outcome"] for entry in result["tests"]}


def test_the_verify_phase_accepted_the_kommune_and_said_what_did_not_run():
    report = json.loads((STATE / "verify-report.json").read_text(encoding="utf-8"))
    [kommune] = [k for k in report["kommunen"] if k["id"] == KOMMUNE]
    [finding] = [f for f in kommune["findings"] if f["key"].startswith("wave.acceptance")]
    assert finding["key"] == "wave.acceptance_passed"
    assert "not run: clients, names" in finding["summary"]


def test_only_the_shares_and_accounts_parts_ran_and_nothing_failed_or_skipped(verified):
    assert verified["passed"] is True
    assert (verified["parts_run"], verified["parts_not_run"]) == (["shares", "accounts"], ["clients", "names"])
    assert {entry["file"].rsplit("/", 1)[-1] for entry in verified["tests"]} == {"test_shares.py", "test_accounts.py"}
    assert set(verified["counts"]) == {"passed"}


@pytest.mark.parametrize("test", [
    "test_share_is_complete_on_the_rz_file_server[kaemmerei]",
    "test_share_access_as_mapped[kaemmerei]",
    "test_access_sample_has_allowed_and_denied",
    "test_group_has_the_translated_members[Kaemmerei]",
    *[f"test_user_in_the_central_directory[{user}]" for user in USERS],
    *[f"test_user_logs_on_to_the_rz_file_server[{user}]" for user in USERS],
])
def test_each_check_of_the_kommune_passed(verified, test):
    assert outcomes(verified).get(test) == "passed"


def test_the_suite_fails_on_a_broken_rz_copy_and_names_the_missing_file():
    broken = summary("acceptance-broken.json")
    assert broken["passed"] is False
    assert outcomes(broken)["test_share_is_complete_on_the_rz_file_server[kaemmerei]"] == "failed"
    [entry] = [e for e in broken["tests"] if e["test"] == "test_share_is_complete_on_the_rz_file_server[kaemmerei]"]
    assert BROKEN in entry["message"] and "missing on the RZ" in entry["message"]


def test_the_broken_copy_was_repaired(host):
    assert host.file(f"/srv/shares/cranach-welle-kaemmerei/{BROKEN}").is_file
    assert not host.file("/srv/shares/acceptance-aside").exists


@pytest.mark.parametrize("account", ["umzug-backup", *USERS])
def test_no_password_in_the_suites_results_or_the_phases_output(account):
    secret = password("KOMMUNEC", account)
    for path in (STATE / "acceptance" / f"{KOMMUNE}.json", STATE / "acceptance-broken.json", STATE / "verify.log",
                 STATE / "verify-report.json"):
        assert secret not in path.read_text(encoding="utf-8"), path.name

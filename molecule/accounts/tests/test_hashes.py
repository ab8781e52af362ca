"""The hashes of policy hash over DRSUAPI: Altdorf's come that way in every apply (its logon
test in test_accounts.py proves they work), Bergheim's are read locally; side_effect.yml
compared both methods on Altdorf's users and kept only the verdict, and the errors of an
account without the replication rights and of a wrong password."""

import json
import os
import re
from pathlib import Path

import pytest

STATE = Path(os.environ.get("MOLECULE_EPHEMERAL_DIRECTORY", "/nonexistent"))
RUNS = STATE / "runs"
HASHES_TASK = "TASK [kommunal.umzug.accounts : Read the password hashes to carry]"


def kept():
    return json.loads((RUNS / "hashes-compare.json").read_text(encoding="utf-8"))


def test_drsuapi_reads_exactly_the_hashes_of_the_local_sam_ldb():
    verdict = kept()["compare"]
    assert int(verdict["local"]) >= 5, "Altdorf's users have hashes"
    assert int(verdict["drsuapi"]) == int(verdict["local"])
    assert int(verdict["equal"]) == int(verdict["local"]), "every hash equal, none different"
    assert verdict["missing_drsuapi"] == verdict["missing_local"]
    # Guest (RID 501) has no NT hash; the made-up RID 99999 is no account.
    assert sorted(sid.rsplit("-", 1)[1] for sid in verdict["missing_drsuapi"]) == ["501", "99999"]
    assert int(verdict["sids"]) == int(verdict["local"]) + 2


def test_an_account_without_the_rights_gets_the_sentence_that_names_them():
    no_rights = kept()["no_rights"]
    assert not no_rights["read"]
    assert no_rights["msg"].startswith("the account umzug-norepl may not replicate password hashes from the "
                                       "Kommune's DC 10.89.44.11")
    assert "DS-Replication-Get-Changes and DS-Replication-Get-Changes-All on the domain naming context" \
        in no_rights["msg"]


def test_a_wrong_password_is_an_authentication_error():
    wrong = kept()["wrong_password"]
    assert not wrong["read"]
    assert wrong["msg"] == ("authentication as umzug-repl at the Kommune's DC 10.89.44.11 failed "
                            "(user name or password is wrong)")


def _hashes_task_hosts(run):
    text = (RUNS / f"{run}.log").read_text(encoding="utf-8")
    sections = text.split(HASHES_TASK)[1:]
    assert sections, f"{run} read hashes"
    return [line for section in sections for line in section.split("\nTASK [", 1)[0].splitlines()
            if re.match(r"^(ok|changed|failed|fatal): \[", line)]


@pytest.mark.parametrize("run", ["check", "delta-vvv"])
def test_altdorf_replicates_on_the_central_dc_and_bergheim_reads_locally(run):
    lines = _hashes_task_hosts(run)
    # The default callback names a delegated host as "host -> delegate(address)".
    assert any(re.match(r"^ok: \[acc-a-dc -> acc-rz-dc[](]", line) for line in lines), lines
    assert any(re.match(r"^ok: \[acc-b-dc\]", line) for line in lines), lines
    assert not any("fatal" in line or "failed" in line for line in lines), lines


@pytest.mark.parametrize("run", ["check", "delta-vvv"])
def test_the_replication_rights_are_reported_for_altdorf_only(run):
    text = (RUNS / f"{run}.log").read_text(encoding="utf-8")
    section = text.split("TASK [kommunal.umzug.accounts : Report that the replication account still holds its "
                         "rights]")
    assert len(section) == 3, "one section per Kommune"
    assert re.search(r"^ok: \[acc-a-dc -> localhost\]", section[1].split("\nTASK [", 1)[0], re.M)
    assert re.search(r"^skipping: \[acc-b-dc\]", section[2].split("\nTASK [", 1)[0], re.M)

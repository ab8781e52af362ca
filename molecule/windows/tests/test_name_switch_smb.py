"""The name switch of the Windows-like Kommune from the RZ (converge's name_switch.yml): the
role ran on the RZ side of the Kommune's DC with the plan as the inventory, samba-tool on the
RZ file server against the DC's address as the plan's source.smb.admin. Each run's JSON
output says what the role did; what the Kommune's DC answered after it was asked by `dig`
from the RZ's DC, independently of umzug, and the record kept on the RZ file server after each
run. The Welle's cut-over switches the name again afterwards and leaves it switched: the DC and
the RZ file server as they are now are tests/test_wave_cutover_smb.py's.
"""

import json
import os
from pathlib import Path

import pytest

from tests.support.lab import password

testinfra_hosts = ["ansible://win-rz-dc"]
STATE = Path(os.environ.get("MOLECULE_EPHEMERAL_DIRECTORY", "/nonexistent")) / "name_switch"
SIDE = "win-c-dc@rz"
NAME = "win-c-fs.kommune-c.test"
OWN, RZ = "10.89.48.12", "10.89.48.32"
DNS_TASK = {"switch": "Point the old names at the RZ file server in the Kommune's DNS",
            "switch_back": "Restore the old names' records in the Kommune's DNS"}
KEPT_DIR = "/var/lib/umzug/name_switch/dns/kommune-c"
RUNS = ["dryrun", "switch", "switch-again", "switch-back"]


def output(run: str) -> dict:
    """The json callback's document (anything another callback printed before it is skipped)."""
    text = (STATE / f"{run}.json").read_text(encoding="utf-8")
    return json.JSONDecoder().raw_decode(text[text.index("{"):])[0]


def dns_result(run: str) -> dict:
    action = "switch_back" if run == "switch-back" else "switch"
    found = [task["hosts"][SIDE] for play in output(run)["plays"] for task in play["tasks"]
             if task["task"]["name"].endswith(f" : {DNS_TASK[action]}") and SIDE in task["hosts"]]
    assert len(found) == 1, run
    return found[0]


def answer(run: str) -> str:
    return (STATE / f"{run}.dig").read_text(encoding="utf-8").strip()


def kept(run: str):
    text = (STATE / f"{run}.kept").read_text(encoding="utf-8").strip()
    return None if text == "none" else json.loads(text)


def test_before_the_switch_the_name_is_the_kommunes_file_server():
    assert answer("before") == OWN


def test_the_dry_run_shows_the_switch_and_changes_nothing():
    result = dns_result("dryrun")
    assert result["changed"] is True and not result.get("failed")
    assert result["records"] == {"win-c-fs": [RZ]}
    assert result["diff"] == {"before": f"win-c-fs A {OWN}\n", "after": f"win-c-fs A {RZ}\n"}
    assert answer("dryrun") == OWN
    assert kept("dryrun") is None


def test_the_switch_points_the_name_at_the_rz_file_server_and_keeps_the_old_record_on_the_rz():
    result = dns_result("switch")
    assert result["changed"] is True
    assert result["records"] == {"win-c-fs": [RZ]}
    assert result["umzug_changes"]["counts"] == {"added": 1, "deleted": 1}
    assert answer("switch") == RZ
    assert kept("switch") == {"a": [OWN]}


def test_the_switch_again_changes_nothing():
    assert dns_result("switch-again")["changed"] is False
    assert output("switch-again")["stats"][SIDE]["changed"] == 0
    assert answer("switch-again") == RZ
    assert kept("switch-again") == {"a": [OWN]}


def test_switch_back_restores_the_record_and_forgets_it():
    result = dns_result("switch-back")
    assert result["changed"] is True
    assert result["records"] == {"win-c-fs": [OWN]}
    assert result["diff"] == {"before": f"win-c-fs A {RZ}\n", "after": f"win-c-fs A {OWN}\n"}
    assert answer("switch-back") == OWN
    assert kept("switch-back") is None


@pytest.mark.parametrize("run", RUNS)
def test_every_run_went_through_on_the_rz_side_only(run):
    stats = output(run)["stats"]
    assert list(stats) == [SIDE]
    assert stats[SIDE]["failures"] == 0 and stats[SIDE]["unreachable"] == 0


@pytest.mark.parametrize("run", RUNS)
def test_samba_tool_ran_on_the_rz_file_server_against_the_dc_as_the_plans_admin(run):
    """What the role took from the plan: the DC's address, source.smb.admin, NTLMv2 only (the
    plan's auth ntlm) and the state folder of the Kommune on the RZ side; its password hidden."""
    result = dns_result(run)
    assert result["_ansible_delegated_vars"]["ansible_host"] == RZ
    args = result["invocation"]["module_args"]
    assert {key: args[key] for key in ("dns_server", "username", "kerberos", "state_dir", "password")} == {
        "dns_server": "10.89.48.11", "username": "KOMMUNEC\\Administrator", "kerberos": "off",
        "state_dir": KEPT_DIR, "password": "VALUE_SPECIFIED_IN_NO_LOG_PARAMETER"}


def test_the_admin_password_appears_in_no_output():
    secret = password("KOMMUNEC", "Administrator")
    assert len(secret) >= 8
    for run in RUNS:
        assert secret not in (STATE / f"{run}.json").read_text(encoding="utf-8"), run

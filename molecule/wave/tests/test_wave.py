"""The Welle's end states, seen from each Kommune's workstation: Kommune A's old names
served by the RZ, Kommune B's back at its own file server. Names and addresses come from
the scenario's plan, nothing here restates them."""

import hashlib
import json
import os
from pathlib import Path

import pytest
import testinfra

from ansible_collections.kommunal.umzug.plugins.plugin_utils.plan import inventory_model, load_plan
from tests.acceptance.remote import run_with_password
from tests.support.lab import admin_password, users

testinfra_hosts = ["ansible://clients"]

PLAN = inventory_model(load_plan(Path(__file__).resolve().parents[1] / "inventory" / "wave.umzug.yml"))
RZ_FS = next(h for h in PLAN.groups["fs"]["hosts"] if h in PLAN.groups["rz"]["hosts"])
SERVICE = PLAN.hostvars[RZ_FS]["name_switch_service_addresses"]
SWITCHED = {"kommune-a": True, "kommune-b": False}


@pytest.fixture(scope="module")
def kommune(host):
    name = host.backend.get_hostname()
    return PLAN.hostvars[name]["umzug_kommune"], PLAN.hostvars[name]["umzug_domain"]


def own_file_server(kommune_id):
    group = "kommune_" + kommune_id.split("-", 1)[1]
    fs = next(h for h in PLAN.groups[group]["hosts"] if h in PLAN.groups["fs"]["hosts"])
    return PLAN.hostvars[fs]["ansible_host"]


def addresses(host, name):
    result = host.run("getent ahostsv4 %s", name)
    assert result.rc == 0, f"{name} does not resolve"
    return sorted({line.split()[0] for line in result.stdout.splitlines()})


def test_old_file_server_name_resolves_as_the_wave_left_it(host, kommune):
    context, domain = kommune
    old = f"{context['id']}-fs"
    want = SERVICE[context["id"]] if SWITCHED[context["id"]] else own_file_server(context["id"])
    assert addresses(host, old) == [want]
    assert addresses(host, f"{old}.{domain['dns_domain']}") == [want]


def status(host, server, share):
    """smbclient's verdict on listing a share as the RZ's Administrator: ok or the NT_STATUS."""
    outcome = run_with_password(host, admin_password("RZ"),
                                ["smbclient", f"//{server}/{share}", "-U", "RZ\\Administrator", "-c", "ls"])
    found = [word for word in outcome.output.split() if word.startswith("NT_STATUS_")]
    return found[0] if found else ("ok" if outcome.rc == 0 else f"rc {outcome.rc}")


def test_old_unc_paths_reach_what_the_wave_left(host, kommune):
    """Switched: the old UNC path answers exactly as the migrated share does (the alias is
    there: no NT_STATUS_BAD_NETWORK_NAME). Switched back: the Kommune's own server answers,
    which does not know the RZ's accounts."""
    context, _ = kommune
    shares = sorted({unc.split("\\")[3].lower() for unc in context["endpoints"]["shares"]})
    seen = {share: status(host, f"{context['id']}-fs", share) for share in shares}
    if SWITCHED[context["id"]]:
        direct = {share: status(host, RZ_FS, f"{context['share_namespace']}-{share}") for share in shares}
        assert seen == direct
        assert "NT_STATUS_BAD_NETWORK_NAME" not in seen.values()
    else:
        assert set(seen.values()) == {"NT_STATUS_LOGON_FAILURE"}


# --- the Welle's records and Kommune B's restoration ------------------------------------

# What the scenario keeps for diagnosis (molecule.yml wave_scenario_artifacts).
STATE = Path(os.environ["MOLECULE_PROJECT_DIRECTORY"]) / "artifacts" / "molecule" / "wave"
KOMMUNE_A = next(k for k, switched in SWITCHED.items() if switched)  # completes and is accepted
KOMMUNE_B = next(k for k, switched in SWITCHED.items() if not switched)  # meets the fault, rolled back


def host_of(kommune_id, role):
    group = "kommune_" + kommune_id.split("-", 1)[1]
    return next(h for h in PLAN.groups[group]["hosts"] if h in PLAN.groups[role]["hosts"])


@pytest.fixture(scope="module")
def lab_host(request):
    """A host of the scenario by name: the end-state tests of one Kommune run once, on
    that Kommune's hosts, not once per workstation with a skip on the other."""
    inventory = request.config.option.ansible_inventory
    return lambda name: testinfra.get_host(f"ansible://{name}", ansible_inventory=inventory)


def journal(kommune_id):
    return json.loads((STATE / "journal" / "wave-1" / f"{kommune_id}.json").read_text(encoding="utf-8"))


def steps(kommune_id, phase):
    return [entry["step"] for entry in journal(kommune_id)["phases"].get(phase, [])]


def test_kommune_a_is_accepted_after_a_passed_acceptance_suite():
    context = PLAN.hostvars[host_of(KOMMUNE_A, "clients")]["umzug_kommune"]
    record = journal(context["id"])
    assert "acceptance" in steps(context["id"], "cutover")
    accepted = record["finalized"]
    assert accepted and accepted["by"] == "Molecule"
    # The report the Abnahme names is the one accepted, unchanged since, and it holds the
    # Kommune's passed acceptance suite.
    report = Path(accepted["report"])
    assert hashlib.sha256(report.read_bytes()).hexdigest() == accepted["report_sha256"]
    findings = [f for k in json.loads(report.read_text(encoding="utf-8"))["kommunen"] if k["id"] == context["id"]
                for f in k["findings"]]
    keys = {f["key"] for f in findings}
    assert "wave.acceptance_passed" in keys
    assert "wave.acceptance_failed" not in keys


def test_kommune_as_acceptance_ran_its_shares_part_in_the_freeze_and_the_rest_after_service_resumed():
    """The cut-over's suite in two: the data and access checks before the name switch, inside the
    freeze; accounts, clients and names after service_resumed, the journal's mark. Together they
    are every test of the suite (the shares part's and the others', none dropped)."""
    kommune_id = PLAN.hostvars[host_of(KOMMUNE_A, "clients")]["umzug_kommune"]["id"]
    cutover = [step.split("@")[0] for step in steps(kommune_id, "cutover")]
    assert cutover[cutover.index("shares_verify"):] == ["shares_verify", "acceptance_frozen", "name_switch",
                                                       "service_resumed", "acceptance"]
    [mark] = [e for e in journal(kommune_id)["phases"]["cutover"] if e["step"] == "service_resumed"]
    assert mark["record"] == {"acceptance_in_freeze": ["shares"],
                              "acceptance_after_resume": ["accounts", "clients", "names"]}
    report = Path(journal(kommune_id)["finalized"]["report"])
    results = [f for k in json.loads(report.read_text(encoding="utf-8"))["kommunen"] if k["id"] == kommune_id
               for f in k["findings"] if f["key"].startswith("wave.acceptance")]
    frozen, resumed = results
    assert frozen["summary"].startswith("ran inside the freeze, before service resumed: shares; "), frozen
    assert resumed["summary"].startswith("ran after service resumed: accounts, clients, names; "), resumed
    assert "not run" not in frozen["summary"] + resumed["summary"]
    # The last run's summary: only its parts, and none of the shares part's tests.
    summary = json.loads((STATE / "acceptance" / f"{kommune_id}.json").read_text(encoding="utf-8"))
    assert summary["parts_run"] == ["accounts", "clients", "names"] and summary["passed"] is True
    assert not [t for t in summary["tests"] if t["file"].endswith("test_shares.py")]


def test_kommune_b_is_rolled_back_not_accepted():
    """The rollback moves the attempt (its cut-over and rollback steps) into the journal's
    history and leaves the next cut-over to start afresh."""
    record = journal(KOMMUNE_B)
    assert not record["finalized"]
    assert "cutover" not in record["phases"] and "rollback" not in record["phases"]
    attempt = record["history"][-1]
    assert attempt["reason"] == "rolled back"
    cutover = [entry["step"] for entry in attempt["phases"]["cutover"]]
    rollback = [entry["step"].split("@")[0] for entry in attempt["phases"]["rollback"]]
    assert "freeze" in [step.split("@")[0] for step in cutover]
    assert "acceptance" not in cutover
    assert rollback == ["name_switch_back", "clients_restore", "enable_source", "unfreeze"]


def test_kommune_b_client_configs_byte_identical(lab_host):
    workstation = lab_host(host_of(KOMMUNE_B, "clients"))
    before = json.loads((STATE / "kommune-b-clients-before.json").read_text(encoding="utf-8"))
    now = {path: workstation.file(path).sha256sum for path in before}
    assert now == before


def test_kommune_b_shares_writable_and_accounts_enabled_at_home(lab_host):
    fs_host = lab_host(host_of(KOMMUNE_B, "fs"))
    dc_host = lab_host(host_of(KOMMUNE_B, "dc"))
    context = PLAN.hostvars[host_of(KOMMUNE_B, "fs")]["umzug_kommune"]
    config = fs_host.run("testparm -s").stdout
    assert "read only = Yes" not in config
    assert "frozen for the move" not in fs_host.file("/etc/samba/smb.conf").content_string
    disabled = []
    for user in users(context["id"], enabled_only=True):
        out = dc_host.run("ldbsearch -H /var/lib/samba/private/sam.ldb %s userAccountControl",
                          f"(sAMAccountName={user['name']})").stdout
        uac = [int(line.split(":")[1]) for line in out.splitlines() if line.startswith("userAccountControl:")]
        if not uac or uac[0] & 0x2:
            disabled.append(user["name"])
    assert disabled == []


# --- the window: the plan's windows are in 2025 ------------------------------------------

@pytest.mark.parametrize("kommune_id", sorted(SWITCHED))
def test_the_cutover_outside_the_window_was_refused_before_anything_changed(kommune_id):
    """side_effect's first cut-over: the gate refused it with the window and the time, the
    journal keeps the refusal, and the Kommune's shares were still writable after it."""
    window = PLAN.hostvars[host_of(kommune_id, "fs")]["umzug_kommune"]["window"]
    start = window["start"][:16].replace("T", " ")
    (refused,) = journal(kommune_id)["refused"]
    assert (refused["phase"], refused["step"]) == ("cutover", "gate")
    assert refused["reason"].startswith(f"Cut-over of {kommune_id} refused: its window is {start} to ")
    assert "(Europe/Berlin), it is now " in refused["reason"]
    assert refused["record"]["window"]["position"] == "after"
    settings = json.loads((STATE / "after-refused-cutover.json").read_text(encoding="utf-8"))
    config = settings[host_of(kommune_id, "fs")]
    assert "[global]" in config and "read only = Yes" not in config


def test_the_cutover_by_override_recorded_the_reason():
    """The cut-over that ran: its gate step's record in the journal (Kommune A's; Kommune B's
    attempt is in the history after its rollback, with the same record)."""
    for kommune_id, record in ((KOMMUNE_A, journal(KOMMUNE_A)["phases"]["cutover"][0]),
                               (KOMMUNE_B, journal(KOMMUNE_B)["history"][-1]["phases"]["cutover"][0])):
        assert record["step"] == "gate", kommune_id
        override = record["record"]["window_override"]
        assert override["reason"] == "Molecule: the windows of the plan are in the past"
        assert override["by"]
        assert record["at"] > journal(kommune_id)["refused"][0]["at"]

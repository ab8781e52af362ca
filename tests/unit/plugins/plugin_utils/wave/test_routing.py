"""The Welle's routing by a Kommune's source (docs/wave.md "Windows sources"): which steps have
no path for a windows Kommune, which payload entry points run, where a step of a windows
Kommune's DC or file server runs (its RZ side, <host>@rz), and what the payloads take from
the plan's umzug_source."""

from pathlib import Path

import jinja2
import pytest
import yaml
from ansible.errors import AnsibleFilterError
from ansible.parsing.dataloader import DataLoader
from ansible.template import Templar

from ansible_collections.kommunal.umzug.plugins.filter.wave import wave_payload, wave_unsupported
from ansible_collections.kommunal.umzug.plugins.plugin_utils.plan import inventory_model, parse_plan
from ansible_collections.kommunal.umzug.plugins.plugin_utils.wave import steps as wave_steps
from tests.unit.plugins.plugin_utils.test_plan_source import MIXED

TOP = Path(__file__).resolve().parents[5]
TABLE = wave_steps.load()
RAW = yaml.safe_load((TOP / "roles" / "wave" / "vars" / "main.yml").read_text(encoding="utf-8"))
SAMBA = {"kind": "samba", "smb": None, "drsuapi": None}
SMB = {"auth": "kerberos", "protection": "encrypt", "username": "COLBERG\\umzug-backup",
       "password": "{{ vault_colberg_smb_password }}"}
DRS = {"username": "umzug-repl@COLBERG.LOCAL", "password": "{{ vault.colberg.drs_password }}"}
WINDOWS = {"kind": "windows", "smb": SMB, "drsuapi": DRS}
WINDOWS_WITHOUT_DRS = {"kind": "windows", "smb": SMB, "drsuapi": None}

# What stops a windows Kommune in each phase, as the table has it today: every step that needs
# SSH to its DC or file server. None now: the shares steps that read it (provision, the
# passes, verify, the dry run's provision) run over SMB from the RZ file server, the name
# switch changes the DNS of its DC from there, and the acceptance suite reads it over SMB and
# LDAPS from there.
WINDOWS_UNSUPPORTED = {
    "discover": [],
    "dryrun": [],
    "seed": [],
    "cutover": [],
    "verify": [],
    "finalize": [],
    "rollback": [],
}


@pytest.mark.parametrize("phase", sorted(WINDOWS_UNSUPPORTED))
@pytest.mark.parametrize(("source", "kind"), [(None, "samba"), ({}, "samba"), (SAMBA, "samba"),
                                              (WINDOWS, "windows"), (WINDOWS_WITHOUT_DRS, "windows")])
def test_what_has_no_path_for_the_kommunes_source(phase, source, kind):
    expected = WINDOWS_UNSUPPORTED[phase] if kind == "windows" else []
    assert wave_steps.unsupported(TABLE, TABLE.phases[phase].steps, wave_steps.source_kind(source)) == expected
    assert wave_unsupported(RAW["__wave_steps"], list(TABLE.phases[phase].steps), source) == expected


@pytest.mark.parametrize(
    ("step", "kind", "actions"),
    [
        ("shares_dryrun", "samba", ["discover", "provision"]),
        ("shares_dryrun", "windows", ["discover", "provision"]),
        ("shares_provision", "windows", ["provision"]),
        ("shares_provision", "samba", ["provision"]),
        ("shares_discover", "windows", ["discover"]),
        ("accounts_dryrun", "windows", ["apply"]),
        ("disable_source", "windows", ["disable_source"]),
        ("enable_source", "windows", ["enable_source"]),
        ("accounts_purge", "windows", ["rollback"]),
        ("shares_seed", "windows", ["sync"]),
        ("shares_seed", "samba", ["sync"]),
        ("freeze", "windows", ["freeze"]),
        ("unfreeze", "windows", ["unfreeze"]),
        ("freeze", "samba", ["freeze"]),
        ("final_sync", "windows", ["sync"]),
        ("shares_verify", "windows", ["verify"]),
        ("shares_verify", "samba", ["verify"]),
        ("name_switch_dryrun", "windows", ["switch"]),
        ("name_switch", "windows", ["switch"]),
        ("name_switch", "samba", ["switch"]),
        ("name_switch_back", "windows", ["switch_back"]),
        ("clients_rewrite", "windows", ["rewrite"]),
    ],
)
def test_the_entry_points_a_step_runs(step, kind, actions):
    calls = TABLE.steps[step].runnable(kind)
    assert [value for call in calls for name, value in call.vars.items() if name.endswith("_action")] == actions
    entry = {**RAW["__wave_steps"][step], "id": step}
    payload = wave_payload(entry, {"kind": kind})
    assert [call["vars"] for call in payload] == [call.vars for call in calls]


def test_what_still_has_no_windows_path_in_the_whole_table():
    """Every step of the Welle has a path for a windows Kommune now."""
    assert [step.unsupported("windows") for step in TABLE.steps.values() if step.unsupported("windows")] == []
    assert [step.unsupported("samba") for step in TABLE.steps.values() if step.unsupported("samba")] == []


# A step of which one entry point alone has no windows path (as the dry run's shares step had
# before provision ran over SMB): it runs in part, and the part that does not is named.
PARTIAL = {"label": {"en": "x", "de": "x"}, "group": "fs", "payload": [
    {"role": "kommunal.umzug.shares", "tasks_from": "main", "vars": {"shares_action": "discover"}},
    {"role": "kommunal.umzug.shares", "tasks_from": "main", "vars": {"shares_action": "provision"}, "windows": False}]}


@pytest.mark.parametrize(("source", "unsupported", "actions"),
                         [(WINDOWS, ["partial (shares_action: provision)"], ["discover"]),
                          (SAMBA, [], ["discover", "provision"])])
def test_a_step_with_one_entry_point_marked_runs_in_part(source, unsupported, actions):
    assert wave_unsupported({"partial": PARTIAL}, ["partial"], source) == unsupported
    assert [call["vars"]["shares_action"] for call in wave_payload({**PARTIAL, "id": "partial"}, source)] == actions


@pytest.mark.parametrize(
    ("step", "windows"),
    [("gate", True), ("accepted", True), ("rolled_back", True), ("acceptance", True), ("accounts_export", True)],
)
def test_the_welles_own_steps(step, windows):
    assert TABLE.steps[step].runs_for("windows") is windows
    assert TABLE.steps[step].runs_for("samba") is True


def test_the_dry_run_judges_the_whole_welle_once_each_without_what_is_switched_off():
    every = wave_steps.welle_steps(TABLE)
    assert len(every) == len(set(every)) and every[:3] == ["accounts_export", "shares_discover", "clients_discover"]
    assert "shares_verify" in every and "name_switch" in every
    judged = wave_steps.welle_steps(TABLE, switched_off=["name_switch", "name_switch_dryrun", "name_switch_back"])
    assert wave_steps.unsupported(TABLE, judged, "windows") == []


@pytest.mark.parametrize(
    ("source", "message"),
    [({"kind": "vms"}, "'vms' is not a source kind"), ("windows", "umzug_source")],
)
def test_an_unknown_source_is_refused(source, message):
    with pytest.raises(AnsibleFilterError, match=message):
        wave_unsupported(RAW["__wave_steps"], ["gate"], source)


def test_a_step_that_is_not_in_the_table_is_refused():
    with pytest.raises(AnsibleFilterError, match="no step shares_mirror"):
        wave_unsupported(RAW["__wave_steps"], ["shares_mirror"], SAMBA)


@pytest.mark.parametrize(
    ("entry", "message"),
    [({"windows": "no"}, "windows is true or false"),
     ({"payload": [{"role": "r", "tasks_from": "main", "windows": 0}]}, "windows is true or false")],
)
def test_the_windows_mark_is_a_boolean(entry, message):
    base = {"label": {"en": "x", "de": "x"}, "group": "fs", "tasks": "steps/x.yml"}
    step = {**base, **entry}
    if "payload" in entry:
        del step["tasks"]
    with pytest.raises(wave_steps.TableError, match=message):
        wave_steps.parse({"__wave_steps": {"x": step}, "__wave_phases": {}})


# --- where a step runs: the plan inventory's RZ side of an agentless host ---------------------

MODEL = inventory_model(parse_plan(MIXED, "mixed.umzug.yml"))


@pytest.mark.parametrize(
    ("host", "agentless", "rz_side"),
    [
        ("altdorf-dc", False, None),
        ("altdorf-fs", False, None),
        ("colberg-dc", True, "colberg-dc@rz"),
        ("colberg-fs", True, "colberg-fs@rz"),
        ("colberg-fs2", True, "colberg-fs2@rz"),
        ("colberg-pc1", False, None),
        ("rz-fs", False, None),
    ],
)
def test_a_mixed_plan_gives_each_agentless_host_an_rz_side(host, agentless, rz_side):
    assert (host in MODEL.groups["agentless"]["hosts"]) is agentless
    sides = [name for name, variables in MODEL.hostvars.items() if variables.get("umzug_agentless_host") == host]
    assert sides == ([rz_side] if rz_side else [])


@pytest.mark.parametrize(
    ("side", "address"),
    [("colberg-dc@rz", "10.0.3.11"), ("colberg-fs@rz", "10.0.3.12"), ("colberg-fs2@rz", "colberg-fs2")],
)
def test_the_rz_side_runs_on_the_controller_with_the_agentless_hosts_variables(side, address):
    variables = MODEL.hostvars[side]
    host = variables["umzug_agentless_host"]
    assert variables["ansible_connection"] == "local"
    assert variables["ansible_python_interpreter"] == "{{ ansible_playbook_python }}"
    # the address umzug reaches the agentless host at over SMB, LDAPS and DRSUAPI
    assert variables["ansible_host"] == address
    for name in ("umzug_kommune", "umzug_source", "umzug_domain", "umzug_role", "umzug_wave"):
        assert variables[name] == MODEL.hostvars[host][name]


def test_the_rz_sides_belong_to_the_kommune_but_to_no_role_group():
    groups = MODEL.groups
    assert groups["via_rz_kommune_colberg"]["hosts"] == ["colberg-dc@rz", "colberg-fs@rz", "colberg-fs2@rz"]
    assert groups["kommune_colberg"]["children"] == ["via_rz_kommune_colberg"]
    assert groups["kommune_altdorf"]["children"] == []
    for role in ("dc", "fs", "clients", "app", "rz", "agentless"):
        assert not [host for host in groups.get(role, {}).get("hosts", []) if host.endswith("@rz")], role


# --- what the payloads take from umzug_source -----------------------------------------------

def _default(role: str, name: str, **variables):
    """A role default as Ansible renders it, with Jinja's own filters (the expressions use no other)."""
    text = yaml.safe_load((TOP / "roles" / role / "defaults" / "main.yml").read_text(encoding="utf-8"))[name]
    return jinja2.Environment(undefined=jinja2.ChainableUndefined).from_string(text).render(**variables).strip()


@pytest.mark.parametrize(
    ("variables", "protocol", "method"),
    [
        ({}, "ssh", "local"),  # an inventory that is no plan
        ({"umzug_source": SAMBA}, "ssh", "local"),
        ({"umzug_source": WINDOWS}, "smb", "drsuapi"),
        ({"umzug_source": WINDOWS_WITHOUT_DRS}, "smb", "local"),
    ],
)
def test_the_payloads_reach_the_source_as_the_plan_says(variables, protocol, method):
    assert _default("shares", "shares_source_protocol", **variables) == protocol
    assert _default("accounts", "accounts_hashes_method", **variables) == method


@pytest.mark.parametrize(
    ("variables", "username", "auth", "encrypt"),
    [
        ({}, "", "ntlm", "True"),
        ({"umzug_source": SAMBA}, "", "ntlm", "True"),
        ({"umzug_source": WINDOWS}, "COLBERG\\umzug-backup", "kerberos", "True"),
        ({"umzug_source": {**WINDOWS, "smb": {**SMB, "auth": "ntlm", "protection": "sign"}}},
         "COLBERG\\umzug-backup", "ntlm", "False"),
    ],
)
def test_the_smb_account_comes_from_the_plan(variables, username, auth, encrypt):
    assert _default("shares", "shares_smb_username", **variables) == username
    assert _default("shares", "shares_smb_auth", **variables) == auth
    assert _default("shares", "shares_smb_encrypt", **variables) == encrypt


ADMIN = {"username": "COLBERG\\umzug-admin", "password": "{{ vault_colberg_fs_admin_password }}"}


@pytest.mark.parametrize(
    ("variables", "username", "password"),
    [
        ({}, "", ""),
        ({"umzug_source": SAMBA}, "", ""),
        ({"umzug_source": WINDOWS}, "", ""),  # a plan of before the freeze over srvsvc
        ({"umzug_source": {**WINDOWS, "smb": {**SMB, "admin": ADMIN}}}, "COLBERG\\umzug-admin",
         "{{ vault_colberg_fs_admin_password }}"),
    ],
)
def test_the_freeze_takes_the_administrator_account_from_the_plan(variables, username, password):
    """The Welle's freeze and unfreeze steps pass nothing of their own: the shares role's
    defaults take the account from the plan's umzug_source.smb.admin."""
    assert _default("shares", "shares_smb_admin_username", **variables) == username
    # Rendered once, as a default is: the password stays the vault reference the plan holds.
    assert _default("shares", "shares_smb_admin_password", **variables) == password


@pytest.mark.parametrize(
    ("variables", "username", "password"),
    [
        # the RZ account the inventory keeps for the central directory (accounts payload)
        ({"shares_target_workgroup": "RZ", "accounts_central_bind_password": "{{ vault_rz_admin_password }}"},
         "RZ\\Administrator", "{{ vault_rz_admin_password }}"),
        ({"shares_target_workgroup": "RZ", "accounts_central_bind_dn": "umzug-verify@rz.test",
          "accounts_central_bind_password": "{{ vault.rz.verify }}"}, "umzug-verify@rz.test", "{{ vault.rz.verify }}"),
        ({"shares_target_workgroup": "RZ", "accounts_central_bind_dn": "RZ\\umzug-verify"}, "RZ\\umzug-verify", ""),
        # an RZ file server without a domain in the inventory: verify over SMB refuses to start
        ({"shares_target_workgroup": ""}, "", ""),
    ],
)
def test_the_rz_account_verify_reads_the_rz_shares_as_is_the_central_directorys(variables, username, password):
    assert _default("shares", "shares_smb_target_username", **variables) == username
    assert _default("shares", "shares_smb_target_password", **variables) == password


def _accounts_var(name: str, **variables):
    """A role variable as Ansible renders it (it uses Ansible's regex_replace)."""
    loader = DataLoader()
    text = loader.load_from_file(str(TOP / "roles" / "accounts" / "vars" / "main.yml"), trusted_as_template=True)[name]
    return Templar(loader=loader, variables=variables).template(text)


@pytest.mark.parametrize(
    ("variables", "own"),
    [({}, []), ({"umzug_source": SAMBA}, []), ({"umzug_source": WINDOWS_WITHOUT_DRS}, ["COLBERG\\umzug-backup"]),
     ({"umzug_source": WINDOWS}, ["umzug-repl@COLBERG.LOCAL", "COLBERG\\umzug-backup"])],
)
def test_the_replication_and_smb_accounts_of_the_plan_are_umzugs_own(variables, own):
    assert _accounts_var("__accounts_umzug_own", **variables) == own

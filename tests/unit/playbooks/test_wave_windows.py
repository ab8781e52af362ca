"""The Welle with a windows Kommune beside a samba one (docs/wave.md "Windows sources"), run for
real on this machine with the steps of fixtures/steps: nothing of umzug targets a windows
Kommune's DC or file server (group agentless). Their addresses do not resolve (.invalid), so
any attempt to reach them would fail the run; a callback records the host of every task."""

import copy
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from ansible_collections.kommunal.umzug.plugins.plugin_utils.wave import steps as wave_steps
from tests.unit.playbooks.test_wave import FIXTURES, ROOT, Wave, findings, progress, text

BIN = Path(sys.executable).parent
LOCAL = '{ansible_connection: local, ansible_python_interpreter: "{{ ansible_playbook_python }}"}'
AGENTLESS = ["colberg-dc", "colberg-fs"]
PLAN = f"""---
# Altdorf (samba) and Colberg (windows) in one Welle; every host but Colberg's DC and file
# server is this machine; those two have addresses that never resolve.
plugin: kommunal.umzug.plan
version: 1
rz:
  domain: {{realm: RZ.TEST, workgroup: RZ, dns_domain: rz.test, dc: rz-dc}}
  hosts:
    dc: {{rz-dc: {LOCAL}}}
    fs: {{rz-fs: {LOCAL}}}
waves:
  - wave: 7
    kommunen:
      - id: altdorf
        name: Gemeinde Altdorf
        ags: "09162000"
        hosts:
          dc: {{altdorf-dc: {LOCAL}}}
          fs: {{altdorf-fs: {LOCAL}}}
        target: {{ou: "OU=Altdorf,OU=Kommunen,DC=rz,DC=test", share_namespace: altdorf, account_prefix: ald-,
                 uid_range: 200000-209999, gid_range: 200000-209999}}
        window: {{start: "2025-03-14 18:00", end: "2025-03-16 18:00"}}
        contacts: [{{name: Erika Muster, email: it@altdorf.example}}]
      - id: colberg
        name: Stadt Colberg
        ags: "05362008"
        domain: {{realm: COLBERG.LOCAL, workgroup: COLBERG, dns_domain: colberg.local, dc: colberg-dc}}
        hosts:
          dc: {{colberg-dc: {{ansible_host: colberg-dc.invalid}}}}
          fs: {{colberg-fs: {{ansible_host: colberg-fs.invalid}}}}
          clients: {{colberg-pc: {LOCAL}}}
        source:
          kind: windows
          smb: {{username: COLBERG\\umzug-backup, password: "{{{{ vault_colberg_smb_password }}}}",
                admin: {{username: COLBERG\\umzug-admin, password: "{{{{ vault_colberg_fs_admin_password }}}}"}}}}
          drsuapi: {{username: umzug-repl@COLBERG.LOCAL, password: "{{{{ vault_colberg_drs_password }}}}"}}
        target: {{ou: "OU=Colberg,OU=Kommunen,DC=rz,DC=test", share_namespace: colberg, account_prefix: cbg-,
                 uid_range: 210000-219999, gid_range: 210000-219999}}
        window: {{start: "2025-03-21 18:00", end: "2025-03-23 18:00"}}
        contacts: [{{name: Max Beispiel, email: it@colberg.example}}]
"""


class MixedWave(Wave):
    def __init__(self, tmp: Path):
        super().__init__(tmp)
        self.plan = tmp / "mixed.umzug.yml"
        self.plan.write_text(PLAN)
        self.hosts_log = tmp / "task_hosts.jsonl"

    def command(self, phase: str, *args: str) -> list[str]:
        return [str(BIN / "ansible-playbook"), "-i", str(self.plan), str(ROOT / "playbooks" / "wave.yml"),
                "-e", f"@{self.vars}", "-e", f"wave_phase={phase}", *args]

    def env(self) -> dict:
        env = super().env()
        return {**env, "ANSIBLE_CALLBACKS_ENABLED": env["ANSIBLE_CALLBACKS_ENABLED"] + ",task_hosts",
                "ANSIBLE_CALLBACK_PLUGINS": str(FIXTURES / "callbacks"), "TASK_HOSTS_LOG": str(self.hosts_log)}

    def task_hosts(self) -> list[dict]:
        return [json.loads(line) for line in self.hosts_log.read_text().splitlines()]


@pytest.fixture
def wave(tmp_path):
    return MixedWave(tmp_path)


def assert_no_task_reached_an_agentless_host(wave, result):
    records = wave.task_hosts()
    assert records, "the callback recorded nothing"
    assert [r for r in records if r["host"] in AGENTLESS or r["delegate_to"] in AGENTLESS] == []
    assert [r for r in records if r["event"] == "unreachable"] == []
    assert "UNREACHABLE" not in result.stdout and ".invalid" not in result.stdout


def hosts_and_the_rest(listing: str) -> tuple[set[str], str]:
    """What ansible-playbook --list-hosts --list-tasks prints: the hosts of every play (the
    lines below its "hosts (N):"), and everything else (play headers, patterns, tasks)."""
    hosts, rest, in_hosts = set(), [], False
    for line in listing.splitlines():
        if line.startswith("    hosts ("):
            in_hosts = True
        elif in_hosts and line.startswith("      "):
            hosts.add(line.strip())
        else:
            in_hosts = False
            rest.append(line)
    return hosts, "\n".join(rest)


@pytest.mark.parametrize("phase", wave_steps.phases())
def test_no_play_of_any_phase_lists_an_agentless_host(wave, phase):
    # one ansible-playbook lists both (it loads the plan and the playbook once)
    result = subprocess.run(wave.command(phase, "--list-hosts", "--list-tasks"), cwd=ROOT, env=wave.env(),
                            capture_output=True, text=True, timeout=300, check=False)
    assert result.returncode == 0, result.stdout + result.stderr
    hosts, tasks = hosts_and_the_rest(result.stdout)
    assert hosts == {"altdorf-dc", "altdorf-fs", "colberg-dc@rz", "colberg-fs@rz", "colberg-pc"}
    assert "    tasks:" in tasks and not any(host in tasks for host in AGENTLESS)


@pytest.mark.parametrize("limit", ["kommune_colberg", "colberg-fs@rz"])
def test_a_limit_to_the_windows_kommune_runs_its_rz_side(wave, limit):
    result = subprocess.run(wave.command("dryrun", "--list-hosts", "--limit", limit), cwd=ROOT, env=wave.env(),
                            capture_output=True, text=True, timeout=300, check=False)
    assert result.returncode == 0, result.stdout + result.stderr
    hosts = {line.strip() for line in result.stdout.splitlines() if line.startswith("      ")}
    assert hosts == ({"colberg-dc@rz", "colberg-fs@rz", "colberg-pc"} if limit.startswith("kommune")
                     else {"colberg-fs@rz"})


def test_the_dry_run_runs_the_windows_kommunes_steps_from_the_rz_and_nothing_blocks_it(wave):
    result = wave.run("dryrun")
    assert result.returncode == 0, result.stdout
    assert_no_task_reached_an_agentless_host(wave, result)
    assert sorted(wave.steps()) == sorted([
        "dryrun accounts_dryrun altdorf-dc", "dryrun accounts_dryrun colberg-dc@rz",
        "dryrun shares_dryrun altdorf-fs", "dryrun shares_dryrun colberg-fs@rz",
        "dryrun estimate altdorf-dc", "dryrun estimate colberg-dc@rz",
        "dryrun clients_dryrun colberg-pc",
        # the name switch changes the DNS records of Colberg's DC from the RZ file server
        "dryrun name_switch_dryrun altdorf-dc", "dryrun name_switch_dryrun colberg-dc@rz",
    ])
    report = json.loads((wave.reports / "latest-dry-run" / "report.json").read_text())
    assert "wave.source_unsupported" not in findings(report, "altdorf")
    # every step runs for Colberg from the RZ side: the shares steps over SMB, the name switch
    # over the DNS server's RPC, the acceptance suite over SMB and LDAPS; nothing blocks it
    assert "wave.source_unsupported" not in findings(report, "colberg")
    verdicts = {k["id"]: k["verdict"] for k in report["kommunen"]}
    assert verdicts["colberg"] == verdicts["altdorf"], verdicts


def test_discovery_of_a_windows_kommune_runs_from_the_rz(wave):
    result = wave.run("discover", "--limit", "kommune_colberg")
    assert result.returncode == 0, result.stdout
    assert_no_task_reached_an_agentless_host(wave, result)
    assert sorted(wave.steps()) == ["discover accounts_export colberg-dc@rz", "discover clients_discover colberg-pc",
                                    "discover shares_discover colberg-fs@rz"]


def test_the_seed_runs_the_windows_kommunes_shares_from_the_rz_and_resumes_from_its_journal(wave):
    failed = wave.run("seed", "-e", "wave_test_fail_at=shares_seed@colberg-fs@rz")
    assert failed.returncode == 2
    assert_no_task_reached_an_agentless_host(wave, failed)
    assert "not yet supported" not in text(failed)
    assert sorted(wave.steps()) == ["seed accounts_apply altdorf-dc", "seed accounts_apply colberg-dc@rz",
                                    "seed shares_provision altdorf-fs", "seed shares_provision colberg-fs@rz",
                                    "seed shares_seed altdorf-fs", "seed shares_seed colberg-fs@rz"]
    assert wave.completed("altdorf", "seed") == ["accounts_apply@altdorf-dc", "shares_provision@altdorf-fs",
                                                 "shares_seed@altdorf-fs"]
    assert wave.completed("colberg", "seed") == ["accounts_apply@colberg-dc@rz", "shares_provision@colberg-fs@rz"]
    assert "wave.source_unsupported" not in findings(wave.latest(), "colberg")

    # the rerun continues from the journal, as a Samba Kommune's does, and then has nothing left
    before = len(wave.steps())
    resumed = wave.run("seed", "--limit", "kommune_colberg")
    assert resumed.returncode == 0, resumed.stdout
    assert wave.steps()[before:] == ["seed shares_seed colberg-fs@rz"]
    assert "[wave 7] colberg seed: 2/3 shares provision ... already done (journal)" in progress(resumed)
    assert wave.completed("colberg", "seed") == ["accounts_apply@colberg-dc@rz", "shares_provision@colberg-fs@rz",
                                                 "shares_seed@colberg-fs@rz"]
    again = wave.run("seed", "--limit", "kommune_colberg")
    assert again.returncode == 0, again.stdout
    assert len(wave.steps()) == before + 1
    assert not list((wave.journal / "wave-7").glob("*.lock"))


def marked_table(*marked: str) -> str:
    """The Welle's own step table with ``marked`` steps as having no windows path (none has
    today), as extra vars: the stop of a step added before its Windows path exists."""
    table = yaml.safe_load((ROOT / "roles" / "wave" / "vars" / "main.yml").read_text(encoding="utf-8"))
    steps = copy.deepcopy(table["__wave_steps"])
    for step in marked:
        steps[step]["windows"] = False
    return json.dumps({"__wave_steps": steps})


def test_a_phase_that_changes_stops_the_windows_kommune_before_anything_and_not_the_other(wave):
    marked = marked_table("name_switch")
    assert wave.run("dryrun", "-e", marked).returncode == 0
    before = len(wave.steps())
    result = wave.run("cutover", "-e", marked)
    assert result.returncode == 2
    assert_no_task_reached_an_agentless_host(wave, result)
    assert ("colberg is a windows Kommune in the plan " + str(wave.plan) + "; not yet supported for windows sources: "
            "name_switch. Nothing of the phase cutover ran for it") in text(result)
    # nothing ran for Colberg, not even its gate, and it holds no lock; Altdorf went on
    cut = wave.steps()[before:]
    assert not [line for line in cut if "colberg" in line]
    assert "cutover acceptance altdorf-dc" in cut
    assert wave.journal_of("colberg")["phases"].get("cutover", []) == []
    assert not (wave.journal / "wave-7" / "colberg.lock").exists()
    assert "wave.source_unsupported" in findings(wave.latest(), "colberg")


def test_the_cutover_of_a_windows_kommune_runs_every_step_from_the_rz(wave):
    assert wave.run("dryrun").returncode == 0
    before = len(wave.steps())
    result = wave.run("cutover", "--limit", "kommune_colberg")
    assert result.returncode == 0, result.stdout
    assert_no_task_reached_an_agentless_host(wave, result)
    assert "not yet supported" not in text(result)
    # the whole cut-over, each step on the RZ side of the Kommune's DC or file server
    assert wave.steps()[before:] == [
        "cutover gate colberg-dc@rz", "cutover freeze colberg-fs@rz", "cutover final_sync colberg-fs@rz",
        "cutover accounts_delta colberg-dc@rz", "cutover clients_rewrite colberg-pc",
        "cutover shares_verify colberg-fs@rz", "cutover acceptance_frozen colberg-dc@rz",
        "cutover name_switch colberg-dc@rz", "cutover service_resumed colberg-dc@rz",
        "cutover acceptance colberg-dc@rz"]
    assert "wave.source_unsupported" not in findings(wave.latest(), "colberg")


def test_the_rollback_of_a_windows_kommune_runs_from_the_rz(wave):
    """unfreeze over srvsvc and the names back over the DNS server's RPC, from the RZ side."""
    result = wave.run("rollback", "--limit", "kommune_colberg", "-e", "wave_disable_source_accounts=true")
    assert result.returncode == 0, result.stdout
    assert_no_task_reached_an_agentless_host(wave, result)
    assert "not yet supported" not in text(result)
    assert wave.steps()[0] == "rollback name_switch_back colberg-dc@rz"
    assert "rollback unfreeze colberg-fs@rz" in wave.steps()


def test_without_the_unsupported_steps_the_windows_kommune_runs_its_phase(wave):
    """The finalize phase has no step that needs the Kommune's servers: it runs as for any Kommune
    and refuses for its own reason (no cut-over yet)."""
    result = wave.run("finalize", "--limit", "kommune_colberg", "-e", '{"wave_accepted_by": "Erika Muster"}')
    assert_no_task_reached_an_agentless_host(wave, result)
    assert "not yet supported" not in text(result)
    assert os.path.exists(wave.hosts_log)


def standin_table() -> dict:
    """The Welle's own step table, each payload entry point replaced by the test payload, which
    logs the action the entry would run: the table's routing for real, nothing reached."""
    table = yaml.safe_load((ROOT / "roles" / "wave" / "vars" / "main.yml").read_text(encoding="utf-8"))
    steps = copy.deepcopy(table["__wave_steps"])
    for entry in steps.values():
        for call in entry.get("payload") or []:
            action = next(value for name, value in call["vars"].items() if name.endswith("_action"))
            call.update(role="wave_test_payload", tasks_from="entry", vars={"wave_test_payload_value": action})
    return {"__wave_steps": steps, "wave_steps_dir": ""}


@pytest.mark.parametrize(
    ("phase", "expected"),
    [
        # the dry run's shares step runs both its entry points on the RZ side, in check mode
        ("dryrun", ["dryrun accounts_dryrun colberg-dc@rz apply", "dryrun shares_dryrun colberg-fs@rz discover",
                    "dryrun shares_dryrun colberg-fs@rz provision", "dryrun clients_dryrun colberg-pc rewrite",
                    "dryrun name_switch_dryrun colberg-dc@rz switch"]),
        ("seed", ["seed accounts_apply colberg-dc@rz apply", "seed accounts_apply colberg-dc@rz apply written",
                  "seed shares_provision colberg-fs@rz provision",
                  "seed shares_provision colberg-fs@rz provision written",
                  "seed shares_seed colberg-fs@rz sync", "seed shares_seed colberg-fs@rz sync written"]),
    ],
)
def test_the_tables_shares_entry_points_run_for_the_windows_kommune(wave, phase, expected):
    result = wave.run(phase, "--limit", "kommune_colberg", "-e", json.dumps(standin_table()),
                      env={"ANSIBLE_ROLES_PATH": str(FIXTURES / "roles")})
    assert result.returncode == 0, result.stdout
    assert_no_task_reached_an_agentless_host(wave, result)
    assert wave.steps() == expected


# What the shares role's SMB path reads (roles/shares/tasks/*_smb.yml) and where the work runs.
SMB_PATH_VARIABLES = ("shares_source_protocol", "shares_smb_server", "shares_smb_username", "shares_smb_password",
                      "shares_smb_auth", "shares_smb_encrypt", "shares_target_fs", "shares_source_names",
                      "shares_smb_target_username", "shares_smb_target_password", "shares_kommune",
                      "shares_namespace")


def test_the_shares_steps_of_a_windows_kommune_read_it_over_smb_with_the_plans_and_the_rzs_accounts(wave, tmp_path):
    """The shares role's defaults as Ansible renders them on the RZ side of Colberg's file server,
    with the vault's values: the SMB source of the plan, the RZ file server the work runs on,
    and the RZ account the inventory keeps for the central directory, which verify reads the
    RZ's shares as."""
    out = tmp_path / "shares.json"
    play = tmp_path / "render.yml"
    play.write_text(yaml.safe_dump([{
        "name": "Render", "hosts": "colberg-fs@rz", "gather_facts": False,
        "tasks": [
            {"name": "Read the role's defaults",
             "ansible.builtin.include_vars": {"file": str(ROOT / "roles" / "shares" / "defaults" / "main.yml")}},
            {"name": "Keep what the SMB path reads", "delegate_to": "localhost", "no_log": True,
             "ansible.builtin.copy": {"dest": str(out), "mode": "0600", "content": "{{ __values | to_json }}"},
             "vars": {"__values": {name: "{{ " + name + " }}" for name in SMB_PATH_VARIABLES}}},
        ]}]))
    secrets = {"vault_colberg_smb_password": "smb-secret", "vault_colberg_drs_password": "drs-secret",
               "accounts_central_bind_password": "rz-secret"}
    result = subprocess.run([str(BIN / "ansible-playbook"), "-i", str(wave.plan), str(play), "-e", json.dumps(secrets)],
                            cwd=ROOT, env=wave.env(), capture_output=True, text=True, timeout=300, check=False)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "secret" not in result.stdout
    assert json.loads(out.read_text()) == {
        "shares_source_protocol": "smb", "shares_smb_server": "colberg-fs.invalid",
        "shares_smb_username": "COLBERG\\umzug-backup", "shares_smb_password": "smb-secret",
        "shares_smb_auth": "kerberos", "shares_smb_encrypt": True, "shares_target_fs": "rz-fs",
        "shares_source_names": ["colberg-fs", "colberg-fs.invalid"],
        "shares_smb_target_username": "RZ\\Administrator", "shares_smb_target_password": "rz-secret",
        "shares_kommune": "colberg", "shares_namespace": "colberg"}


# What the name switch's DNS task reads (roles/name_switch/tasks/present.yml) and where it runs;
# Altdorf's plan entry has no domain, so its zone and DC are left out.
@pytest.mark.parametrize(("host", "auth", "expected"), [
    ("colberg-dc@rz", "ntlm", {
        "name_switch_dns_via": "rz", "name_switch_dns_host": "colberg-dc",
        "name_switch_dns_server": "colberg-dc.invalid", "name_switch_dns_username": "COLBERG\\umzug-admin",
        "name_switch_dns_password": "admin-secret", "name_switch_dns_kerberos": "off",
        "name_switch_dns_state_dir": "/var/lib/umzug/name_switch/dns/colberg", "name_switch_fs_host": "rz-fs",
        "name_switch_zone": "colberg.local", "name_switch_kommune": "colberg"}),
    ("colberg-dc@rz", "kerberos", {"name_switch_dns_kerberos": "desired"}),
    ("altdorf-dc", "ntlm", {
        "name_switch_dns_via": "dc", "name_switch_dns_server": "127.0.0.1", "name_switch_dns_username": "",
        "name_switch_dns_password": "", "name_switch_dns_kerberos": "desired",
        "name_switch_dns_state_dir": "/var/lib/umzug/name_switch/dns", "name_switch_kommune": "altdorf"}),
])
def test_the_name_switch_of_a_windows_kommune_changes_its_dns_from_the_rz_file_server(wave, tmp_path, host, auth,
                                                                                      expected):
    """The name_switch role's defaults as Ansible renders them on the RZ side of Colberg's DC, with
    the vault's values: samba-tool on the RZ file server against the DC's address, as the plan's
    source.smb.admin, NTLMv2 only where the plan says ntlm, the kept records on the RZ side per
    Kommune. A samba Kommune's stay on its DC as before."""
    plan = tmp_path / "plan.umzug.yml"
    plan.write_text(PLAN.replace("          smb: {username:", f"          smb: {{auth: {auth}, username:"))
    out = tmp_path / "name_switch.json"
    play = tmp_path / "render.yml"
    play.write_text(yaml.safe_dump([{
        "name": "Render", "hosts": host, "gather_facts": False,
        "tasks": [
            {"name": "Read the role's defaults",
             "ansible.builtin.include_vars": {"file": str(ROOT / "roles" / "name_switch" / "defaults" / "main.yml")}},
            {"name": "Keep what the DNS task reads", "delegate_to": "localhost", "no_log": True,
             "ansible.builtin.copy": {"dest": str(out), "mode": "0600", "content": "{{ __values | to_json }}"},
             "vars": {"__values": {name: "{{ " + name + " }}" for name in expected}}},
        ]}]))
    secrets = {"vault_colberg_smb_password": "smb-secret", "vault_colberg_drs_password": "drs-secret",
               "vault_colberg_fs_admin_password": "admin-secret"}
    result = subprocess.run([str(BIN / "ansible-playbook"), "-i", str(plan), str(play), "-e", json.dumps(secrets)],
                            cwd=ROOT, env=wave.env(), capture_output=True, text=True, timeout=300, check=False)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "secret" not in result.stdout
    assert json.loads(out.read_text()) == expected


def test_the_name_switch_from_the_rz_without_an_account_is_refused_before_anything(wave, tmp_path):
    play = tmp_path / "switch.yml"
    play.write_text(yaml.safe_dump([{
        "name": "Switch", "hosts": "colberg-dc@rz", "gather_facts": False,
        "tasks": [{"name": "Name switch", "ansible.builtin.include_role": {"name": "kommunal.umzug.name_switch"}}]}]))
    given = {"name_switch_shares": {"\\\\colberg-fs\\bauamt": "\\\\rz-fs\\colberg-bauamt"},
             "name_switch_dns_username": "", "vault_colberg_fs_admin_password": "admin-secret"}
    result = subprocess.run([str(BIN / "ansible-playbook"), "-i", str(wave.plan), str(play), "-e", json.dumps(given)],
                            cwd=ROOT, env=wave.env(), capture_output=True, text=True, timeout=300, check=False)
    assert result.returncode == 2
    assert ("The name switch changes colberg.local from the RZ file server (name_switch_dns_via rz, a windows "
            "Kommune) and needs an account of the Kommune's domain") in " ".join(result.stdout.split())
    assert "Serve the old share names" not in result.stdout

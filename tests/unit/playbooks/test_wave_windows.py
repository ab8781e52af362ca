"""The Welle with a windows Kommune beside a samba one (docs/wave.md "Windows sources"), run for
real on this machine with the steps of fixtures/steps: nothing of umzug targets a windows
Kommune's DC or file server (group agentless). Their addresses do not resolve (.invalid), so
any attempt to reach them would fail the run; a callback records the host of every task."""

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from ansible_collections.kommunal.umzug.plugins.plugin_utils.wave import steps as wave_steps
from tests.unit.playbooks.test_wave import FIXTURES, ROOT, Wave, findings, text

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


@pytest.mark.parametrize("phase", wave_steps.phases())
def test_no_play_of_any_phase_lists_an_agentless_host(wave, phase):
    result = subprocess.run(wave.command(phase, "--list-hosts"), cwd=ROOT, env=wave.env(), capture_output=True,
                            text=True, timeout=300, check=False)
    assert result.returncode == 0, result.stdout + result.stderr
    hosts = {line.strip() for line in result.stdout.splitlines() if line.startswith("      ")}
    assert hosts == {"altdorf-dc", "altdorf-fs", "colberg-dc@rz", "colberg-fs@rz", "colberg-pc"}
    tasks = subprocess.run(wave.command(phase, "--list-tasks"), cwd=ROOT, env=wave.env(), capture_output=True,
                           text=True, timeout=300, check=False)
    assert tasks.returncode == 0 and not any(host in tasks.stdout for host in AGENTLESS)


@pytest.mark.parametrize("limit", ["kommune_colberg", "colberg-fs@rz"])
def test_a_limit_to_the_windows_kommune_runs_its_rz_side(wave, limit):
    result = subprocess.run(wave.command("dryrun", "--list-hosts", "--limit", limit), cwd=ROOT, env=wave.env(),
                            capture_output=True, text=True, timeout=300, check=False)
    assert result.returncode == 0, result.stdout + result.stderr
    hosts = {line.strip() for line in result.stdout.splitlines() if line.startswith("      ")}
    assert hosts == ({"colberg-dc@rz", "colberg-fs@rz", "colberg-pc"} if limit.startswith("kommune")
                     else {"colberg-fs@rz"})


def test_the_dry_run_runs_the_windows_kommunes_steps_from_the_rz_and_reports_what_blocks(wave):
    result = wave.run("dryrun")
    assert result.returncode == 0, result.stdout
    assert_no_task_reached_an_agentless_host(wave, result)
    assert sorted(wave.steps()) == sorted([
        "dryrun accounts_dryrun altdorf-dc", "dryrun accounts_dryrun colberg-dc@rz",
        "dryrun shares_dryrun altdorf-fs", "dryrun shares_dryrun colberg-fs@rz",
        "dryrun clients_dryrun colberg-pc",
        # the name switch changes DNS records on the Kommune's DC: not for Colberg
        "dryrun name_switch_dryrun altdorf-dc",
    ])
    report = json.loads((wave.reports / "latest-dry-run" / "report.json").read_text())
    assert "wave.source_unsupported" not in findings(report, "altdorf")
    blocking = [f for k in report["kommunen"] if k["id"] == "colberg" for f in k["findings"]
                if f["key"] == "wave.source_unsupported"]
    assert len(blocking) == 1 and blocking[0]["inhibitor"] is True
    assert blocking[0]["resources"] == [
        "shares_dryrun (shares_action: provision)", "name_switch_dryrun", "shares_provision", "shares_seed",
        "final_sync", "name_switch", "shares_verify", "acceptance", "name_switch_back"]
    assert blocking[0]["summary"].startswith("not yet supported for windows sources: shares_dryrun")
    assert {k["id"]: k["verdict"] for k in report["kommunen"]}["colberg"] == "no_go"


def test_discovery_of_a_windows_kommune_runs_from_the_rz(wave):
    result = wave.run("discover", "--limit", "kommune_colberg")
    assert result.returncode == 0, result.stdout
    assert_no_task_reached_an_agentless_host(wave, result)
    assert sorted(wave.steps()) == ["discover accounts_export colberg-dc@rz", "discover clients_discover colberg-pc",
                                    "discover shares_discover colberg-fs@rz"]


def test_a_phase_that_changes_stops_the_windows_kommune_before_anything_and_not_the_other(wave):
    result = wave.run("seed")
    assert result.returncode == 2
    assert_no_task_reached_an_agentless_host(wave, result)
    assert "not yet supported for windows sources: shares_provision, shares_seed" in text(result)
    assert "colberg is a windows Kommune in the plan" in text(result)
    # nothing ran for Colberg, not even its accounts, and it holds no lock; Altdorf went on
    assert not [line for line in wave.steps() if "colberg" in line]
    assert sorted(wave.steps()) == ["seed accounts_apply altdorf-dc", "seed shares_provision altdorf-fs",
                                    "seed shares_seed altdorf-fs"]
    assert wave.completed("altdorf", "seed") == ["accounts_apply@altdorf-dc", "shares_provision@altdorf-fs",
                                                 "shares_seed@altdorf-fs"]
    assert not (wave.journal / "wave-7" / "colberg.lock").exists()
    assert "wave.source_unsupported" in findings(wave.latest(), "colberg")


def test_the_rollback_of_a_windows_kommune_stops_before_anything_too(wave):
    result = wave.run("rollback", "--limit", "kommune_colberg", "-e", "wave_disable_source_accounts=true")
    assert result.returncode == 2
    assert_no_task_reached_an_agentless_host(wave, result)
    # unfreeze has its path over srvsvc now; the name switch back has none
    assert "not yet supported for windows sources: name_switch_back. Nothing of" in text(result)
    assert wave.steps() == []


def test_without_the_unsupported_steps_the_windows_kommune_runs_its_phase(wave):
    """The finalize phase has no step that needs the Kommune's servers: it runs as for any Kommune
    and refuses for its own reason (no cut-over yet)."""
    result = wave.run("finalize", "--limit", "kommune_colberg", "-e", '{"wave_accepted_by": "Erika Muster"}')
    assert_no_task_reached_an_agentless_host(wave, result)
    assert "not yet supported" not in text(result)
    assert os.path.exists(wave.hosts_log)

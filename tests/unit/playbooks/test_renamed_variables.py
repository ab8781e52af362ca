"""A play that still sets a role variable by its old name stops at the role's first task, naming the new one."""

import subprocess
import sys
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[3]
BIN = Path(sys.executable).parent
# One host that is DC, file server and RZ at once: enough for every role's defaults to resolve.
HOST = {"ansible_connection": "local",
        "umzug_domain": {"dc": "localhost", "realm": "KOMMUNE-A.TEST", "dns_domain": "kommune-a.test"},
        "umzug_kommune": {"id": "kommune-a", "share_namespace": "altdorf",
                          "endpoints": {"shares": {"\\\\a-fs\\bauamt": "\\\\rz-fs\\altdorf-bauamt"}}}}
INVENTORY = {"all": {"children": {"rz": {"hosts": {"localhost": HOST}}, "dc": {"hosts": {"localhost": {}}},
                                  "fs": {"hosts": {"localhost": {}}}}}}

RENAMED = [
    ("accounts", {"accounts_journal_dir": "/nowhere", "accounts_ca_file": "/nowhere/ca.pem"},
     "accounts_journal_dir was renamed to accounts_undo_dir (the same folder; CHANGELOG.md)"),
    ("clients", {"clients_state": "rewritten"},
     "clients_state was renamed to clients_action (rewritten is now rewrite and rolled_back restore; CHANGELOG.md)"),
    ("name_switch", {"name_switch_state": "present"},
     "name_switch_state was renamed to name_switch_action"
     " (present is now switch and absent switch_back; CHANGELOG.md)"),
]


@pytest.mark.parametrize(("role", "given", "message"), RENAMED, ids=[r for r, _g, _m in RENAMED])
def test_the_old_name_fails_at_once_naming_the_new_one(tmp_path, role, given, message):
    play = [{"hosts": "localhost", "gather_facts": False,
             "tasks": [{"ansible.builtin.include_role": {"name": f"kommunal.umzug.{role}"}, "vars": given},
                       {"ansible.builtin.debug": {"msg": "not reached"}}]}]
    (tmp_path / "play.yml").write_text(yaml.safe_dump(play))
    (tmp_path / "hosts.yml").write_text(yaml.safe_dump(INVENTORY))
    run = subprocess.run([str(BIN / "ansible-playbook"), "-i", str(tmp_path / "hosts.yml"), str(tmp_path / "play.yml")],
                         cwd=ROOT, env={"PATH": f"{BIN}:/usr/bin:/bin", "HOME": str(tmp_path), "ANSIBLE_NOCOLOR": "1"},
                         capture_output=True, text=True, timeout=120, check=False)
    assert run.returncode == 2, run.stdout + run.stderr
    tasks = [line for line in run.stdout.splitlines() if line.startswith("TASK [")]
    assert "old" in tasks[-1] and message in run.stdout and "not reached" not in run.stdout, run.stdout

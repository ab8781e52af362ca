"""A play that still sets a role's old entry variable stops at the role's first task, naming the new one."""

import subprocess
import sys
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[3]
BIN = Path(sys.executable).parent

RENAMED = [
    ("clients", {"clients_state": "rewritten"},
     "clients_state was renamed to clients_action (rewritten is now rewrite and rolled_back restore; CHANGELOG.md)"),
    ("name_switch", {"name_switch_state": "present", "name_switch_fs_host": "localhost"},
     "name_switch_state was renamed to name_switch_action (present is now switch and absent switch_back; CHANGELOG.md)"),
]


@pytest.mark.parametrize(("role", "given", "message"), RENAMED, ids=[r for r, _g, _m in RENAMED])
def test_the_old_entry_variable_fails_at_once_naming_the_new_one(tmp_path, role, given, message):
    play = [{"hosts": "localhost", "connection": "local", "gather_facts": False,
             "vars": {"umzug_kommune": {"id": "kommune-a", "endpoints": {"shares": {"\\\\a-fs\\bauamt": "\\\\rz-fs\\a-bauamt"}}},
                      "umzug_domain": {"dns_domain": "kommune-a.test", "dc": "localhost"}},
             "tasks": [{"ansible.builtin.include_role": {"name": f"kommunal.umzug.{role}"}, "vars": given},
                       {"ansible.builtin.debug": {"msg": "not reached"}}]}]
    (tmp_path / "play.yml").write_text(yaml.safe_dump(play))
    run = subprocess.run([str(BIN / "ansible-playbook"), "-i", "localhost,", str(tmp_path / "play.yml")], cwd=ROOT,
                         env={"PATH": str(BIN) + ":/usr/bin:/bin", "HOME": str(tmp_path), "ANSIBLE_NOCOLOR": "1"},
                         capture_output=True, text=True, timeout=120, check=False)
    assert run.returncode == 2, run.stdout + run.stderr
    failed = [line for line in run.stdout.splitlines() if "Refuse the entry variable's old name" in line]
    assert failed and message in run.stdout and "not reached" not in run.stdout

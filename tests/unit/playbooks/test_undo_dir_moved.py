"""An undo record left in the folder the accounts role's default named before
(artifacts/journal/accounts/<id>) stops the role, naming both folders, instead of being missed."""

import subprocess
import sys
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[3]
BIN = Path(sys.executable).parent
OLD, NEW = Path("artifacts/journal/accounts/kommune-a"), Path("artifacts/undo/accounts/kommune-a")
INVENTORY = {"all": {"hosts": {"localhost": {"ansible_connection": "local",
                                             "umzug_kommune": {"id": "kommune-a"}}}}}

CASES = [
    # (folders there before the run, variables given, whether the role stops)
    ([], {}, False),
    ([NEW], {}, False),
    ([OLD], {}, True),
    ([OLD, NEW], {}, False),
    # A folder given elsewhere is the operator's choice; the old default folder is not looked at.
    ([OLD], {"accounts_undo_dir": "{{ playbook_dir }}/../elsewhere"}, False),
]


def run_check(tmp_path, given):
    # The play lies in playbooks/, so the role's default folder is <tmp_path>/artifacts/...
    (tmp_path / "playbooks").mkdir()
    play = [{"hosts": "localhost", "gather_facts": False,
             "tasks": [{"ansible.builtin.include_role": {"name": "kommunal.umzug.accounts", "tasks_from": "undo_dir"},
                        "vars": given},
                       {"ansible.builtin.debug": {"msg": "past the check"}}]}]
    (tmp_path / "playbooks" / "play.yml").write_text(yaml.safe_dump(play))
    (tmp_path / "hosts.yml").write_text(yaml.safe_dump(INVENTORY))
    return subprocess.run([str(BIN / "ansible-playbook"), "-i", str(tmp_path / "hosts.yml"),
                           str(tmp_path / "playbooks" / "play.yml")],
                          cwd=ROOT, env={"PATH": f"{BIN}:/usr/bin:/bin", "HOME": str(tmp_path), "ANSIBLE_NOCOLOR": "1"},
                          capture_output=True, text=True, timeout=120, check=False)


@pytest.mark.parametrize(("there", "given", "stops"), CASES)
def test_an_undo_record_at_the_old_default_folder_stops_the_role(tmp_path, there, given, stops):
    for folder in there:
        (tmp_path / folder).mkdir(parents=True)
    run = run_check(tmp_path, given)
    output = " ".join((run.stdout + run.stderr).split())
    message = (f"The accounts undo record is in {tmp_path / OLD}, the folder umzug used before; move it to "
               f"{tmp_path / NEW} (the default now, CHANGELOG.md), or rollback and enable_source will not see what "
               f"it holds.")
    assert (run.returncode, message in output, "past the check" in output) == (
        (2, True, False) if stops else (0, False, True)), run.stdout + run.stderr

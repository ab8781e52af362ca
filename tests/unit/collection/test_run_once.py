"""run_once lets the first host of the batch decide for every host: when a condition on
the task or an enclosing block skips that host, the task is skipped for all of them, and
a per-host delegate_to or register is taken from that one host for all. A lab provisioned
from an empty state folder failed that way (a folder created with run_once inside a block
whose condition skipped the play's first host). This test finds the pattern in every task
file and playbook of the repository."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

TOP = Path(__file__).resolve().parents[3]
TASK_FILES = sorted(
    [*TOP.glob("roles/*/tasks/**/*.yml"), *TOP.glob("roles/*/handlers/*.yml"), *TOP.glob("playbooks/*.yml"),
     *TOP.glob("lab/roles/*/tasks/**/*.yml"), *TOP.glob("lab/roles/*/handlers/*.yml"), *TOP.glob("lab/*.yml"),
     *TOP.glob("molecule/*/*.yml"), *TOP.glob("molecule/*/tasks/*.yml")])
BLOCK_KEYS = ("block", "rescue", "always")
PLAY_TASK_KEYS = ("pre_tasks", "tasks", "post_tasks", "handlers")


def _templated(value) -> bool:
    return isinstance(value, str) and "{{" in value


def run_once_faults(tasks, conditioned: bool = False, where: str = "") -> list[str]:
    """The tasks in ``tasks`` (a task list, blocks nested) that use run_once where a
    condition can skip the chosen host, or with a per-host delegate_to."""
    faults = []
    for task in tasks or []:
        if not isinstance(task, dict):
            continue
        name = task.get("name", "(unnamed)")
        here = conditioned or "when" in task
        if any(key in task for key in BLOCK_KEYS):
            for key in BLOCK_KEYS:
                faults += run_once_faults(task.get(key), here, f"{where}{name} / ")
            continue
        if task.get("run_once") in (True, "true", "yes"):
            if here:
                faults.append(f"{where}{name}: run_once under a condition that can skip the chosen host")
            if _templated(task.get("delegate_to")):
                faults.append(f"{where}{name}: run_once with a per-host delegate_to ({task['delegate_to']})")
    return faults


def file_faults(path: Path) -> list[str]:
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    if not isinstance(data, list):
        return []
    if any(isinstance(item, dict) and ("hosts" in item or "import_playbook" in item) for item in data):
        faults = []
        for play in data:
            if not isinstance(play, dict):
                continue
            for key in PLAY_TASK_KEYS:
                faults += run_once_faults(play.get(key), False, f"{play.get('name', 'play')} / ")
        return faults
    return run_once_faults(data)


@pytest.mark.parametrize(("tasks", "expected"), [
    ([{"name": "t", "run_once": True, "ansible.builtin.debug": {}}], 0),
    ([{"name": "t", "run_once": True, "when": "x", "ansible.builtin.debug": {}}], 1),
    ([{"name": "b", "when": "x", "block": [{"name": "t", "run_once": True, "ansible.builtin.debug": {}}]}], 1),
    ([{"name": "b", "block": [{"name": "b2", "block": [{"name": "t", "run_once": True}]}], "when": "y"}], 1),
    ([{"name": "t", "run_once": True, "delegate_to": "localhost"}], 0),
    ([{"name": "t", "run_once": True, "delegate_to": "{{ shares_target_fs }}"}], 1),
    ([{"name": "t", "when": "x", "delegate_to": "{{ shares_target_fs }}"}], 0),
])
def test_the_rule_finds_the_pattern(tasks, expected):
    assert len(run_once_faults(tasks)) == expected


def test_task_files_are_found():
    names = {p.relative_to(TOP).as_posix() for p in TASK_FILES}
    assert "lab/roles/lab_seed/tasks/main.yml" in names and "lab/provision.yml" in names
    assert "roles/shares/tasks/sync.yml" in names


@pytest.mark.parametrize("path", TASK_FILES, ids=lambda p: p.relative_to(TOP).as_posix())
def test_no_run_once_that_a_condition_can_skip(path):
    assert file_faults(path) == []

"""A phase run as AWX runs a job (tests/support/awx_job.py): the private data directory it
builds, and a real job of ansible-runner on this machine with the collection's progress callback."""

import json
import os
import re
import shlex
from pathlib import Path

import pytest
import yaml

from tests.support import awx_job, wave_outcome

TOP = Path(__file__).resolve().parents[3]


@pytest.fixture
def inventory(tmp_path):
    folder = tmp_path / "inventory"
    folder.mkdir()
    (folder / "hosts").write_text("[kommune_a]\nlocalhost ansible_connection=local\n", encoding="utf-8")
    return folder


def test_the_private_data_dir_is_laid_out_as_awx_lays_it_out(tmp_path, inventory):
    jobs = tmp_path / "jobs"
    folder = awx_job.build_private_data_dir(jobs, 7, TOP, inventory, {"wave_phase": "dryrun"},
                                            {"ANSIBLE_CALLBACKS_ENABLED": "kommunal.umzug.progress"}, "kommune_a",
                                            "Welle: dryrun")
    assert folder == jobs / "awx_7"
    assert (folder / "project").resolve() == TOP.resolve()
    assert (folder / "inventory" / "hosts").read_text(encoding="utf-8").startswith("[kommune_a]")
    extravars = yaml.safe_load((folder / "env" / "extravars").read_text(encoding="utf-8"))
    assert extravars["wave_phase"] == "dryrun"
    assert extravars["awx_job_id"] == extravars["tower_job_id"] == 7
    assert extravars["awx_job_template_name"] == "Welle: dryrun"
    assert extravars["awx_user_name"] and extravars["awx_inventory_name"] == "inventory"
    envvars = yaml.safe_load((folder / "env" / "envvars").read_text(encoding="utf-8"))
    assert envvars["JOB_ID"] == "7" and envvars["AWX_PRIVATE_DATA_DIR"] == str(folder)
    assert envvars["ANSIBLE_CALLBACKS_ENABLED"] == "kommunal.umzug.progress"
    assert envvars["ANSIBLE_FORCE_COLOR"] == "True"
    # RunJob.build_env: the job's requirements first, then the project's ansible.cfg, then the defaults
    collections = envvars["ANSIBLE_COLLECTIONS_PATH"].split(os.pathsep)
    assert collections[:2] == [str(folder / "requirements_collections"), "./collections"]
    assert collections.count("~/.ansible/collections") == 1
    assert json.loads((folder / "env" / "settings").read_text(encoding="utf-8"))["suppress_ansible_output"] is True
    assert shlex.split((folder / "env" / "cmdline").read_text(encoding="utf-8")) == ["-u", "root", "--limit",
                                                                                     "kommune_a"]
    for name in ("extravars", "envvars", "settings", "cmdline"):
        assert (folder / "env" / name).stat().st_mode & 0o077 == 0, name
    with pytest.raises(FileExistsError):
        awx_job.build_private_data_dir(jobs, 7, TOP, inventory, {}, {}, None, "x")
    assert awx_job.next_job_id(jobs) == 8


@pytest.mark.parametrize(("environ", "kept"), [
    ({"ANSIBLE_CONFIG": "/x/ansible.cfg", "MOLECULE_INVENTORY_FILE": "/x", "HOME": "/root"}, {"HOME"}),
    ({"ANSIBLE_STDOUT_CALLBACK": "yaml", "LANG": "C.UTF-8", "UMZUG_REPORT_DIR": "/r"}, {"LANG", "UMZUG_REPORT_DIR"}),
])
def test_the_node_environment_has_no_ansible_or_molecule_settings_of_the_caller(environ, kept):
    env = awx_job.node_environment({**environ, "PATH": "/usr/bin"}, Path("/venv/bin"))
    assert set(env) == kept | {"PATH"}
    assert env["PATH"].split(os.pathsep) == ["/venv/bin", "/usr/bin"]


PLAYBOOK = """
- hosts: all
  gather_facts: false
  tasks:
    - kommunal.umzug.wave_progress: {event: begin, wave: "1", kommune: kommune-a, phase: seed, count: 2}
    - kommunal.umzug.wave_progress:
        {event: step, wave: "1", kommune: kommune-a, phase: seed, count: 2, index: 1, step: s, label: first step}
    - name: Say who launched the job
      ansible.builtin.debug:
        msg: "job {{ awx_job_id }} by {{ awx_user_name }}"
    - name: Fail as a step can
      ansible.builtin.fail:
        msg: the second step broke
"""


def test_a_job_under_ansible_runner_shows_the_progress_lines_in_its_events(tmp_path, inventory):
    """A real job: ansible-runner with its awx_display stdout callback, no terminal; the progress
    callback's lines (and its line for the failed task) are in the job events as in a shell,
    the job's outcome is in its artifacts, and the scenario's judgement reads them."""
    playbook = tmp_path / "play.yml"
    playbook.write_text(PLAYBOOK, encoding="utf-8")
    jobs = tmp_path / "jobs"
    log = tmp_path / "seed.log"
    assert awx_job.main(["--jobs", str(jobs), "--project", str(TOP), "--inventory", str(inventory),
                         "--playbook", str(playbook), "--env", "ANSIBLE_CALLBACKS_ENABLED=kommunal.umzug.progress",
                         "--log", str(log)]) == 0
    artifacts = jobs / "awx_1" / "artifacts" / "1"
    assert awx_job.outcome(artifacts) == (2, "failed")
    text = wave_outcome.COLOUR.sub("", awx_job.output(artifacts))
    assert log.read_text(encoding="utf-8") == awx_job.output(artifacts)
    progress = [re.sub(r"^UMZUG \d\d:\d\d:\d\d ", "", line) for line in text.splitlines() if line.startswith("UMZUG ")]
    assert progress == [
        "[wave 1] kommune-a seed: begin, 2 steps",
        "[wave 1] kommune-a seed: 1/2 first step ... running",
        "[wave 1] kommune-a seed: FAILED on localhost (Fail as a step can): the second step broke",
    ]
    assert "job 1 by admin" in text
    events = awx_job.events(artifacts)
    assert [event["counter"] for event in events] == sorted(event["counter"] for event in events)
    assert {event["runner_ident"] for event in events} == {"1"}
    command = json.loads((artifacts / "command").read_text(encoding="utf-8"))
    assert command["env"]["ANSIBLE_STDOUT_CALLBACK"] == "awx_display"
    # the scenario's judgement from the job's artifacts: the exit code and the failure line
    found = wave_outcome.check(tmp_path / "journal", "1", "dryrun", {"kommune-a": "completed"}, artifacts,
                               awx_job.outcome(artifacts)[0])
    assert found[0] == "kommune-a: dryrun failed, expected completed; steps recorded: none"
    assert any("FAILED on localhost (Fail as a step can): the second step broke" in line for line in found)
    assert found[-1] == f"whole output: {artifacts / 'stdout'} (job failed)"

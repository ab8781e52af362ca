"""playbooks/wave.yml for real on this machine (connection: local), with steps that only log.

The plan in fixtures/wave.umzug.yml has two Kommunen; fixtures/steps replaces every payload
step by one that logs itself and waits or fails where a test says, while the gate, the
acceptance result, the Abnahme and the rollback record are the role's own steps.
"""

import hashlib
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[3]
FIXTURES = Path(__file__).resolve().parent / "fixtures"
BIN = Path(sys.executable).parent
PASSED_SUITE = """
import json, pathlib, sys
path = pathlib.Path(sys.argv[1])
path.parent.mkdir(parents=True, exist_ok=True)
path.write_text(json.dumps({"schema_version": 1, "passed": True, "counts": {"passed": 3}, "expected_skips": {},
                            "tests": []}))
print("3 passed in 0.01s")
"""


OVERRIDE = "Test: the fixture plan's windows are in 2025"
NO_OVERRIDE = json.dumps({"wave_window_override": ""})


class Wave:
    def __init__(self, tmp: Path):
        self.tmp = tmp
        self.reports, self.journal, self.log = tmp / "reports", tmp / "journal", tmp / "steps.log"
        self.release = tmp / "release"
        self.vars = tmp / "vars.json"
        self.vars.write_text(
            json.dumps(
                {
                    "wave_journal_dir": str(self.journal),
                    "wave_steps_dir": str(FIXTURES / "steps"),
                    "wave_test_log": str(self.log),
                    "wave_test_release": str(self.release),
                    # The fixture plan's windows are in 2025: every cut-over here runs by override,
                    # except where a test takes it away (test_the_window_*).
                    "wave_window_override": OVERRIDE,
                    "wave_acceptance_dir": str(tmp),
                    "wave_acceptance_json_dir": str(tmp / "acceptance"),
                    # The suite's JSON summary, as tests/acceptance/conftest.py writes it.
                    "wave_acceptance_command": [sys.executable, "-c", PASSED_SUITE,
                                                "{{ wave_acceptance_json_dir }}/{{ umzug_kommune.id }}.json"],
                }
            )
        )

    def command(self, phase: str, *args: str) -> list[str]:
        return [str(BIN / "ansible-playbook"), "-i", str(FIXTURES / "wave.umzug.yml"),
                str(ROOT / "playbooks" / "wave.yml"), "-e", f"@{self.vars}", "-e", f"wave_phase={phase}", *args]

    def env(self) -> dict:
        return {**os.environ, "ANSIBLE_CALLBACKS_ENABLED": "kommunal.umzug.report,kommunal.umzug.progress",
                "UMZUG_REPORT_DIR": str(self.reports), "ANSIBLE_NOCOLOR": "1", "ANSIBLE_FORCE_COLOR": "0"}

    def run(self, phase: str, *args: str, env: dict | None = None) -> subprocess.CompletedProcess:
        return subprocess.run(self.command(phase, *args), cwd=ROOT, env={**self.env(), **(env or {})},
                              capture_output=True, text=True, timeout=300, check=False)

    def start(self, phase: str, *args: str) -> subprocess.Popen:
        return subprocess.Popen(self.command(phase, *args), cwd=ROOT, env=self.env(), stdout=subprocess.PIPE,
                                stderr=subprocess.STDOUT, text=True, start_new_session=True)

    def steps(self) -> list[str]:
        return self.log.read_text().splitlines() if self.log.exists() else []

    def journal_of(self, kommune: str) -> dict:
        return json.loads((self.journal / "wave-7" / f"{kommune}.json").read_text())

    def completed(self, kommune: str, phase: str) -> list[str]:
        return [entry["step"] for entry in self.journal_of(kommune)["phases"].get(phase, [])]

    def latest(self) -> dict:
        return json.loads((self.reports / "latest" / "report.json").read_text())

    def wait_for_step(self, line: str, process: subprocess.Popen) -> None:
        deadline = time.monotonic() + 120
        while line not in self.steps():
            assert process.poll() is None, process.stdout.read()
            assert time.monotonic() < deadline, f"{line} never ran"
            time.sleep(0.2)


def progress(result) -> list[str]:
    return [line.split(" ", 2)[2] for line in result.stdout.splitlines() if line.startswith("UMZUG ") and
            "REPORT" not in line]


def text(result) -> str:
    """Everything the run printed, on one line (results wrap long messages)."""
    return " ".join((result.stdout + result.stderr).split())


def findings(report: dict, kommune: str) -> list[str]:
    return [f["key"] for k in report["kommunen"] if k["id"] == kommune for f in k["findings"]]


@pytest.fixture
def wave(tmp_path):
    return Wave(tmp_path)


@pytest.fixture(scope="module")
def dry_run_once(tmp_path_factory):
    """One dry run of the plan for every test that starts after it: a run costs seconds, and it
    leaves only files below its folder (reports, journal, step log), with relative paths."""
    wave = Wave(tmp_path_factory.mktemp("dry-run"))
    result = wave.run("dryrun")
    assert result.returncode == 0, result.stdout
    return wave, result


@pytest.fixture
def dry_run(wave, dry_run_once):
    """The state the dry run left, copied into the test's own folder: as if it had run there."""
    done, result = dry_run_once
    shutil.copytree(done.tmp, wave.tmp, symlinks=True, dirs_exist_ok=True,
                    ignore=lambda folder, names: [done.vars.name] if Path(folder) == done.tmp else [])
    return result


def test_without_a_phase_the_playbook_says_which_there_are(wave):
    result = wave.run("migrate")
    assert result.returncode == 2
    assert "wave_phase 'migrate' is not a phase" in result.stdout


def test_the_wave_needs_the_report_callback(wave):
    env = {**wave.env(), "ANSIBLE_CALLBACKS_ENABLED": "kommunal.umzug.progress"}
    result = subprocess.run(wave.command("dryrun"), cwd=ROOT, env=env, capture_output=True, text=True,
                            timeout=300, check=False)
    assert result.returncode == 2 and "the report callback must be enabled" in result.stdout
    assert wave.steps() == []


def test_dry_run_checks_every_kommune_and_writes_the_report_the_gate_reads(wave, dry_run):
    report = json.loads((wave.reports / "latest-dry-run" / "report.json").read_text())
    assert report["run"]["check_mode"] is True and report["run"]["complete"] is True
    assert len(report["run"]["plan_hashes"]) == 1
    assert sorted(k["id"] for k in report["kommunen"]) == ["altdorf", "bergheim"]
    assert sorted(wave.steps()) == sorted([
        "dryrun accounts_dryrun altdorf-dc", "dryrun accounts_dryrun bergheim-dc",
        "dryrun shares_dryrun altdorf-fs", "dryrun shares_dryrun bergheim-fs",
        "dryrun estimate altdorf-dc", "dryrun estimate bergheim-dc",
        "dryrun clients_dryrun altdorf-pc",
        "dryrun name_switch_dryrun altdorf-dc", "dryrun name_switch_dryrun bergheim-dc",
    ])
    lines = progress(dry_run)
    assert "[wave 7] altdorf dryrun: 4/5 clients (check) ... running" in lines
    assert "[wave 7] bergheim dryrun: all 5 steps done" in lines
    # a dry run records nothing and gives its locks back
    assert wave.completed("altdorf", "dryrun") == [] and not list((wave.journal / "wave-7").glob("*.lock"))


def test_a_step_runs_the_payload_entry_points_its_table_names(wave):
    """The runner (roles/wave/tasks/step.yml) with a table whose step names a test role twice."""
    table = {"__wave_steps": {
        "shares_verify": {"label": {"en": "shares verify", "de": "Freigaben prüfen"}, "group": "fs", "payload": [
            {"role": "wave_test_payload", "tasks_from": "entry", "vars": {"wave_test_payload_value": "first"},
             "throttle": 1},
            {"role": "wave_test_payload", "tasks_from": "entry", "check_mode": True}]},
        "acceptance": {"label": {"en": "acceptance suite", "de": "Abnahmetests"}, "group": "kommune",
                       "tasks": "steps/acceptance.yml"}},
        "wave_steps_dir": ""}
    result = wave.run("verify", "--limit", "kommune_altdorf", "-e", json.dumps(table),
                      env={"ANSIBLE_ROLES_PATH": str(FIXTURES / "roles")})
    assert result.returncode == 0, result.stdout
    # the second call sees the role's default, not the first call's value, and runs in check mode
    assert wave.steps() == ["verify shares_verify altdorf-fs first", "verify shares_verify altdorf-fs first written",
                            "verify shares_verify altdorf-fs default"]
    assert "[wave 7] altdorf verify: 2/2 acceptance suite ... running" in progress(result)
    assert "wave.acceptance_passed" in findings(wave.latest(), "altdorf")


def test_the_gate_refuses_a_cutover_without_a_dry_run(wave):
    result = wave.run("cutover", "--limit", "kommune_altdorf")
    assert result.returncode == 2
    assert f"altdorf has no dry-run report in {wave.reports}" in text(result)
    # only the gate step ran (the test step logs before the role's gate)
    assert wave.steps() == ["cutover gate altdorf-dc"] and wave.completed("altdorf", "cutover") == []


def test_the_gate_refuses_an_old_dry_run(wave, dry_run):
    result = wave.run("cutover", "--limit", "kommune_altdorf", "-e", "wave_dryrun_max_age=0")
    assert result.returncode == 2
    assert "old, more than the 0 allowed (max_age); run the dry run again" in text(result)
    assert [line for line in wave.steps() if line.startswith("cutover")] == ["cutover gate altdorf-dc"]


def test_the_window_refuses_the_cutover_before_anything_and_the_override_is_recorded(wave, dry_run):
    """The fixture plan's windows are in 2025. Without the override only the gate runs, the journal keeps
    the refusal; with it the cut-over runs and the journal and the report keep the reason; the rollback
    is never bound to the window."""
    refused = wave.run("cutover", "--limit", "kommune_bergheim", "-e", NO_OVERRIDE)
    assert refused.returncode == 2
    assert ("Cut-over of bergheim refused: its window is 2025-03-21 18:00 to 2025-03-23 18:00 (Europe/Berlin), "
            "it is now ") in text(refused)
    assert [line for line in wave.steps() if line.startswith("cutover")] == ["cutover gate bergheim-dc"]
    journal = wave.journal_of("bergheim")
    assert journal["phases"].get("cutover", []) == []
    (entry,) = journal["refused"]
    assert (entry["phase"], entry["step"], entry["record"]["window"]["position"]) == ("cutover", "gate", "after")
    assert entry["reason"].startswith("Cut-over of bergheim refused: its window is 2025-03-21 18:00")
    assert "wave.window_closed" in findings(wave.latest(), "bergheim")

    bare = wave.run("cutover", "--limit", "kommune_bergheim", "-e", json.dumps({"wave_window_override": True}))
    assert bare.returncode == 2 and "wave_window_override is True; it takes the reason" in text(bare)

    overridden = wave.run("cutover", "--limit", "kommune_bergheim", "-e", "wave_test_fail_at=accounts_delta")
    assert overridden.returncode == 2  # the injected fault, after the gate let it through
    gate = wave.journal_of("bergheim")["phases"]["cutover"][0]
    assert gate["step"] == "gate" and gate["run"] and gate["at"]
    assert gate["record"]["window_override"]["reason"] == OVERRIDE
    assert gate["record"]["window_override"]["by"].endswith("@" + socket.gethostname())
    assert gate["record"]["window"]["start"] == "2025-03-21 18:00"
    used = next(f for k in wave.latest()["kommunen"] for f in k["findings"] if f["key"] == "wave.window_override")
    assert used["kommune"] == "bergheim" and used["summary"].endswith(OVERRIDE)

    rolled = wave.run("rollback", "--limit", "kommune_bergheim", "-e", NO_OVERRIDE)
    assert rolled.returncode == 0, rolled.stdout


def test_a_fault_stops_one_kommune_and_the_rerun_continues_from_its_journal(wave, dry_run):
    failed = wave.run("cutover", "-e", "wave_test_fail_at=final_sync@bergheim-fs")
    assert failed.returncode == 2
    cut = [line for line in wave.steps() if line.startswith("cutover")]
    assert "cutover acceptance altdorf-dc" in cut
    assert "cutover accounts_delta bergheim-dc" not in cut  # the Kommune stopped after its failed step
    assert wave.completed("bergheim", "cutover") == ["gate", "freeze@bergheim-fs"]
    assert "[wave 7] altdorf cutover: all 10 steps done" in progress(failed)
    assert any("bergheim cutover: FAILED on bergheim-fs" in line for line in progress(failed))

    before = len(wave.steps())
    resumed = wave.run("cutover")
    assert resumed.returncode == 0, resumed.stdout
    again = wave.steps()[before:]
    assert sorted(again) == sorted([
        "cutover final_sync bergheim-fs", "cutover accounts_delta bergheim-dc", "cutover shares_verify bergheim-fs",
        "cutover acceptance_frozen bergheim-dc", "cutover name_switch bergheim-dc",
        "cutover service_resumed bergheim-dc", "cutover acceptance bergheim-dc",
    ])
    assert "[wave 7] altdorf cutover: 3/10 final share sync ... already done (journal)" in progress(resumed)
    assert "wave.acceptance_passed" in findings(wave.latest(), "bergheim")


def test_kill_9_during_cutover_then_a_rerun_takes_over_and_continues(wave, dry_run):
    process = wave.start("cutover", "--limit", "kommune_altdorf", "-e", "wave_test_block_at=clients_rewrite")
    wave.wait_for_step("cutover clients_rewrite altdorf-pc", process)
    os.killpg(process.pid, signal.SIGKILL)
    process.wait()
    lock = json.loads((wave.journal / "wave-7" / "altdorf.lock").read_text())
    assert lock["pid"] == process.pid
    assert wave.completed("altdorf", "cutover")[-1] == "accounts_delta@altdorf-dc"

    before = len(wave.steps())
    resumed = wave.run("cutover", "--limit", "kommune_altdorf")
    assert resumed.returncode == 0, resumed.stdout
    assert f"took over the lock {wave.journal}/wave-7/altdorf.lock of PID {process.pid}" in text(resumed)
    assert wave.steps()[before:] == [
        "cutover clients_rewrite altdorf-pc", "cutover shares_verify altdorf-fs",
        "cutover acceptance_frozen altdorf-dc", "cutover name_switch altdorf-dc", "cutover service_resumed altdorf-dc",
        "cutover acceptance altdorf-dc",
    ]


def test_a_second_run_on_the_same_kommune_is_refused(wave, dry_run):
    first = wave.start("cutover", "--limit", "kommune_altdorf", "-e", "wave_test_block_at=freeze")
    try:
        wave.wait_for_step("cutover freeze altdorf-fs", first)
        second = wave.run("cutover", "--limit", "kommune_altdorf")
        assert second.returncode == 2
        assert f"altdorf is being worked on by another run (PID {first.pid} on" in text(second)
        # the other Kommune is free
        other = wave.run("seed", "--limit", "kommune_bergheim")
        assert other.returncode == 0, other.stdout
    finally:
        wave.release.touch()
        output, _ = first.communicate(timeout=300)
    assert first.returncode == 0, output
    assert [line for line in wave.steps() if line == "cutover freeze altdorf-fs"] == ["cutover freeze altdorf-fs"]


def test_finalize_records_the_abnahme_and_refuses_rollback_afterwards(wave, dry_run):
    assert wave.run("finalize", "--limit", "kommune_altdorf").returncode == 2  # nothing cut over yet
    assert wave.run("cutover", "--limit", "kommune_altdorf").returncode == 0
    accepted = wave.run("finalize", "--limit", "kommune_altdorf", "-e", '{"wave_accepted_by": "Erika Muster"}')
    assert accepted.returncode == 0, accepted.stdout
    record = wave.journal_of("altdorf")["finalized"]
    assert record["by"] == "Erika Muster"
    assert "awx" not in record  # from a shell: no AWX job to name
    report = Path(record["report"])
    assert record["report_sha256"] == hashlib.sha256(report.read_bytes()).hexdigest()
    assert "wave.acceptance_passed" in findings(json.loads(report.read_text()), "altdorf")
    assert "wave.accepted" in findings(wave.latest(), "altdorf")

    refused = wave.run("rollback", "--limit", "kommune_altdorf")
    assert refused.returncode == 2
    assert "after the point of no return the phase rollback no longer runs" in text(refused)
    assert not any(line.startswith("rollback") for line in wave.steps())


# What AWX passes to a job a workflow spawned (awx/main/models/unified_jobs.py awx_meta_vars,
# jobs.py): each also as tower_*; only those the Abnahme keeps, and some it does not.
AWX_VARS = {"awx_job_id": 4711, "awx_job_template_name": "umzug Welle - Abnahme", "awx_job_launch_type": "workflow",
            "awx_workflow_job_id": 4700, "awx_workflow_job_name": "umzug Welle", "awx_user_name": "emuster",
            "awx_user_email": "erika.muster@rz.example", "awx_execution_node": "exec-2.rz.example",
            "awx_inventory_id": 3, "tower_job_id": 4711, "tower_user_name": "emuster"}


def test_under_awx_the_abnahme_records_the_job_beside_who_accepted(wave, dry_run):
    assert wave.run("cutover", "--limit", "kommune_altdorf").returncode == 0
    accepted = wave.run("finalize", "--limit", "kommune_altdorf",
                        "-e", json.dumps({"wave_accepted_by": "Erika Muster", **AWX_VARS}))
    assert accepted.returncode == 0, accepted.stdout
    record = wave.journal_of("altdorf")["finalized"]
    assert record["by"] == "Erika Muster"  # the signature stays the named person, not the AWX login
    assert record["awx"] == {"job_id": 4711, "job_template_name": "umzug Welle - Abnahme", "workflow_job_id": 4700,
                             "workflow_job_name": "umzug Welle", "launched_by": "emuster",
                             "execution_node": "exec-2.rz.example"}
    assert wave.journal_of("altdorf")["phases"]["finalize"][0]["record"]["awx"] == record["awx"]


def remote_tmp_of_a_stranger(tmp: Path) -> dict:
    """USER names a login that does not exist here, so Ansible's default remote_tmp (~erika/...)
    would not expand and would be made as a folder literally named ~erika inside the checkout."""
    return {"ANSIBLE_REMOTE_TMP": str(tmp / "remote-tmp")}


@pytest.mark.parametrize("name", ["", "   ", "unknown", "Root"])
def test_the_abnahme_is_signed_by_a_person(tmp_path, name):
    """The first check of the Abnahme, on its own (the role's vars, the step file)."""
    playbook = tmp_path / "sign.yml"
    playbook.write_text(json.dumps([{
        "hosts": "localhost", "gather_facts": False, "vars_files": [str(ROOT / "roles/wave/vars/main.yml")],
        "vars": {"umzug_kommune": {"id": "altdorf"}, "wave_accepted_by": name},
        "tasks": [{"ansible.builtin.include_tasks": str(ROOT / "roles/wave/tasks/steps/accepted.yml")}],
    }]))
    result = subprocess.run([str(BIN / "ansible-playbook"), str(playbook)], cwd=ROOT, capture_output=True, text=True,
                            timeout=300, check=False, env={**os.environ, "USER": "erika", "ANSIBLE_NOCOLOR": "1",
                                                           **remote_tmp_of_a_stranger(tmp_path)})
    assert result.returncode == 2
    assert "altdorf cannot be accepted without the name of the person who accepts it" in text(result)


ARGV_SUITE = """
import json, pathlib, sys
pathlib.Path(sys.argv[1]).write_text(json.dumps(sys.argv[2:]))
path = pathlib.Path(sys.argv[2])
path.parent.mkdir(parents=True, exist_ok=True)
path.write_text(json.dumps({"schema_version": 1, "passed": True, "counts": {"passed": 1}, "expected_skips": {},
                            "tests": []}))
"""


def run_acceptance_step(tmp_path, variables: dict, phase: str = "verify", step: str = "acceptance"):
    """The acceptance step on its own, as the step ``step`` of the phase ``phase`` runs it."""
    playbook = tmp_path / "acceptance.yml"
    playbook.write_text(json.dumps([{
        "hosts": "localhost", "gather_facts": False,
        "tasks": [{"ansible.builtin.include_role": {"name": "kommunal.umzug.wave",
                                                    "tasks_from": "steps/acceptance.yml"},
                   "vars": {**variables, "wave_phase": phase, "__wave_step": {"id": step}}}],
    }]))
    return subprocess.run([str(BIN / "ansible-playbook"), str(playbook)], cwd=ROOT, capture_output=True, text=True,
                          timeout=300, check=False, env={**os.environ, "ANSIBLE_NOCOLOR": "1"})


@pytest.mark.parametrize(("credentials", "mapping", "parts"), [
    ("", "", None),
    ("/etc/umzug/acceptance", "/var/lib/umzug/mapping", ["shares", "accounts"]),
], ids=["defaults", "set"])
def test_the_acceptance_suite_gets_the_folders_and_parts_an_rz_sets(tmp_path, credentials, mapping, parts):
    """The acceptance step on its own: --parts always (every part by default), --credentials-dir
    and --mapping-dir when wave_acceptance_credentials_dir and wave_acceptance_mapping_dir are
    set, and only then (the lab's credentials and the inventory's mapping otherwise)."""
    argv = tmp_path / "argv.json"
    variables = {"umzug_kommune": {"id": "altdorf"}, "wave_acceptance_dir": str(tmp_path),
                 "wave_acceptance_json_dir": str(tmp_path / "acceptance"),
                 "wave_acceptance_credentials_dir": credentials, "wave_acceptance_mapping_dir": mapping,
                 "wave_acceptance_command": [sys.executable, "-c", ARGV_SUITE, str(argv),
                                             "{{ wave_acceptance_json_dir }}/altdorf.json"]}
    if parts is not None:
        variables["wave_acceptance_parts"] = parts
    result = run_acceptance_step(tmp_path, variables)
    assert result.returncode == 0, result.stdout
    expected = [str(tmp_path / "acceptance" / "altdorf.json"),
                f"--parts={','.join(parts or ['shares', 'accounts', 'clients', 'names'])}"]
    if credentials:
        expected.append(f"--credentials-dir={credentials}")
    if mapping:
        expected.append(f"--mapping-dir={mapping}")
    assert json.loads(argv.read_text()) == expected


PARTS_SUITE = """
import json, pathlib, sys
pathlib.Path(sys.argv[1]).write_text(json.dumps(sys.argv[2:]))
parts = sys.argv[-1].removeprefix("--parts=").split(",")
path = pathlib.Path(sys.argv[2])
path.parent.mkdir(parents=True, exist_ok=True)
path.write_text(json.dumps({"schema_version": 1, "passed": True, "counts": {"passed": len(parts)},
                            "expected_skips": {}, "tests": [], "parts_run": parts,
                            "parts_not_run": [p for p in ("shares", "accounts", "clients", "names")
                                              if p not in parts]}))
"""


@pytest.mark.parametrize(("phase", "step", "parts", "ran", "summary"), [
    ("cutover", "acceptance_frozen", None, "shares", "ran inside the freeze, before service resumed: shares; 1 passed"),
    ("cutover", "acceptance", None, "accounts,clients,names",
     "ran after service resumed: accounts, clients, names; 3 passed"),
    # What no run of the cut-over checks is reported as not run; the other run's parts are not.
    ("cutover", "acceptance", ["shares", "accounts"], "accounts", "ran after service resumed: accounts; 1 passed, "
     "0 failed, 0 errors, 0 skipped; not run: clients, names"),
    ("cutover", "acceptance_frozen", ["accounts"], None, None),
    ("verify", "acceptance", None, "shares,accounts,clients,names", "4 passed, 0 failed, 0 errors, 0 skipped"),
], ids=["in-freeze", "after-resume", "after-resume-parts-left-out", "nothing-in-freeze", "verify"])
def test_the_cutover_runs_the_suite_in_two_and_each_finding_says_where(tmp_path, phase, step, parts, ran, summary):
    argv, said = tmp_path / "argv.json", tmp_path / "finding.json"
    variables = {"umzug_kommune": {"id": "altdorf"}, "wave_acceptance_dir": str(tmp_path),
                 "wave_acceptance_json_dir": str(tmp_path / "acceptance"),
                 "wave_acceptance_command": [sys.executable, "-c", PARTS_SUITE, str(argv),
                                             "{{ wave_acceptance_json_dir }}/altdorf.json"]}
    if parts is not None:
        variables["wave_acceptance_parts"] = parts
    playbook = tmp_path / "acceptance.yml"
    playbook.write_text(json.dumps([{
        "hosts": "localhost", "gather_facts": False,
        "tasks": [{"ansible.builtin.include_role": {"name": "kommunal.umzug.wave",
                                                    "tasks_from": "steps/acceptance.yml"},
                   "vars": {**variables, "wave_phase": phase, "__wave_step": {"id": step}}},
                  {"ansible.builtin.copy": {"content": "{{ __wave_acceptance_finding.umzug_findings[0] | to_json }}",
                                            "dest": str(said)},
                   "when": "__wave_acceptance_finding is defined"}],
    }]))
    result = subprocess.run([str(BIN / "ansible-playbook"), str(playbook)], cwd=ROOT, capture_output=True, text=True,
                            timeout=300, check=False, env={**os.environ, "ANSIBLE_NOCOLOR": "1"})
    assert result.returncode == 0, result.stdout
    if ran is None:
        # No part of the run is left: the suite does not start and says nothing; the other run reports it.
        assert not argv.exists() and not said.exists()
        return
    assert json.loads(argv.read_text())[-1] == f"--parts={ran}"
    finding = json.loads(said.read_text())
    assert finding["key"] == "wave.acceptance_passed"
    assert finding["summary"].startswith(summary), finding["summary"]
    assert ("ran inside" in finding["summary"] or "ran after" in finding["summary"]) == (phase == "cutover")


def test_the_abnahme_needs_a_signature_and_no_open_inhibitor_of_the_cutover(wave, dry_run):
    pinned = {"key": "clients.pinned_certificate_changed", "at": "clients_rewrite", "resources": ["fv.rz.test:443"]}
    cutover = wave.run("cutover", "--limit", "kommune_altdorf", "-e", json.dumps({"wave_test_inhibitor": pinned}))
    assert cutover.returncode == 0, cutover.stdout
    cutover_report = wave.reports.joinpath("latest").resolve() / "report.json"
    assert "clients.pinned_certificate_changed" in findings(json.loads(cutover_report.read_text()), "altdorf")

    # no default signature: not the login name
    unsigned = wave.run("finalize", "--limit", "kommune_altdorf",
                        env={"USER": "erika", **remote_tmp_of_a_stranger(wave.tmp)})
    assert unsigned.returncode == 2
    assert "altdorf cannot be accepted without the name of the person who accepts it" in text(unsigned)

    # the acceptance suite passed, but the cut-over raised an inhibitor nothing resolved or waived
    refused = wave.run("finalize", "--limit", "kommune_altdorf", "-e", '{"wave_accepted_by": "Erika Muster"}')
    assert refused.returncode == 2
    assert (f"altdorf cannot be accepted: the inhibitor clients.pinned_certificate_changed (Kommune altdorf, "
            f"fv.rz.test:443) raised in {cutover_report} is neither resolved by a later run nor waived"
            ) in text(refused)
    assert wave.journal_of("altdorf")["finalized"] is None

    waivers = wave.tmp / "waivers.yml"
    waivers.write_text(json.dumps({"waivers": [{
        "key": "clients.pinned_certificate_changed", "kommune": "altdorf", "owner": "Erika Muster",
        "reason": "pin updated in the Fachverfahren's settings, ticket 4711", "expires": "2999-12-31"}]}))
    accepted = wave.run("finalize", "--limit", "kommune_altdorf", "-e", '{"wave_accepted_by": "Erika Muster"}',
                        env={"UMZUG_WAIVER_FILE": str(waivers)})
    assert accepted.returncode == 0, accepted.stdout
    assert wave.journal_of("altdorf")["finalized"]["by"] == "Erika Muster"
    accepted_finding = next(f for k in wave.latest()["kommunen"] for f in k["findings"] if f["key"] == "wave.accepted")
    assert "Accepted risks of the cut-over (waived): clients.pinned_certificate_changed." in accepted_finding["summary"]


def test_rollback_restores_reports_and_lets_the_next_attempt_start_afresh(wave, dry_run):
    assert wave.run("cutover", "--limit", "kommune_bergheim", "-e", "wave_test_fail_at=accounts_delta").returncode == 2
    rolled = wave.run("rollback", "--limit", "kommune_bergheim", "-e", "wave_disable_source_accounts=true")
    assert rolled.returncode == 0, rolled.stdout
    assert [line for line in wave.steps() if line.startswith("rollback")] == [
        "rollback name_switch_back bergheim-dc", "rollback enable_source bergheim-dc",
        "rollback unfreeze bergheim-fs", "rollback rolled_back bergheim-dc",
    ]
    finding = next(f for k in wave.latest()["kommunen"] for f in k["findings"] if f["key"] == "wave.rolled_back")
    assert finding["summary"].startswith("Rolled back: names back, source accounts enabled, source shares writable.")
    assert "kept for the next attempt" in finding["summary"]
    journal = wave.journal_of("bergheim")
    assert journal["phases"] == {} and journal["history"][0]["reason"] == "rolled back"
    assert [e["step"] for e in journal["history"][0]["phases"]["cutover"]][:2] == ["gate", "freeze@bergheim-fs"]


def test_a_seed_the_schedule_stopped_is_partial_keeps_the_gate_closed_and_the_next_seed_completes_it(
        wave, dry_run):
    stopped = {"at": "shares_seed", "items": [
        {"name": "bauamt", "complete": False, "stopped": {"reason": "schedule", "next_allowed": "2027-03-10T20:00"},
         "progress": {"files": 7000, "files_total": 9000, "bytes": 12 << 30, "bytes_total": 20 << 30}},
        {"name": "kaemmerei", "complete": True, "stopped": None,
         "progress": {"files": 3, "files_total": 3, "bytes": 30, "bytes_total": 30}}]}
    first = wave.run("seed", "--limit", "kommune_altdorf", "-e", json.dumps({"wave_test_outcome": stopped}))
    assert first.returncode == 0, first.stdout  # a stopped seed is no failure
    assert "shares_seed@altdorf-fs" not in wave.completed("altdorf", "seed")
    partial = wave.journal_of("altdorf")["partial"]["seed"]["shares_seed@altdorf-fs"]
    assert partial["reason"] == "not done: bauamt" and partial["record"]["items"] == stopped["items"]
    refused = wave.run("cutover", "--limit", "kommune_altdorf")
    assert refused.returncode == 2
    assert ("the seed of altdorf is not complete (bauamt: 7000 of 9000 files, 12.0 GiB of 20.0 GiB on the RZ "
            "(8.0 GiB missing))") in text(refused)
    # The next night: the seed step runs again (the rest of the phase is in the journal) and completes.
    before = len(wave.steps())
    second = wave.run("seed", "--limit", "kommune_altdorf")
    assert second.returncode == 0, second.stdout
    assert wave.steps()[before:] == ["seed shares_seed altdorf-fs"]
    assert "shares_seed@altdorf-fs" in wave.completed("altdorf", "seed")
    assert wave.journal_of("altdorf")["partial"]["seed"] == {}
    assert wave.run("cutover", "--limit", "kommune_altdorf").returncode == 0

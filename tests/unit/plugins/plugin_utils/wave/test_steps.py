"""The Welle's one table (roles/wave/vars/main.yml): complete, runnable, and the phase list the
same everywhere it is read."""

import json
import re
import sys
from pathlib import Path

import pytest
import yaml

from ansible_collections.kommunal.umzug.plugins.plugin_utils.wave import steps as wave_steps

TOP = Path(__file__).resolve().parents[5]
TABLE = wave_steps.load()
ROLE = TOP / "roles" / "wave"
GROUPS = {"dc", "fs", "clients", "name_switch", "kommune"}

# The journal records steps by these names in this order; tests, lab/demo_state.py and the
# journals of running Wellen read them. A change here is a change of the journal's format.
JOURNAL_STEPS = {
    "discover": ["accounts_export", "shares_discover", "clients_discover"],
    "dryrun": ["accounts_dryrun", "shares_dryrun", "estimate", "clients_dryrun", "name_switch_dryrun"],
    "seed": ["accounts_apply", "shares_provision", "shares_seed"],
    "cutover": ["gate", "freeze", "disable_source", "final_sync", "accounts_delta", "clients_rewrite", "shares_verify",
                "acceptance_frozen", "name_switch", "service_resumed", "acceptance"],
    "verify": ["shares_verify", "acceptance"],
    "finalize": ["accepted"],
    "rollback": ["name_switch_back", "clients_restore", "accounts_purge", "enable_source", "unfreeze", "rolled_back"],
}


def role_folder(name: str) -> Path:
    namespace, collection, role = name.split(".")
    assert (namespace, collection) == ("kommunal", "umzug"), f"{name} is not a role of this collection"
    return TOP / "roles" / role


def defaults(folder: Path) -> dict:
    return yaml.safe_load((folder / "defaults" / "main.yml").read_text(encoding="utf-8")) or {}


# --- the table is complete -----------------------------------------------------------------


def test_the_phases_keep_their_steps_in_the_journal_s_names_and_order():
    assert {name: list(phase.steps) for name, phase in TABLE.phases.items()} == JOURNAL_STEPS


def test_every_step_belongs_to_a_phase():
    used = {step for phase in TABLE.phases.values() for step in phase.steps}
    assert sorted(set(TABLE.steps) - used) == []


@pytest.mark.parametrize("step", sorted(TABLE.steps))
def test_every_step_names_an_entry_point_that_exists(step):
    entry = TABLE.steps[step]
    assert entry.group in GROUPS and entry.label
    if entry.tasks:
        assert (ROLE / "tasks" / entry.tasks).is_file(), f"{step}: no roles/wave/tasks/{entry.tasks}"
        return
    assert entry.payload, f"{step} runs nothing"
    for call in entry.payload:
        folder = role_folder(call.role)
        entry_point = folder / "tasks" / f"{call.tasks_from}.yml"
        assert entry_point.is_file(), f"{step}: no {entry_point}"
        # Every variable a step sets is one the payload role documents in its defaults.
        assert sorted(set(call.vars) - set(defaults(folder))) == [], f"{step} sets variables {call.role} does not know"


@pytest.mark.parametrize("step", sorted(s for s in TABLE.steps if TABLE.steps[s].when))
def test_a_switched_step_names_a_variable_of_the_wave_role(step):
    assert isinstance(defaults(ROLE)[TABLE.steps[step].when], bool)


def test_the_wave_role_keeps_a_task_file_only_for_steps_that_do_more_than_include_a_role():
    named = {TABLE.steps[s].tasks for s in TABLE.steps if TABLE.steps[s].tasks}
    assert {f"steps/{p.name}" for p in (ROLE / "tasks" / "steps").glob("*.yml")} == named
    assert named == {"steps/gate.yml", "steps/estimate.yml", "steps/acceptance.yml", "steps/service_resumed.yml",
                     "steps/accepted.yml", "steps/rolled_back.yml"}


@pytest.mark.parametrize(("table", "message"), [
    ({"__wave_phases": {"seed": {"steps": ["nope"], "recorded": True, "after_abnahme": False}}, "__wave_steps": {}},
     "phase seed: no step nope in __wave_steps"),
    ({"__wave_phases": {}, "__wave_steps": {"x": {"label": "x", "group": "fs", "tasks": "steps/x.yml",
                                                  "payload": [{"role": "r", "tasks_from": "main"}]}}},
     "step x: names either a payload or a task file of the wave role (tasks), not both"),
    ({"__wave_phases": {}, "__wave_steps": {"x": {"label": "x", "group": "fs"}}},
     "step x: names either a payload or a task file of the wave role (tasks), not neither"),
    ({"__wave_phases": {}, "__wave_steps": {"x": {"label": "x", "group": "fs", "payload": [{"role": "r"}]}}},
     "step x: a payload entry needs role and tasks_from"),
    ({"__wave_phases": {}, "__wave_steps": {"x": {"label": "x", "group": "fs",
                                                  "payload": [{"role": "r", "tasks_from": "main", "when": "y"}]}}},
     "knows only vars, throttle and check_mode"),
])
def test_a_table_the_role_cannot_run_is_refused(table, message):
    with pytest.raises(wave_steps.TableError, match=re.escape(message)):
        wave_steps.parse(table)


def test_a_payload_entry_keeps_its_variables_and_keywords():
    accounts_apply, = TABLE.steps["accounts_apply"].payload
    assert accounts_apply == wave_steps.Call("kommunal.umzug.accounts", "main", {"accounts_action": "apply"}, 1, None)
    clients_discover, = TABLE.steps["clients_discover"].payload
    assert (clients_discover.check_mode, clients_discover.throttle) == (True, 0)
    assert [c.vars["shares_action"] for c in TABLE.steps["shares_dryrun"].payload] == ["discover", "provision"]


# --- the phase list is the same everywhere it is read ------------------------------------------


PHASES = list(TABLE.phases)


def test_the_journal_knows_the_table_s_phases_and_what_the_abnahme_ends():
    rules = wave_steps.journal_rules()
    assert list(rules.phases) == PHASES == ["discover", "dryrun", "seed", "cutover", "verify", "finalize", "rollback"]
    assert rules.refused_after_finalize == ("seed", "cutover", "rollback")


def test_the_journal_s_documentation_names_the_table_s_phases():
    from ansible_collections.kommunal.umzug.plugins.modules import journal

    phase = yaml.safe_load(journal.DOCUMENTATION)["options"]["phase"]
    assert ", ".join(PHASES) + "." in " ".join(" ".join(phase["description"]).split())


def test_every_phase_has_its_playbook_and_no_other_phase_has_one():
    playbooks = {p.stem.removeprefix("wave_"): p for p in (TOP / "playbooks").glob("wave_*.yml")}
    assert sorted(set(playbooks) - {"usage"}) == sorted(PHASES)
    for phase in PHASES:
        play, = yaml.safe_load(playbooks[phase].read_text(encoding="utf-8"))
        assert play["roles"][0]["vars"]["wave_phase"] == phase
        assert play["name"] == f"Welle - {phase}"


def test_the_playbooks_read_the_phases_from_the_table():
    for name in ("wave.yml", "wave_usage.yml"):
        text = (TOP / "playbooks" / name).read_text(encoding="utf-8")
        assert "lookup('ansible.builtin.file'," in text and "'../roles/wave/vars/main.yml')" in text
        assert "'dryrun'" not in text and "dryrun, seed" not in text


def test_the_demo_runs_the_table_s_phases_from_the_dry_run_to_the_abnahme():
    sys.path.insert(0, str(TOP / "lab"))
    import demo_state

    assert demo_state.demo_phases() == PHASES[PHASES.index("dryrun"): PHASES.index("finalize") + 1]
    makefile = (TOP / "Makefile").read_text(encoding="utf-8")
    assert "lab/demo_state.py --phases" in makefile and "dryrun seed" not in makefile


def test_the_scenario_s_judge_reads_the_table():
    from tests.support import wave_outcome

    assert wave_outcome.RECORDED == [p for p in PHASES if TABLE.phases[p].recorded] == [
        "seed", "cutover", "finalize", "rollback"]


def value(v) -> str:
    return v if isinstance(v, str) else json.dumps(v)


def runs(step: wave_steps.Step) -> str:
    if step.tasks:
        return f"`roles/wave/tasks/{step.tasks}`"
    calls = []
    for call in step.payload:
        keywords = ([f"throttle {call.throttle}"] if call.throttle else []) + (
            [f"check_mode {value(call.check_mode)}"] if call.check_mode is not None else [])
        calls.append(f"{call.role.rsplit('.', 1)[-1]} `{call.tasks_from}`: "
                     + ", ".join(f"`{k}: {value(v)}`" for k, v in call.vars.items())
                     + (f" ({', '.join(keywords)})" if keywords else ""))
    return "; then ".join(calls)


def docs_table() -> str:
    """The table of docs/wave.md "Phases and steps", as the wave's table makes it."""
    rows = ["| phase | recorded | step | on | runs |", "|---|---|---|---|---|"]
    for phase in TABLE.phases.values():
        for index, step in enumerate(TABLE.phase_steps(phase.name)):
            name = f"`{step.id}`" + (f" (if `{step.when}`)" if step.when else "")
            head = (phase.name, "yes" if phase.recorded else "no") if index == 0 else ("", "")
            rows.append(f"| {head[0]} | {head[1]} | {name} | {step.group} | {runs(step)} |")
    return "\n".join(rows)


def test_the_docs_show_the_table_as_it_is():
    docs = (TOP / "docs" / "wave.md").read_text(encoding="utf-8")
    assert docs_table() in docs, f"docs/wave.md 'Phases and steps' should have this table:\n{docs_table()}"


def test_the_docs_run_every_phase_and_no_other():
    docs = (TOP / "docs" / "wave.md").read_text(encoding="utf-8")
    assert sorted(set(re.findall(r"wave_phase=(\w+)", docs))) == sorted(PHASES)


# --- the cut-over's acceptance suite in two ------------------------------------------------------


def test_the_cutover_checks_the_still_data_inside_the_freeze_and_the_rest_after_service_resumed():
    """acceptance_frozen runs before the name switch and service_resumed, acceptance after; the
    frozen parts are parts of the suite, and the default parts cover every part of it."""
    from tests.acceptance.conftest import PARTS

    cutover = list(TABLE.phases["cutover"].steps)
    order = [cutover.index(step) for step in ("freeze", "final_sync", "shares_verify", "acceptance_frozen",
                                              "name_switch", "service_resumed", "acceptance")]
    assert order == sorted(order) and cutover[-1] == "acceptance"
    assert "acceptance_frozen" not in TABLE.phases["verify"].steps
    table = yaml.safe_load((ROLE / "vars" / "main.yml").read_text(encoding="utf-8"))
    assert table["__wave_acceptance_frozen_parts"] == ["shares"]
    assert set(table["__wave_acceptance_frozen_parts"]) < set(PARTS)
    assert defaults(ROLE)["wave_acceptance_parts"] == list(PARTS)
    assert TABLE.steps["acceptance_frozen"].tasks == TABLE.steps["acceptance"].tasks == "steps/acceptance.yml"

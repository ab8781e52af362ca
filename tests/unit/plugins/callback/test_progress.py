"""The progress callback reads progress from task results as data (umzug_progress), never from
their text, and prints the lines the wave's tests and CI logs know."""

from types import SimpleNamespace

import pytest

from ansible_collections.kommunal.umzug.plugins.callback.progress import CallbackModule
from ansible_collections.kommunal.umzug.plugins.plugin_utils.wave.steps import progress_line

WHERE = {"wave": "7", "kommune": "altdorf", "phase": "cutover"}


@pytest.mark.parametrize(("event", "line"), [
    ({"event": "begin", "count": 8, "resumed": 0}, "[wave 7] altdorf cutover: begin, 8 steps"),
    ({"event": "begin", "count": 8, "resumed": 3},
     "[wave 7] altdorf cutover: begin, 8 steps, resuming after 3 completed"),
    ({"event": "step", "index": 3, "count": 8, "step": "final_sync", "label": "final share sync", "state": "running"},
     "[wave 7] altdorf cutover: 3/8 final share sync ... running"),
    ({"event": "step", "index": 3, "count": 8, "step": "final_sync", "label": "final share sync", "state": "journal"},
     "[wave 7] altdorf cutover: 3/8 final share sync ... already done (journal)"),
    ({"event": "done", "count": 8}, "[wave 7] altdorf cutover: all 8 steps done"),
    ({"event": "blocked", "index": 4, "count": 8, "step": "accounts_delta", "label": "accounts delta",
      "missing": ["final_sync@altdorf-fs"]},
     "[wave 7] altdorf cutover: 4/8 accounts delta: not started, because final_sync@altdorf-fs did not complete "
     "(see the failures above; fix them and run the phase again, it continues from the journal)"),
    ({"event": "stopped", "failed_hosts": ["altdorf-fs"], "recorded": True},
     "[wave 7] altdorf cutover: stopped, failed on altdorf-fs; fix the cause and run the phase again, "
     "it continues from the journal"),
    ({"event": "stopped", "failed_hosts": ["altdorf-fs", "altdorf-pc"], "recorded": False},
     "[wave 7] altdorf cutover: stopped, failed on altdorf-fs, altdorf-pc; fix the cause and run the phase again"),
])
def test_the_line_of_each_event(event, line):
    assert progress_line({**WHERE, **event}) == line


def test_an_unknown_event_is_refused():
    with pytest.raises(ValueError, match="'moved' is not a progress event"):
        progress_line({**WHERE, "event": "moved"})


def result(host, task, data):
    return SimpleNamespace(_host=SimpleNamespace(name=host), _task=SimpleNamespace(get_name=lambda: task),
                           _result=data)


@pytest.fixture
def callback(monkeypatch):
    plugin = CallbackModule()
    plugin.lines = []
    monkeypatch.setattr(plugin, "_line", plugin.lines.append)
    return plugin


def step(index, label, **extra):
    return {"umzug_progress": {**WHERE, "event": "step", "index": index, "count": 8, "step": label.replace(" ", "_"),
                               "label": label, "state": "running", **extra}}


def test_progress_is_read_from_the_result_s_data(callback):
    callback.v2_runner_on_ok(result("altdorf-fs", "Progress", step(3, "final share sync")))
    # a payload's own progress follows the Kommune and phase its host stands in
    callback.v2_runner_on_ok(result("altdorf-fs", "Read the progress of share bauamt", {
        "msg": "ignored", "umzug_progress": {"event": "payload", "message": "bauamt (final):\n 12/50 files"}}))
    callback.v2_runner_on_ok(result("bergheim-fs", "Read the progress", {
        "umzug_progress": {"event": "payload", "message": "bauamt (seed): listing source and target"}}))
    assert callback.lines == ["[wave 7] altdorf cutover: 3/8 final share sync ... running",
                              "[wave 7] altdorf cutover: bauamt (final): 12/50 files",
                              "bergheim-fs: bauamt (seed): listing source and target"]


@pytest.mark.parametrize("data", [
    # text that looks like progress is not progress: only the data counts
    {"msg": "[wave 7] altdorf cutover: 3/8 final share sync ... running"},
    {"msg": "listing source and target"},
    {"umzug_progress": "[wave 7] altdorf cutover: begin"},
    {"umzug_progress": {}},
])
def test_a_result_without_progress_data_prints_nothing(callback, data):
    callback.v2_runner_on_ok(result("altdorf-fs", "Progress", data))
    assert callback.lines == []


def test_a_failure_names_where_the_host_stands(callback):
    callback.v2_runner_on_ok(result("altdorf-fs", "Progress", step(3, "final share sync")))
    callback.v2_runner_on_failed(result("altdorf-fs", "Sync share bauamt", {"msg": "rsync:\n  connection lost"}))
    callback.v2_runner_on_unreachable(result("altdorf-pc", "Rewrite", {"msg": "ssh: timed out"}))
    callback.v2_runner_on_failed(result("altdorf-dc", "Ignored", {"msg": "x"}), ignore_errors=True)
    assert callback.lines[1:] == [
        "[wave 7] altdorf cutover: FAILED on altdorf-fs (Sync share bauamt): rsync: connection lost",
        "[wave] outside a wave step: UNREACHABLE on altdorf-pc (Rewrite): ssh: timed out",
    ]


def test_the_wave_s_own_refusal_says_its_kommune_and_step_from_its_data(callback):
    refusal = {"failed": True, "msg": "not read", "umzug_progress": {
        **WHERE, "event": "blocked", "index": 4, "count": 8, "step": "accounts_delta", "label": "accounts delta",
        "missing": ["final_sync@altdorf-fs", *(f"clients_rewrite@altdorf-pc{n:02}" for n in range(12))]}}
    callback.v2_runner_on_failed(result("altdorf-dc", "Stop where an earlier step of the Kommune did not complete",
                                        refusal))
    line, = callback.lines
    assert line.startswith("[wave 7] altdorf cutover: FAILED on altdorf-dc (Stop where an earlier step of the "
                           "Kommune did not complete): 4/8 accounts delta: not started, because final_sync@altdorf-fs")
    # the message is cut at 240 characters, as Ansible's own would be
    assert len(line.split("): ", 1)[1]) + len("[wave 7] altdorf cutover: ") == 240 and line.endswith("...")


# --- failures a block's rescue handles ---------------------------------------------------------

GATE = {"name": "Gate", "block": [{"name": "Gate - the window", "fail": {"msg": "refused"}}],
        "rescue": [{"name": "Record the refusal", "debug": {"msg": "recorded"}},
                   {"name": "Stop the Kommune's cut-over where the gate refused",
                    "fail": {"msg": "refused"}}]}


def tasks_of(*blocks):
    """The play's tasks by name, loaded by Ansible itself: each with the blocks around it."""
    from ansible.parsing.dataloader import DataLoader
    from ansible.playbook.play import Play
    from ansible.vars.manager import VariableManager

    loader = DataLoader()
    play = Play.load({"hosts": "localhost", "gather_facts": False, "tasks": list(blocks)}, loader=loader,
                     variable_manager=VariableManager(loader=loader))
    found = {}

    def walk(block):
        for item in (block.block or []) + (block.rescue or []) + (block.always or []):
            if hasattr(item, "block"):
                walk(item)
            else:
                found[item.name] = item
    for block in play.compile():
        walk(block)
    return found


def failed(callback, task, reason):
    callback.v2_runner_on_failed(SimpleNamespace(_host=SimpleNamespace(name="altdorf-cl"), _task=task,
                                                 _result={"failed": True, "msg": reason}))


def test_a_refusal_the_gate_s_rescue_records_and_re_raises_is_printed_once(callback):
    refusal = "Cut-over of altdorf refused: its window is 2025-03-14 18:00 to 2025-03-16 18:00 (Europe/Berlin)"
    callback.v2_runner_on_ok(result("altdorf-cl", "Progress", step(1, "gate")))
    tasks = tasks_of({"name": "Step", "block": [GATE]})
    failed(callback, tasks["Gate - the window"], refusal)
    failed(callback, tasks["Stop the Kommune's cut-over where the gate refused"], refusal)
    assert callback.lines[1:] == [
        "[wave 7] altdorf cutover: FAILED on altdorf-cl (Stop the Kommune's cut-over where the gate refused): "
        + refusal]


def test_a_failure_in_a_rescue_goes_to_the_rescue_of_the_block_around_it(callback):
    tasks = tasks_of({"name": "Outer", "block": [GATE], "rescue": [{"name": "Handled", "debug": {}}]},
                     {"name": "Unrescued", "block": [{"name": "Fails", "fail": {}}],
                      "always": [{"name": "Always fails", "fail": {}}]})
    for name in ("Gate - the window", "Stop the Kommune's cut-over where the gate refused", "Fails", "Always fails"):
        failed(callback, tasks[name], "no")
    assert callback.lines == ["[wave] outside a wave step: FAILED on altdorf-cl (Fails): no",
                              "[wave] outside a wave step: FAILED on altdorf-cl (Always fails): no"]

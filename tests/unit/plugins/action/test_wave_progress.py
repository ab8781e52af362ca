"""kommunal.umzug.wave_progress: the event's data, with only the arguments that belong to it."""

import pytest

from ansible_collections.kommunal.umzug.plugins.action.wave_progress import ARGUMENT_SPEC, progress_of
from ansible_collections.kommunal.umzug.plugins.plugin_utils.wave import steps as wave_steps

ARGS = {"wave": "7", "kommune": "altdorf", "phase": "seed", "count": 3, "index": 2, "step": "shares_provision",
        "label": "shares provision", "state": "running", "resumed": 1, "missing": [], "failed_hosts": [],
        "recorded": True}


@pytest.mark.parametrize(("event", "keys"), [
    ("begin", ["count", "resumed"]),
    ("done", ["count"]),
    ("step", ["count", "index", "label", "state", "step"]),
    ("blocked", ["count", "index", "label", "missing", "step"]),
    ("stopped", ["failed_hosts", "recorded"]),
])
def test_each_event_carries_its_own_data(event, keys):
    progress = progress_of({**ARGS, "event": event})
    assert sorted(progress) == sorted(["event", "kommune", "phase", "wave", *keys])
    assert {key: progress[key] for key in keys} == {key: ARGS[key] for key in keys}


def test_the_action_s_events_are_those_the_line_knows():
    assert set(ARGUMENT_SPEC["event"]["choices"]) | {"payload"} == set(wave_steps.PROGRESS_EVENTS)

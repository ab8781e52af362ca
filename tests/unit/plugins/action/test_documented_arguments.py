"""An action plugin validates its task's arguments with its own spec, and its module stub documents
them: the two agree option by option (name, type, elements, required, default, choices)."""

import pytest
import yaml

from ansible_collections.kommunal.umzug.plugins.action import acceptance_report as acceptance_action
from ansible_collections.kommunal.umzug.plugins.action import gate as gate_action
from ansible_collections.kommunal.umzug.plugins.action import wave_estimate as estimate_action
from ansible_collections.kommunal.umzug.plugins.modules import acceptance_report, gate, journal, wave_estimate
from ansible_collections.kommunal.umzug.plugins.plugin_utils.wave import journal as journal_spec

PAIRS = [
    (gate, gate_action.ARGUMENT_SPEC),
    (acceptance_report, acceptance_action.ARGUMENT_SPEC),
    (journal, journal_spec.ARGUMENT_SPEC),
    (wave_estimate, estimate_action.ARGUMENT_SPEC),
]
FIELDS = ("type", "elements", "required", "default", "choices")


def normalised(option: dict) -> dict:
    return {"required": False, "default": None, "elements": None, "choices": None,
            **{key: option[key] for key in FIELDS if key in option}}


@pytest.mark.parametrize(("stub", "spec"), PAIRS, ids=[stub.__name__.rsplit(".", 1)[1] for stub, _ in PAIRS])
def test_the_module_stub_documents_the_action_plugins_arguments(stub, spec):
    documented = yaml.safe_load(stub.DOCUMENTATION)["options"]
    assert sorted(documented) == sorted(spec)
    for name, option in spec.items():
        assert normalised(documented[name]) == normalised(option), name


@pytest.mark.parametrize("stub", [gate, acceptance_report, journal, wave_estimate])
def test_the_stub_is_documentation_only_and_says_it_runs_on_the_controller(stub):
    assert not hasattr(stub, "main")
    assert yaml.safe_load(stub.DOCUMENTATION)["attributes"]["action"]["support"] == "full"

import json
from pathlib import Path

import jsonschema
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ansible_collections.kommunal.umzug.plugins.module_utils.findings import (
    Changes,
    Finding,
    FindingError,
    Remediation,
)


def make(**over):
    base = {"key": "shares.path_too_long", "title": "Path too long", "summary": "s",
            "severity": "high", "payload": "shares"}
    base.update(over)
    return base


def test_round_trip_keeps_every_field():
    finding = Finding(key="accounts.name_collision", title="t", summary="s", severity="medium",
                      payload="accounts", inhibitor=True, remediation=Remediation("playbook", "fix.yml"),
                      resources=("CN=x",), kommune="kommune-a", host="kommune-a-dc")
    assert Finding.from_dict(finding.to_dict()) == finding


@pytest.mark.parametrize(
    ("over", "message"),
    [
        ({"key": "Shares.Bad"}, "is not a dotted lower-case key"),
        ({"key": "nodot"}, "is not a dotted lower-case key"),
        ({"severity": "critical"}, "severity 'critical' is not one of info, low, medium, high"),
        ({"payload": "mail"}, "payload 'mail' is not one of"),
        ({"title": ""}, "title is empty"),
        # what the report schema says of each field is the model's to check (report.json leaves findings out)
        ({"key": 7}, "finding key 7 is not a dotted lower-case key"),
        ({"title": ["a"]}, r"title must be text, not \['a'\]"),
        ({"summary": 3}, "summary must be text, not 3"),
        ({"resources": ["ok", 5]}, r"resources must be a list of texts, not \['ok', 5\]"),
        ({"kommune": 12}, "kommune must be text or null, not 12"),
        ({"host": ["h"]}, r"host must be text or null, not \['h'\]"),
        ({"remediation": {"kind": "hint", "text": None}}, "remediation hint: its text must be text, not None"),
        ({"params": {"share": {"name": "daten"}}},
         "parameter share is {'name': 'daten'}, neither text, a list, a reason"),
    ],
)
def test_bad_findings_are_refused_with_a_clear_message(over, message):
    with pytest.raises(FindingError, match=message):
        Finding.from_dict(make(**over))


def test_missing_field_is_named():
    data = make()
    del data["severity"]
    with pytest.raises(FindingError, match="missing field 'severity'"):
        Finding.from_dict(data)


def test_bad_remediation_kind():
    with pytest.raises(FindingError, match="remediation kind 'email'"):
        Remediation("email", "x")


def test_changes_count_exactly_and_cut_items():
    changes = Changes(payload="shares", limit=2)
    for i in range(5):
        changes.add("copied", f"file{i}")
    changes.add("deleted", "old")
    data = changes.to_dict()
    assert data["counts"] == {"copied": 5, "deleted": 1}
    assert data["items"]["copied"] == ["file0", "file1"]
    assert data["truncated"] is True
    assert changes.total == 6


# A finding's fields as anything a task could return: text, numbers, None, lists and mappings of them.
ANYTHING = st.recursive(
    st.none() | st.booleans() | st.integers() | st.text(max_size=8),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.sampled_from(["code", "de", "en", "x"]), inner,
                                                                  max_size=3),
    max_leaves=6,
)
FIELDS = st.fixed_dictionaries(
    {"key": st.sampled_from(["shares.path_too_long", "accounts.x_y"]) | ANYTHING,
     "title": st.sampled_from(["Titel"]) | ANYTHING,
     "severity": st.sampled_from(["high", "low"]) | ANYTHING,
     "payload": st.sampled_from(["shares", "clients"]) | ANYTHING},
    optional={name: ANYTHING for name in ("summary", "inhibitor", "remediation", "resources", "kommune", "host",
                                          "params")}
    | {"remediation": st.fixed_dictionaries({"kind": st.sampled_from(["hint", "mail"]), "text": ANYTHING})},
)
FINDING_SCHEMA = {
    "$defs": json.loads((Path(__file__).resolve().parents[4] / "schemas" / "report.schema.json").read_text())["$defs"],
    "$ref": "#/$defs/finding",
}


@settings(max_examples=400, deadline=None)
@given(FIELDS, st.none() | st.text(max_size=5))
def test_what_the_model_accepts_fits_the_report_schema(fields, task):
    """report.json leaves the findings out of its schema check (the model made them): the model must
    refuse every finding the schema would, with a FindingError rather than a crash."""
    try:
        entry = Finding.from_dict(fields).to_dict()
    except FindingError:
        return
    jsonschema.Draft202012Validator(FINDING_SCHEMA).validate({**entry, "task": task, "waiver": None})

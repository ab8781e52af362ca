import pytest

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

import pytest

from ansible_collections.kommunal.umzug.plugins.modules.accounts_rollback import rollback_steps

OU = "OU=Altdorf,OU=Kommunen,DC=rz,DC=test"
RECORDS = [
    {"dn": "OU=Kommunen,DC=rz,DC=test", "kind": "ou", "sid": None},
    {"dn": OU, "kind": "ou", "sid": None},
    {"dn": f"CN=a,{OU}", "kind": "user", "sid": "S-1-5-21-7-8-9-1601"},
    {"dn": f"CN=g,{OU}", "kind": "group", "sid": "S-1-5-21-7-8-9-1602"},
    {"dn": f"CN=b,{OU}", "kind": "user", "sid": "S-1-5-21-7-8-9-1603"},
]


def state(**over):
    current = {r["dn"].lower(): {"sid": r["sid"], "enabled": r["kind"] == "user"} for r in RECORDS}
    current.update({dn.lower(): value for dn, value in over.items()})
    return current


@pytest.mark.parametrize(("mode", "expected"), [
    ("disable", [("disable", f"CN=b,{OU}"), ("disable", f"CN=a,{OU}")]),
    ("delete", [("delete", f"CN=b,{OU}"), ("delete", f"CN=g,{OU}"), ("delete", f"CN=a,{OU}"),
                ("delete_ou", OU), ("delete_ou", "OU=Kommunen,DC=rz,DC=test")]),
])
def test_undoes_only_objects_in_the_undo_record_newest_first(mode, expected):
    ops, skipped = rollback_steps(RECORDS, state(), mode)
    assert ops == expected
    assert skipped == []


def test_object_with_another_sid_is_left_alone():
    ops, skipped = rollback_steps(RECORDS, state(**{f"CN=a,{OU}": {"sid": "S-1-5-21-7-8-9-9999", "enabled": True}}),
                                  "delete")
    assert ("delete", f"CN=a,{OU}") not in ops
    assert skipped == [f"CN=a,{OU}"]


def test_already_gone_or_disabled_needs_nothing():
    current = state(**{f"CN=b,{OU}": {"sid": "S-1-5-21-7-8-9-1603", "enabled": False}})
    del current[f"CN=a,{OU}".lower()]
    assert rollback_steps(RECORDS, current, "disable") == ([], [])

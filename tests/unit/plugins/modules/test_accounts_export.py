import pytest

from ansible_collections.kommunal.umzug.plugins.modules import accounts_export

ARGS = {"bind_dn": "Administrator@a.test", "bind_password": "x" * 12, "ca_file": "/nonexistent/ca.crt"}


@pytest.mark.parametrize("server", ["ldap://a-dc", "a-dc"])
def test_refuses_unencrypted_ldap(run_module, server):
    result = run_module(accounts_export.main, {**ARGS, "server": server}, fails=True)
    assert "ldaps://" in result["msg"]


def test_unreachable_server_fails_with_its_name(run_module):
    result = run_module(accounts_export.main, {**ARGS, "server": "ldaps://127.0.0.1:1"}, fails=True)
    assert "ldaps://127.0.0.1:1" in result["msg"]
    assert ARGS["bind_password"] not in result["msg"]


def test_findings_for_service_accounts_computers_and_foreign_members():
    model = {"users": [{"name": "svc-scan", "service": True}, {"name": "hm", "service": False}],
             "computers": [{"name": "PC1$"}], "foreign_members": ["CN=S-1-5-11,CN=ForeignSecurityPrincipals"]}
    found = {f["key"]: f for f in accounts_export.findings_for(model, "kommune-a")}
    assert set(found) == {"accounts.service_account", "accounts.computers_not_migrated", "accounts.foreign_members"}
    assert found["accounts.service_account"]["resources"] == ["svc-scan"]
    assert found["accounts.computers_not_migrated"]["kommune"] == "kommune-a"

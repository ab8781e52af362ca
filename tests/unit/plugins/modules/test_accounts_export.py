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


def test_users_umzug_disabled_at_the_source_are_exported_as_before(run_module, monkeypatch, tmp_path):
    """The delta after disable_source: the undo record's accounts come out enabled, one the Kommune
    disabled itself stays disabled."""
    def user(name, enabled):
        return {"key": f"S-1-5-21-1-{name}", "sid": f"S-1-5-21-1-{name}", "dn": f"CN={name},DC=a,DC=test",
                "name": name, "enabled": enabled, "service": False}

    monkeypatch.setattr(accounts_export, "export", lambda params: {
        "users": [user("hmueller", False), user("pschneider", False)], "computers": [], "foreign_members": []})
    (tmp_path / "20261121T230000000000-source.yml").write_text(
        "source_disabled:\n- {dn: 'CN=hmueller,DC=a,DC=test', sid: S-1-5-21-1-hmueller, name: hmueller}\n")
    result = run_module(accounts_export.main, {**ARGS, "server": "ldaps://a-dc", "undo_dir": str(tmp_path)})
    assert result["held_by_umzug"] == ["hmueller"]
    assert {u["name"]: u["enabled"] for u in result["directory"]["users"]} == {"hmueller": True, "pschneider": False}
    assert result["changed"] is False
    # Without the undo record (the central directory's export) the state is the one read.
    result = run_module(accounts_export.main, {**ARGS, "server": "ldaps://a-dc"})
    assert result["held_by_umzug"] == [] and not result["directory"]["users"][0]["enabled"]


def test_a_bad_undo_record_file_is_named(run_module, tmp_path):
    (tmp_path / "20261121T230000000000.yml").write_text("[unclosed\n")
    result = run_module(accounts_export.main, {**ARGS, "server": "ldaps://a-dc", "undo_dir": str(tmp_path)},
                        fails=True)
    assert "20261121T230000000000.yml" in result["msg"]


def test_the_central_directorys_export_raises_no_finding_of_a_kommune(run_module, monkeypatch):
    """One finding per fact: the accounts step exports the Kommune's directory and the central one;
    only the first is migrated. The central directory's own foreign members (Samba puts well-known
    SIDs into Pre-Windows 2000 Compatible Access in every domain), computers and service accounts
    were reported as the Kommune's, so accounts.foreign_members appeared twice for each Kommune."""
    def model(base):
        return {"users": [{"key": "S-1-5-21-1-1103", "sid": "S-1-5-21-1-1103", "dn": f"CN=svc-backup,{base}",
                           "name": "svc-backup", "service": True, "enabled": True}],
                "computers": [{"name": "DC1$"}],
                "foreign_members": [f"CN=S-1-5-11,CN=ForeignSecurityPrincipals,{base}"]}

    monkeypatch.setattr(accounts_export, "export", lambda params: model(params["server"]))
    source = run_module(accounts_export.main, {**ARGS, "server": "ldaps://a-dc", "kommune": "kommune-a"})
    central = run_module(accounts_export.main, {**ARGS, "server": "ldaps://rz-dc", "findings": False})
    both = source["umzug_findings"] + central["umzug_findings"]
    assert [f["key"] for f in both].count("accounts.foreign_members") == 1
    assert central["umzug_findings"] == [] and central["directory"]["foreign_members"]


@pytest.mark.parametrize(
    ("exclude", "findings", "excluded", "keys"),
    [
        ([], True, [], []),
        (["KOMMUNEC\\umzug-repl"], True, ["umzug-repl"], ["accounts.replication_account_excluded"]),
        (["umzug-repl@KOMMUNE-C.TEST"], False, ["umzug-repl"], []),
        (["someone-else"], True, [], []),
    ],
)
def test_the_replication_account_is_left_out_and_reported_once(run_module, monkeypatch, exclude, findings,
                                                                 excluded, keys):
    def user(name):
        return {"key": f"S-1-5-21-1-{name}", "sid": f"S-1-5-21-1-{name}", "dn": f"CN={name},DC=c,DC=test",
                "name": name, "enabled": True, "service": False}

    monkeypatch.setattr(accounts_export, "export", lambda params: {
        "users": [user("hmueller"), user("umzug-repl")], "computers": [], "foreign_members": [],
        "groups": [{"name": "Alle", "key": "S-1-5-21-1-513", "members": ["S-1-5-21-1-hmueller",
                                                                            "S-1-5-21-1-umzug-repl"]}]})
    result = run_module(accounts_export.main, {**ARGS, "server": "ldaps://c-dc", "kommune": "kommune-c",
                                               "exclude": exclude, "findings": findings})
    assert result["excluded"] == excluded
    names = [u["name"] for u in result["directory"]["users"]]
    assert ("umzug-repl" in names) is (not excluded)
    assert ("S-1-5-21-1-umzug-repl" in result["directory"]["groups"][0]["members"]) is (not excluded)
    found = [f for f in result["umzug_findings"] if f["key"].startswith("accounts.replication")]
    assert [f["key"] for f in found] == keys
    if keys:
        assert found[0]["resources"] == ["umzug-repl"] and found[0]["severity"] == "info"
        assert "umzug-repl" in found[0]["summary"] and "not exported" in found[0]["summary"]

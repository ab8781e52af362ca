"""accounts_source: disable the migrated accounts at the source, enable exactly those again."""

import pytest
import yaml

from ansible_collections.kommunal.umzug.plugins.modules import accounts_source

SID = "S-1-5-21-1-2-3"
BASE = "DC=kommune-a,DC=test"


def dn(name):
    return f"CN={name},CN=Users,{BASE}"


def user(rid, name):
    return {"key": f"{SID}-{rid}", "sid": f"{SID}-{rid}", "name": name, "dn": dn(name)}


DIRECTORY = {"users": [user(500, "Administrator"), user(1105, "hmueller"), user(1106, "jgrosse"),
                       user(1107, "alt"), user(1108, "neu"), user(1109, "admin2")]}
MAPPING = {"users": [
    {"old_name": n, "old_sid": f"{SID}-{rid}", "status": "active", "new_sid": None if n == "neu" else f"S-9-{rid}"}
    for rid, n in ((500, "Administrator"), (1105, "hmueller"), (1106, "jgrosse"), (1107, "alt"), (1108, "neu"),
                   (1109, "admin2"))]}


class FakeSource:
    """The source DC's users: hmueller and jgrosse enabled, alt disabled already."""

    def __init__(self, params):
        self.users_now = FakeSource.state

    def users(self):
        return {k: dict(v) for k, v in self.users_now.items()}

    def set_disabled(self, dn, uac, disabled):
        if dn == FakeSource.fail_on:
            raise OSError("the DC went away")
        self.users_now[dn.lower()]["uac"] = uac | 2 if disabled else uac & ~2

    def close(self):
        pass


@pytest.fixture
def source(monkeypatch, tmp_path):
    FakeSource.state = {dn(n).lower(): {"sid": f"{SID}-{rid}", "uac": uac} for rid, n, uac in (
        (500, "Administrator", 512), (1105, "hmueller", 512), (1106, "jgrosse", 512), (1107, "alt", 514),
        (1108, "neu", 512), (1109, "admin2", 512))}
    FakeSource.fail_on = None
    monkeypatch.setattr(accounts_source, "Source", FakeSource)

    def args(state, **more):
        return {"state": state, "server": "ldaps://a-dc", "bind_dn": "admin2@kommune-a.test", "bind_password": "x",
                "ca_file": "/ca.crt", "directory": DIRECTORY, "mapping": MAPPING,
                "undo_dir": str(tmp_path / "undo"), **more}
    return args, tmp_path / "undo"


def uac(name):
    return FakeSource.state[dn(name).lower()]["uac"]


def undo_record(path):
    return [yaml.safe_load(p.read_text()) for p in sorted(path.glob("*.yml"))]


def test_disable_records_exactly_what_it_disabled_and_enable_undoes_exactly_that(run_module, source):
    args, path = source
    first = run_module(accounts_source.main, args("disabled"))
    # Not the well-known account, not the one not migrated yet, not the bind account, not
    # the one disabled already.
    assert [a["name"] for a in first["accounts"]] == ["hmueller", "jgrosse"]
    assert undo_record(path) == [{"source_disabled": first["accounts"]}]
    assert (uac("hmueller"), uac("jgrosse"), uac("alt"), uac("neu"), uac("Administrator")) == (514, 514, 514, 512, 512)
    assert not run_module(accounts_source.main, args("disabled"))["changed"]
    enabled = run_module(accounts_source.main, args("enabled", directory=None, mapping=None))
    assert [a["name"] for a in enabled["accounts"]] == ["hmueller", "jgrosse"]
    assert (uac("hmueller"), uac("jgrosse"), uac("alt")) == (512, 512, 514)
    # Once given back, a later rollback leaves them alone even if someone disables one.
    FakeSource.state[dn("jgrosse").lower()]["uac"] = 514
    assert not run_module(accounts_source.main, args("enabled"))["changed"]
    assert uac("jgrosse") == 514


@pytest.mark.parametrize("keep", [["jgrosse"], ["KOMMUNEA\\JGrosse"], ["jgrosse@kommune-a.test"]])
def test_umzugs_own_accounts_are_never_disabled(run_module, source, keep):
    """The replication account the hashes of a later delta come with stays usable."""
    args, path = source
    first = run_module(accounts_source.main, args("disabled", keep=keep))
    assert [a["name"] for a in first["accounts"]] == ["hmueller"]
    assert undo_record(path) == [{"source_disabled": first["accounts"]}]
    assert (uac("hmueller"), uac("jgrosse")) == (514, 512)


@pytest.mark.parametrize(("text", "name"), [
    ("umzug-repl", "umzug-repl"), ("KOMMUNEA\\Umzug-Repl", "umzug-repl"), ("umzug-repl@kommune-a.test", "umzug-repl"),
])
def test_account_name(text, name):
    assert accounts_source.account_name(text) == name


def test_check_mode_changes_nothing_and_writes_no_undo_record(run_module, source):
    args, path = source
    result = run_module(accounts_source.main, args("disabled"), check=True, diff=True)
    assert result["changed"] and uac("hmueller") == 512 and not path.exists()
    assert result["diff"]["after"] == {dn("hmueller"): "disabled", dn("jgrosse"): "disabled"}


def test_a_run_stopped_half_way_records_what_it_did(run_module, source):
    args, path = source
    FakeSource.fail_on = dn("jgrosse")
    result = run_module(accounts_source.main, args("disabled"), fails=True)
    assert "the DC went away" in result["msg"]
    assert [[a["name"] for a in r["source_disabled"]] for r in undo_record(path)] == [["hmueller"]]


def test_an_account_with_another_sid_now_is_left_alone(run_module, source):
    args, _ = source
    run_module(accounts_source.main, args("disabled"))
    FakeSource.state[dn("hmueller").lower()]["sid"] = f"{SID}-2000"
    result = run_module(accounts_source.main, args("enabled"))
    assert [a["name"] for a in result["accounts"]] == ["jgrosse"]
    assert uac("hmueller") == 514
    assert result["umzug_findings"][0]["key"] == "accounts.source_skipped"


def test_openldap_source_is_reported_not_changed(run_module, source):
    args, path = source
    result = run_module(accounts_source.main, args("disabled", flavour="openldap"))
    assert not result["changed"] and not path.exists()
    (finding,) = result["umzug_findings"]
    assert finding["key"] == "accounts.source_disable_unsupported"
    assert finding["resources"] == ["hmueller", "jgrosse", "alt"]


def test_plain_ldap_is_refused(run_module, source):
    args, _ = source
    result = run_module(accounts_source.main, args("disabled", server="ldap://a-dc"), fails=True)
    assert "is not an ldaps:// URI" in result["msg"]


def test_without_pyyaml_the_module_fails_with_one_sentence_and_changes_nothing(run_module, source, monkeypatch):
    monkeypatch.setattr(accounts_source, "YAML_ERROR", "Traceback: No module named 'yaml'")
    args, path = source
    before = {k: dict(v) for k, v in FakeSource.state.items()}
    result = run_module(accounts_source.main, args("disabled"), fails=True)
    assert result["msg"].startswith("Failed to import the required Python library (PyYAML)")
    assert FakeSource.state == before and not path.exists()

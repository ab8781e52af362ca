"""accounts_hashes: the method's arguments, the one result shape of both methods, and the
errors, with fakes in place of Samba's bindings."""

import pytest

from ansible_collections.kommunal.umzug.plugins.module_utils.accounts import drsuapi
from ansible_collections.kommunal.umzug.plugins.modules import accounts_hashes

SID = "S-1-5-21-1-2-3"
HASH = "23d3896e9aaea7e1e33220d3b5de5e25"
DRS = {"method": "drsuapi", "server": "a-dc", "username": "umzug-repl", "password": "geheim"}


@pytest.fixture
def local(monkeypatch):
    calls = []

    def read_hashes(path, sids):
        calls.append((path, list(sids)))
        return {f"{SID}-1105": HASH}
    monkeypatch.setattr(accounts_hashes, "read_hashes", read_hashes)
    return calls


@pytest.fixture
def remote(monkeypatch):
    calls = []

    def read_hashes(sids, server, username, password, domain):
        calls.append((list(sids), server, username, password, domain))
        if FAIL:
            raise drsuapi.ReplicationError(FAIL[0])
        return {f"{SID}-1105": HASH}, [f"{SID}-1106"]
    FAIL = []
    monkeypatch.setattr(drsuapi, "read_hashes", read_hashes)
    return calls, FAIL


def test_local_is_the_default_and_reads_the_samdb(run_module, local, remote):
    got = run_module(accounts_hashes.main, {"sids": [f"{SID}-1105", f"{SID.lower()}-1106"]})
    assert got["hashes"] == {f"{SID}-1105": HASH}
    assert got["missing"] == [f"{SID}-1106"]
    assert got["changed"] is False
    assert local == [("/var/lib/samba/private/sam.ldb", [f"{SID}-1105", f"{SID.lower()}-1106"])]
    assert remote[0] == []


def test_drsuapi_gives_the_same_shape(run_module, local, remote):
    got = run_module(accounts_hashes.main, {"sids": [f"{SID}-1105", f"{SID}-1106"], **DRS, "domain": "KOMMUNEA"})
    assert got["hashes"] == {f"{SID}-1105": HASH}
    assert got["missing"] == [f"{SID}-1106"]
    assert got["changed"] is False
    assert remote[0] == [([f"{SID}-1105", f"{SID}-1106"], "a-dc", "umzug-repl", "geheim", "KOMMUNEA")]
    assert local == []


def test_drsuapi_error_is_the_message(run_module, local, remote):
    remote[1].append("the account umzug-repl may not replicate password hashes from the Kommune's DC a-dc")
    got = run_module(accounts_hashes.main, {"sids": [f"{SID}-1105"], **DRS}, fails=True)
    assert got["msg"] == "the account umzug-repl may not replicate password hashes from the Kommune's DC a-dc"
    assert "hashes" not in got


def test_password_is_not_returned(run_module, local, remote):
    got = run_module(accounts_hashes.main, {"sids": [f"{SID}-1105"], **DRS})
    assert "geheim" not in repr(got)


@pytest.mark.parametrize(("args", "message"), [
    ({"method": "drsuapi", "username": "u", "password": "p"},
     "method is drsuapi but all of the following are missing: server"),
    ({"method": "drsuapi", "server": "a-dc", "password": "p"}, "username"),
    ({"method": "drsuapi", "server": "a-dc", "username": "u"}, "password"),
    ({"server": "a-dc"}, "server belong(s) to method drsuapi; method is local"),
    ({"username": "u", "password": "p"}, "username, password belong(s) to method drsuapi; method is local"),
    ({"method": "ldap"}, "value of method must be one of: local, drsuapi"),
])
def test_arguments_that_do_not_fit_fail_with_one_sentence(run_module, local, remote, args, message):
    got = run_module(accounts_hashes.main, {"sids": [f"{SID}-1105"], **args}, fails=True)
    assert message in got["msg"]
    assert local == [] and remote[0] == []


@pytest.mark.parametrize("method", [{}, DRS])
def test_a_text_that_is_no_sid_fails_before_any_read(run_module, local, remote, method):
    got = run_module(accounts_hashes.main, {"sids": [f"{SID}-1105", "hmueller"], **method}, fails=True)
    assert got["msg"] == "not a SID: hmueller"
    assert local == [] and remote[0] == []


def test_local_error_keeps_its_message(run_module, monkeypatch):
    def broken(path, sids):
        raise OSError("sam.ldb is locked")
    monkeypatch.setattr(accounts_hashes, "read_hashes", broken)
    got = run_module(accounts_hashes.main, {"sids": [f"{SID}-1105"]}, fails=True)
    assert got["msg"] == "reading password hashes failed: sam.ldb is locked"

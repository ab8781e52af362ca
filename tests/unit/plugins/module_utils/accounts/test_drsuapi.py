"""accounts/drsuapi.py without Samba's bindings: result shaping, chunking and the sentences
of its errors, against a fake session. The real path is proven by Molecule (accounts)."""

import pytest

from ansible_collections.kommunal.umzug.plugins.module_utils.accounts import drsuapi

DOMAIN = "S-1-5-21-1-2-3"
SERVER = "a-dc.kommune-a.test"
USER = "KOMMUNEA\\umzug-repl"


class NTSTATUSError(Exception):
    """Named as Samba's, which is all error_code looks at."""


class WERRORError(Exception):
    pass


def sid(rid):
    return f"{DOMAIN}-{rid}"


class FakeSession:
    """A DC with users by SID: {sid: (dn, object sid, hash bytes or None)}; errors by DN."""

    def __init__(self, users, errors=None):
        self.users, self.errors = users, errors or {}
        self.cracked, self.replicated = [], []

    def crack(self, sids):
        self.cracked.append(list(sids))
        return {s: self.users[s][0] if s in self.users else None for s in sids}

    def replicate(self, dn):
        self.replicated.append(dn)
        if dn in self.errors:
            raise self.errors[dn]
        return next((obj_sid, nt) for d, obj_sid, nt in self.users.values() if d == dn)


HMUELLER = bytes.fromhex("23d3896e9aaea7e1e33220d3b5de5e25")
JGROSSE = bytes.fromhex("00112233445566778899aabbccddeeff")


def users():
    return {
        sid(1105): ("CN=hmueller,CN=Users,DC=a", sid(1105), HMUELLER),
        sid(1106): ("CN=jgrosse,CN=Users,DC=a", sid(1106), JGROSSE),
        # No NT hash set at the source.
        sid(1107): ("CN=ohne,CN=Users,DC=a", sid(1107), None),
        # Found through sIDHistory: the object has another SID.
        sid(1108): ("CN=neu,CN=Users,DC=a", sid(2001), JGROSSE),
        # Replicated with an empty hash.
        sid(1109): ("CN=leer,CN=Users,DC=a", sid(1109), b""),
    }


@pytest.mark.parametrize(("asked", "hashes", "missing"), [
    ([sid(1105)], {sid(1105): HMUELLER.hex()}, []),
    ([sid(1105), sid(1106)], {sid(1105): HMUELLER.hex(), sid(1106): JGROSSE.hex()}, []),
    ([sid(1107)], {}, [sid(1107)]),
    ([sid(1108)], {}, [sid(1108)]),
    ([sid(1109)], {}, [sid(1109)]),
    ([sid(1999)], {}, [sid(1999)]),
    # Lower case and doubles: one spelling, once (as the local path's upper()).
    ([sid(1105).lower(), sid(1105)], {sid(1105): HMUELLER.hex()}, []),
    ([], {}, []),
])
def test_collect_shapes_the_result_as_the_local_path(asked, hashes, missing):
    got = drsuapi.collect(FakeSession(users()), asked, server=SERVER, username=USER)
    assert got == (hashes, missing)


def test_collect_cracks_in_chunks_and_replicates_only_what_was_found(monkeypatch):
    monkeypatch.setattr(drsuapi, "CRACK_CHUNK", 2)
    session = FakeSession(users())
    asked = [sid(1105), sid(1106), sid(1999), sid(1107), sid(1998)]
    drsuapi.collect(session, asked, server=SERVER, username=USER)
    assert [len(c) for c in session.cracked] == [2, 2, 1]
    assert sorted(session.replicated) == ["CN=hmueller,CN=Users,DC=a", "CN=jgrosse,CN=Users,DC=a",
                                          "CN=ohne,CN=Users,DC=a"]


def test_an_object_gone_between_lookup_and_replication_is_missing():
    session = FakeSession(users(), errors={"CN=jgrosse,CN=Users,DC=a": WERRORError(0x20F7, "WERR_DS_DRA_BAD_DN")})
    got = drsuapi.collect(session, [sid(1105), sid(1106)], server=SERVER, username=USER)
    assert got == ({sid(1105): HMUELLER.hex()}, [sid(1106)])


@pytest.mark.parametrize(("error", "expected"), [
    (WERRORError(0x2105, "WERR_DS_DRA_ACCESS_DENIED"),
     f"the account {USER} may not replicate password hashes from the Kommune's DC {SERVER} "
     f"(WERR_DS_DRA_ACCESS_DENIED): it needs DS-Replication-Get-Changes and DS-Replication-Get-Changes-All on the "
     "domain naming context (extended rights 1131f6aa-9c07-11d1-f79f-00c04fc2dcd2 and "
     "1131f6ad-9c07-11d1-f79f-00c04fc2dcd2)"),
    (WERRORError(5, "WERR_ACCESS_DENIED"), "WERR_ACCESS_DENIED): it needs DS-Replication-Get-Changes and"),
    (NTSTATUSError(0xC000020C, "disconnected"),
     f"the Kommune's DC {SERVER} went away while replicating CN=hmueller,CN=Users,DC=a (the connection was closed)"),
    (WERRORError(0x1F, "WERR_GEN_FAILURE"),
     f"replicating CN=hmueller,CN=Users,DC=a from the Kommune's DC {SERVER} failed: WERR_GEN_FAILURE"),
])
def test_replication_errors_are_one_sentence(error, expected):
    session = FakeSession(users(), errors={"CN=hmueller,CN=Users,DC=a": error})
    with pytest.raises(drsuapi.ReplicationError) as caught:
        drsuapi.collect(session, [sid(1105)], server=SERVER, username=USER)
    assert expected in str(caught.value)


@pytest.mark.parametrize(("error", "expected"), [
    (NTSTATUSError(0xC0000236, "refused"),
     f"the Kommune's DC {SERVER} is unreachable over DRSUAPI (the connection was refused; ports 135 and the DC's "
     "RPC ports must be open from the RZ's central DC)"),
    (NTSTATUSError(0xC000023D, "not reachable"), "is unreachable over DRSUAPI (the host is unreachable;"),
    (NTSTATUSError(0xC0000034, "not found"), "is unreachable over DRSUAPI (its name does not resolve;"),
    (NTSTATUSError(0xC00000B5, "timeout"), "is unreachable over DRSUAPI (the connection timed out;"),
    (NTSTATUSError(0xC000006D, "The attempted logon is invalid."),
     f"authentication as {USER} at the Kommune's DC {SERVER} failed (user name or password is wrong)"),
    (NTSTATUSError(0xC0000072, "disabled"), "failed (the account is disabled)"),
    (NTSTATUSError(0xC0000234, "locked"), "failed (the account is locked out)"),
    (NTSTATUSError(0xC0000001, "NT_STATUS_UNSUCCESSFUL"),
     f"connecting to the Kommune's DC {SERVER} over DRSUAPI failed: NT_STATUS_UNSUCCESSFUL"),
    (RuntimeError("no bindings"), f"connecting to the Kommune's DC {SERVER} over DRSUAPI failed: no bindings"),
])
def test_connect_errors_are_one_sentence(error, expected):
    assert expected in drsuapi.explain_connect(error, SERVER, USER)


@pytest.mark.parametrize(("error", "expected"), [
    (NTSTATUSError(0xC000006D, "x"), ("ntstatus", 0xC000006D)),
    (WERRORError(0x2105, "x"), ("werror", 0x2105)),
    (RuntimeError("x"), (None, None)),
    (NTSTATUSError("no code"), (None, None)),
])
def test_error_code(error, expected):
    assert drsuapi.error_code(error) == expected


@pytest.mark.parametrize(("username", "domain", "expected"), [
    ("umzug-repl", "KOMMUNEA", ("umzug-repl", "KOMMUNEA")),
    ("umzug-repl", None, ("umzug-repl", None)),
    ("KOMMUNEA\\umzug-repl", None, ("umzug-repl", "KOMMUNEA")),
    # An explicit domain wins over the one in the name.
    ("ALT\\umzug-repl", "KOMMUNEA", ("umzug-repl", "KOMMUNEA")),
    # A UPN stays whole: the DC resolves it.
    ("umzug-repl@kommune-a.test", None, ("umzug-repl@kommune-a.test", None)),
])
def test_split_account(username, domain, expected):
    assert drsuapi.split_account(username, domain) == expected


def test_read_hashes_opens_one_session_with_the_arguments():
    opened = []

    def factory(server, username, password, domain):
        opened.append((server, username, password, domain))
        return FakeSession(users())

    got = drsuapi.read_hashes([sid(1105)], SERVER, USER, "geheim", "KOMMUNEA", session_factory=factory)
    assert got == ({sid(1105): HMUELLER.hex()}, [])
    assert opened == [(SERVER, USER, "geheim", "KOMMUNEA")]

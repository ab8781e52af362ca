"""The SID codec (module_utils/identity/sid.py): text, binary, domains and RIDs, Samba's Unix
SIDs and the universal-SID rule, each as a table of input and expected result."""

import struct

import pytest

from ansible_collections.kommunal.umzug.plugins.module_utils.identity import sid as sid_codec
from ansible_collections.kommunal.umzug.plugins.module_utils.identity.sid import SidError

DOMAIN = "S-1-5-21-2859257317-1914608930-1199397322"


def binary_sid(text: str) -> bytes:
    """An encoder of its own (MS-DTYP 2.4.2.2), so decoding is not tested against itself."""
    parts = [int(p) for p in text.split("-")[2:]]
    return bytes([1, len(parts) - 1]) + parts[0].to_bytes(6, "big") + struct.pack(f"<{len(parts) - 1}I", *parts[1:])


# --- text --------------------------------------------------------------------------------

@pytest.mark.parametrize(("text", "expected"), [
    ("S-1-1-0", True),
    ("S-1-5", True),                                    # an authority without sub-authorities
    (f"{DOMAIN}-1105", True),
    ("S-1-22-1-100000", True),
    ("S-1-5-" + "-".join(["1"] * 15), True),            # 15 sub-authorities: the most there are
    ("S-1-5-" + "-".join(["1"] * 16), False),
    ("S-1-5-21-4294967295", True),
    ("S-1-5-21-4294967296", False),                     # a sub-authority is 32 bits
    ("S-1-281474976710655", True),
    ("S-1-281474976710656", False),                     # the authority is 48 bits
    ("s-1-1-0", False),                                 # files hold the one spelling ...
    ("S-1-5-032-544", False),                           # ... without leading zeros
    ("S-2-1-0", False),                                 # revision 1 only
    ("S-1", False), ("S-1-", False), ("S-1-5-", False), ("S--1-5", False), ("X-1-5-3", False),
    ("S-1-5-abc", False), ("S-1-5-\u00b2", False), ("S-1-5-\u0663", False),  # ASCII digits only
    ("", False), (None, False), (513, False),
])
def test_is_sid(text, expected):
    assert sid_codec.is_sid(text) is expected


@pytest.mark.parametrize(("text", "expected"), [
    ("S-1-1-0", "S-1-1-0"),
    ("s-1-1-0", "S-1-1-0"),
    ("s-1-5-32-0544", "S-1-5-32-544"),
    (f"{DOMAIN}-1105".lower(), f"{DOMAIN}-1105"),
])
def test_normalise(text, expected):
    assert sid_codec.normalise(text) == expected


@pytest.mark.parametrize("text", ["S-1", "X-1-5-3", "S-1-5-abc", "S-1-5-4294967296", "S-1-5-21-", ""])
def test_normalise_refuses(text):
    with pytest.raises(SidError, match="is not a SID"):
        sid_codec.normalise(text)


def test_numbers_order_sids_as_numbers():
    sids = ["S-1-5-21-1-2-3-1000", "S-1-5-21-1-2-3-999", "S-1-5-32-544", "S-1-1-0"]
    assert sorted(sids, key=sid_codec.numbers) == ["S-1-1-0", "S-1-5-21-1-2-3-999", "S-1-5-21-1-2-3-1000",
                                                   "S-1-5-32-544"]
    assert sid_codec.numbers("S-1-5-32-544") == (1, 5, 32, 544)


# --- binary ------------------------------------------------------------------------------

@pytest.mark.parametrize("sid", [f"{DOMAIN}-1115", "S-1-5-32-544", "S-1-1-0", "S-1-5", "S-1-22-1-100000",
                                 "S-1-281474976710655-4294967295"])
def test_binary_round_trip(sid):
    raw = binary_sid(sid)
    assert sid_codec.to_bytes(sid) == raw
    assert sid_codec.from_bytes(raw) == sid
    assert sid_codec.read(b"\xff" * 3 + raw + b"tail", 3) == (sid, len(raw))


@pytest.mark.parametrize("raw", [
    b"",
    b"\x01\x05abc",
    b"\x02\x00" + b"\x00" * 6,                          # revision 2
    binary_sid("S-1-1-0") + b"\x00",                    # more than one SID
    binary_sid("S-1-1-0")[:-1],                         # cut off
    bytes([1, 16]) + b"\x00" * 6 + b"\x00" * 64,        # 16 sub-authorities
])
def test_from_bytes_refuses(raw):
    with pytest.raises(SidError, match="is not a binary SID"):
        sid_codec.from_bytes(raw)


@pytest.mark.parametrize(("data", "offset", "message"), [
    (b"\x01\x01\x00\x00\x00\x00\x00", 0, "SID at offset 0 is cut off"),
    (b"\x00" * 4 + binary_sid("S-1-5-32-544")[:-1], 4, "no valid SID at offset 4"),
    (b"\x02\x00" + b"\x00" * 6, 0, "no valid SID at offset 0"),
])
def test_read_says_where(data, offset, message):
    with pytest.raises(SidError, match=message):
        sid_codec.read(data, offset)


@pytest.mark.parametrize("text", ["S-1", "X-1-5-3", "S-1-5-abc", "S-1-5-4294967296", "S-1-281474976710656"])
def test_to_bytes_refuses(text):
    with pytest.raises(SidError, match="is not a SID"):
        sid_codec.to_bytes(text)


# --- domains and RIDs --------------------------------------------------------------------

@pytest.mark.parametrize(("sid", "domain", "rid"), [
    (f"{DOMAIN}-1105", DOMAIN, 1105),
    (f"{DOMAIN}-513", DOMAIN, 513),
    ("S-1-5-32-544", "S-1-5-32", 544),
    ("S-1-22-2-100000", "S-1-22-2", 100000),
    ("s-1-5-21-1-2-3-500", "S-1-5-21-1-2-3", 500),
])
def test_split_rid(sid, domain, rid):
    assert sid_codec.split_rid(sid) == (domain, rid)
    assert sid_codec.rid(sid) == rid


@pytest.mark.parametrize("sid", ["S-1-5", "S-1-1"])
def test_a_sid_without_sub_authorities_has_no_rid(sid):
    with pytest.raises(SidError, match="has no RID"):
        sid_codec.split_rid(sid)


@pytest.mark.parametrize(("text", "expected"), [
    (DOMAIN, True),
    ("S-1-5-21-1-2-3", True),
    (f"{DOMAIN}-1105", False),                          # an account, not the domain
    ("S-1-5-21-1-2", False),
    ("S-1-5-32-544", False),
    ("s-1-5-21-1-2-3", False),
    (None, False),
])
def test_is_domain_sid(text, expected):
    assert sid_codec.is_domain_sid(text) is expected


@pytest.mark.parametrize(("sid", "expected"), [
    (f"{DOMAIN}-1105", True), ("S-1-5-21-1-2-3", True), ("S-1-5-32-544", False), ("S-1-5-18", False),
    ("S-1-22-1-0", False), ("S-1-1-0", False),
])
def test_in_domain(sid, expected):
    assert sid_codec.in_domain(sid) is expected


@pytest.mark.parametrize(("rid", "expected"), [(500, True), (513, True), (999, True), (1000, False), (1105, False)])
def test_is_well_known_rid(rid, expected):
    assert sid_codec.is_well_known_rid(rid) is expected


# --- Samba's Unix SIDs -------------------------------------------------------------------

@pytest.mark.parametrize(("kind", "number", "sid"), [
    ("uid", 0, "S-1-22-1-0"),
    ("uid", 100001, "S-1-22-1-100001"),
    ("gid", 0, "S-1-22-2-0"),
    ("gid", 200000, "S-1-22-2-200000"),
])
def test_unix_sid_round_trip(kind, number, sid):
    assert sid_codec.unix_sid(kind, number) == sid
    assert sid_codec.parse_unix(sid) == (kind, number)


@pytest.mark.parametrize(("sid", "expected"), [
    ("s-1-22-1-5", ("uid", 5)),
    ("S-1-22-3-5", None),                               # not a uid or gid
    ("S-1-22-1-5-6", None),                             # one number after the kind, no more
    ("S-1-22-1", None),
    ("S-1-5-21-1-2-3-1105", None),
    ("S-1-1-0", None),
])
def test_parse_unix_only_takes_a_uid_or_gid(sid, expected):
    assert sid_codec.parse_unix(sid) == expected


def test_unix_sid_of_another_kind_is_refused():
    with pytest.raises(SidError, match="uid or a gid"):
        sid_codec.unix_sid("sid", 5)


# --- the universal-SID rule --------------------------------------------------------------

@pytest.mark.parametrize(("sid", "expected"), [
    ("S-1-1-0", True),                                  # Everyone
    ("S-1-3-0", True),                                  # CREATOR OWNER
    ("S-1-3-1", True),                                  # CREATOR GROUP
    ("S-1-5-11", True),                                 # Authenticated Users
    ("S-1-5-18", True),                                 # SYSTEM
    ("S-1-5-32-544", True),                             # BUILTIN\Administrators
    ("S-1-5-32-545", True),                             # BUILTIN\Users
    ("s-1-1-0", True),
    (f"{DOMAIN}-513", False),                           # Domain Users: the domain's own
    (f"{DOMAIN}-1105", False),
    ("S-1-5-21-1-2-3", False),
    ("S-1-22-1-0", False),                              # a Unix host's uid
    ("S-1-22-2-100", False),
    ("S-1-22-3-1", False),                              # anything of a Unix host
])
def test_is_universal(sid, expected):
    assert sid_codec.is_universal(sid) is expected

import pytest

from ansible_collections.kommunal.umzug.plugins.module_utils.shares.posix_acl import (
    GROUP,
    GROUP_OBJ,
    MASK,
    OTHER,
    USER,
    USER_OBJ,
    Entry,
    PosixAclError,
    describe,
    pack,
    parse,
    translate,
)

# getfacl of a seeded lab file: u::rwx, u:101113:rwx (hmueller), g::---, g:100512:rwx,
# g:101103:rwx (Bauamt), g:101111:r-x (Bauamt-Lesen), m::rwx, o::---
ACL = [Entry(USER_OBJ, 7), Entry(USER, 7, 101113), Entry(GROUP_OBJ, 0), Entry(GROUP, 7, 100512),
       Entry(GROUP, 7, 101103), Entry(GROUP, 5, 101111), Entry(MASK, 7), Entry(OTHER, 0)]
UIDS = {101113: 200013}
GIDS = {100512: 512000, 101103: 200103, 101111: 200111}


def test_round_trip_is_byte_exact():
    data = pack(ACL)
    assert pack(parse(data)) == data


def test_translation_maps_named_entries_only():
    result = translate(pack(ACL), UIDS.get, GIDS.get)
    assert (result.unmapped_uids, result.unmapped_gids) == ((), ())
    assert describe(result.data) == "u::rwx,u:200013:rwx,g::---,g:200103:rwx,g:200111:r-x,g:512000:rwx,m::rwx,o::---"


def test_unmapped_id_is_kept_and_reported():
    result = translate(pack(ACL), UIDS.get, lambda gid: None if gid == 101111 else GIDS.get(gid))
    assert result.unmapped_gids == (101111,)
    assert "g:101111:r-x" in describe(result.data)


def test_translation_is_idempotent_for_identity_maps():
    data = pack(ACL)
    assert translate(data, lambda i: i, lambda i: i).data == data


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (b"\x02\x00", "is not a header and whole entries"),
        (b"\x01\x00\x00\x00", "version 1 is not 2"),
        (pack([Entry(USER_OBJ, 7)])[:-1], "is not a header and whole entries"),
        (pack([Entry(0x40, 7)]), "unknown entry tag 0x40"),
    ],
)
def test_broken_acl_says_what_is_wrong(data, message):
    with pytest.raises(PosixAclError, match=message):
        parse(data)

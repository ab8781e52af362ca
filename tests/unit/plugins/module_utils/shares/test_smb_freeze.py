"""smb_freeze: the share ACL of a frozen Windows share, built by the one SD codec (ntacl):
which entries are cut to read and execute, what stays, a missing DACL, idempotence, the
record that restores the original byte for byte, paths under the share."""

import pytest

from ansible_collections.kommunal.umzug.plugins.module_utils.shares import ntacl, smb_freeze

USER, ADMINS, EVERYONE = "S-1-5-21-1-2-3-1107", "S-1-5-32-544", "S-1-1-0"
RX = 0x1200A9


def sd(*aces, control=0x8004, owner=ADMINS, group="S-1-5-18", dacl=True):
    return ntacl.SecurityDescriptor(control, owner, group, None,
                                    ntacl.Acl(2, tuple(aces)) if dacl else None).to_bytes()


def masks(sd_bytes):
    return [(ace.type, ace.mask, ace.sid) for ace in ntacl.parse_sd(sd_bytes).dacl.aces]


@pytest.mark.parametrize("ace, mask", [
    (ntacl.Ace(0, 0, 0x1F01FF, USER), RX),              # Full Control
    (ntacl.Ace(0, 0, 0x1301BF, USER), RX),              # Change
    (ntacl.Ace(0, 0, 0x10000000, USER), RX),            # GENERIC_ALL
    (ntacl.Ace(0, 0, 0xA0000000 | 0x40000, USER), RX),  # generic read and execute plus WRITE_DAC
    (ntacl.Ace(0, 0, 0x120089 | 0x80000, USER), 0x120089),  # read plus take-ownership
    (ntacl.Ace(0, 0, 0x10000, USER), 0),                # delete only: nothing of it is read
    (ntacl.Ace(0, 0, 0x2, USER), 0),                    # write only: never widened to read
    (ntacl.Ace(0, 0, RX, USER), RX),                    # Read stays
    (ntacl.Ace(0, 0, 0x120089, USER), 0x120089),        # read without execute stays
    (ntacl.Ace(1, 0, 0x1F01FF, USER), 0x1F01FF),        # deny stays, whatever it denies
    (ntacl.Ace(0, 0x3, 0x1F01FF, USER), RX),            # inheritance flags kept (checked below)
])
def test_entries_that_grant_writing_are_cut_to_read_and_execute(ace, mask):
    frozen = ntacl.parse_sd(smb_freeze.frozen_sd(sd(ace)))
    [after] = frozen.dacl.aces
    assert (after.type, after.flags, after.sid, after.mask) == (ace.type, ace.flags, ace.sid, mask)


def test_the_rest_of_the_descriptor_is_untouched():
    original = sd(ntacl.Ace(1, 0, 0x2, "S-1-5-21-1-2-3-1108"), ntacl.Ace(0, 0, 0x1F01FF, ADMINS),
                  ntacl.Ace(0, 0, RX, EVERYONE), control=0x8404)
    frozen = ntacl.parse_sd(smb_freeze.frozen_sd(original))
    before = ntacl.parse_sd(original)
    assert (frozen.control, frozen.owner, frozen.group, frozen.sacl) == (before.control, before.owner,
                                                                         before.group, before.sacl)
    assert masks(smb_freeze.frozen_sd(original)) == [(1, 0x2, "S-1-5-21-1-2-3-1108"), (0, RX, ADMINS),
                                                     (0, RX, EVERYONE)]


def test_a_callback_entry_keeps_its_application_data():
    body = (0x1F01FF).to_bytes(4, "little") + ntacl._sid_bytes(USER) + b"artx\x00\x00\x00\x00"
    original = ntacl.SecurityDescriptor(0x8004, None, None, None,
                                        ntacl.Acl(2, (ntacl.Ace(9, 0, 0x1F01FF, USER, raw_body=body),))).to_bytes()
    [after] = ntacl.parse_sd(smb_freeze.frozen_sd(original)).dacl.aces
    assert after.mask == RX and after.raw_body[4:] == body[4:]


@pytest.mark.parametrize("original", [None, b"", sd(dacl=False, control=0x8000)])
def test_no_dacl_means_everyone_full_and_becomes_everyone_read(original):
    frozen = smb_freeze.frozen_sd(original)
    assert masks(frozen) == [(0, RX, EVERYONE)]
    assert ntacl.parse_sd(frozen).control & smb_freeze.SE_DACL_PRESENT


def test_an_empty_dacl_grants_nothing_and_stays():
    original = sd()
    assert smb_freeze.frozen_sd(original) == original


@pytest.mark.parametrize("original", [
    None, sd(ntacl.Ace(0, 0, 0x1F01FF, EVERYONE)), sd(ntacl.Ace(0, 0, 0x1301BF, USER), ntacl.Ace(1, 0, 0x2, ADMINS)),
])
def test_freezing_a_frozen_share_gives_the_same_bytes(original):
    once = smb_freeze.frozen_sd(original)
    assert smb_freeze.frozen_sd(once) == once


def test_the_record_gives_back_the_original_byte_for_byte():
    original = sd(ntacl.Ace(0, 0, 0x1F01FF, EVERYONE)) + b""  # as the server sent it
    record = smb_freeze.record_of("fs", "bauamt", original, smb_freeze.frozen_sd(original))
    assert smb_freeze.original_of(record) == original
    assert record["server"] == "fs" and record["share"] == "bauamt"
    assert smb_freeze.original_of(smb_freeze.record_of("fs", "b", None, b"x")) is None


@pytest.mark.parametrize("original, lines", [
    (None, ["(no security descriptor: Everyone full)"]),
    (sd(dacl=False), ["(NULL DACL: Everyone full)"]),
    (sd(), ["(empty DACL: nobody)"]),
    (sd(ntacl.Ace(0, 0x3, 0x1F01FF, USER), ntacl.Ace(1, 0, 0x2, ADMINS)),
     [f"allow {USER} 0x001f01ff flags 0x03", f"deny {ADMINS} 0x00000002"]),
])
def test_acl_lines(original, lines):
    assert smb_freeze.acl_lines(original) == lines


@pytest.mark.parametrize("path, inside", [
    ("C:\\Shares\\Bauamt\\plan.docx", True), ("c:\\shares\\bauamt", True), ("C:/Shares/Bauamt/a/b", True),
    ("C:\\Shares\\Bauamt2\\plan.docx", False), ("C:\\Shares", False), ("D:\\Shares\\Bauamt\\x", False),
])
def test_under(path, inside):
    assert smb_freeze.under(path, "C:\\Shares\\Bauamt\\") is inside
    assert smb_freeze.under(path, "") is False

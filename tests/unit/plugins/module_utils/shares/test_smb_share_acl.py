"""smb_share_acl: the share ACL of a Windows share translated for its RZ share, its SDDL for
sharesec --setsddl, and what sharesec --view prints, read back."""

import pytest

from ansible_collections.kommunal.umzug.plugins.module_utils.shares import ntacl, smb_share_acl
from ansible_collections.kommunal.umzug.plugins.module_utils.shares.smb_share_acl import Entry

OLD, NEW = "S-1-5-21-1-2-3", "S-1-5-21-7-8-9"
MAP = {f"{OLD}-1110": f"{NEW}-1202", f"{OLD}-1105": f"{NEW}-1201"}


def translate(sid):
    return sid if sid.startswith(("S-1-1-", "S-1-5-32-")) else MAP.get(sid)


def sd(*aces, owner=None):
    return ntacl.SecurityDescriptor(0x8004, owner, None, None, ntacl.Acl(2, tuple(aces))).to_bytes()


@pytest.mark.parametrize(("source", "entries", "dropped"), [
    # Everyone full and a Kommune group with Change: the group gets its new SID.
    (sd(ntacl.Ace(0, 0, 0x1F01FF, "S-1-1-0"), ntacl.Ace(0, 0, 0x1301BF, f"{OLD}-1110")),
     (Entry(0, 0, 0x1F01FF, "S-1-1-0"), Entry(0, 0, 0x1301BF, f"{NEW}-1202")), ()),
    # An unmapped SID's entry is left out and named; deny entries keep their place and flags.
    (sd(ntacl.Ace(1, 0x3, 0x10000, f"{OLD}-1105"), ntacl.Ace(0, 0, 0x1200A9, f"{OLD}-1999"),
        ntacl.Ace(0, 0, 0x1F01FF, "S-1-5-32-544"), owner=f"{OLD}-1999"),
     (Entry(1, 0x3, 0x10000, f"{NEW}-1201"), Entry(0, 0, 0x1F01FF, "S-1-5-32-544")), (f"{OLD}-1999",)),
    # No SD at all, or a NULL DACL: Everyone full.
    (None, (Entry(0, 0, 0x1F01FF, "S-1-1-0"),), ()),
    (ntacl.SecurityDescriptor(0x8000, None, None, None, None).to_bytes(), (Entry(0, 0, 0x1F01FF, "S-1-1-0"),), ()),
    # An empty DACL grants nobody anything, and stays so.
    (sd(), (), ()),
])
def test_the_share_acl_is_translated_and_unmapped_entries_are_left_out(source, entries, dropped):
    result = smb_share_acl.carried(source, translate)
    assert result.entries == entries and result.dropped == dropped


def test_entries_other_than_allow_and_deny_are_refused():
    source = sd(ntacl.Ace(0, 0, 0x1F01FF, "S-1-1-0"), ntacl.Ace(2, 0x40, 0x10000, "S-1-1-0"))
    with pytest.raises(smb_share_acl.ShareAclError, match="ACE type 2"):
        smb_share_acl.carried(source, translate)


def test_the_sddl_names_type_flags_hex_mask_and_sid():
    entries = (Entry(0, 0, 0x1F01FF, "S-1-1-0"), Entry(1, 0x13, 0x1200A9, f"{NEW}-1201"))
    assert smb_share_acl.sddl(entries) == f"D:(A;;0x001f01ff;;;S-1-1-0)(D;OICIID;0x001200a9;;;{NEW}-1201)"
    assert smb_share_acl.sddl(()) == "D:"


# As sharesec of Samba 4.17 printed them in the lab image for SDDL set with --setsddl.
VIEW = """REVISION:1
CONTROL:SR|DP
OWNER:
GROUP:
ACL:S-1-1-0:ALLOWED/0x0/FULL
ACL:S-1-5-21-1-2-3-1105:ALLOWED/OI|CI/RWXD
ACL:S-1-5-32-545:DENIED/0x0/READ
ACL:S-1-5-21-1-2-3-1106:ALLOWED/0x0/0x10000000
ACL:S-1-5-32-544:ALLOWED/0x0/W
"""


def test_sharesec_view_is_read_back_into_entries():
    assert smb_share_acl.parse_view(VIEW) == (
        Entry(0, 0, 0x1F01FF, "S-1-1-0"), Entry(0, 0x3, 0x1301BF, "S-1-5-21-1-2-3-1105"),
        Entry(1, 0, 0x1200A9, "S-1-5-32-545"), Entry(0, 0, 0x10000000, "S-1-5-21-1-2-3-1106"),
        Entry(0, 0, 0x120116, "S-1-5-32-544"))


@pytest.mark.parametrize("line", ["ACL:S-1-1-0:ALLOWED/0x0/FULLISH", "ACL:S-1-1-0:ALLOWED/XX/FULL",
                                  "ACL:S-1-1-0:MAYBE/0x0/FULL", "ACL:S-1-1-0:ALLOWED"])
def test_a_view_line_umzug_cannot_read_is_an_error(line):
    with pytest.raises(smb_share_acl.ShareAclError):
        smb_share_acl.parse_view(line)


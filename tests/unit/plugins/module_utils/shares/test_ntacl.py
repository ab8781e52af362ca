import base64
import json
from pathlib import Path

import pytest

from ansible_collections.kommunal.umzug.plugins.module_utils.shares.ntacl import (
    Ace,
    Acl,
    NtaclError,
    SecurityDescriptor,
    ntacl_v1,
    parse_sd,
    sd_from_ntacl,
    translate_sd,
)

FIXTURE = json.loads((Path(__file__).parent / "fixtures" / "ntacl_samba417.json").read_text())
OLD = "S-1-5-21-2859257317-1914608930-1199397322"
NEW = "S-1-5-21-100-200-300"


def blob(name):
    return base64.b64decode(FIXTURE[name])


def test_reads_the_sd_of_a_samba_v4_blob():
    sd = sd_from_ntacl(blob("file_v4"))
    assert sd.owner == f"{OLD}-1113"
    assert sd.group == f"{OLD}-513"
    assert [(a.sid, hex(a.mask)) for a in sd.dacl.aces] == [
        (f"{OLD}-1113", "0x1f01ff"), (f"{OLD}-512", "0x1f01ff"),
        (f"{OLD}-1103", "0x1301ff"), (f"{OLD}-1111", "0x1200a9"),
    ]


def test_writes_the_v1_blob_byte_for_byte_as_samba_does():
    assert ntacl_v1(sd_from_ntacl(blob("file_v4"))) == blob("file_v1_by_samba")


def test_v1_blob_reads_back_to_the_same_sd():
    sd = sd_from_ntacl(blob("dir_v4"))
    assert sd_from_ntacl(ntacl_v1(sd)) == sd


def test_inheritance_flags_and_well_known_sids_survive():
    sd = sd_from_ntacl(blob("dir_v4"))
    creator_owner = [a for a in sd.dacl.aces if a.sid == "S-1-3-0"]
    assert [(a.flags, a.mask) for a in creator_owner] == [(0x0B, 0x1F01FF)]  # OI|CI|IO


def test_translation_maps_every_sid_and_keeps_well_known_ones():
    mapping = {f"{OLD}-1113": f"{NEW}-4001", f"{OLD}-513": f"{NEW}-513", f"{OLD}-512": f"{NEW}-512",
               f"{OLD}-1103": f"{NEW}-4100", f"{OLD}-1111": f"{NEW}-4111"}
    result = translate_sd(sd_from_ntacl(blob("dir_v4")),
                          lambda sid: mapping.get(sid, sid if not sid.startswith("S-1-5-21-") else None))
    assert result.unmapped == ()
    assert result.sd.owner == f"{NEW}-4001"
    expected = {f"{NEW}-4001", "S-1-3-0", f"{NEW}-512", f"{NEW}-4100", f"{NEW}-4111"}
    assert {a.sid for a in result.sd.dacl.aces} == expected
    # masks and flags unchanged, order unchanged
    before = sd_from_ntacl(blob("dir_v4")).dacl.aces
    assert [(a.type, a.flags, a.mask) for a in result.sd.dacl.aces] == [(a.type, a.flags, a.mask) for a in before]


def test_unmapped_sid_is_kept_and_reported_never_dropped():
    result = translate_sd(sd_from_ntacl(blob("file_v4")), lambda sid: None if sid.endswith("-1111") else sid)
    assert result.unmapped == (f"{OLD}-1111",)
    assert f"{OLD}-1111" in [a.sid for a in result.sd.dacl.aces]


def test_sid_length_may_change():
    sd = SecurityDescriptor(0x8004, "S-1-5-32-544", None, None,
                            Acl(2, (Ace(0, 3, 0x1F01FF, "S-1-5-32-544"), Ace(0, 0, 0x1200A9, "S-1-1-0"))))
    longer = translate_sd(sd, lambda sid: f"{NEW}-7" if sid == "S-1-1-0" else sid).sd
    assert parse_sd(longer.to_bytes()) == longer
    assert longer.dacl.aces[1].sid == f"{NEW}-7"


def test_object_ace_keeps_its_guid():
    guid = bytes(range(16))
    ace = Ace(5, 0, 0x10, f"{OLD}-1103", object_part=b"\x01\x00\x00\x00" + guid)
    sd = SecurityDescriptor(0x8004, None, None, None, Acl(4, (ace,)))
    back = parse_sd(sd.to_bytes())
    assert back.dacl.aces[0].object_part == b"\x01\x00\x00\x00" + guid
    translated = translate_sd(back, lambda sid: f"{NEW}-9").sd
    assert translated.dacl.aces[0].sid == f"{NEW}-9" and translated.dacl.aces[0].object_part.endswith(guid)


@pytest.mark.parametrize("sid", ["S-1-1-0", "S-1-5-32-544", f"{OLD}-1113", "S-1-22-1-100000"])
def test_sid_round_trip(sid):
    """Owner and ACE SIDs through the SD's binary form (the codec itself: test_sid.py)."""
    sd = SecurityDescriptor(0x8004, sid, None, None, Acl(2, (Ace(0, 0, 0x1F01FF, sid),)))
    back = parse_sd(sd.to_bytes())
    assert (back.owner, back.dacl.aces[0].sid) == (sid, sid)
    assert back.dacl.aces[0].raw_body is None


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (b"\x02\x00", "shorter than its header"),
        (b"\x07\x00\x07\x00\x00\x00\x02\x00", "version 7 is not supported"),
        (b"\x01\x00\x01\x00\x00\x00\x02\x00\x02\x00", "cut off"),
        (b"\x01\x00\x01\x00\x00\x00\x02\x00" + b"\x02\x00\x04\x80" + b"\x00" * 16, "revision 2 is not 1"),
    ],
)
def test_broken_blob_says_what_is_wrong(data, message):
    with pytest.raises(NtaclError, match=message):
        sd_from_ntacl(data)


@pytest.mark.parametrize(("end", "message"), [(22, "SID at offset 20 is cut off"), (-4, "no valid SID at offset 20")])
def test_a_cut_off_sid_is_an_ntacl_error(end, message):
    """The SID codec's errors reach ntacl's callers as NtaclError, which they catch."""
    data = SecurityDescriptor(0x8004, f"{OLD}-1105", None, None, None).to_bytes()
    with pytest.raises(NtaclError, match=message):
        parse_sd(data[:end])


@pytest.mark.parametrize("text", ["S-1", "X-1-5-3", "S-1-5-abc", "S-1-5-4294967296"])
def test_bad_sid_text(text):
    with pytest.raises(NtaclError, match="is not a SID"):
        SecurityDescriptor(0x8004, text, None, None, None).to_bytes()

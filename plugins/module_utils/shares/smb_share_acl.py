# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The share ACL of a Windows source share carried to its RZ share (module share_acl_smb).

A share's own ACL (the share-level security descriptor that NetShareGetInfo level 502 gives
an administrator, read by ``smb_settings.SrvsvcClient.share_sd``) decides at tree connect who
may use the share at all. On the RZ file server Samba keeps it in share_info.tdb, written and
read with its own tool, ``sharesec``.

- ``carried``: the source's DACL with every SID through the one identity mapping
  (``ntacl.translate_sd``); an entry whose SID has no new identity is left out and named
  (on the RZ it would match nobody, and kept as it is it would name an account of the old
  domain). Only the DACL is carried: a share ACL's owner, group and SACL mean nothing to
  Samba or Windows at tree connect.
- ``sddl``: the SDDL ``sharesec --setsddl`` takes (masks in hex, SIDs as they are).
- ``parse_view``: the entries of ``sharesec --view``, to compare with what is wanted.

Standard library only: the pure part, unit tested without Samba.
"""

from __future__ import annotations

from dataclasses import dataclass

from ansible_collections.kommunal.umzug.plugins.module_utils.shares import ntacl, smb_freeze

ALLOW, DENY = 0, 1
SDDL_TYPES = {ALLOW: "A", DENY: "D"}
VIEW_TYPES = {"ALLOWED": ALLOW, "DENIED": DENY}
# ACE flags as SDDL and sharesec --view name them (MS-DTYP 2.4.4.1; Samba lib/util_sd.c).
FLAG_NAMES = ((0x01, "OI"), (0x02, "CI"), (0x04, "NP"), (0x08, "IO"), (0x10, "ID"), (0x40, "SA"), (0x80, "FA"))
VIEW_FLAG_NAMES = {"OI": 0x01, "CI": 0x02, "NP": 0x04, "IO": 0x08, "I": 0x10, "ID": 0x10, "SA": 0x40, "FA": 0x80}
# Masks as sharesec --view prints them: whole (FULL, READ), else letters of these parts, else hex.
VIEW_MASKS = {"FULL": 0x1F01FF, "CHANGE": 0x1301BF, "READ": 0x1200A9}
VIEW_MASK_LETTERS = {"R": 0x120089, "W": 0x120116, "X": 0x1200A0, "D": 0x10000, "P": 0x40000, "O": 0x80000}
FULL_CONTROL = 0x1F01FF
EVERYONE = smb_freeze.EVERYONE


class ShareAclError(ValueError):
    """A share ACL umzug cannot carry; the message says why."""


@dataclass(frozen=True)
class Entry:
    type: int
    flags: int
    mask: int
    sid: str

    def line(self) -> str:
        return f"{'allow' if self.type == ALLOW else 'deny'} {self.sid} 0x{self.mask:08x}" + (
            f" flags 0x{self.flags:02x}" if self.flags else "")


@dataclass(frozen=True)
class Carried:
    entries: tuple[Entry, ...]
    dropped: tuple[str, ...]  # SIDs without a new identity, their entries left out


def carried(sd_bytes: bytes | None, translate) -> Carried:
    """The entries to set on the RZ share, from the source's self-relative SD (None: the
    server keeps none, which means Everyone full, as a NULL DACL does)."""
    sd = ntacl.parse_sd(sd_bytes) if sd_bytes else None
    if sd is None or sd.dacl is None:
        return Carried((Entry(ALLOW, 0, FULL_CONTROL, EVERYONE),), ())
    unsupported = sorted({ace.type for ace in sd.dacl.aces if ace.type not in SDDL_TYPES or ace.raw_body is not None})
    if unsupported:
        raise ShareAclError(f"entries of ACE type {', '.join(map(str, unsupported))} (only allow and deny entries "
                            "without application data are carried)")
    translation = ntacl.translate_sd(ntacl.SecurityDescriptor(sd.control, None, None, None, sd.dacl), translate)
    dropped = set(translation.unmapped)
    entries = tuple(Entry(ace.type, ace.flags, ace.mask, ace.sid)
                    for old, ace in zip(sd.dacl.aces, translation.sd.dacl.aces, strict=True) if old.sid not in dropped)
    return Carried(entries, translation.unmapped)


def sddl(entries: tuple[Entry, ...] | list[Entry]) -> str:
    """The DACL as SDDL for ``sharesec --setsddl``. An empty DACL grants nobody anything."""
    return "D:" + "".join(f"({SDDL_TYPES[e.type]};{flag_text(e.flags, FLAG_NAMES, '')};0x{e.mask:08x};;;{e.sid})"
                          for e in entries)


def flag_text(flags: int, names, none: str) -> str:
    text = "".join(name for bit, name in names if flags & bit)
    return text if text else none


def parse_view(text: str) -> tuple[Entry, ...]:
    """The DACL of ``sharesec <share> --view``: ``ACL:<SID>:<type>/<flags>/<mask>`` lines."""
    entries = []
    for line in text.splitlines():
        if not line.startswith("ACL:"):
            continue
        sid, _sep, ace = line[4:].rpartition(":")
        parts = ace.split("/")
        if len(parts) != 3 or not sid:
            raise ShareAclError(f"sharesec printed an entry umzug cannot read: {line!r}")
        entries.append(Entry(view_type(parts[0], line), view_flags(parts[1], line), view_mask(parts[2], line), sid))
    return tuple(entries)


def view_type(word: str, line: str) -> int:
    if word in VIEW_TYPES:
        return VIEW_TYPES[word]
    if word.isdigit():
        return int(word)
    raise ShareAclError(f"sharesec printed an entry of an unknown type: {line!r}")


def view_flags(word: str, line: str) -> int:
    if word.lower().startswith("0x"):
        return int(word, 16)
    try:
        return sum(VIEW_FLAG_NAMES[name] for name in word.split("|"))
    except KeyError:
        raise ShareAclError(f"sharesec printed unknown ACE flags: {line!r}") from None


def view_mask(word: str, line: str) -> int:
    if word in VIEW_MASKS:
        return VIEW_MASKS[word]
    if word.lower().startswith("0x"):
        return int(word, 16)
    if word and all(letter in VIEW_MASK_LETTERS for letter in word):
        mask = 0
        for letter in word:
            mask |= VIEW_MASK_LETTERS[letter]
        return mask
    raise ShareAclError(f"sharesec printed a mask umzug cannot read: {line!r}")

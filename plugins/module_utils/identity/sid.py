# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Security identifiers (SIDs, MS-DTYP 2.4.2): the one codec every payload reads them with.

- Text: ``S-1-<authority>-<sub>-<sub>...``: revision 1, an authority below 2^48, at most 15
  sub-authorities below 2^32, decimal digits without leading zeros. ``is_sid`` says whether
  a text is a SID as written in files (upper-case ``S``); ``normalise`` also takes a lower-case
  ``s`` and leading zeros (as a person may type it) and answers the one spelling.
- Binary: ``to_bytes``, ``from_bytes`` (a whole objectSid) and ``read`` (a SID inside a larger
  structure, e.g. a security descriptor: the SID at an offset and its length).
- Domains: ``split_rid`` (``S-1-5-21-1-2-3-1105`` is domain ``S-1-5-21-1-2-3``, RID 1105),
  ``is_domain_sid`` (a domain's own SID), ``in_domain`` (an account of a domain or a
  machine's local SAM, ``S-1-5-21-*``), ``is_well_known_rid`` (the RIDs below 1000 every
  domain has: 500 Administrator, 512 Domain Admins, 513 Domain Users ...).
- Samba's Unix SIDs: ``unix_sid`` builds ``S-1-22-1-<uid>`` / ``S-1-22-2-<gid>`` (what Samba
  shows for an id winbind cannot map), ``parse_unix`` reads one back as ("uid"|"gid", number).
- ``is_universal``: a SID that means the same on every machine and in every domain, and so
  is kept unchanged when a Kommune moves: everything outside ``S-1-5-21-*`` (domain and local
  accounts) and ``S-1-22-*`` (ids of one Unix host), e.g. Everyone S-1-1-0, CREATOR OWNER
  S-1-3-0, Authenticated Users S-1-5-11, SYSTEM S-1-5-18, BUILTIN\\Administrators S-1-5-32-544.

Standard library only, no I/O: runs on file servers and DCs alike.
"""

from __future__ import annotations

import struct

REVISION = 1
MAX_SUB_AUTHORITIES = 15
MAX_AUTHORITY = 2**48 - 1
MAX_SUB_AUTHORITY = 2**32 - 1
NT_AUTHORITY = 5
NON_UNIQUE = 21  # S-1-5-21: domains and local SAMs, each with its own three numbers
UNIX_AUTHORITY = 22
UNIX_KINDS = {"uid": 1, "gid": 2}  # S-1-22-1-<uid>, S-1-22-2-<gid>
WELL_KNOWN_RID_LIMIT = 1000


class SidError(ValueError):
    """A text or blob that is not a SID; the message names it."""


def _numbers(text: str) -> tuple[int, ...] | None:
    """(revision, authority, sub-authorities...) of a SID in any case, None for anything else."""
    if not isinstance(text, str):
        return None
    parts = text.split("-")
    if len(parts) < 3 or parts[0] not in ("S", "s") or not all(p.isascii() and p.isdigit() for p in parts[1:]):
        return None
    numbers = tuple(int(part) for part in parts[1:])
    revision, authority, subs = numbers[0], numbers[1], numbers[2:]
    if revision != REVISION or authority > MAX_AUTHORITY or len(subs) > MAX_SUB_AUTHORITIES \
            or any(sub > MAX_SUB_AUTHORITY for sub in subs):
        return None
    return numbers


def _text(numbers) -> str:
    return "S-" + "-".join(map(str, numbers))


def numbers(sid: str) -> tuple[int, ...]:
    """(revision, authority, sub-authorities...): orders SIDs as numbers, not as text."""
    found = _numbers(sid)
    if found is None:
        raise SidError(f"{sid!r} is not a SID")
    return found


def normalise(sid: str) -> str:
    """The one spelling of ``sid``: ``s-1-5-32-0544`` is ``S-1-5-32-544``."""
    return _text(numbers(sid))


def is_sid(text) -> bool:
    """Whether ``text`` is a SID in its one spelling (as files and directories hold it)."""
    found = _numbers(text)
    return found is not None and _text(found) == text


# --- binary (MS-DTYP 2.4.2.2) --------------------------------------------------------------

def to_bytes(sid: str) -> bytes:
    _revision, authority, *subs = numbers(sid)
    return bytes([REVISION, len(subs)]) + authority.to_bytes(6, "big") + struct.pack(f"<{len(subs)}I", *subs)


def read(data: bytes, offset: int = 0) -> tuple[str, int]:
    """The SID at ``offset`` of ``data`` (more may follow it), and its length in bytes."""
    if len(data) < offset + 8:
        raise SidError(f"SID at offset {offset} is cut off")
    revision, count = data[offset], data[offset + 1]
    length = 8 + 4 * count
    if revision != REVISION or count > MAX_SUB_AUTHORITIES or len(data) < offset + length:
        raise SidError(f"no valid SID at offset {offset}")
    authority = int.from_bytes(data[offset + 2:offset + 8], "big")
    subs = struct.unpack_from(f"<{count}I", data, offset + 8)
    return _text((revision, authority, *subs)), length


def from_bytes(raw: bytes) -> str:
    """The text form of a binary SID that is all of ``raw`` (an objectSid)."""
    try:
        sid, length = read(raw)
    except SidError:
        raise SidError(f"{bytes(raw).hex()} is not a binary SID") from None
    if length != len(raw):
        raise SidError(f"{bytes(raw).hex()} is not a binary SID")
    return sid


# --- domains and RIDs ----------------------------------------------------------------------

def split_rid(sid: str) -> tuple[str, int]:
    """(the SID without its last number, that number: the RID)."""
    found = numbers(sid)
    if len(found) < 3:
        raise SidError(f"{sid!r} has no RID")
    return _text(found[:-1]), found[-1]


def rid(sid: str) -> int:
    return split_rid(sid)[1]


def in_domain(sid: str) -> bool:
    """An account or group of one domain or one machine's SAM (``S-1-5-21-*``), which means
    nothing elsewhere."""
    return numbers(sid)[1:3] == (NT_AUTHORITY, NON_UNIQUE)


def is_domain_sid(text) -> bool:
    """Whether ``text`` is a domain's own SID, ``S-1-5-21-<a>-<b>-<c>``, in its one spelling."""
    return is_sid(text) and numbers(text)[1:3] == (NT_AUTHORITY, NON_UNIQUE) and len(numbers(text)) == 6


def is_well_known_rid(number: int) -> bool:
    """The RIDs below 1000 that every domain has (Administrator, Domain Users ...)."""
    return number < WELL_KNOWN_RID_LIMIT


# --- Samba's Unix SIDs ---------------------------------------------------------------------

def unix_sid(kind: str, number: int) -> str:
    """``S-1-22-1-<uid>`` for kind "uid", ``S-1-22-2-<gid>`` for kind "gid"."""
    if kind not in UNIX_KINDS:
        raise SidError(f"a Unix SID is of a uid or a gid, not of {kind!r}")
    return _text((REVISION, UNIX_AUTHORITY, UNIX_KINDS[kind], number))


def parse_unix(sid: str) -> tuple[str, int] | None:
    """("uid", number) or ("gid", number) of a Samba Unix SID; None for any other SID."""
    found = numbers(sid)
    if len(found) != 4 or found[1] != UNIX_AUTHORITY:
        return None
    kind = next((name for name, number in UNIX_KINDS.items() if number == found[2]), None)
    return None if kind is None else (kind, found[3])


# --- the universal-SID rule ----------------------------------------------------------------

def is_universal(sid: str) -> bool:
    """Whether ``sid`` means the same everywhere and stays as it is across a move (module
    docstring): neither a domain's or SAM's account nor a Unix host's id."""
    return not in_domain(sid) and numbers(sid)[1] != UNIX_AUTHORITY

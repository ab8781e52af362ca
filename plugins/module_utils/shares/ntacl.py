# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Windows ACLs as Samba stores them (xattr ``security.NTACL``), and SID translation.

Samba's vfs_acl_xattr keeps a file's security descriptor (SD) in an NDR blob. Version 4
(what Samba 4.x writes) carries two SHA-256 hashes over the file's *POSIX* state next to
the SD; when the POSIX ACL, owner or mode no longer match them, Samba discards the stored
SD and serves one made up from the POSIX ACL. A file whose owners and ACL entries are
mapped to new ids therefore cannot keep its old v4 blob with new SIDs spliced in.

Version 1 blobs carry the SD and no hash; Samba serves them as stored (tested against
Samba 4.17 in the lab: a v4 blob with hash type "none" is *not* accepted, a v1 blob is).
So a translated SD is written back as v1, while the POSIX ACL is mapped separately
(``posix_acl``) so the kernel grants what the SD says. The first change through SMB
makes Samba write a hashed v4 blob again.

Layout facts (from blobs Samba wrote, checked byte for byte in the lab):
- the SD is the self-relative format of MS-DTYP 2.4.6, but its offsets count from the
  start of the whole blob, not of the SD;
- v1: ``01 00 01 00 00 00 02 00`` then the SD (offsets +8);
- v4: version, level, pointer, SD pointer, hash type (2), hash (64), a NUL-terminated
  description ("posix_acl"), padding to 8, time (8), POSIX ACL hash (64), then the SD.

Standard library only: runs on the file servers, and is unit tested off them.
"""

from __future__ import annotations

import struct
from collections.abc import Callable
from dataclasses import dataclass, replace

from ansible_collections.kommunal.umzug.plugins.module_utils.identity import sid as sid_codec

V1_HEADER = b"\x01\x00\x01\x00\x00\x00\x02\x00"
HASH_SIZE = 64
# ACE types whose body is mask + SID (allowed, denied, audit, alarm, and their callback forms).
SIMPLE_ACE_TYPES = {0, 1, 2, 3, 9, 10, 13, 17, 18, 19}
# Object ACEs: mask, flags, optional object type GUIDs, then the SID.
OBJECT_ACE_TYPES = {5, 6, 7, 8, 11, 12, 15, 16}
ACE_OBJECT_TYPE_PRESENT = 0x1
ACE_INHERITED_OBJECT_TYPE_PRESENT = 0x2


class NtaclError(ValueError):
    """A blob or SD that cannot be read; the message says what is wrong with it."""


# --- SIDs --------------------------------------------------------------------------------
# The SID codec is identity/sid.py; here its errors become this module's, which callers catch.

def _read_sid(data: bytes, offset: int) -> tuple[str, int]:
    try:
        return sid_codec.read(data, offset)
    except sid_codec.SidError as err:
        raise NtaclError(str(err)) from None


def _sid_bytes(text: str) -> bytes:
    try:
        return sid_codec.to_bytes(text)
    except sid_codec.SidError as err:
        raise NtaclError(str(err)) from None


# --- security descriptors ----------------------------------------------------------------

@dataclass(frozen=True)
class Ace:
    type: int
    flags: int
    mask: int | None = None
    sid: str | None = None
    # Object ACEs: their flags and GUIDs; other ACE types keep their body as it was.
    object_part: bytes = b""
    raw_body: bytes | None = None

    def to_bytes(self) -> bytes:
        if self.raw_body is not None:
            body = self.raw_body
        else:
            body = struct.pack("<I", self.mask) + self.object_part + _sid_bytes(self.sid)
        size = 4 + len(body)
        return struct.pack("<BBH", self.type, self.flags, size) + body


@dataclass(frozen=True)
class Acl:
    revision: int
    aces: tuple[Ace, ...]

    def to_bytes(self) -> bytes:
        body = b"".join(ace.to_bytes() for ace in self.aces)
        return struct.pack("<BBHHH", self.revision, 0, 8 + len(body), len(self.aces), 0) + body


@dataclass(frozen=True)
class SecurityDescriptor:
    control: int
    owner: str | None
    group: str | None
    sacl: Acl | None
    dacl: Acl | None

    def sids(self) -> list[str]:
        found = [s for s in (self.owner, self.group) if s]
        for acl in (self.sacl, self.dacl):
            found += [ace.sid for ace in (acl.aces if acl else ()) if ace.sid]
        return found

    def to_bytes(self, base: int = 0) -> bytes:
        """Self-relative form; offsets count from ``base`` bytes before the SD."""
        parts = [
            ("owner", _sid_bytes(self.owner) if self.owner else b""),
            ("group", _sid_bytes(self.group) if self.group else b""),
            ("sacl", self.sacl.to_bytes() if self.sacl else b""),
            ("dacl", self.dacl.to_bytes() if self.dacl else b""),
        ]
        offsets, body, position = {}, b"", 20
        for name, data in parts:
            offsets[name] = position + base if data else 0
            body += data
            position += len(data)
        return struct.pack("<BBHIIII", 1, 0, self.control, offsets["owner"], offsets["group"],
                           offsets["sacl"], offsets["dacl"]) + body


def parse_sd(data: bytes, start: int = 0) -> SecurityDescriptor:
    """The SD at ``start`` of ``data``; its offsets count from the start of ``data`` (for a
    plain self-relative SD, ``start`` is 0 and both are the same)."""
    if len(data) < start + 20:
        raise NtaclError("security descriptor is cut off")
    revision, _dummy, control, owner, group, sacl, dacl = struct.unpack_from("<BBHIIII", data, start)
    if revision != 1:
        raise NtaclError(f"security descriptor revision {revision} is not 1")
    return SecurityDescriptor(
        control=control,
        owner=_read_sid(data, owner)[0] if owner else None,
        group=_read_sid(data, group)[0] if group else None,
        sacl=_parse_acl(data, sacl) if sacl else None,
        dacl=_parse_acl(data, dacl) if dacl else None,
    )


def _parse_acl(data: bytes, offset: int) -> Acl:
    if len(data) < offset + 8:
        raise NtaclError(f"ACL at offset {offset} is cut off")
    revision, _dummy, size, count, _dummy = struct.unpack_from("<BBHHH", data, offset)
    if len(data) < offset + size:
        raise NtaclError(f"ACL at offset {offset} claims {size} bytes, the blob ends before")
    aces, position = [], offset + 8
    for _dummy in range(count):
        ace_type, flags, ace_size = struct.unpack_from("<BBH", data, position)
        if ace_size < 8 or position + ace_size > offset + size:
            raise NtaclError(f"ACE at offset {position} has a bad size {ace_size}")
        aces.append(_parse_ace(data[position + 4:position + ace_size], ace_type, flags))
        position += ace_size
    return Acl(revision, tuple(aces))


def _parse_ace(body: bytes, ace_type: int, flags: int) -> Ace:
    if ace_type in SIMPLE_ACE_TYPES:
        (mask,) = struct.unpack_from("<I", body)
        sid, length = _read_sid(body, 4)
        # Callback ACEs carry application data after the SID; those keep their bytes.
        if 4 + length != len(body):
            return Ace(ace_type, flags, mask, sid, raw_body=body)
        return Ace(ace_type, flags, mask, sid)
    if ace_type in OBJECT_ACE_TYPES:
        mask, object_flags = struct.unpack_from("<II", body)
        guids = 16 * bool(object_flags & ACE_OBJECT_TYPE_PRESENT) \
            + 16 * bool(object_flags & ACE_INHERITED_OBJECT_TYPE_PRESENT)
        object_part = body[4:8 + guids]
        sid, length = _read_sid(body, 8 + guids)
        if 8 + guids + length != len(body):
            return Ace(ace_type, flags, mask, sid, object_part=object_part, raw_body=body)
        return Ace(ace_type, flags, mask, sid, object_part=object_part)
    return Ace(ace_type, flags, raw_body=body)


# --- the security.NTACL blob -------------------------------------------------------------

def sd_from_ntacl(blob: bytes) -> SecurityDescriptor:
    """The SD of a security.NTACL blob of version 1, 3 or 4."""
    if len(blob) < 8:
        raise NtaclError("security.NTACL blob is shorter than its header")
    (version,) = struct.unpack_from("<H", blob)
    if version == 1:
        start = 8
    elif version == 3:
        start = 8 + 4 + 2 + HASH_SIZE
        start = (start + 3) // 4 * 4
    elif version == 4:
        description_end = blob.find(b"\0", 8 + 4 + 2 + HASH_SIZE)
        if description_end < 0:
            raise NtaclError("security.NTACL v4 blob has no end to its description")
        start = (description_end + 1 + 7) // 8 * 8 + 8 + HASH_SIZE
    else:
        raise NtaclError(f"security.NTACL version {version} is not supported (1, 3, 4 are)")
    return parse_sd(blob, start)


def ntacl_v1(sd: SecurityDescriptor) -> bytes:
    return V1_HEADER + sd.to_bytes(base=len(V1_HEADER))


# --- translation -------------------------------------------------------------------------

@dataclass(frozen=True)
class Translation:
    sd: SecurityDescriptor
    unmapped: tuple[str, ...]


def translate_sd(sd: SecurityDescriptor, translate: Callable[[str], str | None]) -> Translation:
    """Every SID through ``translate``; a SID it cannot map stays as it is and is listed,
    so the caller reports it: nothing is ever dropped from an ACL silently."""
    unmapped: list[str] = []

    def one(sid: str | None) -> str | None:
        if sid is None:
            return None
        new = translate(sid)
        if new is None:
            if sid not in unmapped:
                unmapped.append(sid)
            return sid
        return new

    def ace(entry: Ace) -> Ace:
        if entry.sid is None:
            return entry
        if entry.raw_body is not None:
            # Callback ACEs with application data: kept byte for byte, so their SID is
            # reported as not translated rather than rewritten blindly.
            if entry.sid not in unmapped:
                unmapped.append(entry.sid)
            return entry
        return replace(entry, sid=one(entry.sid))

    def acl(value: Acl | None) -> Acl | None:
        return None if value is None else replace(value, aces=tuple(ace(entry) for entry in value.aces))

    translated = replace(sd, owner=one(sd.owner), group=one(sd.group), sacl=acl(sd.sacl), dacl=acl(sd.dacl))
    return Translation(translated, tuple(unmapped))

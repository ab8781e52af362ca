# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""POSIX ACLs as the kernel stores them (xattrs ``system.posix_acl_access`` and
``system.posix_acl_default``), and their translation to new uids and gids.

The format is a little-endian u32 version (2), then entries of (u16 tag, u16 perm,
u32 id); ids matter only for named users and groups. Reading and writing the raw xattr
keeps the ACL exactly as it was (order, mask) apart from the ids we map, which is what
a migration wants and what getfacl/setfacl text round trips cannot promise.
Standard library only: runs on the file servers.
"""

from __future__ import annotations

import struct
from collections.abc import Callable
from dataclasses import dataclass

ACCESS = "system.posix_acl_access"
DEFAULT = "system.posix_acl_default"
VERSION = 2
USER_OBJ, USER, GROUP_OBJ, GROUP, MASK, OTHER = 0x01, 0x02, 0x04, 0x08, 0x10, 0x20
TAGS = {USER_OBJ: "user_obj", USER: "user", GROUP_OBJ: "group_obj", GROUP: "group", MASK: "mask", OTHER: "other"}
UNDEFINED_ID = 0xFFFFFFFF


class PosixAclError(ValueError):
    """A POSIX ACL xattr that cannot be read."""


@dataclass(frozen=True)
class Entry:
    tag: int
    perm: int
    id: int = UNDEFINED_ID


def parse(data: bytes) -> list[Entry]:
    if len(data) < 4 or (len(data) - 4) % 8:
        raise PosixAclError(f"POSIX ACL of {len(data)} bytes is not a header and whole entries")
    (version,) = struct.unpack_from("<I", data)
    if version != VERSION:
        raise PosixAclError(f"POSIX ACL version {version} is not {VERSION}")
    entries = [Entry(*struct.unpack_from("<HHI", data, offset)) for offset in range(4, len(data), 8)]
    unknown = [e.tag for e in entries if e.tag not in TAGS]
    if unknown:
        raise PosixAclError(f"POSIX ACL has unknown entry tag {unknown[0]:#x}")
    return entries


def pack(entries: list[Entry]) -> bytes:
    return struct.pack("<I", VERSION) + b"".join(struct.pack("<HHI", e.tag, e.perm, e.id) for e in entries)


@dataclass(frozen=True)
class Translation:
    data: bytes
    unmapped_uids: tuple[int, ...]
    unmapped_gids: tuple[int, ...]


def translate(data: bytes, uid: Callable[[int], int | None], gid: Callable[[int], int | None]) -> Translation:
    """Named user and group entries through ``uid`` / ``gid``; an id they cannot map
    stays and is listed, so the caller reports it instead of losing the entry."""
    missing_uids: list[int] = []
    missing_gids: list[int] = []
    out = []
    for entry in parse(data):
        if entry.tag in (USER, GROUP):
            new = (uid if entry.tag == USER else gid)(entry.id)
            if new is None:
                (missing_uids if entry.tag == USER else missing_gids).append(entry.id)
                new = entry.id
            entry = Entry(entry.tag, entry.perm, new)
        out.append(entry)
    # The kernel wants named entries sorted by id within their tag, as setfacl writes them.
    out.sort(key=lambda e: (e.tag, e.id if e.tag in (USER, GROUP) else 0))
    return Translation(pack(out), tuple(dict.fromkeys(missing_uids)), tuple(dict.fromkeys(missing_gids)))


def describe(data: bytes) -> str:
    """A short text form for reports and manifests, e.g. 'u::rwx,u:100003:r-x,g::---,m::rwx,o::---'."""
    letters = {USER_OBJ: "u:", USER: "u:", GROUP_OBJ: "g:", GROUP: "g:", MASK: "m:", OTHER: "o:"}
    parts = []
    for e in parse(data):
        who = str(e.id) if e.tag in (USER, GROUP) else ""
        perms = "".join(c if e.perm & bit else "-" for c, bit in (("r", 4), ("w", 2), ("x", 1)))
        parts.append(f"{letters[e.tag]}{who}:{perms}")
    return ",".join(parts)

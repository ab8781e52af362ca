# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The freeze of a Windows source share over srvsvc: its share ACL made read-only.

A Windows file server has no smb.conf to put ``read only = yes`` into; what decides at
tree connect whether a user may write is the share ACL (the SD that NetShareSetInfo level
1501 sets). ``frozen_sd`` reduces every allow entry that grants write, delete,
change-permissions or take-ownership to what it grants of read and execute
(FILE_GENERIC_READ | FILE_GENERIC_EXECUTE, 0x1200a9: what Full Control and Change become),
keeps deny entries and read entries as they are and leaves the rest of the SD untouched.
A share without a DACL (no SD, or a NULL DACL: Everyone full) gets Everyone read. A DACL
with no entries grants nothing and stays as it is.

The record keeps the original SD (base64 of its self-relative bytes) so the unfreeze
restores it byte for byte. SDs are parsed and built by the one codec, ``ntacl``.
Standard library only: the pure part of the freeze, unit tested without Samba.
"""

from __future__ import annotations

import base64
import json
from dataclasses import replace

from ansible_collections.kommunal.umzug.plugins.module_utils.shares import ntacl

READ_EXECUTE = 0x1200A9  # FILE_GENERIC_READ | FILE_GENERIC_EXECUTE
# What a share ACL entry must not grant while frozen (MS-DTYP 2.4.3, MS-SMB2 2.2.13.1.1).
FILE_WRITE_DATA, FILE_APPEND_DATA, FILE_WRITE_EA = 0x2, 0x4, 0x10
FILE_DELETE_CHILD, FILE_WRITE_ATTRIBUTES = 0x40, 0x100
DELETE, WRITE_DAC, WRITE_OWNER = 0x10000, 0x40000, 0x80000
GENERIC_ALL, GENERIC_EXECUTE, GENERIC_WRITE, GENERIC_READ = 0x10000000, 0x20000000, 0x40000000, 0x80000000
WRITING = (FILE_WRITE_DATA | FILE_APPEND_DATA | FILE_WRITE_EA | FILE_DELETE_CHILD | FILE_WRITE_ATTRIBUTES
           | DELETE | WRITE_DAC | WRITE_OWNER | GENERIC_ALL | GENERIC_WRITE)
# The file generic mapping (MS-DTYP 2.4.3), as Samba maps a share ACL's generic bits.
GENERIC_TO_FILE = {GENERIC_READ: 0x120089, GENERIC_WRITE: 0x120116, GENERIC_EXECUTE: 0x1200A0,
                   GENERIC_ALL: 0x1F01FF}
ALLOW_TYPES = {0, 5, 9, 11}  # access allowed, its object, callback and callback object forms
ACE_TYPE_NAMES = {0: "allow", 1: "deny", 2: "audit", 3: "alarm", 5: "allow-object", 6: "deny-object",
                  9: "allow-callback", 10: "deny-callback", 11: "allow-callback-object",
                  12: "deny-callback-object"}
EVERYONE = "S-1-1-0"
SE_DACL_PRESENT, SE_SELF_RELATIVE = 0x0004, 0x8000


def file_rights(mask: int) -> int:
    """``mask`` with its generic bits mapped to the file rights they stand for."""
    for generic, rights in GENERIC_TO_FILE.items():
        if mask & generic:
            mask = (mask & ~generic) | rights
    return mask


def reduced(ace: ntacl.Ace) -> ntacl.Ace:
    """An allow entry that grants anything of WRITING, cut to what it grants of read and
    execute; every other entry as it is."""
    if ace.type not in ALLOW_TYPES or ace.mask is None or not ace.mask & WRITING:
        return ace
    mask = file_rights(ace.mask) & READ_EXECUTE
    if ace.raw_body is not None:  # callback entries keep their application data byte for byte
        return replace(ace, mask=mask, raw_body=mask.to_bytes(4, "little") + ace.raw_body[4:])
    return replace(ace, mask=mask)


def frozen_sd(original: bytes | None) -> bytes:
    """The self-relative SD of the frozen share, from the original one (None: the server
    has none, which means Everyone full)."""
    if not original:
        return ntacl.SecurityDescriptor(SE_SELF_RELATIVE | SE_DACL_PRESENT, None, None, None,
                                        ntacl.Acl(2, (ntacl.Ace(0, 0, READ_EXECUTE, EVERYONE),))).to_bytes()
    sd = ntacl.parse_sd(original)
    if sd.dacl is None:  # NULL DACL: no restriction at all
        dacl = ntacl.Acl(2, (ntacl.Ace(0, 0, READ_EXECUTE, EVERYONE),))
        return replace(sd, control=sd.control | SE_DACL_PRESENT, dacl=dacl).to_bytes()
    frozen = replace(sd, dacl=replace(sd.dacl, aces=tuple(reduced(ace) for ace in sd.dacl.aces)))
    # Unchanged: the original bytes, not a rebuilt copy, so freezing a frozen share writes nothing.
    return original if frozen == sd else frozen.to_bytes()


def acl_lines(sd_bytes: bytes | None) -> list[str]:
    """The share ACL as lines a reader of a diff understands: one per entry."""
    if not sd_bytes:
        return ["(no security descriptor: Everyone full)"]
    sd = ntacl.parse_sd(sd_bytes)
    if sd.dacl is None:
        return ["(NULL DACL: Everyone full)"]
    if not sd.dacl.aces:
        return ["(empty DACL: nobody)"]
    return [f"{ACE_TYPE_NAMES.get(ace.type, f'type {ace.type}')} {ace.sid or '-'} 0x{ace.mask or 0:08x}"
            + (f" flags 0x{ace.flags:02x}" if ace.flags else "") for ace in sd.dacl.aces]


def record_of(server: str, share: str, original: bytes | None, frozen: bytes) -> dict:
    """What the unfreeze needs: the original SD byte for byte (None: the server had none)."""
    return {"server": server, "share": share,
            "original_sd": base64.b64encode(original).decode("ascii") if original else None,
            "frozen_sd": base64.b64encode(frozen).decode("ascii")}


def original_of(record: dict) -> bytes | None:
    value = record.get("original_sd")
    return base64.b64decode(value) if value else None


class RecordError(ValueError):
    """A freeze record that cannot be used; the message says why, in words for the module's msg."""


def read_record(text: str | None, server: str, share: str) -> dict | None:
    """The freeze record of \\\\server\\share from its file's text (None: no record). The freeze,
    its undoing and the share ACL's carrying (share_acl_smb) read it the same way."""
    if text is None:
        return None
    try:
        record = json.loads(text)
        if not original_of(record):
            raise ValueError("it holds no original share ACL")
    except (ValueError, AttributeError) as err:
        raise RecordError(f"is unreadable ({err}); restore the share ACL by hand") from None
    if (record.get("server"), record.get("share")) != (server, share):
        raise RecordError(f"belongs to \\\\{record.get('server')}\\{record.get('share')}")
    return record


def under(path: str, share_path: str) -> bool:
    """Whether a path NetFileEnum gives (``C:\\Shares\\Bauamt\\x.docx``) lies in the share
    whose path NetShareGetInfo gave (Windows paths: case-insensitive, either slash)."""
    def norm(value: str) -> str:
        return value.replace("/", "\\").rstrip("\\").casefold()
    path, root = norm(path), norm(share_path)
    return bool(root) and (path == root or path.startswith(root + "\\"))

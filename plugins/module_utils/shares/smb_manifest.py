# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Manifests of a share read over SMB 3, and their comparison: the verification of a share
whose source is a Windows file server (``share_verify_smb``).

Both sides are read as clients see them ("access as served"): the source from the
Kommune's file server, the target from the RZ file server's own Samba, each through an
``SmbShare`` (``smb_source``). An entry holds, per path:

- ``kind``, ``size`` and ``sha256``, the hash of the content as read over SMB, streamed
  chunk by chunk, never held in memory;
- ``last_write_ns`` and ``creation_ns``;
- ``attributes``: the DOS attributes Samba keeps (``smb_metadata.dos_attributes``), so an
  attribute a Windows server shows and Samba cannot keep (reported by the sync) is no
  difference here;
- ``link``: the first path of its hard-link group (one file id, several names);
- ``streams``: the alternate data streams, name and the hash of each one's content;
- ``acl`` and ``sacl``: digests of the security descriptor in a canonical form (owner,
  group, the DACL's ACEs in order with their flags, the protection and inheritance bits of
  the control word; the SACL apart). The source's SIDs are translated through the identity
  mapping first (``ntacl.translate_sd``), so equal digests mean Samba serves what the source
  served. The encoding (order of the parts in the self-relative form, padding, revision) is
  not compared. A SACL is compared only when both sides could read it.
- ``held``: the finding keys of what the walk could not read (``smb_sync.HELD_KEYS``:
  reparse points, offline or recall-on-access files, files held open with a sharing mode
  that denies reading, access denied). Such paths are listed and never opened for their
  content, so a verification does not recall an HSM archive; the comparison leaves them
  and what lies below them out and reports them apart (``not_read``).

The comparison, the totals, the digest, the manifest files, the findings and the record of
paths for the next pass are ``manifest``'s; here only what is SMB's.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field

from ansible_collections.kommunal.umzug.plugins.module_utils.shares import manifest as share_manifest
from ansible_collections.kommunal.umzug.plugins.module_utils.shares import ntacl, smb_source
from ansible_collections.kommunal.umzug.plugins.module_utils.shares.smb_metadata import dos_attributes
from ansible_collections.kommunal.umzug.plugins.module_utils.shares.smb_source import SmbEntry
from ansible_collections.kommunal.umzug.plugins.module_utils.shares.smb_sync import HELD_KEYS, READ_REFUSED
from ansible_collections.kommunal.umzug.plugins.module_utils.shares.sync import SyncError

# The parts a report names, and the entry's fields each one covers.
PARTS = {
    "content": ("kind", "size", "sha256"),
    "times": ("last_write_ns", "creation_ns"),
    "attributes": ("attributes",),
    "links": ("link",),
    "streams": ("streams",),
    "acl": ("acl", "sacl"),
}
FIELDS = tuple(f for fields in PARTS.values() for f in fields)

# Control bits that say something about the ACLs (MS-DTYP 2.4.6): present, protected from
# inheritance, inherited automatically. The rest describes the encoding or the defaults of
# the system that made the descriptor.
DACL_BITS = 0x0004 | 0x0400 | 0x1000  # SE_DACL_PRESENT, SE_DACL_AUTO_INHERITED, SE_DACL_PROTECTED
SACL_BITS = 0x0010 | 0x0800 | 0x2000  # SE_SACL_PRESENT, SE_SACL_AUTO_INHERITED, SE_SACL_PROTECTED
UNREADABLE = "unreadable"


def _aces(acl: ntacl.Acl | None) -> list | None:
    if acl is None:
        return None
    return [[a.type, a.flags, a.mask, a.sid, a.object_part.hex(), None if a.raw_body is None else a.raw_body.hex()]
            for a in acl.aces]


def _hash(value) -> str:
    return hashlib.sha256(json.dumps(value, sort_keys=True).encode()).hexdigest()


def sd_digests(sd: bytes | None, sacl_read: bool,
               translate_sid: Callable[[str], str | None] | None = None) -> tuple[str | None, str | None]:
    """(digest of owner, group and DACL; digest of the SACL or None when it was not read) of
    a self-relative security descriptor, its SIDs translated first when ``translate_sid``
    is given. An SD that cannot be parsed is compared byte for byte."""
    if sd is None:
        return None, None
    try:
        parsed = ntacl.parse_sd(sd)
    except ntacl.NtaclError:
        return f"raw:{hashlib.sha256(sd).hexdigest()}", None
    if translate_sid is not None:
        parsed = ntacl.translate_sd(parsed, translate_sid).sd
    acl = _hash({"owner": parsed.owner, "group": parsed.group, "control": parsed.control & DACL_BITS,
                 "dacl": _aces(parsed.dacl)})
    sacl = _hash({"control": parsed.control & SACL_BITS, "sacl": _aces(parsed.sacl)}) if sacl_read else None
    return acl, sacl


def held_keys(entry: SmbEntry) -> list[str]:
    return sorted({key for key, _sentence in entry.problems if key in HELD_KEYS})


def content_sha256(share, path: bytes, stream: str | None = None) -> str:
    """SHA-256 of a file's content (or of one of its streams) as ``share`` serves it, read
    in chunks as they arrive."""
    digest = hashlib.sha256()
    for chunk in share.read(path, stream=stream):
        digest.update(chunk)
    return digest.hexdigest()


def _link_groups(entries: Iterable[SmbEntry]) -> dict[bytes, bytes]:
    """Path -> the first path of its hard-link group (a file id under several names here)."""
    groups: dict[int, list[bytes]] = {}
    for entry in entries:
        if entry.kind == "file" and entry.nlink > 1 and entry.file_id:
            groups.setdefault(entry.file_id, []).append(entry.path)
    return {path: min(paths) for paths in groups.values() if len(paths) > 1 for path in paths}


@dataclass
class _Reader:
    """Reads what an entry's manifest needs; an object that became unreadable since the
    walk is held with the key the sync would report, the connection dropping fails."""

    share: object
    held: list[str] = field(default_factory=list)

    def sha256(self, path: bytes, stream: str | None = None) -> str | None:
        try:
            return content_sha256(self.share, path, stream)
        except smb_source.SMBException as err:
            status = smb_source.status_of(err)
            key = READ_REFUSED.get(status) or ("vanished" if status in smb_source.VANISHED else None)
            if key is None:
                raise
            if stream is None:
                self.held.append(key)
            return None if stream is None else f"{UNREADABLE}: {smb_source.describe(err)}"


def entry_of(entry: SmbEntry, share, links: Mapping[bytes, bytes],
             translate_sid: Callable[[str], str | None] | None = None) -> dict:
    """The manifest entry of one walked object; its content and streams read through ``share``
    unless the walk reported it cannot be read."""
    held = held_keys(entry)
    reader = _Reader(share)
    sha = streams = None
    if not held and entry.kind == "file":
        sha = reader.sha256(entry.path)
    if not held and not reader.held:
        streams = [[name, reader.sha256(entry.path, name)] for name, _size in entry.streams]
    else:
        streams = [[name, None] for name, _size in entry.streams]
    acl, sacl = sd_digests(entry.sd, entry.sacl_read, translate_sid)
    return {
        "kind": entry.kind,
        "size": entry.size if entry.kind == "file" else 0,
        "sha256": sha,
        "last_write_ns": entry.last_write_ns,
        "creation_ns": entry.creation_ns,
        "attributes": dos_attributes(entry.attributes, entry.kind == "dir"),
        "link": None if entry.path not in links else links[entry.path].decode("utf-8", "backslashreplace"),
        "streams": streams,
        "acl": acl,
        "sacl": sacl,
        "held": sorted({*held, *reader.held}),
    }


def entries(share, translate_sid: Callable[[str], str | None] | None = None) -> dict[bytes, dict]:
    """The manifest of the share ``share`` (an open ``SmbShare``, or anything with its
    ``walk`` and ``read``), with ``translate_sid`` (the source's side) as the target should
    serve it."""
    try:
        walked = list(share.walk())
        links = _link_groups(walked)
        return {entry.path: entry_of(entry, share, links, translate_sid) for entry in walked}
    except (smb_source.SMBException, OSError) as err:
        raise SyncError(f"reading the share over SMB failed: {smb_source.describe(err)}") from None


def _below(path: bytes, roots: set[bytes]) -> bool:
    return any(not root or path == root or path.startswith(root + b"/") for root in roots)


@dataclass
class SmbComparison:
    """``manifest.Comparison`` of the comparable paths, whose ``differ`` names the parts
    that differ (PARTS), and the paths left out because a side could not read them."""

    comparison: share_manifest.Comparison
    not_read: dict[bytes, dict[str, list[str]]] = field(default_factory=dict)  # path -> side -> keys

    @property
    def ok(self) -> bool:
        return self.comparison.ok

    def parts(self) -> dict[str, int]:
        """How many paths differ in each part."""
        return {part: sum(part in found for found in self.comparison.differ.values()) for part in PARTS}


def comparable(entry: dict, other: dict | None) -> dict:
    """The fields of ``entry`` the comparison looks at: a SACL only when both sides read it."""
    result = {f: entry[f] for f in FIELDS}
    if other is None or other.get("sacl") is None:
        result["sacl"] = None
    return result


def parts_of(fields: Iterable[str]) -> list[str]:
    found = set(fields)
    return [part for part, covered in PARTS.items() if found.intersection(covered)]


def compare(expected: Mapping[bytes, dict], actual: Mapping[bytes, dict]) -> SmbComparison:
    """``expected`` (the source's manifest) against ``actual`` (the target's), per part.
    A path either side could not read, and what lies below it, is not compared."""
    not_read: dict[bytes, dict[str, list[str]]] = {}
    for side, manifest in (("source", expected), ("target", actual)):
        for path, entry in manifest.items():
            if entry.get("held"):
                not_read.setdefault(path, {})[side] = list(entry["held"])
    roots = set(not_read)
    left = {p: comparable(e, actual.get(p)) for p, e in expected.items() if not _below(p, roots)}
    right = {p: comparable(e, expected.get(p)) for p, e in actual.items() if not _below(p, roots)}
    comparison = share_manifest.compare(left, right, FIELDS)
    comparison.differ = {path: parts_of(fields) for path, fields in comparison.differ.items()}
    return SmbComparison(comparison, dict(sorted(not_read.items())))

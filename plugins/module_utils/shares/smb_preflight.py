# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Pre-flight of one share read over SMB (``smb_source``): the Samba path's report, from
what the SMB walk lists.

The summary and findings are those of ``preflight`` (``ShareReport``, ``findings``,
``unmapped_sid_findings``), with the same name rules (``names``) and the same SD parser
(``ntacl.parse_sd``: the SMB answer is the self-relative SD that security.NTACL wraps).
What only the SMB walk sees (reparse points, offline files, files locked against reading,
access denied despite backup intent, alternate data streams and whether the target's
vfs_streams_xattr can hold them) becomes findings of their own keys.

Standard library only.
"""

from __future__ import annotations

import os
from collections.abc import Iterable

from ansible_collections.kommunal.umzug.plugins.module_utils.shares import names as share_names
from ansible_collections.kommunal.umzug.plugins.module_utils.shares import ntacl
from ansible_collections.kommunal.umzug.plugins.module_utils.shares.preflight import ShareReport
from ansible_collections.kommunal.umzug.plugins.module_utils.shares.smb_source import (
    ATTR_SPARSE,
    SmbEntry,
    attribute_letters,
)
from ansible_collections.kommunal.umzug.plugins.module_utils.shares.tree import shown

# An xattr value on ext4 must fit one file system block (4 KiB by default), on XFS 64 KiB;
# vfs_streams_xattr keeps a stream in one xattr. The largest stream the target takes is a
# setting of the RZ file server (shares_smb_stream_limit).
DEFAULT_STREAM_LIMIT = 65536 - 1  # XFS, and ext4 with ea_inode


class SmbReport(ShareReport):
    """``ShareReport`` plus what only SMB lists."""

    def __init__(self, name: str):
        super().__init__(name)
        self.streams = 0
        self.stream_bytes = 0
        self.reparse_points = 0
        self.offline = 0
        self.attributes: dict[str, int] = {}
        self.sacl_unread = 0

    def summary(self, names=None) -> dict:
        return {**super().summary(names), "streams": self.streams, "stream_bytes": self.stream_bytes,
                "reparse_points": self.reparse_points, "offline_files": self.offline,
                "attributes": dict(sorted(self.attributes.items())), "sacl_unread": self.sacl_unread}


def inspect(share: str, entries: Iterable[SmbEntry], unc_prefix: str, max_path: int,
            stream_limit: int = DEFAULT_STREAM_LIMIT, listed: list | None = None) -> SmbReport:
    """``listed``: where given, each entry's summary is appended (for a report or a test)."""
    report = SmbReport(share)
    children: dict[bytes, list[bytes]] = {}
    file_ids: dict[int, list[bytes]] = {}
    for entry in entries:
        if listed is not None:
            listed.append(entry.summary())
        _count(report, entry)
        _principals(report, entry)
        for key, sentence in entry.problems:
            report.problem(key, shown(entry.path), sentence)
        if not entry.path:
            continue
        parent, _dummy, name = entry.path.rpartition(b"/")
        children.setdefault(parent, []).append(name)
        for key, sentence in share_names.name_problems(name):
            report.problem(key, shown(entry.path), sentence)
        for key, sentence in share_names.path_problems(entry.path, unc_prefix, max_path):
            report.problem(key, shown(entry.path), sentence)
        _streams(report, entry, stream_limit)
        if entry.kind == "file" and entry.nlink > 1:
            file_ids.setdefault(entry.file_id, []).append(entry.path)
        if entry.kind == "file" and entry.attributes & ATTR_SPARSE:
            report.problem("shares.sparse_file", shown(entry.path),
                           f"{entry.size} bytes, {entry.allocated} allocated")
    for parent, names in children.items():
        for group in share_names.case_collisions(names):
            paths = [shown(os.path.join(parent, n) if parent else n) for n in group]
            report.problem("shares.name_case_collision", paths[0], "collides with " + ", ".join(paths[1:]))
    for file_id, paths in sorted(file_ids.items()):
        report.problem("shares.hard_link", shown(paths[0]),
                       f"{len(paths)} names in this share for one file (file id {file_id})"
                       + ("" if len(paths) > 1 else "; its other names are outside the share"))
    if report.sacl_unread:
        report.problem("shares.sacl_unreadable", share, f"the SACLs of {report.sacl_unread} path(s) were not read")
    return report


def _count(report: SmbReport, entry: SmbEntry) -> None:
    if entry.kind == "file":
        report.files += 1
        report.bytes += entry.size
        report.allocated += entry.allocated
        report.offline += any(key == "shares.offline_file" for key, _sentence in entry.problems)
    elif entry.kind == "dir":
        report.dirs += 1 if entry.path else 0
    else:
        report.reparse_points += 1
        report.symlinks += 1
    for letter in attribute_letters(entry.attributes):
        report.attributes[letter] = report.attributes.get(letter, 0) + 1


def _principals(report: SmbReport, entry: SmbEntry) -> None:
    if entry.sd is None:
        return
    if not entry.sacl_read:
        report.sacl_unread += 1
    try:
        sids = set(ntacl.parse_sd(entry.sd).sids())
    except ntacl.NtaclError as err:
        report.problem("shares.ntacl_unreadable", shown(entry.path), str(err))
        return
    for sid in sids:
        report.principals[sid] = report.principals.get(sid, 0) + 1


def _streams(report: SmbReport, entry: SmbEntry, limit: int) -> None:
    for name, size in entry.streams:
        report.streams += 1
        report.stream_bytes += size
        if size > limit:
            report.problem("shares.stream_too_large", f"{shown(entry.path)}:{name}",
                           f"{size} bytes, the target holds streams up to {limit}")
        else:
            report.problem("shares.alternate_stream", f"{shown(entry.path)}:{name}", f"{size} bytes")

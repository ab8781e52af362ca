# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Pre-flight of one share read over SMB (``smb_source``): the Samba path's report, from
what the SMB walk lists.

The summary and findings are those of ``preflight`` (``ShareReport``, ``findings``,
``unmapped_sid_findings``), and so are the rules for every entry (``preflight.Walk``:
counting, principals, name and path rules, case collisions, hard links, sparse files),
with the SD parser ``ntacl.parse_sd`` (the SMB answer is the self-relative SD that
security.NTACL wraps).
What only the SMB walk sees (reparse points, offline files, files locked against reading,
access denied despite backup intent, alternate data streams and whether the target's
vfs_streams_xattr can hold them) becomes findings of their own keys.

Standard library only.
"""

from __future__ import annotations

from collections.abc import Iterable

from ansible_collections.kommunal.umzug.plugins.module_utils.shares import ntacl
from ansible_collections.kommunal.umzug.plugins.module_utils.shares.preflight import ShareReport, Walk, sd_sids
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
            stream_limit: int = DEFAULT_STREAM_LIMIT, listed: list | None = None, with_sd: bool = False) -> SmbReport:
    """``listed``: where given, each entry's summary is appended (for a report or a test),
    with its security descriptor when ``with_sd``."""
    walk = Walk(SmbReport(share), unc_prefix, max_path, link_reason="hard_link_file_id")
    report = walk.report
    for entry in entries:
        if listed is not None:
            listed.append(entry.summary(with_sd))
        walk.entry(entry.path, entry.kind, _sids(report, entry), size=entry.size, allocated=entry.allocated,
                   nlink=entry.nlink, link_id=entry.file_id, sparse=bool(entry.attributes & ATTR_SPARSE))
        _count(report, entry)
        for key, sentence in entry.problems:
            report.problem(key, shown(entry.path), sentence)
        if entry.path:
            _streams(report, entry, stream_limit)
    walk.finish()
    if report.sacl_unread:
        report.problem("shares.sacl_unreadable", share, f"the SACLs of {report.sacl_unread} path(s) were not read")
    return report


def _count(report: SmbReport, entry: SmbEntry) -> None:
    """What only SMB counts; files and folders ``Walk`` counts."""
    if entry.kind == "file":
        report.offline += any(key == "shares.offline_file" for key, _sentence in entry.problems)
    elif entry.kind != "dir":
        report.reparse_points += 1
        report.symlinks += 1
    for letter in attribute_letters(entry.attributes):
        report.attributes[letter] = report.attributes.get(letter, 0) + 1


def _sids(report: SmbReport, entry: SmbEntry) -> set[str]:
    if entry.sd is None:
        return set()
    if not entry.sacl_read:
        report.sacl_unread += 1
    return sd_sids(report, entry.path, ntacl.parse_sd, entry.sd)


def _streams(report: SmbReport, entry: SmbEntry, limit: int) -> None:
    for name, size in entry.streams:
        report.streams += 1
        report.stream_bytes += size
        if size > limit:
            report.problem("shares.stream_too_large", f"{shown(entry.path)}:{name}",
                           f"{size} bytes, the target holds streams up to {limit}")
        else:
            report.problem("shares.alternate_stream", f"{shown(entry.path)}:{name}", f"{size} bytes")

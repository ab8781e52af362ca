# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Pre-flight of one share: what it holds, and what cannot move as it is, as findings.

``inspect`` walks the nodes of a share (``share_tree.scan``) once and returns a summary
(size, counts, the principals its owners and Windows ACLs name) and the findings:
names Windows clients cannot take and paths longer than Linux takes (``share_names``),
hard links, symlinks (those leaving the share apart), sparse files, devices/fifos/sockets,
Windows ACLs that cannot be read, xattrs a sync does not carry (``share_tree.carried``;
``inspect`` needs the nodes with every xattr, ``share_tree.scan(wanted=every_xattr)``),
and SIDs the identity mapping cannot translate. Open files (smbstatus) and the target's
free space are judged by ``open_file_findings`` and ``space_finding``.

Standard library only: runs on the Kommune's file server.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field

from ansible_collections.kommunal.umzug.plugins.module_utils import ntacl, share_names
from ansible_collections.kommunal.umzug.plugins.module_utils.findings import Finding, Remediation
from ansible_collections.kommunal.umzug.plugins.module_utils.share_tree import Node, carried, shown

NTACL_NAME = "security.NTACL"

# How many paths one finding names; the summary says how many there are in all.
RESOURCE_LIMIT = 20

NAME_TITLES = {
    "shares.name_invalid_utf8": ("Names that are not valid UTF-8", "high"),
    "shares.name_invalid_character": ("Names with characters SMB clients cannot use", "medium"),
    "shares.name_trailing_dot_or_space": ("Names ending in a dot or a space", "medium"),
    "shares.name_reserved": ("Reserved DOS device names", "medium"),
    "shares.name_case_collision": ("Names that differ only in case or Unicode form (NFC/NFD)", "medium"),
    "shares.path_too_long": ("Paths too long for Windows clients on the target", "medium"),
    "shares.path_beyond_path_max": ("Paths longer than Linux takes (PATH_MAX): not copied", "high"),
}
NAME_HINTS = {
    "shares.name_invalid_utf8": "Rename the files with a UTF-8 name (convmv -f latin1 -t utf8) before the final pass.",
    "shares.name_case_collision": "Rename one of each pair; a Windows client sees only one of them.",
    "shares.path_too_long": "Shorten folder names, or enable long path support on the clients.",
    "shares.path_beyond_path_max": "Shorten or flatten these folders on the source; the passes copy them once "
                                   "they fit.",
}


@dataclass
class ShareReport:
    name: str
    files: int = 0
    dirs: int = 0
    symlinks: int = 0
    others: int = 0
    bytes: int = 0
    allocated: int = 0
    # SID -> number of paths naming it (owner, group or ACE)
    principals: dict[str, int] = field(default_factory=dict)
    problems: dict[str, list[tuple[str, str]]] = field(default_factory=dict)

    def problem(self, key: str, path: str, sentence: str) -> None:
        self.problems.setdefault(key, []).append((path, sentence))

    def summary(self, names: Mapping[str, str] | None = None) -> dict:
        return {"name": self.name, "files": self.files, "dirs": self.dirs, "symlinks": self.symlinks,
                "others": self.others, "bytes": self.bytes, "allocated_bytes": self.allocated,
                "principals": [{"sid": sid, "name": (names or {}).get(sid), "paths": count}
                               for sid, count in sorted(self.principals.items())]}


def inspect(share: str, nodes: Iterable[Node], unc_prefix: str, max_path: int,
            uid_sid: Callable[[int], str | None], gid_sid: Callable[[int], str | None]) -> ShareReport:
    report = ShareReport(share)
    children: dict[bytes, list[bytes]] = {}
    inodes: dict[int, list[bytes]] = {}
    for node in nodes:
        _count(report, node)
        _principals(report, node, uid_sid, gid_sid)
        if not node.path:
            continue
        parent, _dummy, name = node.path.rpartition(b"/")
        children.setdefault(parent, []).append(name)
        for key, sentence in share_names.name_problems(name):
            report.problem(key, shown(node.path), sentence)
        for key, sentence in share_names.path_problems(node.path, unc_prefix, max_path):
            report.problem(key, shown(node.path), sentence)
        left_behind = sorted(name for name in node.xattrs if not carried(name))
        if left_behind:
            report.problem("shares.xattr_not_carried", shown(node.path),
                           f"{', '.join(left_behind)} will not arrive on the target")
        if node.kind == "file" and node.nlink > 1:
            inodes.setdefault(node.inode, []).append(node.path)
        if node.kind == "file" and node.blocks * 512 < node.size:
            report.problem("shares.sparse_file", shown(node.path),
                           f"{node.size} bytes, {node.blocks * 512} allocated")
        if node.kind == "symlink":
            _symlink(report, node)
        if node.kind == "other":
            report.problem("shares.special_file", shown(node.path), "a device, fifo or socket: it is not copied")
    for parent, names in children.items():
        for group in share_names.case_collisions(names):
            paths = [shown(os.path.join(parent, n) if parent else n) for n in group]
            report.problem("shares.name_case_collision", paths[0], "collides with " + ", ".join(paths[1:]))
    for inode, paths in sorted(inodes.items()):
        report.problem("shares.hard_link", shown(paths[0]),
                       f"{len(paths)} names in this share for one file (inode {inode})"
                       + ("" if len(paths) > 1 else "; its other names are outside the share"))
    return report


def _count(report: ShareReport, node: Node) -> None:
    if node.kind == "file":
        report.files += 1
        report.bytes += node.size
        report.allocated += node.blocks * 512
    elif node.kind == "dir":
        report.dirs += 1 if node.path else 0
    elif node.kind == "symlink":
        report.symlinks += 1
    else:
        report.others += 1


def _principals(report: ShareReport, node: Node, uid_sid, gid_sid) -> None:
    sids = {uid_sid(node.uid), gid_sid(node.gid)}
    blob = node.xattrs.get(NTACL_NAME)
    if blob:
        try:
            sids.update(ntacl.sd_from_ntacl(blob).sids())
        except ntacl.NtaclError as err:
            report.problem("shares.ntacl_unreadable", shown(node.path), str(err))
    for sid in sids - {None}:
        report.principals[sid] = report.principals.get(sid, 0) + 1


def _symlink(report: ShareReport, node: Node) -> None:
    target = node.target or b""
    resolved = os.path.normpath(os.path.join(os.path.dirname(node.path), target))
    if target.startswith(b"/") or resolved == b".." or resolved.startswith(b"../"):
        report.problem("shares.symlink_outside", shown(node.path),
                       f"points to {shown(target)}, outside the share: copied as a link, its target is not")
    else:
        report.problem("shares.symlink", shown(node.path), f"points to {shown(target)} inside the share")


SEVERITY = {
    "shares.sparse_file": ("Sparse files", "info", "Kept sparse by the copy; the target needs their full size "
                           "only where they are written."),
    "shares.hard_link": ("Hard links", "low", "Kept as hard links inside the share; links to files outside "
                         "the share become separate copies."),
    "shares.symlink": ("Symbolic links inside the share", "info", "Copied as links; SMB clients see them only "
                       "where the target allows following symlinks."),
    "shares.symlink_outside": ("Symbolic links pointing outside the share", "medium", "Replace the link by "
                               "the data it points to, or accept that it dangles on the target."),
    "shares.special_file": ("Devices, fifos or sockets", "low", "They are not copied; remove them."),
    "shares.ntacl_unreadable": ("Windows ACLs that cannot be read", "high", "Reset the ACL of these paths "
                                "(smbcacls --set) before the move; they are copied as they are."),
    "shares.xattr_not_carried": ("Extended attributes that are not carried", "medium",
                                 "A sync carries user.*, trusted.*, the Windows ACL and the POSIX ACLs. File "
                                 "capabilities (security.capability) are left behind on purpose: a file share "
                                 "grants no program privileges; set one on the target by hand if it is really "
                                 "needed. SELinux labels and other security.* come from the target's own policy."),
}


def findings(report: ShareReport, kommune: str | None, host: str | None) -> list[Finding]:
    result = []
    for key in sorted(report.problems):
        entries = report.problems[key]
        if key in NAME_TITLES:
            title, severity = NAME_TITLES[key]
            hint = NAME_HINTS.get(key, "Rename these paths before the final pass.")
        else:
            title, severity, hint = SEVERITY[key]
        first = "; ".join(f"{path}: {sentence}" for path, sentence in entries[:3])
        result.append(Finding(
            key=key, title=f"{title} in share {report.name}",
            summary=f"{len(entries)} path(s) in share {report.name}. {first}" + (" ..." if len(entries) > 3 else ""),
            severity=severity, payload="shares", remediation=Remediation("hint", hint),
            resources=(report.name, *sorted({path for path, _dummy in entries})[:RESOURCE_LIMIT]),
            kommune=kommune, host=host))
    return result


def unmapped_sid_findings(share: str, principals: Mapping[str, int], will_translate: Callable[[str], bool],
                          names: Mapping[str, str], kommune: str | None, host: str | None) -> list[Finding]:
    """One finding per share listing the SIDs that will have no new identity
    (``will_translate``: share_identity.sid_judge of the mapping)."""
    unmapped = sorted(sid for sid in principals if not will_translate(sid))
    if not unmapped:
        return []
    described = ", ".join(f"{sid} ({names.get(sid) or 'unknown'}, {principals[sid]} paths)" for sid in unmapped)
    return [Finding(
        key="shares.sid_unmapped", title=f"SIDs without a new identity in share {share}",
        summary=f"{len(unmapped)} SID(s) in owners or Windows ACLs have no entry in the identity mapping and no "
                f"rule that maps them: {described}. They are copied unchanged and grant nothing on the target.",
        severity="medium", payload="shares",
        remediation=Remediation("hint", "Add manual entries to the mapping file (source: manual), then discover "
                                "again."),
        resources=(share, *unmapped[:RESOURCE_LIMIT]), kommune=kommune, host=host)]


def open_file_findings(open_files: Iterable[Mapping], shares: Mapping[str, str], kommune: str | None,
                       host: str | None) -> list[Finding]:
    """``open_files``: {path (absolute), user, mode} from smbstatus; ``shares``: name -> path."""
    per_share: dict[str, list[str]] = {}
    for item in open_files:
        for name, root in shares.items():
            root = root.rstrip("/") + "/"
            if (item["path"] + "/").startswith(root):
                per_share.setdefault(name, []).append(f"{item['path'][len(root):] or '.'} ({item.get('user') or '?'}"
                                                      f", {item.get('mode') or '?'})")
    return [Finding(
        key="shares.file_open", title=f"Files open or locked in share {name}",
        summary=f"{len(paths)} file(s) open over SMB right now: {'; '.join(paths[:5])}. A pass copies what is on "
                "disk; changes still held by a client arrive with a later pass.",
        severity="low", payload="shares",
        remediation=Remediation("hint", "Before the final pass, freeze the share (it closes the connections)."),
        resources=(name, *paths[:RESOURCE_LIMIT]), kommune=kommune, host=host)
        for name, paths in sorted(per_share.items())]


def space_finding(needed: int, free: int | None, margin_percent: int, target: str, kommune: str | None,
                  host: str | None) -> list[Finding]:
    if free is None:
        return []
    wanted = needed + needed * margin_percent // 100
    if wanted <= free:
        return []
    return [Finding(
        key="shares.target_space_short", title="Not enough free space on the RZ file server",
        summary=f"The shares need {needed} bytes (+{margin_percent} % margin: {wanted}); {target} has {free} "
                "bytes free.",
        severity="high", payload="shares", inhibitor=True,
        remediation=Remediation("hint", f"Grow the file system of {target} before the seed pass."),
        resources=(target,), kommune=kommune, host=host)]


def parse_smbstatus_locks(text: str) -> list[dict]:
    """``smbstatus -L`` text: the locked files (pid uid denymode access r/w oplock path name time)."""
    result = []
    for line in text.splitlines():
        parts = line.split()
        if len(parts) < 8 or not parts[0].isdigit():
            continue
        # SharePath and Name may hold spaces: the time is the last five fields.
        rest = line.split(None, 6)[6] if len(line.split(None, 6)) > 6 else ""
        mode = parts[4]
        rest = rest.rsplit(None, 5)[0] if len(rest.split()) > 5 else rest
        share_path, _dummy, name = rest.partition("   ")
        name = name.strip()
        result.append({"path": os.path.join(share_path.strip(), name) if name and name != "." else share_path.strip(),
                       "user": parts[1], "mode": mode})
    return result

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

from ansible_collections.kommunal.umzug.plugins.module_utils.findings import Finding, Reason
from ansible_collections.kommunal.umzug.plugins.module_utils.shares import names as share_names
from ansible_collections.kommunal.umzug.plugins.module_utils.shares import ntacl
from ansible_collections.kommunal.umzug.plugins.module_utils.shares.tree import Node, carried, shown

NTACL_NAME = "security.NTACL"

# How many paths one finding names; the summary says how many there are in all.
RESOURCE_LIMIT = 20


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
    problems: dict[str, list[tuple[str, Reason]]] = field(default_factory=dict)

    def problem(self, key: str, path: str, reason: Reason) -> None:
        self.problems.setdefault(key, []).append((path, reason))

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
        for key, reason in share_names.name_problems(name):
            report.problem(key, shown(node.path), reason)
        for key, reason in share_names.path_problems(node.path, unc_prefix, max_path):
            report.problem(key, shown(node.path), reason)
        left_behind = sorted(name for name in node.xattrs if not carried(name))
        if left_behind:
            report.problem("shares.xattr_not_carried", shown(node.path),
                           Reason("xattr_not_carried", names=left_behind))
        if node.kind == "file" and node.nlink > 1:
            inodes.setdefault(node.inode, []).append(node.path)
        if node.kind == "file" and node.blocks * 512 < node.size:
            report.problem("shares.sparse_file", shown(node.path),
                           Reason("sparse_file", size=node.size, allocated=node.blocks * 512))
        if node.kind == "symlink":
            _symlink(report, node)
        if node.kind == "other":
            report.problem("shares.special_file", shown(node.path), Reason("special_file"))
    for parent, names in children.items():
        for group in share_names.case_collisions(names):
            paths = [shown(os.path.join(parent, n) if parent else n) for n in group]
            report.problem("shares.name_case_collision", paths[0], Reason("case_collision", paths=paths[1:]))
    for inode, paths in sorted(inodes.items()):
        report.problem("shares.hard_link", shown(paths[0]),
                       Reason("hard_link" if len(paths) > 1 else "hard_link_outside", count=len(paths), inode=inode))
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
        report.problem("shares.symlink_outside", shown(node.path), Reason("symlink_outside", target=shown(target)))
    else:
        report.problem("shares.symlink", shown(node.path), Reason("symlink_inside", target=shown(target)))


def findings(report: ShareReport, kommune: str | None, host: str | None) -> list[Finding]:
    result = []
    for key in sorted(report.problems):
        entries = report.problems[key]
        first = [Reason("path_problem", path=path, reason=reason) for path, reason in entries[:3]]
        result.append(Finding.of(
            key, share=report.name, count=len(entries), first=first, more=" ..." if len(entries) > 3 else "",
            variant="preflight",
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
    described = [Reason("sid_named", sid=sid, name=names[sid], paths=principals[sid]) if names.get(sid)
                 else Reason("sid_unnamed", sid=sid, paths=principals[sid]) for sid in unmapped]
    return [Finding.of(
        "shares.sid_unmapped", share=share, count=len(unmapped), described=described, variant="preflight",
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
    return [Finding.of(
        "shares.file_open", share=name, count=len(paths), files="; ".join(paths[:5]),
        resources=(name, *paths[:RESOURCE_LIMIT]), kommune=kommune, host=host)
        for name, paths in sorted(per_share.items())]


def space_finding(needed: int, free: int | None, margin_percent: int, target: str, kommune: str | None,
                  host: str | None) -> list[Finding]:
    if free is None:
        return []
    wanted = needed + needed * margin_percent // 100
    if wanted <= free:
        return []
    return [Finding.of(
        "shares.target_space_short", needed=needed, margin=margin_percent, wanted=wanted, target=target, free=free,
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

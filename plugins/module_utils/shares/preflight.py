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
    walk = Walk(ShareReport(share), unc_prefix, max_path)
    report = walk.report
    for node in nodes:
        sids = {uid_sid(node.uid), gid_sid(node.gid)}
        blob = node.xattrs.get(NTACL_NAME)
        if blob:
            sids |= sd_sids(report, node.path, ntacl.sd_from_ntacl, blob)
        allocated = node.blocks * 512
        walk.entry(node.path, node.kind, sids, size=node.size, allocated=allocated, nlink=node.nlink,
                   link_id=node.inode, sparse=allocated < node.size)
        if node.kind == "symlink":
            report.symlinks += 1
        elif node.kind not in ("file", "dir"):
            report.others += 1
        if not node.path:
            continue
        left_behind = sorted(name for name in node.xattrs if not carried(name))
        if left_behind:
            report.problem("shares.xattr_not_carried", shown(node.path),
                           Reason("xattr_not_carried", names=left_behind))
        if node.kind == "symlink":
            _symlink(report, node)
        if node.kind == "other":
            report.problem("shares.special_file", shown(node.path), Reason("special_file"))
    return walk.finish()


@dataclass
class Walk:
    """The rules of one share's pre-flight that hold for every entry, however it was read
    (nodes of the local walk, entries of the SMB walk): counting, principals, names and
    path lengths, case collisions, hard links and sparse files. ``link_reason`` names the
    catalog's reason for a hard link by what identifies the file (inode or file id)."""

    report: ShareReport
    unc_prefix: str
    max_path: int
    link_reason: str = "hard_link"
    children: dict[bytes, list[bytes]] = field(default_factory=dict)
    links: dict[int, list[bytes]] = field(default_factory=dict)

    def entry(self, path: bytes, kind: str, sids: Iterable[str | None] = (), size: int = 0, allocated: int = 0,
              nlink: int = 1, link_id: int | None = None, sparse: bool = False) -> None:
        """One path of the share (b"" is its root); kinds other than file and dir the
        caller counts, as each walk names them differently."""
        report = self.report
        if kind == "file":
            report.files += 1
            report.bytes += size
            report.allocated += allocated
        elif kind == "dir":
            report.dirs += 1 if path else 0
        for sid in set(sids) - {None}:
            report.principals[sid] = report.principals.get(sid, 0) + 1
        if not path:
            return
        parent, _dummy, name = path.rpartition(b"/")
        self.children.setdefault(parent, []).append(name)
        for key, reason in share_names.name_problems(name):
            report.problem(key, shown(path), reason)
        for key, reason in share_names.path_problems(path, self.unc_prefix, self.max_path):
            report.problem(key, shown(path), reason)
        if kind == "file" and nlink > 1:
            self.links.setdefault(link_id, []).append(path)
        if kind == "file" and sparse:
            report.problem("shares.sparse_file", shown(path), Reason("sparse_file", size=size, allocated=allocated))

    def finish(self) -> ShareReport:
        """What needs every entry: names that collide but for case, and hard links."""
        for parent, names in self.children.items():
            for group in share_names.case_collisions(names):
                paths = [shown(os.path.join(parent, n) if parent else n) for n in group]
                self.report.problem("shares.name_case_collision", paths[0], Reason("case_collision", paths=paths[1:]))
        for link_id, paths in sorted(self.links.items()):
            reason = self.link_reason if len(paths) > 1 else self.link_reason + "_outside"
            self.report.problem("shares.hard_link", shown(paths[0]), Reason(reason, count=len(paths), inode=link_id))
        return self.report


def sd_sids(report: ShareReport, path: bytes, parse: Callable[[bytes], ntacl.SecurityDescriptor],
            blob: bytes) -> set[str]:
    """The SIDs a security descriptor names (``parse``: its codec); none, and a finding,
    where it cannot be read."""
    try:
        return set(parse(blob).sids())
    except ntacl.NtaclError as err:
        report.problem("shares.ntacl_unreadable", shown(path), str(err))
        return set()


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

# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""A share's tree as data: scanning, the wire form, and the plan of a sync pass.

A ``Node`` is one path below a share root, with everything a migration must carry:
type, mode, owner, size, mtime (ns), inode and link count (hard links), symlink target,
allocated blocks (sparse files) and the xattrs (user.*, security.NTACL and the POSIX ACLs
in system.posix_acl_*). Paths are bytes: a Kommune's server may hold names that are not
valid UTF-8, and those must be carried and reported, not lost.

``plan`` compares the source's nodes, the target's nodes and the state of the last pass
(what the source looked like when each path was last brought over) and decides per path:
copy the content, apply metadata only, create a directory, delete, or nothing. The rule
is rsync's quick check (type, size, mtime), plus the metadata signature; a target path
that does not match what the last pass left there is copied again, which is what makes
an interrupted pass safe to repeat. Standard library only: runs on the file servers.
"""

from __future__ import annotations

import base64
import hashlib
import json
import os
import stat
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import asdict, dataclass, field

KINDS = {stat.S_IFREG: "file", stat.S_IFDIR: "dir", stat.S_IFLNK: "symlink"}
# xattrs a sync carries: user data (DOS attributes among them), the Windows ACL, POSIX ACLs.
CARRIED_XATTRS = ("user.", "security.NTACL", "system.posix_acl_access", "system.posix_acl_default")


def carried(name: str) -> bool:
    return name.startswith(CARRIED_XATTRS[0]) or name in CARRIED_XATTRS[1:]


@dataclass(frozen=True)
class Node:
    path: bytes
    kind: str
    mode: int
    uid: int
    gid: int
    size: int
    mtime_ns: int
    inode: int = 0
    nlink: int = 1
    blocks: int = 0
    target: bytes | None = None
    xattrs: Mapping[str, bytes] = field(default_factory=dict)

    def content_signature(self) -> list:
        """JSON-safe, as it is kept in the state file. A folder's content is its children."""
        if self.kind == "dir":
            return ["dir"]
        return [self.kind, self.size, self.mtime_ns, None if self.target is None else _b64(self.target)]

    def meta_signature(self) -> str:
        digest = hashlib.sha256()
        # A folder's mtime is metadata: its children change it, the pass sets it back.
        mtime = self.mtime_ns if self.kind == "dir" else 0
        digest.update(f"{self.mode}:{self.uid}:{self.gid}:{mtime}".encode())
        for name in sorted(self.xattrs):
            digest.update(name.encode() + b"\0" + self.xattrs[name] + b"\0")
        return digest.hexdigest()

    def to_wire(self) -> dict:
        data = asdict(self)
        data["path"] = _b64(self.path)
        data["target"] = None if self.target is None else _b64(self.target)
        data["xattrs"] = {name: _b64(value) for name, value in self.xattrs.items()}
        return data

    @classmethod
    def from_wire(cls, data: Mapping) -> Node:
        return cls(**{
            **data,
            "path": base64.b64decode(data["path"]),
            "target": None if data["target"] is None else base64.b64decode(data["target"]),
            "xattrs": {name: base64.b64decode(value) for name, value in data["xattrs"].items()},
        })


def _b64(value: bytes) -> str:
    return base64.b64encode(value).decode("ascii")


def read_xattrs(path: bytes) -> dict[str, bytes]:
    values = {}
    try:
        names = os.listxattr(path, follow_symlinks=False)
    except OSError:
        return values
    for name in names:
        if carried(name):
            try:
                values[name] = os.getxattr(path, name, follow_symlinks=False)
            except OSError:
                # Vanished between list and get: the next pass sees it again.
                continue
    return values


def node_at(root: bytes, relative: bytes, with_xattrs: bool = True) -> Node:
    full = os.path.join(root, relative) if relative else root
    st = os.lstat(full)
    kind = KINDS.get(stat.S_IFMT(st.st_mode), "other")
    return Node(
        path=relative, kind=kind, mode=stat.S_IMODE(st.st_mode), uid=st.st_uid, gid=st.st_gid,
        size=st.st_size if kind in ("file", "symlink") else 0, mtime_ns=st.st_mtime_ns,
        inode=st.st_ino, nlink=st.st_nlink, blocks=st.st_blocks,
        target=os.readlink(full) if kind == "symlink" else None,
        xattrs=read_xattrs(full) if with_xattrs and kind in ("file", "dir") else {},
    )


def scan(root: bytes, skip: Iterable[bytes] = (), with_xattrs: bool = True) -> Iterator[Node]:
    """Every node below ``root`` (the root itself first, as b''), parents before children;
    symlinks are reported, never followed. ``skip`` names top-level entries to leave out;
    ``with_xattrs=False`` reads type, size and times only (the target side of a plan)."""
    skipped = set(skip)
    yield node_at(root, b"", with_xattrs)
    stack = [b""]
    while stack:
        relative_dir = stack.pop()
        try:
            entries = sorted(os.scandir(os.path.join(root, relative_dir) if relative_dir else root),
                             key=lambda e: e.name)
        except FileNotFoundError:
            continue
        children = []
        for entry in entries:
            if not relative_dir and entry.name in skipped:
                continue
            relative = os.path.join(relative_dir, entry.name) if relative_dir else entry.name
            try:
                node = node_at(root, relative, with_xattrs)
            except FileNotFoundError:
                continue
            yield node
            if node.kind == "dir":
                children.append(relative)
        stack.extend(reversed(children))


# --- plan ------------------------------------------------------------------------------

@dataclass
class Plan:
    mkdir: list[Node] = field(default_factory=list)
    copy: list[Node] = field(default_factory=list)
    meta: list[Node] = field(default_factory=list)
    delete: list[Node] = field(default_factory=list)
    unchanged: int = 0

    @property
    def bytes_to_copy(self) -> int:
        return sum(node.size for node in self.copy if node.kind == "file")

    def is_empty(self) -> bool:
        return not (self.mkdir or self.copy or self.meta or self.delete)


def plan(source: Iterable[Node], target: Mapping[bytes, Node], state: Mapping[bytes, dict]) -> Plan:
    """What one pass must do so that the target matches ``source``.

    ``state`` maps a path to what the last pass recorded for it: the source's content and
    metadata signatures, and the target's size and mtime right after the pass.
    """
    result = Plan()
    seen = set()
    for node in source:
        seen.add(node.path)
        there = target.get(node.path)
        last = state.get(node.path)
        if node.kind == "other":
            continue  # devices, sockets, fifos: reported by pre-flight, never copied
        if there is None or there.kind != node.kind or not _target_as_left(there, last):
            (result.mkdir if node.kind == "dir" else result.copy).append(node)
        elif last["content"] != node.content_signature():
            (result.meta if node.kind == "dir" else result.copy).append(node)
        elif last["meta"] != node.meta_signature():
            result.meta.append(node)
        else:
            result.unchanged += 1
    # Deepest first, so a folder is empty when its turn comes.
    result.delete = sorted((n for p, n in target.items() if p not in seen), key=lambda n: n.path, reverse=True)
    return result


def _target_as_left(there: Node, last: dict | None) -> bool:
    if last is None:
        return False
    if there.kind == "dir":
        return True
    return [there.size, there.mtime_ns] == list(last["target"])


def state_entry(source_node: Node, target_stat: os.stat_result) -> dict:
    """What a pass leaves: the source's signatures, and the target's size and mtime as
    ``_target_as_left`` reads them back (a folder's size does not count)."""
    size = target_stat.st_size if source_node.kind in ("file", "symlink") else 0
    return {"content": source_node.content_signature(), "meta": source_node.meta_signature(),
            "target": [size, target_stat.st_mtime_ns]}


def load_state(path: str) -> dict[bytes, dict]:
    try:
        with open(path, encoding="utf-8") as handle:
            data = json.load(handle)
    except FileNotFoundError:
        return {}
    return {base64.b64decode(key): value for key, value in data["paths"].items()}


def save_state(path: str, state: Mapping[bytes, dict]) -> None:
    """Atomically, so an interrupted pass leaves the previous state, never half of one."""
    tmp = f"{path}.tmp"
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(tmp, "w", encoding="utf-8") as handle:
        json.dump({"version": 1, "paths": {_b64(k): v for k, v in state.items()}}, handle)
        handle.flush()
        os.fsync(handle.fileno())
    os.replace(tmp, path)

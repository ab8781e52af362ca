# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""A share's tree as data: scanning, the wire form, and the plan of a sync pass.

A ``Node`` is one path below a share root, with everything a migration must carry:
type, mode, owner, size, mtime (ns), inode and link count (hard links), symlink target,
allocated blocks (sparse files) and the xattrs (user.*, security.NTACL and the POSIX ACLs
in system.posix_acl_*). Paths are bytes: a Kommune's server may hold names that are not
valid UTF-8, and those must be carried and reported, not lost.

A pass works in two steps, so that a share of which little changed costs one ``lstat``
per path and no xattr reads: ``walk`` gives every path's stat (an ``Entry``), ``triage``
sets apart what the state of the last pass proves unchanged, and only the rest is read
with its xattrs (``node_of``) and decided by ``plan``: copy the content, apply metadata
only, create a directory, delete, or nothing. The rule is rsync's quick check (type,
size, mtime), plus a digest of the metadata; a target path that does not match what the
last pass left there is copied again, which is what makes an interrupted pass safe to
repeat. Standard library only: runs on the file servers (the listing agent is this
module's own source, see ``share_sync.agent_source``).
"""

from __future__ import annotations

import base64
import hashlib
import json
import os
import stat
import struct
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import asdict, dataclass, field
from typing import NamedTuple

KINDS = {stat.S_IFREG: "file", stat.S_IFDIR: "dir", stat.S_IFLNK: "symlink"}
KIND_CODES = {"file": 0, "dir": 1, "symlink": 2, "other": 3}
KIND_NAMES = ("file", "dir", "symlink", "other")
FILE, DIR, SYMLINK, OTHER = range(4)
KIND_OF_FORMAT = {stat.S_IFREG: FILE, stat.S_IFDIR: DIR, stat.S_IFLNK: SYMLINK}
# xattrs a sync carries: user data (DOS attributes among them), the Windows ACL, POSIX ACLs.
CARRIED_XATTRS = ("user.", "security.NTACL", "system.posix_acl_access", "system.posix_acl_default")
# A ctime this close to the scan's start may still be shared by a change right after the
# scan (the kernel stamps times from a clock that ticks in milliseconds, some file systems
# in seconds): such a path is read again by the next pass instead of trusted.
RACY_NS = 3_000_000_000


def shown(path: bytes) -> str:
    """A path for a report: undecodable bytes as \\xNN, never lost or replaced by '?'."""
    return path.decode("utf-8", "backslashreplace") or "."


def carried(name: str) -> bool:
    return name.startswith(CARRIED_XATTRS[0]) or name in CARRIED_XATTRS[1:]


class StateError(ValueError):
    """A state file that cannot be read; the message says which and what to do."""


class Entry(NamedTuple):
    """One path's stat as the listing carries it: no xattrs yet."""

    path: bytes
    kind: int
    mode: int
    uid: int
    gid: int
    size: int
    mtime_ns: int
    ctime_ns: int
    inode: int
    nlink: int
    blocks: int
    target: bytes | None


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
    ctime_ns: int = 0

    def meta_signature(self) -> bytes:
        # A folder's mtime is metadata: its children change it, the pass sets it back.
        mtime = self.mtime_ns if self.kind == "dir" else 0
        parts = [b"%d:%d:%d:%d" % (self.mode, self.uid, self.gid, mtime)]
        for name in sorted(self.xattrs):
            parts += (name.encode(), self.xattrs[name])
        return hashlib.blake2b(b"\0".join(parts), digest_size=16).digest()


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


def _link_digest(target: bytes | None) -> bytes:
    return bytes(8) if target is None else hashlib.blake2b(target, digest_size=8).digest()


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


def entry_of(relative: bytes, st: os.stat_result, target: bytes | None) -> Entry:
    return entry_from_wire(relative, record_of(st), target)


def record_of(st: os.stat_result) -> bytes:
    """A path's stat in the wire form (see WIRE_ENTRY)."""
    mode = st.st_mode
    kind = KIND_OF_FORMAT.get(stat.S_IFMT(mode), OTHER)
    return WIRE_ENTRY.pack(kind, st.st_size if kind in (FILE, SYMLINK) else 0, st.st_mtime_ns, mode & 0o7777,
                           st.st_uid, st.st_gid, st.st_ctime_ns, st.st_ino, st.st_nlink, st.st_blocks)


def entry_from_wire(path: bytes, record: bytes, target: bytes | None) -> Entry:
    kind, size, mtime, mode, uid, gid, ctime, ino, nlink, blocks = WIRE_ENTRY.unpack(record)
    return Entry(path, kind, mode, uid, gid, size, mtime, ctime, ino, nlink, blocks,
                 target if kind == SYMLINK else None)


def node_of(entry: Entry, xattrs: Mapping[str, bytes]) -> Node:
    return Node(path=entry.path, kind=KIND_NAMES[entry.kind], mode=entry.mode, uid=entry.uid, gid=entry.gid,
                size=entry.size, mtime_ns=entry.mtime_ns, inode=entry.inode, nlink=entry.nlink,
                blocks=entry.blocks, target=entry.target, xattrs=xattrs, ctime_ns=entry.ctime_ns)


def walk_records(root: bytes, skip: Iterable[bytes] = ()) -> Iterator[tuple[bytes, bytes, bytes | None]]:
    """(path, record, symlink target) of every path below ``root`` (the root itself first,
    as b''), parents before children, names sorted; symlinks are reported, never
    followed. One ``lstat`` per path, relative to an open handle of its folder (the
    kernel does not walk the whole path each time). ``skip`` names top-level entries to
    leave out."""
    skipped = set(skip)
    yield b"", record_of(os.lstat(root)), None
    stack = [b""]
    lstat, readlink, is_link = os.lstat, os.readlink, stat.S_ISLNK
    while stack:
        relative_dir = stack.pop()
        try:
            fd = os.open(os.path.join(root, relative_dir) if relative_dir else root,
                         os.O_RDONLY | os.O_DIRECTORY | os.O_NOFOLLOW)
        except (FileNotFoundError, NotADirectoryError):
            continue  # went away, or became something else, since its parent was read
        try:
            names = sorted(map(os.fsencode, os.listdir(fd)))
            prefix = relative_dir + b"/" if relative_dir else b""
            children = []
            for name in names:
                if not relative_dir and name in skipped:
                    continue
                try:
                    st = lstat(name, dir_fd=fd)
                    target = readlink(name, dir_fd=fd) if is_link(st.st_mode) else None
                except FileNotFoundError:
                    continue
                path = prefix + name
                yield path, record_of(st), target
                if stat.S_ISDIR(st.st_mode):
                    children.append(path)
        finally:
            os.close(fd)
        stack.extend(reversed(children))


def walk(root: bytes, skip: Iterable[bytes] = ()) -> Iterator[Entry]:
    """``walk_records`` as entries."""
    for path, record, target in walk_records(root, skip):
        yield entry_from_wire(path, record, target)


def node_at(root: bytes, relative: bytes, with_xattrs: bool = True) -> Node:
    full = os.path.join(root, relative) if relative else root
    st = os.lstat(full)
    entry = entry_of(relative, st, os.readlink(full) if stat.S_ISLNK(st.st_mode) else None)
    return node_of(entry, read_xattrs(full) if with_xattrs and entry.kind in (FILE, DIR) else {})


def scan(root: bytes, skip: Iterable[bytes] = (), with_xattrs: bool = True) -> Iterator[Node]:
    """``walk`` as whole nodes, with the xattrs of files and folders unless
    ``with_xattrs=False``."""
    for entry in walk(root, skip):
        full = os.path.join(root, entry.path) if entry.path else root
        yield node_of(entry, read_xattrs(full) if with_xattrs and entry.kind in (FILE, DIR) else {})


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


# The listing's record of one path. Its first bytes are what ``triage`` compares as they
# are, without unpacking: type, size and mtime (the target's side), then mode, owner,
# ctime, inode and link count (the source's side). Allocated blocks come last: they change
# without a ctime change when the file system allocates delayed writes.
WIRE_ENTRY = struct.Struct("<BQqIIIqQQQ")  # kind size mtime mode uid gid ctime ino nlink blocks
TARGET_KEY = 17  # kind, size, mtime
SOURCE_KEY = 53  # ... up to nlink
INODE_AT, NLINK_AT = 37, 45
ONE_LINK = struct.pack("<Q", 1)
DIR_KEY = struct.pack("<BQq", DIR, 0, 0)
# What a pass leaves per path (state): the source's key as read (its ctime zeroed when it
# was read too recently to prove anything, see RACY_NS), the target's key after the pass,
# the metadata digest (Node.meta_signature) and the digest of a symlink's target.
SRC, TGT, META, LINK = range(4)


class Last(NamedTuple):
    source: bytes
    target: bytes
    meta: bytes
    link: bytes


def target_key(kind: int, size: int, mtime_ns: int) -> bytes:
    # A folder's size and mtime are not compared: what is inside it is, path by path.
    return DIR_KEY if kind == DIR else struct.pack("<BQq", kind, size, mtime_ns)


def target_listing(root: bytes) -> dict[bytes, bytes]:
    """The target's paths with what ``triage`` and ``plan`` compare: type, size, mtime."""
    if not os.path.isdir(root):
        return {}
    return {p: (DIR_KEY if r[0] == DIR else r[:TARGET_KEY]) for p, r, _ in walk_records(root)}


def triage(paths: list[bytes], records: list[bytes], target: Mapping[bytes, bytes],
           state: Mapping[bytes, tuple]) -> tuple[list[int], list[int]]:
    """(unchanged, to read): positions of the source paths that the state proves
    unchanged, and of those that must be read with their xattrs and planned.

    Why ctime proves it: the kernel sets a path's ctime to now on every change of its
    inode -- content, mode, owner, link count, rename, and every xattr, so every NTACL,
    POSIX ACL and DOS attribute change. The same inode number with the same ctime (and
    type, size, mtime, mode, owner, link count) as the last pass read, and not read
    racily (RACY_NS), is therefore the same content and metadata; with a target that
    still looks as the pass left it, there is nothing to do and its xattrs need not be
    read. Devices, sockets and fifos are left out: pre-flight reports them, they are
    never copied.
    """
    unchanged, to_read, linked = [], [], []
    get_last, get_there = state.get, target.get
    for index, path in enumerate(paths):
        record = records[index]
        last = get_last(path)
        if last is not None and last[SRC] == record[:SOURCE_KEY] and get_there(path) == last[TGT]:
            unchanged.append(index)
        elif record[0] != OTHER:
            to_read.append(index)
        if record[0] == FILE and record[NLINK_AT:SOURCE_KEY] != ONE_LINK:
            linked.append(index)
    # All names of a hard-linked file are planned together (see _copy_link_groups_whole).
    inodes = {records[i][INODE_AT:NLINK_AT] for i in linked}
    read_inodes = {records[i][INODE_AT:NLINK_AT] for i in to_read} & inodes
    if read_inodes:
        join = {i for i in linked if records[i][INODE_AT:NLINK_AT] in read_inodes}
        unchanged = [i for i in unchanged if i not in join]
        to_read = sorted(set(to_read) | join)
    return unchanged, to_read


def content_plan(paths: list[bytes], records: list[bytes], links: list[bytes], to_read: Iterable[int],
                 target: Mapping[bytes, bytes], state: Mapping[bytes, tuple]) -> tuple[list[int], list[int]]:
    """(copy, mkdir): positions of the paths whose content must be brought over, and of
    the folders to create. Decided from the listing alone -- rsync's quick check (type,
    size, mtime, a symlink's target) against the state, and whether the target still looks
    as the last pass left it -- so the copy can start while the xattrs are still read."""
    copy, mkdir, linked = [], [], {}
    for index in to_read:
        record, path = records[index], paths[index]
        kind = record[0]
        last, there = state.get(path), target.get(path)
        if last is None or there != last[TGT] or (there is not None and there[0] != kind):
            # New, changed at the target since the last pass, or of another type now (a
            # file that became a folder or the other way round: see replaced()).
            (mkdir if kind == DIR else copy).append(index)
        elif kind != DIR and (record[:TARGET_KEY] != last[SRC][:TARGET_KEY] or last[LINK] != _link_digest(
                links[index] if kind == SYMLINK else None)):
            copy.append(index)
        if kind == FILE and record[NLINK_AT:SOURCE_KEY] != ONE_LINK:
            linked.setdefault(record[INODE_AT:NLINK_AT], []).append(index)
    # tar keeps hard links among the names it is given in one stream: when one name of a
    # linked file is copied, all its names are (triage read them all), or the target
    # would get separate files.
    if linked:
        chosen = set(copy)
        for index in list(copy):
            chosen.update(linked.get(records[index][INODE_AT:NLINK_AT], ()))
        copy = sorted(chosen)
    return copy, mkdir


def replaced(paths: list[bytes], records: list[bytes], chosen: Iterable[int],
             target: Mapping[bytes, bytes]) -> list[bytes]:
    """The target paths that must go before the content comes: those whose type differs
    from the source's now (tar cannot write a file where a folder is, nor into a file)."""
    return [paths[i] for i in chosen if (there := target.get(paths[i])) is not None and there[0] != records[i][0]]


def plan(source: Iterable[Node], target: Mapping[bytes, bytes], state: Mapping[bytes, tuple],
         copy: Iterable[bytes] = (), mkdir: Iterable[bytes] = (), listed: Iterable[bytes] = (),
         unchanged: int = 0) -> Plan:
    """What one pass must do so that the target matches the source: ``source`` are the
    nodes ``triage`` left to read, ``copy`` and ``mkdir`` the paths ``content_plan``
    chose among them; the others get their metadata applied where its digest changed.
    ``listed`` are the paths of everything the source has (``unchanged`` of them proven
    unchanged by triage), so that the rest of ``target`` is deleted."""
    result = Plan(unchanged=unchanged)
    copy, mkdir = set(copy), set(mkdir)
    for node in source:
        if node.kind == "other":
            continue
        if node.path in mkdir:
            result.mkdir.append(node)
        elif node.path in copy:
            result.copy.append(node)
        elif state[node.path][META] != node.meta_signature():
            result.meta.append(node)
        else:
            result.unchanged += 1
    # Deepest first, so a folder is empty when its turn comes.
    seen = set(listed)
    gone = sorted((p for p in target if p not in seen), reverse=True)
    result.delete = [Node(p, KIND_NAMES[target[p][0]], 0, 0, 0, 0, 0) for p in gone]
    return result


def state_entry(node: Node, after: bytes, scan_started_ns: int) -> Last:
    """What a pass leaves for ``node``; ``after`` is the target's key of it after the pass.
    The source's ctime is kept only when it was not racy, on the source's clock."""
    ctime = node.ctime_ns if node.ctime_ns < scan_started_ns - RACY_NS else 0
    record = WIRE_ENTRY.pack(KIND_CODES[node.kind], node.size, node.mtime_ns, node.mode, node.uid, node.gid,
                             ctime, node.inode, node.nlink, 0)
    return Last(record[:SOURCE_KEY], after, node.meta_signature(), _link_digest(node.target))


# --- state file ----------------------------------------------------------------------------
# Binary: a header, one fixed-size record per path, then the paths joined by NUL (a path
# never holds one). Reading and writing 100,000 paths takes milliseconds, where JSON with
# base64 keys took most of a second.

STATE_MAGIC = b"UMZUGST3"
STATE_HEADER = struct.Struct("<8sQQ")  # magic, number of paths, bytes of paths
STATE_RECORD = struct.Struct(f"<{SOURCE_KEY}s{TARGET_KEY}s16s8s")


def load_state(path: str) -> dict[bytes, tuple]:
    """Path -> (source key, target key, metadata digest, link digest), see Last."""
    try:
        with open(path, "rb") as handle:
            data = handle.read()
    except FileNotFoundError:
        return {}
    if data[:1] == b"{":
        return _load_state_v1(path, data)
    try:
        magic, count, paths_size = STATE_HEADER.unpack_from(data)
        records_end = STATE_HEADER.size + count * STATE_RECORD.size
        if magic != STATE_MAGIC or len(data) != records_end + paths_size:
            raise ValueError("size or header do not match")
        paths = data[records_end:].split(b"\0") if count else []
        if len(paths) != count:
            raise ValueError("number of paths does not match")
        records = STATE_RECORD.iter_unpack(memoryview(data)[STATE_HEADER.size:records_end])
        return dict(zip(paths, records, strict=True))
    except (struct.error, ValueError) as err:
        raise StateError(f"state file {path} cannot be read ({err}); remove it to start over, the next pass "
                         "then compares every path again and copies what differs") from None


def _load_state_v1(path: str, data: bytes) -> dict[bytes, tuple]:
    """The JSON state of earlier versions: content and target are kept, the metadata is
    applied once more (its digest was computed differently)."""
    try:
        paths = json.loads(data)["paths"]
        result = {}
        for key, value in paths.items():
            kind, size, mtime, link = value["content"] if value["content"][0] != "dir" else ("dir", 0, 0, None)
            code = KIND_CODES[kind]
            result[base64.b64decode(key)] = (
                WIRE_ENTRY.pack(code, size, mtime, 0, 0, 0, 0, 0, 0, 0)[:SOURCE_KEY],
                target_key(code, *value["target"]), bytes(16),
                _link_digest(None if link is None else base64.b64decode(link)))
        return result
    except (KeyError, TypeError, ValueError, struct.error) as err:
        raise StateError(f"state file {path} cannot be read ({err}); remove it to start over") from None


def save_state(path: str, state: Mapping[bytes, tuple]) -> None:
    """Atomically, so an interrupted pass leaves the previous state, never half of one."""
    tmp = f"{path}.tmp"
    os.makedirs(os.path.dirname(path), exist_ok=True)
    paths = b"\0".join(state)
    with open(tmp, "wb") as handle:
        handle.write(STATE_HEADER.pack(STATE_MAGIC, len(state), len(paths)))
        handle.write(b"".join(b"".join(last) for last in state.values()))
        handle.write(paths)
        handle.flush()
        os.fsync(handle.fileno())
    os.replace(tmp, path)


# --- wire form of the listing agent ----------------------------------------------------------
# Frames of (type, length, payload). "S": entries (records, then paths and symlink targets
# joined by NUL); "P": newly seen distinct xattrs (name, value), numbered in order; "X":
# for each requested entry its count of xattrs and their numbers; "I": the SIDs of uids
# and gids (JSON); "Z": the end. Distinct xattr values are few (folders inherit the same
# ACLs), so each travels once.

FRAME = struct.Struct("<cQ")
WIRE_COUNTS = struct.Struct("<III")


def pack_records(chunk: list[tuple[bytes, bytes, bytes | None]]) -> bytes:
    paths = b"\0".join(c[0] for c in chunk)
    links = b"\0".join(c[2] or b"" for c in chunk)
    return (WIRE_COUNTS.pack(len(chunk), len(paths), len(links)) + b"".join(c[1] for c in chunk)
            + paths + links)


def unpack_records(payload: bytes) -> tuple[list[bytes], list[bytes], list[bytes]]:
    """(paths, records, symlink targets, b'' for others) of one "S" frame."""
    count, paths_size, links_size = WIRE_COUNTS.unpack_from(payload)
    start = WIRE_COUNTS.size
    end = start + count * WIRE_ENTRY.size
    if not count:
        return [], [], []
    if len(payload) != end + paths_size + links_size:
        raise ValueError("listing frame is cut off")
    size = WIRE_ENTRY.size
    records = [payload[i:i + size] for i in range(start, end, size)]
    paths = payload[end:end + paths_size].split(b"\0")
    links = payload[end + paths_size:].split(b"\0")
    if not len(paths) == len(links) == count:
        raise ValueError("listing frame does not add up")
    return paths, records, links


def pack_entries(entries: list[Entry]) -> bytes:
    return pack_records([(e.path, WIRE_ENTRY.pack(e.kind, e.size, e.mtime_ns, e.mode, e.uid, e.gid, e.ctime_ns,
                                                  e.inode, e.nlink, e.blocks), e.target) for e in entries])


def unpack_entries(payload: bytes) -> list[Entry]:
    paths, records, links = unpack_records(payload)
    return [entry_from_wire(p, r, t) for p, r, t in zip(paths, records, links, strict=True)]


def frame(kind: bytes, payload: bytes) -> bytes:
    return FRAME.pack(kind, len(payload)) + payload


def read_frame(stream) -> tuple[bytes, bytes]:
    head = stream.read(FRAME.size)
    if len(head) != FRAME.size:
        raise EOFError("the listing ended early")
    kind, size = FRAME.unpack(head)
    payload = stream.read(size)
    if len(payload) != size:
        raise EOFError("the listing ended early")
    return kind, payload


PAIR_HEAD = struct.Struct("<BI")


def pack_pairs(pairs: Iterable[tuple[str, bytes]]) -> bytes:
    out = []
    for name, value in pairs:
        raw = os.fsencode(name)
        out += (PAIR_HEAD.pack(len(raw), len(value)), raw, value)
    return b"".join(out)


def unpack_pairs(payload: bytes) -> list[tuple[str, bytes]]:
    pairs, offset = [], 0
    while offset < len(payload):
        name_size, value_size = PAIR_HEAD.unpack_from(payload, offset)
        offset += PAIR_HEAD.size
        name = os.fsdecode(payload[offset:offset + name_size])
        offset += name_size
        pairs.append((name, payload[offset:offset + value_size]))
        offset += value_size
    return pairs

# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""A share's tree as data: scanning, the wire form, and the work list of a sync pass.

A ``Node`` is one path below a share root, with everything a migration must carry:
type, mode, owner, size, mtime (ns), inode and link count (hard links), symlink target,
allocated blocks (sparse files) and the xattrs (user.*, security.NTACL and the POSIX ACLs
in system.posix_acl_*). Paths are bytes: a Kommune's server may hold names that are not
valid UTF-8, and those must be carried and reported, not lost.

A pass works in two steps, so that a share of which little changed costs one ``lstat``
per path and no xattr reads: ``walk`` gives every path's stat (an ``Entry``), ``triage``
sets apart what the state of the last pass proves unchanged, and only the rest is read
with its xattrs (``node_of``) and decided by ``work_list``: copy the content, apply metadata
only, create a directory, delete, or nothing. The rule is rsync's quick check (type,
size, mtime), plus a digest of the metadata; a target path that does not match what the
last pass left there is copied again, which is what makes an interrupted pass safe to
repeat. Standard library only: runs on the file servers (the listing agent is this
module's own source, see ``share_sync.agent_source``).

Below a share root nothing is reached through a symlink, in any component of a path:
the walk opens each folder by name in its parent's descriptor (``walk_at``), and every
later read of a path goes through ``Below``, folder by folder from the root's descriptor
with O_NOFOLLOW. A share user may swap a folder for a symlink at any moment; the reader
runs as root.
"""

from __future__ import annotations

import base64
import errno
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
# xattrs a sync carries. In the content stream (tar), as they are: user data (DOS
# attributes among them) and trusted.* (root's own namespace, where Samba modules and
# cluster file systems keep data; both sides run as root, so the target can hold it).
# From the listing, translated: the Windows ACL and the POSIX ACLs.
# Everything else is left behind and pre-flight says so (shares.xattr_not_carried):
# security.capability is a file capability -- it makes a program run with root's powers
# in part, and a file share serves documents: a capability arriving through a share
# would be a privilege nobody at the RZ granted, so it is reported, not carried.
# security.selinux, .ima, .evm and other system.* belong to the source's own security
# policy and kernel; the target labels its files itself.
IN_TAR_XATTRS = ("user.", "trusted.")
TRANSLATED_XATTRS = ("security.NTACL", "system.posix_acl_access", "system.posix_acl_default")
CARRIED_XATTRS = (*IN_TAR_XATTRS, *TRANSLATED_XATTRS)
# A ctime this close to the scan's start may still be shared by a change right after the
# scan (the kernel stamps times from a clock that ticks in milliseconds, some file systems
# in seconds): such a path is read again by the next pass instead of trusted.
RACY_NS = 3_000_000_000


def shown(path: bytes) -> str:
    """A path for a report: undecodable bytes as \\xNN, never lost or replaced by '?'."""
    return path.decode("utf-8", "backslashreplace") or "."


def carried(name: str) -> bool:
    return name.startswith(IN_TAR_XATTRS) or name in TRANSLATED_XATTRS


def travels_in_tar(name: str) -> bool:
    """The xattrs the content stream carries as they are (the receiving tar's
    ``--xattrs-include`` takes the same); the ACLs are applied from the listing,
    translated."""
    return name.startswith(IN_TAR_XATTRS)


def every_xattr(name: str) -> bool:
    """For pre-flight, which reports the xattrs that are not carried."""
    return True


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
    """The carried xattrs of a path on this side (the target); the last component is
    not followed. Below a share root that others may change, use ``read_xattrs_at``."""
    return _read_xattrs(path, follow_symlinks=False)


def read_xattrs_at(folder: int, name: bytes | None, wanted=carried) -> dict[str, bytes]:
    """The carried xattrs of ``name`` in the open ``folder`` (of the folder itself when
    ``name`` is None), no component followed: /proc's link of the descriptor is exactly
    the folder that was opened, and the name's own symlink is not followed."""
    if name is None:
        return _read_xattrs(folder, wanted)
    return _read_xattrs(b"/proc/self/fd/%d/%s" % (folder, name), wanted, follow_symlinks=False)


def _read_xattrs(where, wanted=carried, **how) -> dict[str, bytes]:
    values = {}
    try:
        names = os.listxattr(where, **how)
    except OSError:
        return values
    for name in names:
        if wanted(name):
            try:
                values[name] = os.getxattr(where, name, **how)
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


FOLDER_FLAGS = os.O_RDONLY | os.O_DIRECTORY | os.O_NOFOLLOW
# An open that met something else than the folder or file it expected: gone (ENOENT), a
# symlink now (ELOOP with O_NOFOLLOW), a file where a folder was (ENOTDIR).
CHANGED_ERRNOS = (errno.ENOENT, errno.ELOOP, errno.ENOTDIR)


def walk_records(root: bytes, skip: Iterable[bytes] = ()) -> Iterator[tuple[bytes, bytes, bytes | None]]:
    """(path, record, symlink target) of every path below ``root`` (the root itself first,
    as b''), parents before children, names sorted; symlinks are reported, never
    followed (see ``walk_at``). ``skip`` names top-level entries to leave out."""
    for path, st, target, _dummy, _dummy in walk_at(root, skip):
        yield path, record_of(st), target


def walk_at(root: bytes, skip: Iterable[bytes] = ()) -> Iterator[tuple[bytes, os.stat_result, bytes | None,
                                                                       int, bytes | None]]:
    """(path, lstat, symlink target, open folder, name in it) of every path below
    ``root``, in ``walk_records``' order; the folder descriptor is valid until the next
    item (None as name: the root itself, the descriptor is the root's own).

    Each folder is opened by its name in its parent's open descriptor with O_NOFOLLOW,
    never by a path: a folder swapped for a symlink while the walk runs is not entered
    (a path whose type changed is left out; the next pass sees it). One lstat per path
    relative to its folder; open descriptors: one per level of depth, not per folder."""
    skipped = set(skip)
    root_fd = os.open(root, FOLDER_FLAGS)
    stack = [(root_fd, b"", iter(()))]
    try:
        yield b"", os.fstat(root_fd), None, root_fd, None
        stack[-1] = (root_fd, b"", iter((yield from _children(root_fd, b"", skipped))))
        while stack:
            parent, _dummy, pending = stack[-1]
            for name, path in pending:
                try:
                    fd = os.open(name, FOLDER_FLAGS, dir_fd=parent)
                except OSError as err:
                    if err.errno in CHANGED_ERRNOS:
                        continue
                    raise
                stack.append((fd, path, iter(())))
                stack[-1] = (fd, path, iter((yield from _children(fd, path + b"/", ()))))
                break
            else:
                os.close(stack.pop()[0])
    finally:
        for fd, _dummy, _dummy in stack:
            os.close(fd)


def _children(fd: int, prefix: bytes, skipped: set[bytes]):
    """Yields the entries of the open folder ``fd``; returns its subfolders (name, path)."""
    folders = []
    lstat, readlink, is_link = os.lstat, os.readlink, stat.S_ISLNK
    for name in sorted(map(os.fsencode, os.listdir(fd))):
        if name in skipped:
            continue
        try:
            st = lstat(name, dir_fd=fd)
            target = readlink(name, dir_fd=fd) if is_link(st.st_mode) else None
        except OSError as err:
            if err.errno in (*CHANGED_ERRNOS, errno.EINVAL):
                continue  # gone, or no longer a symlink, since the listing of the folder
            raise
        path = prefix + name
        yield path, st, target, fd, name
        if stat.S_ISDIR(st.st_mode):
            folders.append((name, path))
    return folders


def walk(root: bytes, skip: Iterable[bytes] = ()) -> Iterator[Entry]:
    """``walk_records`` as entries."""
    for path, record, target in walk_records(root, skip):
        yield entry_from_wire(path, record, target)


def node_at(root: bytes, relative: bytes, with_xattrs: bool = True) -> Node:
    with Below(root) as below:
        folder, name, st = below.lstat(relative)
        target = os.readlink(name, dir_fd=folder) if stat.S_ISLNK(st.st_mode) else None
        entry = entry_of(relative, st, target)
        return node_of(entry, read_xattrs_at(folder, name) if with_xattrs and entry.kind in (FILE, DIR) else {})


def scan(root: bytes, skip: Iterable[bytes] = (), with_xattrs: bool = True, wanted=carried) -> Iterator[Node]:
    """``walk`` as whole nodes, with the carried xattrs of files and folders unless
    ``with_xattrs=False`` (read in the walk's open folder, see ``read_xattrs_at``);
    ``wanted=every_xattr`` reads the others too (pre-flight reports them)."""
    for path, st, target, folder, name in walk_at(root, skip):
        entry = entry_of(path, st, target)
        yield node_of(entry, read_xattrs_at(folder, name, wanted) if with_xattrs and entry.kind in (FILE, DIR)
                      else {})


# What a path is now that is not what the listing said, by code: the report words the code
# in its own language (finding_catalog.REASONS has the same codes); the English here is for
# the exception's message in logs. The agent cannot import the catalog, so the codes travel.
CHANGED = {
    "path_gone": "gone",
    "path_symlink_now": "a symlink now",
    "path_other_type_now": "of another type now",
    "path_not_plain": "not a plain path below the share root",
    "path_changed_while_opened": "changed while it was opened",
    "path_no_longer_symlink": "no longer a symlink",
    "path_changed_while_read": "changed while it was read",
}


class PathChanged(Exception):
    """A path below the share root that is no longer what the listing said: gone, a
    symlink now, or of another type. It is skipped, never followed. ``code``: one of
    CHANGED; ``reason``: its English words."""

    def __init__(self, path: bytes, code: str):
        super().__init__(f"{shown(path)}: {CHANGED[code]}")
        self.path, self.code, self.reason = path, code, CHANGED[code]


class Below:
    """Opens paths below a share root without following a symlink in any component:
    each folder is opened by name in its parent's descriptor with O_NOFOLLOW, from the
    root's descriptor down. The descriptors of the last folder chain are kept, so a
    sorted list of paths opens each folder once. The one place that reads the source."""

    def __init__(self, root: bytes):
        self.root = os.open(root, FOLDER_FLAGS)
        self.chain: list[tuple[bytes, int]] = []  # (name, descriptor) from the root down
        self.last: bytes | None = b""  # the folder the chain ends in

    def __enter__(self) -> Below:
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def close(self) -> None:
        self._trim(0)
        os.close(self.root)

    def _trim(self, depth: int) -> None:
        self.last = None
        while len(self.chain) > depth:
            os.close(self.chain.pop()[1])

    def folder(self, relative_dir: bytes) -> int:
        """The open descriptor of a folder below the root (b'' is the root)."""
        if relative_dir == self.last:
            return self.chain[-1][1] if self.chain else self.root
        names = relative_dir.split(b"/") if relative_dir else []
        if any(n in (b"", b".", b"..") for n in names):
            raise PathChanged(relative_dir, "path_not_plain")
        depth = 0
        while depth < min(len(names), len(self.chain)) and self.chain[depth][0] == names[depth]:
            depth += 1
        self._trim(depth)
        for index in range(depth, len(names)):
            parent = self.chain[-1][1] if self.chain else self.root
            try:
                fd = os.open(names[index], FOLDER_FLAGS, dir_fd=parent)
            except OSError as err:
                if err.errno not in CHANGED_ERRNOS:
                    raise
                raise PathChanged(b"/".join(names[:index + 1]), _now(names[index], parent)) from None
            self.chain.append((names[index], fd))
        self.last = relative_dir
        return self.chain[-1][1] if self.chain else self.root

    def lstat(self, relative: bytes) -> tuple[int, bytes | None, os.stat_result]:
        """(open parent folder, name in it, lstat) of a path; for the root (b''): its own
        descriptor, None and its stat."""
        if not relative:
            return self.root, None, os.fstat(self.root)
        parent, _dummy, name = relative.rpartition(b"/")
        folder = self.folder(parent)
        if name in (b".", b".."):
            raise PathChanged(relative, "path_not_plain")
        try:
            return folder, name, os.lstat(name, dir_fd=folder)
        except FileNotFoundError:
            raise PathChanged(relative, "path_gone") from None

    def open(self, relative: bytes, kind: int, seen: tuple | None = None) -> tuple[int, os.stat_result]:
        """An open descriptor (and its fstat) of the file or folder at ``relative``, which
        the listing saw as ``kind`` (FILE or DIR); PathChanged when it is something else
        now. ``seen``: what ``lstat`` just gave for it. The caller closes the descriptor."""
        folder, name, st = seen or self.lstat(relative)
        if KIND_OF_FORMAT.get(stat.S_IFMT(st.st_mode), OTHER) != kind:
            raise PathChanged(relative, "path_symlink_now" if stat.S_ISLNK(st.st_mode) else "path_other_type_now")
        if name is None:
            return os.dup(self.root), st
        # O_NONBLOCK: a fifo swapped in after the lstat must not stall the reader.
        flags = (FOLDER_FLAGS if kind == DIR else os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK) | NOATIME
        try:
            fd = os.open(name, flags, dir_fd=folder)
        except PermissionError:
            fd = os.open(name, flags & ~NOATIME, dir_fd=folder)  # O_NOATIME: owner or root only
        except OSError as err:
            if err.errno not in CHANGED_ERRNOS:
                raise
            raise PathChanged(relative, "path_changed_while_opened") from None
        now = os.fstat(fd)
        if (now.st_dev, now.st_ino) != (st.st_dev, st.st_ino) or stat.S_IFMT(now.st_mode) != stat.S_IFMT(st.st_mode):
            os.close(fd)
            raise PathChanged(relative, "path_changed_while_opened")
        return fd, now

    def xattrs(self, relative: bytes) -> dict[str, bytes]:
        """The carried xattrs of a path (of the symlink itself if it is one now)."""
        folder, name, _dummy = self.lstat(relative)
        return read_xattrs_at(folder, name)


def _now(name: bytes, folder: int) -> str:
    """What a path that was not what the listing said is now (a code of CHANGED)."""
    try:
        mode = os.lstat(name, dir_fd=folder).st_mode
    except OSError:
        return "path_gone"
    return "path_symlink_now" if stat.S_ISLNK(mode) else "path_other_type_now"


# Reading a file must not change its access time on the source (GNU tar's did).
NOATIME = getattr(os, "O_NOATIME", 0)


def content_sha256(below: Below, relative: bytes) -> str | None:
    """SHA-256 of a file's content, read through ``below``; None when the path is no longer
    a file there (never read through a symlink)."""
    try:
        fd, _dummy = below.open(relative, FILE)
    except PathChanged:
        return None
    digest = hashlib.sha256()
    try:
        while chunk := os.read(fd, 1 << 20):
            digest.update(chunk)
    finally:
        os.close(fd)
    return digest.hexdigest()


# --- work list -------------------------------------------------------------------------

@dataclass
class WorkList:
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
    """The target's paths with what ``triage`` and ``work_list`` compare: type, size, mtime."""
    if not os.path.isdir(root):
        return {}
    return {p: (DIR_KEY if r[0] == DIR else r[:TARGET_KEY]) for p, r, _dummy in walk_records(root)}


def triage(paths: list[bytes], records: list[bytes], target: Mapping[bytes, bytes],
           state: Mapping[bytes, tuple]) -> tuple[list[int], list[int]]:
    """(unchanged, to read): positions of the source paths that the state proves
    unchanged, and of those that must be read with their xattrs and decided on.

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
    # All names of a hard-linked file are decided together (see _copy_link_groups_whole).
    inodes = {records[i][INODE_AT:NLINK_AT] for i in linked}
    read_inodes = {records[i][INODE_AT:NLINK_AT] for i in to_read} & inodes
    if read_inodes:
        join = {i for i in linked if records[i][INODE_AT:NLINK_AT] in read_inodes}
        unchanged = [i for i in unchanged if i not in join]
        to_read = sorted(set(to_read) | join)
    return unchanged, to_read


def content_to_copy(paths: list[bytes], records: list[bytes], links: list[bytes], to_read: Iterable[int],
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


def work_list(source: Iterable[Node], target: Mapping[bytes, bytes], state: Mapping[bytes, tuple],
              copy: Iterable[bytes] = (), mkdir: Iterable[bytes] = (), listed: Iterable[bytes] = (),
              unchanged: int = 0) -> WorkList:
    """What one pass must do so that the target matches the source: ``source`` are the
    nodes ``triage`` left to read, ``copy`` and ``mkdir`` the paths ``content_to_copy``
    chose among them; the others get their metadata applied where its digest changed.
    ``listed`` are the paths of everything the source has (``unchanged`` of them proven
    unchanged by triage), so that the rest of ``target`` is deleted."""
    result = WorkList(unchanged=unchanged)
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


def dump_state(state: Mapping[bytes, tuple]) -> bytes:
    """The state file's content; the pass writes it with the one atomic writer of the
    managed host (files.write_atomic, see share_sync.save_state), so an interrupted pass
    leaves the previous state, never half of one."""
    paths = b"\0".join(state)
    return (STATE_HEADER.pack(STATE_MAGIC, len(state), len(paths))
            + b"".join(b"".join(last) for last in state.values()) + paths)


# Beside the state: the paths verification found different on the target although the
# state says the last pass left them right (a content change that kept size and mtime,
# a change behind Samba's back). The next pass forgets their state and copies them again.
# Each path ends with a NUL (as find -print0 writes them: `tr '\0' '\n' <` shows them).
FLAGGED_SUFFIX = ".flagged"


def flagged_path(state_path: str) -> str:
    return state_path + FLAGGED_SUFFIX


def dump_paths(paths: Iterable[bytes]) -> bytes:
    return b"".join(path + b"\0" for path in sorted(set(paths)))


def load_flagged(state_path: str) -> set[bytes]:
    """The paths verification flagged for the next pass (none when there is no file)."""
    try:
        with open(flagged_path(state_path), "rb") as handle:
            data = handle.read()
    except FileNotFoundError:
        return set()
    return set(data.split(b"\0")[:-1])


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

# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The source side of a pass's content: a tar stream read from the share without ever
following a symlink.

GNU tar, given paths relative to the share root, resolves every component of each path
when it reads it: a folder that a share user swapped for a symlink after the listing
would lead it, running as root, out of the share. This sender opens each path with
``share_tree.Below`` (folder by folder from the root's descriptor, O_NOFOLLOW on every
component), checks with fstat that it is still what the listing said, and reads only
through that descriptor. A path that is gone, a symlink now or of another type is
skipped and reported on stderr (``SKIPPED`` lines, the reason as a code with its data, which
the pass words through the findings catalog), never followed; so is a file that shrank while
it was read (its entry is padded with zeros to keep the stream whole).

The stream is POSIX pax as GNU tar reads it on the RZ side (``tar -x --sparse --xattrs``):
ustar headers, pax records for long names, nanosecond mtimes, large ids and sizes and the
xattrs that travel in tar (``SCHILY.xattr.<name>``, binary values), hard links as link
entries to the first name in the stream, symlinks as symlinks, sparse files in GNU sparse
format 1.0 (data found with SEEK_DATA/SEEK_HOLE), file data with sendfile.

Standard library only: it runs on the Kommune's server inside the agent
(``share_sync.agent_source``), where the import of share_tree below is left out and its
names are those of share_tree's source, which comes first.
"""

from __future__ import annotations

import base64
import errno
import json
import os
import stat
import struct

from ansible_collections.kommunal.umzug.plugins.module_utils.shares.tree import (  # agent: share_tree is inline
    DIR,
    FILE,
    SYMLINK,
    Below,
    PathChanged,
    shown,
    travels_in_tar,
)

BLOCK = 512
# Small files are read into the output buffer, large ones sent with sendfile.
SMALL = 1 << 20
FLUSH_AT = 1 << 20
# One line per skipped path on stderr: tag, base64 of the path, the reason as JSON
# ({"code": ..., **data}, a code of share_tree.CHANGED, "path_in_folder" or "path_shrank").
SKIPPED = b"umzug-skipped"
# How the receiving side names the kind the listing saw, first byte of each path it sends.
KIND_BYTES = {FILE: b"f", DIR: b"d", SYMLINK: b"l"}
KIND_OF_BYTE = {v[0]: k for k, v in KIND_BYTES.items()}


def request(paths: list[bytes], kinds: list[int]) -> bytes:
    """What the sender reads on stdin: per path the listed kind's byte and the path, each
    ended by NUL (a path never holds one)."""
    return b"".join(KIND_BYTES[kind] + path + b"\0" for path, kind in zip(paths, kinds, strict=True))


def skipped_from(stderr: bytes) -> tuple[dict[bytes, dict], list[str]]:
    """(skipped path -> reason record, the other lines) of a sender's stderr."""
    skipped, other = {}, []
    for line in stderr.splitlines():
        parts = line.split(b" ", 2)
        if len(parts) == 3 and parts[0] == SKIPPED:
            skipped[base64.b64decode(parts[1])] = json.loads(parts[2])
        elif line.strip():
            other.append(line.decode(errors="replace"))
    return skipped, other


# --- tar headers ---------------------------------------------------------------------------

# ustar: name, mode, uid, gid, size, mtime, checksum, type, link name, magic and version,
# user and group name, device numbers, prefix, padding to 512 bytes.
USTAR = struct.Struct("100s8s8s8s12s12s8sc100s8s32s32s8s8s155s12x")
MAGIC = b"ustar\x0000"
ID_MAX, SIZE_MAX = 8 ** 7, 8 ** 11  # what the octal fields of ids (8 bytes) and sizes (12) hold


def pax_record(key: bytes, value: bytes) -> bytes:
    body = b" " + key + b"=" + value + b"\n"
    size = len(body) + 1
    while size != len(b"%d" % size) + len(body):
        size = len(b"%d" % size) + len(body)
    return b"%d" % size + body


def pax_time(ns: int) -> bytes:
    sign, ns = (b"-", -ns) if ns < 0 else (b"", ns)
    seconds, fraction = divmod(ns, 1_000_000_000)
    return sign + (b"%d.%09d" % (seconds, fraction) if fraction else b"%d" % seconds)


def xattr_key(name: str) -> bytes:
    # GNU tar's escaping of the two characters a pax keyword cannot hold as they are.
    return b"SCHILY.xattr." + os.fsencode(name).replace(b"%", b"%25").replace(b"=", b"%3D")


def ustar(name: bytes, mode: int, uid: int, gid: int, size: int, mtime: int, typeflag: bytes,
          linkname: bytes = b"") -> bytes:
    """One ustar header block; fields that do not fit are given in a pax header before it
    (see ``entry``), here they are 0 or cut."""
    fields = [name[:100], b"%07o\0" % (mode & 0o7777), b"%07o\0" % (uid if 0 <= uid < ID_MAX else 0),
              b"%07o\0" % (gid if 0 <= gid < ID_MAX else 0), b"%011o\0" % (size if size < SIZE_MAX else 0),
              b"%011o\0" % (mtime if 0 <= mtime < SIZE_MAX else 0), b"        ", typeflag, linkname[:100],
              MAGIC, b"", b"", b"", b"", b""]
    fields[6] = b"%06o\0 " % sum(USTAR.pack(*fields))
    return USTAR.pack(*fields)


def entry(name: bytes, st: os.stat_result, typeflag: bytes, size: int, linkname: bytes = b"",
          xattrs: dict[str, bytes] | None = None, extra: tuple[tuple[bytes, bytes], ...] = ()) -> bytes:
    """The header blocks of one entry: a pax header when anything needs one, then ustar.
    Names and link targets are raw bytes: up to 100 bytes they go in the ustar fields
    (which GNU tar takes as they are), longer ones as pax records."""
    records = [pax_record(k, v) for k, v in extra]
    if len(name) > 100:
        records.append(pax_record(b"path", name))
    if len(linkname) > 100:
        records.append(pax_record(b"linkpath", linkname))
    mtime_ns = st.st_mtime_ns
    seconds, fraction = divmod(mtime_ns, 1_000_000_000)
    if fraction or not 0 <= seconds < SIZE_MAX:
        records.append(pax_record(b"mtime", pax_time(mtime_ns)))
    if not 0 <= st.st_uid < ID_MAX:
        records.append(pax_record(b"uid", b"%d" % st.st_uid))
    if not 0 <= st.st_gid < ID_MAX:
        records.append(pax_record(b"gid", b"%d" % st.st_gid))
    if size >= SIZE_MAX:
        records.append(pax_record(b"size", b"%d" % size))
    if xattrs:
        records += [pax_record(xattr_key(xname), xattrs[xname]) for xname in sorted(xattrs)]
    head = ustar(name, st.st_mode, st.st_uid, st.st_gid, size, seconds, typeflag, linkname)
    if not records:
        return head
    data = b"".join(records)
    pax_name = b"PaxHeaders/" + name.rsplit(b"/", 1)[-1]
    return ustar(pax_name, 0o644, 0, 0, len(data), seconds, b"x") + data + bytes(-len(data) % BLOCK) + head


def data_map(fd: int, size: int, blocks: int) -> list[tuple[int, int]] | None:
    """The data segments (offset, length) of a sparse file, ending with (size, 0) when it
    ends in a hole (GNU tar then sets the size); None for a file without holes."""
    if size == 0 or blocks * 512 >= size:
        return None
    segments, offset = [], 0
    try:
        while offset < size:
            try:
                start = os.lseek(fd, offset, os.SEEK_DATA)
            except OSError as err:
                if err.errno != errno.ENXIO:
                    raise
                break  # only a hole from here on
            if start >= size:
                break
            end = min(os.lseek(fd, start, os.SEEK_HOLE), size)
            segments.append((start, end - start))
            offset = end
    except (OSError, AttributeError):
        return None  # a file system without SEEK_DATA: the whole file
    if segments == [(0, size)]:
        return None
    if not segments or sum(segments[-1]) < size:
        segments.append((size, 0))
    return segments


# --- the sender ----------------------------------------------------------------------------

class Sender:
    """Writes the tar stream of the requested paths to ``out`` (a descriptor)."""

    def __init__(self, root: bytes, out: int, report):
        self.below = Below(root)
        self.out, self.report = out, report
        self.buffer = bytearray()
        self.linked: dict[tuple[int, int], bytes] = {}
        self.can_sendfile = hasattr(os, "sendfile")
        # The bytes of the stream written so far (a compressed pass reports them).
        self.written = 0

    def close(self) -> None:
        self.below.close()

    def run(self, request_data: bytes) -> None:
        for item in request_data.split(b"\0"):
            if item:
                self.send(item[1:], KIND_OF_BYTE.get(item[0], FILE))
        self.buffer += bytes(2 * BLOCK)
        self.flush()

    def send(self, path: bytes, kind: int) -> None:
        try:
            if kind == SYMLINK:
                self._symlink(path)
            elif kind == DIR:
                self._folder(path)
            else:
                self._file(path)
        except PathChanged as err:
            reason = {"code": err.code}
            self.skip(path, reason if err.path == path else
                      {"code": "path_in_folder", "folder": shown(err.path), "reason": reason})

    def skip(self, path: bytes, reason: dict) -> None:
        """Reports ``path`` as skipped; ``reason``: {"code": ..., **data} (see SKIPPED)."""
        line = json.dumps(reason, separators=(",", ":")).encode()
        self.report.write(b"%s %s %s\n" % (SKIPPED, base64.b64encode(path), line))
        self.report.flush()

    def _symlink(self, path: bytes) -> None:
        folder, name, st = self.below.lstat(path)
        if not stat.S_ISLNK(st.st_mode):
            raise PathChanged(path, "path_no_longer_symlink")
        try:
            target = os.readlink(name, dir_fd=folder)
        except OSError as err:
            raise PathChanged(path, "path_changed_while_read") from err
        self.buffer += entry(path, st, b"2", 0, target)

    def _folder(self, path: bytes) -> None:
        fd, st = self.below.open(path, DIR)
        try:
            self.buffer += entry(path.rstrip(b"/") + b"/", st, b"5", 0, xattrs=_tar_xattrs(fd))
        finally:
            os.close(fd)
        self._flush_if_full()

    def _file(self, path: bytes) -> None:
        seen = self.below.lstat(path)
        st = seen[2]
        first = self.linked.get((st.st_dev, st.st_ino)) if stat.S_ISREG(st.st_mode) and st.st_nlink > 1 else None
        if first is not None:
            self.buffer += entry(path, st, b"1", 0, first)
            return
        fd, st = self.below.open(path, FILE, seen)
        try:
            short = self._file_data(path, fd, st)
        finally:
            os.close(fd)
        if short:
            self.skip(path, {"code": "path_shrank", "bytes": short})
        elif st.st_nlink > 1:
            self.linked[(st.st_dev, st.st_ino)] = path
        self._flush_if_full()

    def _file_data(self, path: bytes, fd: int, st: os.stat_result) -> int:
        """Header and data of a regular file as fstat saw it when opened; returns by how
        many bytes it came up short (padded with zeros)."""
        xattrs = _tar_xattrs(fd)
        segments = data_map(fd, st.st_size, st.st_blocks)
        if segments is None:
            self.buffer += entry(path, st, b"0", st.st_size, xattrs=xattrs)
            short = self._data(fd, 0, st.st_size)
            self.buffer += bytes(-st.st_size % BLOCK)
            return short
        sparse_map = b"%d\n" % len(segments) + b"".join(b"%d\n%d\n" % segment for segment in segments)
        sparse_map += bytes(-len(sparse_map) % BLOCK)
        stored = len(sparse_map) + sum(length for _dummy, length in segments)
        extra = ((b"GNU.sparse.major", b"1"), (b"GNU.sparse.minor", b"0"), (b"GNU.sparse.name", path),
                 (b"GNU.sparse.realsize", b"%d" % st.st_size))
        parent, _dummy, base = path.rpartition(b"/")
        stand_in = (parent + b"/" if parent else b"") + b"GNUSparseFile.0/" + base
        self.buffer += entry(stand_in, st, b"0", stored, xattrs=xattrs, extra=extra) + sparse_map
        short = sum(self._data(fd, offset, length) for offset, length in segments)
        self.buffer += bytes(-stored % BLOCK)
        return short

    def _data(self, fd: int, offset: int, length: int) -> int:
        end = offset + length
        if length <= SMALL or not self.can_sendfile:
            while offset < end:
                chunk = os.pread(fd, min(end - offset, SMALL), offset)
                if not chunk:
                    break
                self.buffer += chunk
                offset += len(chunk)
                self._flush_if_full()
        else:
            self.flush()
            while offset < end:
                try:
                    sent = os.sendfile(self.out, fd, offset, end - offset)
                except OSError as err:
                    if err.errno not in (errno.EINVAL, errno.ENOSYS):
                        raise
                    self.can_sendfile = False  # stdout is something sendfile cannot write to
                    return self._data(fd, offset, end - offset)
                if sent == 0:
                    break
                offset += sent
                self.written += sent
        self.buffer += bytes(end - offset)
        return end - offset

    def _flush_if_full(self) -> None:
        if len(self.buffer) >= FLUSH_AT:
            self.flush()

    def flush(self) -> None:
        view = memoryview(self.buffer)
        while view:
            view = view[os.write(self.out, view):]
        self.written += len(self.buffer)
        self.buffer = bytearray()


def _tar_xattrs(fd: int) -> dict[str, bytes]:
    values = {}
    try:
        names = os.listxattr(fd)
    except OSError:
        return values
    for name in names:
        if travels_in_tar(name):
            try:
                values[name] = os.getxattr(fd, name)
            except OSError:
                continue  # removed between list and get: the next pass sees the change
    return values


def send(root: bytes, request_data: bytes, out: int, report) -> int:
    """Writes the tar stream of the requested paths to ``out``; returns its bytes."""
    sender = Sender(root, out, report)
    try:
        sender.run(request_data)
    finally:
        sender.close()
    return sender.written

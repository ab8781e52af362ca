# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""What a file read over SMB carries besides its content, written on the RZ file server so
that Samba there serves it as the Windows source did.

The SMB sync calls ``apply`` once per object after the object's content is in place:

- DOS attributes and creation time go into ``user.DOSATTRIB`` in the form Samba 4.17's
  smbd writes (xattr.idl ``xattr_DOSATTRIB`` version 5: an empty ``attrib_hex``, version
  and union level 5, valid flags ATTRIB|CREATE_TIME, the attributes, the creation time as
  NTTIME). It is encoded here with the standard library, because the unit tests run off the
  file servers; the encoding is the same, byte for byte, as both smbd writes after
  ``setmode`` and ``samba.ndr.ndr_pack(xattr.DOSATTRIB)`` packs (the unit tests hold a blob
  smbd wrote, the Molecule scenario windows compares with ndr_pack on the RZ file server).
  Samba serves read-only, hidden, system and archive from it (and the directory bit, which
  smbd stores for folders); the others a Windows server shows (temporary, not content
  indexed, compressed, encrypted ...) Samba does not keep, and they are reported.
- Alternate data streams go where vfs_streams_xattr serves them from: the xattr
  ``user.DosStream.<name>:$DATA`` holding the content and one NUL byte, as streams_xattr
  keeps them. One xattr holds only so much (ext4: all of a file's xattrs share one block
  of 4 KiB): a stream larger than ``stream_limit`` is not written, and one the file system
  refuses or cuts short is removed again; both are ``shares.stream_too_large``, never a
  stream cut short in silence. Streams the source no longer has are removed.
- The whole security descriptor (owner, group, DACL with its inheritance flags, the SACL
  when the walk could read it) with every SID translated through the identity mapping
  (``ntacl.translate_sd``; a SID without a new identity stays as it is and is reported as
  ``shares.sid_unmapped``, as on the Samba path) is handed to Samba itself:
  ``samba.samba3.smbd.set_nt_acl`` with the share's service name goes through the share's
  VFS modules, so vfs_acl_xattr writes ``security.NTACL`` together with the POSIX ACL and
  owner it derives from the SD, and both sides agree (Samba's hash in the v4 blob holds).
  Writing the blob by hand could not keep them consistent. This needs python3-samba on the
  RZ file server (the SMB client's venv sees it: ``--system-site-packages``).

Content, times of the content, hard links and deletions are the sync's.
"""

from __future__ import annotations

import errno
import os
import struct
import sys
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

from ansible_collections.kommunal.umzug.plugins.module_utils.shares import ntacl
from ansible_collections.kommunal.umzug.plugins.module_utils.shares.smb_source import (
    DATA_SUFFIX,
    FILETIME_UNIX_EPOCH,
    STREAM_XATTR_PREFIX,
    SmbEntry,
    attribute_letters,
    describe,
    stream_xattr,
)

DOSATTRIB = "user.DOSATTRIB"
NTACL = "security.NTACL"

# xattr.idl: XATTR_DOSINFO_ATTRIB, XATTR_DOSINFO_CREATE_TIME; the layout of version 5:
# attrib_hex (NUL-terminated ASCII, empty), pad to 2, version, union level, pad to 4,
# valid_flags, attrib, create_time.
DOSINFO_ATTRIB, DOSINFO_CREATE_TIME = 0x1, 0x10
DOSATTRIB_V5 = struct.Struct("<BBHHHIIQ")

# What Samba keeps of a DOSATTRIB and serves again (measured against Samba 4.17).
ATTR_READONLY, ATTR_HIDDEN, ATTR_SYSTEM, ATTR_DIRECTORY, ATTR_ARCHIVE = 0x1, 0x2, 0x4, 0x10, 0x20
CARRIED = ATTR_READONLY | ATTR_HIDDEN | ATTR_SYSTEM | ATTR_ARCHIVE
# Attributes that describe how or where the source stores the object, not what a user set:
# the target's own state decides them (sparse, reparse, offline and recall are reported by
# the walk already; "normal" means none).
STORAGE = 0x10 | 0x80 | 0x200 | 0x400 | 0x1000 | 0x40000 | 0x400000

# Default largest stream, as shares_smb_stream_limit (roles/shares/defaults/main.yml).
DEFAULT_STREAM_LIMIT = 65535
# The file system's answers when one more xattr does not fit.
NO_ROOM = {errno.ENOSPC, errno.E2BIG, errno.ERANGE, errno.EDQUOT}

# security_information bits (MS-DTYP 2.4.7)
SECINFO_OWNER, SECINFO_GROUP, SECINFO_DACL, SECINFO_SACL = 0x1, 0x2, 0x4, 0x8


@dataclass(frozen=True)
class Problem:
    """What could not be carried for one object: a finding key of the catalog, the path
    (relative to the share, with ``:stream`` where it is about one), one sentence, and the
    SIDs a ``shares.sid_unmapped`` is about."""

    key: str
    path: str
    detail: str
    sids: tuple[str, ...] = ()


@dataclass
class Applied:
    """What ``apply`` did to one object: the parts it wrote and what it could not carry."""

    written: list[str] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)


# --- DOS attributes and creation time ---------------------------------------------------

def nttime(ns: int | None) -> int:
    """ns since 1970 as a FILETIME / NTTIME (100 ns since 1601); None is 0 (unknown)."""
    return 0 if ns is None else ns // 100 + FILETIME_UNIX_EPOCH


def dos_attributes(attributes: int, directory: bool) -> int:
    """The attributes Samba keeps, with the directory bit smbd stores for folders."""
    return (attributes & CARRIED) | (ATTR_DIRECTORY if directory else 0)


def dropped_attributes(attributes: int) -> int:
    """Attributes a user or program set that Samba does not keep."""
    return attributes & ~(CARRIED | STORAGE)


def dosattrib(attributes: int, creation_ns: int | None, directory: bool) -> bytes:
    """``user.DOSATTRIB`` as Samba 4.17 writes it (version 5)."""
    valid = DOSINFO_ATTRIB | (DOSINFO_CREATE_TIME if creation_ns is not None else 0)
    return DOSATTRIB_V5.pack(0, 0, 5, 5, 0, valid, dos_attributes(attributes, directory), nttime(creation_ns))


def read_dosattrib(blob: bytes) -> tuple[int, int | None] | None:
    """(attributes, creation time in ns since 1970 or None) of a version 5 blob; None for
    any other form (Samba rewrites those on the next change)."""
    if len(blob) != DOSATTRIB_V5.size or blob[:2] != b"\0\0":
        return None
    _hex, _pad, version, level, _pad2, valid, attributes, created = DOSATTRIB_V5.unpack(blob)
    if version != 5 or level != 5:
        return None
    creation = (created - FILETIME_UNIX_EPOCH) * 100 if valid & DOSINFO_CREATE_TIME else None
    return attributes, creation


# --- alternate data streams -------------------------------------------------------------

def stream_value(content: bytes) -> bytes:
    """The xattr value streams_xattr serves ``content`` from: the content and a NUL."""
    return content + b"\0"


def stream_names(xattr_names: Iterable[str]) -> set[str]:
    """The xattrs of a file that hold streams in streams_xattr's form."""
    return {name for name in xattr_names if name.startswith(STREAM_XATTR_PREFIX)}


def stream_of(xattr: str) -> str:
    """The stream name of a streams_xattr xattr (``user.DosStream.a:$DATA`` is ``a``)."""
    name = xattr[len(STREAM_XATTR_PREFIX):]
    return name[:-len(DATA_SUFFIX)] if name.endswith(DATA_SUFFIX) else name


def stream_too_large(size: int, limit: int) -> bool:
    return size > limit


# --- security descriptor ----------------------------------------------------------------

def secinfo(sd: ntacl.SecurityDescriptor, sacl_read: bool) -> int:
    """Which parts of the SD to set: owner and group where it names them, the DACL always
    (an SD without one grants everyone everything, and that is carried too), the SACL only
    when the walk could read it (otherwise its absence says nothing)."""
    return (SECINFO_OWNER if sd.owner else 0) | (SECINFO_GROUP if sd.group else 0) | SECINFO_DACL \
        | (SECINFO_SACL if sacl_read else 0)


class SambaMissing(Exception):
    """python3-samba is not importable on this host (``SambaAcl.check``)."""


class ServiceMismatch(Exception):
    """The target service does not serve the target root (``SambaAcl.check``)."""


def service_mismatch(service: str, service_path: str | None, target_root: str, smb_conf: str) -> str | None:
    """Why the Samba share ``service``, whose ``path`` Samba's configuration ``smb_conf``
    gives as ``service_path`` (None: there is no such share), cannot take the security
    descriptors of ``target_root``; None when it serves target_root or a folder above it.

    Samba sets an SD through the share's VFS modules only for a path inside the share: for
    any other one every object of a pass would fail alike. ``%S`` stands for the share's
    name, as smbd substitutes it; a path with other substitutions depends on who connects
    and is not judged here."""
    if service_path is None:
        return (f"Samba's configuration {smb_conf} has no share {service!r} (target_service) to set the security "
                f"descriptors of target_root {target_root} through; name the share whose path is target_root or a "
                "folder above it")
    path = service_path.replace("%S", service)
    if "%" in path:
        return None
    if not path:
        return (f"the Samba share {service!r} (target_service) in {smb_conf} has no path, so it does not serve "
                f"target_root {target_root}; name the share whose path is target_root or a folder above it")
    served, root = os.path.realpath(path), os.path.realpath(target_root)
    if os.path.commonpath([served, root]) == served:
        return None
    return (f"the Samba share {service!r} (target_service) in {smb_conf} serves {service_path}, which does not "
            f"hold target_root {target_root}; name the share whose path is target_root or a folder above it")


class SambaAcl:
    """Sets an SD as Samba itself does for a client, on the share named ``service`` (its
    VFS modules, its idmap), as root: ``samba.samba3.smbd.set_nt_acl``."""

    def __init__(self, service: str, smb_conf: str | None = None):
        self.service, self.smb_conf = service, smb_conf
        self._samba = None

    def check(self, target_root: str | None = None) -> None:
        """Load Samba's bindings and configuration now, before a pass writes anything:
        ``SambaMissing`` says in one sentence what is missing and how to install it. With
        ``target_root``, ``ServiceMismatch`` says in one sentence why the share does not
        serve it (no such share in Samba's configuration, or one with another path)."""
        try:
            loadparm = self._bindings()[-1]
        except ImportError as err:
            raise SambaMissing(
                f"Samba's Python bindings (python3-samba) cannot be imported by {sys.executable} ({err}); "
                "the security descriptors are set through them. Install them with 'apt-get install "
                "python3-samba' (roles/shares, tasks smb_client.yml) and run the module with a python that "
                "sees them (the SMB client's venv, made with --system-site-packages)") from None
        if target_root is not None:
            # Samba's own reading of its configuration (includes, share names in any case), never smb.conf by hand.
            problem = service_mismatch(self.service, loadparm.get("path", self.service), target_root,
                                       loadparm.configfile or self.smb_conf or "smb.conf")
            if problem:
                raise ServiceMismatch(problem)

    def _bindings(self):
        if self._samba is None:
            # Imported here: only the RZ file server has python3-samba, the tests do not.
            from samba.auth_util import system_session_unix
            from samba.dcerpc import security
            from samba.ndr import ndr_unpack
            from samba.param import default_path
            from samba.samba3 import param as s3param
            from samba.samba3 import smbd

            s3conf = s3param.get_context()
            s3conf.load(self.smb_conf or default_path())
            self._samba = (smbd, security, ndr_unpack, system_session_unix(), s3conf)
        return self._samba

    def set(self, path: bytes, sd: bytes, parts: int) -> None:
        smbd, security, ndr_unpack, session, _conf = self._bindings()
        descriptor = ndr_unpack(security.descriptor, sd)
        smbd.set_nt_acl(os.fsdecode(path), parts, descriptor, session, service=self.service)


# --- the entry point --------------------------------------------------------------------

def apply(target_root: bytes, relative: bytes, entry: SmbEntry, translate_sid: Callable[[str], str | None], *,
          source, acl, stream_limit: int = DEFAULT_STREAM_LIMIT, at: bytes | None = None) -> Applied:
    """Carry the metadata of ``entry`` (read by ``smb_source``) onto ``target_root/relative``.

    ``source``: the ``SmbShare`` the entry was read from (streams are read through it);
    ``acl``: a ``SambaAcl`` for the target share (anything with ``set(path, sd, parts)``);
    ``stream_limit``: the largest stream the target keeps (shares_smb_stream_limit);
    ``at``: where the object is on the target for now, relative to ``target_root``, when that
    is not ``relative`` (the sync's temporary name beside it, before the rename); ``relative``
    still names it at the source and in the problems.
    Nothing here raises for one object: what cannot be carried is in ``problems``.
    """
    here = relative if at is None else at
    path = os.path.join(target_root, here) if here else target_root
    shown = relative.decode("utf-8", "backslashreplace") or "."
    done = Applied()
    if entry.kind not in ("file", "dir"):
        return done  # reparse points are listed by the walk, not carried
    _security_descriptor(path, shown, entry, translate_sid, acl, done)
    _dos_attributes(path, shown, entry, done)
    _streams(path, relative, shown, entry, source, stream_limit, done)
    return done


def _failed(done: Applied, where: str, what: str, err: BaseException) -> None:
    done.problems.append(Problem("shares.metadata_not_written", where, f"{what}: {describe(err)}"))


def _security_descriptor(path: bytes, shown: str, entry: SmbEntry, translate_sid, acl, done: Applied) -> None:
    if entry.sd is None:
        return  # the walk reported why (shares.ntacl_unreadable, shares.access_denied)
    try:
        translation = ntacl.translate_sd(ntacl.parse_sd(entry.sd), translate_sid)
    except ntacl.NtaclError as err:
        done.problems.append(Problem("shares.ntacl_unreadable", shown, str(err)))
        return
    if translation.unmapped:
        done.problems.append(Problem("shares.sid_unmapped", shown, ", ".join(translation.unmapped),
                                     translation.unmapped))
    try:
        acl.set(path, translation.sd.to_bytes(), secinfo(translation.sd, entry.sacl_read))
    except Exception as err:  # Samba's bindings raise RuntimeError and NTSTATUSError alike
        _failed(done, shown, "security descriptor", err)
        return
    done.written.append("sd")


def _dos_attributes(path: bytes, shown: str, entry: SmbEntry, done: Applied) -> None:
    dropped = dropped_attributes(entry.attributes)
    if dropped:
        done.problems.append(Problem("shares.attribute_not_carried", shown, attribute_letters(dropped)))
    wanted = dosattrib(entry.attributes, entry.creation_ns, entry.kind == "dir")
    try:
        if _get(path, DOSATTRIB) == wanted:
            return
        os.setxattr(path, DOSATTRIB, wanted, follow_symlinks=False)
    except OSError as err:
        _failed(done, shown, "DOS attributes and creation time", err)
        return
    done.written.append("dosattrib")


def _streams(path: bytes, relative: bytes, shown: str, entry: SmbEntry, source, limit: int, done: Applied) -> None:
    try:
        present = stream_names(os.listxattr(path, follow_symlinks=False))
    except OSError as err:
        _failed(done, shown, "alternate data streams", err)
        return
    wanted = {stream_xattr(name) for name, _size in entry.streams}
    for gone in sorted(present - wanted):
        err = _remove(path, gone)
        if err:
            _failed(done, f"{shown}:{stream_of(gone)}", "removing a stream the source no longer has", err)
        else:
            done.written.append(gone)
    for name, size in entry.streams:
        where = f"{shown}:{name}"
        xattr = stream_xattr(name)
        if stream_too_large(size, limit):
            _remove(path, xattr)  # an older, smaller version would be served as if current
            done.problems.append(Problem("shares.stream_too_large", where,
                                         f"{size} bytes, the target holds streams up to {limit}"))
            continue
        try:
            content = b"".join(source.read(relative, stream=name))
        except Exception as err:  # any SMB or connection error of this one stream
            _failed(done, where, "reading the stream", err)
            continue
        _write_stream(path, where, xattr, content, done)


def _write_stream(path: bytes, where: str, xattr: str, content: bytes, done: Applied) -> None:
    value = stream_value(content)
    try:
        if _get(path, xattr) == value:
            return
        os.setxattr(path, xattr, value, follow_symlinks=False)
        kept = len(_get(path, xattr) or b"")
    except OSError as err:
        _remove(path, xattr)
        if err.errno in NO_ROOM:
            done.problems.append(Problem("shares.stream_too_large", where, f"{len(content)} bytes: the target's "
                                         f"file system has no room for it in the file's xattrs ({err.strerror})"))
        else:
            _failed(done, where, "writing the stream", err)
        return
    if kept != len(value):
        _remove(path, xattr)
        done.problems.append(Problem("shares.stream_too_large", where, f"{len(content)} bytes: the target's file "
                                     f"system kept {max(kept - 1, 0)} of them"))
        return
    done.written.append(xattr)


def _get(path: bytes, name: str) -> bytes | None:
    try:
        return os.getxattr(path, name, follow_symlinks=False)
    except OSError as err:
        if err.errno == errno.ENODATA:
            return None
        raise


def _remove(path: bytes, name: str) -> OSError | None:
    """Remove one xattr if it is there; the error, if any, is returned, not raised."""
    try:
        os.removexattr(path, name, follow_symlinks=False)
    except OSError as err:
        return None if err.errno == errno.ENODATA else err
    return None

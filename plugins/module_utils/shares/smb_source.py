# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Reading one share over SMB 3: the source side of a Kommune whose file server is Windows.

A Windows file server runs no SSH and no Python, so the RZ file server reads the share as
a client, as an account that holds SeBackupPrivilege (docs/shares.md):

- ``SmbShare`` holds one connection per share walk: signing required, encryption when
  asked (a server that cannot encrypt is refused), NTLMv2 or Kerberos. Every object is
  opened with backup intent (FILE_OPEN_FOR_BACKUP_INTENT: the account's backup privilege
  reads past the ACLs), without following reparse points (FILE_OPEN_REPARSE_POINT) and
  without recalling offline files (FILE_OPEN_NO_RECALL).
- ``walk`` lists the tree folder by folder (FileIdBothDirectoryInformation: times, size,
  DOS attributes, reparse tag and file id in one answer) and per object, in one compound
  request, its link count, alternate data streams and security descriptor (owner, group,
  DACL, and the SACL while the account may read it). Paths are relative to the share root
  with ``/`` between components, as bytes in UTF-8, as ``shares.tree`` keeps them.
- ``walk(wants_content)`` also reads the content of a small file (one read, at most
  ``IN_WALK_BYTES`` and the server's ``max_read_size``) in that same compound when the
  caller's ``wants_content(entry)`` says, from the listing's fields, that it will copy it:
  create, the queries, read, close in one round trip, handed over as ``SmbEntry.content``.
  Offline files, reparse points and files with a problem are never read so, and a caller
  that passes no predicate gets no content.
- With ``workers`` above 1 the per-object compounds (with their reads) are sent by that
  many worker processes, each with a connection and session of its own, started before
  the main connection (fork, no threads yet); the main process lists the folders, asks
  ``wants_content`` and gets the entries back in the listing's order. smbprotocol builds
  and parses every message in Python, so one process is CPU-bound long before the server
  or the network is; more requests in flight on one connection do not help.
- ``read`` streams a file's content, or a named stream's, in large reads with several
  requests in flight, its buffers kept in the process (``keep_buffers``).
- What cannot be carried is listed on the entry (``SmbEntry.problems``) with the finding
  key of the catalog; the walk never stops for one object: reparse points are listed and
  not followed, offline files are listed and never opened for reading, a file another
  program holds open with a sharing mode that denies reading is retried with a backoff and
  then listed, access denied despite backup intent is listed.

The wire structures this reads (MS-FSCC 2.4) are parsed here from the raw answers, so the
times keep their 100 ns resolution. smbprotocol (PyPI; pyproject.toml says why it) is the
transport; it runs in the RZ file server's venv (roles/shares/tasks/smb_client.yml).
"""

from __future__ import annotations

import base64
import contextlib
import ctypes
import multiprocessing
import os
import signal
import struct
import time
import uuid
from collections.abc import Callable, Iterator, Mapping
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass, field

try:
    from smbprotocol.connection import Connection, Dialects, Request
    from smbprotocol.exceptions import SMBException, SMBResponseException
    from smbprotocol.open import (
        CreateDisposition,
        ImpersonationLevel,
        Open,
        SMB2CloseRequest,
        SMB2QueryDirectoryResponse,
        SMB2QueryInfoRequest,
        SMB2ReadRequest,
    )
    from smbprotocol.session import Session
    from smbprotocol.tree import TreeConnect
except ImportError as err:  # the module reports it with missing_required_lib
    HAS_SMBPROTOCOL, SMBPROTOCOL_ERROR = False, err

    class SMBException(Exception):  # stand-ins, so the names exist where the package does not
        pass

    class SMBResponseException(SMBException):
        pass
else:
    HAS_SMBPROTOCOL, SMBPROTOCOL_ERROR = True, None

# --- MS-FSCC / MS-SMB2 constants -------------------------------------------------------

ATTRIBUTES = {  # FILE_ATTRIBUTE_* (MS-FSCC 2.6) and the letters reports show them with
    0x00000001: ("readonly", "R"),
    0x00000002: ("hidden", "H"),
    0x00000004: ("system", "S"),
    0x00000010: ("directory", "D"),
    0x00000020: ("archive", "A"),
    0x00000080: ("normal", "N"),
    0x00000100: ("temporary", "T"),
    0x00000200: ("sparse", "P"),
    0x00000400: ("reparse_point", "L"),
    0x00000800: ("compressed", "C"),
    0x00001000: ("offline", "O"),
    0x00002000: ("not_content_indexed", "I"),
    0x00004000: ("encrypted", "E"),
    0x00008000: ("integrity_stream", "V"),
    0x00020000: ("no_scrub_data", "X"),
    0x00040000: ("recall_on_open", "Q"),
    0x00400000: ("recall_on_data_access", "M"),
}
ATTR_DIRECTORY, ATTR_SPARSE, ATTR_REPARSE, ATTR_OFFLINE = 0x10, 0x200, 0x400, 0x1000
ATTR_RECALL_ON_OPEN, ATTR_RECALL_ON_DATA_ACCESS = 0x40000, 0x400000
# Content that is somewhere else (an HSM, a dedup store, a cloud tier): reading it would
# recall it, so a walk over an archive would fill the disk it was moved off.
NOT_HERE = ATTR_OFFLINE | ATTR_RECALL_ON_OPEN | ATTR_RECALL_ON_DATA_ACCESS
REPARSE_TAGS = {  # MS-FSCC 2.1.2.1, the ones a file server has
    0xA0000003: "mount point or junction",
    0xA000000C: "symbolic link",
    0x80000013: "deduplicated file",
    0x80000017: "WOF-compressed file",
    0x8000001B: "AppExecLink",
    0x9000001A: "cloud file",
    0x80000014: "NFS link",
    0x80000009: "DFS link",
    0x8000000A: "DFS-R",
    0x80000012: "DFS link",
    0xC0000004: "HSM",
    0x80000006: "HSM2",
}
# Reparse points that only say how the data is stored (dedup, compression): a client reads
# them as ordinary files, and so does the walk.
DATA_REPARSE_TAGS = {0x80000013, 0x80000017}
LINK_REPARSE_TAGS = {0xA0000003, 0xA000000C}

FILETIME_UNIX_EPOCH = 116444736000000000  # 1970-01-01 in 100 ns since 1601-01-01

# Access masks (MS-DTYP 2.4.3, MS-SMB2 2.2.13.1)
FILE_READ_DATA, FILE_LIST_DIRECTORY = 0x1, 0x1
FILE_READ_EA, FILE_READ_ATTRIBUTES = 0x8, 0x80
READ_CONTROL, SYNCHRONIZE, ACCESS_SYSTEM_SECURITY = 0x20000, 0x100000, 0x01000000
SHARE_ALL = 0x7  # FILE_SHARE_READ | WRITE | DELETE: a walk never gets in the users' way
OPEN_OPTIONS = 0x00004000 | 0x00200000 | 0x00400000  # backup intent, reparse point, no recall
INFO_FILE, INFO_SECURITY = 1, 3
FILE_BASIC_INFORMATION, FILE_STANDARD_INFORMATION = 4, 5
FILE_STREAM_INFORMATION, FILE_ID_BOTH_DIRECTORY_INFORMATION = 22, 37
SD_OWNER, SD_GROUP, SD_DACL, SD_SACL = 0x1, 0x2, 0x4, 0x8
QUERY_RESTART = 0x1
LIST_BUFFER = 65536
SD_BUFFER = 65536
# A file up to this size (and the server's max_read_size) is read in the walk's compound
# when the caller wants its content: one round trip instead of three more.
IN_WALK_BYTES = 1 << 20
CREDIT_BYTES = 65536  # one credit per 64 KiB of a read (MS-SMB2 3.1.5.2)

# NTSTATUS values the walk acts on (MS-ERREF 2.3.1)
STATUS_NO_MORE_FILES = 0x80000006
STATUS_BUFFER_OVERFLOW = 0x80000005
STATUS_END_OF_FILE = 0xC0000011
STATUS_ACCESS_DENIED = 0xC0000022
STATUS_OBJECT_NAME_NOT_FOUND = 0xC0000034
STATUS_OBJECT_PATH_NOT_FOUND = 0xC000003A
STATUS_SHARING_VIOLATION = 0xC0000043
STATUS_DELETE_PENDING = 0xC0000056
STATUS_PRIVILEGE_NOT_HELD = 0xC0000061
STATUS_LOGON_FAILURE = 0xC000006D
STATUS_ACCOUNT_DISABLED = 0xC0000072
STATUS_PASSWORD_EXPIRED = 0xC0000071
STATUS_BAD_NETWORK_NAME = 0xC00000CC
STATUS_BUFFER_TOO_SMALL = 0xC0000023
STATUS_FILE_IS_OFFLINE = 0xC0000267
STATUS_WORDS = {
    STATUS_ACCESS_DENIED: "access denied",
    STATUS_PRIVILEGE_NOT_HELD: "the account does not hold the privilege this needs",
    STATUS_SHARING_VIOLATION: "another program holds it open with a sharing mode that denies reading",
    STATUS_OBJECT_NAME_NOT_FOUND: "it no longer exists",
    STATUS_OBJECT_PATH_NOT_FOUND: "its folder no longer exists",
    STATUS_DELETE_PENDING: "it is being deleted",
    STATUS_LOGON_FAILURE: "the server refused the account's name or password",
    STATUS_ACCOUNT_DISABLED: "the account is disabled",
    STATUS_PASSWORD_EXPIRED: "the account's password has expired",
    STATUS_BAD_NETWORK_NAME: "the server has no share of that name",
    STATUS_FILE_IS_OFFLINE: "its content is offline (HSM or cloud tier)",
}
# A path that vanished during the walk is not a problem of the share: the next pass sees
# the tree as it is then.
VANISHED = {STATUS_OBJECT_NAME_NOT_FOUND, STATUS_OBJECT_PATH_NOT_FOUND, STATUS_DELETE_PENDING}

# Samba's vfs_streams_xattr keeps stream "s" of a file in the xattr "user.DosStream.s:$DATA".
STREAM_XATTR_PREFIX = "user.DosStream."
DATA_SUFFIX = ":$DATA"


# glibc's mallopt parameters (malloc.h) and the values ``keep_buffers`` sets.
M_TRIM_THRESHOLD = -1
M_MMAP_THRESHOLD = -3
KEPT_MMAP_THRESHOLD = 16 << 20
KEPT_TRIM_THRESHOLD = 64 << 20
_BUFFERS = {"kept": False}


def keep_buffers() -> bool:
    """Keep the large reads' buffers in the process instead of handing them back.

    ``read`` has up to ``depth`` answers of about 1 MiB in flight, each decrypted, copied
    and freed. glibc serves blocks of that size with mmap and returns them with munmap (or
    trims the heap's top once more than a few MiB are free), so every read faults its pages
    in again and the kernel zeroes them: that was a third of the CPU of a large file's read.
    With the mmap threshold at 16 MiB and the trim threshold at 64 MiB the same heap memory
    serves the next read. Process-wide and once; the module's process ends after its pass.
    False where the C library has no ``mallopt`` (not glibc) or refuses the values: the
    reads work as before, only slower."""
    if _BUFFERS["kept"]:
        return True
    try:
        mallopt = ctypes.CDLL(None).mallopt
    except (OSError, AttributeError):
        return False
    mallopt.argtypes = [ctypes.c_int, ctypes.c_int]
    mallopt.restype = ctypes.c_int
    _BUFFERS["kept"] = (mallopt(M_MMAP_THRESHOLD, KEPT_MMAP_THRESHOLD) == 1
                        and mallopt(M_TRIM_THRESHOLD, KEPT_TRIM_THRESHOLD) == 1)
    return _BUFFERS["kept"]


class SmbSourceError(Exception):
    """The share cannot be read at all (connection, logon, share name); one sentence."""


class WorkerError(SMBException):
    """A worker process of the walk failed: what it said, in one sentence."""


# --- pure parts: wire structures, times, names, classification ----------------------------

def filetime_ns(value: int) -> int | None:
    """A FILETIME (100 ns since 1601, UTC) as ns since 1970, as stat() gives them; 0 (the
    server does not know) is None."""
    if not value:
        return None
    return (value - FILETIME_UNIX_EPOCH) * 100


DIR_ENTRY = struct.Struct("<IIqqqqqqIIIBB24sHq")  # FileIdBothDirectoryInformation up to FileName


def parse_directory(buffer: bytes) -> list[dict]:
    """FileIdBothDirectoryInformation entries (MS-FSCC 2.4.17) of one QUERY_DIRECTORY answer."""
    entries, offset = [], 0
    while offset + DIR_ENTRY.size <= len(buffer):
        (next_offset, _index, created, accessed, written, changed, size, allocated, attributes, name_length,
         ea_size, _short_length, _reserved, _short, _reserved2, file_id) = DIR_ENTRY.unpack_from(buffer, offset)
        start = offset + DIR_ENTRY.size
        name = buffer[start:start + name_length].decode("utf-16-le", "surrogatepass")
        entries.append({"name": name, "creation": created, "last_access": accessed, "last_write": written,
                        "change": changed, "size": size, "allocated": allocated, "attributes": attributes,
                        # EaSize holds the reparse tag when the object is a reparse point (MS-FSCC 2.4.17)
                        "reparse_tag": ea_size if attributes & ATTR_REPARSE else 0,
                        "file_id": file_id & 0xFFFFFFFFFFFFFFFF})
        if not next_offset:
            break
        offset += next_offset
    return entries


STREAM_ENTRY = struct.Struct("<IIqq")


def parse_streams(buffer: bytes) -> list[tuple[str, int]]:
    """FileStreamInformation (MS-FSCC 2.4.49): (raw stream name, size) per stream."""
    streams, offset = [], 0
    while offset + STREAM_ENTRY.size <= len(buffer):
        next_offset, name_length, size, _allocated = STREAM_ENTRY.unpack_from(buffer, offset)
        start = offset + STREAM_ENTRY.size
        streams.append((buffer[start:start + name_length].decode("utf-16-le", "surrogatepass"), size))
        if not next_offset:
            break
        offset += next_offset
    return streams


def named_streams(raw: list[tuple[str, int]]) -> tuple[tuple[str, int], ...]:
    """The alternate data streams of ``parse_streams``: ``:Zone.Identifier:$DATA`` is
    ``Zone.Identifier``; the unnamed ``::$DATA`` is the file's content and not listed."""
    result = []
    for name, size in raw:
        bare = name[1:] if name.startswith(":") else name
        if bare.endswith(DATA_SUFFIX):
            bare = bare[:-len(DATA_SUFFIX)]
        if bare:
            result.append((bare, size))
    return tuple(sorted(result))


def stream_xattr(name: str) -> str:
    """The xattr Samba's vfs_streams_xattr serves stream ``name`` from (the RZ's form)."""
    return f"{STREAM_XATTR_PREFIX}{name}{DATA_SUFFIX}"


STANDARD = struct.Struct("<qqIBBH")
BASIC = struct.Struct("<qqqqI4x")


def parse_basic(buffer: bytes) -> dict | None:
    """FileBasicInformation (MS-FSCC 2.4.7): the times and attributes of an object that no
    folder listing names (the share root)."""
    if len(buffer) < BASIC.size:
        return None
    created, _accessed, written, changed, attributes = BASIC.unpack_from(buffer)
    return {"creation": created, "last_write": written, "change": changed, "attributes": attributes}


def parse_standard(buffer: bytes) -> int:
    """The link count of FileStandardInformation (MS-FSCC 2.4.41)."""
    return STANDARD.unpack_from(buffer)[2] if len(buffer) >= STANDARD.size else 1


def standard_size(buffer: bytes) -> int | None:
    """The EndOfFile of FileStandardInformation: the size at the moment of the open."""
    return STANDARD.unpack_from(buffer)[1] if len(buffer) >= STANDARD.size else None


def attribute_names(attributes: int) -> list[str]:
    return [name for bit, (name, _letter) in ATTRIBUTES.items() if attributes & bit]


def attribute_letters(attributes: int) -> str:
    """As smbclient's allinfo shows them, e.g. ``HA`` for hidden and archive."""
    return "".join(letter for bit, (_name, letter) in ATTRIBUTES.items() if attributes & bit)


def kind_of(attributes: int, reparse_tag: int) -> str:
    """``dir``, ``file`` or ``reparse`` (a link, junction, mount point or an unknown reparse
    point: listed, never followed). Dedup and WOF reparse points are files to any client."""
    if attributes & ATTR_REPARSE and reparse_tag not in DATA_REPARSE_TAGS:
        return "reparse"
    return "dir" if attributes & ATTR_DIRECTORY else "file"


def reparse_words(tag: int) -> str:
    return REPARSE_TAGS.get(tag, f"reparse tag 0x{tag:08X}")


def classify(kind: str, attributes: int, reparse_tag: int) -> list[tuple[str, str]]:
    """What the entry's own listing says cannot be carried, as (finding key, sentence)."""
    problems = []
    if kind == "reparse":
        problems.append(("shares.reparse_point", f"a {reparse_words(reparse_tag)}: listed, not followed, not copied"))
    if kind == "file" and attributes & NOT_HERE:
        flags = ", ".join(n for n in attribute_names(attributes & NOT_HERE))
        problems.append(("shares.offline_file", f"{flags}: its content is not on the server; never read, so "
                                                "nothing is recalled"))
    return problems


def status_of(err: BaseException) -> int | None:
    """The NTSTATUS of an smbprotocol error, None for anything else."""
    status = getattr(err, "status", None)
    return int(status) if isinstance(status, int) else None


def describe(err: BaseException) -> str:
    """One sentence of an SMB error for a finding or a failure."""
    status = status_of(err)
    if status is not None:
        words = STATUS_WORDS.get(status)
        return f"{words} (NTSTATUS 0x{status:08X})" if words else f"NTSTATUS 0x{status:08X}"
    return str(err).strip().rstrip(".") or type(err).__name__


QUERY_INFO_ANSWER = struct.Struct("<HHI")  # StructureSize, OutputBufferOffset, OutputBufferLength
READ_ANSWER = struct.Struct("<HBxI")  # StructureSize, DataOffset, Reserved, DataLength
HEADER_SIZE = 64  # an answer's offsets count from the start of its SMB2 header


def _buffer(body: bytes, offset: int, length: int, fixed: int) -> bytes:
    start = offset - HEADER_SIZE if offset >= HEADER_SIZE + fixed else fixed
    return body[start:start + length]


def info_buffer(body: bytes) -> bytes:
    """The output buffer of a QUERY_INFO answer's body (MS-SMB2 2.2.38)."""
    if len(body) < QUERY_INFO_ANSWER.size:
        return b""
    _size, offset, length = QUERY_INFO_ANSWER.unpack_from(body)
    return _buffer(body, offset, length, QUERY_INFO_ANSWER.size)


def read_buffer(body: bytes) -> bytes:
    """The data of a READ answer's body (MS-SMB2 2.2.20)."""
    if len(body) < READ_ANSWER.size:
        return b""
    _size, offset, length = READ_ANSWER.unpack_from(body)
    return _buffer(body, offset, length, 16)


HEADER = struct.Struct("<4sHHHHHHIIQIIQ16s")  # the SMB2 header of a request (MS-SMB2 2.2.1.2)
FLAG_RELATED, FLAG_SIGNED = 0x4, 0x8


class _Sent:
    """What smbprotocol's receiving side reads of a request's header (``Request.message``):
    its message id, command and the reserved field its keep-alive marks."""

    __slots__ = ("fields",)

    def __init__(self, message_id: int, command: int):
        self.fields = {"message_id": _Value(message_id), "command": _Value(command), "reserved": _Value(0)}

    def __getitem__(self, name: str):
        return self.fields[name]


class _Value:
    __slots__ = ("value",)

    def __init__(self, value):
        self.value = value

    def get_value(self):
        return self.value


def pack_compound(messages: list, charges: list[int], message_ids: list[int], tree_id: int, session_id: int,
                  sign: Callable[[bytes, int, int], bytes] | None = None) -> bytes:
    """The bytes of a related compound (MS-SMB2 3.2.4.1.4) as smbprotocol's Connection._send
    packs them: each header with its credit charge as the credits asked, the messages 8-byte
    aligned, the related flag from the second on, and signed by ``sign(bytes, message_id,
    command)`` when given (the signature over the header with its message and padding)."""
    parts = []
    for position, message in enumerate(messages):
        body = message.pack()
        last = position == len(messages) - 1
        padding = b"" if last else b"\0" * (-(HEADER.size + len(body)) % 8)
        flags = (FLAG_RELATED if position else 0) | (FLAG_SIGNED if sign else 0)
        header = HEADER.pack(b"\xfeSMB", HEADER.size, charges[position], 0, 0, int(message.COMMAND),
                             charges[position], flags, 0 if last else HEADER.size + len(body) + len(padding),
                             message_ids[position], 0, tree_id, session_id, b"\0" * 16)
        packed = header + body + padding
        if sign:
            packed = packed[:48] + sign(packed, message_ids[position], int(message.COMMAND)) + packed[64:]
        parts.append(packed)
    return b"".join(parts)


def send_compound(connection, session, tree, messages: list) -> list:
    """Sends a related compound on smbprotocol's ``connection`` as its ``send_compound``
    does (credits from its sequence window, requests in its table for its receiving thread,
    signing and encryption by its own keys and code) and returns its ``Request`` objects."""
    charges, message_ids = [], []
    with connection.sequence_lock:
        window = connection.sequence_window
        for message in messages:
            charge = connection._calculate_credit_charge(message)
            if charge > window["high"] - window["low"]:
                raise SMBException(f"Request requires {charge} credits but only {window['high'] - window['low']} "
                                   "credits are available")
            charges.append(charge)
            message_ids.append(window["low"])
            window["low"] += charge if charge > 0 else 1
    sign = None
    if session.signing_required and session.signing_key:
        def sign(packed: bytes, message_id: int, command: int) -> bytes:
            return connection._generate_signature(packed, session.signing_key, message_id, False, command)
    data = pack_compound(messages, charges, message_ids, tree.tree_connect_id, session.session_id, sign)
    requests = []
    for message, message_id in zip(messages, message_ids, strict=True):
        request = Request(_Sent(message_id, int(message.COMMAND)), type(message), connection,
                          session_id=session.session_id)
        connection.outstanding_requests[message_id] = request
        requests.append(request)
    requests[0].related_ids = message_ids[1:]
    if session.encrypt_data or tree.encrypt_data:
        data = connection._encrypt(data, session)
    connection._check_worker_running()
    connection.transport.send(data)
    return requests


class _Packed:
    """A request packed once and sent many times, as smbprotocol's ``Connection.send_compound``
    takes it (its command, its length, its bytes; a field for the credit charge)."""

    def __init__(self, message):
        self.message, self.COMMAND, self.data = message, message.COMMAND, message.pack()

    def pack(self) -> bytes:
        return self.data

    def __len__(self) -> int:
        return len(self.data)

    def __getitem__(self, name: str):
        return self.message[name]


def connect_error(server: str, share: str, err: BaseException) -> SmbSourceError:
    return SmbSourceError(f"cannot read the share \\\\{server}\\{share} over SMB: {describe(err)}")


def retry_delays(retries: int, first: float) -> list[float]:
    """Backoff before each retry of an open refused by a sharing mode: first, 2x, 4x ..."""
    return [first * 2**n for n in range(max(retries, 0))]


def smb_name(relative: bytes) -> str:
    """A path of the walk (``a/b``, UTF-8 bytes) as SMB names it (``a\\b``)."""
    return relative.decode("utf-8", "surrogatepass").replace("/", "\\")


def child(parent: bytes, name: str) -> bytes:
    encoded = name.encode("utf-8", "surrogatepass")
    return parent + b"/" + encoded if parent else encoded


@dataclass
class SmbEntry:
    """One object of the share as the walk saw it. Times are ns since 1970 (None: unknown)."""

    path: bytes
    kind: str
    size: int = 0
    allocated: int = 0
    attributes: int = 0
    creation_ns: int | None = None
    last_write_ns: int | None = None
    change_ns: int | None = None
    file_id: int = 0
    nlink: int = 1
    reparse_tag: int = 0
    streams: tuple[tuple[str, int], ...] = ()
    sd: bytes | None = None
    sacl_read: bool = False
    problems: list[tuple[str, str]] = field(default_factory=list)
    # The file's content, read in the walk's compound when the caller wanted it (None: not
    # read there; the caller reads it with ``read`` if it needs it).
    content: bytes | None = field(default=None, repr=False, compare=False)

    def denied(self) -> bool:
        return any(key == "shares.access_denied" for key, _sentence in self.problems)

    def summary(self, with_sd: bool = False) -> dict:
        """``with_sd``: the security descriptor too, base64 (``sd``; None where it was not read)."""
        found = {"path": self.path.decode("utf-8", "backslashreplace") or ".", "kind": self.kind, "size": self.size,
                 "attributes": attribute_letters(self.attributes), "creation_ns": self.creation_ns,
                 "last_write_ns": self.last_write_ns, "change_ns": self.change_ns, "file_id": self.file_id,
                 "nlink": self.nlink, "reparse_tag": self.reparse_tag,
                 "streams": [{"name": n, "size": s, "xattr": stream_xattr(n)} for n, s in self.streams],
                 "sd_bytes": len(self.sd or b""), "sacl_read": self.sacl_read,
                 "problems": [key for key, _sentence in self.problems]}
        if with_sd:
            found["sd"] = base64.b64encode(self.sd).decode("ascii") if self.sd else None
        return found


def entry_of(parent: bytes, listed: dict) -> SmbEntry:
    kind = kind_of(listed["attributes"], listed["reparse_tag"])
    entry = SmbEntry(
        path=child(parent, listed["name"]), kind=kind, size=listed["size"] if kind == "file" else 0,
        allocated=listed["allocated"], attributes=listed["attributes"], creation_ns=filetime_ns(listed["creation"]),
        last_write_ns=filetime_ns(listed["last_write"]), change_ns=filetime_ns(listed["change"]),
        file_id=listed["file_id"], reparse_tag=listed["reparse_tag"])
    entry.problems += classify(kind, listed["attributes"], listed["reparse_tag"])
    return entry


# --- the connection -------------------------------------------------------------------------

@dataclass(frozen=True)
class Credentials:
    username: str | None
    password: str | None = None
    auth: str = "ntlm"  # or "kerberos" (a ticket in the ccache, or username + password)

    def __repr__(self) -> str:  # never the password, in any traceback
        return f"Credentials(username={self.username!r}, auth={self.auth!r})"


class SmbShare:
    """One share, one connection: ``with SmbShare(server, share, creds) as src: src.walk()``."""

    def __init__(self, server: str, share: str, credentials: Credentials, encrypt: bool = True, port: int = 445,
                 timeout: int = 30, retries: int = 3, retry_delay: float = 0.5, sacl: bool = True,
                 sleep: Callable[[float], None] = time.sleep, workers: int = 1):
        self.server, self.share, self.port, self.timeout = server, share, port, timeout
        self.credentials, self.encrypt = credentials, encrypt
        self.delays = retry_delays(retries, retry_delay)
        # Reading a SACL needs SeSecurityPrivilege; after one refusal the walk stops asking.
        self.try_sacl = sacl
        self.sleep = sleep
        self.connection = self.session = self.tree = None
        self.workers = workers  # processes that send the walk's per-object compounds (1: this one)
        self.pool: ProcessPoolExecutor | None = None
        self._packed: dict = {}  # the compound's fixed requests, packed once (_query, _close_request)

    # connecting -------------------------------------------------------------------------
    def __enter__(self) -> SmbShare:
        self.connect()
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def connect(self) -> None:
        if not HAS_SMBPROTOCOL:
            raise SmbSourceError(f"the Python package smbprotocol is not installed here: {SMBPROTOCOL_ERROR}")
        if self.workers > 1:
            self._start_workers()
        try:
            self.connection = Connection(uuid.uuid4(), self.server, self.port, require_signing=True)
            self.connection.connect(timeout=self.timeout)
            if self.connection.dialect < Dialects.SMB_3_0_0:
                raise SmbSourceError(f"\\\\{self.server} speaks SMB dialect 0x{self.connection.dialect:04X} only; "
                                     "umzug reads shares over SMB 3 (signed, encrypted when asked)")
            if self.encrypt and not self.connection.supports_encryption:
                raise SmbSourceError(f"\\\\{self.server} cannot encrypt SMB traffic, and encryption was required "
                                     "(shares_smb_encrypt); enable SMB encryption on the server or turn it off "
                                     "for this Kommune")
            creds = self.credentials
            self.session = Session(self.connection, creds.username, creds.password, require_encryption=self.encrypt,
                                   auth_protocol=creds.auth)
            self.session.connect()
            self.tree = TreeConnect(self.session, f"\\\\{self.server}\\{self.share}")
            self.tree.connect()
        except SmbSourceError:
            self.close()
            raise
        except (SMBException, OSError, ValueError) as err:
            self.close()
            raise connect_error(self.server, self.share, err) from None

    def close(self) -> None:
        self._stop_workers()
        for part in (self.tree, self.session):
            if part is not None:
                with contextlib.suppress(SMBException, OSError, ValueError):
                    part.disconnect()
        if self.connection is not None:
            with contextlib.suppress(SMBException, OSError, ValueError):
                self.connection.disconnect(close=True)
        self.connection = self.session = self.tree = None

    # requests -----------------------------------------------------------------------------
    def _send(self, messages: list) -> list:
        """One related compound. Its SMB2 headers are packed here (``pack_compound``) rather
        than by smbprotocol's ``send_compound``, which builds a header structure per message:
        the same bytes, signed and encrypted by the connection as it does, at a fraction of
        the CPU, which is what bounds the walk. Anything but a plain tree of a session this
        connection holds (a DFS share) goes through ``send_compound``."""
        connection, session_id, tree_id = self.connection, self.session.session_id, self.tree.tree_connect_id
        session = getattr(connection, "session_table", {}).get(session_id)
        tree = session.tree_connect_table.get(tree_id) if session is not None else None
        if tree is None or tree.is_dfs_share or not hasattr(connection, "outstanding_requests"):
            return connection.send_compound(messages, session_id, tree_id, related=True)
        return send_compound(connection, session, tree, messages)

    def _query(self, info_type: int, info_class: int, length: int, additional: int = 0) -> _Packed:
        """A QUERY_INFO on the object the compound's CREATE opened: the same bytes for every
        object, so packed once per connection (smbprotocol packs a message anew on every send)."""
        key = (info_type, info_class, length, additional)
        if key not in self._packed:
            query = SMB2QueryInfoRequest()
            query["info_type"] = info_type
            query["file_info_class"] = info_class
            query["output_buffer_length"] = length
            query["additional_information"] = additional
            query["file_id"] = b"\xff" * 16  # the object the compound's CREATE opened
            self._packed[key] = _Packed(query)
        return self._packed[key]

    def _close_request(self) -> _Packed:
        if "close" not in self._packed:
            close = SMB2CloseRequest()
            close["file_id"] = b"\xff" * 16  # the object the compound's CREATE opened
            self._packed["close"] = _Packed(close)
        return self._packed["close"]

    def _answer(self, request) -> bytes:
        return info_buffer(self._receive(request))

    def _receive(self, request) -> bytes:
        """The body of the answer to ``request`` (after its SMB2 header). The walk opens
        with FILE_OPEN_REPARSE_POINT and never below a reparse point, so a server never
        stops it on a symlink: there is nothing to resolve."""
        return self.connection.receive(request, resolve_symlinks=False)["data"].get_value()

    def _open(self, name: str, access: int, directory: bool | None = None) -> Open:
        handle = Open(self.tree, name)
        options = OPEN_OPTIONS | (0x1 if directory else 0)  # FILE_DIRECTORY_FILE
        handle.create(ImpersonationLevel.Impersonation, access, 0, SHARE_ALL, CreateDisposition.FILE_OPEN, options)
        return handle

    def _read_request(self, length: int):
        read = SMB2ReadRequest()
        read["length"] = length
        read["offset"] = 0
        read["padding"] = b"\x50"
        read["file_id"] = b"\xff" * 16  # the object the compound's CREATE opened
        return read

    def read_limit(self) -> int:
        """The largest file the walk reads in its compound: one read, at most IN_WALK_BYTES."""
        return min(IN_WALK_BYTES, getattr(self.connection, "max_read_size", 0) or IN_WALK_BYTES)

    def _describe_object(self, name: str, access: int, sd_parts: int,
                         read_length: int | None = None) -> tuple[int, list, bytes, dict | None, bytes | None]:
        """One compound: open, link count, streams, security descriptor, times, with a
        ``read_length`` the first bytes of the content (0: none, the content is known only
        when the file is empty), close. The content is None when it was not asked for, not
        read or the read failed (the caller reads it again the usual way)."""
        handle = Open(self.tree, name)
        create, _created = handle.create(ImpersonationLevel.Impersonation, access, 0, SHARE_ALL,
                                         CreateDisposition.FILE_OPEN, OPEN_OPTIONS, send=False)
        messages = [create, self._query(INFO_FILE, FILE_STANDARD_INFORMATION, STANDARD.size),
                    self._query(INFO_FILE, FILE_STREAM_INFORMATION, LIST_BUFFER),
                    self._query(INFO_SECURITY, 0, SD_BUFFER, sd_parts)]
        if not name:  # the share root: no listing gives its times and attributes
            messages.append(self._query(INFO_FILE, FILE_BASIC_INFORMATION, BASIC.size))
        # The read needs its credits beside the compound's other requests.
        if read_length and not self._credits_for(read_length + len(messages) * CREDIT_BYTES, 0):
            read_length = 0
        if read_length:
            messages.append(self._read_request(read_length))
        messages.append(self._close_request())
        requests = self._send(messages)
        answers: list = []
        # The answers are taken apart here, not by smbprotocol's structures: the walk needs
        # the status and the buffer of each, and parsing whole answers costs more CPU than
        # the rest of the walk. A failed CREATE fails the rest of the chain; every answer is
        # still read off.
        for request in requests:
            try:
                answers.append(self._receive(request))
            except SMBResponseException as err:
                answers.append(err)
        if isinstance(answers[0], Exception):
            raise answers[0]
        standard, streams, sd = (a if isinstance(a, Exception) else info_buffer(a) for a in answers[1:4])
        basic = info_buffer(answers[4]) if not name and isinstance(answers[4], bytes) else None
        content = None
        if read_length:
            content = read_buffer(answers[-2]) if isinstance(answers[-2], bytes) else None
        return (parse_standard(standard) if isinstance(standard, bytes) else 1,
                parse_streams(streams) if isinstance(streams, bytes) else [], sd,
                parse_basic(basic) if isinstance(basic, bytes) else None,
                None if read_length is None else self._content_of(standard, content))

    @staticmethod
    def _content_of(standard, content: bytes | None) -> bytes | None:
        """The content read in the compound, or b"" for a file that was empty when opened
        (no read is sent for it: a read at its end fails the rest of a compound on some
        servers); None when neither is known."""
        if content is not None:
            return content
        return b"" if isinstance(standard, bytes) and standard_size(standard) == 0 else None

    # the walk -------------------------------------------------------------------------------
    def walk(self, wants_content: Callable[[SmbEntry], bool] | None = None) -> Iterator[SmbEntry]:
        """Every object below the share root, the root itself first (path b""). With
        ``wants_content``, a small file it answers True for (asked with the listing's
        fields: kind, size, times, file id) comes with its ``content``."""
        root = SmbEntry(path=b"", kind="dir", attributes=ATTR_DIRECTORY)
        self._complete(root)
        yield root
        folders = [] if root.denied() else [b""]
        seen_dirs: dict[int, bytes] = {}
        seen_files: dict[int, bytes] = {}
        while folders:
            folder = folders.pop()
            try:
                listed = self._list(folder)
            except PermissionError:
                continue  # the folder's own open above reported it (shares.access_denied)
            except SMBResponseException as err:
                if status_of(err) in VANISHED:
                    continue
                raise
            for entry in self._completed(folder, listed, wants_content):
                if entry.kind == "dir" and not entry.denied():
                    # Samba serves a symlink to a folder as the folder itself: the same file id
                    # twice is one folder reached twice, and descending again could loop.
                    if entry.file_id and entry.file_id in seen_dirs:
                        entry.problems.append(("shares.reparse_point", "the same folder as "
                                               f"{seen_dirs[entry.file_id].decode('utf-8', 'backslashreplace')} "
                                               "(file id): a link the server follows itself; not descended"))
                    else:
                        seen_dirs[entry.file_id] = entry.path
                        folders.append(entry.path)
                elif entry.kind == "file" and entry.nlink == 1 and entry.file_id:
                    # Likewise a symlink to a file: one file id under two names with one link
                    # (a hard link counts its names).
                    if entry.file_id in seen_files:
                        entry.problems.append(("shares.reparse_point", "the same file as "
                                               f"{seen_files[entry.file_id].decode('utf-8', 'backslashreplace')} "
                                               "(file id, one link): a link the server follows itself"))
                    else:
                        seen_files[entry.file_id] = entry.path
                yield entry
        self._stop_workers()  # the walk is their work; a pass reads large files after it alone

    def _completed(self, folder: bytes, listed: list[dict],
                   wants_content: Callable[[SmbEntry], bool] | None) -> Iterator[SmbEntry]:
        """The listed objects of one folder, completed here one by one or by the workers."""
        if self.pool is None:
            for item in listed:
                entry = entry_of(folder, item)
                self._complete(entry, wants_content)
                yield entry
            return
        # Asked here, in the listing's order, before any compound is sent: the caller's
        # answers (and its budget) do not depend on which worker sends it.
        jobs = []
        for item in listed:
            entry = entry_of(folder, item)
            jobs.append((entry, self._in_walk_length(entry, wants_content) is not None))
        try:
            for entry, failure in self.pool.map(_worker_complete, jobs, chunksize=8):
                if failure is not None:
                    raise WorkerError(failure)
                yield entry
        except BrokenProcessPool:
            raise WorkerError("a worker process of the walk ended without an answer (killed, or out of "
                              "memory)") from None

    def _start_workers(self) -> None:
        """``workers`` processes, forked before this process opens its connection (no threads
        to fork yet); each opens its own connection and session to the share."""
        self.pool = ProcessPoolExecutor(max_workers=self.workers, mp_context=multiprocessing.get_context("fork"),
                                        initializer=_worker_start, initargs=(self._worker_copy, os.getpid()))
        # The pool forks all its processes when the first job is submitted (fork: never
        # later), so now; they connect while this process does.
        self.pool.submit(int)

    def _stop_workers(self) -> None:
        if self.pool is not None:
            self.pool.shutdown(wait=True, cancel_futures=True)
            self.pool = None

    def _worker_copy(self) -> SmbShare:
        return SmbShare(self.server, self.share, self.credentials, encrypt=self.encrypt, port=self.port,
                        timeout=self.timeout, sacl=self.try_sacl, sleep=self.sleep,
                        retries=len(self.delays), retry_delay=self.delays[0] if self.delays else 0.0)

    def _list(self, folder: bytes) -> list[dict]:
        try:
            handle = self._open(smb_name(folder), FILE_LIST_DIRECTORY | FILE_READ_ATTRIBUTES | SYNCHRONIZE, True)
        except SMBResponseException as err:
            if status_of(err) == STATUS_ACCESS_DENIED:
                raise PermissionError(smb_name(folder)) from None
            raise
        found = []
        try:
            flags = QUERY_RESTART
            while True:
                query, _receive = handle.query_directory("*", FILE_ID_BOTH_DIRECTORY_INFORMATION, flags=flags,
                                                         max_output=LIST_BUFFER, send=False)
                request = self.connection.send(query, self.session.session_id, self.tree.tree_connect_id)
                try:
                    response = self.connection.receive(request)
                except SMBResponseException as err:
                    if status_of(err) == STATUS_NO_MORE_FILES:
                        break
                    raise
                answer = SMB2QueryDirectoryResponse()
                answer.unpack(response["data"].get_value())
                found += [e for e in parse_directory(answer["buffer"].get_value()) if e["name"] not in (".", "..")]
                flags = 0
        finally:
            handle.close()
        return sorted(found, key=lambda e: e["name"])

    def _complete(self, entry: SmbEntry, wants_content: Callable[[SmbEntry], bool] | None = None) -> None:
        """Link count, streams and security descriptor of one listed object, with the
        checks that need an open: sharing mode, access denied; and its content when the
        caller wants it and it fits in one read."""
        name = smb_name(entry.path)
        base = FILE_READ_ATTRIBUTES | READ_CONTROL | SYNCHRONIZE
        # Content that is here is opened as a copy would open it, so a sharing mode that
        # denies reading, or a refusal despite backup intent, shows now; a folder as a listing
        # opens it (FILE_LIST_DIRECTORY is the same bit). Offline content and reparse points
        # are never opened so.
        probe_data = entry.kind == "dir" or (entry.kind == "file" and not entry.attributes & NOT_HERE)
        access = base | (FILE_READ_DATA if probe_data else 0)
        parts = SD_OWNER | SD_GROUP | SD_DACL
        length = self._in_walk_length(entry, wants_content) if probe_data else None
        while True:
            sacl = self.try_sacl
            try:
                nlink, streams, sd, basic, content = self._with_retries(
                    lambda a=access, s=sacl: self._describe_object(
                        name, a | (ACCESS_SYSTEM_SECURITY if s else 0), parts | (SD_SACL if s else 0),
                        length if a & FILE_READ_DATA else None))
            except SMBResponseException as err:
                status = status_of(err)
                if sacl and status in (STATUS_PRIVILEGE_NOT_HELD, STATUS_ACCESS_DENIED):
                    self.try_sacl = False
                    continue
                if status == STATUS_SHARING_VIOLATION and access & FILE_READ_DATA:
                    entry.problems.append(("shares.file_locked", f"after {len(self.delays) + 1} tries: "
                                           f"{describe(err)}"))
                    access &= ~FILE_READ_DATA
                    continue
                if status in VANISHED:
                    return  # gone since the listing: the next walk sees the tree as it is then
                if not entry.denied():
                    entry.problems.append(("shares.access_denied", describe(err)))
                if access & FILE_READ_DATA:
                    access &= ~FILE_READ_DATA  # the descriptor may still be readable
                    continue
                return
            break
        entry.nlink = nlink
        entry.streams = named_streams(streams)
        if not entry.path and basic:
            entry.creation_ns, entry.last_write_ns = filetime_ns(basic["creation"]), filetime_ns(basic["last_write"])
            entry.change_ns, entry.attributes = filetime_ns(basic["change"]), basic["attributes"]
        if isinstance(sd, bytes):
            entry.sd, entry.sacl_read = sd, sacl
        else:
            entry.problems.append(("shares.ntacl_unreadable", describe(sd)))
        if length is not None and access & FILE_READ_DATA and not entry.problems:
            entry.content = content

    def _in_walk_length(self, entry: SmbEntry, wants_content: Callable[[SmbEntry], bool] | None) -> int | None:
        """How many bytes the compound reads of ``entry``: its size and one more, so a file
        that grew since the listing shows as changed; 0 for an empty file (no read is sent:
        a read at the end of a file fails the rest of a compound on some servers); None
        when its content is not read in the walk."""
        if wants_content is None or entry.kind != "file" or entry.problems or entry.attributes & NOT_HERE:
            return None
        if entry.size >= self.read_limit() or not wants_content(entry):
            return None
        return entry.size + 1 if entry.size else 0

    def _with_retries(self, attempt: Callable):
        for delay in [*self.delays, None]:
            try:
                return attempt()
            except SMBResponseException as err:
                if status_of(err) != STATUS_SHARING_VIOLATION or delay is None:
                    raise
                self.sleep(delay)
        raise AssertionError("unreachable")

    # content ------------------------------------------------------------------------------
    def read(self, relative: bytes, stream: str | None = None, chunk: int = 1 << 20,
             depth: int = 8) -> Iterator[bytes]:
        """The content of a file (or of its named ``stream``) in order, ``chunk`` bytes per
        read and up to ``depth`` reads in flight. Offline files are refused by the caller:
        this reads what it is asked to."""
        keep_buffers()
        name = smb_name(relative) + (f":{stream}" if stream else "")
        handle = self._with_retries(lambda: self._open(name, FILE_READ_DATA | FILE_READ_ATTRIBUTES | SYNCHRONIZE))
        try:
            size = handle.end_of_file
            chunk = max(4096, min(chunk, self.connection.max_read_size))
            pending, offset = [], 0
            while offset < size or pending:
                while offset < size and len(pending) < depth and self._credits_for(chunk, len(pending)):
                    pending.append(self._send_read(handle, offset, min(chunk, size - offset)))
                    offset += chunk
                if not pending:  # no credits for a second read: one at a time
                    pending.append(self._send_read(handle, offset, min(chunk, size - offset)))
                    offset += chunk
                data = self._read_answer(pending.pop(0))
                if data is None:
                    break
                yield data
        finally:
            handle.close()

    def _send_read(self, handle, offset: int, length: int):
        request, _receive = handle.read(offset, length, send=False)
        return self.connection.send(request, self.session.session_id, self.tree.tree_connect_id)

    def _credits_for(self, chunk: int, in_flight: int) -> bool:
        window = getattr(self.connection, "sequence_window", None)
        if not window:
            return in_flight == 0
        needed = (chunk - 1) // 65536 + 1
        return window["high"] - window["low"] >= needed

    def _read_answer(self, request) -> bytes | None:
        try:
            return read_buffer(self._receive(request))
        except SMBResponseException as err:
            if status_of(err) == STATUS_END_OF_FILE:
                return None
            raise


# --- the worker processes of the walk ------------------------------------------------------

_WORKER: dict = {}  # in a worker process: its SmbShare, or the sentence why it has none


def _worker_start(make: Callable[[], SmbShare], parent: int) -> None:
    # A worker ends with the process that started it, also when that one is killed with
    # kill -9 (no orphan keeps a session on the source or the module's output open), and
    # never writes to the module's output.
    with contextlib.suppress(OSError, AttributeError):
        ctypes.CDLL(None, use_errno=True).prctl(1, signal.SIGKILL)  # PR_SET_PDEATHSIG (Linux)
    if os.getppid() != parent:
        os._exit(1)
    with contextlib.suppress(OSError):
        quiet = os.open(os.devnull, os.O_RDWR)
        for fd in (0, 1, 2):
            os.dup2(quiet, fd)
    try:
        share = make()
        share.connect()
    except Exception as err:  # each job answers with it, as one sentence
        _WORKER["failed"] = describe(err)
    else:
        _WORKER["share"] = share


def _worker_complete(job: tuple[SmbEntry, bool]) -> tuple[SmbEntry | None, str | None]:
    """One object in a worker: its compound, with its content when the main process asked."""
    entry, want = job
    share = _WORKER.get("share")
    if share is None:
        return None, f"a worker process of the walk could not connect: {_WORKER.get('failed', 'no answer')}"
    try:
        share._complete(entry, (lambda _entry: True) if want else None)
    except Exception as err:  # sent back whole, as one sentence
        return None, f"a worker process of the walk failed at {smb_name(entry.path)}: {describe(err)}"
    return entry, None


def connection_args() -> dict:
    """The argument spec of the options in the doc fragment kommunal.umzug.smb_source: the
    source file server, the account and how it is reached."""
    return dict(
        server=dict(type="str", required=True),
        port=dict(type="int", default=445),
        username=dict(type="str", required=True),
        password=dict(type="str", no_log=True),
        auth=dict(type="str", choices=["ntlm", "kerberos"], default="ntlm"),
        encrypt=dict(type="bool", default=True),
        retries=dict(type="int", default=3),
        retry_delay=dict(type="float", default=1.0),
    )


def share_of(params: Mapping, share: str) -> SmbShare:
    """The share ``share`` of the server a module's connection_args options name."""
    credentials = Credentials(params["username"], params["password"], params["auth"])
    return SmbShare(params["server"], share, credentials, encrypt=params["encrypt"], port=params["port"],
                    retries=params["retries"], retry_delay=params["retry_delay"])

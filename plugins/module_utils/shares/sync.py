# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""One sync pass of a share, run on the target file server (the RZ side pulls).

Transport: the target asks the source for a listing (``share_tree`` run there by
``python3 -c`` over SSH, nothing installed on the Kommune's server) and then for the
content of what changed, as a tar stream over the same SSH, written there by the agent's
sender (share_send: no symlink is followed in any component of a path; hard links and
sparse files kept) and extracted here by GNU tar. Where the plan says so, the stream is
compressed on the wire (share_wire: zstd, or gzip from zlib where the source has no zstd)
and decompressed here after the rate limiter, which charges the bytes on the wire.
Only content, modes, mtimes and user.* and trusted.* xattrs travel in tar; owners,
POSIX ACLs and the Windows ACL are applied from the listing after translation, so nothing
untranslated is ever written on the target. Data flows file server to file server and
never through the Ansible controller.

Translation goes through SIDs: an old uid/gid becomes the old SID (the source's winbind,
asked by the listing), the identity mapping turns it into the new SID, and the target's
winbind gives the new uid/gid. That is right whatever idmap backend either side uses.
Whatever cannot be mapped is kept as it was and counted, for findings; never dropped.
"""

from __future__ import annotations

import base64
import contextlib
import fcntl
import json
import os
import queue
import re
import select
import shlex
import shutil
import socket
import struct
import subprocess
import sys
import tempfile
import threading
import time
import zlib
from collections.abc import Callable, Collection, Iterable, Iterator, Mapping
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import UTC, datetime
from stat import S_ISDIR, S_ISLNK, S_ISREG

from ansible_collections.kommunal.umzug.plugins.module_utils.files import write_atomic
from ansible_collections.kommunal.umzug.plugins.module_utils.findings import Reason
from ansible_collections.kommunal.umzug.plugins.module_utils.shares import names as share_names
from ansible_collections.kommunal.umzug.plugins.module_utils.shares import ntacl, posix_acl
from ansible_collections.kommunal.umzug.plugins.module_utils.shares import rate as share_rate
from ansible_collections.kommunal.umzug.plugins.module_utils.shares import send as share_send
from ansible_collections.kommunal.umzug.plugins.module_utils.shares import tree as share_tree
from ansible_collections.kommunal.umzug.plugins.module_utils.shares import wire as share_wire
from ansible_collections.kommunal.umzug.plugins.module_utils.shares.tree import Node, WorkList

NTACL = "security.NTACL"
# The xattrs that travel in tar are share_tree's (travels_in_tar); the rest is applied
# from the listing or reported by pre-flight.
TAR_XATTRS = ["--xattrs", *(f"--xattrs-include={prefix}*" for prefix in share_tree.IN_TAR_XATTRS)]


class SyncError(RuntimeError):
    """A pass that cannot go on; the message says what and where."""


# --- translation ---------------------------------------------------------------------------

@dataclass
class Translator:
    """Old ids and SIDs to new ones; records what it could not map."""

    translate_sid: Callable[[str], str | None]
    source_uid_sids: Mapping[int, str]
    source_gid_sids: Mapping[int, str]
    target_id: Callable[[str, str], int | None]  # (new SID, "uid"|"gid") -> id on the target
    unmapped_sids: dict[str, set[bytes]] = field(default_factory=dict)
    unmapped_ids: dict[str, set[bytes]] = field(default_factory=dict)
    unreadable_ntacls: dict[bytes, str] = field(default_factory=dict)
    # A share has few distinct owners and ACLs but many files: each is translated once.
    _ids: dict[tuple[str, int], int | None] = field(default_factory=dict)
    _ntacls: dict[bytes, tuple[bytes, tuple[str, ...]]] = field(default_factory=dict)
    _acls: dict[bytes, posix_acl.Translation] = field(default_factory=dict)
    _writes: dict[tuple, list[tuple[str, bytes]]] = field(default_factory=dict)

    def _map(self, kind: str, old: int) -> int | None:
        key = (kind, old)
        if key not in self._ids:
            old_sid = (self.source_uid_sids if kind == "uid" else self.source_gid_sids).get(old)
            new_sid = self.translate_sid(old_sid) if old_sid else None
            self._ids[key] = self.target_id(new_sid, kind) if new_sid else None
        return self._ids[key]

    def _unmapped(self, kind: str, old: int, path: bytes) -> None:
        old_sid = (self.source_uid_sids if kind == "uid" else self.source_gid_sids).get(old)
        self.unmapped_ids.setdefault(f"{kind} {old}" + (f" ({old_sid})" if old_sid else ""), set()).add(path)

    def uid(self, old: int, path: bytes) -> int:
        new = self._map("uid", old)
        if new is None:
            self._unmapped("uid", old, path)
        return old if new is None else new

    def gid(self, old: int, path: bytes) -> int:
        new = self._map("gid", old)
        if new is None:
            self._unmapped("gid", old, path)
        return old if new is None else new

    def posix_acl(self, data: bytes, path: bytes) -> bytes:
        if data not in self._acls:
            self._acls[data] = posix_acl.translate(data, lambda u: self._map("uid", u), lambda g: self._map("gid", g))
        result = self._acls[data]
        for old in result.unmapped_uids:
            self._unmapped("uid", old, path)
        for old in result.unmapped_gids:
            self._unmapped("gid", old, path)
        return result.data

    def ntacl(self, blob: bytes, path: bytes) -> bytes:
        if blob not in self._ntacls:
            try:
                result = ntacl.translate_sd(ntacl.sd_from_ntacl(blob), self.translate_sid)
            except ntacl.NtaclError as err:
                # Kept as it was and reported: Samba will not serve it, pre-flight says so.
                self.unreadable_ntacls[path] = str(err)
                return blob
            self._ntacls[blob] = (ntacl.ntacl_v1(result.sd), result.unmapped)
        translated, unmapped = self._ntacls[blob]
        for sid in unmapped:
            self.unmapped_sids.setdefault(sid, set()).add(path)
        return translated


# --- sources -------------------------------------------------------------------------------

class _Listing:
    """A running listing agent: first every path's stat, then the xattrs of the paths
    asked for (see share_tree's wire form). Data flows one way at a time, so neither side
    waits on a full pipe."""

    def __init__(self, command: list[str], where: str, ids: tuple[dict, dict] | None = None):
        self.where, self.ids = where, ids
        # Set by entries(keep=...): the paths left out, and the agent's position of each kept one.
        self.left_out: list[bytes] = []
        self._positions: list[int] | None = None
        self.proc = subprocess.Popen(command, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                     stderr=subprocess.PIPE)

    def __enter__(self):
        return self

    def __exit__(self, *exc) -> None:
        if self.proc.poll() is None:
            self.proc.kill()
        self.proc.wait()
        for stream in (self.proc.stdin, self.proc.stdout, self.proc.stderr):
            if not stream.closed:
                stream.close()

    def _frame(self) -> tuple[bytes, bytes]:
        try:
            return share_tree.read_frame(self.proc.stdout)
        except EOFError:
            self.proc.stdin.close()
            detail = self.proc.stderr.read().decode(errors="replace").strip().splitlines()
            code = self.proc.wait()
            raise SyncError(f"listing {self.where} failed: "
                            f"{detail[-1] if detail else f'exit code {code}'}") from None

    def entries(self, keep: Callable[[bytes], bool] | None = None) -> tuple[list[bytes], list[bytes],
                                                                            list[bytes], int]:
        """Every path below the root: (paths, records, symlink targets), and when the
        scan started on the source's clock. Paths ``keep`` refuses are left out (in
        ``left_out``); ``read`` takes positions in what is returned."""
        kind, payload = self._frame()
        started = int(payload) if kind == b"T" else 0
        paths: list[bytes] = []
        records: list[bytes] = []
        links: list[bytes] = []
        while (kind := self._frame())[0] == b"S":
            try:
                more = share_tree.unpack_records(kind[1])
            except ValueError as err:
                raise SyncError(f"listing {self.where} failed: {err}") from None
            paths += more[0]
            records += more[1]
            links += more[2]
        if keep is not None:
            kept = [i for i, path in enumerate(paths) if keep(path)]
            if len(kept) < len(paths):
                chosen = set(kept)
                self.left_out = [path for i, path in enumerate(paths) if i not in chosen]
                self._positions = kept
                paths, records, links = ([column[i] for i in kept] for column in (paths, records, links))
        return paths, records, links, started

    def read(self, indices: list[int]) -> tuple[list[dict[str, bytes]], dict[int, str], dict[int, str]]:
        """The carried xattrs of the entries at ``indices``, and the SIDs of their owners
        and ACL entries (as the source's winbind gives them)."""
        agent_indices = indices if self._positions is None else [self._positions[i] for i in indices]
        request = struct.pack(f"<Q{len(indices)}I", len(indices), *agent_indices)
        try:
            self.proc.stdin.write(request)
            self.proc.stdin.close()
        except BrokenPipeError:
            pass  # the agent died; reading says why
        pairs: list[tuple[str, bytes]] = []
        xattrs: list[dict[str, bytes]] = []
        ids: dict = {"uid": {}, "gid": {}}
        while True:
            kind, payload = self._frame()
            if kind == b"P":
                pairs += share_tree.unpack_pairs(payload)
            elif kind == b"X":
                refs = struct.unpack(f"<{len(payload) // 4}I", payload)
                i = 0
                while i < len(refs):
                    count = refs[i]
                    xattrs.append(dict(pairs[r] for r in refs[i + 1:i + 1 + count]))
                    i += 1 + count
            elif kind == b"I":
                ids = json.loads(payload)
            elif kind == b"Z":
                break
        if len(xattrs) != len(indices):
            raise SyncError(f"listing {self.where} failed: {len(xattrs)} of {len(indices)} paths came back")
        if self.ids is not None:
            return (xattrs, *self.ids)
        return (xattrs, {int(k): v for k, v in ids["uid"].items()}, {int(k): v for k, v in ids["gid"].items()})


def _agent_arguments(root: bytes, mode: str, codecs: list[str] | None = None) -> list[str]:
    code = base64.b64encode(zlib.compress(agent_source().encode())).decode()
    return [code, base64.b64encode(root).decode(), mode, *([",".join(codecs)] if codecs is not None else [])]


def _target_listing(root: bytes) -> dict[bytes, bytes]:
    """share_tree.target_listing in a process of its own, so the target is walked on one
    core while this one takes the source's listing in."""
    command = [sys.executable, "-c", AGENT_BOOT, *_agent_arguments(root, "target")]
    with _Listing(command, f"target {os.fsdecode(root)}") as listing:
        paths, records, _dummy, _dummy = listing.entries()
    dir_key, size = share_tree.DIR_KEY, share_tree.TARGET_KEY
    return {p: (dir_key if r[0] == share_tree.DIR else r[:size]) for p, r in zip(paths, records, strict=True)}


class LocalSource:
    """A source tree on this host: used by tests, and by a same-host move. The listing
    agent runs as its own process, as it does on a remote source, so the source is
    scanned while the pass scans the target."""

    def __init__(self, root: bytes, uid_sids: Mapping[int, str] | None = None,
                 gid_sids: Mapping[int, str] | None = None):
        self.root = root
        self.uid_sids, self.gid_sids = dict(uid_sids or {}), dict(gid_sids or {})

    def session(self) -> _Listing:
        return _Listing([sys.executable, "-c", AGENT_BOOT, *_agent_arguments(self.root, "source")],
                        os.fsdecode(self.root), (self.uid_sids, self.gid_sids))

    def listing(self) -> tuple[list[Node], dict[int, str], dict[int, str]]:
        return _full_listing(self)

    def tar_command(self, codecs: list[str] | None = None) -> list[str]:
        """The command that writes the tar stream of the paths on its stdin (the agent's
        sender, see share_send: nothing below the root is read through a symlink);
        ``codecs``: compress it with the first of them the source can make (share_wire)."""
        return [sys.executable, "-c", AGENT_BOOT, *_agent_arguments(self.root, "send", codecs)]

    def codec_command(self, codecs: list[str]) -> list[str]:
        """The command that prints the codec the sender would pick (check mode)."""
        return [sys.executable, "-c", AGENT_BOOT, *_agent_arguments(self.root, "codec", codecs)]

    def shared(self, *others: LocalSource) -> contextlib.AbstractContextManager:
        """Nothing to share on this host (see SshSource.shared)."""
        return contextlib.nullcontext()


class SshSource:
    """A source tree on the Kommune's file server, reached with the transfer key."""

    def __init__(self, host: str, root: bytes, user: str = "root", key: str | None = None,
                 ssh_options: Iterable[str] = ()):
        self.host, self.root, self.user, self.key = host, root, user, key
        self.options = list(ssh_options)
        # Inside a block of shared() (this source's or another's on the same server).
        self._inside_shared = False

    def ssh_command(self) -> list[str]:
        """ssh up to the destination; the remote command follows."""
        command = ["ssh", "-o", "BatchMode=yes", "-o", "ServerAliveInterval=15", *self.options]
        if self.key:
            command += ["-i", self.key]
        return [*command, f"{self.user}@{self.host}"]

    def _ssh(self, remote: str) -> list[str]:
        return [*self.ssh_command(), remote]

    @contextlib.contextmanager
    def shared(self, *others: SshSource) -> Iterator[None]:
        """One SSH connection for the sessions opened inside it (a pass's listing, its
        senders, the codec's probe): OpenSSH's multiplexing, a master without a command and
        the sessions as its channels. The connection's setup is paid once, and a batch's
        stream that follows another finds TCP's window open on the link instead of starting
        again from idle. Where the master does not come up (within MASTER_WAIT s) the
        sessions connect on their own, as without it, and say themselves what went wrong.
        The master ends when the block does.

        ``others``: the sources of further shares on the same file server (same destination
        and options), whose passes run inside the block (share_sync's several shares): their
        sessions are channels of the same master, opened once for all of them. A pass's own
        ``shared`` inside the block opens nothing. A channel sshd refuses (more sessions at
        once than its MaxSessions) is opened by OpenSSH as a connection of its own."""
        if self._inside_shared:
            yield
            return
        sources = (self, *others)
        if any(other.ssh_command() != self.ssh_command() for other in others):
            raise ValueError("one SSH connection serves only sources of one destination with the same options")
        with tempfile.TemporaryDirectory(prefix="umzug-ssh-") as folder:
            control = ["-o", f"ControlPath={os.path.join(folder, 'master')}"]
            ssh, *rest = self.ssh_command()
            master = subprocess.Popen([ssh, "-M", "-N", *control, "-o", "ControlPersist=no", *rest],
                                      stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                                      stderr=subprocess.DEVNULL)
            kept = [source.options for source in sources]
            try:
                ready = _master_ready(master, os.path.join(folder, "master"))
                for source, options in zip(sources, kept, strict=True):
                    source._inside_shared = True
                    if ready:
                        source.options = [*options, *control, "-o", "ControlMaster=no"]
                yield
            finally:
                for source, options in zip(sources, kept, strict=True):
                    source.options, source._inside_shared = options, False
                master.terminate()
                try:
                    master.wait(timeout=10)
                except subprocess.TimeoutExpired:
                    master.kill()
                    master.wait()

    def session(self) -> _Listing:
        remote = shlex.join(["python3", "-c", AGENT_BOOT, *_agent_arguments(self.root, "source-ids")])
        return _Listing(self._ssh(remote), f"{os.fsdecode(self.root)} on {self.host}")

    def listing(self) -> tuple[list[Node], dict[int, str], dict[int, str]]:
        return _full_listing(self)

    def tar_command(self, codecs: list[str] | None = None) -> list[str]:
        """The agent's sender on the source (see LocalSource.tar_command)."""
        return self._ssh(shlex.join(["python3", "-c", AGENT_BOOT, *_agent_arguments(self.root, "send", codecs)]))

    def codec_command(self, codecs: list[str]) -> list[str]:
        return self._ssh(shlex.join(["python3", "-c", AGENT_BOOT, *_agent_arguments(self.root, "codec", codecs)]))


# Seconds a pass waits for its SSH master's socket (SshSource.shared).
MASTER_WAIT = 15.0


def _master_ready(master: subprocess.Popen, socket_path: str) -> bool:
    """Whether the master's control socket came up; False when the master ended first or
    took longer than MASTER_WAIT."""
    deadline = time.monotonic() + MASTER_WAIT
    while time.monotonic() < deadline:
        if os.path.exists(socket_path):
            return True
        if master.poll() is not None:
            return False
        time.sleep(0.02)
    return False


def _full_listing(source) -> tuple[list[Node], dict[int, str], dict[int, str]]:
    with source.session() as listing:
        paths, records, links, _dummy = listing.entries()
        wanted = [i for i, r in enumerate(records) if r[0] != share_tree.OTHER]
        xattrs, uid_sids, gid_sids = listing.read(wanted)
    return ([share_tree.node_of(share_tree.entry_from_wire(paths[i], records[i], links[i]), x)
             for i, x in zip(wanted, xattrs, strict=True)], uid_sids, gid_sids)


# The listing agent: share_tree's own source plus this main, run by ``python3 -c`` on the
# source, so the Kommune's server needs nothing but Python 3 and winbind.
AGENT_BOOT = "import base64,sys,zlib;exec(zlib.decompress(base64.b64decode(sys.argv[1])))"
# The source's SID of a uid or gid, as winbind there answers (None where it has none):
# the one lookup of both agents on the source, the sync's listing and the manifest.
AGENT_SIDS = r"""
def _sid(flag, number):
    out = subprocess.run(["wbinfo", flag, str(number)], capture_output=True, text=True)
    return out.stdout.strip() if out.returncode == 0 and out.stdout.startswith("S-1-") else None
"""
AGENT_MAIN = AGENT_SIDS + r"""
def _agent(root, mode):
    out = sys.stdout.buffer
    out.write(frame(b"T", b"%d" % time.time_ns()))
    paths, records, chunk = [], [], []
    if mode == "target" and not os.path.isdir(root):
        out.write(frame(b"s", b""))
        return
    for item in walk_records(root):
        chunk.append(item)
        if mode != "target":
            paths.append(item[0])
            records.append(item[1])
        if len(chunk) == 4096:
            out.write(frame(b"S", pack_records(chunk)))
            chunk = []
    out.write(frame(b"S", pack_records(chunk)) + frame(b"s", b""))
    out.flush()
    if mode == "target":
        return
    (count,) = struct.unpack("<Q", sys.stdin.buffer.read(8))
    wanted = struct.unpack(f"<{count}I", sys.stdin.buffer.read(4 * count))
    uids, gids, numbers, fresh, refs = set(), set(), {}, [], []
    below = Below(root)
    for index in wanted:
        entry = entry_from_wire(paths[index], records[index], None)
        uids.add(entry.uid)
        gids.add(entry.gid)
        xattrs = {}
        if entry.kind in (FILE, DIR):
            try:
                xattrs = below.xattrs(entry.path)
            except PathChanged:
                pass  # its folder is a symlink now or gone: nothing is read through it
        refs.append(len(xattrs))
        for pair in xattrs.items():
            number = numbers.get(pair)
            if number is None:
                number = numbers[pair] = len(numbers)
                fresh.append(pair)
                if pair[0].startswith("system.posix_acl_"):
                    for offset in range(4, len(pair[1]), 8):
                        tag, _, ident = struct.unpack_from("<HHI", pair[1], offset)
                        (uids if tag == 0x02 else gids if tag == 0x08 else set()).add(ident)
            refs.append(number)
        if len(refs) >= 65536:
            out.write(frame(b"P", pack_pairs(fresh)) + frame(b"X", struct.pack(f"<{len(refs)}I", *refs)))
            fresh, refs = [], []
    out.write(frame(b"P", pack_pairs(fresh)) + frame(b"X", struct.pack(f"<{len(refs)}I", *refs)))
    ids = {"uid": {}, "gid": {}}
    if mode == "source-ids":
        ids = {"uid": {u: _sid("--uid-to-sid", u) for u in sorted(uids)},
               "gid": {g: _sid("--gid-to-sid", g) for g in sorted(gids)}}
        ids = {k: {str(i): s for i, s in v.items() if s} for k, v in ids.items()}
    out.write(frame(b"I", json.dumps(ids).encode()) + frame(b"Z", b""))
    out.flush()

import subprocess, sys, time
if sys.argv[3] == "send" and len(sys.argv) > 4:
    send_compressed(base64.b64decode(sys.argv[2]), sys.stdin.buffer, [c for c in sys.argv[4].split(",") if c],
                    sys.stdout.fileno(), sys.stderr.buffer)
elif sys.argv[3] == "send":
    send(base64.b64decode(sys.argv[2]), sys.stdin.buffer.read(), sys.stdout.fileno(), sys.stderr.buffer)
elif sys.argv[3] == "codec":
    print(choose([c for c in sys.argv[4].split(",") if c]))
else:
    _agent(base64.b64decode(sys.argv[2]), sys.argv[3])
"""


def agent_source() -> str:
    """share_tree's source, then share_send's (the sender), share_wire's (its compression),
    then AGENT_MAIN: one namespace."""
    return ("from __future__ import annotations\n" + "".join(map(_inline, (share_tree, share_send, share_wire)))
            + AGENT_MAIN)


def _inline(module) -> str:
    # Through the loader: inside an Ansible module, module_utils live in a zip (AnsiballZ).
    source = module.__loader__.get_source(module.__name__).replace("from __future__ import annotations\n", "")
    # Imports of the collection are not available on the source; what they name is inline.
    return re.sub(r"^from ansible_collections\.\S+ import (\([^)]*\)|[^\n]*)\n", "", source, flags=re.M)


# --- one pass --------------------------------------------------------------------------------

@dataclass
class Stream:
    """What the pass's content took on the wire: whether the plan asked for compression,
    the codecs this side offered, the one the source's sender chose (None while no content
    has moved), and the bytes of the tar stream (raw) and on the wire (what ssh brought,
    what the limiter charged)."""
    compress: bool = False
    offered: list[str] = field(default_factory=list)
    codec: str | None = None
    raw_bytes: int | None = 0
    wire_bytes: int | None = 0

    def to_dict(self) -> dict:
        return {"compress": self.compress, "codec": self.codec,
                "codec_label": None if self.codec is None else share_wire.LABELS[self.codec],
                "offered": list(self.offered), "raw_bytes": self.raw_bytes, "wire_bytes": self.wire_bytes}

    @property
    def codecs(self) -> list[str] | None:
        """What a sender is offered: the codecs, or None for an uncompressed stream."""
        return self.offered if self.compress else None


class _Wire:
    """Stands for the limiter in one copy's relay: counts the bytes it moves (those on the
    wire) as the copy's (``bytes``) and into ``stream``, then has the limiter charge them.
    Two copies' relays may run at once (copy_batches): the pass's total is added under a lock."""

    _lock = threading.Lock()

    def __init__(self, stream: Stream, limiter: share_rate.Limiter):
        self.stream, self.limiter = stream, limiter
        self.bytes = 0

    def take(self, nbytes: int) -> None:
        self.bytes += nbytes
        with self._lock:
            self.stream.wire_bytes += nbytes
        self.limiter.take(nbytes)

    def __getattr__(self, name: str):
        return getattr(self.limiter, name)  # anything else the relay asks is the limiter's


@dataclass
class Progress:
    path: str | None
    total_files: int
    total_bytes: int
    started: float = field(default_factory=time.monotonic)
    files: int = 0
    bytes: int = 0
    # The pass's bandwidth limiter: the copy goes through it, the figures show its limit.
    limiter: share_rate.Limiter = field(default_factory=lambda: share_rate.Limiter(None))
    # The SSH path's stream (its codec and bytes on the wire); the SMB path has none and
    # reads every byte as it is on the wire.
    stream: Stream = field(default_factory=Stream)
    _last: float = 0.0
    _recent: list = field(default_factory=list)

    @property
    def wire_bytes(self) -> int:
        return self.stream.wire_bytes if self.stream.codec is not None else self.bytes

    def update(self, files: int = 0, nbytes: int = 0, force: bool = False) -> None:
        self.files += files
        self.bytes += nbytes
        now = time.monotonic()
        if self.path and (force or now - self._last >= 1.0):
            self._last = now
            # Rewritten every second while the copy runs: a flush to the disk each time would
            # push the copy's own writes along with it, and a crash makes the figures moot.
            write_atomic(self.path, json.dumps(self.figures(now)), durable=False)

    def figures(self, now: float) -> dict:
        """Content bytes and their rate (what is left, and when it is done at this pace), and
        the bytes on the wire, whose rate of the last few seconds is what the limit in force
        is compared with (a compressed stream carries more content than it takes of the link)."""
        elapsed = max(now - self.started, 1e-6)
        rate = self.bytes / elapsed
        left_bytes = max(self.total_bytes - self.bytes, 0)
        left = left_bytes / rate if rate > 0 else None
        wire = self.wire_bytes
        # The wire's rate of the last few seconds: what a limit that changed during the pass allows now.
        self._recent = [(t, b) for t, b in self._recent if now - t <= RECENT_SECONDS] + [(now, wire)]
        first_t, first_b = self._recent[0]
        recent = (wire - first_b) / (now - first_t) if now - first_t > 0.5 else wire / elapsed
        limit = self.limiter.limit() if self.limiter.active else None
        # What is left takes of the link what the content so far took per byte.
        left_wire = left_bytes * (wire / self.bytes if self.bytes and wire else 1.0)
        return {"files": self.files, "files_total": self.total_files, "bytes": self.bytes,
                "bytes_total": self.total_bytes, "rate_bytes_per_s": round(rate),
                "wire_bytes": wire, "codec": self.stream.codec,
                "recent_wire_rate_bytes_per_s": round(recent), "seconds_left": None if left is None else round(left),
                "limit_bytes_per_s": None if limit is None else round(limit),
                "seconds_left_at_limit": round(left_wire / limit) if limit else None}


RECENT_SECONDS = 5.0


def copy_content(source, target_root: bytes, paths: list[bytes], progress: Progress, size: int = 0,
                 kinds: list[int] | None = None, sender: Sender | None = None) -> dict[bytes, Reason]:
    """Stream the content of ``paths`` (``size`` bytes of files; ``kinds`` as the listing
    saw them, files by default) from the source into the target: the source's sender
    (share_send) writes a tar stream, compressed where ``progress.stream`` asks for it
    (share_wire), which a relay passes on at the limiter's pace, counting the bytes on the
    wire, to the decompressor and GNU tar here. Progress counts what tar has read. Returns
    the paths the sender skipped (changed since the listing, never followed) with the
    reason. ``sender``: one started ahead for these paths (Sender), used up here; without
    it the sender starts now. One ContentCopy from start to finish."""
    if not paths:
        if sender is not None:
            sender.discard()
        return {}
    copy = ContentCopy(source, target_root, paths, progress, size, kinds, sender)
    try:
        copy.start()
        copy.wait_sent()
    except BaseException:
        copy.abort()
        raise
    return copy.finish()


class ContentCopy:
    """One stream of content (copy_content) in three steps, so that copy_batches can start
    the next batch's receiving side while this one's drains: ``start`` (the relay, the
    decompressor and tar reading the sender's stream), ``wait_sent`` (until the sender has
    ended: all of its stream is on this side), ``finish`` (until tar has ended; the skipped
    paths, or SyncError, or Paused). ``cut`` and ``abort`` end a copy that is not wanted
    any more. Progress and the stream's bytes are counted per copy and added to the pass's,
    so two copies in flight count each byte once."""

    def __init__(self, source, target_root: bytes, paths: list[bytes], progress: Progress, size: int = 0,
                 kinds: list[int] | None = None, sender: Sender | None = None):
        self.target_root, self.paths, self.kinds = target_root, paths, kinds
        self.progress, self.size = progress, size
        stream = progress.stream
        self.codecs = stream.codecs
        self.sender = sender or Sender(source, self.codecs)
        self.wire = _Wire(stream, progress.limiter)
        self.counted = 0  # what this copy added to progress.bytes so far
        self.begun = time.time_ns()  # when its tar may have written first (_finished_of_cut_batch)
        self.receiver: subprocess.Popen | None = None
        self.decompressing: subprocess.Popen | None = None
        self.relaying: threading.Thread | None = None
        self.receiver_err = None

    def start(self) -> None:
        """The receiving side: codec, relay, decompressor, tar; the sender gets its paths
        now unless it has them. A SyncError (the sender failed before its first line) leaves
        nothing running."""
        sender, stream = self.sender, self.progress.stream
        self.receiver_err = tempfile.TemporaryFile()  # noqa: SIM115  (closed by finish or abort)
        stream_out = sender.take_stream()
        try:
            stream.codec = _codec_of(sender.process, stream_out, self.codecs, sender.err, len(self.paths))
            self.relaying, stream_out = _throttle(stream_out, self.wire)
            self.decompressing, stream_out = _decompress(stream_out, stream.codec, self.receiver_err)
            # Owners are set from the translated listing afterwards: tar never writes the
            # source's ids (--no-same-owner), and does no chown of its own. -B: the stream
            # may come in pieces smaller than a record (ssh).
            self.receiver = subprocess.Popen(["tar", "-C", os.fsdecode(self.target_root), "-xf", "-", "-B",
                                              "--blocking-factor=2048", "--same-permissions", "--no-same-owner",
                                              "--numeric-owner", "--sparse", *TAR_XATTRS, "--no-acls",
                                              "--no-selinux"], stdin=stream_out, stderr=self.receiver_err)
        except BaseException:
            if stream_out >= 0:
                os.close(stream_out)  # before abort waits for the relay, which may be writing to it
            stream_out = -1
            self.abort()
            raise
        os.close(stream_out)  # tar's (or the decompressor's) now
        if sender.feeder is None:
            sender.feed(self.paths, self.kinds)

    def _count(self) -> None:
        """Progress by what tar has read, at most the batch's size; never back (a tar that
        has just ended has no figures left to read)."""
        counted = max(min(_bytes_read(self.receiver.pid), self.size), self.counted)
        self.progress.update(nbytes=counted - self.counted)
        self.counted = counted

    def wait_sent(self) -> bool:
        """Waits, counting progress, until the sender has ended (or tar, which then failed);
        True when the sender ended well and tar still runs or ended well: the next stream
        may start while this one drains."""
        while self.sender.process.poll() is None and self.receiver.poll() is None:
            _wait_any((self.sender.process, self.receiver), 1.0)
            self._count()
        return self.sender.process.poll() == 0 and self.receiver.poll() in (None, 0)

    def finish(self) -> dict[bytes, Reason]:
        """Waits until tar has ended, counting progress; the paths the sender skipped.
        SyncError when the sender, the decompressor or tar failed; Paused when the limiter
        ended the stream."""
        progress, stream = self.progress, self.progress.stream
        try:
            while True:
                try:
                    self.receiver.wait(timeout=1.0)
                    break
                except subprocess.TimeoutExpired:
                    self._count()
            if progress.limiter.stop is not None and self.sender.process.poll() is None:
                self.sender.process.kill()  # the stream was cut off (rate.relay): the rest of it is not wanted
            self.sender.feeder.join()
            self.relaying.join()
            codes = [self.sender.process.wait(), self.receiver.returncode,
                     *([self.decompressing.wait()] if self.decompressing else [])]
            self.sender.err.seek(0)
            skipped, lines = skipped_from(self.sender.err.read())
            raw, lines = share_wire.raw_from(lines)
            if any(codes) and progress.limiter.stop is not None:
                raise share_rate.Paused(progress.limiter.stop)  # the relay ended the stream there
            if any(codes):
                self.receiver_err.seek(0)
                lines += self.receiver_err.read().decode(errors="replace").strip().splitlines()
                first = [line for line in lines if "Exiting with failure status" not in line][:3]
                raise SyncError(f"copying {len(self.paths)} paths failed: {'; '.join(first) or 'tar failed'}")
        except BaseException:
            self.abort()
            raise
        self._close()
        # An uncompressed stream is on the wire as it is.
        stream.raw_bytes += raw if raw is not None else self.wire.bytes
        progress.update(files=len(self.paths), nbytes=self.size - self.counted, force=True)
        self.counted = self.size
        return skipped

    def cut(self) -> dict[bytes, Reason]:
        """Ends the copy after the limiter stopped the pass: its sender is stopped at once
        (what it had not sent is not wanted); then as finish (Paused where tar did not get
        the whole stream)."""
        if self.sender.process.poll() is None:
            self.sender.process.kill()
        return self.finish()

    def abort(self) -> None:
        """Ends every process of the copy, waits for them and its threads, and closes what
        it opened; what tar wrote stays as it is."""
        for process in (self.sender.process, self.decompressing, self.receiver):
            if process is not None and process.poll() is None:
                process.kill()
        for process in (self.decompressing, self.receiver):
            if process is not None:
                process.wait()
        if self.relaying is not None:
            self.relaying.join()
        self._close()

    def _close(self) -> None:
        self.sender.discard()  # waits for it and its feeder, closes its pipe and stderr
        if self.receiver_err is not None:
            self.receiver_err.close()


def _wait_any(processes: Iterable[subprocess.Popen], timeout: float) -> None:
    """Returns once one of ``processes`` (not yet waited for) has ended, or after ``timeout``
    seconds: a pidfd of each (Linux) becomes readable when it ends. Without pidfds it looks
    every 20 ms."""
    fds: list[int] = []
    try:
        for process in processes:
            fds.append(os.pidfd_open(process.pid))
        select.select(fds, [], [], timeout)
    except (AttributeError, OSError):
        time.sleep(min(timeout, 0.02))
    finally:
        for fd in fds:
            os.close(fd)


class Sender:
    """The source's sender (tar_command) started before its stream is read, so that its
    start (an SSH session, the agent, the codec's choice) is not paid between two streams:
    copy_batches starts the next batch's sender while a batch streams and gives it its
    paths (``feed``), so it reads the first files and its stream fills the pipes and SSH's
    window until its ContentCopy reads it; a seed's first sender starts while the share is
    walked and gets its paths when triage knows them. Its stderr goes to a file of its own
    (the skipped paths' records and the sender's messages). A context manager: leaving it
    ends what no ContentCopy took (discard)."""

    def __init__(self, source, codecs: list[str] | None):
        self.feeder: threading.Thread | None = None
        self.err = tempfile.TemporaryFile()  # noqa: SIM115  (the Sender's: closed by discard or __exit__)
        try:
            self.process, self.stream_out = _start_sender(source, codecs, self.err)
        except BaseException:
            self.err.close()
            raise

    def feed(self, paths: list[bytes], kinds: list[int] | None = None) -> None:
        """Gives the sender its paths (``kinds`` as the listing saw them, files by default)
        from a thread: it starts sending before it has read all of them, and a list longer
        than a pipe buffer would otherwise block both sides."""
        request = share_send.request(paths, kinds or [share_tree.FILE] * len(paths))
        self.feeder = threading.Thread(target=_feed, args=(self.process.stdin, request), daemon=True,
                                       name="umzug-feed")
        self.feeder.start()

    def take_stream(self) -> int:
        """The reading end of the sender's stream, now the caller's to close."""
        stream_out, self.stream_out = self.stream_out, -1
        return stream_out

    def discard(self) -> None:
        """Ends a sender whose stream nobody read: its SSH session is closed, what it sent
        ahead is dropped."""
        if self.process.poll() is None:
            self.process.kill()
        self.process.wait()
        if self.feeder is not None:
            self.feeder.join()  # its reader is gone: the feeder ends and closes the pipe
        else:
            with contextlib.suppress(OSError):
                self.process.stdin.close()
        if self.stream_out >= 0:
            os.close(self.stream_out)
            self.stream_out = -1
        self.err.close()

    def __enter__(self) -> Sender:
        return self

    def __exit__(self, *exc) -> None:
        if self.stream_out >= 0 or exc[0] is not None:
            self.discard()
        else:
            self.err.close()


def _start_sender(source, codecs: list[str] | None, sender_err) -> tuple[subprocess.Popen, int]:
    """The source's sender writing into a pipe of its own; returns it and the pipe's
    reading end (the caller's to close)."""
    stream_out, stream_in = os.pipe()
    with contextlib.suppress(OSError, AttributeError):
        fcntl.fcntl(stream_in, fcntl.F_SETPIPE_SZ, 1 << 20)  # 1 MiB, as tar's records
    try:
        sender = subprocess.Popen(source.tar_command(codecs), stdin=subprocess.PIPE, stdout=stream_in,
                                  stderr=sender_err)
    except BaseException:
        os.close(stream_out)
        raise
    finally:
        os.close(stream_in)  # the sender's own now: its end is the stream's end
    return sender, stream_out


def _codec_of(sender: subprocess.Popen, stream_out: int, codecs: list[str] | None, sender_err, count: int) -> str:
    """The codec the sender's first line names (share_wire.NONE for an uncompressed stream,
    which has no such line). A sender that failed before it wrote one is stopped and its
    message raised."""
    if codecs is None:
        return share_wire.NONE
    try:
        codec = share_wire.read_header(stream_out)
    except ValueError as err:
        sender.stdin.close()
        try:
            sender.wait(timeout=10)
        except subprocess.TimeoutExpired:
            sender.kill()
            sender.wait()
        sender_err.seek(0)
        lines = [line for line in skipped_from(sender_err.read())[1] if line.strip()]
        raise SyncError(f"copying {count} paths failed: {lines[-1] if lines else err}") from None
    if codec != share_wire.NONE and codec not in codecs:
        raise SyncError(f"copying {count} paths failed: the source chose {codec}, which was not offered")
    return codec


def _decompress(stream_out: int, codec: str, receiver_err) -> tuple[subprocess.Popen | None, int]:
    """The codec's decompressor reading ``stream_out``; returns it and the descriptor tar
    reads (``stream_out`` itself for an uncompressed stream). Closes ``stream_out`` once the
    decompressor has it; the caller closes the descriptor it gets."""
    command = share_wire.decompressor(codec)
    if command is None:
        return None, stream_out
    process = subprocess.Popen(command, stdin=stream_out, stdout=subprocess.PIPE, stderr=receiver_err)
    os.close(stream_out)
    tar_in = os.dup(process.stdout.fileno())
    process.stdout.close()
    return process, tar_in


def _throttle(stream_out: int, limiter) -> tuple[threading.Thread, int]:
    """Puts the limiter between the sender's stream and what reads it here (the
    decompressor, or tar): that reads from a pipe of its own that a relay fills at the
    limit's pace, so ssh, and the sender on the Kommune's side behind it, wait for the RZ
    side; nothing changes there. ``limiter``: the pass's Limiter, or a _Wire that counts
    the bytes before it charges them. The relay owns ``stream_out`` and the pipe's writing
    end; the caller closes the reading end it gets once its reader has it."""
    relay_out, relay_in = os.pipe()
    with contextlib.suppress(OSError, AttributeError):
        fcntl.fcntl(relay_in, fcntl.F_SETPIPE_SZ, 1 << 20)
    relaying = threading.Thread(target=share_rate.relay, args=(stream_out, relay_in, limiter), daemon=True,
                                name="umzug-rate")
    relaying.start()
    return relaying, relay_out


def skipped_from(stderr: bytes) -> tuple[dict[bytes, Reason], list[str]]:
    """(skipped path -> reason, the other lines) of the sender's stderr: the agent cannot
    import the findings catalog, so it sends each reason as a code with its data
    (share_send.SKIPPED), and here it becomes the catalog's Reason, which a German report
    words in German."""
    records, other = share_send.skipped_from(stderr)
    return {path: _reason(record) for path, record in records.items()}, other


def _reason(record: Mapping) -> Reason:
    args = {name: _reason(value) if isinstance(value, Mapping) else value
            for name, value in record.items() if name != "code"}
    return Reason(record["code"], **args)


BATCH_FILES = 10_000
BATCH_BYTES = 256 << 20


def copy_batches(source, target_root: bytes, paths: list[bytes], records: list[bytes], copy: list[int],
                 progress: Progress, done: queue.SimpleQueue, first: Sender | None = None) -> dict[bytes, Reason]:
    """``copy_content`` in batches, each put in ``done`` when tar has written it, so the
    metadata of one batch is applied while the next is copied. All names of a hard-linked
    file go in the first batch: tar links the names it is given in one stream. Returns the
    paths the sender skipped (see copy_content); they are left out of what goes in
    ``done``. Each batch's sender starts while the one before streams (Sender); ``first``:
    one started for the first batch. Once a batch's sender has ended (all of its stream is
    on this side), the next batch's relay, decompressor and tar start while this batch's
    drain (ContentCopy), so the link does not wait for a batch's tar to end; the batches
    still go in ``done`` in order, each after its tar ended. When the limiter stops the pass
    (``Paused``), what tar finished of the batch (and of the next one, where it had started)
    goes in ``done``, the file it was writing is removed, and no further batch starts. When
    a batch fails, the next one's copy is ended and what it half wrote removed."""
    batches = _batches(records, copy)
    if not batches:
        if first is not None:
            first.discard()
        done.put(None)
        return {}
    skipped: dict[bytes, Reason] = {}
    upcoming = first
    receiving: ContentCopy | None = None  # the batch being received
    following: ContentCopy | None = None  # the next one, started while ``receiving`` drains

    def begin(number: int) -> ContentCopy:
        """Batch ``number``'s copy started; the sender of the batch after it started and fed,
        so it reads ahead (its stream follows this one's without a pause)."""
        nonlocal upcoming
        batch = batches[number]
        sender, upcoming = upcoming, None
        size = sum(share_tree.WIRE_ENTRY.unpack_from(records[i])[1] for i in batch
                   if records[i][0] == share_tree.FILE)
        started = ContentCopy(source, target_root, [paths[i] for i in batch], progress, size,
                              [records[i][0] for i in batch], sender)
        try:
            if number + 1 < len(batches):
                upcoming = Sender(source, progress.stream.codecs)
                upcoming.feed([paths[i] for i in batches[number + 1]], [records[i][0] for i in batches[number + 1]])
            started.start()
        except BaseException:
            started.abort()
            raise
        return started

    def put(number: int, copied: ContentCopy, these: dict[bytes, Reason] | None) -> None:
        """Batch ``number`` in ``done``: all but what the sender skipped, or (``these`` None,
        its stream was cut) what tar finished of it."""
        batch = batches[number]
        if these is None:
            done.put(_finished_of_cut_batch(target_root, paths, records, batch, copied.begun))
        else:
            skipped.update(these)
            done.put([i for i in batch if paths[i] not in these])

    try:
        receiving = begin(0)
        for number in range(len(batches)):
            following, failed_to_start = None, None
            if receiving.wait_sent() and number + 1 < len(batches) and progress.limiter.stop is None:
                try:
                    following = begin(number + 1)
                except SyncError as err:
                    failed_to_start = err  # raised once this batch is in ``done``
            try:
                these = receiving.finish()
            except share_rate.Paused:
                put(number, receiving, None)
                if following is not None:
                    try:
                        put(number + 1, following, following.cut())
                    except share_rate.Paused:
                        put(number + 1, following, None)
                break
            except BaseException:
                if following is not None:
                    following.abort()
                    with contextlib.suppress(OSError, SyncError):  # the first failure is the one to tell
                        _finished_of_cut_batch(target_root, paths, records, batches[number + 1], following.begun)
                raise
            put(number, receiving, these)
            if failed_to_start is not None:
                raise failed_to_start
            if following is None and number + 1 < len(batches):
                if progress.limiter.stop is not None:
                    break  # no transfer allowed any more: the next batch would be cut at once
                following = begin(number + 1)
            receiving = following
    finally:
        for copying in (receiving, following):
            if copying is not None:
                copying.abort()  # nothing where it ended (finish, cut)
        if upcoming is not None:
            upcoming.discard()
        done.put(None)
    return skipped


def _batches(records: list[bytes], copy: list[int]) -> list[list[int]]:
    """``copy`` in batches of BATCH_FILES or BATCH_BYTES, the names of hard-linked files all
    in the first."""
    linked = [i for i in copy if records[i][0] == share_tree.FILE
              and records[i][share_tree.NLINK_AT:share_tree.SOURCE_KEY] != share_tree.ONE_LINK]
    batches, batch, batch_bytes = [], list(linked), 0
    single = set(linked)
    for i in copy:
        if i in single:
            continue
        batch.append(i)
        batch_bytes += share_tree.WIRE_ENTRY.unpack_from(records[i])[1] if records[i][0] == share_tree.FILE else 0
        if len(batch) >= BATCH_FILES or batch_bytes >= BATCH_BYTES:
            batches.append(batch)
            batch, batch_bytes = [], 0
    if batch:
        batches.append(batch)  # never an empty batch last: its sender would start in vain
    return batches


def _finished_of_cut_batch(target_root: bytes, paths: list[bytes], records: list[bytes], batch: list[int],
                           begun: int) -> list[int]:
    """The paths of a batch whose stream was cut off that tar wrote completely: a file of
    the source's size and mtime (tar sets the mtime once the content is written), a symlink.
    Whatever else of the batch tar wrote (the file it was in the middle of, the placeholder
    of a symlink it had not made yet) is removed, so no half-written file stays under a real
    name; what tar had not reached is left as it was. The next pass copies all but these."""
    finished = []
    for i in batch:
        full = target_root + b"/" + paths[i]
        try:
            there = os.lstat(full)
        except FileNotFoundError:
            continue
        wanted = records[i][0]
        if wanted == share_tree.FILE:
            complete = S_ISREG(there.st_mode) and records[i][:share_tree.TARGET_KEY] == share_tree.target_key(
                wanted, there.st_size, there.st_mtime_ns)
        else:
            complete = (wanted == share_tree.SYMLINK) == S_ISLNK(there.st_mode) and not S_ISDIR(there.st_mode)
        if complete:
            finished.append(i)
        elif there.st_ctime_ns >= begun - 1_000_000_000 and not S_ISDIR(there.st_mode):
            # Written by this batch's tar (a second's margin: the file system's clock is coarser).
            check_inside(target_root, full, "remove")
            os.unlink(full)
    return finished


def _bytes_read(pid: int) -> int:
    """What a process has read so far (Linux /proc; 0 where that is not there)."""
    try:
        with open(f"/proc/{pid}/io", encoding="ascii") as handle:
            for line in handle:
                if line.startswith("rchar:"):
                    return int(line.split()[1])
    except OSError:
        pass
    return 0


def _feed(pipe, data: bytes) -> None:
    try:
        pipe.write(data)
    except BrokenPipeError:
        pass  # tar died; its exit status and message say why
    finally:
        with contextlib.suppress(BrokenPipeError):
            pipe.close()


def apply_metadata(root: bytes, node: Node, translate: Translator, fresh: bool = False) -> None:
    """Owner, mode, ACLs and xattrs of ``node`` on the target path, translated. ``fresh``:
    tar has just written the file, with the source's mode and the xattrs that travel in tar
    (share_tree.travels_in_tar) and nothing else, so only owner and ACLs remain to be set."""
    full = root + b"/" + node.path if node.path else root
    os.chown(full, translate.uid(node.uid, node.path), translate.gid(node.gid, node.path), follow_symlinks=False)
    if node.kind == "symlink":
        return
    if fresh:
        if node.mode & 0o6000:
            os.chmod(full, node.mode)  # chown cleared the set-id bits tar had restored
        if posix_acl.ACCESS not in node.xattrs:
            # The target folder's default ACL may have given the new file an access ACL the
            # source file does not have (it was moved in there, not created there).
            try:
                os.removexattr(full, posix_acl.ACCESS)
            except OSError:
                pass  # none there: the usual case
            else:
                os.chmod(full, node.mode)
        for name, value in _acl_writes(node, translate):
            os.setxattr(full, name, value)
        return
    wanted = _translated(node, translate, with_user=True)
    # chown cleared set-id bits; and metadata-only changes may be just the mode.
    os.chmod(full, node.mode)
    present = set(share_tree.read_xattrs(full))
    for name in present - set(node.xattrs):
        os.removexattr(full, name)
    for name, value in wanted:
        os.setxattr(full, name, value)


def _translated(node: Node, translate: Translator, with_user: bool) -> list[tuple[str, bytes]]:
    wanted = []
    for name, value in node.xattrs.items():
        if name.startswith("system.posix_acl_"):
            wanted.append((name, translate.posix_acl(value, node.path)))
        elif name == NTACL:
            wanted.append((name, translate.ntacl(value, node.path)))
        elif with_user:
            wanted.append((name, value))
    # POSIX ACLs first (setting one rewrites the group bits), the Windows ACL last.
    return sorted(wanted, key=lambda item: (item[0] == NTACL, not item[0].startswith("system."), item[0]))


def _acl_writes(node: Node, translate: Translator) -> list[tuple[str, bytes]]:
    """The translated ACL xattrs of a freshly copied file. Files share a few ACLs, so the
    result is kept per distinct set -- unless something in it could not be mapped: then
    it is worked out per path, so that every path is reported."""
    key = tuple(item for item in node.xattrs.items() if not share_tree.travels_in_tar(item[0]))
    writes = translate._writes.get(key)
    if writes is None:
        before = (len(translate.unreadable_ntacls), sum(map(len, translate.unmapped_sids.values())),
                  sum(map(len, translate.unmapped_ids.values())))
        writes = _translated(node, translate, with_user=False)
        after = (len(translate.unreadable_ntacls), sum(map(len, translate.unmapped_sids.values())),
                 sum(map(len, translate.unmapped_ids.values())))
        if after == before:
            translate._writes[key] = writes
    return writes


def set_mtime(root: bytes, node: Node | share_tree.Entry) -> None:
    full = os.path.join(root, node.path) if node.path else root
    os.utime(full, ns=(node.mtime_ns, node.mtime_ns), follow_symlinks=False)


def check_inside(root: bytes, full: bytes, doing: str = "delete") -> None:
    """Fails unless ``full``'s folder, symlinks resolved, is ``root`` or below it: the one
    check of both sync engines before they write or remove a target path."""
    real_root = os.path.realpath(root)
    if os.path.commonpath([os.path.realpath(os.path.dirname(full)), real_root]) != real_root:
        raise SyncError(f"refusing to {doing} {os.fsdecode(full)}: it is not inside {os.fsdecode(root)}")


def remove(root: bytes, node: Node) -> None:
    full = os.path.join(root, node.path)
    check_inside(root, full)
    if node.kind == "dir":
        os.rmdir(full)
    else:
        os.unlink(full)


# --- the state of a share's passes -----------------------------------------------------------

LOCK_SUFFIX = ".lock"
# Which paths a pass copies again although type, size and mtime match (see run_pass).
COMPARE_CONTENT = ("none", "flagged", "all")


def save_state(path: str, state: Mapping[bytes, tuple]) -> None:
    write_atomic(path, share_tree.dump_state(state), mode=0o600)


def flag_for_next_pass(state_path: str, paths: Iterable[bytes]) -> str | None:
    """Records ``paths`` beside the state for the next pass to copy again (share_tree's
    FLAGGED_SUFFIX), replacing what was recorded before; none removes the record. Call it
    holding ``state_lock``. Returns the record's path, or None when there is none."""
    record = share_tree.flagged_path(state_path)
    data = share_tree.dump_paths(paths)
    if not data:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(record)
        return None
    write_atomic(record, data, mode=0o600)
    return record


@contextlib.contextmanager
def state_lock(state_path: str, what: str) -> Iterator[None]:
    """Holds the share's lock while ``what`` (a pass, or verify flagging paths for the next
    pass) works on the state at ``state_path``: an flock on ``<state>.lock``, whose content
    names the holder (host, PID, since when). A second one fails at once with a sentence
    naming the holder. The kernel drops an flock when its holder ends, however it ends
    (SIGKILL included), so there is no stale lock to clean up; the file stays, and its
    content is only information."""
    path = state_path + LOCK_SUFFIX
    os.makedirs(os.path.dirname(path) or ".", mode=0o755, exist_ok=True)
    fd = os.open(path, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o600)
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            raise SyncError(f"the share state {state_path} is in use by {_lock_holder(fd)} (lock {path}); "
                            f"this {what} did not start: run it again when that one has ended") from None
        holder = {"what": what, "pid": os.getpid(), "host": socket.gethostname(),
                  "since": datetime.now(UTC).isoformat(timespec="seconds")}
        os.ftruncate(fd, 0)
        os.pwrite(fd, json.dumps(holder).encode() + b"\n", 0)
        yield
    finally:
        os.close(fd)  # releases the lock


def _lock_holder(fd: int) -> str:
    for _dummy in range(20):  # the holder writes its name right after it took the lock
        try:
            holder = json.loads(os.pread(fd, 4096, 0))
            return f"the {holder['what']} of PID {holder['pid']} on {holder['host']} since {holder['since']}"
        except (ValueError, KeyError, TypeError):
            time.sleep(0.05)
    return "another process (it has not written its name into the lock file)"


@dataclass
class PassResult:
    work_list: WorkList
    translate: Translator
    seconds: float
    # Paths copied (or, in check mode, to be copied) again only because verification
    # flagged them or their content hash differed (compare_content).
    recopied: list[bytes] = field(default_factory=list)
    # Paths left out because the target cannot take them (share_names.beyond_path_max).
    too_long: list[bytes] = field(default_factory=list)
    # Paths the sender skipped, with the reason: gone, a symlink or of another type since
    # the listing (never followed). Not in the new state: the next pass tries them again.
    changed_during_copy: dict[bytes, Reason] = field(default_factory=dict)
    # Target paths the source no longer has, which the pass did not delete (delete off,
    # the role's shares_safe_mode): still on the target, reported instead.
    not_deleted: list[bytes] = field(default_factory=list)
    # Why the pass stopped before it had copied all (no transfer allowed any more), or None.
    stop: share_rate.Stop | None = None
    # Paths the pass was to copy and did not, because it stopped: not in the new state.
    unfinished: list[bytes] = field(default_factory=list)
    # The share's files and bytes, and how many of them the target now holds as the source
    # has them (seed_progress); None when the pass did not list the share.
    progress: dict | None = None
    # The content's stream: codec, raw bytes and bytes on the wire (in check mode the codec
    # the source would choose, and no bytes).
    stream: Stream = field(default_factory=Stream)

    @property
    def complete(self) -> bool:
        return self.stop is None


def run_pass(source, target_root: bytes, state_path: str, translate_sid: Callable[[str], str | None],
             target_id: Callable[[str, str], int | None], *, check: bool, delete: bool = True,
             progress_path: str | None = None, compare_content: str = "flagged",
             content_differs: Callable[[], Iterable[bytes]] | None = None, what: str = "pass",
             limiter: share_rate.Limiter | None = None, compress: bool = False) -> PassResult:
    """One pass (module docstring). ``compare_content`` decides which paths are copied
    again although type, size and mtime match -- a content change by a tool that restores
    the mtime, a change on the target behind the pass's back: ``none``; ``flagged``, the
    paths verification recorded beside the state (flag_for_next_pass); ``all``, those and
    every file ``content_differs`` (a comparison of content hashes of both sides) names.
    A real pass holds ``state_lock`` from reading the state to writing it; a pass in check
    mode takes no lock (it must not keep a real pass from starting) and writes nothing.
    ``compress``: the content's stream is compressed on the wire (share_wire); in check mode
    the source is asked which codec it would choose."""
    if compare_content not in COMPARE_CONTENT:
        raise ValueError(f"compare_content must be one of {', '.join(COMPARE_CONTENT)}, not {compare_content!r}")
    if compare_content == "all" and content_differs is None:
        raise ValueError("compare_content 'all' needs content_differs")
    limiter = limiter or share_rate.Limiter(None)
    with contextlib.nullcontext() if check else state_lock(state_path, what):
        if progress_path and not check:
            with contextlib.suppress(FileNotFoundError):
                os.unlink(progress_path)  # a previous pass's figures must not show as this one's
        if not check:
            try:
                limiter.check()
            except share_rate.Paused as paused:  # no transfer allowed now: nothing is listed or copied
                return PassResult(WorkList(), Translator(translate_sid, {}, {}, target_id), 0.0, stop=paused.stop)
        with source.shared():
            return _run_pass(source, target_root, state_path, translate_sid, target_id, check=check, delete=delete,
                             progress_path=progress_path, compare_content=compare_content,
                             content_differs=content_differs, limiter=limiter,
                             stream=Stream(compress, share_wire.offered() if compress else []))


def _run_pass(source, target_root: bytes, state_path: str, translate_sid: Callable[[str], str | None],
              target_id: Callable[[str, str], int | None], *, check: bool, delete: bool,
              progress_path: str | None, compare_content: str,
              content_differs: Callable[[], Iterable[bytes]] | None, limiter: share_rate.Limiter,
              stream: Stream) -> PassResult:
    """The steps of a pass: what the last one left, the walks of both sides, triage, the
    copy in the background while the metadata is read and the owners of what it wrote are
    set; then the dry run's translation, or the rest of the metadata and the new state."""
    started = time.monotonic()
    last = _last_pass(state_path, compare_content, content_differs)
    copying, copied = None, queue.SimpleQueue()
    # A first pass (no state: a seed) will copy: its stream's sender starts while the share
    # is walked. A later pass starts one only when the walk finds content to copy.
    ahead = Sender(source, stream.codecs) if not check and not last.loaded else None
    with ThreadPoolExecutor(max_workers=2) as pool, ahead or contextlib.nullcontext() as _ahead:
        # Source and target are walked at the same time, each by a process of its own.
        scanning = pool.submit(_target_listing, target_root)
        with source.session() as listing:
            scan = _scan(listing, scanning, target_root)
            triage = _triage(scan, last.state)
            if not check:
                _prepare_target(target_root, scan, triage)
                # What to copy is known from the listing: tar runs while the xattrs come in.
                copying = _start_copy(pool, source, target_root, scan, triage.copy, progress_path, copied,
                                      limiter, stream, ahead)
            try:
                translate, nodes, work = _read_nodes(listing, scan, triage, last.state, translate_sid, target_id)
                written = _owners_as_copied(target_root, scan, work, translate, copied) if copying is not None else {}
            finally:
                changed = copying.result() if copying is not None else {}
    not_deleted = [] if delete else sorted(n.path for n in work.delete)
    if not delete:
        work.delete = []
    recopied = sorted({n.path for n in (*work.mkdir, *work.copy)} & last.recopy)
    # What is still to copy: all a dry run found; after a pass the limiter stopped, the rest.
    left = [i for i in triage.copy if scan.paths[i] not in written]
    progress = seed_progress(scan.records, left)
    if check:
        _dry_translate_work_list(work, translate)
        if stream.compress and triage.copy:
            stream.codec = probe_codec(source, stream.offered)
            stream.raw_bytes = stream.wire_bytes = None
        return PassResult(work, translate, time.monotonic() - started, recopied, scan.too_long,
                          not_deleted=not_deleted, progress=progress, stream=stream)

    unfinished = sorted({scan.paths[i] for i in left} - changed.keys())
    if not work.is_empty():
        _apply(target_root, work, scan.paths, scan.records, translate)
    _record_pass(state_path, last, _new_state(last, scan, triage, nodes, written, changed.keys() | set(unfinished)))
    return PassResult(work, translate, time.monotonic() - started, recopied, scan.too_long, changed,
                      not_deleted=not_deleted, stop=limiter.stop if unfinished else None, unfinished=unfinished,
                      progress=progress, stream=stream)


def seed_progress(records: list[bytes], left: Iterable[int]) -> dict:
    """The share's files (every name of one) and their bytes, as listed, and how many of them
    the target holds: all but those still to copy (``left``, positions in the listing)."""
    def size(i: int) -> int:
        return share_tree.WIRE_ENTRY.unpack_from(records[i])[1]

    files = [i for i, record in enumerate(records) if record[0] == share_tree.FILE]
    missing = [i for i in left if records[i][0] == share_tree.FILE]
    total, missing_bytes = sum(map(size, files)), sum(map(size, missing))
    return {"files": len(files) - len(missing), "files_total": len(files),
            "bytes": total - missing_bytes, "bytes_total": total}


def probe_codec(source, offered: list[str]) -> str:
    """The codec the source's sender would choose among ``offered`` (check mode: nothing is
    sent, the source only looks for its programs)."""
    try:
        done = subprocess.run(source.codec_command(offered), capture_output=True, timeout=120, check=False)
    except subprocess.TimeoutExpired:
        raise SyncError("asking the source which codec it has took longer than 120 s") from None
    codec = done.stdout.decode(errors="replace").strip()
    if done.returncode != 0 or codec not in (*share_wire.CODECS, share_wire.NONE):
        detail = done.stderr.decode(errors="replace").strip().splitlines()
        raise SyncError(f"asking the source which codec it has failed: {detail[-1] if detail else codec!r}")
    return codec


@dataclass
class _LastPass:
    """What the last pass left: the state as read, and the state this pass works from,
    without the paths it copies again whatever the state says."""
    loaded: dict[bytes, tuple]
    state: dict[bytes, tuple]
    flagged: set[bytes]
    recopy: set[bytes]


def _last_pass(state_path: str, compare_content: str,
               content_differs: Callable[[], Iterable[bytes]] | None) -> _LastPass:
    try:
        loaded = share_tree.load_state(state_path)
    except share_tree.StateError as err:
        raise SyncError(str(err)) from None
    flagged = share_tree.load_flagged(state_path) if compare_content != "none" else set()
    recopy = flagged | (set(content_differs()) if compare_content == "all" else set())
    # Forgetting what the last pass left there makes triage read these paths and
    # content_to_copy copy them, like new ones (all names of a hard-linked file together).
    state = {p: last for p, last in loaded.items() if p not in recopy} if recopy else loaded
    return _LastPass(loaded, state, flagged, recopy)


@dataclass
class _Scan:
    """Both sides as the walks found them: the source's listing (paths, wire records,
    symlink targets, when the walk began on the source's clock) and the target's (path
    to target key)."""
    paths: list[bytes]
    records: list[bytes]
    links: list[bytes]
    started: int
    too_long: list[bytes]
    target: dict[bytes, bytes]


def _scan(listing: _Listing, scanning: Future, target_root: bytes) -> _Scan:
    # A path the target cannot take (PATH_MAX) is left out of the pass and reported;
    # the rest of the share moves.
    paths, records, links, started = listing.entries(
        keep=lambda path: not share_names.beyond_path_max(target_root + b"/" + path))
    return _Scan(paths, records, links, started, listing.left_out, scanning.result())


@dataclass
class _Triage:
    """Indices into the listing: paths the state vouches for, paths whose metadata is
    read, content to copy, folders to make; and target paths whose type changed."""
    unchanged: list[int]
    to_read: list[int]
    copy: list[int]
    mkdir: list[int]
    retyped: list[bytes]


def _triage(scan: _Scan, state: Mapping[bytes, tuple]) -> _Triage:
    unchanged, to_read = share_tree.triage(scan.paths, scan.records, scan.target, state)
    copy, mkdir = share_tree.content_to_copy(scan.paths, scan.records, scan.links, to_read, scan.target, state)
    retyped = share_tree.replaced(scan.paths, scan.records, [*mkdir, *copy], scan.target)
    return _Triage(unchanged, to_read, copy, mkdir, retyped)


def _prepare_target(target_root: bytes, scan: _Scan, triage: _Triage) -> None:
    """Clears what changed its type (the scan's target listing then lacks it) and makes the
    new folders, before tar writes into them."""
    if triage.retyped:
        scan.target = _clear_retyped(target_root, scan.target, triage.retyped)
    for i in triage.mkdir:
        os.makedirs(os.path.join(target_root, scan.paths[i]) if scan.paths[i] else target_root, exist_ok=True)


def _start_copy(pool: ThreadPoolExecutor, source, target_root: bytes, scan: _Scan, copy: list[int],
                progress_path: str | None, copied: queue.SimpleQueue,
                limiter: share_rate.Limiter, stream: Stream, ahead: Sender | None = None) -> Future | None:
    """copy_batches in the background; None when there is no content to copy. ``ahead``:
    a sender started while the share was walked, for the first batch (else discarded)."""
    if not copy:
        if ahead is not None:
            ahead.discard()
        return None
    total = sum(share_tree.WIRE_ENTRY.unpack_from(scan.records[i])[1] for i in copy
                if scan.records[i][0] == share_tree.FILE)
    progress = Progress(progress_path, len(copy), total, limiter=limiter, stream=stream)
    return pool.submit(copy_batches, source, target_root, scan.paths, scan.records, copy, progress, copied, ahead)


def _read_nodes(listing: _Listing, scan: _Scan, triage: _Triage, state: Mapping[bytes, tuple],
                translate_sid: Callable[[str], str | None],
                target_id: Callable[[str, str], int | None]) -> tuple[Translator, list[Node], WorkList]:
    """The full metadata of the paths triage could not vouch for, the translator for the
    ids the source named, and the work list of the pass."""
    xattrs, uid_sids, gid_sids = listing.read(triage.to_read)
    translate = Translator(translate_sid, uid_sids, gid_sids, target_id)
    nodes = [share_tree.node_of(share_tree.entry_from_wire(scan.paths[i], scan.records[i], scan.links[i]), x)
             for i, x in zip(triage.to_read, xattrs, strict=True)]
    work = share_tree.work_list(nodes, scan.target, state, copy=[scan.paths[i] for i in triage.copy],
                                mkdir=[scan.paths[i] for i in triage.mkdir], listed=scan.paths,
                                unchanged=len(triage.unchanged))
    return translate, nodes, work


def _owners_as_copied(target_root: bytes, scan: _Scan, work: WorkList, translate: Translator,
                      copied: queue.SimpleQueue) -> dict[bytes, bytes]:
    """Owners and ACLs of each batch as soon as tar has written it, and what the state
    keeps of it (chown and xattrs change neither size nor mtime): path to target key."""
    written: dict[bytes, bytes] = {}
    by_path = {n.path: n for n in work.copy}
    while (batch := copied.get()) is not None:
        for i in batch:
            node = by_path[scan.paths[i]]
            apply_metadata(target_root, node, translate, fresh=True)
            after = os.lstat(target_root + b"/" + node.path)
            written[node.path] = share_tree.target_key(scan.records[i][0], after.st_size, after.st_mtime_ns)
    return written


def _dry_translate_work_list(work: WorkList, translate: Translator) -> None:
    """Translate what would be written, so unmapped SIDs show up in the dry run too."""
    for node in (*work.mkdir, *work.copy, *work.meta):
        _dry_translate(node, translate)


def _new_state(last: _LastPass, scan: _Scan, triage: _Triage, nodes: list[Node], written: Mapping[bytes, bytes],
               changed: Collection[bytes]) -> dict[bytes, tuple]:
    """What the next pass may trust: the unchanged paths as they were, every path read as
    it now is on the target; not what the sender skipped or a stopped pass did not copy,
    nor what is neither file, folder nor symlink."""
    new_state = {scan.paths[i]: last.state[scan.paths[i]] for i in triage.unchanged}
    for node in nodes:
        if node.kind == "other" or node.path in changed:
            continue
        there = written.get(node.path) or (share_tree.DIR_KEY if node.kind == "dir" else scan.target[node.path])
        new_state[node.path] = share_tree.state_entry(node, there, scan.started)
    return new_state


def _record_pass(state_path: str, last: _LastPass, new_state: dict[bytes, tuple]) -> None:
    if new_state != last.loaded:  # an unchanged pass writes nothing at all
        save_state(state_path, new_state)
    if last.flagged:
        flag_for_next_pass(state_path, ())  # copied again: done


def _clear_retyped(target_root: bytes, target: dict[bytes, bytes], retyped: list[bytes]) -> dict[bytes, bytes]:
    """Removes the target paths whose type changed at the source (a folder with all it
    holds), inside the target only, and returns the target listing without them."""
    for path in retyped:
        kind = share_tree.KIND_NAMES[target[path][0]]
        if kind == "dir":
            check_inside(target_root, os.path.join(target_root, path))
            shutil.rmtree(os.path.join(target_root, path))  # never follows a symlink out
        else:
            remove(target_root, Node(path, kind, 0, 0, 0, 0, 0))
    return {p: k for p, k in target.items()
            if not any(p == r or p.startswith(r + b"/") for r in retyped)}


def _apply(target_root: bytes, work: WorkList, paths: list[bytes], records: list[bytes],
           translate: Translator) -> None:
    """Everything after the content and its owners and ACLs: the metadata of folders and
    of paths whose content stayed, deletions, folder mtimes."""
    for node in (*work.mkdir, *work.meta):
        apply_metadata(target_root, node, translate)
    for node in work.delete:
        remove(target_root, node)
    # tar restored the files' mtimes; a folder got a new one when something inside it came
    # or went, so those are set back to the source's, last and deepest first.
    touched = {n.path for n in (*work.mkdir, *work.meta) if n.kind == "dir"}
    for node in (*work.mkdir, *work.copy, *work.delete):
        if node.path:
            touched.add(os.path.dirname(node.path))
    folders = [share_tree.entry_from_wire(p, r, None) for p, r in zip(paths, records, strict=True)
               if p in touched and r[0] == share_tree.DIR]
    for folder in sorted(folders, key=lambda f: len(f.path), reverse=True):
        set_mtime(target_root, folder)


def _dry_translate(node: Node, translate: Translator) -> None:
    translate.uid(node.uid, node.path)
    translate.gid(node.gid, node.path)
    for name, value in node.xattrs.items():
        if name.startswith("system.posix_acl_"):
            translate.posix_acl(value, node.path)
        elif name == NTACL:
            translate.ntacl(value, node.path)

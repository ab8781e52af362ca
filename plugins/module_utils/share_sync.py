# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""One sync pass of a share, run on the target file server (the RZ side pulls).

Transport: the target asks the source for a listing (``share_tree`` run there by
``python3 -c`` over SSH, nothing installed on the Kommune's server) and then for the
content of what changed, as a GNU tar stream over the same SSH (C speed, hard links and
sparse files kept). Only content, modes, mtimes and user.* xattrs travel in tar; owners,
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
import json
import os
import shlex
import subprocess
import threading
import time
import zlib
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field

from ansible_collections.kommunal.umzug.plugins.module_utils import ntacl, posix_acl, share_tree
from ansible_collections.kommunal.umzug.plugins.module_utils.share_tree import Node, Plan

NTACL = "security.NTACL"
# --null must come before -T: GNU tar applies it to the -T options that follow it.
TAR_COMMON = ["--null", "--no-recursion", "--numeric-owner", "--sparse",
              "--xattrs", "--xattrs-include=user.*", "--no-acls", "--no-selinux"]


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

class LocalSource:
    """A source tree on this host: used by tests, and by a same-host move."""

    def __init__(self, root: bytes, uid_sids: Mapping[int, str] | None = None,
                 gid_sids: Mapping[int, str] | None = None):
        self.root = root
        self.uid_sids, self.gid_sids = dict(uid_sids or {}), dict(gid_sids or {})

    def listing(self) -> tuple[list[Node], dict[int, str], dict[int, str]]:
        return list(share_tree.scan(self.root)), self.uid_sids, self.gid_sids

    def tar_command(self) -> list[str]:
        return ["tar", "-C", os.fsdecode(self.root), "-cf", "-", *TAR_COMMON, "-T", "-"]


class SshSource:
    """A source tree on the Kommune's file server, reached with the transfer key."""

    def __init__(self, host: str, root: bytes, user: str = "root", key: str | None = None,
                 ssh_options: Iterable[str] = ()):
        self.host, self.root, self.user, self.key = host, root, user, key
        self.options = list(ssh_options)

    def _ssh(self, remote: str) -> list[str]:
        command = ["ssh", "-o", "BatchMode=yes", "-o", "ServerAliveInterval=15", *self.options]
        if self.key:
            command += ["-i", self.key]
        return [*command, f"{self.user}@{self.host}", remote]

    def listing(self) -> tuple[list[Node], dict[int, str], dict[int, str]]:
        code = zlib.compress(agent_source().encode())
        remote = (f"python3 -c {shlex.quote(AGENT_BOOT)} {base64.b64encode(code).decode()} "
                  f"{shlex.quote(base64.b64encode(self.root).decode())}")
        proc = subprocess.run(self._ssh(remote), capture_output=True, check=False)
        if proc.returncode != 0:
            detail = proc.stderr.decode(errors="replace").strip().splitlines()
            raise SyncError(f"listing {os.fsdecode(self.root)} on {self.host} failed: "
                            f"{detail[-1] if detail else f'exit code {proc.returncode}'}")
        nodes, uid_sids, gid_sids = [], {}, {}
        for line in proc.stdout.splitlines():
            record = json.loads(line)
            if "ids" in record:
                uid_sids = {int(k): v for k, v in record["ids"]["uid"].items()}
                gid_sids = {int(k): v for k, v in record["ids"]["gid"].items()}
            else:
                nodes.append(Node.from_wire(record))
        return nodes, uid_sids, gid_sids

    def tar_command(self) -> list[str]:
        remote = shlex.join(["tar", "-C", os.fsdecode(self.root), "-cf", "-", *TAR_COMMON, "-T", "-"])
        return self._ssh(remote)


# The listing agent: share_tree's own source plus this main, run by ``python3 -c`` on the
# source, so the Kommune's server needs nothing but Python 3 and winbind.
AGENT_BOOT = "import base64,sys,zlib;exec(zlib.decompress(base64.b64decode(sys.argv[1])))"
AGENT_MAIN = r'''
def _sid(flag, number):
    out = subprocess.run(["wbinfo", flag, str(number)], capture_output=True, text=True)
    return out.stdout.strip() if out.returncode == 0 and out.stdout.startswith("S-1-") else None

def _agent(root):
    uids, gids = set(), set()
    for node in scan(root):
        uids.add(node.uid); gids.add(node.gid)
        for name in ("system.posix_acl_access", "system.posix_acl_default"):
            acl = node.xattrs.get(name)
            for offset in range(4, len(acl or b""), 8):
                tag, _, ident = struct.unpack_from("<HHI", acl, offset)
                (uids if tag == 0x02 else gids if tag == 0x08 else set()).add(ident)
        sys.stdout.write(json.dumps(node.to_wire()) + "\n")
    ids = {"uid": {u: _sid("--uid-to-sid", u) for u in sorted(uids)},
           "gid": {g: _sid("--gid-to-sid", g) for g in sorted(gids)}}
    ids = {k: {str(i): s for i, s in v.items() if s} for k, v in ids.items()}
    sys.stdout.write(json.dumps({"ids": ids}) + "\n")

import struct, subprocess, sys
_agent(base64.b64decode(sys.argv[2]))
'''


def agent_source() -> str:
    with open(share_tree.__file__, encoding="utf-8") as handle:
        tree = handle.read()
    # Module imports are not available on the source; the agent needs none beyond stdlib.
    tree = tree.replace("from __future__ import annotations\n", "")
    return "from __future__ import annotations\n" + tree + AGENT_MAIN


# --- one pass --------------------------------------------------------------------------------

@dataclass
class Progress:
    path: str | None
    total_files: int
    total_bytes: int
    started: float = field(default_factory=time.monotonic)
    files: int = 0
    bytes: int = 0
    _last: float = 0.0

    def update(self, files: int = 0, nbytes: int = 0, force: bool = False) -> None:
        self.files += files
        self.bytes += nbytes
        now = time.monotonic()
        if self.path and (force or now - self._last >= 1.0):
            self._last = now
            elapsed = max(now - self.started, 1e-6)
            rate = self.bytes / elapsed
            left = (self.total_bytes - self.bytes) / rate if rate > 0 else None
            tmp = f"{self.path}.tmp"
            with open(tmp, "w", encoding="utf-8") as handle:
                json.dump({"files": self.files, "files_total": self.total_files, "bytes": self.bytes,
                           "bytes_total": self.total_bytes, "rate_bytes_per_s": round(rate),
                           "seconds_left": None if left is None else round(left)}, handle)
            os.replace(tmp, self.path)


def copy_content(source, target_root: bytes, nodes: list[Node], progress: Progress) -> None:
    """Stream the content of ``nodes`` from the source into the target with tar."""
    if not nodes:
        return
    listing = b"".join(node.path + b"\0" for node in nodes)
    sender = subprocess.Popen(source.tar_command(), stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                              stderr=subprocess.PIPE)
    receiver = subprocess.Popen(["tar", "-C", os.fsdecode(target_root), "-xf", "-", "--same-permissions",
                                 "--numeric-owner", "--sparse", "--xattrs", "--xattrs-include=user.*",
                                 "--no-acls", "--no-selinux"],
                                stdin=subprocess.PIPE, stderr=subprocess.PIPE)
    # The list goes in from a thread: tar starts writing before it has read all of it, and
    # a list longer than a pipe buffer would otherwise block both sides.
    feeder = threading.Thread(target=_feed, args=(sender.stdin, listing), daemon=True)
    feeder.start()
    while chunk := sender.stdout.read(1 << 20):
        receiver.stdin.write(chunk)
        progress.update(nbytes=len(chunk))
    receiver.stdin.close()
    feeder.join()
    sender_err, receiver_err = sender.stderr.read(), receiver.stderr.read()
    if sender.wait() != 0 or receiver.wait() != 0:
        lines = (sender_err + receiver_err).decode(errors="replace").strip().splitlines()
        first = [line for line in lines if "Exiting with failure status" not in line][:3]
        raise SyncError(f"copying {len(nodes)} paths failed: {'; '.join(first) or 'tar failed'}")
    progress.update(files=len(nodes), force=True)


def _feed(pipe, data: bytes) -> None:
    try:
        pipe.write(data)
    except BrokenPipeError:
        pass  # tar died; its exit status and message say why
    finally:
        pipe.close()


def apply_metadata(root: bytes, node: Node, translate: Translator, fresh: bool = False) -> None:
    """Owner, mode, ACLs and xattrs of ``node`` on the target path, translated. ``fresh``:
    tar has just written the file, with the source's mode and user.* xattrs and nothing
    else, so only owner and ACLs remain to be set."""
    full = os.path.join(root, node.path) if node.path else root
    os.chown(full, translate.uid(node.uid, node.path), translate.gid(node.gid, node.path), follow_symlinks=False)
    if node.kind == "symlink":
        return
    wanted = {}
    for name, value in node.xattrs.items():
        if name.startswith("system.posix_acl_"):
            wanted[name] = translate.posix_acl(value, node.path)
        elif name == NTACL:
            wanted[name] = translate.ntacl(value, node.path)
        elif not fresh:
            wanted[name] = value
    if not fresh:
        # chown cleared set-id bits; and metadata-only changes may be just the mode.
        os.chmod(full, node.mode)
        present = set(share_tree.read_xattrs(full))
        for name in present - set(node.xattrs):
            os.removexattr(full, name)
    # POSIX ACLs first (setting one rewrites the group bits), the Windows ACL last.
    for name in sorted(wanted, key=lambda n: (n == NTACL, not n.startswith("system."), n)):
        os.setxattr(full, name, wanted[name])


def set_mtime(root: bytes, node: Node) -> None:
    full = os.path.join(root, node.path) if node.path else root
    os.utime(full, ns=(node.mtime_ns, node.mtime_ns), follow_symlinks=False)


def remove(root: bytes, node: Node) -> None:
    full = os.path.join(root, node.path)
    real_root = os.path.realpath(root)
    if os.path.commonpath([os.path.realpath(os.path.dirname(full)), real_root]) != real_root:
        raise SyncError(f"refusing to delete {os.fsdecode(full)}: it is not inside {os.fsdecode(root)}")
    if node.kind == "dir":
        os.rmdir(full)
    else:
        os.unlink(full)


@dataclass
class PassResult:
    plan: Plan
    translate: Translator
    seconds: float


def run_pass(source, target_root: bytes, state_path: str, translate_sid: Callable[[str], str | None],
             target_id: Callable[[str, str], int | None], *, check: bool, delete: bool = True,
             progress_path: str | None = None) -> PassResult:
    started = time.monotonic()
    source_nodes, uid_sids, gid_sids = source.listing()
    translate = Translator(translate_sid, uid_sids, gid_sids, target_id)
    # The plan needs the target's types, sizes and mtimes only; ACLs are read where changed.
    target_nodes = ({n.path: n for n in share_tree.scan(target_root, with_xattrs=False)}
                    if os.path.isdir(target_root) else {})
    state = share_tree.load_state(state_path)
    work = share_tree.plan(source_nodes, target_nodes, state)
    if not delete:
        work.delete = []
    if check:
        # Translate what would be written, so unmapped SIDs show up in the dry run too.
        for node in (*work.mkdir, *work.copy, *work.meta):
            _dry_translate(node, translate)
        return PassResult(work, translate, time.monotonic() - started)

    if work.is_empty() and work.unchanged == len(state):
        return PassResult(work, translate, time.monotonic() - started)  # nothing to write, not even mtimes
    progress = Progress(progress_path, len(work.copy), work.bytes_to_copy)
    for node in work.mkdir:
        os.makedirs(os.path.join(target_root, node.path) if node.path else target_root, exist_ok=True)
    copy_content(source, target_root, work.copy, progress)
    for node in work.copy:
        apply_metadata(target_root, node, translate, fresh=True)
    for node in (*work.mkdir, *work.meta):
        apply_metadata(target_root, node, translate)
    for node in work.delete:
        remove(target_root, node)
    # tar restored the files' mtimes; folders got new ones from their children, so they
    # are set back last, deepest first.
    for node in sorted((n for n in source_nodes if n.kind == "dir"), key=lambda n: -len(n.path)):
        set_mtime(target_root, node)
    # Unchanged paths keep their entry; folders are re-read (their mtimes were set back).
    changed = {n.path for n in (*work.mkdir, *work.copy, *work.meta)}
    new_state = {}
    for node in source_nodes:
        if node.kind == "other":
            continue
        if node.path in changed or node.kind == "dir" or node.path not in state:
            full = os.path.join(target_root, node.path) if node.path else target_root
            new_state[node.path] = share_tree.state_entry(node, os.lstat(full))
        else:
            new_state[node.path] = state[node.path]
    share_tree.save_state(state_path, new_state)
    return PassResult(work, translate, time.monotonic() - started)


def _dry_translate(node: Node, translate: Translator) -> None:
    translate.uid(node.uid, node.path)
    translate.gid(node.gid, node.path)
    for name, value in node.xattrs.items():
        if name.startswith("system.posix_acl_"):
            translate.posix_acl(value, node.path)
        elif name == NTACL:
            translate.ntacl(value, node.path)

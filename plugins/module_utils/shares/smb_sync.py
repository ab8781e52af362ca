# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""One sync pass of a share read over SMB 3 (``smb_source``) into a folder of the RZ file
server: the content and the shape of the tree. The Samba path's engine is ``sync``; this
one takes its pieces (state lock, progress file, atomic writer, the inside-root check,
deletion and safe mode) and differs where the source does:

- The source is an ``SmbShare``: ``walk()`` lists it, ``read()`` streams a file. Nothing
  runs on the source. The walk opens every object once for its metadata; a small file
  this pass will copy has its content read in that same compound request (``ContentWanted``
  decides from the listing's fields, the state and the target, before the request is
  sent), so it is not opened again: one round trip per small file. Content read so is
  held in memory up to ``IN_HAND_BYTES`` per pass; past that, files are read after the walk
  as before.
- A file is unchanged when its change time, size, file id and metadata (attributes,
  creation time, streams, security descriptor, as the listing gives them) are those the
  state recorded and the target still holds what the last pass wrote (size and modification
  time): SMB's change time moves on every content, attribute and ACL change on Windows, and
  the metadata digest catches those changes where it does not (Samba reports the last
  write time as the change time), so unchanged files are never opened. A file whose change
  time or metadata moved but whose file id, size and last write time did not had only its
  metadata changed: its content is not read again either. A content
  change that restores the last write time and keeps the size is what verification
  (content hashes) finds, as on the Samba path.
- A file that moved at the source (the same file id, size and last write time at a path
  the state knows) is copied on the target from where the last pass put it, not read over
  SMB again.
- Content is written to a temporary name in the target folder, given its modification
  time and metadata, and renamed into place: a killed pass never leaves half a file under
  the real name; the next pass removes the temporary names it finds.
- Hard links (one file id, link count above 1) become hard links on the target; folders,
  empty ones too, are created; a path whose type changed is replaced.
- The state is a JSON file beside the Samba path's kind of state (one per share), written
  atomically at the end of a pass; while the pass runs, every batch of finished paths is
  appended to a journal beside it (``<state>.journal``) after the content is flushed to the
  disk, so a pass killed with ``kill -9`` or cut off by a dropped connection is resumed by
  the next one without copying what it finished.
- What the source cannot give (the reader's problems: reparse points, offline files, files
  held with a deny-read sharing mode after the reader's retries, access denied despite
  backup intent) is never read, keeps what the target holds at that path, and is reported
  with the finding keys ``share_discover_smb`` raises; the pass goes on.
- Nothing is written or removed outside the target root (``sync.check_inside``).
- Paths verification flagged (``share_verify_smb``: ``<state>.flagged``, as on the Samba
  path) are copied again whatever the state says, every name of a flagged file's file id
  with them; a pass that finished removes the record.

Metadata: DOS attributes, creation time, alternate data streams and the translated security
descriptor are written by the one call point ``apply_metadata(target_path, entry)`` (see
``MetadataWriter``), which the module supplies: ``TargetMetadata``, the metadata writer
``smb_metadata.apply`` on the target share; the default, ``no_metadata``, writes nothing.
"""

from __future__ import annotations

import contextlib
import ctypes
import hashlib
import json
import os
import queue
import shutil
import stat
import threading
import time
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import Protocol

from ansible_collections.kommunal.umzug.plugins.module_utils.files import write_atomic
from ansible_collections.kommunal.umzug.plugins.module_utils.shares import ntacl, smb_metadata, smb_source
from ansible_collections.kommunal.umzug.plugins.module_utils.shares import rate as share_rate
from ansible_collections.kommunal.umzug.plugins.module_utils.shares import tree as share_tree
from ansible_collections.kommunal.umzug.plugins.module_utils.shares.preflight import ShareReport
from ansible_collections.kommunal.umzug.plugins.module_utils.shares.smb_source import SmbEntry
from ansible_collections.kommunal.umzug.plugins.module_utils.shares.sync import (
    Progress,
    SyncError,
    check_inside,
    flag_for_next_pass,
    state_lock,
)
from ansible_collections.kommunal.umzug.plugins.module_utils.shares.tree import shown

# The reader's problems that keep an entry from being read: listed, reported, never copied.
HELD_KEYS = ("shares.reparse_point", "shares.offline_file", "shares.file_locked", "shares.access_denied")
TEMP_PREFIX = b".umzug-part-"
JOURNAL_SUFFIX = ".journal"
STATE_FORMAT = "umzug-smb-state"
STATE_VERSION = 2
# Version 1 kept no metadata digest: its paths are taken as changed in their metadata once
# (written again, their content not read).
READ_VERSIONS = (1, STATE_VERSION)
# Content read in the walk's compound and held until the pass writes it: at most this much
# per pass (the walk finishes before the first file is written).
IN_HAND_BYTES = 256 << 20
BATCH_FILES = 1000
BATCH_BYTES = 256 << 20
BATCH_SECONDS = 10.0
KINDS = ("mkdir", "copy", "local", "link", "meta", "delete")


class MetadataWriter(Protocol):
    """The one call point of the metadata (DOS attributes, creation time, streams, the
    translated security descriptor): called once per object this pass writes or whose
    change time moved, with the absolute path the object has on the target at that moment
    (for copied content the temporary name beside the real one, before the rename, so the
    file appears with its metadata at once; for a folder or a metadata-only change the real
    path), after content and modification time are in place. Hard links: once per file, on
    its first name. It returns None or (finding key, sentence) pairs for what it could not
    carry; an exception stops the pass (the state keeps what was finished)."""

    def __call__(self, target_path: bytes, entry: SmbEntry) -> Iterable[tuple[str, str]] | None:
        ...


def no_metadata(target_path: bytes, entry: SmbEntry) -> None:
    """The default call point: content and tree shape only."""
    return None


class TargetMetadata:
    """The ``MetadataWriter`` that carries the metadata: ``smb_metadata.apply`` once per
    object the pass hands it, on the name the object has on the target at that moment (its
    real path, or the temporary name beside it before the rename), while the source and the
    findings know it by its path in the share. What ``apply`` could not carry goes back to
    the pass as (finding key, sentence), except the SIDs without a new identity: those are
    gathered here per SID with the paths naming them (``unmapped_sids``), as the Samba
    path's translator gathers them, for one finding per share."""

    def __init__(self, target_root: bytes, translate_sid: Callable[[str], str | None], *, source, acl,
                 stream_limit: int = smb_metadata.DEFAULT_STREAM_LIMIT, apply=smb_metadata.apply):
        self.root = os.path.normpath(target_root)
        self.translate_sid, self.source, self.acl, self.stream_limit = translate_sid, source, acl, stream_limit
        self._apply = apply
        self.unmapped_sids: dict[str, set[bytes]] = {}

    def where(self, target_path: bytes, entry: SmbEntry) -> bytes | None:
        """Where ``entry`` is on the target for now, relative to the root, when not at its own
        path (None): only its temporary name beside it is another place it can be."""
        relative = os.path.relpath(os.path.normpath(target_path), self.root)
        relative = b"" if relative == b"." else relative
        if relative == entry.path:
            return None
        if os.path.dirname(relative) == os.path.dirname(entry.path) and _is_temp(relative):
            return relative
        raise SyncError(f"the metadata of {shown(entry.path) or '.'} was to be written on {shown(target_path)}, "
                        f"which is neither its place under {shown(self.root)} nor a temporary name beside it")

    def __call__(self, target_path: bytes, entry: SmbEntry) -> list[tuple[str, str]]:
        applied = self._apply(self.root, entry.path, entry, self.translate_sid, source=self.source, acl=self.acl,
                              stream_limit=self.stream_limit, at=self.where(target_path, entry))
        itself = entry.path.decode("utf-8", "backslashreplace") or "."
        found = []
        for problem in applied.problems:
            if problem.key == "shares.sid_unmapped":
                for sid in problem.sids:
                    self.unmapped_sids.setdefault(sid, set()).add(entry.path)
                continue
            # A problem of one stream names it: "path:stream".
            stream = problem.path[len(itself) + 1:] if problem.path.startswith(itself + ":") else ""
            found.append((problem.key, f"stream {stream}: {problem.detail}" if stream else problem.detail))
        return found

    def foresee(self, plan: Plan) -> None:
        """Check mode: the SIDs the pass would keep untranslated, from the security
        descriptors of the objects it would write the metadata of; nothing is written."""
        for step in plan.steps:
            if step.kind == "link" or (step.kind == "meta" and step.origin is not None) or step.entry.sd is None:
                continue  # a further name of a file: its first one carries the metadata
            try:
                unmapped = ntacl.translate_sd(ntacl.parse_sd(step.entry.sd), self.translate_sid).unmapped
            except ntacl.NtaclError:
                continue  # shares.ntacl_unreadable when a pass writes it
            for sid in unmapped:
                self.unmapped_sids.setdefault(sid, set()).add(step.entry.path)


# --- the state ---------------------------------------------------------------------------

def entry_key(entry: SmbEntry) -> tuple:
    """What the state keeps of a path: the source's kind, change time, size, file id and
    last write time (the target's modification time is set to the last), and a digest of
    the metadata the listing gives (``metadata_digest``)."""
    return (entry.kind, entry.change_ns, entry.size if entry.kind == "file" else 0, entry.file_id,
            entry.last_write_ns, metadata_digest(entry))


def metadata_digest(entry: SmbEntry) -> str:
    """The attributes, creation time, streams (names and sizes) and security descriptor as
    the listing gives them, as one digest. Windows moves the change time on every change of
    them; Samba (4.17) reports the last write time as the change time, so there a change of
    attributes or ACL alone shows only here. Costs no read: the walk asks for all of it."""
    digest = hashlib.sha256(json.dumps([entry.attributes, entry.creation_ns, list(entry.streams)]).encode())
    digest.update(entry.sd or b"")
    return digest.hexdigest()[:32]


def _path_text(path: bytes) -> str:
    # Names from UTF-16 may hold lone surrogates (surrogatepass bytes): surrogateescape
    # keeps every byte through JSON.
    return path.decode("utf-8", "surrogateescape")


def _path_bytes(text: str) -> bytes:
    return text.encode("utf-8", "surrogateescape")


def load_state(state_path: str) -> dict[bytes, tuple]:
    """The state the last pass wrote, with what a pass killed since then finished."""
    state: dict[bytes, tuple] = {}
    try:
        with open(state_path, encoding="utf-8") as handle:
            data = json.load(handle)
        if data.get("format") != STATE_FORMAT or data.get("version") not in READ_VERSIONS:
            raise ValueError(f"not a state of version {STATE_VERSION} of the SMB sync")
        state = {_path_bytes(p): tuple(k) for p, k in data["paths"].items()}
    except FileNotFoundError:
        pass
    except (ValueError, KeyError, TypeError, AttributeError) as err:
        raise SyncError(f"the share state {state_path} cannot be read ({err}); move it aside to start "
                        "with a seed pass") from None
    for path, key in _journal(state_path):
        state[path] = key
    return state


def _journal(state_path: str) -> Iterator[tuple[bytes, tuple]]:
    try:
        with open(state_path + JOURNAL_SUFFIX, "rb") as handle:
            lines = handle.read().split(b"\n")
    except FileNotFoundError:
        return
    for line in lines:
        try:
            path, key = json.loads(line)
        except ValueError:
            continue  # the last line of a pass killed while writing it
        yield _path_bytes(path), tuple(key)


def forget_flagged(state: Mapping[bytes, tuple], flagged: set[bytes]) -> dict[bytes, tuple]:
    """The state without the paths verification flagged, nor the other names of their file
    ids (a hard link's other name, or a moved file's old place, holds the same content on
    the target and must not be copied from): the plan then copies them as new."""
    ids = {key[3] for path, key in state.items() if path in flagged and key[0] == "file" and key[3]}
    return {path: key for path, key in state.items()
            if path not in flagged and not (key[0] == "file" and key[3] in ids)}


def save_state(state_path: str, state: Mapping[bytes, tuple]) -> None:
    data = {"format": STATE_FORMAT, "version": STATE_VERSION,
            "paths": {_path_text(p): list(k) for p, k in sorted(state.items())}}
    write_atomic(state_path, json.dumps(data, separators=(",", ":")), mode=0o600)
    with contextlib.suppress(FileNotFoundError):
        os.unlink(state_path + JOURNAL_SUFFIX)


class Journal:
    """Finished paths of a running pass, appended per batch once their content is on the
    disk (one sync of the file system per batch, not one per file). A full batch is synced
    and appended by a thread of its own while the pass writes the next (one batch at a time,
    in order), so the pass does not wait for the disk's writeback; ``write`` appends what is
    pending and waits for it."""

    def __init__(self, state_path: str, files: int = BATCH_FILES, nbytes: int = BATCH_BYTES,
                 seconds: float = BATCH_SECONDS, flush: Callable[[], None] = os.sync):
        self.path = state_path + JOURNAL_SUFFIX
        self.limits = (files, nbytes, seconds)
        self.flush = flush
        self.pending: list[tuple[bytes, tuple]] = []
        self.bytes = 0
        self.since = time.monotonic()
        self.batches = 0
        self.appending: threading.Thread | None = None
        self.error: BaseException | None = None

    def add(self, path: bytes, key: tuple, nbytes: int = 0) -> None:
        self.pending.append((path, key))
        self.bytes += nbytes
        files, limit, seconds = self.limits
        if len(self.pending) >= files or self.bytes >= limit or time.monotonic() - self.since >= seconds:
            self._wait()
            batch = self._take()
            self.appending = threading.Thread(target=self._append_in_background, args=(batch,),
                                              name="umzug-smb-journal", daemon=True)
            self.appending.start()

    def write(self) -> None:
        self._wait()
        if self.pending:
            self._append(self._take())

    def _take(self) -> list[tuple[bytes, tuple]]:
        # Taken before the flush starts: only paths written before it are in the batch.
        batch, self.pending, self.bytes, self.since = self.pending, [], 0, time.monotonic()
        return batch

    def _wait(self) -> None:
        if self.appending is not None:
            self.appending.join()
            self.appending = None
        if self.error is not None:
            error, self.error = self.error, None
            raise error

    def _append_in_background(self, batch: list[tuple[bytes, tuple]]) -> None:
        try:
            self._append(batch)
        except BaseException as err:  # raised where the pass next adds or writes
            self.error = err

    def _append(self, batch: list[tuple[bytes, tuple]]) -> None:
        self.flush()
        lines = b"".join(json.dumps([_path_text(p), list(k)]).encode() + b"\n" for p, k in batch)
        handle = os.open(self.path, os.O_WRONLY | os.O_CREAT | os.O_APPEND | os.O_CLOEXEC, 0o600)
        try:
            os.write(handle, lines)
            os.fsync(handle)
        finally:
            os.close(handle)
        self.batches += 1


def sync_of(root: bytes) -> Callable[[], None]:
    """The journal's flush for content written below ``root``: the file system that holds
    it (syncfs), not every file system of the machine (sync), where the call exists."""
    try:
        syncfs = ctypes.CDLL(None, use_errno=True).syncfs
    except (OSError, AttributeError):
        return os.sync

    def flush() -> None:
        try:
            handle = os.open(root, os.O_RDONLY | os.O_DIRECTORY | os.O_CLOEXEC)
        except OSError:
            os.sync()
            return
        try:
            if syncfs(handle) != 0:
                os.sync()
        finally:
            os.close(handle)
    return flush


# --- the target ----------------------------------------------------------------------------

@dataclass(frozen=True)
class There:
    """One path on the target as the pass found it."""
    kind: str  # file, dir, symlink, other
    size: int
    mtime_ns: int
    inode: int


def _kind_of(mode: int) -> str:
    if stat.S_ISREG(mode):
        return "file"
    if stat.S_ISDIR(mode):
        return "dir"
    return "symlink" if stat.S_ISLNK(mode) else "other"


def target_listing(root: bytes) -> dict[bytes, There]:
    """Every path below ``root`` (relative, ``/`` between names), never through a symlink."""
    info = os.lstat(root)
    found: dict[bytes, There] = {b"": There(_kind_of(info.st_mode), 0, info.st_mtime_ns, info.st_ino)}
    folders = [b""]
    while folders:
        folder = folders.pop()
        try:
            listed = list(os.scandir(os.path.join(root, folder) if folder else root))
        except FileNotFoundError:
            continue
        for item in listed:
            info = item.stat(follow_symlinks=False)
            path = folder + b"/" + item.name if folder else item.name
            kind = _kind_of(info.st_mode)
            found[path] = There(kind, info.st_size, info.st_mtime_ns, info.st_ino)
            if kind == "dir":
                folders.append(path)
    return found


def _is_temp(path: bytes) -> bool:
    return os.path.basename(path).startswith(TEMP_PREFIX)


# --- the plan ------------------------------------------------------------------------------

@dataclass
class Step:
    """What the pass does with one source path: ``kind`` is one of KINDS or ``unchanged``;
    ``origin`` the target path a moved file is copied from (``local``)."""
    entry: SmbEntry
    kind: str
    origin: bytes | None = None
    replaces: str | None = None  # the type of what is at the path on the target, when it differs


@dataclass
class Plan:
    steps: list[Step] = field(default_factory=list)
    links: dict[int, list[bytes]] = field(default_factory=dict)  # file id -> names, the first holds the content
    held: list[SmbEntry] = field(default_factory=list)
    delete: list[bytes] = field(default_factory=list)
    temps: list[bytes] = field(default_factory=list)
    unchanged: list[bytes] = field(default_factory=list)

    def of(self, kind: str) -> list[Step]:
        return [s for s in self.steps if s.kind == kind]

    def bytes_to_read(self) -> int:
        return sum(s.entry.size for s in self.steps if s.kind == "copy")


def held(entry: SmbEntry) -> bool:
    return any(key in HELD_KEYS for key, _sentence in entry.problems)


def _content_there(there: There | None, entry: SmbEntry) -> bool:
    return (there is not None and there.kind == "file" and there.size == entry.size
            and there.mtime_ns == entry.last_write_ns)


def _same_content(last: tuple | None, entry: SmbEntry) -> bool:
    """The state's record names this very content: same file id, size and last write."""
    return (last is not None and last[0] == "file" and last[2] == entry.size and last[3] == entry.file_id
            and last[4] == entry.last_write_ns)


def make_plan(entries: list[SmbEntry], target: Mapping[bytes, There], state: Mapping[bytes, tuple]) -> Plan:
    """The steps of a pass, in the walk's order (a folder before what it holds), from the
    source's listing, the target's and the state."""
    plan = Plan()
    by_id: dict[int, bytes] = {}
    for path, last in state.items():
        if last[0] == "file" and last[3]:
            by_id.setdefault(last[3], path)
    groups: dict[int, list[SmbEntry]] = {}
    listed: set[bytes] = set()
    held_paths: set[bytes] = set()
    for entry in entries:
        listed.add(entry.path)
        if held(entry) or entry.kind not in ("file", "dir"):
            plan.held.append(entry)
            held_paths.add(entry.path)
            continue
        if entry.kind == "file" and entry.nlink > 1 and entry.file_id:
            groups.setdefault(entry.file_id, []).append(entry)
            continue
        step = _step(entry, target.get(entry.path), state.get(entry.path), by_id, target)
        if step.kind == "unchanged":
            plan.unchanged.append(entry.path)
        else:
            plan.steps.append(step)
    for file_id, members in sorted(groups.items()):
        _link_group(plan, file_id, sorted(members, key=lambda e: e.path), target, state, by_id)
    cleared = {s.entry.path for s in plan.steps if s.replaces == "dir"}  # removed with what they hold
    for path in sorted(target, key=lambda p: (-p.count(b"/"), p)):  # deepest first
        if path in listed or _under(path, held_paths):
            continue
        if _is_temp(path):
            plan.temps.append(path)
        elif not _under(path, cleared):
            plan.delete.append(path)
    return plan


def _under(path: bytes, roots: set[bytes]) -> bool:
    if not roots:
        return False
    if path in roots:
        return True
    parts = path.split(b"/")
    return any(b"/".join(parts[:n]) in roots for n in range(1, len(parts)))


class ContentWanted:
    """The walk's question before it opens a file: will this pass copy its content? Asked
    with the listing's fields only (kind, size, change and last write time, file id), it
    answers as ``_step`` decides a copy: not when the target holds the content the state
    recorded for the path (unchanged, or only its metadata changed: Samba reports the last
    write time as the change time, so the metadata digest decides that later, and it never
    needs the content), not when the file moved and the last pass's copy is on the target,
    and once per file id (hard links: one name's content serves them all). So unchanged
    files are never read. It says no once ``budget`` bytes are in hand, and once no
    transfer is allowed any more (``paused``): the walk then lists the rest without content."""

    def __init__(self, state: Mapping[bytes, tuple], target: Mapping[bytes, There], budget: int | None = None):
        self.state, self.target = state, target
        self.left = IN_HAND_BYTES if budget is None else budget
        self.by_id: dict[int, bytes] = {}
        self.wanted_ids: set[int] = set()
        self.paused = False
        for path, last in state.items():
            if last[0] == "file" and last[3]:
                self.by_id.setdefault(last[3], path)

    def __call__(self, entry: SmbEntry) -> bool:
        if self.paused or entry.kind != "file" or entry.size > self.left or (
                entry.file_id and entry.file_id in self.wanted_ids):
            return False
        if _content_there(self.target.get(entry.path), entry) and _same_content(self.state.get(entry.path), entry):
            return False
        origin = self.by_id.get(entry.file_id)
        if origin is not None and origin != entry.path and _content_there(self.target.get(origin), entry):
            return False
        self.left -= entry.size
        if entry.file_id:
            self.wanted_ids.add(entry.file_id)
        return True


def _step(entry: SmbEntry, there: There | None, last: tuple | None, by_id: Mapping[int, bytes],
          target: Mapping[bytes, There]) -> Step:
    replaces = there.kind if there is not None and there.kind != entry.kind else None
    if entry.kind == "dir":
        if there is None or replaces:
            return Step(entry, "mkdir", replaces=replaces)
        return Step(entry, "unchanged" if last == entry_key(entry) else "meta")
    if _content_there(there, entry) and _same_content(last, entry):
        return Step(entry, "unchanged" if last == entry_key(entry) else "meta")
    origin = by_id.get(entry.file_id)
    if origin is not None and origin != entry.path and _content_there(target.get(origin), entry):
        # The file moved at the source (or has a second name): the last pass's copy is on the target.
        return Step(entry, "local", origin=origin, replaces=replaces)
    return Step(entry, "copy", replaces=replaces)


def _link_group(plan: Plan, file_id: int, members: list[SmbEntry], target: Mapping[bytes, There],
                state: Mapping[bytes, tuple], by_id: Mapping[int, bytes]) -> None:
    # The name whose content the target already holds leads, so a new name is only linked.
    members.sort(key=lambda m: not (_content_there(target.get(m.path), m) and _same_content(state.get(m.path), m)))
    first = members[0]
    step = _step(first, target.get(first.path), state.get(first.path), by_id, target)
    plan.links[file_id] = [m.path for m in members]
    if step.kind == "unchanged":
        plan.unchanged.append(first.path)
    else:
        plan.steps.append(step)
    rewritten = step.kind in ("copy", "local")
    inode = None if rewritten or target.get(first.path) is None else target[first.path].inode
    for other in members[1:]:
        there = target.get(other.path)
        if rewritten or there is None or there.kind != "file" or there.inode != inode:
            plan.steps.append(Step(other, "link", origin=first.path,
                                   replaces=there.kind if there is not None and there.kind != "file" else None))
        elif state.get(other.path) != entry_key(other):
            plan.steps.append(Step(other, "meta", origin=first.path))
        else:
            plan.unchanged.append(other.path)


# --- the pass ------------------------------------------------------------------------------

@dataclass
class SmbPassResult:
    plan: Plan
    seconds: float
    # (finding key, path, sentence): what the source could not give or the metadata writer
    # could not carry; the paths stay as the target had them.
    problems: list[tuple[str, bytes, str]] = field(default_factory=list)
    # Target paths the source no longer has, left there because deletion is off.
    not_deleted: list[bytes] = field(default_factory=list)
    bytes_read: int = 0
    files_read: int = 0
    # Why the pass stopped before it had copied all (no transfer allowed any more), or None.
    stop: share_rate.Stop | None = None
    # Paths the pass was to copy and did not, because it stopped: not in the new state.
    unfinished: list[bytes] = field(default_factory=list)
    # The share's files and bytes and how many the target holds (sync.seed_progress's shape).
    progress: dict | None = None

    @property
    def complete(self) -> bool:
        return self.stop is None

    def counts(self) -> dict[str, int]:
        counts = {kind: len(self.plan.of(kind)) for kind in KINDS if kind != "delete"}
        counts["delete"] = 0 if self.not_deleted else len(self.plan.delete)
        counts.update(replaced=len([s for s in self.plan.steps if s.replaces]), unchanged=len(self.plan.unchanged),
                      held=len(self.plan.held), not_deleted=len(self.not_deleted))
        return counts

    def report(self, share: str) -> ShareReport:
        """The problems in the shape ``preflight.findings`` turns into findings."""
        report = ShareReport(share)
        for key, path, sentence in self.problems:
            report.problem(key, shown(path), sentence)
        return report


def run_smb_pass(share, target_root: bytes, state_path: str, *, check: bool, delete: bool = True,
                 progress_path: str | None = None, apply_metadata: MetadataWriter = no_metadata,
                 what: str = "pass", journal: Journal | None = None,
                 limiter: share_rate.Limiter | None = None) -> SmbPassResult:
    """One pass from ``share`` (an open ``SmbShare``, or anything with its ``walk`` and
    ``read``) into ``target_root`` (module docstring). Check mode takes no lock, writes
    nothing and returns the exact plan. ``delete=False`` (the role's safe mode) leaves the
    paths the source no longer has and returns them in ``not_deleted``."""
    with contextlib.nullcontext() if check else state_lock(state_path, what):
        if progress_path and not check:
            with contextlib.suppress(FileNotFoundError):
                os.unlink(progress_path)  # a previous pass's figures must not show as this one's
        limiter = limiter or share_rate.Limiter(None)
        if not check:
            try:
                limiter.check()
            except share_rate.Paused as paused:  # no transfer allowed now: the share is not even walked
                return SmbPassResult(Plan(), 0.0, stop=paused.stop)
        return _run(share, target_root, state_path, check=check, delete=delete, progress_path=progress_path,
                    apply_metadata=apply_metadata, journal=journal, limiter=limiter)


def _run(share, target_root: bytes, state_path: str, *, check: bool, delete: bool, progress_path: str | None,
         apply_metadata: MetadataWriter, journal: Journal | None, limiter: share_rate.Limiter) -> SmbPassResult:
    started = time.monotonic()
    loaded = load_state(state_path)
    flagged = share_tree.load_flagged(state_path)
    state = forget_flagged(loaded, flagged) if flagged else loaded
    target = target_listing(target_root) if os.path.isdir(target_root) else {}
    result = SmbPassResult(Plan(), 0.0)
    work = streamed = None
    if not check:
        journal = journal or Journal(state_path, flush=sync_of(target_root))
        # The totals grow as the walk finds content to copy and are set from the plan after it.
        work = _Work(share, target_root, apply_metadata, journal, result,
                     Progress(progress_path, 0, 0, limiter=limiter))
        streamed = Streamed(work, state, target)
    entries = _walk(share, ContentWanted(state, target) if work else None, streamed)
    if not entries or entries[0].path != b"":
        raise SyncError("the SMB listing did not begin with the share root")
    plan = make_plan(entries, target, state)
    result.plan = plan
    # The source's problems first, then what writing found, as the steps' order has them.
    result.problems[:0] = [(key, entry.path, sentence) for entry in entries for key, sentence in entry.problems]
    if not delete:
        result.not_deleted = list(plan.delete)
    if work is None:
        result.progress = _progress(entries, plan.of("copy"), {})
        result.seconds = time.monotonic() - started
        return result
    work.progress.total_files, work.progress.total_bytes = len(plan.of("copy")), plan.bytes_to_read()
    work.in_hand = {e.file_id: e for e in entries if e.content is not None and e.kind == "file" and e.file_id}
    os.makedirs(target_root, exist_ok=True)
    for path in plan.temps:
        _remove(target_root, path, "file")
    done = streamed.done
    try:
        for step in plan.steps:
            try:
                if step.entry.path not in streamed.carried and work.carry_out(step):
                    done[step.entry.path] = entry_key(step.entry)
            except share_rate.Paused:
                work.failed.add(step.entry.path)  # its content is the next pass's to copy
    except (smb_source.SMBException, OSError) as err:
        raise _stopped(work, err) from None
    if limiter.stop is not None:
        result.unfinished = sorted(s.entry.path for s in plan.steps if s.kind in ("copy", "local", "link")
                                   and s.entry.path not in done)
        result.stop = limiter.stop if result.unfinished else None
    result.progress = _progress(entries, [s for s in plan.of("copy") if s.entry.path not in done], done)
    work.journal.write()
    if delete:
        for path in plan.delete:
            _remove(target_root, path, target[path].kind)
    _folder_times(target_root, entries, plan)
    work.progress.update(force=True)
    new_state = {p: state[p] for p in plan.unchanged}
    new_state.update(done)
    if new_state != loaded or os.path.exists(state_path + JOURNAL_SUFFIX):  # an unchanged pass writes nothing
        save_state(state_path, new_state)
    if flagged:
        flag_for_next_pass(state_path, ())  # copied again: done
    result.seconds = time.monotonic() - started
    return result


def _progress(entries: list[SmbEntry], left: list[Step], done: Mapping[bytes, tuple]) -> dict:
    """The share's files and bytes and how many of them the target holds: all but the
    content still to copy (``left``), as ``sync.seed_progress`` counts them."""
    files = [e for e in entries if e.kind == "file" and not held(e)]
    missing = [s.entry for s in left if s.entry.path not in done]
    total, missing_bytes = sum(e.size for e in files), sum(e.size for e in missing)
    return {"files": len(files) - len(missing), "files_total": len(files),
            "bytes": total - missing_bytes, "bytes_total": total}


def _walk(share, wanted: ContentWanted | None, streamed: Streamed | None) -> list[SmbEntry]:
    """The source's listing, its objects in the walk's order; what ``streamed`` can write
    without reading over SMB is written as the walk goes on (``Streamed``)."""
    entries: list[SmbEntry] = []
    walk = iter(share.walk(wants_content=wanted))
    try:
        while True:
            try:
                entry = next(walk, None)
            except (smb_source.SMBException, OSError) as err:
                if streamed is not None:
                    streamed.close()
                    streamed.work.journal.write()  # what was written is the next pass's to keep
                raise SyncError(f"listing the share over SMB failed: {smb_source.describe(err)}") from None
            if entry is None:
                break
            entries.append(entry)
            if entry.content and streamed is not None:
                # Read in the walk's compound: the walk waits here while a limit is in force.
                try:
                    streamed.work.progress.limiter.take(len(entry.content))
                except share_rate.Paused:
                    wanted.paused = True  # what is in hand is written; the rest is listed only
            if streamed is not None and entries[0].path == b"":
                streamed.take(entry)
        if streamed is not None:
            streamed.finish()
    except (smb_source.SMBException, OSError) as err:  # from writing: the walk itself is above
        streamed.close()
        raise _stopped(streamed.work, err) from None
    finally:
        if streamed is not None:
            streamed.close()
    return entries


def _stopped(work: _Work, err: BaseException) -> SyncError:
    work.journal.write()
    return SyncError(f"the pass stopped after {work.result.files_read} file(s) read: {smb_source.describe(err)}; "
                     "the next pass goes on from there")


class Streamed:
    """The steps carried out while the walk goes on, by a thread of their own (``take``
    hands them over in the walk's order), so the walk never waits for the target's disk,
    nor the disk for the walk's end: a folder, a metadata change, and content the walk read
    in its compound. An object takes the step here that the plan after the walk gives it
    (``_step``, from the same listing fields, state and target), in the same order. Left to
    the plan: what needs a read over SMB (a large file, content past the budget, a moved
    file's copy, which falls back to one), hard links (they need every name of a file id),
    what the source cannot give. A step is journaled only once it is written, as after the
    walk; an error stops the writing and is raised in the walk's thread (``take``,
    ``finish``)."""

    def __init__(self, work: _Work, state: Mapping[bytes, tuple], target: Mapping[bytes, There]):
        self.work, self.state, self.target = work, state, target
        self.by_id: dict[int, bytes] = {}
        for path, last in state.items():
            if last[0] == "file" and last[3]:
                self.by_id.setdefault(last[3], path)
        self.carried: set[bytes] = set()  # paths whose step is done here (or that have none)
        self.done: dict[bytes, tuple] = {}  # what the state records of them
        self.steps: queue.SimpleQueue = queue.SimpleQueue()
        self.error: BaseException | None = None
        self.writer: threading.Thread | None = None

    def step(self, entry: SmbEntry) -> Step | None:
        """The step ``entry`` takes now, or None when the plan takes it after the walk."""
        if held(entry) or entry.kind not in ("file", "dir") or (entry.kind == "file" and entry.nlink > 1
                                                                and entry.file_id):
            return None
        step = _step(entry, self.target.get(entry.path), self.state.get(entry.path), self.by_id, self.target)
        if step.kind in ("local", "link") or (step.kind == "copy" and entry.content is None):
            return None
        return step

    def take(self, entry: SmbEntry) -> None:
        if self.error is not None:
            raise self.error
        step = self.step(entry)
        if step is None:
            return
        self.carried.add(entry.path)
        if step.kind == "unchanged":
            return
        if step.kind == "copy":
            self.work.progress.total_files += 1
            self.work.progress.total_bytes += entry.size
        if self.writer is None:
            self.writer = threading.Thread(target=self._write, name="umzug-smb-writer", daemon=True)
            self.writer.start()
        self.steps.put(step)

    def _write(self) -> None:
        while True:
            step = self.steps.get()
            if step is None:
                return
            if self.error is not None:
                continue  # stopped: the rest is left to the next pass
            try:
                if self.work.carry_out(step):
                    self.done[step.entry.path] = entry_key(step.entry)
            except BaseException as err:  # raised in the walk's thread
                self.error = err

    def close(self) -> None:
        """Waits for the steps handed over so far to be written (or given up after an error)."""
        if self.writer is not None:
            self.steps.put(None)
            self.writer.join()
            self.writer = None

    def finish(self) -> None:
        self.close()
        if self.error is not None:
            raise self.error


@dataclass
class _Work:
    share: smb_source.SmbShare  # or anything with its walk and read (tests: a fake)
    root: bytes
    apply_metadata: MetadataWriter
    journal: Journal
    result: SmbPassResult
    progress: Progress
    # Paths whose content this pass could not write: their other names are not linked.
    failed: set[bytes] = field(default_factory=set)
    # The entries whose content the walk read, by file id: a hard link's first name takes
    # the content another of its names was read with.
    in_hand: dict[int, SmbEntry] = field(default_factory=dict)
    # The folders ``check_inside`` let this pass write in. Only the pass changes the target
    # while it runs, and what it removes (a path whose type changed) can have been one of
    # them: then every folder is checked again. Two path resolutions less per file.
    inside: set[bytes] = field(default_factory=set)

    def full(self, path: bytes) -> bytes:
        if not path:
            return self.root
        full = os.path.join(self.root, path)
        folder = os.path.dirname(full)
        if folder not in self.inside:
            check_inside(self.root, full, "write")
            self.inside.add(folder)
        return full

    def carry_out(self, step: Step) -> bool:
        """One step; False when the path was left as it was (a finding says why)."""
        entry = step.entry
        full = self.full(entry.path)
        if step.replaces:
            self.inside.clear()
            _remove(self.root, entry.path, step.replaces)
        if step.kind == "mkdir":
            os.makedirs(full, exist_ok=True)
            self.metadata(full, entry)
        elif step.kind == "meta":
            if step.origin is None:  # a hard link's other name: the first one's call covered the file
                self.metadata(full, entry)
        elif step.kind == "link":
            if step.origin in self.failed:
                return False
            self.link(step.origin, full)
        elif not self.content(step, full):
            self.failed.add(entry.path)
            return False
        self.journal.add(entry.path, entry_key(entry), entry.size if step.kind == "copy" else 0)
        return True

    def metadata(self, full: bytes, entry: SmbEntry) -> None:
        for key, sentence in self.apply_metadata(full, entry) or ():
            self.result.problems.append((key, entry.path, sentence))

    def content(self, step: Step, full: bytes) -> bool:
        entry = step.entry
        temp = _temp_beside(full)
        try:
            if step.kind == "local" and self.copy_local(step.origin, temp, entry):
                pass
            elif not self.read(entry, temp):
                return False
            os.utime(temp, ns=(entry.last_write_ns, entry.last_write_ns), follow_symlinks=False)
            self.metadata(temp, entry)
            os.rename(temp, full)
            temp = None
        finally:
            if temp is not None:
                with contextlib.suppress(FileNotFoundError):
                    os.unlink(temp)
        return True

    def copy_local(self, origin: bytes, temp: bytes, entry: SmbEntry) -> bool:
        """The last pass's copy of a file that moved, if it is still what it was."""
        source = self.full(origin)
        try:
            before = os.lstat(source)
            if not stat.S_ISREG(before.st_mode) or before.st_size != entry.size \
                    or before.st_mtime_ns != entry.last_write_ns:
                return False
            with open(source, "rb") as old, open(temp, "wb") as new:
                shutil.copyfileobj(old, new, 1 << 20)
        except OSError:
            return False  # gone or replaced in this pass: read over SMB instead
        return True

    def read(self, entry: SmbEntry, temp: bytes) -> bool:
        written = 0
        try:
            with open(temp, "wb") as out:
                for chunk in self._chunks(entry):
                    out.write(chunk)
                    written += len(chunk)
                    self.progress.update(nbytes=len(chunk))
        except smb_source.SMBException as err:
            status = smb_source.status_of(err)
            key = READ_REFUSED.get(status)
            if status in smb_source.VANISHED:
                return False  # gone since the listing: the next pass sees the tree as it is then
            if key is None:
                raise
            self.result.problems.append((key, entry.path, f"while copying: {smb_source.describe(err)}"))
            return False
        self.progress.update(files=1)
        self.result.files_read += 1
        self.result.bytes_read += written
        # A file that changed while it was read is left out of the state: the next pass copies it again.
        return written == entry.size

    def _chunks(self, entry: SmbEntry) -> Iterable[bytes]:
        """The content the walk read in its compound (once: it is let go here), or a read."""
        holder = entry if entry.content is not None else self.in_hand.get(entry.file_id)
        if holder is not None and holder.content is not None and (holder is entry or holder.size == entry.size):
            content, holder.content = holder.content, None
            return [content] if content else []
        limiter = self.progress.limiter
        if not limiter.active:
            return self.share.read(entry.path)
        # Reads are charged when they arrive: the reads in flight are kept within the burst
        # the limit allows, or opening a large file would pass megabytes at line speed.
        return share_rate.throttled(self.share.read(entry.path, **share_rate.read_window(limiter)), limiter)

    def link(self, origin: bytes, full: bytes) -> None:
        temp = _temp_beside(full)
        try:
            os.link(self.full(origin), temp, follow_symlinks=False)
            os.rename(temp, full)
        finally:
            with contextlib.suppress(FileNotFoundError):
                os.unlink(temp)


# What a read refused says, as the walk words it (share_discover_smb's keys).
READ_REFUSED = {
    smb_source.STATUS_SHARING_VIOLATION: "shares.file_locked",
    smb_source.STATUS_ACCESS_DENIED: "shares.access_denied",
    smb_source.STATUS_FILE_IS_OFFLINE: "shares.offline_file",
}


def _temp_beside(full: bytes) -> bytes:
    return os.path.join(os.path.dirname(full), TEMP_PREFIX + os.urandom(6).hex().encode())


def _remove(root: bytes, path: bytes, kind: str) -> None:
    """A target path, a folder with all it holds, never outside ``root``, never through a symlink."""
    full = os.path.join(root, path)
    check_inside(root, full, "remove")
    try:
        if kind == "dir":
            shutil.rmtree(full)
        else:
            os.unlink(full)
    except FileNotFoundError:
        pass  # under a folder removed before it


def _folder_times(root: bytes, entries: list[SmbEntry], plan: Plan) -> None:
    """Folders get their source's last write time last, deepest first: what came into or
    left a folder during the pass moved it."""
    held_paths = {e.path for e in plan.held}
    folders = [e for e in entries if e.kind == "dir" and e.last_write_ns is not None and e.path not in held_paths]
    for entry in sorted(folders, key=lambda e: e.path.count(b"/") + (1 if e.path else 0), reverse=True):
        full = os.path.join(root, entry.path) if entry.path else root
        try:
            if os.lstat(full).st_mtime_ns != entry.last_write_ns:
                os.utime(full, ns=(entry.last_write_ns, entry.last_write_ns), follow_symlinks=False)
        except FileNotFoundError:
            continue

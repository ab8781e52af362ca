# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Atomically replacing files on the controller, one way for the report store and the journal.

The managed hosts' counterpart is module_utils/files.py. Here no AnsibleModule runs, so the
rename is ``os.replace``; what makes the result survive a power cut is done in one place:
the data is flushed to the disk before the rename, and the folder after it, so the new name
is on the disk too. A file that is replaced keeps its mode (someone may have narrowed it); a
new file gets ``mode``.
"""

from __future__ import annotations

import contextlib
import os
import stat
import tempfile
from pathlib import Path

# mkstemp's own mode: a record is private unless its writer says otherwise.
PRIVATE = 0o600


def sync_folder(folder: str | os.PathLike) -> None:
    """Flushes a folder's entries (a rename, a new link) to the disk."""
    handle = os.open(folder, os.O_RDONLY | os.O_DIRECTORY)
    try:
        os.fsync(handle)
    finally:
        os.close(handle)


def mode_of(path: Path, default: int) -> int:
    try:
        return stat.S_IMODE(path.stat().st_mode)
    except FileNotFoundError:
        return default


def written_beside(path: Path, data: str | bytes, mode: int) -> str:
    """A new temporary file beside ``path`` (missing folders created) holding ``data``, with
    ``mode``, flushed to the disk; its name. Gone again if writing it failed."""
    path.parent.mkdir(parents=True, exist_ok=True)
    handle, temporary = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.")
    try:
        with os.fdopen(handle, "wb") as stream:
            stream.write(data.encode("utf-8") if isinstance(data, str) else data)
            stream.flush()
            os.fchmod(stream.fileno(), mode)
            os.fsync(stream.fileno())
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(temporary)
        raise
    return temporary


def write_atomic(path: str | os.PathLike, data: str | bytes, mode: int = PRIVATE) -> None:
    """Writes beside ``path``, flushes, renames over it and flushes the folder: a reader, and a
    controller that lost power, see the old file or the new one, never half. Missing folders
    are created. Text is written as UTF-8."""
    path = Path(path)
    temporary = written_beside(path, data, mode_of(path, mode))
    try:
        os.replace(temporary, path)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(temporary)
        raise
    sync_folder(path.parent)


def create_exclusive(path: str | os.PathLike, data: str | bytes, mode: int = PRIVATE) -> bool:
    """Creates ``path`` with ``data`` unless it exists; True when this call created it.

    The data is written and flushed beside ``path`` and then hard-linked to its name: ``link``
    fails when the name exists, and the file system decides that, not the caller's view of it.
    That holds where a lock taken with ``flock`` may not: on NFS (``flock`` is emulated with
    byte-range locks, and is local to one client under ``local_lock=flock|all`` or ``nolock``)
    and for writers on several machines, whose caches of the folder may be stale. A reader
    never sees the file half written. On NFS the reply to a link that was carried out can be
    lost and the retry fail; the temporary file's link count says whether it was."""
    path = Path(path)
    temporary = written_beside(path, data, mode)
    try:
        try:
            os.link(temporary, path)
        except FileExistsError:
            return False
        except OSError:
            if os.stat(temporary).st_nlink != 2:
                raise
        return True
    finally:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(temporary)
        sync_folder(path.parent)


def link_atomic(link: str | os.PathLike, target: str) -> None:
    """Points the symbolic link ``link`` at ``target``; readers never find it missing."""
    link = Path(link)
    link.parent.mkdir(parents=True, exist_ok=True)
    temporary = link.with_name(f".{link.name}.tmp")
    if temporary.is_symlink():
        temporary.unlink()
    temporary.symlink_to(target)
    os.replace(temporary, link)
    sync_folder(link.parent)

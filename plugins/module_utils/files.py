# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Reading and atomically replacing files on a managed host, one way for every module."""

from __future__ import annotations

import contextlib
import fcntl
import os
import stat
from collections.abc import Callable, Iterator


def read_file(path: str) -> bytes:
    with open(path, "rb") as handle:
        return handle.read()


def read_text(path: str) -> str | None:
    """A UTF-8 text file's content, or None when there is none."""
    try:
        with open(path, encoding="utf-8") as handle:
            return handle.read()
    except FileNotFoundError:
        return None


def write_atomic(path: str, data: bytes | str, atomic_move: Callable[[str, str], None] | None = None,
                 mode: int | None = None, durable: bool = True) -> None:
    """The one way a managed host replaces a file: write beside the target, flush the file
    and then its folder to the disk, rename over it. A reader, and a host that lost power,
    see the old or the new file, never half; a failure leaves the old file as it was and no
    temporary file behind.

    ``atomic_move`` renames: a module passes AnsibleModule.atomic_move (it also keeps the
    SELinux context), code without a module leaves the default, os.replace. Either way the
    file gets ``mode`` when given (a state or record file that must stay private); else a
    replaced file keeps its mode, and a new one gets what open() would give it. A replaced
    file keeps its owner and group where the writer may set them. A missing folder is
    created (a path without one is in the current folder). ``durable=False`` leaves out
    both flushes, for a file that is rewritten every second and worthless after a crash
    (a pass's progress): a reader still never sees half of it."""
    folder = os.path.dirname(path) or "."
    os.makedirs(folder, mode=0o755, exist_ok=True)
    try:
        old = os.stat(path)
    except FileNotFoundError:
        old = None
    # A new file without a mode of its own is created as open() creates one (the kernel
    # applies the umask): changing the umask to read it would touch every thread's files.
    handle, temp = _create_beside(folder, 0o666 if mode is None and old is None else 0o600)
    try:
        with os.fdopen(handle, "wb") as out:
            _take_over_attributes(out.fileno(), old, mode)
            out.write(data.encode("utf-8") if isinstance(data, str) else data)
            if durable:
                out.flush()
                os.fsync(out.fileno())
        (atomic_move or os.replace)(temp, path)
    finally:
        if os.path.lexists(temp):
            os.unlink(temp)
    if mode is not None:
        os.chmod(path, mode)  # AnsibleModule.atomic_move gives a new file the umask's mode
    if durable:
        _fsync_folder(folder)


def _create_beside(folder: str, mode: int) -> tuple[int, str]:
    while True:
        temp = os.path.join(folder, f".umzug-{os.urandom(6).hex()}")
        try:
            return os.open(temp, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_CLOEXEC, mode), temp
        except FileExistsError:
            continue


def _take_over_attributes(handle: int, old: os.stat_result | None, mode: int | None) -> None:
    """The temporary file's owner and mode, set before it takes the place of ``old``."""
    if old and (old.st_uid, old.st_gid) != (os.geteuid(), os.getegid()):
        # Only root gives a file away; otherwise the target becomes the writer's, as with atomic_move.
        with contextlib.suppress(PermissionError):
            os.fchown(handle, old.st_uid, old.st_gid)
    if mode is None and old:
        mode = stat.S_IMODE(old.st_mode)
    if mode is not None:
        os.fchmod(handle, mode)  # after the owner: a change of owner clears the set-id bits


def _fsync_folder(folder: str) -> None:
    """The rename is only durable once the folder's entry is on the disk."""
    handle = os.open(folder, os.O_RDONLY | os.O_DIRECTORY)
    try:
        os.fsync(handle)
    finally:
        os.close(handle)


@contextlib.contextmanager
def edit_lock(path: str, check_mode: bool = False) -> Iterator[None]:
    """Held while a module reads, changes and writes back ``path``, a file that runs for
    several Kommunen edit at the same time (the RZ file server's smb.conf gets each
    Kommune's include line and the name switch's): without it two runs read the same
    text, each adds its own line, and the second write loses the first one's. The lock is
    an flock on the file's folder (no lock file is left), released when the module ends.
    Check mode writes nothing, so it takes no lock and never waits for a real run."""
    if check_mode:
        yield
        return
    folder = os.open(os.path.dirname(os.path.abspath(path)), os.O_RDONLY | os.O_DIRECTORY)
    try:
        fcntl.flock(folder, fcntl.LOCK_EX)
        yield
    finally:
        os.close(folder)

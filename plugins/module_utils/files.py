# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Reading and atomically replacing files on a managed host, one way for every module."""

from __future__ import annotations

import contextlib
import fcntl
import os
import tempfile
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


def write_atomic(path: str, data: bytes | str, atomic_move: Callable[[str, str], None],
                 mode: int | None = None) -> None:
    """Write beside the target, flush it to the disk, then rename over it
    (AnsibleModule.atomic_move, which keeps an existing file's owner and mode; or os.replace
    where no module runs): a reader, and a host that lost power, see the old or the new
    file, never half. A missing folder is created (a path without one is in the current
    folder); ``mode`` is imposed afterwards when given."""
    folder = os.path.dirname(path) or "."
    os.makedirs(folder, mode=0o755, exist_ok=True)
    handle, temp = tempfile.mkstemp(dir=folder, prefix=".umzug-")
    try:
        with os.fdopen(handle, "wb") as out:
            out.write(data.encode("utf-8") if isinstance(data, str) else data)
            out.flush()
            os.fsync(out.fileno())
        atomic_move(temp, path)
    finally:
        if os.path.exists(temp):
            os.unlink(temp)
    if mode is not None:
        os.chmod(path, mode)


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

# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Reading and atomically replacing files on a managed host, one way for every module."""

from __future__ import annotations

import os
import tempfile
from collections.abc import Callable


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
    """Write beside the target, then rename over it (AnsibleModule.atomic_move, which keeps an
    existing file's owner and mode): a reader sees the old or the new file, never half.
    A missing folder is created; ``mode`` is imposed afterwards when given."""
    folder = os.path.dirname(path) or "."
    os.makedirs(folder, mode=0o755, exist_ok=True)
    handle, temp = tempfile.mkstemp(dir=folder, prefix=".umzug-")
    try:
        with os.fdopen(handle, "wb") as out:
            out.write(data.encode("utf-8") if isinstance(data, str) else data)
        atomic_move(temp, path)
    finally:
        if os.path.exists(temp):
            os.unlink(temp)
    if mode is not None:
        os.chmod(path, mode)

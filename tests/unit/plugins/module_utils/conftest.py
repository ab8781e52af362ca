import os

import pytest


def _deep_file(root, levels: int, data: bytes = b"tief") -> bytes:
    """Creates ``levels`` folders of 250-byte names below ``root`` and a file in the
    deepest, each relative to its parent's descriptor: the whole path is longer than
    any single system call takes. Returns the file's path below ``root``."""
    names = [b"%03d" % level + b"x" * 247 for level in range(levels)]
    folder = os.open(root, os.O_RDONLY | os.O_DIRECTORY)
    try:
        for name in names:
            os.mkdir(name, dir_fd=folder)
            inner = os.open(name, os.O_RDONLY | os.O_DIRECTORY, dir_fd=folder)
            os.close(folder)
            folder = inner
        handle = os.open(b"datei.txt", os.O_WRONLY | os.O_CREAT, 0o640, dir_fd=folder)
        os.write(handle, data)
        os.close(handle)
    finally:
        os.close(folder)
    return b"/".join([*names, b"datei.txt"])


@pytest.fixture
def deep_file():
    """``deep_file(root, levels)``: see ``_deep_file``; 17 levels make a path of 4259 bytes."""
    return _deep_file

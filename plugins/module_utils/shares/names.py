# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Which file names and paths Windows clients and the target share cannot take.

Linux allows almost any byte in a name; SMB clients do not. Each rule returns a stable
finding key and a reason (``findings.Reason``: a code the catalog words in each language),
so pre-flight can report every problem before cut-over:

- ``shares.name_invalid_utf8``: the name is not valid UTF-8 (Samba cannot serve it);
- ``shares.name_invalid_character``: one of ``\\ : * ? " < > |`` or a control character;
- ``shares.name_trailing_dot_or_space``: Windows strips these, so the file is unreachable;
- ``shares.name_reserved``: CON, PRN, AUX, NUL, COM1-9, LPT1-9, with or without extension;
- ``shares.name_case_collision``: two names in one folder that a Windows client takes for
  one (see ``windows_key``);
- ``shares.path_too_long``: the full UNC path on the *target* is longer than the limit
  (260 UTF-16 units for Windows without long path support; 32,767 with it, which is
  what SMB itself carries), or a name is longer than 255 UTF-16 units. (A name on the
  Linux source has at most 255 bytes, NAME_MAX, which is never more than 255 UTF-16
  units and fits the Linux target as well.)
- ``shares.path_beyond_path_max``: the path below the share root is longer than Linux
  takes in one system call (PATH_MAX, 4096 bytes with its NUL). tar, which copies the
  content, and Samba on the target reach a file by that path, so such a path cannot be
  copied or served whatever the clients take: it is left out of every pass and reported.
Standard library only: runs on the file servers.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable

from ansible_collections.kommunal.umzug.plugins.module_utils import unc
from ansible_collections.kommunal.umzug.plugins.module_utils.findings import Reason

INVALID_CHARACTERS = re.compile(r'[\\:*?"<>|\x00-\x1f]')
RESERVED = {"CON", "PRN", "AUX", "NUL", *(f"COM{i}" for i in range(1, 10)), *(f"LPT{i}" for i in range(1, 10))}
MAX_NAME_UNITS = 255
PATH_MAX_BYTES = 4095  # PATH_MAX (4096) less the terminating NUL


def utf16_units(text: str) -> int:
    return len(text.encode("utf-16-le", "surrogatepass")) // 2


def name_problems(name: bytes) -> list[tuple[str, Reason]]:
    """Problems of one path component, as (finding key, reason)."""
    try:
        text = name.decode("utf-8")
    except UnicodeDecodeError:
        return [("shares.name_invalid_utf8", Reason("name_not_utf8"))]
    problems = []
    bad = sorted(set(INVALID_CHARACTERS.findall(text)))
    if bad:
        shown = ", ".join(repr(c) for c in bad)
        problems.append(("shares.name_invalid_character", Reason("name_invalid_character", characters=shown)))
    if text.endswith((".", " ")) and text not in (".", ".."):
        problems.append(("shares.name_trailing_dot_or_space", Reason("name_trailing_dot_or_space")))
    if text.split(".")[0].rstrip(" ").upper() in RESERVED:
        problems.append(("shares.name_reserved", Reason("name_reserved", device=text.split(".")[0].upper())))
    if utf16_units(text) > MAX_NAME_UNITS:
        problems.append(("shares.path_too_long", Reason("name_too_long", units=utf16_units(text),
                                                        limit=MAX_NAME_UNITS)))
    return problems


def beyond_path_max(path: bytes) -> bool:
    """Whether ``path``, as one system call gets it, is longer than Linux takes. A sync pass
    asks it of the whole target path (its own calls name the target root too); pre-flight,
    which does not know the target root, of the path below the share root."""
    return len(path) > PATH_MAX_BYTES


def path_problems(relative: bytes, unc_prefix: str, max_path: int) -> list[tuple[str, Reason]]:
    """Problems of one path below the share root (bytes, as the listing has it): too long for
    Linux (PATH_MAX), or the full path a client will see on the target, e.g.
    \\\\rz-fs\\altdorf-bauamt\\a\\b, longer than ``max_path`` UTF-16 units."""
    if beyond_path_max(relative):
        return [("shares.path_beyond_path_max", Reason("path_beyond_path_max", bytes=len(relative),
                                                       limit=PATH_MAX_BYTES))]
    try:
        text = relative.decode("utf-8")
    except UnicodeDecodeError:
        return []  # reported as shares.name_invalid_utf8; its length on the client is unknown
    full = unc.join(unc_prefix, text)
    units = utf16_units(full)
    if units > max_path:
        return [("shares.path_too_long", Reason("path_too_long", units=units, limit=max_path))]
    return []


def windows_key(name: str) -> str:
    """What a Windows client compares when it looks a name up. NTFS (and Samba's case
    insensitive lookup, which mimics it) upper-cases each UTF-16 unit with a simple
    one-to-one table: "ß" stays "ß", so "straße" and "STRASSE" are two names (casefold()
    would make them one), and characters outside the BMP are not changed at all.
    Precomposed and decomposed forms (NFC, as Windows keyboards write, and NFD, as macOS
    writes) look the same to a user who types or clicks the name, so they are compared as
    one: of two such names only one is reachable."""
    return "".join(_upper(ch) for ch in unicodedata.normalize("NFC", name))


def _upper(ch: str) -> str:
    upper = ch.upper()
    # A full mapping that grows the text ("ß" -> "SS") is not NTFS's simple mapping.
    return upper if len(upper) == 1 and ord(ch) < 0x10000 else ch


def case_collisions(names: Iterable[bytes]) -> list[list[bytes]]:
    """Groups of names in one folder that a Windows client sees as one (``windows_key``)."""
    groups: dict[str, list[bytes]] = {}
    for name in names:
        groups.setdefault(windows_key(name.decode("utf-8", "surrogateescape")), []).append(name)
    return [sorted(group) for group in groups.values() if len(group) > 1]

# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Which file names and paths Windows clients and the target share cannot take.

Linux allows almost any byte in a name; SMB clients do not. Each rule returns a stable
finding key and a sentence, so pre-flight can report every problem before cut-over:

- ``shares.name_invalid_utf8``: the name is not valid UTF-8 (Samba cannot serve it);
- ``shares.name_invalid_character``: one of ``\\ : * ? " < > |`` or a control character;
- ``shares.name_trailing_dot_or_space``: Windows strips these, so the file is unreachable;
- ``shares.name_reserved``: CON, PRN, AUX, NUL, COM1-9, LPT1-9, with or without extension;
- ``shares.name_case_collision``: two names in one folder that differ only in case;
- ``shares.path_too_long``: the full UNC path on the *target* is longer than the limit
  (260 UTF-16 units for Windows without long path support), or a name is longer than
  255 UTF-16 units.
Standard library only: runs on the file servers.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

INVALID_CHARACTERS = re.compile(r'[\\:*?"<>|\x00-\x1f]')
RESERVED = {"CON", "PRN", "AUX", "NUL", *(f"COM{i}" for i in range(1, 10)), *(f"LPT{i}" for i in range(1, 10))}
MAX_NAME_UNITS = 255


def utf16_units(text: str) -> int:
    return len(text.encode("utf-16-le", "surrogatepass")) // 2


def name_problems(name: bytes) -> list[tuple[str, str]]:
    """Problems of one path component, as (finding key, sentence)."""
    try:
        text = name.decode("utf-8")
    except UnicodeDecodeError:
        return [("shares.name_invalid_utf8", "the name is not valid UTF-8")]
    problems = []
    bad = sorted(set(INVALID_CHARACTERS.findall(text)))
    if bad:
        shown = ", ".join(repr(c) for c in bad)
        problems.append(("shares.name_invalid_character", f"the name contains {shown}, which SMB clients cannot use"))
    if text.endswith((".", " ")) and text not in (".", ".."):
        problems.append(("shares.name_trailing_dot_or_space", "the name ends in a dot or a space"))
    if text.split(".")[0].rstrip(" ").upper() in RESERVED:
        problems.append(("shares.name_reserved", f"{text.split('.')[0].upper()} is a reserved DOS device name"))
    if utf16_units(text) > MAX_NAME_UNITS:
        problems.append(("shares.path_too_long", f"the name has {utf16_units(text)} UTF-16 units, more than "
                                                 f"{MAX_NAME_UNITS}"))
    return problems


def path_problems(relative: str, unc_prefix: str, max_path: int) -> list[tuple[str, str]]:
    """The full path a client will see on the target, e.g. \\\\rz-fs\\altdorf-bauamt\\a\\b."""
    full = unc_prefix.rstrip("\\") + "\\" + relative.replace("/", "\\")
    units = utf16_units(full)
    if units > max_path:
        return [("shares.path_too_long", f"the path on the target has {units} characters, more than {max_path}")]
    return []


def case_collisions(names: Iterable[bytes]) -> list[list[bytes]]:
    """Groups of names in one folder that a case-insensitive client sees as one."""
    groups: dict[str, list[bytes]] = {}
    for name in names:
        groups.setdefault(name.decode("utf-8", "surrogateescape").casefold(), []).append(name)
    return [sorted(group) for group in groups.values() if len(group) > 1]

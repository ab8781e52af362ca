# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""What check mode and discovery show: a unified diff per file, and old server names in
files no profile manages (unmanaged references)."""

from __future__ import annotations

import difflib
import re

from ansible_collections.kommunal.umzug.plugins.module_utils.clients.endpoints.base import (
    BOMS,
    LINE_BREAK,
    ConfigError,
    Document,
)
from ansible_collections.kommunal.umzug.plugins.module_utils.findings import Finding

KEY_UNMANAGED = "clients.unmanaged_reference"
_NO_NEWLINE = "\\ No newline at end of file\n"


def unified_diff(path: str, before: bytes, after: bytes, encoding: str | None = None) -> str:
    """A unified diff of two versions of one file, decoded as the handlers decoded it.

    Lines keep their own line endings (a CRLF file diffs as CRLF lines) and a missing final
    line break is marked as diff(1) marks it, so the diff shows exactly what will be written.
    """
    old, new = (_lines(Document.decode(data, encoding).text) for data in (before, after))
    out = []
    for line in difflib.unified_diff(old, new, fromfile=path, tofile=path):
        out.append(line)
        if not line.endswith(("\n", "\r")):
            out.append("\n" + _NO_NEWLINE)
    return "".join(out)


def _lines(text: str) -> list[str]:
    lines, pos = [], 0
    for match in LINE_BREAK.finditer(text):
        lines.append(text[pos:match.end()])
        pos = match.end()
    if pos < len(text):
        lines.append(text[pos:])
    return lines


def host_pattern(hosts) -> re.Pattern:
    """A regex for any of ``hosts`` as a whole name: kommune-a-fs, not kommune-a-fs2 or
    10.1.2.3 inside 10.1.2.30; an FQDN after a short name still counts (it names the server)."""
    names = sorted({h.lower() for h in hosts if h}, key=len, reverse=True)
    if not names:
        raise ValueError("no host names to scan for")
    alternatives = "|".join(re.escape(name) for name in names)
    return re.compile(rf"(?<![A-Za-z0-9_.-])(?:{alternatives})(?![A-Za-z0-9_-]|\.\d)", re.IGNORECASE)


def scan_for_hosts(data: bytes, hosts, encoding: str | None = None) -> list[tuple[int, str]]:
    """(line number, line) for every line that names one of ``hosts``.

    Scanning only reads, so where a rewrite would refuse an undeclared encoding this falls
    back to latin-1, which maps every byte and keeps every ASCII host name findable.
    """
    pattern = host_pattern(hosts)
    try:
        doc = Document.decode(data, encoding)
    except ConfigError:
        codec = next((name for mark, name in BOMS if data.startswith(mark)), None)
        doc = Document.decode(data, "latin-1" if codec in (None, "utf-8") else codec)
    return [(number, doc.text[start:end]) for number, start, end in doc.lines()
            if pattern.search(doc.text, start, end)]


def unmanaged_reference_finding(path: str, hits: list[tuple[int, str]], *, kommune: str | None = None,
                                host: str | None = None) -> Finding:
    """One finding per file that still names an old server although no profile manages it."""
    lines = ", ".join(str(number) for number, _text in hits[:10]) + (" ..." if len(hits) > 10 else "")
    first = hits[0][1].strip()[:120]
    return Finding.of(KEY_UNMANAGED, path=path, lines=lines, first=repr(first), resources=(path,), kommune=kommune,
                      host=host)

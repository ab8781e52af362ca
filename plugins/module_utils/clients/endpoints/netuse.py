# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Logon scripts (.bat/.cmd) that map drives with ``net use``.

Selectors: ``{drive: "H:"}`` is the UNC path of ``net use H: \\\\server\\share ...``;
``{all_unc: true}`` is every UNC path on a command line of the script (``copy``, ``call``,
``start`` ...) whose server is written literally. ``%VARIABLE%`` servers cannot be mapped
and are left to the unmanaged-reference scan. ``REM`` and ``::`` lines are comments and are
never rewritten. cmd.exe reads these files in the OEM code page (cp850 in Germany): a file
with umlauts must have its encoding declared in the profile.
"""

from __future__ import annotations

import re

from ansible_collections.kommunal.umzug.plugins.module_utils.clients.endpoints.base import ProfileError, Unparseable
from ansible_collections.kommunal.umzug.plugins.module_utils.clients.endpoints.handler import Handler
from ansible_collections.kommunal.umzug.plugins.module_utils.findings import Reason

_COMMENT = re.compile(r"\s*@?\s*(?:rem(?:\s|$)|::)", re.IGNORECASE)
_NET_USE = re.compile(r"(?:^|(?<=[\s&|(@]))net(?:\.exe)?\s+use(?=\s)", re.IGNORECASE)
_TOKEN = re.compile(r'"[^"]*"|[^\s"&|<>]+(?:"[^"]*"[^\s"&|<>]*)*')
_LITERAL_UNC = re.compile(r'\\\\[A-Za-z0-9_][A-Za-z0-9_.-]*(?:\\[^\\\s"&|<>]*)*')
_QUOTED_UNC = re.compile(r'"(\\\\[A-Za-z0-9_][A-Za-z0-9_.-]*[^"]*)"')


def _net_use_unc(line: str, number: int):
    """(device or None, start, end of the UNC path) of a ``net use`` command, or None."""
    command = _NET_USE.search(line)
    if not command:
        return None
    rest_start = command.end()
    if line.count('"', rest_start) % 2:
        raise Unparseable(number, Reason("netuse_unbalanced_quote"))
    device = None
    for token in _TOKEN.finditer(line, rest_start):
        text = token.group(0)
        if text in ("&", "|") or text.startswith("/"):
            break
        inner = text[1:-1] if text.startswith('"') and text.endswith('"') and len(text) > 1 else text
        if inner.startswith("\\\\"):
            offset = 1 if inner is not text else 0
            return device, token.start() + offset, token.start() + offset + len(inner)
        if device is not None:
            return None
        device = text
    return None


class NetUseHandler(Handler):
    name = "netuse"
    optional_fields = (("drive", str), ("all_unc", bool))

    def check_selector(self, fields):
        if ("drive" in fields) == bool(fields.get("all_unc")):
            raise ProfileError(f"netuse selector {fields!r}: give either drive or all_unc: true")

    def locate(self, doc, selectors):
        found = []
        for number, start, end in doc.lines():
            line = doc.text[start:end]
            if _COMMENT.match(line):
                continue
            net_use = _net_use_unc(line, number)
            for sel in selectors:
                if sel.get("all_unc"):
                    found += [doc.occurrence(sel, start + s, start + e) for s, e in _uncs(line)]
                elif net_use and net_use[0] and net_use[0].lower() == sel.get("drive").lower():
                    found.append(doc.occurrence(sel, start + net_use[1], start + net_use[2]))
        return found


def _uncs(line: str):
    """Spans of literal UNC paths: a quoted one runs to its quote, a bare one to a blank."""
    spans, quoted = [], []
    for match in _QUOTED_UNC.finditer(line):
        quoted.append(match.span(1))
        spans.append(match.span(1))
    for match in _LITERAL_UNC.finditer(line):
        if match.start() > 0 and line[match.start() - 1] == "\\":
            continue
        if not any(s <= match.start() < e for s, e in quoted):
            spans.append(match.span())
    return sorted(spans)

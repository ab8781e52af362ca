# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Windows registry exports (.reg), as regedit writes them.

Selector: ``{key: 'HKEY_LOCAL_MACHINE\\SOFTWARE\\Vendor\\App', value: Server}``; ``value: "@"``
is the key's default value. Key and value names match case-insensitively, like the
registry; ``HKLM``, ``HKCU``, ``HKCR``, ``HKU`` and ``HKCC`` may abbreviate the root key.

regedit 5 files are UTF-16 LE with BOM and CRLF (the BOM says so); REGEDIT4 files are in
the ANSI code page, which the profile must declare if they hold anything but ASCII. Only
string values (``"Name"="..."``, with ``\\\\`` and ``\\"`` escaped) are rewritten. A selected
``hex(2)`` (REG_EXPAND_SZ) value is decoded and reported if it would change; a ``dword`` is
no endpoint. Any line that is not a header, key, value, continuation or ``;`` comment makes
the file unparseable.
"""

from __future__ import annotations

import re

from ansible_collections.kommunal.umzug.plugins.module_utils.clients.endpoints.base import Unparseable
from ansible_collections.kommunal.umzug.plugins.module_utils.clients.endpoints.handler import Handler
from ansible_collections.kommunal.umzug.plugins.module_utils.findings import Reason

HEADERS = ("Windows Registry Editor Version 5.00", "REGEDIT4")
ROOTS = {"HKLM": "HKEY_LOCAL_MACHINE", "HKCU": "HKEY_CURRENT_USER", "HKCR": "HKEY_CLASSES_ROOT",
         "HKU": "HKEY_USERS", "HKCC": "HKEY_CURRENT_CONFIG"}
_KEY = re.compile(r"\[(?P<delete>-?)(?P<key>[^\]]+)\]\s*")
_TYPED = re.compile(r"(?:dword:[0-9A-Fa-f]{1,8}|hex(?:\([0-9A-Fa-f]+\))?:[0-9A-Fa-f,\s]*\\?|-)\s*")


def normalise_key(key: str) -> str:
    root, _sep, rest = key.strip().strip("\\").partition("\\")
    root = ROOTS.get(root.upper(), root.upper())
    return f"{root}\\{rest}".lower() if rest else root.lower()


def _string(text: str, pos: int, line: int):
    """A quoted .reg string starting at ``pos``: (value, offsets, end after the closing quote)."""
    chars, offsets = [], []
    pos += 1
    while pos < len(text) and text[pos] not in "\r\n":
        char = text[pos]
        if char == '"':
            offsets.append(pos)
            return "".join(chars), offsets, pos + 1
        offsets.append(pos)
        if char == "\\":
            if pos + 1 >= len(text) or text[pos + 1] not in '\\"':
                raise Unparseable(line, Reason("reg_unknown_escape", escape=repr(text[pos:pos + 2])))
            chars.append(text[pos + 1])
            pos += 2
        else:
            chars.append(char)
            pos += 1
    raise Unparseable(line, Reason("reg_unclosed_string"))


def parse_reg(doc):
    """Yield (key, name, kind, value, offsets, start, end) for every value line."""
    key = None
    continued = False
    for number, start, end in doc.lines():
        line = doc.text[start:end]
        stripped = line.strip()
        if number == 1:
            if stripped not in HEADERS:
                raise Unparseable(1, Reason("reg_not_an_export", first=repr(stripped[:40]), header=repr(HEADERS[0]),
                                            other=repr(HEADERS[1])))
            continue
        if continued:
            # Continuation lines of a hex value: only hex pairs, commas and a final backslash.
            if not re.fullmatch(r"[0-9A-Fa-f,\s]*\\?", stripped):
                raise Unparseable(number, Reason("reg_broken_hex"))
            continued = stripped.endswith("\\")
            continue
        if not stripped or stripped.startswith(";"):
            continue
        if match := _KEY.fullmatch(line.lstrip()):
            key = None if match["delete"] else normalise_key(match["key"])
            continue
        if key is None:
            raise Unparseable(number, Reason("reg_value_outside_key"))
        if stripped.startswith("@"):
            name, pos = "@", start + line.index("@") + 1
        elif stripped.startswith('"'):
            name, _offsets, pos = _string(doc.text, start + line.index('"'), number)
        else:
            raise Unparseable(number, Reason("reg_not_an_entry", line=repr(stripped[:60])))
        rest = doc.text[pos:end]
        if not rest.startswith("="):
            raise Unparseable(number, Reason("reg_no_equals"))
        pos += 1
        if doc.text.startswith('"', pos):
            value, offsets, after = _string(doc.text, pos, number)
            if doc.text[after:end].strip():
                raise Unparseable(number, Reason("reg_text_after_quote"))
            yield key, name, "string", value, offsets, pos + 1, after - 1
        elif _TYPED.fullmatch(doc.text, pos, end):
            continued = doc.text[pos:end].rstrip().endswith("\\")
            yield key, name, "typed", None, None, pos, end
        else:
            raise Unparseable(number, Reason("reg_unknown_type", value=repr(doc.text[pos:end][:40])))


def _expand_string(doc, start):
    """The text of a hex(2) value (UTF-16 LE bytes, NUL-terminated) and where it ends."""
    pos, hex_text = start, []
    while True:
        line_end = doc.text.find("\n", pos)
        line_end = len(doc.text) if line_end < 0 else line_end
        chunk = doc.text[pos:line_end].strip()
        hex_text.append(chunk.rstrip("\\"))
        if not chunk.endswith("\\"):
            break
        pos = line_end + 1
    pairs = [p.strip() for p in ",".join(hex_text).split(":", 1)[1].split(",") if p.strip()]
    raw = bytes(int(p, 16) for p in pairs)
    return raw.decode("utf-16-le", errors="replace").rstrip("\0"), line_end


class RegHandler(Handler):
    name = "reg"
    fields = (("key", str), ("value", str))

    def locate(self, doc, selectors):
        found = []
        for key, name, kind, value, offsets, start, end in parse_reg(doc):
            for sel in selectors:
                if key != normalise_key(sel.get("key")) or name.lower() != sel.get("value").lower():
                    continue
                if kind == "string":
                    found.append(doc.occurrence(sel, start, end, value, offsets, quoting='"'))
                elif doc.text[start:end].lower().startswith("hex(2):"):
                    text, stop = _expand_string(doc, start)
                    found.append(doc.occurrence(sel, start, stop, value=text, offsets=None,
                                                unsupported=Reason("reg_expand_sz")))
                else:
                    found.append(doc.unreadable(sel, start, end,
                                                Reason("value_not_a_string", value=repr(doc.text[start:end][:30]))))
        return found

    def escape(self, text, quoting):
        return text.replace("\\", "\\\\").replace('"', '\\"')

# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Java properties files, read as java.util.Properties.load reads them.

Selector: ``{key: server.url}`` (keys are case-sensitive, compared after unescaping).
Comments start with ``#`` or ``!``; key and value are separated by ``=``, ``:`` or blanks;
a line ending in an odd number of backslashes continues on the next one; ``\\uXXXX`` and
backslash escapes are decoded. A malformed ``\\u`` escape makes the file unparseable, as
it makes Java throw. Java 9+ reads UTF-8 by default; a latin-1 file must be declared in
the profile, and a replacement that latin-1 cannot hold is written as ``\\uXXXX``.
"""

from __future__ import annotations

from ansible_collections.kommunal.umzug.plugins.module_utils.clients.endpoints.base import Unparseable
from ansible_collections.kommunal.umzug.plugins.module_utils.clients.endpoints.handler import Handler
from ansible_collections.kommunal.umzug.plugins.module_utils.findings import Reason

_BLANKS = " \t\f"
_SIMPLE_ESCAPES = {"t": "\t", "n": "\n", "r": "\r", "f": "\f"}


class _Reader:
    """Reads one logical line's characters, decoding escapes and following continuations."""

    def __init__(self, doc, start):
        self.text, self.pos, self.doc = doc.text, start, doc

    def at_end(self):
        return self.pos >= len(self.text) or self.text[self.pos] in "\r\n"

    def skip_continuation(self):
        """After a backslash-newline: the break and the next line's leading blanks vanish."""
        if self.text.startswith("\r\n", self.pos):
            self.pos += 2
        else:
            self.pos += 1
        while self.pos < len(self.text) and self.text[self.pos] in _BLANKS:
            self.pos += 1

    def skip_blanks(self):
        while not self.at_end() and self.text[self.pos] in _BLANKS:
            self.pos += 1

    def next_char(self):
        """(logical character, raw start) or None at the end of the logical line."""
        while True:
            if self.at_end():
                return None
            start, char = self.pos, self.text[self.pos]
            if char != "\\":
                self.pos += 1
                return char, start
            if self.pos + 1 >= len(self.text):
                self.pos += 1
                return None
            esc = self.text[self.pos + 1]
            if esc in "\r\n":
                self.pos += 1
                self.skip_continuation()
                continue
            if esc == "u":
                digits = self.text[self.pos + 2:self.pos + 6]
                if len(digits) != 4 or any(c not in "0123456789abcdefABCDEF" for c in digits):
                    raise Unparseable(self.doc.line_of(start), Reason("properties_bad_escape", digits=repr(digits)))
                self.pos += 6
                return chr(int(digits, 16)), start
            self.pos += 2
            return _SIMPLE_ESCAPES.get(esc, esc), start


def parse_properties(doc):
    """Yield (key, value, offsets) for every entry; offsets as in Occurrence.offsets."""
    consumed = 0
    for _number, start, end in doc.lines():
        if start < consumed:
            continue
        line = doc.text[start:end]
        body = line.lstrip(_BLANKS)
        # Comment lines never continue, even when they end in a backslash (as in Java).
        if not body or body[0] in "#!":
            continue
        reader = _Reader(doc, start + len(line) - len(body))
        key = []
        while (item := reader.next_char()) is not None:
            char, raw = item
            if doc.text[raw] != "\\" and char in "=: \t\f":
                reader.pos = raw
                break
            key.append(char)
        reader.skip_blanks()
        if not reader.at_end() and doc.text[reader.pos] in "=:":
            reader.pos += 1
            reader.skip_blanks()
        value, offsets = [], []
        while (item := reader.next_char()) is not None:
            value.append(item[0])
            offsets.append(item[1])
        offsets.append(reader.pos)
        consumed = reader.pos
        yield "".join(key), "".join(value), offsets


class PropertiesHandler(Handler):
    name = "properties"
    fields = (("key", str),)

    def locate(self, doc, selectors):
        found = []
        for key, value, offsets in parse_properties(doc):
            for sel in selectors:
                if key == sel.get("key"):
                    start, end = offsets[0], offsets[-1]
                    found.append(doc.occurrence(sel, start, end, value=value, offsets=offsets))
        return found

    def escape(self, text, quoting):
        out = []
        for char in text:
            if char == "\\":
                out.append("\\\\")
            elif ord(char) > 0x7E or ord(char) < 0x20:
                # Always safe whatever the declared encoding; a host name never needs it.
                out.append(f"\\u{ord(char):04x}")
            else:
                out.append(char)
        return "".join(out)

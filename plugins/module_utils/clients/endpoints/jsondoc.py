# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""JSON files. Selector: ``{path: "$.db.host"}`` (the path language is in paths.py).

The file is validated with the json module (for its precise error messages) and then
scanned once more by a small parser that keeps the position of every string, because
json.loads forgets where a value came from. Only string values hold endpoints.
"""

from __future__ import annotations

import json
import re

from ansible_collections.kommunal.umzug.plugins.module_utils.clients.endpoints.base import Unparseable
from ansible_collections.kommunal.umzug.plugins.module_utils.clients.endpoints.handler import Handler
from ansible_collections.kommunal.umzug.plugins.module_utils.clients.endpoints.paths import parse_path, select
from ansible_collections.kommunal.umzug.plugins.module_utils.findings import Reason

_WS = re.compile(r"[ \t\r\n]*")
_LITERAL = re.compile(r"-?Infinity|NaN|true|false|null|-?\d+(?:\.\d+)?(?:[eE][+-]?\d+)?")
_ESCAPES = {'"': '"', "\\": "\\", "/": "/", "b": "\b", "f": "\f", "n": "\n", "r": "\r", "t": "\t"}


class _String:
    def __init__(self, value, offsets):
        self.value, self.offsets = value, offsets


class _Scalar:
    def __init__(self, start, end):
        self.start, self.end = start, end


class _Parser:
    """Positions of a document json.loads already accepted; it does not re-check validity."""

    def __init__(self, text):
        self.text, self.pos = text, 0

    def skip(self):
        self.pos = _WS.match(self.text, self.pos).end()

    def value(self):
        self.skip()
        char = self.text[self.pos]
        if char == "{":
            return self.container("}", member=True)
        if char == "[":
            return self.container("]", member=False)
        if char == '"':
            return self.string()
        match = _LITERAL.match(self.text, self.pos)
        self.pos = match.end()
        return _Scalar(match.start(), match.end())

    def container(self, close, member):
        start = self.pos
        self.pos += 1
        items = []
        self.skip()
        if self.text[self.pos] == close:
            self.pos += 1
            return dict(items=items, member=member, start=start, end=self.pos)
        while True:
            if member:
                self.skip()
                key = self.string().value
                self.skip()
                self.pos += 1  # the colon
                items.append((key, self.value()))
            else:
                items.append(self.value())
            self.skip()
            separator = self.text[self.pos]
            self.pos += 1
            if separator == close:
                return dict(items=items, member=member, start=start, end=self.pos)

    def string(self):
        self.pos += 1
        chars, offsets = [], []
        while self.text[self.pos] != '"':
            start = self.pos
            if self.text[self.pos] != "\\":
                chars.append(self.text[self.pos])
                self.pos += 1
            elif self.text[self.pos + 1] == "u":
                code = int(self.text[self.pos + 2:self.pos + 6], 16)
                self.pos += 6
                if 0xD800 <= code < 0xDC00 and self.text.startswith("\\u", self.pos):
                    low = int(self.text[self.pos + 2:self.pos + 6], 16)
                    if 0xDC00 <= low < 0xE000:
                        code = 0x10000 + ((code - 0xD800) << 10) + (low - 0xDC00)
                        self.pos += 6
                chars.append(chr(code))
            else:
                chars.append(_ESCAPES[self.text[self.pos + 1]])
                self.pos += 2
            offsets.append(start)
        offsets.append(self.pos)
        self.pos += 1
        return _String("".join(chars), offsets)


def _members(node):
    return node["items"] if isinstance(node, dict) and node["member"] else None


def _elements(node):
    return node["items"] if isinstance(node, dict) and not node["member"] else None


class JsonHandler(Handler):
    name = "json"
    fields = (("path", str),)

    def check_selector(self, fields):
        parse_path(fields["path"])

    def locate(self, doc, selectors):
        try:
            json.loads(doc.text)
        except json.JSONDecodeError as err:
            raise Unparseable(err.lineno, Reason("invalid_json", error=err.msg, column=err.colno)) from None
        root = _Parser(doc.text).value()
        found = []
        for sel in selectors:
            for node in select(root, parse_path(sel.get("path")), _members, _elements):
                if isinstance(node, _String):
                    found.append(doc.occurrence(sel, node.offsets[0], node.offsets[-1], node.value,
                                                node.offsets))
                else:
                    if isinstance(node, _Scalar):
                        start, end = node.start, node.end
                        reason = Reason("json_reaches_scalar", value=doc.text[node.start:node.end][:40])
                    else:
                        start, end = node["start"], node["end"]
                        reason = Reason("json_reaches_container")
                    found.append(doc.unreadable(sel, start, end, reason))
        return found

    def escape(self, text, quoting):
        return json.dumps(text, ensure_ascii=False)[1:-1]

# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""YAML files. Selector: ``{path: "$.db.host"}`` (the path language is in paths.py).

PyYAML composes the node tree, whose marks give each scalar's position; the value is then
spliced in place, so comments, anchors and layout stay. A path is applied to every
document of a multi-document file. Plain, single- and double-quoted scalars on one line
are rewritten; a block or multi-line scalar is read but only reported if it would change.
PyYAML is imported lazily: targets have it as python3-yaml, and only this format needs it.
"""

from __future__ import annotations

from ansible_collections.kommunal.umzug.plugins.module_utils.clients.endpoints.base import (
    MissingDependency,
    Unparseable,
)
from ansible_collections.kommunal.umzug.plugins.module_utils.clients.endpoints.handler import Handler
from ansible_collections.kommunal.umzug.plugins.module_utils.clients.endpoints.paths import parse_path, select
from ansible_collections.kommunal.umzug.plugins.module_utils.findings import Reason

_DOUBLE_ESCAPES = {"0": "\0", "a": "\a", "b": "\b", "t": "\t", "\t": "\t", "n": "\n", "v": "\v", "f": "\f",
                   "r": "\r", "e": "\x1b", " ": " ", '"': '"', "/": "/", "\\": "\\", "N": "\x85",
                   "_": "\xa0", "L": "\u2028", "P": "\u2029"}
_HEX_ESCAPES = {"x": 2, "u": 4, "U": 8}


def _yaml():
    try:
        import yaml
    except ImportError:
        raise MissingDependency("the yaml format needs PyYAML on the target "
                                "(Debian: apt install python3-yaml)") from None
    return yaml


def _members(node):
    if type(node).__name__ != "MappingNode":
        return None
    return [(key.value, value) for key, value in node.value if type(key).__name__ == "ScalarNode"]


def _elements(node):
    return node.value if type(node).__name__ == "SequenceNode" else None


def _unquote(raw: str, start: int, style: str):
    """The logical text of a one-line quoted scalar and its offsets, start being raw's position."""
    chars, offsets, pos = [], [], 1
    while pos < len(raw) - 1:
        offsets.append(start + pos)
        char = raw[pos]
        if style == "'" and char == "'":
            chars.append("'")
            pos += 2
        elif style == '"' and char == "\\":
            esc = raw[pos + 1]
            if esc in _HEX_ESCAPES:
                width = _HEX_ESCAPES[esc]
                chars.append(chr(int(raw[pos + 2:pos + 2 + width], 16)))
                pos += 2 + width
            else:
                chars.append(_DOUBLE_ESCAPES[esc])
                pos += 2
        else:
            chars.append(char)
            pos += 1
    offsets.append(start + len(raw) - 1)
    return "".join(chars), offsets


class YamlHandler(Handler):
    name = "yaml"
    fields = (("path", str),)

    def check_selector(self, fields):
        parse_path(fields["path"])

    def locate(self, doc, selectors):
        yaml = _yaml()
        try:
            roots = list(yaml.compose_all(doc.text, Loader=yaml.SafeLoader))
        except yaml.YAMLError as err:
            mark = getattr(err, "problem_mark", None) or getattr(err, "context_mark", None)
            line = mark.line + 1 if mark is not None else _reader_line(doc, err)
            problem = getattr(err, "problem", None) or str(err).splitlines()[0]
            raise Unparseable(line, Reason("invalid_yaml", error=problem)) from None
        found = []
        for sel in selectors:
            steps = parse_path(sel.get("path"))
            for root in roots:
                for node in select(root, steps, _members, _elements):
                    found.append(self._occurrence(doc, sel, node))
        return found

    @staticmethod
    def _occurrence(doc, sel, node):
        start, end = node.start_mark.index, node.end_mark.index
        if type(node).__name__ != "ScalarNode":
            return doc.unreadable(sel, start, end, Reason("yaml_reaches_container"))
        raw = doc.text[start:end]
        # An anchor or tag before the value (&fb host, !!str 'x') is not part of it.
        if node.style in ("'", '"'):
            start += raw.index(node.style)
            raw = doc.text[start:end]
        elif node.style is None and raw != node.value and raw.endswith(" " + node.value):
            start = end - len(node.value)
            raw = node.value
        if node.style in ("|", ">") or "\n" in raw or "\r" in raw:
            return doc.occurrence(sel, start, end, value=node.value.strip(), offsets=None,
                                  unsupported=Reason("yaml_block_scalar"))
        if node.style in ("'", '"'):
            value, offsets = _unquote(raw, start, node.style)
            return doc.occurrence(sel, offsets[0], offsets[-1], value, offsets,
                                  quoting=node.style)
        if node.tag != "tag:yaml.org,2002:str" and not node.tag.startswith("tag:yaml.org,2002:str"):
            return doc.unreadable(sel, start, end, Reason("value_not_a_string", value=repr(node.value)))
        return doc.occurrence(sel, start, end)

    def escape(self, text, quoting):
        if quoting == "'":
            return text.replace("'", "''")
        if quoting == '"':
            return text.replace("\\", "\\\\").replace('"', '\\"')
        return text


def _reader_line(doc, err):
    position = getattr(err, "position", None)
    return doc.line_of(position) if isinstance(position, int) else 1

# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""XML files, addressed by a small XPath subset. Selector: ``{xpath: "/config/server/@host"}``.

expat checks the file is well-formed (and says where it is not); a scanner then finds the
byte positions of elements and attributes, because ElementTree and minidom re-serialise
and would lose comments, quoting and layout. Supported XPath:

* absolute steps ``/a/b/c``; ``//b`` at the start finds ``b`` at any depth;
* a step is a name as written in the file (prefix included, namespaces are not resolved)
  or ``*``, with optional predicates ``[@attr='value']`` or ``[@attr]``;
* the last step may be ``@attr`` (an attribute value) or ``text()``; without either the
  element's text content is meant (a single text or CDATA run, surrounding blanks ignored).

Example (.NET app.config): ``/configuration/appSettings/add[@key='ServerUrl']/@value``.
The encoding comes from the BOM, the XML declaration or the profile (they must agree).
"""

from __future__ import annotations

import re
import xml.parsers.expat

from ansible_collections.kommunal.umzug.plugins.module_utils.clients.endpoints.base import (
    BOMS,
    Document,
    ProfileError,
    Unparseable,
)
from ansible_collections.kommunal.umzug.plugins.module_utils.clients.endpoints.handler import Handler
from ansible_collections.kommunal.umzug.plugins.module_utils.findings import Reason

_NAME = r"[^\s/<>=\"'!?]+"
_TOKEN = re.compile(
    r"(?P<comment><!--.*?-->)|(?P<cdata><!\[CDATA\[(?P<cdata_text>.*?)\]\]>)|(?P<pi><\?.*?\?>)"
    r"|(?P<doctype><!DOCTYPE(?:[^\[>]|\[.*?\])*>)"
    rf"|(?P<end></(?P<end_name>{_NAME})\s*>)"
    rf"|(?P<start><(?P<name>{_NAME})(?P<attrs>(?:\s+{_NAME}\s*=\s*(?:\"[^\"]*\"|'[^']*'))*)\s*(?P<empty>/?)>)"
    r"|(?P<text>[^<]+)",
    re.DOTALL,
)
_ATTR = re.compile(rf"(?P<name>{_NAME})\s*=\s*(?P<quote>[\"'])(?P<value>.*?)(?P=quote)", re.DOTALL)
_DECLARED = re.compile(rb"<\?xml[^>]*?encoding\s*=\s*[\"']([A-Za-z0-9._-]+)[\"']")
_STEP = re.compile(r"(?P<name>[^\s/<>=\"'!?\[\]]+|\*)(?P<preds>(?:\[[^\]]*\])*)")
_PRED = re.compile(r"\[@(?P<attr>[^=\]\s]+)\s*(?:=\s*(?P<q>[\"'])(?P<value>.*?)(?P=q))?\s*\]")
_ENTITY = re.compile(r"&(?:#x([0-9A-Fa-f]+)|#([0-9]+)|(lt|gt|amp|quot|apos));")
_NAMED = {"lt": "<", "gt": ">", "amp": "&", "quot": '"', "apos": "'"}


class _Element:
    """An element: attributes as name -> (value start, value end, quote, raw value), its
    child elements, its content tokens, and where its start tag ends."""

    def __init__(self, name, attrs, parent, after):
        self.name, self.attrs, self.parent, self.after = name, attrs, parent, after
        self.children, self.content = [], []


def parse_xpath(xpath: str):
    """(descendant?, [(name, [(attr, value|None)])], target) where target is ('attr', name) or ('text',)."""
    if not isinstance(xpath, str) or not xpath.startswith("/"):
        raise ProfileError(f"xpath {xpath!r} must be absolute (start with '/')")
    descendant = xpath.startswith("//")
    parts = xpath.lstrip("/").split("/")
    target = ("text",)
    if parts and parts[-1].startswith("@"):
        target = ("attr", parts.pop()[1:])
        if not re.fullmatch(_NAME, target[1]):
            raise ProfileError(f"xpath {xpath!r}: {target[1]!r} is not an attribute name")
    elif parts and parts[-1] == "text()":
        parts.pop()
    steps = []
    for part in parts:
        match = _STEP.fullmatch(part)
        if not match or (match["preds"] and "".join(p.group(0) for p in _PRED.finditer(match["preds"]))
                         != match["preds"]):
            raise ProfileError(f"xpath {xpath!r}: step {part!r} is outside the supported subset")
        steps.append((match["name"], [(p["attr"], p["value"]) for p in _PRED.finditer(match["preds"])]))
    if not steps:
        raise ProfileError(f"xpath {xpath!r} names no element")
    return descendant, steps, target


def _decode_entities(raw: str, start: int):
    chars, offsets, pos = [], [], 0
    while pos < len(raw):
        offsets.append(start + pos)
        match = _ENTITY.match(raw, pos) if raw[pos] == "&" else None
        if raw[pos] == "&" and match is None:
            return None, None
        if match:
            if match[3]:
                chars.append(_NAMED[match[3]])
            else:
                chars.append(chr(int(match[1], 16) if match[1] else int(match[2])))
            pos = match.end()
        else:
            chars.append(raw[pos])
            pos += 1
    offsets.append(start + len(raw))
    return "".join(chars), offsets


class XmlHandler(Handler):
    name = "xml"
    fields = (("xpath", str),)

    def check_selector(self, fields):
        parse_xpath(fields["xpath"])

    def decode(self, data, encoding):
        declared = None
        if not any(data.startswith(mark) for mark, _name in BOMS):
            match = _DECLARED.match(data)
            declared = match[1].decode("ascii") if match else None
        if declared and encoding and declared.lower() != encoding.lower():
            raise Unparseable(1, Reason("xml_declaration_mismatch", declared=declared, encoding=encoding))
        return Document.decode(data, encoding or declared, self.default_encoding)

    def locate(self, doc, selectors):
        parser = xml.parsers.expat.ParserCreate()
        try:
            parser.Parse(doc.text, True)
        except xml.parsers.expat.ExpatError as err:
            message = xml.parsers.expat.errors.messages[err.code]
            raise Unparseable(err.lineno, Reason("invalid_xml", error=message)) from None
        root = self._scan(doc.text)
        found = []
        for sel in selectors:
            descendant, steps, target = parse_xpath(sel.get("xpath"))
            for element in _select(root, descendant, steps):
                occ = self._value(doc, sel, element, target)
                if occ is not None:
                    found.append(occ)
        return found

    @staticmethod
    def _scan(text):
        """A tree of elements with attribute and content positions (the text is known to be well-formed)."""
        document = _Element("", {}, None, 0)
        current = document
        for token in _TOKEN.finditer(text):
            if token["start"]:
                attrs = {}
                base = token.start("attrs")
                for attr in _ATTR.finditer(token["attrs"]):
                    attrs[attr["name"]] = (base + attr.start("value"), base + attr.end("value"),
                                           attr["quote"], attr["value"])
                element = _Element(token["name"], attrs, current, token.end())
                current.children.append(element)
                if not token["empty"]:
                    current = element
            elif token["end"]:
                current = current.parent
            elif current is not document:
                current.content.append(token)
        return document

    @staticmethod
    def _value(doc, sel, element, target):
        if target[0] == "attr":
            if target[1] not in element.attrs:
                return None
            start, end, quote, _raw = element.attrs[target[1]]
            value, offsets = _decode_entities(doc.text[start:end], start)
            if value is None:
                return doc.occurrence(sel, start, end, value=doc.text[start:end], offsets=None,
                                      unsupported=Reason("xml_attribute_entity"))
            return doc.occurrence(sel, start, end, value, offsets, quoting=quote)
        runs = [t for t in element.content if not (t["text"] and not t["text"].strip()) and not t["comment"]]
        if element.children or len(runs) > 1 or any(t["pi"] for t in runs):
            span = ((element.content[0].start(), element.content[-1].end()) if element.content
                    else (element.after, element.after))
            return doc.unreadable(sel, *span, Reason("xml_mixed_content", element=element.name))
        if not runs:
            # <url/> or <url>  </url>: an empty value, reported as such by the endpoint check.
            start = element.content[0].start() if element.content else element.after
            return doc.occurrence(sel, start, start)
        run = runs[0]
        if run["cdata"]:
            start, end = run.start("cdata_text"), run.end("cdata_text")
            raw = doc.text[start:end]
            lead = len(raw) - len(raw.lstrip())
            return doc.occurrence(sel, start + lead, start + len(raw.rstrip()), quoting="cdata")
        raw = run["text"]
        lead = len(raw) - len(raw.lstrip())
        start, end = run.start() + lead, run.start() + len(raw.rstrip())
        value, offsets = _decode_entities(doc.text[start:end], start)
        if value is None:
            return doc.occurrence(sel, start, end, value=doc.text[start:end], offsets=None,
                                  unsupported=Reason("xml_text_entity"))
        return doc.occurrence(sel, start, end, value, offsets, quoting="text")

    def escape(self, text, quoting):
        if quoting == "cdata":
            return text
        text = text.replace("&", "&amp;").replace("<", "&lt;")
        if quoting == "text":
            return text.replace(">", "&gt;")
        return text.replace(quoting, "&quot;" if quoting == '"' else "&apos;")


def _matches(element, step):
    name, predicates = step
    if name != "*" and element.name != name:
        return False
    for attr, value in predicates:
        if attr not in element.attrs:
            return False
        if value is not None and _decode_entities(element.attrs[attr][3], 0)[0] != value:
            return False
    return True


def _select(document, descendant, steps):
    if descendant:
        nodes = [e for e in _walk(document) if _matches(e, steps[0])]
    else:
        nodes = [e for e in document.children if _matches(e, steps[0])]
    for step in steps[1:]:
        nodes = [child for node in nodes for child in node.children if _matches(child, step)]
    return nodes


def _walk(element):
    for child in element.children:
        yield child
        yield from _walk(child)

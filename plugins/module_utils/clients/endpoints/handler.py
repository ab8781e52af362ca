# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The one rewrite algorithm every format shares; a format only locates values and escapes text."""

from __future__ import annotations

from ansible_collections.kommunal.umzug.plugins.module_utils.clients.endpoints.base import (
    KEY_NO_MATCH,
    KEY_UNENCODABLE,
    KEY_UNRECOGNISED,
    Change,
    Document,
    Occurrence,
    Problem,
    ProfileError,
    Refused,
    Selector,
    selector_label,
)
from ansible_collections.kommunal.umzug.plugins.module_utils.clients.endpoints.values import (
    EndpointMap,
    EndpointUnrecognised,
    apply_edits,
    as_map,
    endpoint_edits,
)
from ansible_collections.kommunal.umzug.plugins.module_utils.findings import Reason


class Handler:
    """A format: which selector fields it takes, how it finds values, how it escapes text.

    Subclasses set ``name``, ``fields`` (required selector fields) and ``optional_fields``,
    both as (name, type) pairs, and implement ``locate``; formats that escape values
    override ``escape``. Every selector may also carry ``optional: true``: then matching nothing in a
    file is not a finding (for settings a client may or may not have).
    """

    name = ""
    default_encoding = "utf-8"
    fields = ()
    optional_fields = ()

    def find(self, data: bytes, selectors: list[dict], encoding: str | None = None) -> list[Occurrence]:
        """Every value the selectors point at, in file order; raises Unparseable."""
        return _unique(self.locate(self.decode(data, encoding), self.selectors(selectors)))

    def rewrite(self, data: bytes, selectors: list[dict], mapping: EndpointMap | dict | None,
                encoding: str | None = None) -> tuple[bytes, list[Change]]:
        """The file with every selected endpoint re-pointed, and what changed.

        Raises Unparseable, or Refused with every problem at once: a file is rewritten
        completely or not at all, so a client is never left half re-pointed.
        """
        mapping = as_map(mapping)
        doc = self.decode(data, encoding)
        selectors = self.selectors(selectors)
        located = self.locate(doc, selectors)
        matched = {occ.selector for occ in located}
        occurrences = _unique(located)
        problems = [Problem(KEY_NO_MATCH, 1, Reason("selector_no_match"), s.label)
                    for s in selectors if not s.optional and s.label not in matched]
        splices, changes = [], []
        for occ in occurrences:
            if occ.value is None:
                problems.append(Problem(KEY_UNRECOGNISED, occ.line, occ.unsupported, occ.selector))
                continue
            try:
                edits = endpoint_edits(occ.value, mapping)
            except EndpointUnrecognised as err:
                problems.append(Problem(KEY_UNRECOGNISED, occ.line, err.reason, occ.selector))
                continue
            if not edits:
                continue
            if occ.unsupported or occ.offsets is None:
                problems.append(Problem(KEY_UNRECOGNISED, occ.line, occ.unsupported, occ.selector))
                continue
            raw = [(occ.offsets[start], occ.offsets[end], self.escape(text, occ.quoting))
                   for start, end, text in edits]
            unencodable = [text for _s, _e, text in raw if not _encodable(text, doc.codec)]
            if unencodable:
                problems.append(Problem(KEY_UNENCODABLE, occ.line,
                                        Reason("unencodable", value=repr(unencodable[0]), codec=doc.codec),
                                        occ.selector))
                continue
            splices += raw
            changes.append(Change(occ.selector, occ.line, occ.value, apply_edits(occ.value, edits), occ.span))
        if problems:
            raise Refused(problems)
        return self._splice(doc, splices), changes

    def decode(self, data: bytes, encoding: str | None) -> Document:
        return Document.decode(data, encoding, self.default_encoding)

    def selectors(self, selectors: list[dict]) -> list[Selector]:
        if not isinstance(selectors, list | tuple) or not selectors:
            raise ProfileError(f"{self.name}: selectors must be a non-empty list")
        return [self._selector(i, s) for i, s in enumerate(selectors)]

    def _selector(self, index: int, raw: dict) -> Selector:
        if not isinstance(raw, dict):
            raise ProfileError(f"{self.name} selector {index}: expected a mapping, got {raw!r}")
        allowed = {**dict(self.fields), **dict(self.optional_fields), "optional": bool}
        unknown = sorted(set(raw) - set(allowed))
        missing = sorted(set(dict(self.fields)) - set(raw))
        if unknown or missing:
            raise ProfileError(f"{self.name} selector {raw!r}: "
                               + "; ".join(([f"unknown {', '.join(unknown)}"] if unknown else [])
                                           + ([f"missing {', '.join(missing)}"] if missing else [])))
        for key, value in raw.items():
            if not isinstance(value, allowed[key]):
                raise ProfileError(f"{self.name} selector {raw!r}: {key} must be {allowed[key].__name__}")
        fields = {k: v for k, v in raw.items() if k != "optional"}
        self.check_selector(fields)
        return Selector(index, fields, selector_label(fields), bool(raw.get("optional", False)))

    def check_selector(self, fields: dict) -> None:
        """Format-specific validation beyond field names and types (a regex compiles ...)."""

    def locate(self, doc: Document, selectors: list[Selector]) -> list[Occurrence]:
        raise NotImplementedError

    def escape(self, text: str, quoting: str) -> str:
        """How ``text`` is written inside a value quoted as ``quoting``; verbatim by default."""
        return text

    @staticmethod
    def _splice(doc: Document, splices: list[tuple[int, int, str]]) -> bytes:
        out, pos = [], 0
        for start, end, text in sorted(splices):
            byte_start, byte_end = doc.byte_offset(start), doc.byte_offset(end)
            out += [doc.data[pos:byte_start], text.encode(doc.codec)]
            pos = byte_end
        out.append(doc.data[pos:])
        return b"".join(out)


def _unique(occurrences: list[Occurrence]) -> list[Occurrence]:
    """In file order, each span once: two selectors (or a YAML alias) can reach the same bytes."""
    unique = {occ.span: occ for occ in reversed(occurrences)}
    return sorted(unique.values(), key=lambda occ: occ.span)


def _encodable(text: str, codec: str) -> bool:
    try:
        text.encode(codec)
    except UnicodeEncodeError:
        return False
    return True

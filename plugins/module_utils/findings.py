# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The one findings model of umzug.

Every module and role reports what it found through this model, and what it changed (or
would change in check mode) through ``Changes``. The report callback reads both back from
task results (keys ``umzug_findings`` and ``umzug_changes``), so a payload never renders
anything itself.

A finding's ``key`` is stable and dotted (``shares.path_too_long``): waivers and the
"changed since the last dry run" comparison match on it, so it must never be derived from
the finding's text. Every key raised is in the catalog (finding_catalog.py), which holds
its severity, whether it blocks and its texts in German and English: ``Finding.of`` builds a
finding from key, parameters and resources. The finding carries the English texts (what
report.json holds) and its parameters, so the report renders it in German from the catalog
(``texts``). Parameters are data: names, paths, numbers, lists of them, and ``Reason``s, the
catalog's sentences by code (a path's problem, why a name has no new name), which each
language words itself; a name that its own table gives in each language (``{"de": ...,
"en": ...}``, the wave's step labels) reads in the report's language. This file runs on
managed nodes too: standard library only.
"""

from __future__ import annotations

import re
import string
from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import lru_cache

from ansible_collections.kommunal.umzug.plugins.module_utils.finding_catalog import CATALOG, LANGUAGES, REASONS

SEVERITIES = ("info", "low", "medium", "high")
# "report": findings the report raises itself (an expired waiver, an interrupted run).
PAYLOADS = ("plan", "shares", "accounts", "clients", "wave", "lab", "report")
REMEDIATION_KINDS = ("hint", "command", "playbook")
KEY_PATTERN = re.compile(r"^[a-z][a-z0-9_]*(\.[a-z0-9_]+)+$")
# Task result keys the report callback reads.
RESULT_FINDINGS = "umzug_findings"
RESULT_CHANGES = "umzug_changes"


class FindingError(ValueError):
    """A finding or change record that does not fit the model. ``reason``: why, as the catalog's
    Reason (the message, in English for logs, is its English sentence), which a report words in
    its own language (report.invalid_finding)."""

    def __init__(self, reason: str):
        super().__init__(reason)
        self.reason = reason


class Reason(str):
    """One of the catalog's REASONS by code and arguments. It reads as its English sentence
    (log lines, exception messages, tables that compare it), and a finding's parameters carry
    it as data, ``{"code": ..., **arguments}``, which the report words in its own language."""

    code: str
    args: dict

    def __new__(cls, code: str, /, **args):
        if "code" in args:
            raise FindingError(Reason("reason_argument_code", reason=code))
        values = {name: param_value(value) for name, value in args.items()}
        self = super().__new__(cls, phrase({"code": code, **values}, "en"))
        self.code, self.args = code, values
        return self

    def data(self) -> dict:
        return {"code": self.code, **self.args}

    def text(self, language: str) -> str:
        return phrase(self.data(), language)


def param_value(value):
    """A parameter as the finding keeps it: a Reason as its record, lists and records item by
    item, anything else as text."""
    if isinstance(value, Reason):
        return value.data()
    if isinstance(value, Mapping):
        return {str(name): param_value(item) for name, item in value.items()}
    if isinstance(value, (list, tuple)):
        return [param_value(item) for item in value]
    return str(value)


class _Words(string.Formatter):
    """Fills a catalog template in one language: a reason record ({"code": ...}) becomes its
    sentence, a list its items joined by the placeholder's format spec (``{paths:; }``; ", "
    without one)."""

    def __init__(self, language: str):
        super().__init__()
        self.language = language

    def format_field(self, value, format_spec):
        if isinstance(value, Mapping) and "code" in value:
            return phrase(value, self.language)
        if in_each_language(value):
            return str(value[self.language])
        if isinstance(value, (list, tuple)):
            return (format_spec or ", ").join(self.format_field(item, "") for item in value)
        return str(value)


def in_each_language(value) -> bool:
    """Whether ``value`` is a name given in each language ({"de": ..., "en": ...})."""
    return isinstance(value, Mapping) and sorted(value) == sorted(LANGUAGES)


def phrase(record: Mapping, language: str) -> str:
    """The sentence of a reason record in ``language``."""
    code = record.get("code")
    if code not in REASONS:
        raise FindingError(Reason("reason_unknown", reason=repr(code)))
    args = {name: value for name, value in record.items() if name != "code"}
    try:
        return _Words(language).format(REASONS[code][language], **args)
    except KeyError as err:
        raise FindingError(Reason("reason_argument_missing", reason=code, argument=repr(err.args[0]))) from None


@dataclass(frozen=True)
class Remediation:
    kind: str
    text: str

    def __post_init__(self):
        if self.kind not in REMEDIATION_KINDS:
            raise FindingError(Reason("remediation_kind_unknown", kind=repr(self.kind), kinds=REMEDIATION_KINDS))
        if not isinstance(self.text, str):
            raise FindingError(Reason("remediation_text_type", kind=self.kind, value=repr(self.text)))


@dataclass(frozen=True)
class Finding:
    key: str
    title: str
    summary: str
    severity: str
    payload: str
    inhibitor: bool = False
    remediation: Remediation | None = None
    resources: tuple[str, ...] = ()
    kommune: str | None = None
    host: str | None = None
    # What the catalog's placeholders were filled with; lets the report render the texts in
    # another language. Not part of a finding's identity.
    params: Mapping[str, object] = field(default_factory=dict, compare=False, hash=False)

    @classmethod
    def of(cls, key: str, *, resources=(), kommune: str | None = None, host: str | None = None,
           **params) -> Finding:
        """The finding ``key`` of the catalog, its placeholders filled from ``params``."""
        entry = catalog_entry(key)
        values = {name: param_value(value) for name, value in params.items()}
        english = texts(key, values, "en", kommune)
        kind = entry["remediation"]
        return cls(key=key, title=english["title"], summary=english.get("summary", ""),
                   severity=entry["severity"], payload=entry["payload"], inhibitor=entry["inhibitor"],
                   remediation=Remediation(kind, english["remediation"]) if kind else None,
                   resources=tuple(str(r) for r in resources), kommune=kommune, host=host, params=values)

    def __post_init__(self):
        # Every check of the report schema's finding (schemas/report.schema.json, $defs/finding) is
        # made here, once, as a finding comes in: report.json's check then leaves the findings out.
        if not isinstance(self.key, str) or not KEY_PATTERN.match(self.key):
            raise FindingError(Reason("finding_key_malformed", key=repr(self.key)))
        if self.severity not in SEVERITIES:
            raise FindingError(Reason("finding_severity_unknown", key=self.key, severity=repr(self.severity),
                                      severities=SEVERITIES))
        if self.payload not in PAYLOADS:
            raise FindingError(Reason("finding_payload_unknown", key=self.key, payload=repr(self.payload),
                                      payloads=PAYLOADS))
        if not self.title:
            raise FindingError(Reason("finding_title_empty", key=self.key))
        wrong = _wrong_field(self)
        if wrong:
            value = getattr(self, wrong)
            raise FindingError(Reason("finding_field_type", key=self.key, field=wrong, expected=_EXPECTED[wrong],
                                      value=repr(list(value) if isinstance(value, tuple) else value)))
        for name, value in self.params.items():
            if not is_param(value):
                raise FindingError(Reason("finding_parameter_malformed", key=self.key, parameter=name,
                                          value=repr(value)))

    def identity(self) -> tuple[str, str | None, tuple[str, ...]]:
        """What makes two findings 'the same' across runs: key, Kommune and resources."""
        return (self.key, self.kommune, self.resources)

    def to_dict(self) -> dict:
        return {
            "key": self.key,
            "title": self.title,
            "summary": self.summary,
            "severity": self.severity,
            "payload": self.payload,
            "inhibitor": self.inhibitor,
            "remediation": None if self.remediation is None
            else {"kind": self.remediation.kind, "text": self.remediation.text},
            "resources": list(self.resources),
            "kommune": self.kommune,
            "host": self.host,
            **({"params": dict(self.params)} if self.params else {}),
        }

    @classmethod
    def from_dict(cls, data: dict) -> Finding:
        for name, kinds in (("remediation", Mapping), ("resources", (list, tuple)), ("params", Mapping)):
            if data.get(name) and not isinstance(data[name], kinds):
                raise FindingError(Reason("finding_field_type", key=str(data.get("key", "?")), field=name,
                                          expected=_EXPECTED[name], value=repr(data[name])))
        try:
            rem = data.get("remediation")
            return cls(
                key=data["key"],
                title=data["title"],
                summary=data.get("summary", ""),
                severity=data["severity"],
                payload=data["payload"],
                inhibitor=bool(data.get("inhibitor", False)),
                remediation=None if not rem else Remediation(rem["kind"], rem["text"]),
                resources=tuple(data.get("resources") or ()),
                kommune=data.get("kommune"),
                host=data.get("host"),
                params={str(k): param_value(v) for k, v in (data.get("params") or {}).items()},
            )
        except KeyError as err:
            raise FindingError(Reason("finding_field_missing", key=data.get("key", "?"),
                                      field=repr(err.args[0]))) from None


# What each field of a finding must be, as the messages say it (report schema, $defs/finding).
_TEXT = {"de": "Text", "en": "text"}
_TEXT_OR_NULL = {"de": "Text oder leer (null)", "en": "text or null"}
_EXPECTED = {
    "title": _TEXT,
    "summary": _TEXT,
    "inhibitor": {"de": "true oder false", "en": "true or false"},
    "remediation": {"de": "eine Abhilfe oder leer (null)", "en": "a remediation or null"},
    "resources": {"de": "eine Liste von Texten", "en": "a list of texts"},
    "params": {"de": "eine Zuordnung von Namen zu Parametern", "en": "a mapping of names to parameters"},
    "kommune": _TEXT_OR_NULL,
    "host": _TEXT_OR_NULL,
}


def _wrong_field(finding: Finding) -> str | None:
    """The first field of ``finding`` whose type the report schema refuses; checked for every finding
    that comes in, so written out rather than looped over."""
    if not isinstance(finding.title, str):
        return "title"
    if not isinstance(finding.summary, str):
        return "summary"
    if not isinstance(finding.inhibitor, bool):
        return "inhibitor"
    if not (finding.remediation is None or isinstance(finding.remediation, Remediation)):
        return "remediation"
    if not all(isinstance(item, str) for item in finding.resources):
        return "resources"
    if not (finding.kommune is None or isinstance(finding.kommune, str)):
        return "kommune"
    if not (finding.host is None or isinstance(finding.host, str)):
        return "host"
    return None


def is_param(value) -> bool:
    """Whether ``value`` is a parameter as the report schema has it ($defs/param): text, a list of
    parameters, a reason record (``code`` and parameters) or a name in each language."""
    if isinstance(value, str):
        return True
    if isinstance(value, list):
        return all(is_param(item) for item in value)
    if isinstance(value, Mapping) and "code" in value:
        return isinstance(value["code"], str) and all(is_param(item) for name, item in value.items() if name != "code")
    return in_each_language(value) and all(isinstance(value[language], str) for language in LANGUAGES)


def catalog_entry(key: str) -> dict:
    try:
        return CATALOG[key]
    except KeyError:
        raise FindingError(Reason("finding_key_unknown", key=repr(key))) from None


def placeholders(template: str) -> set[str]:
    return {name for _literal, name, _spec, _conversion in string.Formatter().parse(template) if name}


def _template(key: str, text, params: Mapping[str, object]) -> str:
    if isinstance(text, str):
        return text
    variant = params.get("variant")
    if variant not in text:
        raise FindingError(Reason("finding_variant_unknown", key=key, variant=repr(variant), variants=sorted(text)))
    return text[variant]


def texts(key: str, params: Mapping[str, object], language: str, kommune: str | None = None) -> dict[str, str]:
    """Title, summary and remediation of ``key`` in ``language``, filled from ``params``
    (``{kommune}`` from the finding's Kommune unless a parameter names it)."""
    if language not in LANGUAGES:
        raise FindingError(Reason("language_unknown", language=repr(language), languages=LANGUAGES))
    entry = catalog_entry(key)
    values = {"kommune": kommune or "", **params}
    words = _Words(language)
    result = {}
    for name, text in entry[language].items():
        template = _template(key, text, values)
        try:
            result[name] = words.format(template, **values)
        except KeyError as err:
            raise FindingError(Reason("finding_parameter_missing", key=key, parameter=repr(err.args[0]),
                                      field=name)) from None
    return result


def localised(finding: Mapping, language: str) -> dict:
    """A finding dict with its texts in ``language``: from the catalog where the finding was
    built from it (it has the parameters the texts need), else as it came."""
    key = finding.get("key")
    if key not in CATALOG:
        return dict(finding)
    params, kommune = finding.get("params"), finding.get("kommune")
    words = (_texts_or_none(key, params or {}, language, kommune) if params or not isinstance(kommune, str | None)
             else _texts_without_params(key, language, kommune))
    if words is None:
        return dict(finding)
    remedy = finding.get("remediation")
    return {**finding, "title": words["title"], "summary": words.get("summary", finding.get("summary", "")),
            "remediation": remedy if not remedy or "remediation" not in words
            else {**remedy, "text": words["remediation"]}}


def _texts_or_none(key: str, params: Mapping[str, object], language: str, kommune: str | None) -> dict | None:
    try:
        return texts(key, params, language, kommune)
    except FindingError:
        return None


@lru_cache(maxsize=1024)
def _texts_without_params(key: str, language: str, kommune: str | None) -> dict | None:
    """The texts of a finding without parameters: the same for each of a Kommune's findings of the
    key, so worded once (a report holds thousands of some)."""
    return _texts_or_none(key, {}, language, kommune)


@dataclass
class Changes:
    """What a task changed, or would change in check mode: counts plus itemised entries.

    ``kind`` is free-form per payload ('created', 'updated', 'copied', 'rewritten' ...);
    entries are short, human-readable descriptions of single objects. ``limit`` keeps a
    task result small on huge trees: counts stay exact, items are cut.
    """

    payload: str
    limit: int = 200
    counts: dict[str, int] = field(default_factory=dict)
    items: dict[str, list[str]] = field(default_factory=dict)

    def add(self, kind: str, item: str) -> None:
        self.counts[kind] = self.counts.get(kind, 0) + 1
        entries = self.items.setdefault(kind, [])
        if len(entries) < self.limit:
            entries.append(item)

    @property
    def total(self) -> int:
        return sum(self.counts.values())

    def to_dict(self) -> dict:
        return {"payload": self.payload, "counts": dict(self.counts),
                "items": {k: list(v) for k, v in self.items.items()},
                "truncated": any(self.counts[k] > len(self.items.get(k, [])) for k in self.counts)}

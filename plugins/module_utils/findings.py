# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The one findings model of umzug.

Every module and role reports what it found through this model, and what it changed (or
would change in check mode) through ``Changes``. The report callback reads both back from
task results (keys ``umzug_findings`` and ``umzug_changes``), so a payload never renders
anything itself.

A finding's ``key`` is stable and dotted (``shares.path_too_long``): waivers and the
"changed since the last dry run" comparison match on it, so it must never be derived from
the finding's text. This file runs on managed nodes too: standard library only.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

SEVERITIES = ("info", "low", "medium", "high")
# "report": findings the report raises itself (an expired waiver, an interrupted run).
PAYLOADS = ("plan", "shares", "accounts", "clients", "wave", "lab", "report")
REMEDIATION_KINDS = ("hint", "command", "playbook")
KEY_PATTERN = re.compile(r"^[a-z][a-z0-9_]*(\.[a-z0-9_]+)+$")
# Task result keys the report callback reads.
RESULT_FINDINGS = "umzug_findings"
RESULT_CHANGES = "umzug_changes"


class FindingError(ValueError):
    """A finding or change record that does not fit the model."""


@dataclass(frozen=True)
class Remediation:
    kind: str
    text: str

    def __post_init__(self):
        if self.kind not in REMEDIATION_KINDS:
            raise FindingError(f"remediation kind {self.kind!r} is not one of {', '.join(REMEDIATION_KINDS)}")


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

    def __post_init__(self):
        if not KEY_PATTERN.match(self.key):
            raise FindingError(f"finding key {self.key!r} is not a dotted lower-case key like 'shares.path_too_long'")
        if self.severity not in SEVERITIES:
            raise FindingError(f"finding {self.key}: severity {self.severity!r} is not one of {', '.join(SEVERITIES)}")
        if self.payload not in PAYLOADS:
            raise FindingError(f"finding {self.key}: payload {self.payload!r} is not one of {', '.join(PAYLOADS)}")
        if not self.title:
            raise FindingError(f"finding {self.key}: title is empty")

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
        }

    @classmethod
    def from_dict(cls, data: dict) -> Finding:
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
            )
        except KeyError as err:
            raise FindingError(f"finding {data.get('key', '?')}: missing field {err.args[0]!r}") from None


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

# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The report model: findings per Kommune, waivers, verdicts and what changed since the last dry run.

The report callback builds one model per run with ``ReportBuilder``; the gate and the Abnahme
(action plugins) read the same waiver file with ``read_waiver_file`` and re-apply the same
waiver and verdict rules to a report, so all of them decide alike. Controller side only.

Verdict rules, per Kommune:
- NO-GO if the run is incomplete (interrupted, a host unreachable or failed), or if an
  unwaived inhibitor concerns the Kommune or the RZ (a finding without a Kommune);
- GO with accepted risks if a waived inhibitor or a high finding concerns the Kommune;
- GO otherwise.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from zoneinfo import ZoneInfo

import yaml

from ansible_collections.kommunal.umzug.plugins.module_utils.findings import SEVERITIES, Finding, Reason
from ansible_collections.kommunal.umzug.plugins.plugin_utils.wave.window import TIMEZONE, Window, WindowError, timeline

# 1.1: each Kommune's window, and each wave's timeline of them.
# 1.2: each Kommune's estimate (seed, final pass, fit into the window; plugin_utils/wave/estimate.py).
SCHEMA_VERSION = "1.2"
GO, GO_WITH_RISKS, NO_GO = "go", "go_with_accepted_risks", "no_go"
VERDICTS = (GO, GO_WITH_RISKS, NO_GO)
# Reasons are codes, the renderer words them in German or English.
REASON_INCOMPLETE = "incomplete"
REASON_INHIBITORS = "unwaived_inhibitors"
REASON_RZ_INHIBITORS = "rz_inhibitors"
REASON_WAIVED = "waived_inhibitors"
REASON_HIGH = "high_findings"
WAIVER_FIELDS = ("key", "owner", "reason", "expires")
COMPARED_FIELDS = ("severity", "inhibitor", "title", "summary")


class WaiverError(ValueError):
    """A waiver entry that cannot be trusted to accept a risk. ``reason``: why, as the catalog's
    Reason (the message, in English for logs, is its English sentence), which the report words in
    its own language (report.waiver_file_invalid)."""

    def __init__(self, reason: str):
        super().__init__(reason)
        self.reason = reason


@dataclass(frozen=True)
class Waiver:
    key: str
    owner: str
    reason: str
    expires: date
    kommune: str | None = None
    resource: str | None = None

    @classmethod
    def from_dict(cls, data: dict, index: int) -> Waiver:
        if not isinstance(data, dict):
            raise WaiverError(Reason("waiver_not_mapping", number=index + 1))
        missing = [name for name in WAIVER_FIELDS if not data.get(name)]
        if missing:
            raise WaiverError(Reason("waiver_fields_missing", number=index + 1, key=data.get("key", "?"),
                                     fields=missing))
        unknown = sorted(set(data) - {*WAIVER_FIELDS, "kommune", "resource"})
        if unknown:
            raise WaiverError(Reason("waiver_fields_unknown", number=index + 1, key=data["key"], fields=unknown))
        expires = data["expires"]
        if not isinstance(expires, date):
            try:
                expires = date.fromisoformat(str(expires))
            except ValueError:
                raise WaiverError(Reason("waiver_expires_not_date", number=index + 1, key=data["key"],
                                         value=repr(expires))) from None
        return cls(
            key=data["key"],
            owner=str(data["owner"]),
            reason=str(data["reason"]),
            expires=expires,
            kommune=data.get("kommune"),
            resource=data.get("resource"),
        )

    def matches(self, finding: dict, kommune: str | None) -> bool:
        return (
            self.key == finding["key"]
            and self.kommune in (None, kommune)
            and (self.resource is None or self.resource in finding.get("resources", ()))
        )

    def expired(self, today: date) -> bool:
        return self.expires < today

    def to_dict(self) -> dict:
        return {
            "key": self.key,
            "kommune": self.kommune,
            "resource": self.resource,
            "owner": self.owner,
            "reason": self.reason,
            "expires": self.expires.isoformat(),
        }


def parse_waivers(entries: list | None) -> list[Waiver]:
    if entries is None:
        return []
    if not isinstance(entries, list):
        raise WaiverError(Reason("waivers_not_list"))
    return [Waiver.from_dict(entry, index) for index, entry in enumerate(entries)]


def read_waiver_file(path: str) -> list[Waiver]:
    """The waivers of a waiver file (a mapping with a list ``waivers``, or the bare list).

    Raises WaiverError with the reason when the file cannot be read or a waiver is invalid.
    """
    try:
        with open(path, encoding="utf-8") as handle:
            data = yaml.safe_load(handle) or {}
        return parse_waivers(data.get("waivers") if isinstance(data, dict) else data)
    except OSError as err:
        raise WaiverError(Reason("waiver_file_unreadable", error=err)) from err
    except yaml.YAMLError as err:
        raise WaiverError(Reason("invalid_yaml", error=err)) from err


def waiver_file_finding(path: str, err: WaiverError) -> dict:
    """A waiver file that cannot be used accepts no risk at all: an inhibitor for the whole run."""
    return Finding.of("report.waiver_file_invalid", path=path, error=err.reason, resources=(str(path),)).to_dict()


def expired_waiver_finding(waiver: Waiver, kommune: str | None) -> dict:
    """An expired waiver is itself a finding: the risk it accepted is open again."""
    scope = " / ".join(part for part in (waiver.kommune, waiver.resource) if part)
    return Finding.of(
        "report.waiver_expired", waived_key=waiver.key, expires=waiver.expires.isoformat(), owner=waiver.owner,
        scope=f" ({scope})" if scope else "", reason=waiver.reason, kommune=kommune, resources=(waiver.key,),
    ).to_dict()


def apply_waivers(
    findings: list[dict],
    kommune: str | None,
    waivers: list[Waiver],
    today: date,
    used: dict[Waiver, int] | None = None,
) -> list[dict]:
    """Attach the active waiver to each finding it matches; add a finding per expired waiver that matched."""
    result, expired_hits = [], []
    for finding in findings:
        entry = dict(finding, waiver=None)
        for waiver in waivers:
            if not waiver.matches(finding, kommune):
                continue
            if used is not None:
                used[waiver] = used.get(waiver, 0) + 1
            if waiver.expired(today):
                if waiver not in expired_hits:
                    expired_hits.append(waiver)
            elif entry["waiver"] is None:
                entry["waiver"] = waiver.to_dict()
        result.append(entry)
    result.extend(
        dict(expired_waiver_finding(waiver, kommune), waiver=None, task=None) for waiver in expired_hits
    )
    return result


def counts(findings: list[dict]) -> dict:
    result = dict.fromkeys(SEVERITIES, 0)
    result.update(inhibitors=0, waived_inhibitors=0, waived=0)
    for finding in findings:
        result[finding["severity"]] += 1
        if finding.get("waiver"):
            result["waived"] += 1
        if finding["inhibitor"]:
            result["waived_inhibitors" if finding.get("waiver") else "inhibitors"] += 1
    return result


def verdict(findings: list[dict], complete: bool, rz_findings: list[dict] = ()) -> tuple[str, list[str]]:
    """The verdict and the reasons for it, most serious first."""
    own, rz = counts(findings), counts(list(rz_findings))
    reasons = []
    if not complete:
        reasons.append(REASON_INCOMPLETE)
    if own["inhibitors"]:
        reasons.append(REASON_INHIBITORS)
    if rz["inhibitors"]:
        reasons.append(REASON_RZ_INHIBITORS)
    if reasons:
        return NO_GO, reasons
    if own["waived_inhibitors"]:
        reasons.append(REASON_WAIVED)
    if own["high"]:
        reasons.append(REASON_HIGH)
    return (GO_WITH_RISKS if reasons else GO), reasons


def _identity(finding: dict) -> tuple:
    return finding["key"], tuple(finding.get("resources") or ())


def snapshot(findings: list[dict]) -> list[dict]:
    """What a later dry run compares against: identity plus the fields whose change matters."""
    return [
        {
            "key": f["key"],
            "resources": list(f.get("resources") or ()),
            **{name: f[name] for name in COMPARED_FIELDS},
        }
        for f in findings
    ]


def compare(previous: dict | None, findings: list[dict]) -> dict:
    """New, resolved and changed findings since the previous dry run of the same Kommune."""
    if previous is None:
        return {
            "previous_run": None,
            "new": len(findings),
            "resolved": 0,
            "changed": 0,
            "new_keys": sorted({f["key"] for f in findings}),
            "resolved_keys": [],
            "changed_keys": [],
        }
    before = {_identity(f): f for f in previous["findings"]}
    now = {_identity(f): f for f in findings}
    new = [key for key in now if key not in before]
    resolved = [key for key in before if key not in now]
    changed = [
        key
        for key in now
        if key in before and any(now[key][name] != before[key][name] for name in COMPARED_FIELDS)
    ]
    return {
        "previous_run": previous["run_id"],
        "new": len(new),
        "resolved": len(resolved),
        "changed": len(changed),
        "new_keys": sorted({key for key, _dummy in new}),
        "resolved_keys": sorted({key for key, _dummy in resolved}),
        "changed_keys": sorted({key for key, _dummy in changed}),
    }


@dataclass
class KommuneRecord:
    id: str
    name: str = ""
    ags: str = ""
    wave: int | None = None
    # The agreed window as the Kommune's context has it (umzug_kommune.window); None without one.
    window: dict | None = None

    def __post_init__(self):
        self.hosts: list[str] = []
        self.findings: list[dict] = []
        self.changes: list[dict] = []
        # The dry run's estimate (kommunal.umzug.wave_estimate), None when the run made none.
        self.estimate: dict | None = None


class ReportBuilder:
    """Collects one run's findings and changes, then builds the report dict (schemas/report.schema.json)."""

    def __init__(self, run: dict, waivers: list[Waiver], today: date):
        self.run = dict(run, complete=True, interruptions=[])
        self.waivers = waivers
        self.today = today
        self.kommunen: dict[str, KommuneRecord] = {}
        self.general = KommuneRecord(id="")
        self.withheld = 0

    def kommune(
        self, ident: str | None, name: str = "", ags: str = "", wave: int | None = None, window: dict | None = None
    ) -> KommuneRecord:
        if not ident:
            return self.general
        record = self.kommunen.get(ident)
        if record is None:
            record = self.kommunen[ident] = KommuneRecord(id=ident, name=name, ags=ags, wave=wave, window=window)
        return record

    def add_host(self, host: str, kommune: str | None) -> None:
        record = self.kommune(kommune)
        if host not in record.hosts:
            record.hosts.append(host)

    def add_finding(
        self, finding: dict, host: str | None, host_kommune: str | None, task: str | None
    ) -> None:
        # The host and Kommune of the result, where the finding names none, go through the model's checks too.
        entry = Finding.from_dict(
            {**finding, "host": finding.get("host") or host, "kommune": finding.get("kommune") or host_kommune}
        ).to_dict()
        if not (task is None or isinstance(task, str)):
            raise TypeError(f"a finding's task is a task name or None, not {task!r}")
        entry["task"] = task
        self.kommune(entry["kommune"]).findings.append(entry)

    def add_changes(self, changes: dict, host: str | None, kommune: str | None, task: str | None) -> None:
        entry = {
            "payload": changes["payload"],
            "host": host,
            "task": task,
            "counts": dict(changes.get("counts", {})),
            "items": {kind: list(items) for kind, items in changes.get("items", {}).items()},
            "truncated": bool(changes.get("truncated", False)),
        }
        self.kommune(kommune).changes.append(entry)

    def set_estimate(self, estimate: dict, kommune: str | None) -> None:
        """A Kommune's estimate; the last one of the run counts."""
        if kommune:
            self.kommune(kommune).estimate = dict(estimate)

    def mark_incomplete(self, kind: str, detail: str, host: str | None = None) -> None:
        self.run["complete"] = False
        marker = {"kind": kind, "detail": detail, "host": host}
        if marker not in self.run["interruptions"]:
            self.run["interruptions"].append(marker)

    def build(self, previous: dict[str, dict | None] | None = None, finished: str | None = None) -> dict:
        previous = previous or {}
        used: dict[Waiver, int] = {}
        general = _sorted(apply_waivers(self.general.findings, None, self.waivers, self.today, used))
        kommunen = []
        for record in sorted(self.kommunen.values(), key=lambda r: (r.wave is None, r.wave or 0, r.id)):
            findings = _sorted(apply_waivers(record.findings, record.id, self.waivers, self.today, used))
            state, reasons = verdict(findings, self.run["complete"], general)
            kommunen.append(
                {
                    "id": record.id,
                    "name": record.name,
                    "ags": record.ags,
                    "wave": record.wave,
                    "window": window_entry(record.window),
                    "hosts": sorted(record.hosts),
                    "verdict": state,
                    "reasons": reasons,
                    "counts": counts(findings),
                    "findings": findings,
                    "changes": record.changes,
                    "since_previous": compare(previous.get(record.id), findings),
                    "estimate": record.estimate,
                }
            )
        return {
            "schema_version": SCHEMA_VERSION,
            "generator": "kommunal.umzug.report",
            "run": dict(self.run, finished=finished),
            "summary": _summary(kommunen, general),
            "waves": _waves(kommunen, {r.id: window_of(r.window) for r in self.kommunen.values()}),
            "kommunen": kommunen,
            "general": {"findings": general, "changes": self.general.changes, "counts": counts(general)},
            "waivers": [
                dict(
                    w.to_dict(),
                    status="expired" if w.expired(self.today) else "active",
                    matched=used.get(w, 0),
                )
                for w in self.waivers
            ],
            "withheld_results": self.withheld,
        }


_SEVERITY_ORDER = {name: index for index, name in enumerate(reversed(SEVERITIES))}


def _sorted(findings: list[dict]) -> list[dict]:
    """Inhibitors first, then by severity, so the page reads from what blocks to what informs."""
    return sorted(findings, key=lambda f: (not f["inhibitor"], _SEVERITY_ORDER[f["severity"]], f["key"]))


def _summary(kommunen: list[dict], general: list[dict]) -> dict:
    severities = counts(general)
    for kommune in kommunen:
        for name, value in kommune["counts"].items():
            severities[name] += value
    return {
        "kommunen": len(kommunen),
        "verdicts": {state: sum(k["verdict"] == state for k in kommunen) for state in VERDICTS},
        "counts": severities,
        "changes": sum(sum(c["counts"].values()) for k in kommunen for c in k["changes"]),
    }


def window_of(context: dict | None) -> Window | None:
    """A Kommune's window from its context; None without one, or with one the report cannot read
    (the plan validates windows; a report is written whatever a host variable holds)."""
    if not context:
        return None
    try:
        return Window.of(dict(context))
    except (WindowError, TypeError, ValueError):
        return None


def window_entry(context: dict | None) -> dict | None:
    """The window as the report shows it: local times as the plan writes them, and its length."""
    window = window_of(context)
    if window is None:
        return None
    return {"start": window.local(window.start), "end": window.local(window.end), "timezone": window.timezone,
            "hours": round(window.hours, 2)}


def _waves(kommunen: list[dict], windows: dict[str, Window | None]) -> list[dict]:
    """Each wave's Kommunen, and the timeline of their windows (ordered by start, overlaps named)."""
    waves: dict = {}
    for kommune in kommunen:
        waves.setdefault(kommune["wave"], []).append(kommune["id"])
    return [
        {"wave": wave, "kommunen": ids,
         "timeline": timeline({ident: windows[ident] for ident in ids if windows.get(ident) is not None})}
        for wave, ids in waves.items()
    ]


def kommune_entry(report: dict, kommune: str) -> dict | None:
    """A Kommune's part of a report, or None when the report does not cover it."""
    return next((k for k in report.get("kommunen") or () if k.get("id") == kommune), None)


def _unwaived(finding: dict) -> dict:
    """A finding as a task returned it, so that today's waivers are applied afresh."""
    return {key: value for key, value in finding.items() if key not in ("waiver",)}


def today_in_berlin() -> date:
    """The date waivers are judged by (they expire at the end of a German calendar day)."""
    try:
        return datetime.now(ZoneInfo(TIMEZONE)).date()
    except Exception:  # a controller without tzdata: its own date is off by one at most around midnight
        return date.today()


def rewaive(findings: list[dict], kommune: str | None, waivers: list[Waiver], today: date) -> list[dict]:
    """A report's findings with today's waivers instead of those of the day it was written."""
    return apply_waivers(
        [_unwaived(f) for f in findings if f["key"] != "report.waiver_expired"], kommune, waivers, today
    )


def evaluate_gate(
    kommune: str,
    report: dict | None,
    findings: list[dict],
    waivers: list[Waiver],
    today: date,
    require_complete: bool = True,
) -> dict:
    """The gate's decision for one Kommune: the report's verdict rules with today's waivers.

    Waivers are re-applied rather than read from the report: one given after the dry run
    opens the gate, one that expired since closes it again.
    """
    own, rz, complete = [dict(f, task=f.get("task")) for f in findings], [], True
    if report is not None:
        entry = kommune_entry(report, kommune)
        if entry is None:
            raise ValueError(f"the report {report['run']['id']} has no Kommune '{kommune}'")
        own += [_unwaived(f) for f in entry["findings"] if f["key"] != "report.waiver_expired"]
        rz = report["general"]["findings"]
        complete = report["run"]["complete"] or not require_complete
    own = apply_waivers(own, kommune, waivers, today)
    rz = rewaive(rz, None, waivers, today)
    state, reasons = verdict(own, complete, rz)
    blocking = [f for f in own + rz if f["inhibitor"] and not f["waiver"]]
    return {
        "verdict": state,
        "reasons": reasons,
        "inhibitors": blocking,
        "waived": [f for f in own + rz if f["waiver"]],
        "expired_waivers": [f for f in own + rz if f["key"] == "report.waiver_expired"],
    }

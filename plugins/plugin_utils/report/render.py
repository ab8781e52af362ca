# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Renders the report model (plugin_utils/report/model.py) for machines and for people.

One model, three renderings: report.json (checked against schemas/report.schema.json),
report.html (one self-contained page, German by default) and a few lines for the terminal.
report.json carries the findings' English texts and their parameters; report.html shows
each finding in its own language, rendered from the finding catalog.
Controller side only (Jinja2, jsonschema).
"""

from __future__ import annotations

import json
from functools import cache, lru_cache
from json.encoder import encode_basestring as _json_string
from pathlib import Path

import jinja2
from markupsafe import Markup, escape

from ansible_collections.kommunal.umzug.plugins.module_utils.finding_catalog import REASONS
from ansible_collections.kommunal.umzug.plugins.module_utils.findings import PAYLOADS, SEVERITIES, localised
from ansible_collections.kommunal.umzug.plugins.plugin_utils.plan import TIMEZONE, parse_window_time
from ansible_collections.kommunal.umzug.plugins.plugin_utils.report.model import GO, GO_WITH_RISKS, NO_GO
from ansible_collections.kommunal.umzug.plugins.plugin_utils.wave.estimate import duration_text

try:
    import jsonschema
except ImportError:  # pyproject.toml installs it; without it report.json cannot be checked (_schema_validator)
    jsonschema = None

SCHEMA_PATH = Path(__file__).resolve().parents[3] / "schemas" / "report.schema.json"
TEMPLATES = Path(__file__).resolve().parent / "templates"
LANGUAGES = ("de", "en")

STRINGS = {
    "de": {
        "title": "Umzugsbericht",
        "wave_title": "Welle",
        "no_wave": "ohne Welle",
        "dry_run": "PROBELAUF (--check): Es wurde nichts geändert. Alle Änderungen sind geplante Änderungen.",
        "real_run": "Echter Lauf: Änderungen wurden ausgeführt.",
        "incomplete": "LAUF UNVOLLSTÄNDIG: Kein GO möglich, bis ein vollständiger Lauf vorliegt.",
        "run": "Lauf",
        "started": "Beginn",
        "finished": "Ende",
        "playbooks": "Playbooks",
        "limit": "Limit",
        "tags": "Tags",
        "plan": "Plan (sha256)",
        "check_mode": "Probelauf",
        "yes": "ja",
        "no": "nein",
        "kommune": "Kommune",
        "ags": "AGS",
        "verdict": "Votum",
        "inhibitors": "Blocker",
        "waived": "akzeptiert",
        "since_previous": "Seit dem letzten Probelauf",
        "new": "neu",
        "resolved": "behoben",
        "changed": "geändert",
        "first_run": "erster Probelauf",
        "findings": "Befunde",
        "no_findings": "Keine Befunde.",
        "changes": "Änderungen",
        "planned_changes": "Geplante Änderungen",
        "no_changes": "Keine Änderungen.",
        "remediations": "Maßnahmen",
        "remediation": "Maßnahme",
        "resources": "Betrifft",
        "host": "Host",
        "task": "Task",
        "severity": "Schwere",
        "key": "Schlüssel",
        "summary": "Beschreibung",
        "waiver": "Ausnahme",
        "waivers": "Ausnahmen (Waiver)",
        "owner": "Verantwortlich",
        "reason": "Begründung",
        "expires": "gültig bis",
        "status": "Status",
        "matched": "angewendet",
        "active": "gültig",
        "expired": "abgelaufen",
        "general": "Rechenzentrum und übergreifende Befunde",
        "interruptions": "Abbrüche",
        "hosts": "Hosts",
        "truncated": "gekürzt, Zählung vollständig",
        "withheld": "Ergebnisse von no_log-Tasks wurden nicht übernommen",
        "inhibitor": "BLOCKER",
        "hint": "Hinweis",
        "command": "Befehl",
        "playbook": "Playbook",
        "counts": "Anzahl",
        "reasons": "Gründe",
        "overview": "Übersicht",
        GO: "GO",
        GO_WITH_RISKS: "GO mit akzeptierten Risiken",
        NO_GO: "NO-GO",
        "incomplete_reason": REASONS["incomplete"]["de"],
        "unwaived_inhibitors": REASONS["unwaived_inhibitors"]["de"],
        "rz_inhibitors": REASONS["rz_inhibitors"]["de"],
        "waived_inhibitors": REASONS["waived_inhibitors"]["de"],
        "high_findings": REASONS["high_findings"]["de"],
        "info": "Info",
        "low": "niedrig",
        "medium": "mittel",
        "high": "hoch",
        "signal": "Signal",
        "unreachable": "nicht erreichbar",
        "failed": "fehlgeschlagen",
        "plan_payload": "Plan",
        "shares": "Freigaben",
        "accounts": "Konten",
        "clients": "Clients",
        "wave": "Welle",
        "lab": "Labor",
        "report": "Bericht",
        "window": "Fenster",
        "timeline": "Fenster der Kommunen",
        "window_start": "Beginn",
        "window_end": "Ende",
        "duration": "Dauer",
        "overlaps": "überschneidet sich mit",
        "no_window": "kein Fenster im Plan",
        "payload": "Bereich",
        "open_all": "Alle Befunde aufklappen",
        "close_all": "Alle Befunde zuklappen",
    },
    "en": {
        "title": "Migration report",
        "wave_title": "Wave",
        "no_wave": "no wave",
        "dry_run": "DRY RUN (--check): nothing was changed. All changes listed are planned changes.",
        "real_run": "Real run: changes were applied.",
        "incomplete": "RUN INCOMPLETE: no GO until a complete run exists.",
        "run": "Run",
        "started": "Started",
        "finished": "Finished",
        "playbooks": "Playbooks",
        "limit": "Limit",
        "tags": "Tags",
        "plan": "Plan (sha256)",
        "check_mode": "Dry run",
        "yes": "yes",
        "no": "no",
        "kommune": "Kommune",
        "ags": "AGS",
        "verdict": "Verdict",
        "inhibitors": "Inhibitors",
        "waived": "waived",
        "since_previous": "Since the previous dry run",
        "new": "new",
        "resolved": "resolved",
        "changed": "changed",
        "first_run": "first dry run",
        "findings": "Findings",
        "no_findings": "No findings.",
        "changes": "Changes",
        "planned_changes": "Planned changes",
        "no_changes": "No changes.",
        "remediations": "Remediations",
        "remediation": "Remediation",
        "resources": "Concerns",
        "host": "Host",
        "task": "Task",
        "severity": "Severity",
        "key": "Key",
        "summary": "Summary",
        "waiver": "Waiver",
        "waivers": "Waivers",
        "owner": "Owner",
        "reason": "Reason",
        "expires": "expires",
        "status": "Status",
        "matched": "matched",
        "active": "active",
        "expired": "expired",
        "general": "Data centre and cross-cutting findings",
        "interruptions": "Interruptions",
        "hosts": "Hosts",
        "truncated": "truncated, counts are exact",
        "withheld": "results of no_log tasks were not recorded",
        "inhibitor": "INHIBITOR",
        "hint": "Hint",
        "command": "Command",
        "playbook": "Playbook",
        "counts": "Count",
        "reasons": "Reasons",
        "overview": "Overview",
        GO: "GO",
        GO_WITH_RISKS: "GO with accepted risks",
        NO_GO: "NO-GO",
        "incomplete_reason": REASONS["incomplete"]["en"],
        "unwaived_inhibitors": REASONS["unwaived_inhibitors"]["en"],
        "rz_inhibitors": REASONS["rz_inhibitors"]["en"],
        "waived_inhibitors": REASONS["waived_inhibitors"]["en"],
        "high_findings": REASONS["high_findings"]["en"],
        "info": "info",
        "low": "low",
        "medium": "medium",
        "high": "high",
        "signal": "signal",
        "unreachable": "unreachable",
        "failed": "failed",
        "plan_payload": "Plan",
        "shares": "Shares",
        "accounts": "Accounts",
        "clients": "Clients",
        "wave": "Wave",
        "lab": "Lab",
        "report": "Report",
        "window": "Window",
        "timeline": "Windows of the Kommunen",
        "window_start": "Start",
        "window_end": "End",
        "duration": "Length",
        "overlaps": "overlaps",
        "no_window": "no window in the plan",
        "payload": "Payload",
        "open_all": "Open all findings",
        "close_all": "Fold all findings",
    },
}


# The estimate's section (kommunen[].estimate, plugin_utils/wave/estimate.py).
ESTIMATE_STRINGS = {
    "de": {
        "estimate": "Schätzung",
        "seed": "Erster Kopierlauf",
        "seed_from": "Beginn angenommen",
        "now": "Zeitpunkt des Probelaufs",
        "option": "wave_estimate_seed_start",
        "final_sync": "Letzter Kopierlauf nach den Änderungen eines typischen Tages",
        "cutover": "Umstellung insgesamt (letzter Kopierlauf und übrige Schritte)",
        "downtime": "Ausfallzeit: vom Einfrieren bis der Betrieb wieder aufgenommen ist",
        "downtime_short": "Ausfallzeit",
        "downtime_after": "danach",
        "fits": "passt in das Fenster",
        "too_long": "passt nicht in das Fenster",
        "no_window": "kein Fenster im Plan",
        "inputs": "Grundlagen",
        "data": "Daten",
        "shares": "Freigaben",
        "files": "Dateien",
        "link": "Leitung",
        "assumed": "angenommen",
        "throughput": "Durchsatz",
        "efficiency": "Anteil am Limit",
        "ceiling": "gemessene Obergrenze",
        "wire_share": "komprimiert auf der Leitung je Byte",
        "share_seconds": "Fixkosten je Freigabe",
        "daily_change": "Änderungen je Tag",
        "of_data": "der Daten",
        "of_files": "der Dateien",
        "steps": "Schritte",
        "final_short": "letzter Kopierlauf",
        "cutover_short": "Umstellung",
        "kommune": "gemessen bei dieser Kommune",
        "wave": "gemessen in der Welle",
        "sample": "Stichprobe der Freigaben, komprimiert gemessen",
        "default": "Vorgabe",
        "link_source": "Leitung",
    },
    "en": {
        "estimate": "Estimate",
        "seed": "Seed",
        "seed_from": "assumed start",
        "now": "time of the dry run",
        "option": "wave_estimate_seed_start",
        "final_sync": "Final pass after a typical day's changes",
        "cutover": "Cut-over in all (final pass and the other steps)",
        "downtime": "Downtime: from the freeze to service resumed",
        "downtime_short": "downtime",
        "downtime_after": "after",
        "fits": "fits the window",
        "too_long": "does not fit the window",
        "no_window": "no window in the plan",
        "inputs": "Inputs",
        "data": "Data",
        "shares": "shares",
        "files": "files",
        "link": "Link",
        "assumed": "assumed",
        "throughput": "Throughput",
        "efficiency": "share of the limit",
        "ceiling": "measured ceiling",
        "wire_share": "compressed, bytes on the wire per byte",
        "share_seconds": "Fixed cost per share",
        "daily_change": "Changes per day",
        "of_data": "of the data",
        "of_files": "of the files",
        "steps": "Steps",
        "final_short": "final pass",
        "cutover_short": "cut-over",
        "kommune": "measured for this Kommune",
        "wave": "measured in the Welle",
        "sample": "sample of the shares, measured compressed",
        "default": "default",
        "link_source": "link",
    },
}


class ReportInvalid(ValueError):
    """report.json does not fit its schema: a bug in the model, never the user's fault."""


@cache
def _schema_validator() -> jsonschema.Draft202012Validator:
    if jsonschema is None:
        raise ImportError("checking report.json against its schema needs the Python package jsonschema")
    return jsonschema.Draft202012Validator(json.loads(SCHEMA_PATH.read_text(encoding="utf-8")))


def validate_report(report: dict) -> None:
    """Checks a whole report, every finding included, against schemas/report.schema.json."""
    _raise_errors(_schema_validator().iter_errors(report))


def validate_structure(report: dict) -> None:
    """Checks a report the ReportBuilder made against schemas/report.schema.json, but for its findings.

    The builder takes a finding only through the findings model (Finding.from_dict), which makes each
    check of the schema's finding as the finding comes in (module_utils/findings.py). Checking
    100,000 of them again would be most of the time the report takes; the schema checks everything
    else: the run, the Kommunen, counts, verdicts, changes, waivers (a finding's waiver is one of them).
    """
    _raise_errors(_schema_validator().iter_errors(_without_findings(report)))


def _without_findings(report):
    """The report with each list of findings empty; whatever is not shaped like a report stays, for the
    schema to name."""
    if not isinstance(report, dict):
        return report
    result = dict(report)
    general = result.get("general")
    if isinstance(general, dict) and isinstance(general.get("findings"), list):
        result["general"] = {**general, "findings": []}
    kommunen = result.get("kommunen")
    if isinstance(kommunen, list):
        result["kommunen"] = [
            {**kommune, "findings": []} if isinstance(kommune, dict) and isinstance(kommune.get("findings"), list)
            else kommune
            for kommune in kommunen
        ]
    return result


def _raise_errors(errors) -> None:
    errors = sorted(errors, key=lambda e: list(e.absolute_path))
    if errors:
        raise ReportInvalid(
            "; ".join(f"{'/'.join(map(str, e.absolute_path)) or '/'}: {e.message}" for e in errors[:5])
        )


def render_json(report: dict) -> str:
    """report.json of a report the ReportBuilder made (validate_structure)."""
    validate_structure(report)
    return json_text(report)


def json_text(value) -> str:
    """``json.dumps(value, ensure_ascii=False, indent=1)`` to the byte, in half the time.

    With an indent, the standard library encodes in Python through a chain of generators, one step
    per token; this joins each mapping's and list's items in one go and leaves the strings to the
    library's C escaping. What json.dumps refuses (other types, keys other than text, numbers,
    booleans and None) is refused.
    """
    return _json(value, "\n")


def _json_scalar(value) -> str:
    if value is None:
        return "null"
    if value is True:
        return "true"
    if value is False:
        return "false"
    return json.dumps(value)


def _json_key(key) -> str:
    # A float key bypasses the cache: 0.0 and -0.0 are one key of a cache, two texts of JSON.
    if isinstance(key, float):
        return _json_string(_json_scalar(key))
    return _json_key_cached(key)


@lru_cache(maxsize=4096, typed=True)  # typed: False, 0 and 0.0 are equal keys of a cache, not of JSON
def _json_key_cached(key) -> str:
    # json.dumps writes keys that are numbers, booleans or None as their JSON text, in quotes.
    if isinstance(key, str):
        return _json_string(key)
    if key is not None and not isinstance(key, (int, float)):
        raise TypeError(f"keys must be str, int, float, bool or None, not {type(key).__name__}")
    return _json_string(_json_scalar(key))


def _json(value, newline: str) -> str:
    if isinstance(value, str):
        return _json_string(value)
    inner = newline + " "
    if isinstance(value, dict):
        if not value:
            return "{}"
        items = [f"{_json_key(key)}: {_json_string(item) if isinstance(item, str) else _json(item, inner)}"
                 for key, item in value.items()]
        return "".join(("{", inner, ("," + inner).join(items), newline, "}"))
    if isinstance(value, (list, tuple)):
        if not value:
            return "[]"
        items = [_json_string(item) if isinstance(item, str) else _json(item, inner) for item in value]
        return "".join(("[", inner, ("," + inner).join(items), newline, "]"))
    return _json_scalar(value)


@cache
def _environment() -> jinja2.Environment:
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(str(TEMPLATES)),
        autoescape=True,
        trim_blocks=True,
        lstrip_blocks=True,
        undefined=jinja2.StrictUndefined,
    )
    return env


def _by_payload(findings: list[dict]) -> list[tuple[str, list[dict]]]:
    groups: dict[str, list[dict]] = {}
    for finding in findings:
        groups.setdefault(finding["payload"], []).append(finding)
    return [(payload, groups[payload]) for payload in PAYLOADS if payload in groups]


class _FindingRows:
    """A finding's row of report.html, written here rather than in the template: a Welle's report has
    100,000 of them, and one formatted string per row takes a fraction of the time of Jinja's
    expression per cell. The page's structure around the rows stays in the template."""

    def __init__(self, strings: dict):
        self.t = {name: escape(text) for name, text in strings.items()}

    def __call__(self, findings: list[dict]) -> Markup:
        return Markup("\n".join(map(self.row, findings)))

    def row(self, f: dict) -> str:
        t, severity = self.t, f["severity"]
        marks = f"<br><span class=\"inhibitor\">{t['inhibitor']}</span>" if f["inhibitor"] else ""
        waiver = f.get("waiver")
        if waiver:
            marks += (f"<br><span class=\"waived\" title=\"{escape(waiver['reason'])}\">{t['waiver']}: "
                      f"{escape(waiver['owner'])}, {t['expires']} {escape(waiver['expires'])}</span>")
        summary = f"<br>{escape(f['summary'])}" if f["summary"] else ""
        resources = "<br>".join(f"<code>{escape(resource)}</code>" for resource in f["resources"])
        remedy, remedy_cell = f["remediation"], ""
        if remedy and remedy["kind"] == "hint":
            remedy_cell = f"{t['hint']}: {escape(remedy['text'])}"
        elif remedy:
            remedy_cell = f"{t[remedy['kind']]}: <code>{escape(remedy['text'])}</code>"
        return (f"<tr class=\"finding s-{escape(severity)}\"><td><span class=\"sev\">{t[severity]}</span>{marks}</td>\n"
                f"<td><code>{escape(f['key'])}</code></td><td><strong>{escape(f['title'])}</strong>{summary}</td>\n"
                f"<td>{resources}</td><td>{escape(f['host'] or '')}</td>\n<td>{remedy_cell}</td></tr>")


def _remediations(findings: list[dict]) -> list[tuple[str, dict, int]]:
    """Each distinct remediation once, with the key it fixes and how many findings it concerns."""
    seen: dict[tuple, list] = {}
    for finding in findings:
        remedy = finding.get("remediation")
        if remedy and not finding.get("waiver"):
            entry = seen.setdefault(
                (finding["key"], remedy["kind"], remedy["text"]), [finding["key"], remedy, 0]
            )
            entry[2] += 1
    return [tuple(entry) for entry in seen.values()]


def hours_text(hours: float) -> str:
    """A window's length: whole hours without decimals (48 h), others with one (47.5 h)."""
    return f"{hours:.0f} h" if float(hours).is_integer() else f"{hours:.1f} h"


def _bars(timeline: list[dict]) -> list[dict]:
    """The timeline's entries with where their bar sits on the wave's span, in percent of it.

    Positions and widths are distances between the instants the local times name (the plan's
    reading of them, in the entry's timezone), not between wall-clock readings: over a change to
    or from summer time a window is an hour shorter or longer than its clock times say, and
    everything after the change an hour nearer or farther.
    """
    def seconds(entry: dict, edge: str) -> float:
        return parse_window_time(entry[edge], entry.get("timezone") or TIMEZONE).timestamp()

    if not timeline:
        return []
    first = min(seconds(entry, "start") for entry in timeline)
    span = (max(seconds(entry, "end") for entry in timeline) - first) or 1
    return [
        {**entry, "left": round((seconds(entry, "start") - first) / span * 100, 2),
         "width": max(round((seconds(entry, "end") - seconds(entry, "start")) / span * 100, 2), 0.5)}
        for entry in timeline
    ]


def _in_language(report: dict, language: str) -> dict:
    """The report with every finding's texts in ``language`` (the model stays as it is)."""
    def findings(section: dict) -> dict:
        return {**section, "findings": [localised(f, language) for f in section["findings"]]}

    return {**report, "general": findings(report["general"]),
            "kommunen": [findings(kommune) for kommune in report["kommunen"]]}


def render_html(report: dict, language: str = "de") -> str:
    if language not in LANGUAGES:
        raise ValueError(f"language {language!r} is not one of {', '.join(LANGUAGES)}")
    report = _in_language(report, language)
    template = _environment().get_template("report.html.j2")
    strings = dict(STRINGS[language])
    kommunen = {k["id"]: k for k in report["kommunen"]}
    present = {f["payload"] for section in (report["general"], *report["kommunen"]) for f in section["findings"]}
    return template.render(
        report=report,
        t=strings,
        lang=language,
        severities=SEVERITIES[::-1],
        payloads=PAYLOADS,
        present_payloads=[payload for payload in PAYLOADS if payload in present],
        kommunen=kommunen,
        by_payload=_by_payload,
        finding_rows=_FindingRows(strings),
        remediations=_remediations,
        bars=_bars,
        hours_text=hours_text,
        e=ESTIMATE_STRINGS[language],
        duration=duration_text,
        source_text=source_text,
        payload_label=lambda p: strings["plan_payload" if p == "plan" else p],
    )


def terminal_summary(report: dict, language: str = "de") -> list[str]:
    t = STRINGS[language]
    run = report["run"]
    lines = [f"{t['title']} {run['id']}" + (f" - {t['check_mode'].upper()}" if run["check_mode"] else "")]
    if not run["complete"]:
        lines.append(t["incomplete"])
    for kommune in report["kommunen"]:
        c = kommune["counts"]
        lines.append(
            f"  {t[kommune['verdict']]:<28} {kommune['id']:<24} "
            + " ".join(f"{t[s]}={c[s]}" for s in SEVERITIES[::-1])
            + f" {t['inhibitors']}={c['inhibitors']} ({t['waived']}: {c['waived_inhibitors']})"
        )
    for wave in report["waves"]:
        for entry in wave.get("timeline") or ():
            overlaps = f", {t['overlaps']} {', '.join(entry['overlaps'])}" if entry["overlaps"] else ""
            lines.append(f"  {t['window']} {entry['kommune']}: {entry['start']} - {entry['end']} "
                         f"({entry['timezone']}, {hours_text(entry['hours'])}{overlaps})")
    general = report["general"]["counts"]
    if general["inhibitors"]:
        lines.append(f"  {t['rz_inhibitors']}: {general['inhibitors']}")
    return lines + estimate_lines(report, language)


def source_text(strings: dict, source: str) -> str:
    """Where an input of the estimate came from, in words."""
    return strings["link_source" if source == "link" else source]


def estimate_lines(report: dict, language: str = "de") -> list[str]:
    """One line per Kommune with an estimate: the seed, the final pass, the cut-over (its downtime) against
    the window."""
    e = ESTIMATE_STRINGS[language]
    lines = []
    for kommune in report["kommunen"]:
        estimate = kommune.get("estimate")
        if not estimate:
            continue
        cutover = estimate["cutover"]
        fit = e["no_window"] if cutover["fits"] is None else e["fits"] if cutover["fits"] else e["too_long"]
        wire = estimate["inputs"].get("wire_share") or {}
        compressed = (f"; {e['wire_share']}: {wire['value']} ({source_text(e, wire['source'])})"
                      if wire.get("compress") else "")
        # A report written before the estimate had the downtime has none.
        downtime = (f" ({e['downtime_short']} {duration_text(cutover['downtime']['seconds'])})"
                    if cutover.get("downtime") else "")
        lines.append(f"  {e['estimate']} {kommune['id']}: {e['seed']} {duration_text(estimate['seed']['seconds'])}, "
                     f"{e['final_short']} {duration_text(estimate['final_sync']['seconds'])}, "
                     f"{e['cutover_short']} {duration_text(cutover['seconds'])}{downtime}, {fit} "
                     f"({e['throughput']}: {source_text(e, estimate['inputs']['throughput']['source'])}{compressed})")
    return lines

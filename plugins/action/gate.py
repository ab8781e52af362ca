# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Runs kommunal.umzug.gate on the controller, where the reports and the waiver file are.

The report folder and the waiver file are the report callback's (plugin_utils/report/store.py)
unless the task names others, and the verdict is the report's own rule
(plugin_utils/report/model.py), so the gate decides as the report did. Whether now is inside the
Kommune's window, and what an override must give, is plugin_utils/wave/window.py's decision.
"""

from __future__ import annotations

import getpass
import json
import re
import socket
from collections.abc import Callable
from datetime import UTC, datetime

from ansible.plugins.action import ActionBase

from ansible_collections.kommunal.umzug.plugins.module_utils.findings import RESULT_FINDINGS, Finding, Reason
from ansible_collections.kommunal.umzug.plugins.module_utils.shares.pass_findings import size_text
from ansible_collections.kommunal.umzug.plugins.plugin_utils.report.model import (
    NO_GO,
    WaiverError,
    evaluate_gate,
    kommune_entry,
    today_in_berlin,
)
from ansible_collections.kommunal.umzug.plugins.plugin_utils.report.store import (
    ReportSettings,
    reports_newest_first,
    task_waivers,
)
from ansible_collections.kommunal.umzug.plugins.plugin_utils.wave import steps as wave_steps
from ansible_collections.kommunal.umzug.plugins.plugin_utils.wave.journal import Journal, JournalError
from ansible_collections.kommunal.umzug.plugins.plugin_utils.wave.window import (
    INSIDE,
    Window,
    WindowError,
    override_reason,
)

ARGUMENT_SPEC = {
    "kommune": {"type": "str", "required": True},
    "report": {"type": "path"},
    "report_dir": {"type": "path"},
    "max_age": {"type": "str"},
    "findings": {"type": "list", "elements": "dict", "default": []},
    "waivers": {"type": "list", "elements": "dict"},
    "waiver_file": {"type": "path"},
    "plan_hash": {"type": "str"},
    "require_complete": {"type": "bool", "default": True},
    "window": {"type": "dict"},
    # raw: a bare true must stay a bool here, to be refused as one (window.override_reason)
    "window_override": {"type": "raw"},
    "journal_dir": {"type": "path"},
    "wave": {"type": "str"},
}
MUTUALLY_EXCLUSIVE = [("report", "report_dir"), ("waivers", "waiver_file")]


class Refused(Exception):
    """The gate stays closed; the message is one sentence, ``fields`` go into the result."""

    def __init__(self, msg: str, **fields):
        super().__init__(msg)
        self.fields = fields


def read_report(path: str) -> dict:
    try:
        with open(path, encoding="utf-8") as handle:
            report = json.load(handle)
    except (OSError, ValueError) as err:
        raise Refused(f"cannot read the report {path}: {err}") from None
    if not str(report.get("schema_version", "")).startswith("1."):
        raise Refused(f"{path} has schema_version {report.get('schema_version')!r}; this gate reads 1.x")
    return report


_AGE = re.compile(r"^\s*(\d+)\s*([smhd]?)\s*$")
_UNIT = {"": 1, "s": 1, "m": 60, "h": 3600, "d": 86400}


def parse_age(text) -> int:
    match = _AGE.match(str(text))
    if not match:
        raise ValueError(f"max_age '{text}' is not a duration such as 3600, 90m, 24h or 2d")
    return int(match.group(1)) * _UNIT[match.group(2)]


def show_age(seconds: int) -> str:
    if seconds >= 5400:
        return f"{seconds / 3600:.1f} h"
    return f"{seconds // 60} min"


def latest_dry_run(report_dir: str, kommune: str) -> tuple[str | None, dict | None]:
    """The newest check-mode report that covers the Kommune."""
    for path, report in reports_newest_first(report_dir):
        if (report.get("run") or {}).get("check_mode") and kommune_entry(report, kommune) is not None:
            return path, report
    return None, None


def report_age(report: dict, now: datetime) -> int:
    run = report["run"]
    ended = datetime.fromisoformat(run.get("finished") or run["started"])
    return int((now - ended).total_seconds())


def gate_finding(kommune, decision):
    if decision["verdict"] == NO_GO:
        keys = sorted({f["key"] for f in decision["inhibitors"]})
        return Finding.of("wave.gate_closed", reasons=[Reason(r) for r in decision["reasons"]], resources=keys,
                          kommune=kommune).to_dict()
    return Finding.of("wave.gate_open", verdict=decision["verdict"], kommune=kommune).to_dict()


def report_path(args: dict, settings: Callable[[], ReportSettings]) -> str | None:
    """The report to decide on: the one named, else the Kommune's latest dry run in the report folder.

    The folder is the task's I(report_dir), else the report callback's, unless the task decides on
    its I(findings) alone.
    """
    if args["report"]:
        return args["report"]
    if not args["report_dir"] and args["findings"]:
        return None
    report_dir = args["report_dir"] or str(settings().report_dir)
    path, _report = latest_dry_run(report_dir, args["kommune"])
    if path is None:
        raise Refused(
            f"{args['kommune']} has no dry-run report in {report_dir}; run the dry run (wave_phase=dryrun) first"
        )
    return path


def check_window(args: dict, now: datetime, by: str) -> dict:
    """The window part of the gate's result (empty without a window); raises Refused outside it
    unless an override gives the reason, which the result then carries with its finding."""
    if args["window"] is None:
        if override_reason(args["window_override"]) is not None:
            raise Refused("window_override needs the Kommune's window (window) to override")
        return {}
    kommune = args["kommune"]
    try:
        reason = override_reason(args["window_override"])
        window = Window.of(args["window"])
        seen = window.describe(now)
    except WindowError as err:
        raise Refused(f"the gate cannot decide on the window of {kommune}: {err}") from None
    times = {name: seen[name] for name in ("start", "end", "timezone", "now")}
    if seen["position"] == INSIDE:
        return {"window": seen, "window_override": None}
    if reason is None:
        closed = Finding.of("wave.window_closed", kommune=kommune, resources=[kommune], **times)
        raise Refused(
            f"{closed.summary.rstrip('.')}; to cut over outside it anyway, give the reason as wave_window_override",
            window=seen, window_override=None, **{RESULT_FINDINGS: [closed.to_dict()]},
        )
    override = {"reason": reason, "by": by}
    used = Finding.of("wave.window_override", kommune=kommune, resources=[kommune], **times, **override)
    return {"window": seen, "window_override": override, RESULT_FINDINGS: [used.to_dict()]}


def unfinished_seed(journal_dir: str, wave: str, kommune: str) -> list[dict]:
    """The items (shares) of the Kommune's seed steps the journal has as partial and not done."""
    journal = Journal(journal_dir, wave, kommune, wave_steps.journal_rules())
    data = journal.read()
    done = set(journal.completed(data, "seed"))
    return [item for step, entry in sorted(((data.get("partial") or {}).get("seed") or {}).items())
            if step not in done for item in (entry.get("record") or {}).get("items") or ()
            if not item.get("complete")]


def describe_missing(item: dict) -> str:
    """``bauamt: 7000 of 9000 files, 12.0 GiB of 20.0 GiB on the RZ (8.0 GiB missing)``."""
    progress = item.get("progress") or {}
    if not progress:
        return f"{item['name']}: not listed yet"
    missing = progress["bytes_total"] - progress["bytes"]
    return (f"{item['name']}: {progress['files']} of {progress['files_total']} files, {size_text(progress['bytes'])} "
            f"of {size_text(progress['bytes_total'])} on the RZ ({size_text(missing)} missing)")


def check_seed(args: dict) -> None:
    """Refuses while a share's seed is not complete: the final pass in the freeze would have to
    move the rest, which the window was not planned for."""
    if not args.get("journal_dir"):
        return
    if not args.get("wave"):
        raise Refused("the gate reads the seed's journal (journal_dir) of a wave: give wave too")
    try:
        items = unfinished_seed(args["journal_dir"], args["wave"], args["kommune"])
    except JournalError as err:
        raise Refused(f"the gate cannot read the seed's journal: {err}") from None
    if items:
        raise Refused(
            f"the seed of {args['kommune']} is not complete ({'; '.join(map(describe_missing, items))}); run "
            "wave_phase=seed until it is (the journal's partial seed step), then the cut-over",
            seed_incomplete=[item["name"] for item in items],
        )


def decide(args: dict, settings: Callable[[], ReportSettings], now: datetime, by: str = "") -> dict:
    """The gate's task result; raises Refused when the gate stays closed."""
    kommune = args["kommune"]
    # The window first: outside it the cut-over does not start, whatever the dry run found.
    window = check_window(args, now, by)
    check_seed(args)
    path = report_path(args, settings)
    report = read_report(path) if path else None
    extra = {}
    if report is not None:
        extra = {"report": path, "report_age": report_age(report, now)}
        if args["max_age"] is not None:
            try:
                allowed = parse_age(args["max_age"])
            except ValueError as err:
                raise Refused(str(err)) from None
            if extra["report_age"] > allowed:
                raise Refused(
                    f"the dry-run report {path} is {show_age(extra['report_age'])} old, more than the "
                    f"{args['max_age']} allowed (max_age); run the dry run again",
                    **extra,
                )
    if args["plan_hash"] and report is not None and args["plan_hash"] not in report["run"]["plan_hashes"]:
        raise Refused(
            f"the dry-run report {path} was made for another plan than the current one "
            f"({args['plan_hash'][:12]}...); run the dry run again",
            **extra,
        )
    try:
        waivers = task_waivers(args["waivers"], args["waiver_file"], settings)
        decision = evaluate_gate(
            kommune, report, args["findings"], waivers, today_in_berlin(), args["require_complete"]
        )
    except (WaiverError, ValueError, KeyError) as err:
        raise Refused(f"the gate cannot decide: {err}") from None
    findings = [gate_finding(kommune, decision), *decision.pop("expired_waivers"), *window.pop(RESULT_FINDINGS, [])]
    result = dict(changed=False, **decision, **extra, **window, **{RESULT_FINDINGS: findings})
    if decision["verdict"] == NO_GO:
        blocked = ", ".join(sorted({f["key"] for f in decision["inhibitors"]}))
        blocked = f"unwaived inhibitors {blocked}" if blocked else "the dry run is incomplete"
        source = f" in {path}" if path else ""
        raise Refused(f"NO-GO for {kommune}{source}: {blocked}", **result)
    return result


def who_runs() -> str:
    """Who runs the cut-over, as an override records it: the controller's login and host."""
    try:
        user = getpass.getuser()
    except (KeyError, OSError):  # a container's UID without a passwd entry
        user = "?"
    return f"{user}@{socket.gethostname()}"


class ActionModule(ActionBase):
    TRANSFERS_FILES = False
    _requires_connection = False

    # The report callback's settings, read only when the task leaves the folder or the waivers open.
    settings = staticmethod(ReportSettings.configured)

    def run(self, tmp=None, task_vars=None):
        result = super().run(tmp, task_vars)
        _validation, args = self.validate_argument_spec(
            argument_spec=ARGUMENT_SPEC, mutually_exclusive=MUTUALLY_EXCLUSIVE
        )
        # Check mode decides and refuses as the real run does: the gate changes nothing.
        try:
            result.update(decide(args, self.settings, datetime.now(UTC), by=who_runs()))
        except Refused as refused:
            result.update(refused.fields, failed=True, msg=str(refused))
        return result

# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Runs kommunal.umzug.acceptance_report on the controller, where the reports and the waiver file are.

The report folder and the waiver file are the report callback's (plugin_utils/report/store.py)
unless the task names others; waivers are applied by the report's own rules.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

from ansible.plugins.action import ActionBase

from ansible_collections.kommunal.umzug.plugins.plugin_utils.report.model import (
    WaiverError,
    kommune_entry,
    rewaive,
    today_in_berlin,
)
from ansible_collections.kommunal.umzug.plugins.plugin_utils.report.store import (
    ReportSettings,
    reports_newest_first,
    sha256_of,
    task_waivers,
)

ARGUMENT_SPEC = {
    "kommune": {"type": "str", "required": True},
    "report_dir": {"type": "path"},
    "since": {"type": "str"},
    "waivers": {"type": "list", "elements": "dict"},
    "waiver_file": {"type": "path"},
}
MUTUALLY_EXCLUSIVE = [("waivers", "waiver_file")]


class Refused(Exception):
    """The Abnahme is refused; the message is one sentence, ``fields`` go into the result."""

    def __init__(self, msg: str, **fields):
        super().__init__(msg)
        self.fields = {"open_inhibitors": [], **fields}


RESULTS = ("wave.acceptance_passed", "wave.acceptance_failed", "wave.acceptance_missing")
# Keys of the findings a later run checks again: the shares verify and the acceptance suite,
# which the verify phase (and the end of a cut-over) run in this order.
RECHECKED = ("shares.verify_", "wave.acceptance_")


def newest_acceptance(report_dir: str, kommune: str):
    for path, report in reports_newest_first(report_dir):
        entry = kommune_entry(report, kommune)
        keys = [f.get("key") for f in (entry or {}).get("findings") or () if f.get("key") in RESULTS]
        if keys:
            return path, report, entry, keys
    return None, None, None, []


def interruptions_of(report: dict, entry: dict) -> list[dict]:
    hosts = set(entry.get("hosts") or ())
    return [i for i in report["run"].get("interruptions") or () if i.get("host") is None or i.get("host") in hosts]


def ended(run: dict) -> datetime:
    return datetime.fromisoformat(run.get("finished") or run["started"])


def reports_since(report_dir: str, kommune: str, since: datetime | None) -> list[tuple[str, dict, dict]]:
    """The Kommune's reports of real runs (no dry runs) that ended at or after ``since``, newest first."""
    found = []
    for path, report in reports_newest_first(report_dir):
        entry = kommune_entry(report, kommune)
        if entry is None or report["run"].get("check_mode") or (since is not None and ended(report["run"]) < since):
            continue
        found.append((path, report, entry))
    return found


def checks_again(report: dict, entry: dict) -> bool:
    """Whether the run ran the shares verify and the acceptance suite for the Kommune to the end."""
    return any(f.get("key") in RESULTS for f in entry.get("findings") or ()) and not interruptions_of(report, entry)


def identity(finding: dict) -> tuple:
    return finding["key"], tuple(finding.get("resources") or ())


def resolved(finding: dict, later: list[tuple[str, dict, dict]]) -> bool:
    if not finding["key"].startswith(RECHECKED):
        return False
    return any(checks_again(report, entry) and identity(finding) not in {identity(f) for f in entry["findings"]}
               for _path, report, entry in later)


def open_inhibitors(reports: list[tuple[str, dict, dict]], kommune: str, waivers, today) -> tuple[list, list]:
    """(open, waived) inhibitors of the reports (newest first), each once, from the newest report raising it."""
    still, waived, seen = [], [], set()
    for index, (path, _report, entry) in enumerate(reports):
        for finding in rewaive(entry.get("findings") or [], kommune, waivers, today):
            if not finding.get("inhibitor") or identity(finding) in seen:
                continue
            seen.add(identity(finding))
            if finding["waiver"]:
                waived.append(dict(finding, report=path))
            elif not resolved(finding, reports[:index]):
                still.append(dict(finding, kommune=kommune, report=path))
    return still, waived


def refusal(kommune: str, still: list[dict]) -> str:
    first = still[0]
    resources = ", ".join(first.get("resources") or ()) or "no resource"
    how = ("fix the cause and run wave_phase=verify again, or waive it" if first["key"].startswith(RECHECKED)
           else "no later phase checks it again: fix the cause, then waive it (the report's waiver_file, "
           "UMZUG_WAIVER_FILE) saying so")
    more = f"; {len(still) - 1} more: {', '.join(sorted({f['key'] for f in still[1:]}))}" if len(still) > 1 else ""
    return (f"{kommune} cannot be accepted: the inhibitor {first['key']} (Kommune {kommune}, {resources}) raised in "
            f"{first['report']} is neither resolved by a later run nor waived; {how}{more}")


def accept(args: dict, settings: Callable[[], ReportSettings]) -> dict:
    """The task result naming the accepted report; raises Refused."""
    kommune = args["kommune"]
    report_dir = args["report_dir"] or str(settings().report_dir)
    try:
        since = datetime.fromisoformat(args["since"]) if args["since"] else None
    except ValueError:
        raise Refused(f"since {args['since']!r} is not an ISO 8601 time such as 2027-03-13T08:00:00+00:00") from None
    if since is not None and since.tzinfo is None:
        raise Refused(f"since {args['since']!r} has no time zone")
    try:
        waivers = task_waivers(args["waivers"], args["waiver_file"], settings)
    except WaiverError as err:
        raise Refused(f"the waivers cannot be used: {err}") from None
    path, report, entry, keys = newest_acceptance(report_dir, kommune)
    if path is None:
        raise Refused(
            f"no report in {report_dir} shows an acceptance result for {kommune}; run wave_phase=verify first"
        )
    # A cut-over runs the suite in two (inside the freeze and after service resumed): each must have passed.
    if set(keys) != {"wave.acceptance_passed"}:
        raise Refused(
            f"the newest acceptance result for {kommune}, in {path}, is {', '.join(sorted(set(keys)))}; "
            "fix the cause and run wave_phase=verify again"
        )
    stopped = interruptions_of(report, entry)
    if stopped:
        first = stopped[0]
        raise Refused(
            f"the run of {path} was interrupted for {kommune} ({first.get('kind')}: {first.get('detail')}); "
            "run wave_phase=verify again"
        )
    still, waived = open_inhibitors(reports_since(report_dir, kommune, since), kommune, waivers, today_in_berlin())
    if still:
        raise Refused(refusal(kommune, still), open_inhibitors=still, waived=waived)
    return dict(changed=False, path=path, sha256=sha256_of(path), run_id=report["run"]["id"],
                open_inhibitors=[], waived=waived)


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
        # Reads only: check mode finds and refuses exactly as the real run.
        try:
            result.update(accept(args, self.settings))
        except Refused as refused:
            result.update(refused.fields, failed=True, msg=str(refused))
        return result

#!/usr/bin/python
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

# The annotations (X | None) stay unevaluated on the older Pythons a managed host may have.
from __future__ import annotations

DOCUMENTATION = r"""
module: acceptance_report
short_description: Names the report a Kommune's Abnahme accepts, with its sha256
version_added: 0.1.0
description:
  - Finds, in the report callback's I(report_dir), the newest report that carries an acceptance result
    (C(wave.acceptance_passed), C(wave.acceptance_failed) or C(wave.acceptance_missing)) for the Kommune.
  - Succeeds only when that result is C(wave.acceptance_passed) and the run was not interrupted on one of the
    Kommune's hosts (another Kommune's failure in the same run does not count); otherwise fails with one
    sentence naming the report.
  - Refuses, naming key, Kommune, resources and report, while an inhibitor raised for the Kommune since its
    cut-over began (I(since)) is still open. Only the Kommune's reports of real runs count (cut-over, verify,
    finalize; not dry runs). An inhibitor is open unless a waiver active today accepts it (I(waivers), the same
    rules as the gate) or it is resolved.
  - Resolved means a later report that checks the same thing again no longer contains it (same key and
    resources). The verify phase, like the end of the cut-over, runs the shares verify and then the acceptance
    suite, so a later report with the Kommune's acceptance result, not interrupted on its hosts, checks again
    the findings whose key starts with C(shares.verify_) or C(wave.acceptance_). Every other inhibitor of a
    cut-over (accounts, clients, name switch, the final sync, for example C(clients.pinned_certificate_changed))
    comes from a step that runs once; it stays open until it is waived.
  - Returns the report's path and sha256, which the finalize phase records in the journal as the Abnahme.
  - Changes nothing. Runs on the controller (delegated to C(localhost)).
author:
  - umzug developers (@kommunal)
extends_documentation_fragment:
  - kommunal.umzug.attributes
options:
  kommune:
    description: Id of the Kommune (C(umzug_kommune.id)).
    type: str
    required: true
  report_dir:
    description: The report callback's C(report_dir).
    type: path
    required: true
  since:
    description:
      - When the Kommune's cut-over began (ISO 8601 with time zone; the journal's first cut-over step).
        Reports of runs that ended before it are not read for open inhibitors. Unset, every report is read.
    type: str
  waivers:
    description:
      - Waivers to apply to those inhibitors as of today, as for C(kommunal.umzug.gate), each with C(key),
        C(owner), C(reason), C(expires) and optionally C(kommune), C(resource).
    type: list
    elements: dict
    default: []
attributes:
  check_mode:
    support: full
  diff_mode:
    support: none
"""

EXAMPLES = r"""
- name: Find the report that shows the acceptance
  kommunal.umzug.acceptance_report:
    kommune: "{{ umzug_kommune.id }}"
    report_dir: "{{ playbook_dir }}/../artifacts/reports"
    since: "2027-03-13T08:00:00+00:00"
    waivers: "{{ (lookup('ansible.builtin.file', 'waivers.yml') | from_yaml).waivers }}"
  delegate_to: localhost
  register: accepted
"""

RETURN = r"""
path:
  description: The report.json accepted.
  returned: success
  type: str
  sample: /srv/umzug/artifacts/reports/20270313T101500Z-4711/report.json
sha256:
  description: sha256 of that file.
  returned: success
  type: str
  sample: 9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08
run_id:
  description: Id of the run that wrote it.
  returned: success
  type: str
  sample: 20270313T101500Z-4711
open_inhibitors:
  description: The inhibitors that block the Abnahme, each with the C(report) it was raised in.
  returned: always
  type: list
  elements: dict
  sample: [{key: clients.pinned_certificate_changed, kommune: kommune-a, resources: [fv-app.rz.test:443],
            report: /srv/umzug/artifacts/reports/20270313T090000Z-4711/report.json}]
waived:
  description: Inhibitors raised since the cut-over began that an active waiver accepts.
  returned: success
  type: list
  elements: dict
  sample: []
"""

from datetime import datetime

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.kommunal.umzug.plugins.module_utils.report_files import (
    kommune_entry,
    reports_newest_first,
    sha256_of,
)
from ansible_collections.kommunal.umzug.plugins.module_utils.report_model import (
    WaiverError,
    parse_waivers,
    rewaive,
    today_in_berlin,
)

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
           else "no later phase checks it again: fix the cause, then waive it (wave_waiver_file) saying so")
    more = f"; {len(still) - 1} more: {', '.join(sorted({f['key'] for f in still[1:]}))}" if len(still) > 1 else ""
    return (f"{kommune} cannot be accepted: the inhibitor {first['key']} (Kommune {kommune}, {resources}) raised in "
            f"{first['report']} is neither resolved by a later run nor waived; {how}{more}")


def main():
    module = AnsibleModule(
        argument_spec=dict(
            kommune=dict(type="str", required=True),
            report_dir=dict(type="path", required=True),
            since=dict(type="str"),
            waivers=dict(type="list", elements="dict", default=[]),
        ),
        supports_check_mode=True,
    )
    kommune, report_dir = module.params["kommune"], module.params["report_dir"]
    try:
        since = datetime.fromisoformat(module.params["since"]) if module.params["since"] else None
    except ValueError:
        module.fail_json(msg=f"since {module.params['since']!r} is not an ISO 8601 time such as "
                         "2027-03-13T08:00:00+00:00", open_inhibitors=[])
    if since is not None and since.tzinfo is None:
        module.fail_json(msg=f"since {module.params['since']!r} has no time zone", open_inhibitors=[])
    try:
        waivers = parse_waivers(module.params["waivers"])
    except WaiverError as err:
        module.fail_json(msg=f"the waivers cannot be used: {err}", open_inhibitors=[])
    path, report, entry, keys = newest_acceptance(report_dir, kommune)
    if path is None:
        module.fail_json(
            msg=f"no report in {report_dir} shows an acceptance result for {kommune}; run wave_phase=verify first",
            open_inhibitors=[],
        )
    if keys != ["wave.acceptance_passed"]:
        module.fail_json(
            msg=f"the newest acceptance result for {kommune}, in {path}, is {', '.join(sorted(set(keys)))}; "
            "fix the cause and run wave_phase=verify again",
            open_inhibitors=[],
        )
    stopped = interruptions_of(report, entry)
    if stopped:
        first = stopped[0]
        module.fail_json(
            msg=f"the run of {path} was interrupted for {kommune} ({first.get('kind')}: {first.get('detail')}); "
            "run wave_phase=verify again",
            open_inhibitors=[],
        )
    still, waived = open_inhibitors(reports_since(report_dir, kommune, since), kommune, waivers, today_in_berlin())
    if still:
        module.fail_json(msg=refusal(kommune, still), open_inhibitors=still, waived=waived)
    module.exit_json(changed=False, path=path, sha256=sha256_of(path), run_id=report["run"]["id"],
                     open_inhibitors=[], waived=waived)


if __name__ == "__main__":
    main()

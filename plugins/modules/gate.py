#!/usr/bin/python
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

DOCUMENTATION = r"""
module: gate
short_description: Stops a cut-over while a Kommune has unwaived inhibitors
version_added: 0.1.0
description:
  - Decides GO, GO with accepted risks or NO-GO for one Kommune with the same rules as the
    C(kommunal.umzug.report) callback, and fails on NO-GO. Cut-over playbooks run it first.
  - Reads the Kommune's findings from a dry-run C(report.json) and/or takes findings directly, then applies
    today's waivers, so a waiver given after the dry run counts and an expired one no longer does.
  - An incomplete report (interrupted run, unreachable host) is NO-GO unless I(require_complete=false).
  - Refuses, each time with one sentence naming the report file, when the Kommune has no dry-run report,
    when the report is older than I(max_age), when it was made for another plan than I(plan_hash), and on NO-GO.
  - Changes nothing. Run it on the controller (delegated to C(localhost)) when it reads a report file.
author:
  - umzug developers
options:
  kommune:
    description: Id of the Kommune (C(umzug_kommune.id)).
    type: str
    required: true
  report:
    description:
      - Path of a C(report.json) written by the report callback,
        usually C(<report_dir>/latest-dry-run/report.json).
      - Mutually exclusive with I(report_dir).
    type: path
  report_dir:
    description:
      - The report callback's C(report_dir). The gate reads the Kommune's latest dry-run report there, which is
        the newest C(<run id>/report.json) of a check-mode run that covered the Kommune, complete or not
        (an incomplete one closes the gate), so a dry run limited to one Kommune counts for it alone.
      - Mutually exclusive with I(report).
    type: path
  max_age:
    description:
      - Oldest dry-run report the gate accepts, from the end of that run to now; seconds or a number with
        C(s), C(m), C(h) or C(d), e.g. C(24h). Unset, any age is accepted.
    type: str
  findings:
    description: Findings (dicts of the umzug findings model) to decide on in addition to the report's.
    type: list
    elements: dict
    default: []
  waivers:
    description:
      - Waivers to apply, each with C(key), C(owner), C(reason), C(expires)
        and optionally C(kommune), C(resource).
      - Usually C("{{ (lookup('file', 'waivers.yml') | from_yaml).waivers }}").
    type: list
    elements: dict
    default: []
  plan_hash:
    description:
      - C(umzug_plan_hash) of the current plan; the gate fails if the report was made for another plan.
    type: str
  require_complete:
    description: Whether an incomplete report closes the gate.
    type: bool
    default: true
attributes:
  check_mode:
    support: full
    details:
      - The gate decides and fails in check mode too,
        so a dry run of the cut-over stops where the real one would.
  diff_mode:
    support: none
"""

EXAMPLES = r"""
- name: Gate - no cut-over while inhibitors are open
  kommunal.umzug.gate:
    kommune: "{{ umzug_kommune.id }}"
    report: "{{ playbook_dir }}/../artifacts/reports/latest-dry-run/report.json"
    plan_hash: "{{ umzug_plan_hash }}"
    waivers: "{{ (lookup('ansible.builtin.file', 'waivers.yml') | from_yaml).waivers }}"
  delegate_to: localhost
  run_once: true

- name: Gate before the cut-over of a wave - the Kommune's own latest dry run, at most a day old
  kommunal.umzug.gate:
    kommune: "{{ umzug_kommune.id }}"
    report_dir: "{{ playbook_dir }}/../artifacts/reports"
    max_age: 24h
    plan_hash: "{{ umzug_plan_hash }}"
  delegate_to: localhost
"""

RETURN = r"""
verdict:
  description: C(go), C(go_with_accepted_risks) or C(no_go).
  returned: always
  type: str
  sample: no_go
reasons:
  description: Why, most serious first.
  returned: always
  type: list
  elements: str
  sample: [unwaived_inhibitors]
inhibitors:
  description: The unwaived inhibitors that close the gate.
  returned: always
  type: list
  elements: dict
  sample: [{key: accounts.name_collision, title: Account mmueller exists in the RZ, resources: [mmueller]}]
waived:
  description: Findings accepted by an active waiver.
  returned: always
  type: list
  elements: dict
  sample: []
report:
  description: The dry-run report the gate decided on (when it read one).
  returned: when a report was read
  type: str
  sample: /srv/umzug/artifacts/reports/20270312T160211Z-4711/report.json
report_age:
  description: Seconds between the end of that dry run and now.
  returned: when a report was read
  type: int
  sample: 5400
umzug_findings:
  description:
    - C(wave.gate_open) or C(wave.gate_closed),
      plus C(report.waiver_expired) for every expired waiver that matched.
  returned: always
  type: list
  elements: dict
  sample: [{key: wave.gate_closed, title: Cut-over blocked for kommune-a, severity: high, inhibitor: true}]
"""

import json
import re
from datetime import UTC, datetime

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.kommunal.umzug.plugins.module_utils.findings import RESULT_FINDINGS, Finding
from ansible_collections.kommunal.umzug.plugins.module_utils.report_files import kommune_entry, reports_newest_first
from ansible_collections.kommunal.umzug.plugins.module_utils.report_model import (
    NO_GO,
    WaiverError,
    evaluate_gate,
    parse_waivers,
    today_in_berlin,
)


def read_report(module, path):
    try:
        with open(path, encoding="utf-8") as handle:
            report = json.load(handle)
    except (OSError, ValueError) as err:
        module.fail_json(msg=f"cannot read the report {path}: {err}")
    if not str(report.get("schema_version", "")).startswith("1."):
        module.fail_json(
            msg=f"{path} has schema_version {report.get('schema_version')!r}; this gate reads 1.x"
        )
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
        return Finding.of("wave.gate_closed", reasons=", ".join(decision["reasons"]), resources=keys,
                          kommune=kommune).to_dict()
    return Finding.of("wave.gate_open", verdict=decision["verdict"], kommune=kommune).to_dict()


def main():
    module = AnsibleModule(
        argument_spec=dict(
            kommune=dict(type="str", required=True),
            report=dict(type="path"),
            report_dir=dict(type="path"),
            max_age=dict(type="str"),
            findings=dict(type="list", elements="dict", default=[]),
            waivers=dict(type="list", elements="dict", default=[]),
            plan_hash=dict(type="str"),
            require_complete=dict(type="bool", default=True),
        ),
        required_one_of=[("report", "report_dir", "findings")],
        mutually_exclusive=[("report", "report_dir")],
        supports_check_mode=True,
    )
    params = module.params
    path = params["report"]
    if params["report_dir"]:
        path, _report = latest_dry_run(params["report_dir"], params["kommune"])
        if path is None:
            module.fail_json(
                msg=f"{params['kommune']} has no dry-run report in {params['report_dir']}; "
                "run the dry run (wave_phase=dryrun) first"
            )
    report = read_report(module, path) if path else None
    extra = {}
    if report is not None:
        extra = {"report": path, "report_age": report_age(report, datetime.now(UTC))}
        if params["max_age"] is not None:
            try:
                allowed = parse_age(params["max_age"])
            except ValueError as err:
                module.fail_json(msg=str(err))
            if extra["report_age"] > allowed:
                module.fail_json(
                    msg=f"the dry-run report {path} is {show_age(extra['report_age'])} old, more than the "
                    f"{params['max_age']} allowed (max_age); run the dry run again",
                    **extra,
                )
    if params["plan_hash"] and report is not None and params["plan_hash"] not in report["run"]["plan_hashes"]:
        module.fail_json(
            msg=f"the dry-run report {path} was made for another plan than the current one "
            f"({params['plan_hash'][:12]}...); run the dry run again",
            **extra,
        )
    try:
        waivers = parse_waivers(params["waivers"])
        decision = evaluate_gate(
            params["kommune"],
            report,
            params["findings"],
            waivers,
            today_in_berlin(),
            params["require_complete"],
        )
    except (WaiverError, ValueError, KeyError) as err:
        module.fail_json(msg=f"the gate cannot decide: {err}")
    findings = [gate_finding(params["kommune"], decision), *decision.pop("expired_waivers")]
    result = dict(changed=False, **decision, **extra, **{RESULT_FINDINGS: findings})
    if decision["verdict"] == NO_GO:
        blocked = ", ".join(sorted({f["key"] for f in decision["inhibitors"]}))
        blocked = f"unwaived inhibitors {blocked}" if blocked else "the dry run is incomplete"
        source = f" in {path}" if path else ""
        module.fail_json(msg=f"NO-GO for {params['kommune']}{source}: {blocked}", **result)
    module.exit_json(**result)


if __name__ == "__main__":
    main()

#!/usr/bin/python
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

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
  - Returns the report's path and sha256, which the finalize phase records in the journal as the Abnahme.
  - Changes nothing. Runs on the controller (delegated to C(localhost)).
author:
  - umzug developers
options:
  kommune:
    description: Id of the Kommune (C(umzug_kommune.id)).
    type: str
    required: true
  report_dir:
    description: The report callback's C(report_dir).
    type: path
    required: true
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
"""

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.kommunal.umzug.plugins.module_utils.report_files import (
    kommune_entry,
    reports_newest_first,
    sha256_of,
)

RESULTS = ("wave.acceptance_passed", "wave.acceptance_failed", "wave.acceptance_missing")


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


def main():
    module = AnsibleModule(
        argument_spec=dict(kommune=dict(type="str", required=True), report_dir=dict(type="path", required=True)),
        supports_check_mode=True,
    )
    kommune, report_dir = module.params["kommune"], module.params["report_dir"]
    path, report, entry, keys = newest_acceptance(report_dir, kommune)
    if path is None:
        module.fail_json(
            msg=f"no report in {report_dir} shows an acceptance result for {kommune}; run wave_phase=verify first"
        )
    if keys != ["wave.acceptance_passed"]:
        module.fail_json(
            msg=f"the newest acceptance result for {kommune}, in {path}, is {', '.join(sorted(set(keys)))}; "
            "fix the cause and run wave_phase=verify again"
        )
    stopped = interruptions_of(report, entry)
    if stopped:
        first = stopped[0]
        module.fail_json(
            msg=f"the run of {path} was interrupted for {kommune} ({first.get('kind')}: {first.get('detail')}); "
            "run wave_phase=verify again"
        )
    module.exit_json(changed=False, path=path, sha256=sha256_of(path), run_id=report["run"]["id"])


if __name__ == "__main__":
    main()

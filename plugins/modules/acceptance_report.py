#!/usr/bin/python
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

# The annotations (X | None) stay unevaluated on the older Pythons a managed host may have.
from __future__ import annotations

DOCUMENTATION = r"""
module: acceptance_report
short_description: Names the report a Kommune's Abnahme accepts, with its sha256
version_added: 0.1.0
description:
  - Finds, in the report folder (I(report_dir), by default the report callback's), the newest report that
    carries an acceptance result (C(wave.acceptance_passed), C(wave.acceptance_failed) or
    C(wave.acceptance_missing)) for the Kommune.
  - Succeeds only when that result is C(wave.acceptance_passed) (each of them where the cut-over ran the suite
    in two, inside the freeze and after service resumed) and the run was not interrupted on one of the
    Kommune's hosts (another Kommune's failure in the same run does not count); otherwise fails with one
    sentence naming the report.
  - Refuses, naming key, Kommune, resources and report, while an inhibitor raised for the Kommune since its
    cut-over began (I(since)) is still open. Only the Kommune's reports of real runs count (cut-over, verify,
    finalize; not dry runs). An inhibitor is open unless a waiver active today accepts it (I(waivers) or
    I(waiver_file), by default the report callback's waiver file; the same rules as the gate) or it is resolved.
  - Resolved means a later report that checks the same thing again no longer contains it (same key and
    resources). The verify phase, like the end of the cut-over, runs the shares verify and then the acceptance
    suite (the cut-over in two runs), so a later report with the Kommune's acceptance result, not interrupted on
    its hosts, checks again the findings whose key starts with C(shares.verify_) or C(wave.acceptance_). Every
    other inhibitor of a cut-over (accounts, clients, name switch, the final sync, for example
    C(clients.pinned_certificate_changed)) comes from a step that runs once; it stays open until it is waived.
  - Returns the report's path and sha256, which the finalize phase records in the journal as the Abnahme.
  - Changes nothing. Runs on the controller as an action plugin; no connection to the host is made.
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
    description:
      - Folder of the reports. Unset, the C(report_dir) of the C(kommunal.umzug.report) callback as it is
        configured (C(UMZUG_REPORT_DIR), C(ansible.cfg), default C(artifacts/reports)).
    type: path
  since:
    description:
      - When the Kommune's cut-over began (ISO 8601 with time zone; the journal's first cut-over step).
        Reports of runs that ended before it are not read for open inhibitors. Unset, every report is read.
    type: str
  waivers:
    description:
      - Waivers to apply to those inhibitors as of today, as for C(kommunal.umzug.gate), each with C(key),
        C(owner), C(reason), C(expires) and optionally C(kommune), C(resource).
      - Unset, the waivers of I(waiver_file). Mutually exclusive with I(waiver_file).
    type: list
    elements: dict
  waiver_file:
    description:
      - Waiver file to apply, read as the C(kommunal.umzug.report) callback reads its C(waiver_file).
        A file that cannot be used refuses the Abnahme.
      - Unset, and without I(waivers), the callback's C(waiver_file) as it is configured
        (C(UMZUG_WAIVER_FILE), C(ansible.cfg)); none configured, no waivers.
      - Mutually exclusive with I(waivers).
    type: path
attributes:
  check_mode:
    support: full
    details:
      - It only reads; in check mode it finds and refuses exactly as in a real run.
  diff_mode:
    support: none
  action:
    support: full
    description: Runs on the controller.
"""

EXAMPLES = r"""
- name: Find the report that shows the acceptance
  kommunal.umzug.acceptance_report:
    kommune: "{{ umzug_kommune.id }}"
    since: "2027-03-13T08:00:00+00:00"
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

#!/usr/bin/python
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

# The annotations (X | None) stay unevaluated on the older Pythons a managed host may have.
from __future__ import annotations

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
  - With I(window), refuses first when now is outside the Kommune's window, in one sentence naming the window
    and the time now (finding C(wave.window_closed)), unless I(window_override) gives the reason; the
    override is then returned with who gave it (finding C(wave.window_override)).
  - With I(journal_dir) and I(wave), refuses while the Kommune's seed is not complete (a seed step the journal
    keeps as partial, a pass the transfer schedule stopped), in one sentence naming each share and how much of it
    is missing on the RZ; the result's C(seed_incomplete) names the shares.
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
  report:
    description:
      - Path of a C(report.json) written by the report callback,
        usually C(<report_dir>/latest-dry-run/report.json).
      - Mutually exclusive with I(report_dir).
    type: path
  report_dir:
    description:
      - Folder of the reports. The gate reads the Kommune's latest dry-run report there, which is
        the newest C(<run id>/report.json) of a check-mode run that covered the Kommune, complete or not
        (an incomplete one closes the gate), so a dry run limited to one Kommune counts for it alone.
      - Unset, and without I(report), the C(report_dir) of the C(kommunal.umzug.report) callback as it is
        configured (C(UMZUG_REPORT_DIR), C(ansible.cfg), default C(artifacts/reports)), unless only
        I(findings) are given; then the gate decides on those alone.
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
      - Unset, the waivers of I(waiver_file). Mutually exclusive with I(waiver_file).
    type: list
    elements: dict
  waiver_file:
    description:
      - Waiver file to apply, read as the C(kommunal.umzug.report) callback reads its C(waiver_file).
        A file that cannot be used keeps the gate closed.
      - Unset, and without I(waivers), the callback's C(waiver_file) as it is configured
        (C(UMZUG_WAIVER_FILE), C(ansible.cfg)); none configured, no waivers.
      - Mutually exclusive with I(waivers).
    type: path
  plan_hash:
    description:
      - C(umzug_plan_hash) of the current plan; the gate fails if the report was made for another plan.
    type: str
  require_complete:
    description: Whether an incomplete report closes the gate.
    type: bool
    default: true
  window:
    description:
      - The Kommune's agreed window, as its context carries it (C(umzug_kommune.window)), with C(start) and
        C(end) as ISO 8601 times with their offset, and C(timezone). The window includes its start and excludes
        its end.
      - Unset, the gate does not look at the time.
    type: dict
  window_override:
    description:
      - The reason for a cut-over outside I(window), as text (C(wave_window_override)). Empty or unset, no
        override. A bare C(true), or a yes/no as text, is refused, since the override must say why.
      - Inside the window it is not used and not returned.
    type: raw
  journal_dir:
    description:
      - Folder of the wave journals (C(wave_journal_dir)). With it (and I(wave)) the gate refuses while the
        Kommune's seed is not complete. Unset, the seed is not looked at.
    type: path
  wave:
    description: Number of the wave (C(umzug_wave)) whose journal I(journal_dir) holds.
    type: str
attributes:
  check_mode:
    support: full
    details:
      - The gate decides and fails in check mode too,
        so a dry run of the cut-over stops where the real one would.
  diff_mode:
    support: none
  action:
    support: full
    description: Runs on the controller.
"""

EXAMPLES = r"""
- name: Gate - no cut-over while inhibitors are open
  kommunal.umzug.gate:
    kommune: "{{ umzug_kommune.id }}"
    report: "{{ playbook_dir }}/../artifacts/reports/latest-dry-run/report.json"
    plan_hash: "{{ umzug_plan_hash }}"
    waiver_file: "{{ playbook_dir }}/../inventories/waivers.yml"
  run_once: true

- name: Gate before the cut-over of a wave - the Kommune's own latest dry run, at most a day old
  # the report folder and the waiver file of the report callback
  kommunal.umzug.gate:
    kommune: "{{ umzug_kommune.id }}"
    max_age: 24h
    plan_hash: "{{ umzug_plan_hash }}"

- name: Gate - also only inside the Kommune's window, unless an override says why
  kommunal.umzug.gate:
    kommune: "{{ umzug_kommune.id }}"
    plan_hash: "{{ umzug_plan_hash }}"
    window: "{{ umzug_kommune.window }}"
    window_override: "{{ wave_window_override }}"
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
seed_incomplete:
  description: The shares whose seed the journal has as not complete, when the gate refused for them.
  returned: when the gate refused because the seed is not complete
  type: list
  elements: str
  sample: [bauamt, kaemmerei]
window:
  description:
    - The Kommune's window and the time the gate decided at, local time C(YYYY-MM-DD HH:MM) in C(timezone),
      and where that time lies (C(before), C(inside), C(after)).
  returned: when I(window) is given
  type: dict
  sample: {start: "2027-03-12 18:00", end: "2027-03-14 18:00", timezone: Europe/Berlin, now: "2027-03-13 09:12",
           position: inside}
window_override:
  description: The override the cut-over runs outside its window with, C(reason) and C(by) (login@host); null inside.
  returned: when I(window) is given
  type: dict
  sample: {reason: "Fenster verlegt, Ticket 4711", by: "erika@rz-ansible"}
umzug_findings:
  description:
    - C(wave.gate_open) or C(wave.gate_closed),
      plus C(report.waiver_expired) for every expired waiver that matched,
      and C(wave.window_override) when the override was used; C(wave.window_closed) when the window refused.
  returned: always
  type: list
  elements: dict
  sample: [{key: wave.gate_closed, title: Cut-over blocked for kommune-a, severity: high, inhibitor: true}]
"""

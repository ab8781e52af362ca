#!/usr/bin/python
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

DOCUMENTATION = r"""
module: journal
short_description: Records a Kommune's completed wave steps and keeps two runs apart
version_added: 0.1.0
description:
  - The journal of one Kommune in one wave, on the controller in C(<dir>/wave-<wave>/<kommune>.json),
    lists the completed steps of every phase. A run interrupted anywhere (even C(kill -9) of
    ansible-playbook) is started again and skips what the journal lists.
  - C(state=begin) takes the Kommune's lock C(<dir>/wave-<wave>/<kommune>.lock), which names the
    ansible-playbook process (PID and host) of the run; a second run on the same Kommune is refused
    with one sentence naming the holder. A lock whose PID no longer runs on this host is taken over with
    a warning. The decision is made under an exclusive C(flock), so two runs starting at once cannot both
    win. Tasks of the same run may call C(begin) again (one per host of the Kommune).
  - C(state=check) returns the completed steps without touching the lock; C(state=done) records one step
    (only by the run holding the lock); C(state=refused) records a step that refused to start, with its
    I(reason), in the journal's C(refused) list (the gate outside the Kommune's window); C(state=partial)
    records how far a step got that ran and is not done (a seed the transfer schedule stopped), with
    I(reason) and I(record), in the journal's C(partial); the step stays out of the completed ones, so the
    next run runs it again, and leaves C(partial) once it is recorded done; C(state=reset)
    moves phases into the journal's history so that the next attempt starts them afresh (after a
    rollback); C(state=release) removes the lock if it is this run's.
  - The step C(accepted) of the phase C(finalize) is the Abnahme, the point of no return; afterwards
    C(begin) and C(check) refuse the phases that no longer run then (seed, cutover and rollback;
    C(after_abnahme) in the table).
  - Every write replaces the file atomically. The journal keeps step names, times, run ids and small
    records; record keys naming secrets (password, secret, token, private key ...) are refused.
  - Runs on the controller as an action plugin; no connection to the host is made.
author:
  - umzug developers (@kommunal)
extends_documentation_fragment:
  - kommunal.umzug.attributes
  - kommunal.umzug.attributes.action
options:
  state:
    description: What to do, see the description.
    type: str
    required: true
    choices: [begin, check, done, refused, partial, reset, release]
  dir:
    description: Folder of the journals on the controller, e.g. C(artifacts/journal).
    type: path
    required: true
  wave:
    description: Number of the wave (C(umzug_wave)).
    type: str
    required: true
  kommune:
    description: Id of the Kommune (C(umzug_kommune.id)).
    type: str
    required: true
  phase:
    description:
      - The phase the step belongs to. Required for C(begin), C(check), C(done) and C(refused).
      - One of the phases of the Welle's table (C(roles/wave/vars/main.yml)), which the action plugin checks
        it against; today discover, dryrun, seed, cutover, verify, finalize, rollback.
    type: str
  step:
    description:
      - Name of the completed step for C(state=done), or of the step that refused for C(state=refused),
        e.g. C(final_sync@kommune-a-fs). Lowercase letters, digits, C(_ . @ -).
    type: str
  record:
    description:
      - Small plain data kept with the step (or the refusal), e.g. the Abnahme's C(by) and C(report_sha256),
        the gate's C(window) and C(window_override).
    type: dict
    default: {}
  phases:
    description: For C(state=reset), the phases whose steps move into the history.
    type: list
    elements: str
    default: []
  reason:
    description: For C(state=reset), why (kept in the history); for C(state=refused), why the step refused; for
      C(state=partial), why the step is not done.
    type: str
    default: ''
attributes:
  check_mode:
    support: full
    details:
      - In check mode the journal decides (and refuses) as usual and writes nothing. The wave playbook runs
        C(begin) and C(release) with C(check_mode=false), because a dry run holds the Kommune's lock too.
  diff_mode:
    support: none
  action:
    support: full
"""

EXAMPLES = r"""
- name: Take the Kommune's lock and read what is done
  kommunal.umzug.journal:
    state: begin
    dir: "{{ playbook_dir }}/../artifacts/journal"
    wave: "{{ umzug_wave }}"
    kommune: "{{ umzug_kommune.id }}"
    phase: cutover
  check_mode: false
  register: journal

- name: Final share sync, unless the journal has it
  ansible.builtin.include_role:
    name: kommunal.umzug.shares
  vars:
    shares_action: sync
    shares_pass: final
  when: "'final_sync@' ~ inventory_hostname not in journal.completed"

- name: Record the Abnahme
  kommunal.umzug.journal:
    state: done
    dir: "{{ playbook_dir }}/../artifacts/journal"
    wave: "{{ umzug_wave }}"
    kommune: "{{ umzug_kommune.id }}"
    phase: finalize
    step: accepted
    record: {by: Erika Muster, report: artifacts/reports/x/report.json, report_sha256: 0f1e...}

- name: Record that the gate refused the cut-over
  kommunal.umzug.journal:
    state: refused
    dir: "{{ playbook_dir }}/../artifacts/journal"
    wave: "{{ umzug_wave }}"
    kommune: "{{ umzug_kommune.id }}"
    phase: cutover
    step: gate
    reason: "Cut-over of kommune-a refused: its window is 2027-03-12 18:00 to 2027-03-14 18:00 (Europe/Berlin), ..."
"""

RETURN = r"""
path:
  description: The journal file.
  returned: always
  type: str
  sample: /srv/umzug/artifacts/journal/wave-1/kommune-a.json
lock_path:
  description: The lock file of the Kommune.
  returned: always
  type: str
  sample: /srv/umzug/artifacts/journal/wave-1/kommune-a.lock
completed:
  description: Completed steps of I(phase), in the order they completed.
  returned: always
  type: list
  elements: str
  sample: [gate, freeze@kommune-a-fs]
phases:
  description: Completed steps of every phase.
  returned: always
  type: dict
  sample: {seed: [accounts@kommune-a-dc], cutover: [gate]}
partial:
  description: Per phase and step, how far a step got that ran and is not done (C(state=partial)), the latest
    attempt's C(at), C(run), C(reason) and C(record).
  returned: always
  type: dict
  sample: {seed: {shares_seed@kommune-a-fs: {at: "2027-03-10T05:00:02+00:00", reason: seed incomplete,
           record: {shares: {bauamt: {complete: false, progress: {files: 7000, files_total: 9000}}}}}}}
finalized:
  description: The Abnahme (by, at, report, report_sha256), or null before it.
  returned: always
  type: dict
  sample: {by: Erika Muster, at: "2027-03-14T15:02:11+00:00", report_sha256: 0f1e...}
owner:
  description: This run as the lock names it.
  returned: always
  type: dict
  sample: {pid: 4711, host: controller, run: 4711@controller}
"""

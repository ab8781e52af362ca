#!/usr/bin/python
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

# Documentation only: kommunal.umzug.wave_progress is an action plugin (plugins/action/wave_progress.py)
# that runs on the controller; no module code goes to a host.

DOCUMENTATION = r"""
module: wave_progress
short_description: Says where a Welle stands, as data for the progress callback
version_added: 0.1.0
description:
  - The wave role's progress of one Kommune in one phase (docs/wave.md "Progress"), as an event the
    C(kommunal.umzug.progress) callback reads from the task result (RV(umzug_progress)), never from a line of text.
  - V(begin) and V(done) frame a phase, V(step) says that a step runs or is already done (journal).
    V(blocked) (a step does not start because an earlier one of the Kommune did not complete) and V(stopped)
    (the Kommune stopped where a host failed) fail the task with their line.
  - Runs on the controller as an action plugin and touches nothing.
author:
  - umzug developers (@kommunal)
extends_documentation_fragment:
  - kommunal.umzug.attributes
  - kommunal.umzug.attributes.action
options:
  event:
    description: What happened.
    type: str
    required: true
    choices: [begin, step, done, blocked, stopped]
  wave:
    description: Number of the wave (C(umzug_wave)).
    type: str
    required: true
  kommune:
    description: Id of the Kommune (C(umzug_kommune.id)).
    type: str
    required: true
  phase:
    description: The phase, one of the phases of the Welle's table (C(roles/wave/vars/main.yml)).
    type: str
    required: true
  count:
    description: Number of steps of the phase. Required for V(begin), V(done), V(step) and V(blocked).
    type: int
  index:
    description: Position of the step in the phase, from 1. Required for V(step) and V(blocked).
    type: int
  step:
    description: Id of the step (its name in the journal). Required for V(step) and V(blocked).
    type: str
  label:
    description: What the progress line calls the step. Required for V(step) and V(blocked).
    type: str
  state:
    description: For V(step), whether it runs now or the journal has it done already.
    type: str
    choices: [running, journal]
    default: running
  resumed:
    description: For V(begin), how many steps the journal has completed already.
    type: int
    default: 0
  missing:
    description: For V(blocked), the earlier steps that did not complete.
    type: list
    elements: str
    default: []
  failed_hosts:
    description: For V(stopped), the hosts of the Kommune that failed.
    type: list
    elements: str
    default: []
  recorded:
    description: For V(stopped), whether the phase records its steps (a new run continues from the journal).
    type: bool
    default: false
attributes:
  check_mode:
    support: full
    details:
      - Says the same in check mode; it changes nothing anyway.
  diff_mode:
    support: none
  action:
    support: full
"""

EXAMPLES = r"""
- name: Progress
  kommunal.umzug.wave_progress:
    event: step
    wave: "{{ umzug_wave | string }}"
    kommune: "{{ umzug_kommune.id }}"
    phase: cutover
    index: 4
    count: 9
    step: final_sync
    label: final share sync
    state: running
"""

RETURN = r"""
umzug_progress:
  description: The event as data, with the options that belong to it; what the progress callback reads.
  returned: always
  type: dict
  sample: {event: step, wave: "1", kommune: kommune-a, phase: cutover, index: 4, count: 9, step: final_sync,
           label: final share sync, state: running}
msg:
  description: The same as one line.
  returned: always
  type: str
  sample: "[wave 1] kommune-a cutover: 4/9 final share sync ... running"
"""

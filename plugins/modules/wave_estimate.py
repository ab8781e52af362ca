#!/usr/bin/python
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

# Documentation only: kommunal.umzug.wave_estimate is an action plugin (plugins/action/wave_estimate.py)
# that runs on the controller; no module code goes to a host.

DOCUMENTATION = r"""
module: wave_estimate
short_description: Estimates a Kommune's seed, its final pass and whether its cut-over fits its window
version_added: 0.1.0
description:
  - The dry run's estimate for one Kommune (docs/wave.md "Estimates"), by the one model of
    C(plugins/plugin_utils/wave/estimate.py) - fixed costs per pass and per share, costs per file, and the data
    walked through the transfer schedule's limits at most the link's bandwidth.
  - Measured throughput, fixed cost per share, a typical day's change and the cut-over steps' times are taken
    from this Kommune's journal, else from the other Kommunen's journals of the wave, else from the link and
    the defaults; the estimate's C(inputs) say which.
  - Returns the finding C(wave.window_too_short) (an inhibitor unless waived) when the estimated final pass
    plus the other cut-over steps take longer than the Kommune's window.
  - Runs on the controller as an action plugin and changes nothing.
author:
  - umzug developers (@kommunal)
extends_documentation_fragment:
  - kommunal.umzug.attributes
  - kommunal.umzug.attributes.action
options:
  kommune:
    description: Id of the Kommune (C(umzug_kommune.id)).
    type: str
    required: true
  wave:
    description: Number of the wave (C(umzug_wave)); its journals are in I(journal_dir)C(/wave-<wave>/).
    type: str
    required: true
  journal_dir:
    description: Folder of the journals (C(wave_journal_dir)).
    type: path
    required: true
  discovered:
    description:
      - What the discovery of the Kommune's shares found, by host (the registered result of
        M(kommunal.umzug.share_discover) or M(kommunal.umzug.share_discover_smb)); its C(shares), each with
        C(name), C(files) and C(bytes), are the data. Each host's pass costs its fixed cost once.
      - A share's C(wire_sample) (M(kommunal.umzug.share_discover)'s sample of its content compressed as a
        pass would) gives a compressed Kommune's bytes on the wire per byte of content until a compressed
        pass of the Kommune measured them.
    type: dict
    default: {}
  link:
    description: The Kommune's link (C(umzug_kommune.link)), C(bandwidth) in Mbit/s and C(latency) in ms.
    type: dict
  transfer:
    description: The Kommune's transfer policy (C(umzug_kommune.transfer)); its C(schedule) limits the passes.
    type: dict
  window:
    description: The Kommune's window (C(umzug_kommune.window)). Without one, nothing is said about the fit.
    type: dict
  source_kind:
    description: The Kommune's source kind (C(umzug_source.kind)); a windows source costs round trips per file.
    type: str
    choices: [samba, windows]
    default: samba
  seed_start:
    description:
      - When the seed is assumed to start, C(YYYY-MM-DD HH:MM) in Europe/Berlin or ISO 8601 with its offset.
        Empty, the time of the dry run.
    type: str
    default: ""
  settings:
    description:
      - 'Overrides of the model''s defaults (docs/wave.md "Estimates"), e.g. C({share_seconds: 3,
        daily_change: {bytes_percent: 5}}); an unknown name fails.'
    type: dict
    default: {}
attributes:
  check_mode:
    support: full
    details:
      - Estimates the same in check mode; it changes nothing anyway.
  diff_mode:
    support: none
  action:
    support: full
"""

EXAMPLES = r"""
- name: Estimate the seed, the final pass and the fit into the window
  kommunal.umzug.wave_estimate:
    kommune: "{{ umzug_kommune.id }}"
    wave: "{{ umzug_wave | string }}"
    journal_dir: "{{ wave_journal_dir }}"
    discovered:
      kommune-a-fs: {shares: [{name: bauamt, files: 120000, bytes: 85000000000}]}
    link: "{{ umzug_kommune.link }}"
    transfer: "{{ umzug_kommune.transfer }}"
    window: "{{ umzug_kommune.window }}"
"""

RETURN = r"""
umzug_estimate:
  description:
    - The estimate as report.json carries it (C(kommunen[].estimate), schemas/report.schema.json) - its
      C(inputs) (sizes, link, schedule, where the throughput, the fixed cost per share and the daily change
      came from), C(seed) (assumed start, end, seconds, their parts and the stretches at one limit),
      C(final_sync) (changed bytes and files, seconds) and C(cutover) (each step's seconds and source, the
      total, the window's seconds and whether it fits, and C(downtime), the seconds from the freeze to
      service resumed, the steps they cover and those that run after).
  returned: success
  type: dict
  sample:
    inputs: {shares: 6, files: 120000, bytes: 85000000000, throughput: {source: link, efficiency: 0.9}}
    seed: {start: "2026-12-04T22:00:00+00:00", start_source: now, seconds: 8241.0}
    final_sync: {bytes: 1700000000, files: 1200, seconds: 230.5}
    cutover: {seconds: 552.5, window_seconds: 172800.0, fits: true,
              downtime: {seconds: 431.0, steps: [final_sync, gate_freeze], after: [acceptance]}}
umzug_findings:
  description: C(wave.window_too_short) when the cut-over does not fit the window, else empty.
  returned: success
  type: list
  elements: dict
  sample: []
"""

#!/usr/bin/python
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

DOCUMENTATION = r"""
module: share_progress
short_description: Reads the progress of a running sync pass as one line
version_added: 0.1.0
description:
  - Runs where M(kommunal.umzug.share_sync) runs (the RZ file server). Waits O(wait) seconds, then
    returns the figures of the pass's progress file and one line for a log (files, bytes, rate, time left,
    and while a bandwidth limit is in force the rate on the wire of the last seconds against it and the time
    left at it). A compressed pass's content comes faster than its bytes on the wire; the limit counts those.
  - With O(paths), the progress files of several passes (M(kommunal.umzug.share_sync) with its
    O(kommunal.umzug.share_sync#module:shares)), read in one run and given as one line for all of them, the
    shares whose content moves each with its figures, the others counted.
  - Meant for a polling loop next to an C(async) sync task; reads only.
author:
  - umzug developers (@kommunal)
extends_documentation_fragment:
  - kommunal.umzug.attributes
options:
  path:
    description: The pass's progress file (O(kommunal.umzug.share_sync#module:progress_path)). Not with O(paths).
    type: path
  label:
    description: What the line starts with, e.g. the share and the pass.
    type: str
    default: ''
  paths:
    description: The progress files of several passes, each with its label; not with O(path).
    type: list
    elements: dict
    suboptions:
      path:
        description: The pass's progress file (O(kommunal.umzug.share_sync#module:shares[].progress_path)).
        type: path
        required: true
      label:
        description: What the pass's part of the line starts with, e.g. the share and the pass.
        type: str
        default: ''
  wait:
    description: Seconds to wait before reading the figures (the beat of the log lines).
    type: float
    default: 5
attributes:
  check_mode:
    support: full
  diff_mode:
    support: none
"""

EXAMPLES = r"""
- name: Progress of the seed pass
  kommunal.umzug.share_progress:
    path: /var/lib/umzug/shares/altdorf/bauamt.progress.json
    label: bauamt seed
    wait: 5
  delegate_to: rz-fs
  register: progress
"""

RETURN = r"""
msg:
  description: One line for the log.
  returned: success
  type: str
  sample: "bauamt seed: 1200/5000 files, 1.2 GiB/4.0 GiB, 95.3 MiB/s, 30 s left"
umzug_progress:
  description:
    - The line as a progress event of a payload, which the C(kommunal.umzug.progress) callback prints after the
      Kommune and phase of the host.
  returned: success
  type: dict
  sample: {event: payload, message: "bauamt seed: 1200/5000 files, 1.2 GiB/4.0 GiB, 95.3 MiB/s, 30 s left"}
progress:
  description:
    - The figures as the pass wrote them (empty while it lists the trees); with O(paths) a list of them, in order.
  returned: success
  type: raw
  sample: {files: 1200, files_total: 5000, bytes: 1288490188, bytes_total: 4294967296,
           rate_bytes_per_s: 99930521, wire_bytes: 644245094, codec: zstd, recent_wire_rate_bytes_per_s: 2498000,
           seconds_left: 30, limit_bytes_per_s: 2500000, seconds_left_at_limit: 601}
"""

import json
import time

from ansible.module_utils.basic import AnsibleModule


def size(value) -> str:
    value = float(value or 0)
    for unit in ("B", "KiB", "MiB", "GiB", "TiB"):
        if value < 1024 or unit == "TiB":
            return f"{value:.0f} {unit}" if unit == "B" else f"{value:.1f} {unit}"
        value /= 1024
    return f"{value:.1f} TiB"


def line(label: str, progress: dict) -> str:
    prefix = f"{label}: " if label else ""
    if not progress:
        return prefix + "listing source and target"
    left = progress.get("seconds_left")
    return (f"{prefix}{progress.get('files', 0)}/{progress.get('files_total', 0)} files, "
            f"{size(progress.get('bytes'))}/{size(progress.get('bytes_total'))}, "
            f"{size(progress.get('rate_bytes_per_s'))}/s, "
            + ("time left unknown" if left is None else f"{left} s left") + against_limit(progress))


def against_limit(progress: dict) -> str:
    """The rate on the wire of the last seconds against the limit in force (both Mbit/s, the
    plan's unit): what the limit counts, compressed where the stream is."""
    limit = progress.get("limit_bytes_per_s")
    if not limit:
        return ""
    recent = progress.get("recent_wire_rate_bytes_per_s", progress.get("rate_bytes_per_s")) or 0
    codec = progress.get("codec")
    wire = f" on the wire ({codec})" if codec and codec != "none" else ""
    return (f"; now {recent * 8 / 1e6:.1f} of {limit * 8 / 1e6:g} Mbit/s allowed{wire}, "
            f"{progress.get('seconds_left_at_limit')} s left at that limit")


def lines(labels: list[str], progresses: list[dict]) -> str:
    """One line for several passes: those whose content moves with their figures, the others
    (listing, or nothing to copy) counted."""
    moving = [line(label, progress) for label, progress in zip(labels, progresses, strict=True) if progress]
    rest = len(progresses) - len(moving)
    if rest:
        moving.append(f"{rest} {'share' if rest == 1 else 'shares'} listing source and target or with nothing to copy")
    return "; ".join(moving)


def read(path: str) -> dict:
    try:
        with open(path, encoding="utf-8") as handle:
            return json.load(handle)
    except (FileNotFoundError, ValueError):
        return {}


def main():
    module = AnsibleModule(
        argument_spec=dict(path=dict(type="path"), label=dict(type="str", default=""),
                           paths=dict(type="list", elements="dict", options=dict(
                               path=dict(type="path", required=True), label=dict(type="str", default=""))),
                           wait=dict(type="float", default=5)),
        mutually_exclusive=[("path", "paths")],
        required_one_of=[("path", "paths")],
        supports_check_mode=True,
    )
    params = module.params
    # A steady beat: one line per wait, whatever the pass's own update rate.
    time.sleep(max(params["wait"], 0))
    if params["paths"] is None:
        progress = read(params["path"])
        message = line(params["label"], progress)
    else:
        progress = [read(item["path"]) for item in params["paths"]]
        message = lines([item["label"] for item in params["paths"]], progress)
    module.exit_json(changed=False, msg=message, progress=progress,
                     umzug_progress={"event": "payload", "message": message})


if __name__ == "__main__":
    main()

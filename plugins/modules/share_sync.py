#!/usr/bin/python
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

DOCUMENTATION = r"""
module: share_sync
short_description: Runs one sync pass of a share, pulled by the RZ file server from the Kommune's
version_added: 0.1.0
description:
  - Runs on the RZ file server. Reads the source share's listing over SSH with the transfer key, plans
    the pass against the target and the state of the last pass, pulls the content that changed as a
    tar stream over the same SSH connection (never through the Ansible controller), and applies owners,
    POSIX ACLs and Windows ACLs translated through the identity mapping. Paths the source no longer has
    are deleted inside O(target_root) only.
  - A pass interrupted at any point (kill -9, a dropped connection) is completed by the next one; the
    state of the last pass is written atomically at its end.
  - Progress (files, bytes, rate, seconds left) is written to O(progress_path) while content moves;
    M(kommunal.umzug.share_progress) prints it.
  - Check mode changes nothing and returns exactly what a pass would do, with counts and the first
    O(show) paths of each kind; SIDs and ids the mapping cannot translate are findings in both modes.
author:
  - umzug developers
extends_documentation_fragment:
  - kommunal.umzug.share_source
options:
  state_path:
    description: State file of the share's passes (what the last pass left on the target).
    type: path
    required: true
  progress_path:
    description: Progress file written while content moves.
    type: path
  sync_pass:
    description: Which pass this is (seed while users work, delta passes, the final pass in the freeze).
    type: str
    choices: [seed, delta, final]
    default: delta
  delete:
    description: Delete target paths the source no longer has (inside O(target_root) only).
    type: bool
    default: true
  show:
    description: How many paths of each kind the result lists (counts are always exact).
    type: int
    default: 10
requirements:
  - GNU tar and ssh on the RZ file server; Python 3, GNU tar and winbind (wbinfo) on the source.
attributes:
  check_mode:
    support: full
  diff_mode:
    support: none
"""

EXAMPLES = r"""
- name: Seed pass of the Bauamt share
  kommunal.umzug.share_sync:
    share: bauamt
    source_host: 10.89.42.12
    source_root: /srv/shares/bauamt
    key: /root/.ssh/umzug_transfer
    target_root: /srv/shares/altdorf-bauamt
    state_path: /var/lib/umzug/shares/altdorf/bauamt.state.json
    progress_path: /var/lib/umzug/shares/altdorf/bauamt.progress.json
    mapping: "{{ lookup('ansible.builtin.file', 'artifacts/mapping/kommune-a.yml') | from_yaml }}"
    sync_pass: seed
  delegate_to: rz-fs
  async: 86400
  poll: 0
"""

RETURN = r"""
counts:
  description: Paths per kind of work (exact, also in check mode).
  returned: success
  type: dict
  sample: {mkdir: 3, copy: 12, meta: 1, delete: 2, unchanged: 40}
bytes:
  description: Bytes of content the pass copies.
  returned: success
  type: int
  sample: 1048576
first:
  description: The first O(show) paths of each kind of work.
  returned: success
  type: dict
  sample: {copy: [Bauanträge/2025/Antrag.txt], delete: [alt.txt]}
seconds:
  description: How long the pass took.
  returned: success
  type: float
  sample: 1.5
umzug_changes:
  description: What was (or would be) changed, umzug changes model.
  returned: success
  type: dict
  sample: {payload: shares, counts: {copy: 12}, items: {copy: [bauamt/a.txt]}, truncated: false}
umzug_findings:
  description: Findings (SIDs and ids the identity mapping cannot translate, unreadable Windows ACLs).
  returned: success
  type: list
  elements: dict
  sample: []
"""

import os
import socket

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.kommunal.umzug.plugins.module_utils import share_identity
from ansible_collections.kommunal.umzug.plugins.module_utils.findings import (
    RESULT_CHANGES,
    RESULT_FINDINGS,
    Changes,
    Finding,
    Remediation,
)
from ansible_collections.kommunal.umzug.plugins.module_utils.share_identity import Winbind
from ansible_collections.kommunal.umzug.plugins.module_utils.share_sync import SshSource, SyncError, run_pass
from ansible_collections.kommunal.umzug.plugins.module_utils.share_tree import shown

KINDS = ("mkdir", "copy", "meta", "delete")


def translation_findings(share, translate, where):
    found = []
    if translate.unmapped_sids:
        sids = sorted(translate.unmapped_sids)
        paths = sorted({shown(p) for s in sids for p in translate.unmapped_sids[s]})
        found.append(Finding(
            key="shares.sid_unmapped", title=f"SIDs without a new identity in share {share}",
            summary=f"{len(sids)} SID(s) in Windows ACLs of {len(paths)} path(s) were kept unchanged: "
                    f"{', '.join(sids[:10])}. They grant nothing on the target.",
            severity="medium", payload="shares",
            remediation=Remediation("hint", "Add manual entries to the identity mapping, then run the next pass."),
            resources=(share, *sids[:20]), **where))
    if translate.unmapped_ids:
        ids = sorted(translate.unmapped_ids)
        found.append(Finding(
            key="shares.id_unmapped", title=f"Owners or POSIX ACL entries without a new id in share {share}",
            summary=f"{', '.join(ids[:10])} could not be translated and were kept as numbers.",
            severity="medium", payload="shares",
            remediation=Remediation("hint", "Map the owners' SIDs in the identity mapping."),
            resources=(share, *ids[:20]), **where))
    if translate.unreadable_ntacls:
        paths = sorted(shown(p) for p in translate.unreadable_ntacls)
        found.append(Finding(
            key="shares.ntacl_unreadable", title=f"Windows ACLs that cannot be read in share {share}",
            summary=f"{len(paths)} path(s) kept their ACL blob untranslated: {', '.join(paths[:5])}.",
            severity="high", payload="shares",
            remediation=Remediation("hint", "Reset these ACLs on the source (smbcacls --set), then run a pass."),
            resources=(share, *paths[:20]), **where))
    return found


def main():
    module = AnsibleModule(
        argument_spec=dict(
            **share_identity.source_args(),
            state_path=dict(type="path", required=True),
            progress_path=dict(type="path"),
            sync_pass=dict(type="str", choices=["seed", "delta", "final"], default="delta", no_log=False),
            delete=dict(type="bool", default=True),
            show=dict(type="int", default=10),
        ),
        supports_check_mode=True,
    )
    p = module.params
    where = {"kommune": p["kommune"], "host": socket.gethostname()}
    translate_sid = share_identity.module_translator(module)
    if p["key"] and not os.path.isfile(p["key"]):
        module.fail_json(msg=f"transfer key {p['key']} does not exist on this host")
    if p["progress_path"] and not module.check_mode and os.path.exists(p["progress_path"]):
        os.unlink(p["progress_path"])  # a previous pass's figures must not show as this one's
    source = SshSource(p["source_host"], os.fsencode(p["source_root"]), p["source_user"], p["key"], p["ssh_options"])
    try:
        done = run_pass(source, os.fsencode(p["target_root"]), p["state_path"], translate_sid,
                        Winbind().target_id, check=module.check_mode, delete=p["delete"],
                        progress_path=p["progress_path"])
    except (SyncError, OSError) as err:
        module.fail_json(msg=f"share {p['share']}, {p['sync_pass']} pass: {err}")
    plan = done.plan
    counts = {kind: len(getattr(plan, kind)) for kind in KINDS}
    counts["unchanged"] = plan.unchanged
    changes = Changes("shares", limit=p["show"])
    for kind in KINDS:
        for node in getattr(plan, kind):
            changes.add(kind, f"{p['share']}/{shown(node.path)}")
    module.exit_json(
        changed=not plan.is_empty(), share=p["share"], sync_pass=p["sync_pass"], counts=counts,
        bytes=plan.bytes_to_copy, seconds=round(done.seconds, 3),
        first={kind: [shown(n.path) for n in getattr(plan, kind)[:p["show"]]] for kind in KINDS},
        **{RESULT_CHANGES: changes.to_dict(),
           RESULT_FINDINGS: [f.to_dict() for f in translation_findings(p["share"], done.translate, where)]})


if __name__ == "__main__":
    main()

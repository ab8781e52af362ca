#!/usr/bin/python
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

DOCUMENTATION = r"""
module: share_verify
short_description: Compares a share's manifests on the source and the RZ file server
version_added: 0.1.0
description:
  - Runs on the RZ file server. Computes the manifest of the source share (over SSH with the transfer
    key, on the source) and of the target share (here), per path type, size, mtime, mode, owner and
    group, hard-link group, symlink target, SHA-256 of the content and a digest over ACLs and xattrs.
    The source's owners and ACLs are translated through the identity mapping first, so equal entries
    mean the move carried the path completely.
  - Returns counts and bytes of both sides and every mismatch; each kind of mismatch is a finding
    (C(shares.verify_missing), C(shares.verify_extra), C(shares.verify_mismatch)), an inhibitor.
  - Writes both manifests to O(manifest_dir) (JSON, one file per side) for the record.
  - With O(state_path) (the state file of the share's passes, as M(kommunal.umzug.share_sync) has it),
    records the paths that differ or are missing beside it (C(<state_path>.flagged)), so that the next
    pass copies them again (its O(kommunal.umzug.share_sync#module:compare_content), default V(flagged)).
    Among them are content changes that kept size and mtime, which a pass's quick check cannot see. An
    identical share removes the record. Holds the share's pass lock while it compares, so it neither
    runs beside a pass nor lets one start; in check mode it takes no lock and writes nothing.
author:
  - umzug developers (@kommunal)
extends_documentation_fragment:
  - kommunal.umzug.attributes
  - kommunal.umzug.share_source
  - kommunal.umzug.share_source.server
  - kommunal.umzug.identity_mapping
options:
  manifest_dir:
    description: Where the two manifests are written (not in check mode); omitted writes none.
    type: path
  state_path:
    description:
      - State file of the share's passes on this host (the O(kommunal.umzug.share_sync#module:state_path)
        of the same share). The differing and missing paths are recorded beside it for the next pass.
      - Omitted, nothing is recorded; then only a pass with
        O(kommunal.umzug.share_sync#module:compare_content=all) finds content changes that kept size
        and mtime.
    type: path
  show:
    description: How many mismatching paths the result lists per kind (counts are exact).
    type: int
    default: 50
attributes:
  check_mode:
    support: full
  diff_mode:
    support: none
notes:
  - Changes nothing the migration depends on; in check mode not even the manifest files are written.
"""

EXAMPLES = r"""
- name: Verify the Bauamt share
  kommunal.umzug.share_verify:
    share: bauamt
    source_host: 10.89.42.12
    source_root: /srv/shares/bauamt
    key: /root/.ssh/umzug_transfer
    target_root: /srv/shares/altdorf-bauamt
    mapping: "{{ lookup('ansible.builtin.file', 'artifacts/mapping/kommune-a.yml') | from_yaml }}"
    manifest_dir: /var/lib/umzug/shares/altdorf
    state_path: /var/lib/umzug/shares/altdorf/bauamt.state.json
  delegate_to: rz-fs
"""

RETURN = r"""
source:
  description: Totals of the source's manifest (files, dirs, symlinks, bytes, digest over all entries).
  returned: success
  type: dict
  sample: {files: 12, dirs: 4, symlinks: 1, bytes: 4096, digest: 9f86d0...}
target:
  description: Totals of the target's manifest.
  returned: success
  type: dict
  sample: {files: 12, dirs: 4, symlinks: 1, bytes: 4096, digest: 9f86d0...}
identical:
  description: Both manifests are equal.
  returned: success
  type: bool
  sample: true
missing:
  description: Paths the source has and the target lacks (first O(show)); count in RV(counts).
  returned: success
  type: list
  elements: str
  sample: []
extra:
  description: Paths only the target has (first O(show)).
  returned: success
  type: list
  elements: str
  sample: []
differ:
  description: Paths whose entries differ, with the fields that differ (first O(show)).
  returned: success
  type: dict
  sample: {Bauanträge/Antrag.txt: [sha256, mtime_ns]}
counts:
  description: Number of missing, extra and differing paths.
  returned: success
  type: dict
  sample: {missing: 0, extra: 0, differ: 0}
flagged:
  description: The file recording the differing and missing paths for the next pass, or null (none
    differ, no O(state_path), or check mode).
  returned: success
  type: str
  sample: /var/lib/umzug/shares/altdorf/bauamt.state.json.flagged
umzug_findings:
  description: Findings of the umzug findings model.
  returned: success
  type: list
  elements: dict
  sample: []
"""

import contextlib
import os
import socket

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.kommunal.umzug.plugins.module_utils.findings import RESULT_FINDINGS
from ansible_collections.kommunal.umzug.plugins.module_utils.shares import identity as share_identity
from ansible_collections.kommunal.umzug.plugins.module_utils.shares import manifest as share_manifest
from ansible_collections.kommunal.umzug.plugins.module_utils.shares.identity import Winbind
from ansible_collections.kommunal.umzug.plugins.module_utils.shares.manifest import findings
from ansible_collections.kommunal.umzug.plugins.module_utils.shares.sync import (
    SshSource,
    SyncError,
    Translator,
    flag_for_next_pass,
    state_lock,
)
from ansible_collections.kommunal.umzug.plugins.module_utils.shares.tree import shown


def main():
    module = AnsibleModule(
        argument_spec=dict(
            **share_identity.source_args(),
            manifest_dir=dict(type="path"),
            show=dict(type="int", default=50),
            state_path=dict(type="path"),
        ),
        supports_check_mode=True,
    )
    params = module.params
    where = {"kommune": params["kommune"], "host": socket.gethostname()}
    translate_sid = share_identity.module_translator(module)
    target_root = os.fsencode(params["target_root"])
    if not os.path.isdir(target_root):
        module.fail_json(msg=f"share {params['share']}: {params['target_root']} does not exist on this host; "
                             "provision and sync it first")
    ssh = SshSource(params["source_host"], os.fsencode(params["source_root"]), params["source_user"], params["key"],
                    params["ssh_options"]).ssh_command()
    # Recording paths for the next pass is a write to the pass's state: under its lock, and
    # not beside a running pass, whose half-done work would be flagged.
    records = params["state_path"] and not module.check_mode
    flagged = None
    try:
        with (state_lock(params["state_path"], f"verify of share {params['share']}") if records
              else contextlib.nullcontext()):
            source = share_manifest.remote_side(ssh, params["source_host"], os.fsencode(params["source_root"]))
            winbind = Winbind()
            translate = Translator(translate_sid, source.uid_sids, source.gid_sids, winbind.target_id)
            expected = share_manifest.entries(source, translate)
            actual = share_manifest.entries(share_manifest.local_side(target_root))
            comparison = share_manifest.compare(expected, actual)
            if records:
                flagged = flag_for_next_pass(params["state_path"], [*comparison.missing, *comparison.differ])
    except (SyncError, OSError) as err:
        module.fail_json(msg=f"share {params['share']}: {err}")
    if params["manifest_dir"] and not module.check_mode:
        share_manifest.save(os.path.join(params["manifest_dir"], f"{params['share']}.source.json"), expected)
        share_manifest.save(os.path.join(params["manifest_dir"], f"{params['share']}.target.json"), actual)
    show = params["show"]
    module.exit_json(
        changed=False, share=params["share"], identical=comparison.ok,
        source=share_manifest.totals(expected), target=share_manifest.totals(actual),
        counts={"missing": len(comparison.missing), "extra": len(comparison.extra),
                "differ": len(comparison.differ)},
        missing=[shown(x) for x in comparison.missing[:show]], extra=[shown(x) for x in comparison.extra[:show]],
        differ={shown(k): v for k, v in list(comparison.differ.items())[:show]}, flagged=flagged,
        **{RESULT_FINDINGS: [f.to_dict() for f in findings(params["share"], comparison, where, flagged,
                                                           bool(params["state_path"]) and module.check_mode)]})


if __name__ == "__main__":
    main()

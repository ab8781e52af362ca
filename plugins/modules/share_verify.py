#!/usr/bin/python
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

DOCUMENTATION = r"""
module: share_verify
short_description: Compares the manifests of a Kommune's shares on the source and the RZ file server
version_added: 0.1.0
description:
  - Runs on the RZ file server. Computes per share of O(shares) the manifest of the source share (over SSH with the
    transfer key, on the source) and of the target share (here), per path type, size, mtime, mode, owner and
    group, hard-link group, symlink target, SHA-256 of the content and a digest over ACLs and xattrs.
    The source's owners and ACLs are translated through the identity mapping first, so equal entries
    mean the move carried the path completely.
  - The shares are compared O(parallel) at a time over one SSH connection to the source (one master, the shares'
    sessions as its channels), so a run's fixed cost (module start, SSH setup) is paid once per file server.
  - Returns per share, in the order of O(shares), counts and bytes of both sides and every mismatch; each kind of
    mismatch is a finding (C(shares.verify_missing), C(shares.verify_extra), C(shares.verify_mismatch)), an
    inhibitor. A share that cannot be compared (its folder missing here, the source unreachable) has its reason
    in RV(shares[].error) and does not stop the others.
  - Writes both manifests of a share to O(manifest_dir) (JSON, one file per side) for the record.
  - With a share's O(shares[].state_path) (the state file of its passes, as M(kommunal.umzug.share_sync) has it),
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
  - kommunal.umzug.identity_mapping
options:
  shares:
    description: The shares to compare, all on the source O(source_host).
    type: list
    elements: dict
    required: true
    suboptions:
      share:
        description: Name of the source share (for results and findings).
        type: str
        required: true
      source_root:
        description: Path of the share on the source.
        type: path
        required: true
      target_root:
        description: Folder of the share on the RZ file server.
        type: path
        required: true
      state_path:
        description:
          - State file of the share's passes on this host (the O(kommunal.umzug.share_sync#module:state_path)
            of the same share). The differing and missing paths are recorded beside it for the next pass.
          - Omitted, nothing is recorded; then only a pass with
            O(kommunal.umzug.share_sync#module:compare_content=all) finds content changes that kept size
            and mtime.
        type: path
  parallel:
    description:
      - How many shares are compared at the same time, each reading its source over a session of the one SSH
        connection. The source's sshd bounds it (C(MaxSessions), 10 by default).
    type: int
    default: 4
  manifest_dir:
    description: Where the two manifests of each share are written (not in check mode); omitted writes none.
    type: path
  show:
    description: How many mismatching paths a share's result lists per kind (counts are exact).
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
- name: Verify the Kommune's shares
  kommunal.umzug.share_verify:
    source_host: 10.89.42.12
    key: /root/.ssh/umzug_transfer
    shares:
      - share: bauamt
        source_root: /srv/shares/bauamt
        target_root: /srv/shares/altdorf-bauamt
        state_path: /var/lib/umzug/shares/altdorf/bauamt.state.json
      - share: kaemmerei
        source_root: /srv/shares/kaemmerei
        target_root: /srv/shares/altdorf-kaemmerei
        state_path: /var/lib/umzug/shares/altdorf/kaemmerei.state.json
    mapping: "{{ lookup('ansible.builtin.file', 'artifacts/mapping/kommune-a.yml') | from_yaml }}"
    manifest_dir: /var/lib/umzug/shares/altdorf
  delegate_to: rz-fs
"""

RETURN = r"""
shares:
  description: One result per share of O(shares), in their order.
  returned: success
  type: list
  elements: dict
  contains:
    share:
      description: The share, as O(shares[].share).
      type: str
      sample: bauamt
    error:
      description: Why the share could not be compared, or null. A share with an error is not identical and
        records nothing; its other fields are empty.
      type: str
      sample: null
    source:
      description: Totals of the source's manifest (files, dirs, symlinks, bytes, digest over all entries).
      type: dict
      sample: {files: 12, dirs: 4, symlinks: 1, bytes: 4096, digest: 9f86d0...}
    target:
      description: Totals of the target's manifest.
      type: dict
      sample: {files: 12, dirs: 4, symlinks: 1, bytes: 4096, digest: 9f86d0...}
    identical:
      description: Both manifests are equal.
      type: bool
      sample: true
    missing:
      description: Paths the source has and the target lacks (first O(show)); count in RV(shares[].counts).
      type: list
      elements: str
      sample: []
    extra:
      description: Paths only the target has (first O(show)).
      type: list
      elements: str
      sample: []
    differ:
      description: Paths whose entries differ, with the fields that differ (first O(show)).
      type: dict
      sample: {Bauanträge/Antrag.txt: [sha256, mtime_ns]}
    counts:
      description: Number of missing, extra and differing paths.
      type: dict
      sample: {missing: 0, extra: 0, differ: 0}
    flagged:
      description: The file recording the differing and missing paths for the next pass, or null (none
        differ, no O(shares[].state_path), or check mode).
      type: str
      sample: /var/lib/umzug/shares/altdorf/bauamt.state.json.flagged
    umzug_findings:
      description: The share's findings (also in the module's RV(umzug_findings)).
      type: list
      elements: dict
      sample: []
umzug_findings:
  description: Findings of the umzug findings model, of all shares.
  returned: success
  type: list
  elements: dict
  sample: []
"""

import contextlib
import os
import socket
from concurrent.futures import ThreadPoolExecutor

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


def compare_share(share, ssh, params, translate_sid, winbind, check_mode):
    """One share's result (RETURN's shares[]); a share that cannot be compared has its error."""
    state_path = share["state_path"]
    target_root = os.fsencode(share["target_root"])
    if not os.path.isdir(target_root):
        return share_manifest.not_compared(
            share["share"], f"{share['target_root']} does not exist on this host; provision and sync it first")
    # Recording paths for the next pass is a write to the pass's state: under its lock, and
    # not beside a running pass, whose half-done work would be flagged.
    records = state_path and not check_mode
    flagged = None
    try:
        with state_lock(state_path, f"verify of share {share['share']}") if records else contextlib.nullcontext():
            source = share_manifest.remote_side(ssh, params["source_host"], os.fsencode(share["source_root"]))
            translate = Translator(translate_sid, source.uid_sids, source.gid_sids, winbind.target_id)
            expected = share_manifest.entries(source, translate)
            actual = share_manifest.entries(share_manifest.local_side(target_root))
            comparison = share_manifest.compare(expected, actual)
            if records:
                flagged = flag_for_next_pass(state_path, [*comparison.missing, *comparison.differ])
        if params["manifest_dir"] and not check_mode:
            share_manifest.save(os.path.join(params["manifest_dir"], f"{share['share']}.source.json"), expected)
            share_manifest.save(os.path.join(params["manifest_dir"], f"{share['share']}.target.json"), actual)
    except (SyncError, OSError) as err:
        return share_manifest.not_compared(share["share"], str(err))
    where = {"kommune": params["kommune"], "host": socket.gethostname()}
    found = findings(share["share"], comparison, where, flagged, bool(state_path) and check_mode)
    return {**share_manifest.share_result(share["share"], comparison, expected, actual, params["show"], flagged),
            RESULT_FINDINGS: [f.to_dict() for f in found]}


def main():
    module = AnsibleModule(
        argument_spec=dict(
            **share_identity.server_args(),
            shares=dict(type="list", elements="dict", required=True, options=dict(
                **share_identity.share_args(),
                state_path=dict(type="path"),
            )),
            parallel=dict(type="int", default=4),
            manifest_dir=dict(type="path"),
            show=dict(type="int", default=50),
        ),
        supports_check_mode=True,
    )
    params = module.params
    if params["parallel"] < 1:
        module.fail_json(msg=f"parallel must be 1 or more, got {params['parallel']}")
    names = [share["share"] for share in params["shares"]]
    if len(set(names)) != len(names):
        twice = sorted(name for name in set(names) if names.count(name) > 1)
        module.fail_json(msg=f"a share is named twice in shares: {', '.join(twice)}")
    translate_sid = share_identity.module_translator(module)
    if not params["shares"]:
        module.exit_json(changed=False, shares=[], **{RESULT_FINDINGS: []})
    winbind = Winbind()
    # One SSH master for every share's session: its setup is paid once, not per share. Only
    # its connection is used (each share's session names its own root), so the root is "/".
    source = SshSource(params["source_host"], b"/", params["source_user"], params["key"], params["ssh_options"])
    with source.shared(), ThreadPoolExecutor(max_workers=params["parallel"]) as pool:
        ssh = source.ssh_command()
        results = list(pool.map(lambda share: compare_share(share, ssh, params, translate_sid, winbind,
                                                            module.check_mode), params["shares"]))
    module.exit_json(changed=False, shares=results,
                     **{RESULT_FINDINGS: [f for result in results for f in result[RESULT_FINDINGS]]})


if __name__ == "__main__":
    main()

#!/usr/bin/python
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

DOCUMENTATION = r"""
module: share_verify_smb
short_description: Compares a share read over SMB 3 on the source (a Windows file server) and on the RZ file server
version_added: 0.1.0
description:
  - The verification of M(kommunal.umzug.share_verify) for a source file server umzug reaches only over SMB (a
    Windows file server). Runs on the RZ file server and reads both sides as clients see them, over SMB 3
    (signing required), the source share as the backup account (the options of the doc fragment, as
    M(kommunal.umzug.share_sync_smb) has them), the target share from the RZ file server's own Samba
    (O(target_server), by default this host) as O(target_username).
  - The manifest of each side holds per path its type, size, SHA-256 of the content read over SMB (streamed, never
    held in memory), last write and creation time, the DOS attributes Samba keeps, hard-link group, the alternate
    data streams with the hash of each one's content, and digests of the security descriptor (owner, group and
    DACL; the SACL apart, compared only where both sides could read it), in a canonical form so that equal
    descriptors as served compare equal. The source's SIDs are translated through the identity mapping first.
  - Paths the walk cannot read (reparse points, offline or recall-on-access files, files held open with a sharing
    mode that denies reading, access denied) are listed in RV(not_read), never opened for their content (an HSM
    archive is not recalled) and not compared; one finding (C(shares.verify_not_read)) names them.
  - Returns counts of both sides and every mismatch with the parts that differ (content, times, attributes, links,
    streams, acl); each kind of mismatch is a finding (C(shares.verify_missing), C(shares.verify_extra),
    C(shares.verify_mismatch)), an inhibitor, as M(kommunal.umzug.share_verify) raises them.
  - Writes both manifests to O(manifest_dir). With O(state_path) (the state of the share's SMB passes), records
    the paths that differ or are missing beside it (C(<state_path>.flagged)); the next pass of
    M(kommunal.umzug.share_sync_smb) copies them again, also content changes that kept size and last write time.
    An identical share removes the record. Holds the passes' lock while it compares; in check mode it takes no lock
    and writes nothing.
author:
  - umzug developers (@kommunal)
extends_documentation_fragment:
  - kommunal.umzug.attributes
  - kommunal.umzug.smb_source
  - kommunal.umzug.identity_mapping
options:
  share:
    description: Name of the source share.
    type: str
    required: true
  target_share:
    description: Name of the share on the RZ file server that serves the migrated folder.
    type: str
    required: true
  target_server:
    description: Where the target share is read from; the RZ file server itself.
    type: str
    default: localhost
  target_username:
    description: Account the target share is read as, e.g. C(RZ\\umzug-verify); one with backup rights there reads
      past the ACLs as the source's backup account does.
    type: str
    required: true
  target_password:
    description: The target account's password.
    type: str
  target_auth:
    description: V(ntlm) (NTLMv2) or V(kerberos) for the target share.
    type: str
    choices: [ntlm, kerberos]
    default: ntlm
  target_encrypt:
    description: Require SMB 3 encryption on the target connection (signing is always required).
    type: bool
    default: false
  kommune:
    description: Kommune id the findings belong to.
    type: str
  manifest_dir:
    description: Where the two manifests are written (not in check mode); omitted writes none.
    type: path
  state_path:
    description:
      - State file of the share's SMB passes on this host (the O(kommunal.umzug.share_sync_smb#module:state_path)
        of the same share). The differing and missing paths are recorded beside it for the next pass.
      - Omitted, nothing is recorded.
    type: path
  show:
    description: How many paths the result lists per kind (counts are exact).
    type: int
    default: 50
requirements:
  - smbprotocol and pyspnego (the venv of roles/shares' smb_client.yml).
attributes:
  check_mode:
    support: full
  diff_mode:
    support: none
notes:
  - Changes nothing the migration depends on; in check mode not even the manifest files are written.
"""

EXAMPLES = r"""
- name: Verify the Kämmerei share of a Windows file server
  kommunal.umzug.share_verify_smb:
    share: kaemmerei
    server: kommune-c-fs.kommune-c.example
    username: KOMMUNEC\umzug-backup
    password: "{{ vault_kommune_c_backup_password }}"
    target_share: cranach-kaemmerei
    target_username: RZ\umzug-verify
    target_password: "{{ vault_rz_verify_password }}"
    mapping: "{{ lookup('ansible.builtin.file', 'artifacts/mapping/kommune-c.yml') | from_yaml }}"
    manifest_dir: /var/lib/umzug/shares/cranach
    state_path: /var/lib/umzug/shares/cranach/kaemmerei.smb-state.json
    kommune: kommune-c
  delegate_to: rz-fs
  vars:
    ansible_python_interpreter: /opt/umzug/venv/bin/python
  no_log: true
"""

RETURN = r"""
share:
  description: The share, as O(share).
  returned: success
  type: str
  sample: kaemmerei
source:
  description: Totals of the source's manifest (files, dirs, symlinks, bytes, digest over all entries).
  returned: success
  type: dict
  sample: {files: 12, dirs: 4, symlinks: 0, bytes: 4096, digest: 9f86d0...}
target:
  description: Totals of the target's manifest.
  returned: success
  type: dict
  sample: {files: 12, dirs: 4, symlinks: 0, bytes: 4096, digest: 9f86d0...}
identical:
  description: All paths both sides could read are equal.
  returned: success
  type: bool
  sample: true
missing:
  description: Paths the source has and the target lacks (first O(show)).
  returned: success
  type: list
  elements: str
  sample: []
extra:
  description: Paths only the target has (first O(show)).
  returned: success
  type: list
  elements: str
  sample: [Haushalt/neu.txt]
differ:
  description: Paths whose entries differ, with the parts that differ (first O(show)).
  returned: success
  type: dict
  sample: {Haushalt/Plan 2024.xlsx: [content], Haushalt: [times, acl]}
not_read:
  description: Paths a side could not read, with the finding keys of the reason per side (first O(show)).
  returned: success
  type: dict
  sample: {Archiv/Altakte 1998.pdf: {source: [shares.offline_file]}}
counts:
  description: Number of missing, extra, differing and unread paths, and of differing paths per part.
  returned: success
  type: dict
  sample: {missing: 0, extra: 1, differ: 1, not_read: 2,
           parts: {content: 1, times: 0, attributes: 0, links: 0, streams: 0, acl: 0}}
flagged:
  description: The file recording the differing and missing paths for the next pass, or null (none differ, no
    O(state_path), or check mode).
  returned: success
  type: str
  sample: /var/lib/umzug/shares/cranach/kaemmerei.smb-state.json.flagged
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

from ansible.module_utils.basic import AnsibleModule, missing_required_lib

from ansible_collections.kommunal.umzug.plugins.module_utils.findings import RESULT_FINDINGS, Finding
from ansible_collections.kommunal.umzug.plugins.module_utils.shares import identity as share_identity
from ansible_collections.kommunal.umzug.plugins.module_utils.shares import manifest as share_manifest
from ansible_collections.kommunal.umzug.plugins.module_utils.shares import smb_manifest, smb_source
from ansible_collections.kommunal.umzug.plugins.module_utils.shares.sync import (
    SyncError,
    flag_for_next_pass,
    state_lock,
)
from ansible_collections.kommunal.umzug.plugins.module_utils.shares.tree import shown


def target_of(params) -> smb_source.SmbShare:
    """The target share on the RZ file server's own Samba, read as the target account."""
    credentials = smb_source.Credentials(params["target_username"], params["target_password"],
                                         params["target_auth"])
    return smb_source.SmbShare(params["target_server"], params["target_share"], credentials,
                               encrypt=params["target_encrypt"], retries=params["retries"],
                               retry_delay=params["retry_delay"])


def not_read_finding(share, found, where):
    if not found.not_read:
        return []
    items = [f"{shown(path)} ({', '.join(f'{side}: {k}' for side, keys in sides.items() for k in keys)})"
             for path, sides in found.not_read.items()]
    return [Finding.of("shares.verify_not_read", share=share, count=len(items), detail="; ".join(items[:5]),
                       more=" ..." if len(items) > 5 else "",
                       resources=(share, *[shown(p) for p in list(found.not_read)[:20]]), **where)]


def compare_both(params, translate_sid):
    with smb_source.share_of(params, params["share"]) as source:
        expected = smb_manifest.entries(source, translate_sid)
    with target_of(params) as target:
        actual = smb_manifest.entries(target)
    return expected, actual, smb_manifest.compare(expected, actual)


def main():
    module = AnsibleModule(
        argument_spec=dict(
            **smb_source.connection_args(),
            share=dict(type="str", required=True),
            target_share=dict(type="str", required=True),
            target_server=dict(type="str", default="localhost"),
            target_username=dict(type="str", required=True),
            target_password=dict(type="str", no_log=True),
            target_auth=dict(type="str", choices=["ntlm", "kerberos"], default="ntlm"),
            target_encrypt=dict(type="bool", default=False),
            **share_identity.mapping_args(),
            kommune=dict(type="str"),
            manifest_dir=dict(type="path"),
            state_path=dict(type="path"),
            show=dict(type="int", default=50),
        ),
        required_if=[("auth", "ntlm", ("password",)), ("target_auth", "ntlm", ("target_password",))],
        supports_check_mode=True,
    )
    params = module.params
    if not smb_source.HAS_SMBPROTOCOL:
        module.fail_json(msg=missing_required_lib("smbprotocol"), exception=str(smb_source.SMBPROTOCOL_ERROR))
    where = {"kommune": params["kommune"], "host": socket.gethostname()}
    translate_sid = share_identity.module_translator(module)
    # Recording paths for the next pass is a write to the passes' state: under their lock,
    # and not beside a running pass, whose half-done work would be flagged.
    records = params["state_path"] and not module.check_mode
    flagged = None
    try:
        with (state_lock(params["state_path"], f"verify of share {params['share']}") if records
              else contextlib.nullcontext()):
            expected, actual, found = compare_both(params, translate_sid)
            comparison = found.comparison
            if records:
                flagged = flag_for_next_pass(params["state_path"], [*comparison.missing, *comparison.differ])
    except (smb_source.SmbSourceError, SyncError, OSError) as err:
        module.fail_json(msg=f"share {params['share']}: {err}")
    if params["manifest_dir"] and not module.check_mode:
        share_manifest.save(os.path.join(params["manifest_dir"], f"{params['share']}.smb-source.json"), expected)
        share_manifest.save(os.path.join(params["manifest_dir"], f"{params['share']}.smb-target.json"), actual)
    show = params["show"]
    dry = bool(params["state_path"]) and module.check_mode
    found_list = [*share_manifest.findings(params["share"], comparison, where, flagged, dry),
                  *not_read_finding(params["share"], found, where)]
    module.exit_json(
        changed=False, share=params["share"], identical=found.ok,
        source=share_manifest.totals(expected), target=share_manifest.totals(actual),
        counts={"missing": len(comparison.missing), "extra": len(comparison.extra),
                "differ": len(comparison.differ), "not_read": len(found.not_read), "parts": found.parts()},
        missing=[shown(x) for x in comparison.missing[:show]], extra=[shown(x) for x in comparison.extra[:show]],
        differ={shown(k): v for k, v in list(comparison.differ.items())[:show]},
        not_read={shown(k): v for k, v in list(found.not_read.items())[:show]}, flagged=flagged,
        **{RESULT_FINDINGS: [f.to_dict() for f in found_list]})


if __name__ == "__main__":
    main()

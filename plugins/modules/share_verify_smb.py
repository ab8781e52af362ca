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
    mode that denies reading, access denied) are listed in RV(shares[].not_read), never opened for their content
    (an HSM archive is not recalled) and not compared; one finding (C(shares.verify_not_read)) per share names them.
  - The shares of O(shares) are compared one after another in one run (the module's start is paid once per file
    server), each over connections of its own.
  - Returns per share, in the order of O(shares), counts of both sides and every mismatch with the parts that differ
    (content, times, attributes, links, streams, acl); each kind of mismatch is a finding (C(shares.verify_missing),
    C(shares.verify_extra), C(shares.verify_mismatch)), an inhibitor, as M(kommunal.umzug.share_verify) raises
    them. A share that cannot be read has its reason in RV(shares[].error) and does not stop the others.
  - Writes both manifests of a share to O(manifest_dir). With O(shares[].state_path) (the state of the share's SMB
    passes), records
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
  shares:
    description: The shares to compare, all of the source server O(server).
    type: list
    elements: dict
    required: true
    suboptions:
      share:
        description: Name of the source share.
        type: str
        required: true
      target_share:
        description: Name of the share on the RZ file server that serves the migrated folder.
        type: str
        required: true
      state_path:
        description:
          - State file of the share's SMB passes on this host (the O(kommunal.umzug.share_sync_smb#module:state_path)
            of the same share). The differing and missing paths are recorded beside it for the next pass.
          - Omitted, nothing is recorded.
        type: path
  target_server:
    description: Where the target shares are read from; the RZ file server itself.
    type: str
    default: localhost
  target_username:
    description: Account the target shares are read as, e.g. C(RZ\\umzug-verify); one with backup rights there reads
      past the ACLs as the source's backup account does.
    type: str
    required: true
  target_password:
    description: The target account's password.
    type: str
  target_auth:
    description: V(ntlm) (NTLMv2) or V(kerberos) for the target shares.
    type: str
    choices: [ntlm, kerberos]
    default: ntlm
  target_encrypt:
    description: Require SMB 3 encryption on the target connections (signing is always required).
    type: bool
    default: false
  kommune:
    description: Kommune id the findings belong to.
    type: str
  manifest_dir:
    description: Where the two manifests of each share are written (not in check mode); omitted writes none.
    type: path
  show:
    description: How many paths a share's result lists per kind (counts are exact).
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
- name: Verify the shares of a Windows file server
  kommunal.umzug.share_verify_smb:
    shares:
      - share: kaemmerei
        target_share: cranach-kaemmerei
        state_path: /var/lib/umzug/shares/cranach/kaemmerei.smb-state.json
      - share: bauamt
        target_share: cranach-bauamt
        state_path: /var/lib/umzug/shares/cranach/bauamt.smb-state.json
    server: kommune-c-fs.kommune-c.example
    username: KOMMUNEC\umzug-backup
    password: "{{ vault_kommune_c_backup_password }}"
    target_username: RZ\umzug-verify
    target_password: "{{ vault_rz_verify_password }}"
    mapping: "{{ lookup('ansible.builtin.file', 'artifacts/mapping/kommune-c.yml') | from_yaml }}"
    manifest_dir: /var/lib/umzug/shares/cranach
    kommune: kommune-c
  delegate_to: rz-fs
  vars:
    ansible_python_interpreter: /opt/umzug/venv/bin/python
  no_log: true
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
      sample: kaemmerei
    error:
      description: Why the share could not be compared (a side unreadable, the passes' lock held), or null. A share
        with an error is not identical and records nothing; its other fields are empty.
      type: str
      sample: null
    source:
      description: Totals of the source's manifest (files, dirs, symlinks, bytes, digest over all entries).
      type: dict
      sample: {files: 12, dirs: 4, symlinks: 0, bytes: 4096, digest: 9f86d0...}
    target:
      description: Totals of the target's manifest.
      type: dict
      sample: {files: 12, dirs: 4, symlinks: 0, bytes: 4096, digest: 9f86d0...}
    identical:
      description: All paths both sides could read are equal.
      type: bool
      sample: true
    missing:
      description: Paths the source has and the target lacks (first O(show)).
      type: list
      elements: str
      sample: []
    extra:
      description: Paths only the target has (first O(show)).
      type: list
      elements: str
      sample: [Haushalt/neu.txt]
    differ:
      description: Paths whose entries differ, with the parts that differ (first O(show)).
      type: dict
      sample: {Haushalt/Plan 2024.xlsx: [content], Haushalt: [times, acl]}
    not_read:
      description: Paths a side could not read, with the finding keys of the reason per side (first O(show)).
      type: dict
      sample: {Archiv/Altakte 1998.pdf: {source: [shares.offline_file]}}
    counts:
      description: Number of missing, extra, differing and unread paths, and of differing paths per part.
      type: dict
      sample: {missing: 0, extra: 1, differ: 1, not_read: 2,
               parts: {content: 1, times: 0, attributes: 0, links: 0, streams: 0, acl: 0}}
    flagged:
      description: The file recording the differing and missing paths for the next pass, or null (none differ, no
        O(shares[].state_path), or check mode).
      type: str
      sample: /var/lib/umzug/shares/cranach/kaemmerei.smb-state.json.flagged
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


def target_of(params, target_share) -> smb_source.SmbShare:
    """A target share on the RZ file server's own Samba, read as the target account."""
    credentials = smb_source.Credentials(params["target_username"], params["target_password"],
                                         params["target_auth"])
    return smb_source.SmbShare(params["target_server"], target_share, credentials,
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


def compare_both(params, share, translate_sid):
    with smb_source.share_of(params, share["share"]) as source:
        expected = smb_manifest.entries(source, translate_sid)
    with target_of(params, share["target_share"]) as target:
        actual = smb_manifest.entries(target)
    return expected, actual, smb_manifest.compare(expected, actual)


def compare_share(params, share, translate_sid, check_mode):
    """One share's result (RETURN's shares[]); a share that cannot be compared has its error."""
    state_path = share["state_path"]
    # Recording paths for the next pass is a write to the passes' state: under their lock,
    # and not beside a running pass, whose half-done work would be flagged.
    records = state_path and not check_mode
    flagged = None
    try:
        with state_lock(state_path, f"verify of share {share['share']}") if records else contextlib.nullcontext():
            expected, actual, found = compare_both(params, share, translate_sid)
            comparison = found.comparison
            if records:
                flagged = flag_for_next_pass(state_path, [*comparison.missing, *comparison.differ])
        if params["manifest_dir"] and not check_mode:
            share_manifest.save(os.path.join(params["manifest_dir"], f"{share['share']}.smb-source.json"), expected)
            share_manifest.save(os.path.join(params["manifest_dir"], f"{share['share']}.smb-target.json"), actual)
    except (smb_source.SmbSourceError, SyncError, OSError) as err:
        return {**share_manifest.not_compared(share["share"], str(err)), "not_read": {}}
    show = params["show"]
    where = {"kommune": params["kommune"], "host": socket.gethostname()}
    found_list = [*share_manifest.findings(share["share"], comparison, where, flagged, bool(state_path) and check_mode),
                  *not_read_finding(share["share"], found, where)]
    result = share_manifest.share_result(share["share"], comparison, expected, actual, show, flagged)
    result["counts"].update(not_read=len(found.not_read), parts=found.parts())
    return {**result, "identical": found.ok, "not_read": {shown(k): v for k, v in list(found.not_read.items())[:show]},
            RESULT_FINDINGS: [f.to_dict() for f in found_list]}


def main():
    module = AnsibleModule(
        argument_spec=dict(
            **smb_source.connection_args(),
            shares=dict(type="list", elements="dict", required=True, options=dict(
                share=dict(type="str", required=True),
                target_share=dict(type="str", required=True),
                state_path=dict(type="path"),
            )),
            target_server=dict(type="str", default="localhost"),
            target_username=dict(type="str", required=True),
            target_password=dict(type="str", no_log=True),
            target_auth=dict(type="str", choices=["ntlm", "kerberos"], default="ntlm"),
            target_encrypt=dict(type="bool", default=False),
            **share_identity.mapping_args(),
            kommune=dict(type="str"),
            manifest_dir=dict(type="path"),
            show=dict(type="int", default=50),
        ),
        required_if=[("auth", "ntlm", ("password",)), ("target_auth", "ntlm", ("target_password",))],
        supports_check_mode=True,
    )
    params = module.params
    if not smb_source.HAS_SMBPROTOCOL:
        module.fail_json(msg=missing_required_lib("smbprotocol"), exception=str(smb_source.SMBPROTOCOL_ERROR))
    names = [share["share"] for share in params["shares"]]
    twice = sorted(name for name in set(names) if names.count(name) > 1)
    if twice:
        module.fail_json(msg=f"a share is named twice in shares: {', '.join(twice)}")
    translate_sid = share_identity.module_translator(module)
    # One after another: smbprotocol builds every message in Python, so shares read side by
    # side in this process would share one core; the module's start is what is paid once.
    results = [compare_share(params, share, translate_sid, module.check_mode) for share in params["shares"]]
    module.exit_json(changed=False, shares=results,
                     **{RESULT_FINDINGS: [f for result in results for f in result[RESULT_FINDINGS]]})


if __name__ == "__main__":
    main()

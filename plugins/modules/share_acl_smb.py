#!/usr/bin/python
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

DOCUMENTATION = r"""
module: share_acl_smb
short_description: Carries the share ACL of a Windows source share to its share on the RZ file server
version_added: 0.1.0
description:
  - Runs on the RZ file server. Reads the share ACL of O(share) (the share's own security descriptor,
    NetShareGetInfo level 502 over the source's srvsvc pipe, which a server gives to its administrators only),
    translates every SID through the identity mapping O(mapping) and sets the result on O(target_share) with
    C(sharesec --setsddl).
  - Only the DACL is carried; an entry whose SID has no new identity is left out and reported
    (C(shares.share_acl_sid_unmapped), an inhibitor). A share ACL that cannot be read or written is reported as
    C(shares.share_acl_not_carried) and the RZ share keeps the share ACL it has.
  - While a freeze record of M(kommunal.umzug.share_freeze_smb) exists in O(record_path), the share ACL of before
    the freeze (the record's original) is carried, never the frozen read-only one.
  - The current share ACL of O(target_share) is read with C(sharesec --view); when it already holds the wanted
    entries in their order nothing is written.
  - Check mode computes and returns the change and writes nothing; diff shows the RZ share's ACL before and after
    as SDDL.
author:
  - umzug developers (@kommunal)
extends_documentation_fragment:
  - kommunal.umzug.attributes
  - kommunal.umzug.smb_source
  - kommunal.umzug.identity_mapping
options:
  share:
    description: Name of the share on the source server.
    type: str
    required: true
  target_share:
    description: Name of the share on the RZ file server (this host) that gets the share ACL.
    type: str
    required: true
  record_path:
    description:
      - The freeze record of O(share) on this host, as M(kommunal.umzug.share_freeze_smb) keeps it. Where it exists,
        its original share ACL is carried. Omitted, the share ACL is read from the source as it is.
    type: path
  kommune:
    description: Kommune id the findings belong to.
    type: str
notes:
  - O(username) must be in the source server's Administrators group; without that, level 502 gives no share ACL
    and C(shares.share_acl_not_carried) says so.
  - O(port), O(retries) and O(retry_delay) are not used (the srvsvc pipe is reached on the SMB port 445).
  - Proven against Samba 4.17 as the source (standing in for Windows) and as the RZ file server.
requirements:
  - python3-samba (Samba's DCE/RPC bindings) and C(sharesec) on the RZ file server.
attributes:
  check_mode:
    support: full
  diff_mode:
    support: full
"""

EXAMPLES = r"""
- name: Carry the share ACL of bauamt to the RZ share
  kommunal.umzug.share_acl_smb:
    server: kommune-b-fs.kommune-b.example
    username: KOMMUNEB\umzug-admin
    password: "{{ vault_kommune_b_fs_admin_password }}"
    share: bauamt
    target_share: bdorf-bauamt
    record_path: /var/lib/umzug/shares/freeze/kommune-b-fs/bauamt.json
    mapping: "{{ lookup('ansible.builtin.file', 'artifacts/mapping/kommune-b.yml') | from_yaml }}"
    kommune: kommune-b
  no_log: true
  vars:
    ansible_python_interpreter: /opt/umzug/venv/bin/python
"""

RETURN = r"""
carried:
  description: Whether the RZ share holds the source's translated share ACL after the task (in check mode, would).
  returned: success
  type: bool
  sample: true
share_acl:
  description: The entries of the RZ share's ACL after the task (in check mode, as they would be), one line each.
  returned: success
  type: list
  elements: str
  sample: ["allow S-1-1-0 0x001f01ff", "allow S-1-5-21-1-2-3-1105 0x001301bf"]
sddl:
  description: The SDDL set (or that would be set) on the RZ share; empty when nothing was carried.
  returned: success
  type: str
  sample: "D:(A;;0x001f01ff;;;S-1-1-0)"
dropped:
  description: SIDs of the source's share ACL without a new identity, whose entries were left out.
  returned: success
  type: list
  elements: str
  sample: ["S-1-5-21-1-2-3-1107"]
pending:
  description:
    - In check mode, SIDs without a new SID yet whose accounts the accounts payload will create (the mapping of a
      dry run); their entries are not in RV(sddl) yet and are not reported as unmapped. Empty outside check mode.
  returned: success
  type: list
  elements: str
  sample: []
from_freeze_record:
  description: Whether the share ACL came from the freeze record (the share is frozen) rather than the source.
  returned: success
  type: bool
  sample: false
umzug_changes:
  description: What was (or would be) changed, umzug changes model.
  returned: success
  type: dict
  sample: {payload: shares, counts: {share_acl: 1}, items: {share_acl: [bdorf-bauamt]}, truncated: false}
umzug_findings:
  description: Findings of the umzug findings model.
  returned: success
  type: list
  elements: dict
  sample: []
"""

import socket

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.kommunal.umzug.plugins.module_utils.files import read_text
from ansible_collections.kommunal.umzug.plugins.module_utils.findings import (
    RESULT_CHANGES,
    RESULT_FINDINGS,
    Changes,
    Finding,
)
from ansible_collections.kommunal.umzug.plugins.module_utils.shares import identity as share_identity
from ansible_collections.kommunal.umzug.plugins.module_utils.shares import (
    ntacl,
    smb_freeze,
    smb_settings,
    smb_share_acl,
    smb_source,
)


class NotCarried(Exception):
    """The share ACL is not carried: ``variant`` names the step, ``error`` says what failed."""

    def __init__(self, variant: str, error: str):
        super().__init__(error)
        self.variant, self.error = variant, error


def source_sd(module):
    """The share ACL to carry and whether it came from the freeze record."""
    params = module.params
    if params["record_path"]:
        try:
            record = smb_freeze.read_record(read_text(params["record_path"]), params["server"], params["share"])
        except smb_freeze.RecordError as err:
            module.fail_json(msg=f"the freeze record {params['record_path']} of \\\\{params['server']}\\"
                                 f"{params['share']} {err}")
        if record is not None:
            return smb_freeze.original_of(record), True
    try:
        _path, sd = smb_settings.client_of(params).share_sd(params["share"])
    except ImportError as err:
        raise NotCarried("unread", f"python3-samba is missing ({err})") from None
    except RuntimeError as err:
        raise NotCarried("unread", smb_settings.words(err)) from None
    if sd is None:
        raise NotCarried("unread", "level 502 gave no share ACL (the account is not an administrator of the server)")
    return sd, False


def sharesec(module, *args: str) -> str:
    rc, out, err = module.run_command([module.get_bin_path("sharesec", required=True), module.params["target_share"],
                                       *args])
    if rc != 0:
        raise NotCarried("unwritten", (err or out).strip() or f"sharesec exited with {rc}")
    return out


def current_entries(module):
    """The RZ share's ACL now; None where it cannot be read (in check mode: a share that
    provisioning has not created yet)."""
    try:
        return smb_share_acl.parse_view(sharesec(module, "--view"))
    except NotCarried:
        if module.check_mode:
            return None
        raise


def split_pending(module, unmapped) -> tuple[list[str], list[str]]:
    """(SIDs left out for good, SIDs whose accounts the accounts payload is still to create).
    Only a dry run (check mode, with the mapping the accounts step would write) has the
    latter; a real run's mapping has every new SID there is."""
    if not module.check_mode:
        return list(unmapped), []
    will_translate = share_identity.module_judge(module)
    pending = [sid for sid in unmapped if will_translate(sid)]
    return [sid for sid in unmapped if sid not in pending], pending


def main():
    module = AnsibleModule(
        argument_spec=dict(
            **smb_source.connection_args(),
            share=dict(type="str", required=True),
            target_share=dict(type="str", required=True),
            record_path=dict(type="path"),
            **share_identity.mapping_args(),
            kommune=dict(type="str"),
        ),
        required_if=[("auth", "ntlm", ("password",))],
        supports_check_mode=True,
    )
    params = module.params
    translate = share_identity.module_translator(module)
    where = {"kommune": params["kommune"], "host": socket.gethostname(), "resources": (params["share"],)}
    names = {"share": params["share"], "server": params["server"], "target": params["target_share"]}
    changes = Changes("shares")
    result = {"changed": False, "carried": False, "share_acl": [], "sddl": "", "dropped": [], "pending": [],
              "from_freeze_record": False, RESULT_CHANGES: changes.to_dict(), RESULT_FINDINGS: []}
    try:
        sd, result["from_freeze_record"] = source_sd(module)
        try:
            wanted = smb_share_acl.carried(sd, translate)
        except (ntacl.NtaclError, smb_share_acl.ShareAclError) as err:
            raise NotCarried("unsupported", str(err)) from None
        current = current_entries(module)
        dropped, pending = split_pending(module, wanted.dropped)
        result.update(carried=True, share_acl=[entry.line() for entry in wanted.entries],
                      sddl=smb_share_acl.sddl(wanted.entries), dropped=dropped, pending=pending)
        if dropped:
            result[RESULT_FINDINGS].append(Finding.of("shares.share_acl_sid_unmapped", sids=dropped,
                                                      count=len(dropped), **names, **where).to_dict())
        if current != wanted.entries:
            changes.add("share_acl", params["target_share"])
            result.update(changed=True, **{RESULT_CHANGES: changes.to_dict()})
            if module._diff:
                before = smb_share_acl.sddl(current) if current is not None else "(no such share yet)"
                result["diff"] = {"before": before + "\n", "after": result["sddl"] + "\n",
                                  "before_header": f"{params['target_share']} share ACL",
                                  "after_header": f"{params['target_share']} share ACL"}
            if not module.check_mode:
                sharesec(module, "--setsddl", result["sddl"])
    except NotCarried as err:
        result.update(changed=False, carried=False, share_acl=[], sddl="",
                      **{RESULT_CHANGES: Changes("shares").to_dict()})
        result[RESULT_FINDINGS].append(Finding.of("shares.share_acl_not_carried", variant=err.variant,
                                                  error=err.error, **names, **where).to_dict())
    module.exit_json(**result)


if __name__ == "__main__":
    main()

#!/usr/bin/python
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

DOCUMENTATION = r"""
module: share_freeze
short_description: Makes a source share read-only for the cut-over, and writable again
version_added: 0.1.0
description:
  - Runs on the Kommune's file server. V(frozen) takes every line that decides whether the share is
    writable (C(read only), C(writeable), C(writable), C(write ok), C(write list)) out of the share's
    section in O(smb_conf), puts C(read only = yes) in, records the lines it took out in O(state_dir),
    reloads Samba and closes the share's open connections, so clients reconnect read-only.
  - V(writable) puts back exactly the recorded lines (rollback before the Abnahme).
  - Idempotent; check mode and diff show the change to O(smb_conf).
  - Only shares defined in O(smb_conf) itself; shares in the registry or in included files make the
    module fail with a message naming the share.
author:
  - umzug developers (@kommunal)
extends_documentation_fragment:
  - kommunal.umzug.attributes
options:
  share:
    description: Name of the share on this server.
    type: str
    required: true
  state:
    description: V(frozen) (read-only) or V(writable) (as before the freeze).
    type: str
    choices: [frozen, writable]
    default: frozen
  smb_conf:
    description: Samba's configuration file.
    type: path
    default: /etc/samba/smb.conf
  state_dir:
    description: Where the record of a freeze is kept until it is undone.
    type: path
    default: /var/lib/umzug/shares/freeze
  close_connections:
    description: Close the share's open connections after freezing, so no client keeps writing.
    type: bool
    default: true
attributes:
  check_mode:
    support: full
  diff_mode:
    support: full
"""

EXAMPLES = r"""
- name: Freeze the share for the final pass
  kommunal.umzug.share_freeze:
    share: bauamt

- name: Make it writable again (rollback)
  kommunal.umzug.share_freeze:
    share: bauamt
    state: writable
"""

RETURN = r"""
frozen:
  description: Whether the share is read-only by umzug after the task.
  returned: success
  type: bool
  sample: true
record:
  description: The lines the freeze took out of the share's section (kept until it is undone).
  returned: success
  type: dict
  sample: {share: bauamt, removed: [[2, "\tread only = No"]]}
umzug_changes:
  description: What was (or would be) changed, umzug changes model.
  returned: success
  type: dict
  sample: {payload: shares, counts: {frozen: 1}, items: {frozen: [bauamt]}, truncated: false}
"""

import json
import os

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.kommunal.umzug.plugins.module_utils import samba_conf
from ansible_collections.kommunal.umzug.plugins.module_utils.files import write_atomic
from ansible_collections.kommunal.umzug.plugins.module_utils.findings import RESULT_CHANGES, Changes
from ansible_collections.kommunal.umzug.plugins.module_utils.shares import smb_shares as share_samba_conf


def record_path(state_dir, share):
    return os.path.join(state_dir, f"{share.replace('/', '_')}.json")


def main():
    module = AnsibleModule(
        argument_spec=dict(
            share=dict(type="str", required=True),
            state=dict(type="str", choices=["frozen", "writable"], default="frozen"),
            smb_conf=dict(type="path", default="/etc/samba/smb.conf"),
            state_dir=dict(type="path", default="/var/lib/umzug/shares/freeze"),
            close_connections=dict(type="bool", default=True),
        ),
        supports_check_mode=True,
    )
    params = module.params
    try:
        with open(params["smb_conf"], encoding="utf-8") as handle:
            before = handle.read()
    except OSError as err:
        module.fail_json(msg=f"cannot read {params['smb_conf']}: {err.strerror}")
    record_file = record_path(params["state_dir"], params["share"])
    changes = Changes("shares")
    try:
        frozen = share_samba_conf.is_frozen(before, params["share"])
        record = None
        if params["state"] == "frozen" and not frozen:
            after, record = share_samba_conf.freeze_section(before, params["share"])
            changes.add("frozen", params["share"])
        elif params["state"] == "writable" and frozen:
            try:
                with open(record_file, encoding="utf-8") as handle:
                    record = json.load(handle)
            except FileNotFoundError:
                module.fail_json(msg=f"share [{params['share']}] is frozen but its record {record_file} is missing: "
                                     "restore its read only / write list lines by hand")
            after = share_samba_conf.unfreeze_section(before, params["share"], record)
            changes.add("unfrozen", params["share"])
        else:
            after = before
    except samba_conf.SambaConfError as err:
        module.fail_json(msg=f"{params['smb_conf']}: {err}")
    changed = after != before
    result = {"changed": changed, "frozen": params["state"] == "frozen", "record": record or {},
              RESULT_CHANGES: changes.to_dict()}
    if module._diff:
        result["diff"] = {"before": before, "after": after, "before_header": params["smb_conf"],
                          "after_header": params["smb_conf"]}
    if module.check_mode or not changed:
        module.exit_json(**result)

    if params["state"] == "frozen":
        # The record first: a freeze that cannot be undone exactly must not happen.
        write_atomic(record_file, json.dumps(record), module.atomic_move, mode=0o600)
    write_atomic(params["smb_conf"], after, module.atomic_move)
    code, out, err = module.run_command(["smbcontrol", "smbd", "reload-config"])
    if code != 0:
        module.fail_json(msg=f"smbcontrol smbd reload-config failed: {(err or out).strip()}", **result)
    if params["state"] == "frozen" and params["close_connections"]:
        # Open connections keep the rights they had; closing them makes clients reconnect read-only.
        module.run_command(["smbcontrol", "smbd", "close-share", params["share"]])
    if params["state"] == "writable":
        os.unlink(record_file)
    module.exit_json(**result)


if __name__ == "__main__":
    main()

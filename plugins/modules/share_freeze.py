#!/usr/bin/python
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

DOCUMENTATION = r"""
module: share_freeze
short_description: Makes source shares read-only for the cut-over, and writable again
version_added: 0.1.0
description:
  - Runs on the Kommune's file server. V(frozen) takes every line that decides whether a share is
    writable (C(read only), C(writeable), C(writable), C(write ok), C(write list)) out of the share's
    section in O(smb_conf), puts C(read only = yes) in, records the lines it took out in O(state_dir)
    (one record per share), reloads Samba and closes the share's open connections, so clients reconnect
    read-only.
  - V(writable) puts back exactly the recorded lines (rollback before the Abnahme).
  - All shares of O(shares) in one run, O(smb_conf) written once and Samba reloaded once, or none of them; a
    share it cannot freeze or unfreeze makes the module fail before anything is written.
  - Idempotent per share; check mode and diff show the change to O(smb_conf).
  - Only shares defined in O(smb_conf) itself; shares in the registry or in included files make the
    module fail with a message naming the share.
author:
  - umzug developers (@kommunal)
extends_documentation_fragment:
  - kommunal.umzug.attributes
options:
  shares:
    description: Names of the shares on this server.
    type: list
    elements: str
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
    description: Where the record of a share's freeze is kept until it is undone (C(<share>.json)).
    type: path
    default: /var/lib/umzug/shares/freeze
  close_connections:
    description: Close the open connections of the shares it froze, so no client keeps writing.
    type: bool
    default: true
attributes:
  check_mode:
    support: full
  diff_mode:
    support: full
"""

EXAMPLES = r"""
- name: Freeze the shares for the final pass
  kommunal.umzug.share_freeze:
    shares: [bauamt, kaemmerei]

- name: Make them writable again (rollback)
  kommunal.umzug.share_freeze:
    shares: [bauamt, kaemmerei]
    state: writable
"""

RETURN = r"""
frozen:
  description: Whether the shares are read-only by umzug after the task.
  returned: success
  type: bool
  sample: true
shares:
  description: One result per share of O(shares), in their order.
  returned: success
  type: list
  elements: dict
  contains:
    share:
      description: The share.
      type: str
      sample: bauamt
    changed:
      description: Whether this run froze or unfroze it (in check mode, would).
      type: bool
      sample: true
    record:
      description: The lines the freeze took out of the share's section (kept until it is undone); empty when
        this run did not change the share.
      type: dict
      sample: {share: bauamt, removed: [[2, "\tread only = No"]]}
umzug_changes:
  description: What was (or would be) changed, umzug changes model.
  returned: success
  type: dict
  sample: {payload: shares, counts: {frozen: 2}, items: {frozen: [bauamt, kaemmerei]}, truncated: false}
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


def read_record(module, share):
    path = record_path(module.params["state_dir"], share)
    try:
        with open(path, encoding="utf-8") as handle:
            return json.load(handle)
    except FileNotFoundError:
        module.fail_json(msg=f"share [{share}] is frozen but its record {path} is missing: "
                             "restore its read only / write list lines by hand")


def plan(module, text):
    """The new text and per share (share, record or None when it stays as it is); the
    shares one after another on the text the ones before left."""
    state, planned = module.params["state"], []
    for share in module.params["shares"]:
        frozen = share_samba_conf.is_frozen(text, share)
        record = None
        if state == "frozen" and not frozen:
            text, record = share_samba_conf.freeze_section(text, share)
        elif state == "writable" and frozen:
            record = read_record(module, share)
            text = share_samba_conf.unfreeze_section(text, share, record)
        planned.append((share, record))
    return text, planned


def main():
    module = AnsibleModule(
        argument_spec=dict(
            shares=dict(type="list", elements="str", required=True),
            state=dict(type="str", choices=["frozen", "writable"], default="frozen"),
            smb_conf=dict(type="path", default="/etc/samba/smb.conf"),
            state_dir=dict(type="path", default="/var/lib/umzug/shares/freeze"),
            close_connections=dict(type="bool", default=True),
        ),
        supports_check_mode=True,
    )
    params = module.params
    twice = sorted(share for share in set(params["shares"]) if params["shares"].count(share) > 1)
    if twice:
        module.fail_json(msg=f"a share is named twice in shares: {', '.join(twice)}")
    try:
        with open(params["smb_conf"], encoding="utf-8") as handle:
            before = handle.read()
    except OSError as err:
        module.fail_json(msg=f"cannot read {params['smb_conf']}: {err.strerror}")
    try:
        after, planned = plan(module, before)
    except samba_conf.SambaConfError as err:
        module.fail_json(msg=f"{params['smb_conf']}: {err}")
    changes = Changes("shares")
    for share, record in planned:
        if record is not None:
            changes.add("frozen" if params["state"] == "frozen" else "unfrozen", share)
    changed = after != before
    result = {"changed": changed, "frozen": params["state"] == "frozen",
              "shares": [{"share": share, "changed": record is not None, "record": record or {}}
                         for share, record in planned],
              RESULT_CHANGES: changes.to_dict()}
    if module._diff:
        result["diff"] = {"before": before, "after": after, "before_header": params["smb_conf"],
                          "after_header": params["smb_conf"]}
    if module.check_mode or not changed:
        module.exit_json(**result)

    done = [(share, record) for share, record in planned if record is not None]
    if params["state"] == "frozen":
        # The records first: a freeze that cannot be undone exactly must not happen.
        for share, record in done:
            write_atomic(record_path(params["state_dir"], share), json.dumps(record), module.atomic_move, mode=0o600)
    write_atomic(params["smb_conf"], after, module.atomic_move)
    code, out, err = module.run_command(["smbcontrol", "smbd", "reload-config"])
    if code != 0:
        module.fail_json(msg=f"smbcontrol smbd reload-config failed: {(err or out).strip()}", **result)
    for share, _record in done:
        if params["state"] == "frozen" and params["close_connections"]:
            # Open connections keep the rights they had; closing them makes clients reconnect read-only.
            module.run_command(["smbcontrol", "smbd", "close-share", share])
        if params["state"] == "writable":
            os.unlink(record_path(params["state_dir"], share))
    module.exit_json(**result)


if __name__ == "__main__":
    main()

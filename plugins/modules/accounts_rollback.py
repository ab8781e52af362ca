#!/usr/bin/python
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

DOCUMENTATION = r"""
module: accounts_rollback
short_description: Undoes what the accounts payload created in the central Samba AD, nothing else
version_added: 0.1.0
description:
  - Takes the undo record entries of M(kommunal.umzug.accounts_apply) (C(created)) and, on the central DC,
    disables (O(mode=disable)) or deletes (O(mode=delete)) exactly those users and groups, each only if the
    object at the recorded DN still has the recorded SID. OUs it created are deleted once empty (delete mode).
  - Anything not in the undo record, or whose SID differs, is left alone and reported.
author:
  - umzug developers (@kommunal)
extends_documentation_fragment:
  - kommunal.umzug.attributes
  - kommunal.umzug.samdb
options:
  created:
    description: Undo record entries, each with dn, kind (ou, user, group) and sid.
    type: list
    elements: dict
    required: true
  mode:
    description: Disable users (groups stay) or delete users, groups and empty OUs.
    type: str
    choices: [disable, delete]
    default: disable
attributes:
  check_mode:
    support: full
  diff_mode:
    support: none
requirements:
  - python3-samba on the central DC
"""

EXAMPLES = r"""
- name: Roll back the Kommune's accounts
  kommunal.umzug.accounts_rollback:
    created: "{{ undo_record_created }}"
    mode: delete
  delegate_to: rz-dc
"""

RETURN = r"""
umzug_changes:
  description: Objects disabled or deleted.
  returned: success
  type: dict
  sample: {payload: accounts, counts: {deleted: 3}}
umzug_findings:
  description: Undo record entries whose object changed identity (left alone).
  returned: success
  type: list
  elements: dict
  sample: [{key: accounts.rollback_skipped, severity: medium}]
"""

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.kommunal.umzug.plugins.module_utils.accounts.directory import UAC_DISABLED
from ansible_collections.kommunal.umzug.plugins.module_utils.accounts.samba_directory import Directory
from ansible_collections.kommunal.umzug.plugins.module_utils.findings import (
    RESULT_CHANGES,
    RESULT_FINDINGS,
    Changes,
    Finding,
)


def rollback_steps(records, current, mode):
    """(operation, dn) pairs: objects newest first, then OUs deepest first; only matching SIDs."""
    ops, skipped = [], []
    for record in reversed(records):
        if record["kind"] == "ou":
            continue
        state = current.get(record["dn"].lower())
        if state is None:
            continue
        if state["sid"] != record["sid"]:
            skipped.append(record["dn"])
        elif mode == "delete":
            ops.append(("delete", record["dn"]))
        elif record["kind"] == "user" and state["enabled"]:
            ops.append(("disable", record["dn"]))
    if mode == "delete":
        ous = [r["dn"] for r in records if r["kind"] == "ou" and r["dn"].lower() in current]
        ops += [("delete_ou", dn) for dn in sorted(ous, key=lambda dn: -dn.count(","))]
    return ops, skipped


def current_state(directory, records):
    state = {}
    for record in records:
        if not directory.exists(record["dn"]):
            continue
        if record["kind"] == "ou":
            state[record["dn"].lower()] = {"sid": None, "enabled": False}
        else:
            enabled = record["kind"] == "user" and not directory.uac(record["dn"]) & UAC_DISABLED
            state[record["dn"].lower()] = {"sid": directory.sid(record["dn"]), "enabled": enabled}
    return state


def execute(directory, ops):
    with directory.transaction():
        for kind, dn in ops:
            if kind == "disable":
                directory.modify(dn, {"userAccountControl": ("replace", [str(directory.uac(dn) | UAC_DISABLED)])})
            elif kind == "delete":
                directory.db.delete(dn)
            elif not directory.search(dn, "(!(objectClass=organizationalUnit))", []):
                directory.db.delete(dn)  # an OU umzug made, now empty of anything but OUs


def main():
    module = AnsibleModule(
        argument_spec=dict(
            created=dict(type="list", elements="dict", required=True),
            mode=dict(type="str", choices=["disable", "delete"], default="disable"),
            samdb=dict(type="path", default="/var/lib/samba/private/sam.ldb"),
        ),
        supports_check_mode=True,
    )
    records = module.params["created"]
    try:
        directory = Directory(module.params["samdb"])
        ops, skipped = rollback_steps(records, current_state(directory, records), module.params["mode"])
        if ops and not module.check_mode:
            execute(directory, ops)
    except Exception as err:  # ldb's error type is only known after import
        module.fail_json(msg=f"rollback failed: {err}")
    changes = Changes(payload="accounts")
    for kind, dn in ops:
        changes.add({"disable": "disabled"}.get(kind, "deleted"), dn)
    findings = [Finding.of("accounts.rollback_skipped", count=len(skipped),
                           resources=skipped).to_dict()] if skipped else []
    module.exit_json(changed=bool(ops), **{RESULT_CHANGES: changes.to_dict(), RESULT_FINDINGS: findings})


if __name__ == "__main__":
    main()

#!/usr/bin/python
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

DOCUMENTATION = r"""
module: accounts_apply
short_description: Creates and syncs a Kommune's OU, users, groups and memberships in the central Samba AD
version_added: 0.1.0
description:
  - Runs on the central directory's Samba DC and writes through its local ldb (C(sam.ldb)), the only way
    Samba accepts a carried password hash (control C(local_oid:1.3.6.1.4.1.7165.4.3.12:0)).
  - Builds the target state from the export and the mapping file (C(plugins/module_utils/accounts/state.py)
    documents the rules), compares it with the Kommune's OU and creates, updates, disables or (only with
    O(on_removed=delete)) deletes; memberships, nested ones too, are synced.
  - Passwords of new users, by policy, in this order - the carried NT hash (O(hashes)); else an initial password
    (O(initial_passwords)) that must be changed at next logon; else the account stays disabled and is
    reported. A carried hash that changed at the source is carried again on a later run.
  - Check mode computes every operation without writing; diff lists every object and attribute.
author:
  - umzug developers (@kommunal)
extends_documentation_fragment:
  - kommunal.umzug.attributes
  - kommunal.umzug.samdb
options:
  directory:
    description: The Kommune's export.
    type: dict
    required: true
  mapping:
    description: The mapping file's data (C(mapping) of M(kommunal.umzug.accounts_mapping)).
    type: dict
    required: true
  ou:
    description: The Kommune's OU in the central directory (plan C(target.ou)).
    type: str
    required: true
  file_server:
    description: The RZ file server that home, profile and script paths are rewritten to.
    type: str
    required: true
  share_namespace:
    description: The Kommune's share namespace on that server (plan C(target.share_namespace)).
    type: str
    required: true
  placement:
    description:
      - Where the plan puts the Kommune's shares (C(umzug_kommune.share_placement)). A path below a share it
        lists goes where the plan says (its C(new) included), as the shares payload provisions it and the
        clients are sent to; O(path_template) applies to the other paths.
    type: dict
    default: {}
  path_template:
    description:
      - How an old UNC path below a share the plan does not list becomes a new one; fields server, namespace,
        share (the old share name in lower case) and rest. The default is the RZ share naming of the shares
        payload (C(\\rz-fs\altdorf-bauamt)).
    type: str
    default: '\\{server}\{namespace}-{share}\{rest}'
  mail_domain:
    description: New domain of mail addresses; empty keeps them.
    type: str
    default: ''
  hashes:
    description: Old SID -> NT hash (hex) of users whose password is carried.
    type: dict
    default: {}
  initial_passwords:
    description:
      - New sAMAccountName -> initial password of users whose policy is C(reset) (M(kommunal.umzug.accounts_letters)
        makes them). Set, with must-change at next logon (C(pwdLastSet=0)), when the user is created, or on an
        existing user of the OU that has no password yet; never over a password the user has.
    type: dict
    default: {}
  managed:
    description:
      - DNs of the objects umzug created (the undo record). Only these are disabled or deleted when the source no
        longer has them; objects someone else put into the OU are left alone. Omitted, every object counts.
    type: list
    elements: str
  on_removed:
    description: What happens to objects in the OU that the source no longer has.
    type: str
    choices: [disable, keep, delete]
    default: disable
attributes:
  check_mode:
    support: full
  diff_mode:
    support: full
requirements:
  - python3-samba on the target DC
"""

EXAMPLES = r"""
- name: Apply the Kommune's accounts
  kommunal.umzug.accounts_apply:
    directory: "{{ export.directory }}"
    mapping: "{{ mapping.mapping }}"
    ou: "{{ umzug_kommune.ou }}"
    file_server: "{{ umzug_kommune.share_placement.server }}"
    share_namespace: "{{ umzug_kommune.share_namespace }}"
    placement: "{{ umzug_kommune.share_placement }}"
    hashes: "{{ source_hashes.hashes }}"
  delegate_to: rz-dc
"""

RETURN = r"""
created:
  description: Objects this run created (for the undo record); never a password or hash.
  returned: success
  type: list
  elements: dict
  sample: [{dn: "CN=Hans Müller,OU=Altdorf,OU=Kommunen,DC=rz,DC=test", kind: user, sid: S-1-5-21-4-5-6-1601}]
operations:
  description: Number of operations done (or, in check mode, to be done).
  returned: success
  type: int
  sample: 42
umzug_changes:
  description: Created, updated, disabled ... objects.
  returned: success
  type: dict
  sample: {payload: accounts, counts: {created: 12}}
umzug_findings:
  description: The Kerberos consequence of carried hashes; accounts left without a password.
  returned: success
  type: list
  elements: dict
  sample: [{key: accounts.kerberos_rc4_only, severity: medium}]
"""

import binascii

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.kommunal.umzug.plugins.module_utils.accounts import state as accounts_state
from ansible_collections.kommunal.umzug.plugins.module_utils.accounts.directory import UAC_DISABLED
from ansible_collections.kommunal.umzug.plugins.module_utils.accounts.samba_directory import Directory
from ansible_collections.kommunal.umzug.plugins.module_utils.findings import (
    RESULT_CHANGES,
    RESULT_FINDINGS,
    Changes,
    Finding,
)

BYPASS_HASH = "local_oid:1.3.6.1.4.1.7165.4.3.12:0"
UAC_NORMAL = 0x200
UAC_DONT_EXPIRE = 0x10000


def credential_ops(want, have, current_hashes, hashes, passwords):
    """For existing users: carry a hash again when the source hash changed; give an initial
    password to one that has no password at all. New users get theirs when created."""
    ops = []
    existing = {dn.lower() for dn in have["users"]}
    for dn, user in want["users"].items():
        if dn.lower() not in existing:
            continue
        source = hashes.get(user["key"])
        if source and current_hashes.get(dn.lower()) != source.lower():
            ops.append(("set_hash", dn))
        elif not source and user["attrs"]["sAMAccountName"] in passwords and dn.lower() not in current_hashes:
            ops.append(("set_password", dn))
    return ops


def without_uncredentialed_enables(ops, want, hashes, passwords):
    """An account created without any password stays disabled: Samba refuses to enable it,
    and re-trying on every run would never converge. It is reported instead."""
    kept, stuck = [], []
    for op in ops:
        user = want["users"].get(op[1]) if op[0] == "enable" else None
        if user and user["key"] not in hashes and user["attrs"]["sAMAccountName"] not in passwords:
            stuck.append(user["attrs"]["sAMAccountName"])
        else:
            kept.append(op)
    return kept, stuck


def run(directory, ops, want, hashes, passwords, created, no_password):
    with directory.transaction():
        for op in ops:
            execute(directory, op, want, hashes, passwords, created, no_password)


def execute(directory, op, want, hashes, passwords, created, no_password):
    kind, dn = op[0], op[1]
    if kind == "add_ou":
        directory.add(dn, {"objectClass": "organizationalUnit"})
        created.append({"dn": dn, "kind": "ou", "sid": None})
    elif kind == "add":
        add_object(directory, dn, op[2], hashes, passwords, no_password)
        created.append({"dn": dn, "kind": op[2]["kind"], "sid": directory.sid(dn)})
    elif kind == "modify":
        directory.modify(dn, {a: ("delete", []) if new is None else ("replace", [new])
                              for a, (_dummy, new) in op[2].items()})
    elif kind in ("enable", "disable"):
        uac = directory.uac(dn)
        uac = uac & ~UAC_DISABLED if kind == "enable" else uac | UAC_DISABLED
        directory.modify(dn, {"userAccountControl": ("replace", [str(uac)])})
    elif kind == "set_hash":
        set_hash(directory, dn, hashes[want["users"][dn]["key"]])
    elif kind == "set_password":
        directory.set_password(dn, passwords[want["users"][dn]["attrs"]["sAMAccountName"]])
    elif kind in ("add_members", "remove_members"):
        directory.modify(dn, {"member": ("add" if kind == "add_members" else "delete", op[2])})
    elif kind == "delete":
        directory.delete(dn)


def set_hash(directory, dn, nt_hash):
    directory.modify(dn, {"unicodePwd": ("replace", [binascii.unhexlify(nt_hash)])}, controls=[BYPASS_HASH])
    # The bypass leaves pwdLastSet at 0 ("must change"); a carried password is the person's
    # own, not an initial one. -1 means "set now".
    directory.modify(dn, {"pwdLastSet": ("replace", ["-1"])})


def add_object(directory, dn, obj, hashes, passwords, no_password):
    attrs = dict(obj["attrs"])
    if obj["kind"] == "group":
        directory.add(dn, {"objectClass": "group", **attrs})
        return
    # Created disabled: Samba refuses an enabled account without a password.
    directory.add(dn, {"objectClass": "user", **attrs, "userAccountControl": str(UAC_NORMAL | UAC_DISABLED)})
    nt_hash = hashes.get(obj["key"])
    password = passwords.get(attrs["sAMAccountName"])
    if nt_hash:
        set_hash(directory, dn, nt_hash)
    elif password:
        directory.set_password(dn, password)
    else:
        no_password.append(attrs["sAMAccountName"])
        return
    uac = UAC_NORMAL | (0 if obj["enabled"] else UAC_DISABLED) | (UAC_DONT_EXPIRE if obj["service"] else 0)
    directory.modify(dn, {"userAccountControl": ("replace", [str(uac)])})


def password_note(obj, hashes, passwords):
    if obj["key"] in hashes:
        return "carried from the source (hash not shown)"
    if obj["attrs"]["sAMAccountName"] in passwords:
        return "initial password from the letter file, must change (not shown)"
    return "none (stays disabled)"


def diff_of(ops, hashes, passwords):
    before, after = {}, {}
    for op in ops:
        kind, dn = op[0], op[1]
        if kind == "add":
            after[dn] = dict(op[2]["attrs"], members=op[2].get("members"), enabled=op[2].get("enabled"))
            if op[2]["kind"] == "user":
                after[dn]["password"] = password_note(op[2], hashes, passwords)
        elif kind == "add_ou":
            after[dn] = {"objectClass": "organizationalUnit"}
        elif kind == "modify":
            before.setdefault(dn, {}).update({a: old for a, (old, _dummy) in op[2].items()})
            after.setdefault(dn, {}).update({a: new for a, (_dummy, new) in op[2].items()})
        elif kind in ("add_members", "remove_members"):
            side = after if kind == "add_members" else before
            side.setdefault(dn, {}).setdefault("member", []).extend(op[2])
        elif kind == "set_hash":
            after.setdefault(dn, {})["password"] = "carried from the source (hash not shown)"
        elif kind == "set_password":
            after.setdefault(dn, {})["password"] = "initial password from the letter file, must change (not shown)"
        else:
            after.setdefault(dn, {})["state"] = kind
    return {"before": before, "after": after}


def findings_of(hashes_used, no_password, kommune):
    found = []
    if hashes_used:
        found.append(Finding.of("accounts.kerberos_rc4_only", count=len(hashes_used),
                                resources=sorted(hashes_used), kommune=kommune).to_dict())
    if no_password:
        found.append(Finding.of("accounts.no_password", count=len(no_password), resources=sorted(no_password),
                                kommune=kommune).to_dict())
    return found


def main():
    module = AnsibleModule(
        argument_spec=dict(
            directory=dict(type="dict", required=True),
            mapping=dict(type="dict", required=True),
            ou=dict(type="str", required=True),
            file_server=dict(type="str", required=True),
            share_namespace=dict(type="str", required=True),
            placement=dict(type="dict", default={}),
            path_template=dict(type="str", default=accounts_state.DEFAULT_PATH_TEMPLATE),
            mail_domain=dict(type="str", default=""),
            hashes=dict(type="dict", default={}, no_log=True),
            initial_passwords=dict(type="dict", default={}, no_log=True),
            managed=dict(type="list", elements="str"),
            on_removed=dict(type="str", choices=["disable", "keep", "delete"], default="disable"),
            samdb=dict(type="path", default="/var/lib/samba/private/sam.ldb"),
        ),
        supports_check_mode=True,
    )
    params = module.params
    hashes = {k.upper(): v for k, v in params["hashes"].items()}
    try:
        directory = Directory(params["samdb"])
        settings = {"server": params["file_server"], "namespace": params["share_namespace"],
                    "path_template": params["path_template"],
                    "placement": params["placement"],
                    "mail_domain": params["mail_domain"], "ou": params["ou"], "domain_dn": directory.domain_dn()}
        want = accounts_state.desired(params["directory"], params["mapping"], settings)
        have, current_hashes = directory.read(params["ou"])
        have["ous"] = [dn for dn in want["ous"] if directory.exists(dn)]
        ops = (credential_ops(want, have, current_hashes, hashes, params["initial_passwords"])
               + accounts_state.changes(want, have, params["on_removed"], params["managed"]))
        ops, no_password = without_uncredentialed_enables(ops, want, hashes, params["initial_passwords"])
        created = []
        if ops and not module.check_mode:
            run(directory, ops, want, hashes, params["initial_passwords"], created, no_password)
    except Exception as err:  # ldb raises its own error type, unknown before import
        module.fail_json(msg=f"applying the accounts of {params['ou']} failed: {err}")
    changes = Changes(payload="accounts")
    for op in ops:
        changes.add(*accounts_state.describe(op))
    carried = [want["users"][op[1]]["attrs"]["sAMAccountName"] for op in ops if op[0] == "set_hash"]
    carried += [op[2]["attrs"]["sAMAccountName"] for op in ops
                if op[0] == "add" and op[2]["kind"] == "user" and op[2]["key"] in hashes]
    result = dict(changed=bool(ops), created=created, operations=len(ops),
                  **{RESULT_CHANGES: changes.to_dict(),
                     RESULT_FINDINGS: findings_of(carried, no_password, params["mapping"].get("kommune"))})
    if module._diff:
        result["diff"] = diff_of(ops, hashes, params["initial_passwords"])
    module.exit_json(**result)


if __name__ == "__main__":
    main()

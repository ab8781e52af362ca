#!/usr/bin/python
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

DOCUMENTATION = r"""
module: accounts_source
short_description: Disables a Kommune's migrated accounts at its old directory at cut-over, and enables them again
version_added: 0.1.0
description:
  - Runs on the controller and writes over LDAPS (certificate verified against O(ca_file)).
  - O(state=disabled) sets the ACCOUNTDISABLE bit of C(userAccountControl) on every user of the export that has
    been migrated (an active mapping entry with its C(new_sid)) and is enabled at the source now. Accounts already
    disabled are left alone and not recorded; so are well-known accounts (RID below 1000) and the bind account.
  - Each account it disabled is recorded in the undo record (O(undo_dir), one file per run, C(source_disabled)),
    also when the run stops half-way.
  - O(state=enabled) (and rollback) enables exactly the accounts the undo record says umzug disabled and has not
    enabled since, each only if the object at that DN still has the recorded SID; it records them as
    C(source_enabled), so a later run never touches them again.
  - An OpenLDAP source has no standard way to disable an account (ppolicy's C(pwdAccountLockedTime) needs the
    ppolicy overlay, and whatever reads the directory decides what a lock means), so nothing is changed there;
    the accounts are reported (C(accounts.source_disable_unsupported)) for the Kommune's administrators.
author:
  - umzug developers (@kommunal)
extends_documentation_fragment:
  - kommunal.umzug.attributes
  - kommunal.umzug.directory_connection
options:
  state:
    description: Disable the migrated accounts, or enable the ones umzug disabled.
    type: str
    choices: [disabled, enabled]
    required: true
  server:
    description: LDAPS URI of the Kommune's directory.
    type: str
    required: true
  base_dn:
    description: Where the users are; defaults to the server's default naming context.
    type: str
  bind_dn:
    description: Who binds (needs the right to change C(userAccountControl)).
    type: str
    required: true
  directory:
    description: The Kommune's export (C(directory) of M(kommunal.umzug.accounts_export)); needed for O(state=disabled).
    type: dict
  mapping:
    description: The mapping file's data; only users with an active entry and a C(new_sid) count as migrated.
    type: dict
  keep:
    description:
      - Accounts of umzug's own at the Kommune that are never disabled, besides the one that binds, e.g. the
        replication account M(kommunal.umzug.accounts_hashes) replicates the hashes with; by account name, also
        as V(DOMAIN\\name) or V(name@realm).
    type: list
    elements: str
    default: []
  undo_dir:
    description: The folder of the Kommune's undo record on the controller (created if missing).
    type: path
    required: true
  kommune:
    description: Kommune id for the findings.
    type: str
attributes:
  check_mode:
    support: full
  diff_mode:
    support: full
"""

EXAMPLES = r"""
- name: Disable the migrated accounts at the source
  kommunal.umzug.accounts_source:
    state: disabled
    server: ldaps://kommune-a-dc.kommune-a.test
    bind_dn: Administrator@kommune-a.test
    bind_password: "{{ accounts_source_bind_password }}"
    ca_file: /etc/umzug/ca.crt
    directory: "{{ export.directory }}"
    mapping: "{{ mapping.mapping }}"
    undo_dir: artifacts/undo/accounts/kommune-a
  delegate_to: localhost

- name: Enable exactly what umzug disabled
  kommunal.umzug.accounts_source:
    state: enabled
    server: ldaps://kommune-a-dc.kommune-a.test
    bind_dn: Administrator@kommune-a.test
    bind_password: "{{ accounts_source_bind_password }}"
    ca_file: /etc/umzug/ca.crt
    undo_dir: artifacts/undo/accounts/kommune-a
  delegate_to: localhost
"""

RETURN = r"""
accounts:
  description: The accounts this run disabled or enabled (or would, in check mode), as recorded in the undo record.
  returned: success
  type: list
  elements: dict
  sample: [{dn: "CN=Hans Müller,OU=Verwaltung,DC=kommune-a,DC=test", sid: S-1-5-21-1-2-3-1105, name: hmueller}]
undo_file:
  description: The undo record file this run wrote (empty if it changed nothing).
  returned: success
  type: str
  sample: artifacts/undo/accounts/kommune-a/20261121T230102000000-source.yml
umzug_changes:
  description: Accounts disabled or enabled at the source.
  returned: success
  type: dict
  sample: {payload: accounts, counts: {source_disabled: 12}}
umzug_findings:
  description: Undo record entries left alone (SID changed), accounts an OpenLDAP source cannot have disabled.
  returned: success
  type: list
  elements: dict
  sample: [{key: accounts.source_disable_unsupported, severity: high}]
"""

import datetime
import os
import traceback

from ansible.module_utils.basic import AnsibleModule, missing_required_lib

from ansible_collections.kommunal.umzug.plugins.module_utils.accounts import directory as model
from ansible_collections.kommunal.umzug.plugins.module_utils.accounts import ldaps
from ansible_collections.kommunal.umzug.plugins.module_utils.files import write_atomic
from ansible_collections.kommunal.umzug.plugins.module_utils.findings import (
    RESULT_CHANGES,
    RESULT_FINDINGS,
    Changes,
    Finding,
)
from ansible_collections.kommunal.umzug.plugins.module_utils.identity import sid as sid_codec

try:
    import yaml
except ImportError:
    yaml = None
    YAML_ERROR = traceback.format_exc()
else:
    YAML_ERROR = None

DISABLED = model.SOURCE_DISABLED
ENABLED = model.SOURCE_ENABLED


# One rule for an account's name in its three spellings: the export's (leave_out) and this one's.
account_name = model.account_name


def migrated_users(directory, mapping, bind_dn, keep=()):
    """Users of the export with an active mapping entry that exists at the target; never a
    well-known account, the one umzug binds as or another of umzug's own (``keep``)."""
    entries = [e for e in (mapping or {}).get("users") or ()
               if e.get("status", "active") == "active" and e.get("new_sid")]
    created = {(e.get("old_sid") or "").upper() or f"user:{e['old_name'].casefold()}" for e in entries}
    binder = bind_dn.split("@")[0].casefold()
    kept = {account_name(name) for name in keep}
    found = []
    for user in (directory or {}).get("users") or ():
        well_known = bool(user.get("sid")) and sid_codec.is_well_known_rid(sid_codec.rid(user["sid"]))
        bound = binder in (user["name"].casefold(), user["dn"].casefold())
        own = user["name"].casefold() in kept
        if user["key"] in created and not well_known and not bound and not own:
            found.append({"dn": user["dn"], "sid": user.get("sid"), "name": user["name"]})
    return found


def accounts_to_change(state, candidates, current):
    """(accounts to change, accounts skipped because their SID changed); ``current`` maps a
    lower-case DN to {"sid", "uac"} at the source now."""
    change, skipped = [], []
    for account in candidates:
        now = current.get(account["dn"].lower())
        if now is None:
            continue
        if account.get("sid") and now["sid"] != account["sid"]:
            skipped.append(account["dn"])
        elif state == "disabled" and not now["uac"] & model.UAC_DISABLED:
            change.append(account)
        elif state == "enabled":
            # Recorded even if someone enabled it by hand meanwhile: umzug's hold on it ends.
            change.append(account)
    return change, skipped


def write_undo_entry(module, undo_dir, key, accounts):
    os.makedirs(undo_dir, mode=0o750, exist_ok=True)
    stamp = datetime.datetime.now(datetime.UTC).strftime("%Y%m%dT%H%M%S%f")
    path = os.path.join(undo_dir, f"{stamp}-source.yml")
    write_atomic(path, yaml.safe_dump({key: accounts}, allow_unicode=True, sort_keys=False), module.atomic_move)
    return path


class Source:
    def __init__(self, params):
        self.conn = ldaps.connect(params, read_only=False)
        self.base = ldaps.base_of(self.conn, params)
        self.page_size = params["page_size"]

    def users(self):
        """{lower-case DN: {"sid", "uac"}} of every user account."""
        return {entry["dn"].lower(): {"sid": sid_codec.from_bytes(entry["objectSid"][0]),
                                      "uac": int(entry["userAccountControl"][0])}
                for entry in ldaps.paged(self.conn, self.base, model.AD_USER_FILTER,
                                         ["objectSid", "userAccountControl"], self.page_size)}

    def set_disabled(self, dn, uac, disabled):
        uac = uac | model.UAC_DISABLED if disabled else uac & ~model.UAC_DISABLED
        self.conn.modify(dn, {"userAccountControl": [("MODIFY_REPLACE", [str(uac)])]})

    def close(self):
        self.conn.unbind()


def unsupported(accounts, kommune):
    return Finding.of("accounts.source_disable_unsupported", count=len(accounts),
                      resources=(a["name"] for a in accounts), kommune=kommune).to_dict()


def run(module, params):
    undo_record = model.read_undo_record(params["undo_dir"])
    if params["state"] == "disabled":
        candidates = migrated_users(params["directory"], params["mapping"], params["bind_dn"], params["keep"])
    else:
        candidates = model.held_by_umzug(undo_record)
    if params["flavour"] == "openldap":
        return [], [], "", ([unsupported(candidates, params["kommune"])]
                            if candidates and params["state"] == "disabled" else [])
    if not candidates:
        return [], [], "", []
    source = Source(params)
    done = []
    try:
        current = source.users()
        change, skipped = accounts_to_change(params["state"], candidates, current)
        if module.check_mode:
            return change, skipped, "", []
        for account in change:
            now = current[account["dn"].lower()]
            if params["state"] == "disabled" or now["uac"] & model.UAC_DISABLED:
                source.set_disabled(account["dn"], now["uac"], params["state"] == "disabled")
            done.append(account)
    finally:
        # Whatever was changed is in the undo record, even if the run stops half-way.
        path = write_undo_entry(module, params["undo_dir"], DISABLED if params["state"] == "disabled" else ENABLED,
                                done) if done else ""
        source.close()
    return done, skipped, path, []


def main():
    module = AnsibleModule(
        argument_spec=dict(
            state=dict(type="str", choices=["disabled", "enabled"], required=True),
            **ldaps.connection_args(),
            directory=dict(type="dict"),
            mapping=dict(type="dict"),
            keep=dict(type="list", elements="str", default=[]),
            undo_dir=dict(type="path", required=True),
            kommune=dict(type="str"),
        ),
        required_if=[("state", "disabled", ("directory", "mapping"))],
        supports_check_mode=True,
    )
    params = module.params
    ldaps.check_usable(module)
    if YAML_ERROR:
        module.fail_json(msg=missing_required_lib("PyYAML"), exception=YAML_ERROR)
    try:
        accounts, skipped, path, findings = run(module, params)
    except (ldaps.LDAPException, ValueError, OSError, yaml.YAMLError) as err:
        module.fail_json(msg=f"setting the migrated accounts of {params['server']} {params['state']} failed: {err}")
    kind = DISABLED if params["state"] == "disabled" else ENABLED
    changes = Changes(payload="accounts")
    for account in accounts:
        changes.add(kind, account["dn"])
    if skipped:
        findings.append(Finding.of("accounts.source_skipped", count=len(skipped), resources=skipped,
                                   kommune=params["kommune"]).to_dict())
    result = dict(changed=bool(accounts), accounts=accounts, undo_file=path,
                  **{RESULT_CHANGES: changes.to_dict(), RESULT_FINDINGS: findings})
    if module._diff:
        result["diff"] = {"before": {a["dn"]: "enabled" if kind == DISABLED else "disabled" for a in accounts},
                          "after": {a["dn"]: "disabled" if kind == DISABLED else "enabled" for a in accounts}}
    module.exit_json(**result)


if __name__ == "__main__":
    main()

#!/usr/bin/python
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

DOCUMENTATION = r"""
module: accounts_export
short_description: Reads a Kommune's directory (Samba/Windows AD or OpenLDAP) over LDAPS
version_added: 0.1.0
description:
  - Reads users, groups (scope, type, nested members), OUs and computers with paged searches over LDAPS,
    the server certificate verified against O(ca_file), and returns them in umzug's export model
    (see C(plugins/module_utils/accounts/directory.py)).
  - For AD also the primary group, enabled/disabled, expiry, mail, UPN, home directory and drive, profile
    and logon script paths, RFC 2307 uid/gid where present and the SIDs. OpenLDAP is read as RFC 2307
    (posixGroup/memberUid) and RFC 2307bis (groupOfNames/member) with the same module.
  - Reports service accounts (migrated, flagged), computers (not migrated) and members outside the export
    as findings. Reads only; runs on the controller (needs the C(ldap3) Python library).
  - Never reads password attributes; hashes are read on the DC itself by M(kommunal.umzug.accounts_hashes).
  - With O(undo_dir), a user that M(kommunal.umzug.accounts_source) disabled at the source (the undo record's
    C(source_disabled), not given back since, same SID) is exported with its state from before (enabled), because
    umzug's own disable at cut-over is not the Kommune's and must not reach the central directory. A user the
    Kommune disabled itself stays disabled.
author:
  - umzug developers (@kommunal)
extends_documentation_fragment:
  - kommunal.umzug.attributes
  - kommunal.umzug.directory_connection
options:
  base_dn:
    description: Where to search; defaults to the server's default naming context.
    type: str
  service_patterns:
    description: Shell patterns of account names that count as service accounts (besides AD's flags).
    type: list
    elements: str
    default: [svc-*, svc_*, dienst-*]
  kommune:
    description: Kommune id for the findings.
    type: str
  findings:
    description:
      - Report what of this directory does not move as it is (service accounts, computers, members outside
        the export). V(false) for the central directory's export, which is read only for the names, SIDs
        and ids in use; its objects are not migrated, so they are no finding of a Kommune.
    type: bool
    default: true
  exclude:
    description:
      - Accounts of umzug's own at the source that are not the Kommune's and are left out of the export, written
        C(name), C(DOMAIN\\name) or C(name@realm). They are not mapped, not created in the central directory, and
        taken out of every group's members, e.g. the replication account of the password hashes over DRSUAPI or
        the SMB backup account of a windows Kommune.
      - With O(findings), the finding C(accounts.replication_account_excluded) names those found.
    type: list
    elements: str
    default: []
  undo_dir:
    description:
      - The folder of the Kommune's accounts undo record on the controller (read only; a missing folder is an empty
        record).
      - Give it for the Kommune's own directory, never for the central one.
    type: path
attributes:
  check_mode:
    support: full
  diff_mode:
    support: none
"""

EXAMPLES = r"""
- name: Export the Kommune's directory
  kommunal.umzug.accounts_export:
    server: ldaps://kommune-a-dc.kommune-a.test
    bind_dn: Administrator@kommune-a.test
    bind_password: "{{ accounts_source_password }}"
    ca_file: /etc/umzug/ca.crt
    kommune: kommune-a
  delegate_to: localhost
  register: export
"""

RETURN = r"""
directory:
  description: The export model (flavour, base_dn, domain_sid, ous, users, groups, computers, foreign_members).
  returned: success
  type: dict
  sample:
    flavour: ad
    base_dn: DC=kommune-a,DC=test
    domain_sid: S-1-5-21-1-2-3
    ous: ["OU=Verwaltung,DC=kommune-a,DC=test"]
    users: [{key: S-1-5-21-1-2-3-1105, name: hmueller, enabled: true, service: false}]
    groups: [{key: S-1-5-21-1-2-3-1101, name: Bauamt, scope: global, security: true, members: []}]
    computers: [{dn: "CN=PC01,CN=Computers,DC=kommune-a,DC=test", name: PC01$}]
    foreign_members: []
excluded:
  description: Users of O(exclude) found in the directory and left out of the export.
  returned: success
  type: list
  elements: str
  sample: [umzug-repl]
held_by_umzug:
  description: Users disabled at the source by umzug (undo record), exported with their state from before (enabled).
  returned: success
  type: list
  elements: str
  sample: [hmueller]
umzug_findings:
  description: Service accounts, computers not migrated, members outside the export (none with O(findings=false)).
  returned: success
  type: list
  elements: dict
  sample: [{key: accounts.computers_not_migrated, severity: info, payload: accounts}]
"""

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.kommunal.umzug.plugins.module_utils.accounts import directory, ldaps
from ansible_collections.kommunal.umzug.plugins.module_utils.findings import RESULT_FINDINGS, Finding
from ansible_collections.kommunal.umzug.plugins.module_utils.identity import sid as sid_codec

SEARCHES = {
    "ad": {"ous": (directory.AD_OU_FILTER, ()), "users": (directory.AD_USER_FILTER, directory.AD_USER_ATTRS),
           "groups": (directory.AD_GROUP_FILTER, directory.AD_GROUP_ATTRS),
           "computers": (directory.AD_COMPUTER_FILTER, directory.AD_COMPUTER_ATTRS)},
    "openldap": {"ous": (directory.LDAP_OU_FILTER, ()),
                 "users": (directory.LDAP_USER_FILTER, directory.LDAP_USER_ATTRS),
                 "groups": (directory.LDAP_GROUP_FILTER, directory.LDAP_GROUP_ATTRS)},
}


def domain_sid_of(conn, base):
    conn.search(base, "(objectClass=*)", search_scope="BASE", attributes=["objectSid"])
    raw = conn.entries[0].entry_raw_attributes.get("objectSid") if conn.entries else None
    return sid_codec.from_bytes(raw[0]) if raw else None


def export(params):
    conn = ldaps.connect(params)
    try:
        base = ldaps.base_of(conn, params) if params["flavour"] == "ad" else params["base_dn"]
        if not base:
            raise ValueError("base_dn is required for an OpenLDAP source (it has no default naming context)")
        raw = {kind: list(ldaps.paged(conn, base, flt, attrs, params["page_size"]))
               for kind, (flt, attrs) in SEARCHES[params["flavour"]].items()}
        sid = domain_sid_of(conn, base) if params["flavour"] == "ad" else None
    finally:
        conn.unbind()
    # Computers are users too in AD; the person filter already leaves them out.
    return directory.build_export(params["flavour"], base, raw, sid, params["service_patterns"])


def findings_for(model, kommune, excluded=()):
    found = []
    if excluded:
        found.append(Finding.of("accounts.replication_account_excluded", accounts=list(excluded),
                                resources=list(excluded), kommune=kommune).to_dict())

    def add(key, resources):
        found.append(Finding.of(key, count=len(resources), resources=resources, kommune=kommune).to_dict())

    service = [u["name"] for u in model["users"] if u["service"]]
    if service:
        add("accounts.service_account", service)
    if model["computers"]:
        add("accounts.computers_not_migrated", [c["name"] for c in model["computers"]])
    if model["foreign_members"]:
        add("accounts.foreign_members", model["foreign_members"])
    return found


def main():
    module = AnsibleModule(
        argument_spec=dict(
            **ldaps.connection_args(),
            service_patterns=dict(type="list", elements="str", default=list(directory.DEFAULT_SERVICE_PATTERNS)),
            kommune=dict(type="str"),
            findings=dict(type="bool", default=True),
            exclude=dict(type="list", elements="str", default=[]),
            undo_dir=dict(type="path"),
        ),
        supports_check_mode=True,
    )
    ldaps.check_usable(module)
    undo_dir = module.params["undo_dir"]
    try:
        records = directory.read_undo_record(undo_dir) if undo_dir else []
    except (OSError, ValueError) as err:
        module.fail_json(msg=f"reading the accounts undo record {undo_dir} failed: {err}")
    try:
        model = export(module.params)
    except (ldaps.LDAPException, ValueError, OSError) as err:
        module.fail_json(msg=f"reading {module.params['server']} failed: {err}")
    excluded = directory.leave_out(model, module.params["exclude"])
    held = directory.undo_umzug_disable(model, records)
    found = findings_for(model, module.params["kommune"], excluded) if module.params["findings"] else []
    module.exit_json(changed=False, directory=model, excluded=excluded, held_by_umzug=held,
                     **{RESULT_FINDINGS: found})


if __name__ == "__main__":
    main()

#!/usr/bin/python
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

DOCUMENTATION = r"""
module: accounts_hashes
short_description: Reads the NT password hashes of a Kommune's users, on its Samba DC or over DRSUAPI
version_added: 0.1.0
description:
  - With O(method=local) it runs on the Kommune's Samba DC and reads C(unicodePwd) (the NT hash) through the
    local sam.ldb; LDAP never hands it out.
  - With O(method=drsuapi) it runs on the RZ's central DC (never on the Kommune's DC, never on the controller) and
    replicates the hashes from the Kommune's DC O(server) as a DC does (DRSUAPI C(DsGetNCChanges), extended
    operation C(EXOP_REPL_OBJ), one user per request, sealed), decrypted with the session key. For a Kommune
    whose DC umzug cannot log on to, such as a Windows AD. The account O(username) needs exactly the extended
    rights DS-Replication-Get-Changes and DS-Replication-Get-Changes-All on the domain naming context
    (docs/accounts.md says how to grant and remove them).
  - Only for the users listed, by SID. Both methods return the same result. The hashes are held in memory only; run
    the task with C(no_log=true), because its result is secret.
author:
  - umzug developers (@kommunal)
extends_documentation_fragment:
  - kommunal.umzug.attributes
  - kommunal.umzug.samdb
options:
  sids:
    description: SIDs of the users whose hash is carried.
    type: list
    elements: str
    required: true
  method:
    description:
      - V(local) reads the local sam.ldb O(samdb) of the DC the task runs on (the Kommune's Samba DC).
      - V(drsuapi) replicates from O(server) over DRSUAPI; O(samdb) is not used.
    type: str
    choices: [local, drsuapi]
    default: local
  server:
    description:
      - The Kommune's DC, by name or address, as the RZ's central DC reaches it (O(method=drsuapi) only).
      - Needs TCP port 135 and the DC's RPC ports (dynamic, or the fixed port the DC is set to) from the central DC.
    type: str
  username:
    description:
      - The replication account at the Kommune's DC (O(method=drsuapi) only), as V(user), V(DOMAIN\\user) or
        V(user@realm).
    type: str
  password:
    description: Its password, from a vault (O(method=drsuapi) only).
    type: str
  domain:
    description:
      - NetBIOS name of the Kommune's domain the account belongs to (O(method=drsuapi) only), e.g. V(KOMMUNEA).
        Not needed when O(username) names it.
    type: str
attributes:
  check_mode:
    support: full
  diff_mode:
    support: none
requirements:
  - python3-samba on the host the task runs on (the Kommune's Samba DC for O(method=local), the RZ's central DC for
    O(method=drsuapi))
notes:
  - O(method=drsuapi) authenticates with NTLMv2 and seals the connection; it was proven against Samba 4.17 DCs only.
"""

EXAMPLES = r"""
- name: Read the hashes of the users whose password is carried
  kommunal.umzug.accounts_hashes:
    sids: "{{ export.directory.users | map(attribute='sid') }}"
  register: source_hashes
  no_log: true

- name: Replicate them from a Windows Kommune's DC, on the RZ's central DC
  kommunal.umzug.accounts_hashes:
    sids: "{{ export.directory.users | map(attribute='sid') }}"
    method: drsuapi
    server: dc01.altdorf.local
    username: ALTDORF\umzug-repl
    password: "{{ vault_altdorf_replication_password }}"
  delegate_to: "{{ accounts_central_dc }}"
  register: source_hashes
  no_log: true
"""

RETURN = r"""
hashes:
  description: SID -> NT hash in hex, for users that have one. Secret.
  returned: success
  type: dict
  sample: {S-1-5-21-1-2-3-1105: "<32 hex digits>"}
missing:
  description: SIDs without a hash (no password set, or not found; over DRSUAPI also a SID that is only in another
    account's sIDHistory).
  returned: success
  type: list
  elements: str
  sample: [S-1-5-21-1-2-3-1110]
"""

import binascii

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.kommunal.umzug.plugins.module_utils.accounts import drsuapi
from ansible_collections.kommunal.umzug.plugins.module_utils.identity import sid as sid_codec

# Options that belong to one method only: (option, method it belongs to).
METHOD_OPTIONS = (("server", "drsuapi"), ("username", "drsuapi"), ("password", "drsuapi"), ("domain", "drsuapi"))


def read_hashes(path, sids):
    import ldb
    from samba.auth import system_session
    from samba.dcerpc import security
    from samba.ndr import ndr_pack
    from samba.param import LoadParm
    from samba.samdb import SamDB

    lp = LoadParm()
    lp.load_default()
    db = SamDB(url=path, session_info=system_session(), lp=lp)
    found = {}
    for sid in sids:
        encoded = ldb.binary_encode(ndr_pack(security.dom_sid(sid)))
        res = db.search(db.domain_dn(), scope=ldb.SCOPE_SUBTREE, expression=f"(objectSid={encoded})",
                        attrs=["unicodePwd"])
        if res and "unicodePwd" in res[0]:
            found[sid.upper()] = binascii.hexlify(bytes(res[0]["unicodePwd"][0])).decode()
    return found


def unsupported(params):
    """The sentence for an option given to the method it does not belong to, else None."""
    stray = [name for name, method in METHOD_OPTIONS if params[name] is not None and params["method"] != method]
    if stray:
        return f"{', '.join(stray)} belong(s) to method drsuapi; method is {params['method']}"
    bad = [sid for sid in params["sids"] if not _parses(sid)]
    if bad:
        return f"not a SID: {', '.join(map(str, bad))}"
    return None


def _parses(sid):
    try:
        sid_codec.normalise(sid)
        return True
    except sid_codec.SidError:
        return False


def read_local(params):
    try:
        hashes = read_hashes(params["samdb"], params["sids"])
    except Exception as err:  # ldb's error type is only known after import
        raise drsuapi.ReplicationError(f"reading password hashes failed: {err}") from None
    missing = sorted(sid.upper() for sid in params["sids"] if sid.upper() not in hashes)
    return hashes, missing


def read_drsuapi(params):
    return drsuapi.read_hashes(params["sids"], params["server"], params["username"], params["password"],
                               params["domain"])


READERS = {"local": read_local, "drsuapi": read_drsuapi}


def main():
    module = AnsibleModule(
        argument_spec=dict(
            sids=dict(type="list", elements="str", required=True),
            samdb=dict(type="path", default="/var/lib/samba/private/sam.ldb"),
            method=dict(type="str", choices=["local", "drsuapi"], default="local"),
            server=dict(type="str"),
            username=dict(type="str"),
            password=dict(type="str", no_log=True),
            domain=dict(type="str"),
        ),
        required_if=[("method", "drsuapi", ("server", "username", "password"))],
        supports_check_mode=True,
    )
    problem = unsupported(module.params)
    if problem:
        module.fail_json(msg=problem)
    try:
        hashes, missing = READERS[module.params["method"]](module.params)
    except drsuapi.ReplicationError as err:
        module.fail_json(msg=str(err))
    module.exit_json(changed=False, hashes=hashes, missing=missing)


if __name__ == "__main__":
    main()

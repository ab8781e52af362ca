#!/usr/bin/python
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

DOCUMENTATION = r"""
module: accounts_hashes
short_description: Reads the NT password hashes of a Kommune's users on its Samba DC
version_added: 0.1.0
description:
  - Runs on the Kommune's Samba DC and reads C(unicodePwd) (the NT hash) through the local sam.ldb;
    LDAP never hands it out.
  - Only for the users listed, by SID. Run the task with C(no_log=true), because its result is secret.
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
attributes:
  check_mode:
    support: full
  diff_mode:
    support: none
requirements:
  - python3-samba on the source DC
"""

EXAMPLES = r"""
- name: Read the hashes of the users whose password is carried
  kommunal.umzug.accounts_hashes:
    sids: "{{ export.directory.users | map(attribute='sid') }}"
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
  description: SIDs without a hash (no password set, or not found).
  returned: success
  type: list
  elements: str
  sample: [S-1-5-21-1-2-3-1110]
"""

import binascii

from ansible.module_utils.basic import AnsibleModule


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


def main():
    module = AnsibleModule(
        argument_spec=dict(
            sids=dict(type="list", elements="str", required=True),
            samdb=dict(type="path", default="/var/lib/samba/private/sam.ldb"),
        ),
        supports_check_mode=True,
    )
    try:
        hashes = read_hashes(module.params["samdb"], module.params["sids"])
    except Exception as err:  # ldb's error type is only known after import
        module.fail_json(msg=f"reading password hashes failed: {err}")
    missing = sorted(sid.upper() for sid in module.params["sids"] if sid.upper() not in hashes)
    module.exit_json(changed=False, hashes=hashes, missing=missing)


if __name__ == "__main__":
    main()

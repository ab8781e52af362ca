# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""A Samba DC's local sam.ldb, as the accounts apply and rollback modules use it.

A local ldb connection as the system session, not LDAP: it is the only way Samba accepts
a carried password hash (control ``local_oid:1.3.6.1.4.1.7165.4.3.12:0``) and hands out
``unicodePwd`` for comparison. Imports Samba's Python bindings (python3-samba) only when
a Directory is opened, so the module_utils import everywhere.
"""

from __future__ import annotations

import binascii

from ansible_collections.kommunal.umzug.plugins.module_utils.accounts import state as accounts_state
from ansible_collections.kommunal.umzug.plugins.module_utils.accounts.directory import UAC_DISABLED
from ansible_collections.kommunal.umzug.plugins.module_utils.identity import sid as sid_codec


class Directory:
    """The few ldb operations apply needs, on the DC's local sam.ldb."""

    def __init__(self, path):
        import ldb
        from samba.auth import system_session
        from samba.param import LoadParm
        from samba.samdb import SamDB

        self.ldb = ldb
        lp = LoadParm()
        lp.load_default()
        self.db = SamDB(url=path, session_info=system_session(), lp=lp)

    def domain_dn(self):
        return str(self.db.domain_dn())

    def exists(self, dn):
        try:
            self.db.search(dn, scope=self.ldb.SCOPE_BASE, attrs=[])
            return True
        except self.ldb.LdbError as err:
            if err.args[0] == self.ldb.ERR_NO_SUCH_OBJECT:
                return False
            raise

    def search(self, base, expression, attrs):
        try:
            return self.db.search(base, scope=self.ldb.SCOPE_SUBTREE, expression=expression, attrs=attrs)
        except self.ldb.LdbError as err:
            if err.args[0] == self.ldb.ERR_NO_SUCH_OBJECT:
                return []
            raise

    def read(self, ou):
        """The Kommune's OU as {"ous", "users", "groups"}, plus current NT hashes by DN."""
        have = {"ous": [], "users": {}, "groups": {}}
        hashes = {}
        for msg in self.search(ou, "(&(objectClass=user)(!(objectClass=computer)))",
                               [*accounts_state.USER_ATTRS, "userAccountControl", "unicodePwd"]):
            dn = str(msg.dn)
            have["users"][dn] = {"enabled": not int(msg["userAccountControl"][0]) & UAC_DISABLED,
                                 "attrs": _attrs(msg, accounts_state.USER_ATTRS)}
            if "unicodePwd" in msg:
                hashes[dn.lower()] = binascii.hexlify(bytes(msg["unicodePwd"][0])).decode()
        for msg in self.search(ou, "(objectClass=group)", [*accounts_state.GROUP_ATTRS, "member"]):
            have["groups"][str(msg.dn)] = {"members": [str(m) for m in msg.get("member", [])],
                                           "attrs": _attrs(msg, accounts_state.GROUP_ATTRS)}
        return have, hashes

    def sid(self, dn):
        msg = self.db.search(dn, scope=self.ldb.SCOPE_BASE, attrs=["objectSid"])[0]
        return sid_codec.from_bytes(bytes(msg["objectSid"][0]))

    def add(self, dn, attrs):
        self.db.add({"dn": dn, **attrs})

    def modify(self, dn, changes, controls=None):
        msg = self.ldb.Message(self.ldb.Dn(self.db, dn))
        for attr, (flag, values) in changes.items():
            flags = {"replace": self.ldb.FLAG_MOD_REPLACE, "delete": self.ldb.FLAG_MOD_DELETE,
                     "add": self.ldb.FLAG_MOD_ADD}[flag]
            msg[attr] = self.ldb.MessageElement(values, flags, attr)
        self.db.modify(msg, controls=controls or [])

    def uac(self, dn):
        msg = self.db.search(dn, scope=self.ldb.SCOPE_BASE, attrs=["userAccountControl"])[0]
        return int(msg["userAccountControl"][0])

    def set_password(self, dn, password):
        self.db.setpassword(f"(distinguishedName={self.ldb.binary_encode(dn)})", password,
                            force_change_at_next_login=True)

    def delete(self, dn):
        self.db.delete(dn, ["tree_delete:1"])

    def transaction(self):
        return _Transaction(self.db)


class _Transaction:
    def __init__(self, db):
        self.db = db

    def __enter__(self):
        self.db.transaction_start()

    def __exit__(self, kind, value, tb):
        if kind is None:
            self.db.transaction_commit()
        else:
            self.db.transaction_cancel()


def _attrs(msg, names):
    return {name: str(msg[name][0]) for name in names if name in msg}

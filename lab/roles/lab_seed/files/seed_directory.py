"""Lab only: create the seeded OUs, groups, users and memberships in a Samba AD DC.

Runs on the DC itself through Samba's Python API (one process instead of a samba-tool
call per object). Idempotent: existing objects are left alone. Reads a JSON spec (one
Kommune of lab/seed.yml, plus passwords) on stdin, so no password touches the DC's disk,
and prints a JSON list of what it created.
"""

import json
import sys

import ldb
from samba import dsdb
from samba.auth import system_session
from samba.param import LoadParm
from samba.samdb import SamDB

GROUP_TYPES = {
    ("global", "security"): dsdb.GTYPE_SECURITY_GLOBAL_GROUP,
    ("domain_local", "security"): dsdb.GTYPE_SECURITY_DOMAIN_LOCAL_GROUP,
    ("universal", "security"): dsdb.GTYPE_SECURITY_UNIVERSAL_GROUP,
    ("global", "distribution"): dsdb.GTYPE_DISTRIBUTION_GLOBAL_GROUP,
    ("universal", "distribution"): dsdb.GTYPE_DISTRIBUTION_UNIVERSAL_GROUP,
}


def find(samdb, name):
    """The object with this sAMAccountName, or None. (An ldb.Message is falsy when it has no
    attributes, so callers must compare with None.)"""
    res = samdb.search(samdb.domain_dn(), scope=ldb.SCOPE_SUBTREE,
                       expression=f"(sAMAccountName={ldb.binary_encode(name)})", attrs=["member"])
    return res[0] if res else None


def ensure_ous(samdb, ous, created):
    # Parents first: "OU=Bauamt,OU=Verwaltung" needs "OU=Verwaltung".
    for ou in sorted(ous, key=lambda o: o.count(",")):
        dn = ldb.Dn(samdb, f"{ou},{samdb.domain_dn()}")
        if not _exists(samdb, dn):
            samdb.create_ou(str(dn))
            created.append(f"ou {ou}")


def _exists(samdb, dn):
    try:
        samdb.search(dn, scope=ldb.SCOPE_BASE, attrs=[])
        return True
    except ldb.LdbError as err:
        if err.args[0] == ldb.ERR_NO_SUCH_OBJECT:
            return False
        raise


def ensure_groups(samdb, groups, created):
    for group in groups:
        if find(samdb, group["name"]) is not None:
            continue
        kind = (group.get("scope", "global"), group.get("type", "security"))
        samdb.newgroup(group["name"], groupou=group.get("ou"), grouptype=GROUP_TYPES[kind],
                       description=group.get("description"),
                       gidnumber=group.get("gid_number"),
                       nisdomain=samdb.domain_netbios_name().lower() if group.get("gid_number") else None)
        created.append(f"group {group['name']}")


def ensure_users(samdb, spec, created):
    workgroup = samdb.domain_netbios_name()
    for user in spec["users"]:
        name = user["name"]
        if find(samdb, name) is not None:
            continue
        home = {} if user.get("service") else {
            "homedirectory": f"\\\\{spec['fs']}\\home\\{name}",
            "homedrive": "H:",
            "scriptpath": "anmeldung.cmd",
        }
        samdb.newuser(
            name, spec["passwords"][name], userou=user["ou"], givenname=user["given"], surname=user["surname"],
            mailaddress=None if user.get("service") else f"{name}@{spec['mail_domain']}",
            description=user.get("description"),
            uidnumber=user.get("uid_number"),
            gidnumber=10000 if user.get("uid_number") else None,
            nisdomain=workgroup.lower() if user.get("uid_number") else None,
            unixhome=f"/srv/home/{name}" if user.get("uid_number") else None,
            loginshell="/bin/bash" if user.get("uid_number") else None,
            **home,
        )
        if user.get("service"):
            samdb.setexpiry(f"(sAMAccountName={ldb.binary_encode(name)})", 0, no_expiry_req=True)
        if not user.get("enabled", True):
            samdb.disable_account(f"(sAMAccountName={ldb.binary_encode(name)})")
        created.append(f"user {name}")


def ensure_members(samdb, spec, created):
    wanted = {}
    for group in spec["groups"]:
        wanted.setdefault(group["name"], []).extend(group.get("members", []))
    for user in spec["users"]:
        for group in user.get("groups", []):
            wanted.setdefault(group, []).append(user["name"])
    for group, members in wanted.items():
        current = {str(m).lower() for m in (find(samdb, group).get("member") or [])}
        missing = [m for m in members if str(find(samdb, m).dn).lower() not in current]
        if missing:
            samdb.add_remove_group_members(group, missing, add_members_operation=True)
            created.extend(f"member {m} -> {group}" for m in missing)


def main():
    spec = json.load(sys.stdin)
    lp = LoadParm()
    lp.load_default()
    samdb = SamDB(url=lp.samdb_url(), session_info=system_session(), lp=lp)
    created = []
    samdb.transaction_start()
    try:
        ensure_ous(samdb, spec["ous"], created)
        ensure_groups(samdb, spec["groups"], created)
        ensure_users(samdb, spec, created)
        ensure_members(samdb, spec, created)
    except Exception:
        samdb.transaction_cancel()
        raise
    samdb.transaction_commit()
    json.dump({"created": created}, sys.stdout, ensure_ascii=False)


if __name__ == "__main__":
    main()

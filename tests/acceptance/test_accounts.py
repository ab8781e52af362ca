"""Accounts present in the central directory with their memberships, and able to log on:
each active entry of the identity mapping exists at its new DN with its new SID, each
mapped group has the translated members of the old group, and the test users (those with a
password in the credentials) log on to the RZ file server with their old passwords."""

from tests.acceptance.remote import parse_ldif
from tests.acceptance.skips import expected_skip
from tests.acceptance.smb import logs_on

SAM = "/var/lib/samba/private/sam.ldb"


def ldb(host, base, filt, *attrs, scope="sub"):
    result = host.run(f"ldbsearch -H {SAM} -s {scope} -b %s %s " + " ".join(["%s"] * len(attrs)),
                      base, filt, *attrs)
    assert result.rc == 0, result.stderr.strip()
    return parse_ldif(result.stdout)


def central(kommune):
    return kommune.host(kommune.one("dc", rz=True))


def source(kommune):
    return kommune.host(kommune.one("dc"))


def test_user_in_the_central_directory(kommune, user):
    found = ldb(central(kommune), user["new_dn"], "(objectClass=user)", "objectSid", "sAMAccountName", scope="base")
    assert found, f"{user['new_dn']} does not exist"
    assert found[0]["objectSid"] == [user["new_sid"]]
    assert found[0]["sAMAccountName"] == [user["new_name"]]


def old_member_sids(kommune, group_sid):
    """SIDs of the old group's members on the Kommune's DC (a windows Kommune's over LDAPS),
    or None when the group is not there."""
    if kommune.windows:
        return kommune.windows.member_sids(group_sid)
    old = ldb(source(kommune), f"<SID={group_sid}>", "(objectClass=group)", "member", scope="base")
    if not old:
        return None
    sids = set()
    for dn in old[0].get("member", []):
        member = ldb(source(kommune), dn, "(objectClass=*)", "objectSid", scope="base")
        if member:
            sids.add(member[0]["objectSid"][0])
    return sids


def test_group_has_the_translated_members(kommune, group):
    by_old_sid = {e["old_sid"]: e["new_dn"].lower() for kind in ("users", "groups")
                  for e in kommune.active(kind) if e.get("old_sid")}
    old = old_member_sids(kommune, group["old_sid"])
    assert old is not None, f"old group {group['old_name']} ({group['old_sid']}) not found"
    wanted = {by_old_sid[sid] for sid in old if sid in by_old_sid}
    new = ldb(central(kommune), group["new_dn"], "(objectClass=group)", "member", scope="base")
    assert new, f"{group['new_dn']} does not exist"
    have = {dn.lower() for dn in new[0].get("member", [])}
    assert have == wanted, f"missing: {sorted(wanted - have)}; not in the old group: {sorted(have - wanted)}"


def test_user_logs_on_to_the_rz_file_server(kommune, test_user):
    name = test_user["new_name"]
    (entry,) = ldb(central(kommune), test_user["new_dn"], "(objectClass=user)", "userAccountControl", scope="base")
    if int(entry["userAccountControl"][0]) & 0x2:
        expected_skip("user_disabled_in_rz", f"{name} is disabled in the central directory")
    assert logs_on(kommune.host(kommune.workstation), kommune.passwords[test_user["old_name"]], kommune.rz_fs,
                   f"{kommune.rz_workgroup}\\{name}"), f"{name} cannot log on"

"""Accounts present in the central directory with their memberships, and able to log on:
each active entry of the identity mapping exists at its new DN with its new SID, each
mapped group has the translated members of the old group, and the test users (those with a
password in the credentials) log on to the RZ file server with their old passwords."""

from tests.acceptance.gather import entries
from tests.acceptance.skips import expected_skip


def test_user_in_the_central_directory(user, gathered):
    found = entries(gathered.get("central_users")[user["new_dn"]])
    assert found, f"{user['new_dn']} does not exist"
    assert found[0]["objectSid"] == [user["new_sid"]]
    assert found[0]["sAMAccountName"] == [user["new_name"]]


def test_group_has_the_translated_members(kommune, group, gathered):
    by_old_sid = {e["old_sid"]: e["new_dn"].lower() for kind in ("users", "groups")
                  for e in kommune.active(kind) if e.get("old_sid")}
    # SIDs of the old group's members on the Kommune's DC (a windows Kommune's over LDAPS),
    # None when the group is not there.
    read = gathered.get("old_groups")[group["old_sid"]]
    assert read.error is None, read.error
    old = read.sids
    assert old is not None, f"old group {group['old_name']} ({group['old_sid']}) not found"
    wanted = {by_old_sid[sid] for sid in old if sid in by_old_sid}
    new = entries(gathered.get("new_groups")[group["new_dn"]])
    assert new, f"{group['new_dn']} does not exist"
    have = {dn.lower() for dn in new[0].get("member", [])}
    assert have == wanted, f"missing: {sorted(wanted - have)}; not in the old group: {sorted(have - wanted)}"


def test_user_logs_on_to_the_rz_file_server(test_user, gathered):
    name = test_user["new_name"]
    (entry,) = entries(gathered.get("central_users")[test_user["new_dn"]])
    if int(entry["userAccountControl"][0]) & 0x2:
        expected_skip("user_disabled_in_rz", f"{name} is disabled in the central directory")
    assert gathered.get("logons")[test_user["old_name"]], f"{name} cannot log on"

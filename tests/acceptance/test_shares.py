"""Shares complete and access as mapped: every share of the Kommune's file server exists on
the RZ file server as <namespace>-<share> with the same tree, and every test user can open
exactly the shares there (new account, real log-on) that the old share's Windows ACL grants
their old account."""

import pytest

from tests.acceptance.gather import tree_lines, value
from tests.acceptance.kommune import may_list


def tree_without_sizes_of_folders(lines):
    """A windows source lists a folder with size 0; find gives its size on disk."""
    return [f"d 0 {line.split(' ', 2)[2]}" if line.startswith("d ") else line for line in lines]


def below(path, roots):
    return any(path == root or path.startswith(root + "/") for root in roots)


def test_share_is_complete_on_the_rz_file_server(kommune, share, gathered):
    target = kommune.target_share(share)
    assert target in kommune.target_shares, f"{target} is not a share of {kommune.rz_fs}"
    moved = tree_lines(gathered.get("target_trees")[target], kommune.target_shares[target])
    if kommune.windows:
        # Read over SMB; what its own listing holds back (open with deny-read, offline,
        # reparse points, denied even with backup intent) is a finding of the shares payload
        # before the cut-over and is left out on both sides.
        source, held = value(gathered.get("source_trees")[share])
        assert source, f"{share} lists nothing over SMB at the source"
        moved = [line for line in tree_without_sizes_of_folders(moved) if not below(line.split(" ", 2)[2], held)]
    else:
        source = tree_lines(gathered.get("source_trees")[share], kommune.source_shares[share])
    missing = sorted(set(source) - set(moved))
    extra = sorted(set(moved) - set(source))
    assert not missing and not extra, f"missing on the RZ: {missing[:10]}; only on the RZ: {extra[:10]}"


@pytest.fixture(scope="module")
def access(kommune, gathered):
    """{old user: ({share: allowed at home}, {share: allowed in the RZ})} for every test user.

    At home: what the share root's Windows ACL grants the user's old token (the old accounts
    may be disabled at cut-over, so nobody logs on there); an account disabled in the RZ
    is allowed nowhere. In the RZ: a real log-on with the new account and the old password.
    """
    users = kommune.sample_users()  # never empty: Kommune.load refuses a Kommune without test users
    shares = sorted(kommune.source_shares)
    acls, tokens, rz = gathered.get("source_acls"), gathered.get("tokens"), gathered.get("rz_access")
    result = {}
    for user in users:
        enabled = gathered.enabled_in_rz(user)
        home = {share: enabled and may_list(acls[share], tokens[user["old_name"]]) for share in shares}
        result[user["old_name"]] = (home, rz[user["old_name"]])
    return result


def test_share_access_as_mapped(kommune, share, access):
    differs = {user: {"granted at home": home[share], "in the RZ": rz[share]}
               for user, (home, rz) in access.items() if home[share] != rz[share]}
    assert not differs, f"{share}: access differs for {differs}"


def test_access_sample_has_allowed_and_denied(access):
    """The comparison proves something only if both outcomes occur."""
    outcomes = {allowed for home, _dummy in access.values() for allowed in home.values()}
    assert outcomes == {True, False}, f"every test user got {outcomes} on every share"
